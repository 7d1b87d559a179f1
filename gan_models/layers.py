"""Pieces shared by the architectures: label conditioning and categorical latent codes for G and D."""

import torch
import torch.nn.functional as F
from torch import nn

from .latent import continuous_codes, latent_code


class LabelInput(nn.Module):
    """Appends a learned label embedding to the latent vector (a no-op for unconditional models).

    Labels are class indices (N,), or weights over the classes (N, num_classes)."""

    def __init__(self, num_classes: int, dim: int):
        super().__init__()
        self.embed = nn.Embedding(num_classes, dim) if num_classes else None
        self.extra = dim if num_classes else 0

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.embed is None:
            return z
        if labels is None:
            raise ValueError("this model is class-conditional: pass one digit label per sample")
        # Float labels (N, num_classes) mix the digits' embeddings: digit-to-digit interpolation.
        embedded = labels @ self.embed.weight if labels.is_floating_point() else self.embed(labels)
        return torch.cat([z, embedded], dim=1)


class ProjectionHead(nn.Module):
    """Discriminator output with a projection term for labels (Miyato & Koyama, 2018).

    Projection makes D judge "is this a real *7*" rather than "real, and separately a 7",
    which gives much sharper class control than concatenating labels to the input.
    """

    def __init__(self, features: int, num_classes: int):
        super().__init__()
        self.linear = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features) if num_classes else None

    def forward(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        out = self.linear(h).squeeze(1)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this model is class-conditional: pass one digit label per sample")
            out = out + (self.embed(labels) * h).sum(dim=1)
        return out


class CodeInput(nn.Module):
    """Appends the one-hot categorical code of each latent and its continuous codes (InfoGAN, Chen et
    al., 2016; a no-op for none)."""
    # A generator is a continuous function of z, so from one Gaussian it cannot reach ten separate
    # digits without samples in between; the code gives it a switch, and the discriminator's code head
    # makes it use the switch for something it can tell apart (on MNIST: the digit).

    def __init__(self, codes: int, continuous: int = 0):
        super().__init__()
        self.codes, self.continuous = codes, continuous
        self.extra = codes + continuous

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        parts = [z]
        if self.codes:
            parts.append(F.one_hot(latent_code(z, self.codes), self.codes).to(z.dtype))
        if self.continuous:
            parts.append(continuous_codes(z, self.codes, self.continuous))
        return torch.cat(parts, dim=1) if len(parts) > 1 else z
