"""The fully connected GAN of the classic PyTorch GAN tutorials, with BatchNorm's eps fixed."""

import torch
from torch import nn

from ..contract import Discriminator as BaseDiscriminator, Generator as BaseGenerator, Verdict
from ..layers import LabelInput, ProjectionHead
from ..registry import GANPair, register_model


def _block(n_in: int, n_out: int, norm: bool = True) -> list[nn.Module]:
    # The tutorials write nn.BatchNorm1d(n, 0.8), which sets eps=0.8 rather than momentum.
    layers = [nn.Linear(n_in, n_out)]
    if norm:
        layers.append(nn.BatchNorm1d(n_out))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class Generator(BaseGenerator):
    def __init__(self, latent_dim: int = 100, num_classes: int = 0, channels: int = 1):
        super().__init__(latent_dim, num_classes, channels)
        self.label = LabelInput(num_classes, num_classes)
        self.net = nn.Sequential(
            *_block(latent_dim + self.label.extra, 128, norm=False),
            *_block(128, 256),
            *_block(256, 512),
            *_block(512, 1024),
            nn.Linear(1024, channels * 28 * 28),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.label(z, labels)).view(-1, self.channels, 28, 28)


class Discriminator(BaseDiscriminator):
    def __init__(self, num_classes: int = 0, channels: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * 28 * 28, 512),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2, inplace=True),
        )
        self.head = ProjectionHead(256, num_classes)

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> Verdict:
        return Verdict(self.head(self.net(x), labels))


@register_model
def mlp(latent_dim: int = 100, num_classes: int = 0, channels: int = 1) -> GANPair:
    """Fully connected GAN: G 100→128→256→512→1024→784, D 784→512→256→1."""
    return GANPair(Generator(latent_dim, num_classes, channels), Discriminator(num_classes, channels))
