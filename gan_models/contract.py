"""What every architecture's generator and discriminator are: the contract the trainer, sampling and
the Hub format rely on. An architecture's classes subclass these two."""

from typing import NamedTuple

import torch
from torch import nn


class Verdict(NamedTuple):
    """A discriminator's judgement of a batch: realness logits (N,), and the logits (N, codes) of each
    image's latent code for an InfoGAN discriminator (None for the others)."""
    scores: torch.Tensor
    codes: torch.Tensor | None = None
    continuous: torch.Tensor | None = None  # (N, k) predicted continuous codes, for an InfoGAN that has them


class Generator(nn.Module):
    """Maps latents (N, latent_dim), and digit labels for a conditional model, to images in [-1, 1]
    (N, channels, 28, 28). `create_model` sets `config`: the factory's arguments, which rebuild it."""
    latent_dim: int
    num_classes: int  # 0: unconditional
    channels: int
    codes: int = 0  # categories of the InfoGAN code read from z (0: none)
    continuous: int = 0  # continuous InfoGAN codes read from z after the categorical one (0: none)
    config: dict

    def __init__(self, latent_dim: int, num_classes: int, channels: int, codes: int = 0, continuous: int = 0):
        super().__init__()
        self.latent_dim, self.num_classes, self.channels = latent_dim, num_classes, channels
        self.codes, self.continuous = codes, continuous


class Discriminator(nn.Module):
    """Judges images (N, channels, 28, 28); subclasses implement `judge`, the one return type."""

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> Verdict:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None,
                with_codes: bool = False) -> torch.Tensor | Verdict:
        """The realness logits (N,); with `with_codes`, the whole Verdict. The trainer calls forward
        rather than judge so that DDP and torch.compile see the call."""
        verdict = self.judge(x, labels)
        return verdict if with_codes else verdict.scores


def check_pair(name: str, generator: nn.Module, discriminator: nn.Module) -> None:
    """A TypeError naming what an architecture's factory got wrong about the contract."""
    if not isinstance(generator, Generator) or not isinstance(discriminator, Discriminator):
        raise TypeError(f"architecture {name!r} must return a GANPair of gan_models.contract.Generator and "
                        f"Discriminator subclasses; got {type(generator).__name__}, {type(discriminator).__name__}")
