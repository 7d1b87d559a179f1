"""A DCGAN-style convolutional GAN built for native 28×28 images (7 → 14 → 28)."""

import torch
from torch import nn

from ..contract import Discriminator as BaseDiscriminator, Generator as BaseGenerator, Verdict
from ..latent import continuous_codes, with_continuous
from ..layers import CodeInput, LabelInput, ProjectionHead
from ..registry import GANPair, register_model


class Generator(BaseGenerator):
    def __init__(self, latent_dim: int = 100, num_classes: int = 0, channels: int = 1, width: int = 64,
                 hidden: int = 256, codes: int = 0, continuous: int = 0, late_codes: int = 0):
        super().__init__(latent_dim, num_classes, channels, codes, continuous)
        if not 0 <= late_codes <= continuous:
            raise ValueError(f"late_codes are some of the continuous codes: 0 to {continuous}; got {late_codes}")
        self.late_codes = late_codes
        # The last `late_codes` continuous codes skip the 7×7 layers and scale and shift the 14×14
        # features: they can restyle strokes (their width) but hardly move the digit's geometry.
        self.late = nn.Linear(late_codes, 2 * width) if late_codes else None
        self.label = LabelInput(num_classes, num_classes)
        self.code = CodeInput(codes, continuous)
        self.width = width
        # A hidden layer before the projection lets G fold the one Gaussian into ten separate digit
        # clusters; with the projection alone, many samples fell between two digits.
        self.project = nn.Sequential(
            nn.Linear(latent_dim + self.label.extra + self.code.extra, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, 2 * width * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * width * 7 * 7),
            nn.ReLU(inplace=True),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),  # 7 -> 14
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(width, channels, 4, 2, 1),  # 14 -> 28
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.late is None:
            return self.net(self._project(z, labels))
        start = self.codes + self.continuous - self.late_codes
        late = continuous_codes(z, start, self.late_codes)
        # The 7×7 layers see each late code at 0, the middle of its range.
        h = self._project(with_continuous(z, start, [0.0] * self.late_codes), labels)
        scale, shift = self.late(late)[:, :, None, None].chunk(2, dim=1)
        return self.net[3:](self.net[:3](h) * (1 + scale) + shift)

    def _project(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.project(self.label(self.code(z), labels)).view(-1, 2 * self.width, 7, 7)


class Discriminator(BaseDiscriminator):
    # No BatchNorm: it would couple samples in a batch and break the WGAN-GP penalty.
    def __init__(self, num_classes: int = 0, channels: int = 1, width: int = 64, codes: int = 0, continuous: int = 0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1),  # 28 -> 14
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, 2 * width, 4, 2, 1),  # 14 -> 7
            nn.LeakyReLU(0.2, inplace=True),
            # A third block gives D about G's capacity; with two, D fell behind and let wobbly strokes pass.
            nn.Conv2d(2 * width, 4 * width, 3, 2, 1),  # 7 -> 4
            nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(),
        )
        self.head = ProjectionHead(4 * width * 4 * 4, num_classes)
        self.codes = codes
        self.code_head = nn.Linear(4 * width * 4 * 4, codes + continuous) if codes + continuous else None

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> Verdict:
        h = self.net(x)
        if self.code_head is None:
            return Verdict(self.head(h, labels))
        read = self.code_head(h)
        categorical, continuous = read[:, :self.codes], read[:, self.codes:]
        return Verdict(self.head(h, labels), categorical if self.codes else None,
                       continuous if continuous.shape[1] else None)


# Hinge loss with a spectrally normalised D kept the ten digits in equal shares; with the
# non-saturating loss and a free D, the shares drifted apart as training went on.
@register_model(recipe={"loss": "hinge", "spectral_norm": True})
def dcgan(latent_dim: int = 100, num_classes: int = 0, channels: int = 1, width: int = 64,
          hidden: int = 256, codes: int = 0, continuous: int = 0, late_codes: int = 0) -> GANPair:
    """Convolutional GAN: G z→hidden→(2w,7,7)→(w,14,14)→(c,28,28); D strided convs 28→14→7→4, then linear.

    `codes` > 0 makes it an InfoGAN: G reads a categorical code out of z, D learns to tell it back;
    `continuous` adds that many continuous codes, uniform in [-1, 1], read from z after it; the last
    `late_codes` of them reach G only at 14×14."""
    return GANPair(
        Generator(latent_dim, num_classes, channels, width, hidden, codes, continuous, late_codes),
        Discriminator(num_classes, channels, width, codes, continuous),
    )
