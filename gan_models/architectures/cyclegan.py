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
    """7×7 conv in, `levels` stride-2 convs down (28 → 14, or on to 7), `blocks` residual blocks, as
    many ways up, 7×7 conv out, tanh. The 28×28 features of the first conv join the way out: strokes a
    pixel or two wide keep their shape rather than coming back blurred. Instance norm, as CycleGAN:
    each image is normalised alone, so a translation never depends on the other images of its batch."""

    def __init__(self, channels_in: int, channels_out: int, width: int, blocks: int, levels: int = 1):
        super().__init__()
        half = width // 2
        self.stem = nn.Sequential(nn.Conv2d(channels_in, half, 7, padding=3, padding_mode="reflect", bias=False),
                                  nn.InstanceNorm2d(half), nn.ReLU(inplace=True))
        widths = [half] + [width * 2 ** i for i in range(levels)]
        down = [layer for w_in, w_out in zip(widths, widths[1:]) for layer in _down(w_in, w_out)]
        up = [layer for w_in, w_out in zip(widths[::-1], widths[-2::-1]) for layer in _up(w_in, w_out)]
        self.middle = nn.Sequential(*down, *[ResidualBlock(widths[-1]) for _ in range(blocks)], *up)
        self.out = nn.Sequential(nn.Conv2d(2 * half, channels_out, 7, padding=3, padding_mode="reflect"), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stem = self.stem(x)
        return self.out(torch.cat([self.middle(stem), stem], dim=1))


def _down(w_in: int, w_out: int) -> list[nn.Module]:
    return [nn.Conv2d(w_in, w_out, 4, 2, 1, bias=False), nn.InstanceNorm2d(w_out), nn.ReLU(inplace=True)]


def _up(w_in: int, w_out: int) -> list[nn.Module]:
    # Nearest upsampling and a conv rather than a transposed conv: no checkerboard in the textures.
    return [nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(w_in, w_out, 3, padding=1, padding_mode="reflect", bias=False), nn.InstanceNorm2d(w_out),
            nn.ReLU(inplace=True)]


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
def cyclegan(channels_a: int = 1, channels_b: int = 3, width: int = 32, blocks: int = 2,
             levels: int = 2) -> TranslatorPair:
    """CycleGAN: generators A → B and B → A (conv in, `levels` steps down to 14×14 or 7×7, `blocks`
    residual blocks, up, conv out beside the conv in's features) and a patch discriminator per domain.

    At 7×7 the blocks see the whole digit, so a colour field is chosen for the image as a whole: with
    one level (14×14) the colours came out grainy and the colour classifier misread more digits."""
    translator = Translator(ResnetGenerator(channels_a, channels_b, width, blocks, levels),
                            ResnetGenerator(channels_b, channels_a, width, blocks, levels), channels_a, channels_b)
    return TranslatorPair(translator, Discriminators(PatchDiscriminator(channels_a, width),
                                                     PatchDiscriminator(channels_b, width)))
