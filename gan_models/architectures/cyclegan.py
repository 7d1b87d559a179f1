"""CycleGAN for 28×28 digits (Zhu et al., 2017), small: ResNet generators and patch discriminators."""

import torch
from torch import nn

from ..translators import Discriminators, Translator, TranslatorPair, register_translator


class ResidualBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, padding_mode="reflect", bias=False), nn.InstanceNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1, padding_mode="reflect", bias=False), nn.InstanceNorm2d(width),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """7×7 conv in, `blocks` residual blocks at 14×14 between one stride-2 conv down and one up, 7×7 conv
    out, tanh. The 28×28 features of the first conv join the way out: strokes a pixel or two wide
    keep their shape rather than coming back from 14×14 blurred. Instance norm, as CycleGAN: each
    image is normalised alone, so a translation never depends on the other images of its batch."""

    def __init__(self, channels_in: int, channels_out: int, width: int, blocks: int):
        super().__init__()
        half = width // 2
        self.stem = nn.Sequential(nn.Conv2d(channels_in, half, 7, padding=3, padding_mode="reflect", bias=False),
                                  nn.InstanceNorm2d(half), nn.ReLU(inplace=True))
        self.middle = nn.Sequential(
            nn.Conv2d(half, width, 4, 2, 1, bias=False), nn.InstanceNorm2d(width), nn.ReLU(inplace=True),  # 28 -> 14
            *[ResidualBlock(width) for _ in range(blocks)],
            # Nearest upsampling and a conv rather than a transposed conv: no checkerboard in the textures.
            nn.Upsample(scale_factor=2, mode="nearest"),  # 14 -> 28
            nn.Conv2d(width, half, 3, padding=1, padding_mode="reflect", bias=False), nn.InstanceNorm2d(half),
            nn.ReLU(inplace=True),
        )
        self.out = nn.Sequential(nn.Conv2d(2 * half, channels_out, 7, padding=3, padding_mode="reflect"), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stem = self.stem(x)
        return self.out(torch.cat([self.middle(stem), stem], dim=1))


class PatchDiscriminator(nn.Module):
    """Strided convs 28 → 14 → 7, then a 3×3 conv to one logit per patch: 7×7 overlapping patches of
    about 18×18 pixels each judged real or not (PatchGAN). No normalisation, as the GAN losses'
    gradient penalty needs."""

    def __init__(self, channels: int, width: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),  # 28 -> 14
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),  # 14 -> 7
            nn.Conv2d(2 * width, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).flatten(1)  # (N, 49) patch logits


# Least squares, CycleGAN's own objective: its gradients do not vanish on fakes the discriminator rejects.
@register_translator(recipe={"loss": "lsgan", "width": 32})
def cyclegan(channels_a: int = 1, channels_b: int = 3, width: int = 32, blocks: int = 2) -> TranslatorPair:
    """CycleGAN: generators A → B and B → A (conv in, down to 14×14, `blocks` residual blocks, up, conv
    out beside the conv in's features) and a patch discriminator for each domain."""
    translator = Translator(ResnetGenerator(channels_a, channels_b, width, blocks),
                            ResnetGenerator(channels_b, channels_a, width, blocks), channels_a, channels_b)
    return TranslatorPair(translator, Discriminators(PatchDiscriminator(channels_a, width),
                                                     PatchDiscriminator(channels_b, width)))
