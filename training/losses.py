"""GAN objectives on raw discriminator logits, one registry entry each.

A loss is one `register_loss(Loss(...))`: the CLI's `--loss`, the defaults it implies (Adam's betas,
D steps per G step, the learning rate), the parametrized tests and `benchmarks/quality.py` all read
the registry, and no code outside an entry tests a loss's name.
"""

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from gan_models import continuous_codes, latent_code

Objective = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Loss:
    name: str
    d: Objective  # (real logits, fake logits) -> D's loss
    g: Objective  # (fake logits) -> G's loss
    help: str  # one line for --help
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's (β1, β2) where the command gives none
    lr: float = 2e-4  # Adam's learning rate at a global batch of 128 and the architecture's own width
    d_steps: int = 1  # D updates per G update where the command gives none
    penalty: bool = False  # adds cfg.gp_weight × the gradient penalty to D's loss
    graphable: bool = True  # a CUDA graph can capture its step (a second backward pass cannot be)


_LOSSES: dict[str, Loss] = {}


def register_loss(loss: Loss) -> Loss:
    if loss.name in _LOSSES:
        raise ValueError(f"loss {loss.name!r} is registered twice")
    _LOSSES[loss.name] = loss
    return loss


def list_losses() -> list[str]:
    """Names of the registered losses, in the order they were registered."""
    return list(_LOSSES)


def get_loss(name: str) -> Loss:
    if name not in _LOSSES:
        raise ValueError(f"unknown loss {name!r}; known losses: {', '.join(_LOSSES)}")
    return _LOSSES[name]


def d_loss(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator loss from its logits on real and on generated images."""
    return get_loss(loss).d(real, fake)


def g_loss(loss: str, fake: torch.Tensor) -> torch.Tensor:
    """Generator loss from the discriminator's logits on generated images."""
    return get_loss(loss).g(fake)


def _bce_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    # BCE(real, 1) + BCE(fake, 0), written with softplus for numerical stability.
    return F.softplus(-real).mean() + F.softplus(fake).mean()


register_loss(Loss("ns", _bce_d, lambda fake: F.softplus(-fake).mean(),  # -log D(G(z))
                   "non-saturating: G maximises log D(G(z)), the usual fix"))
# G minimises log(1 − D(G(z))), whose gradient vanishes while D confidently rejects the fakes.
register_loss(Loss("minimax", _bce_d, lambda fake: -F.softplus(fake).mean(),
                   "the original objective, whose G gradient vanishes early on"))
register_loss(Loss("hinge", lambda real, fake: F.relu(1 - real).mean() + F.relu(1 + fake).mean(),
                   lambda fake: -fake.mean(), "the hinge loss of SAGAN and BigGAN"))
register_loss(Loss("wgan-gp", lambda real, fake: fake.mean() - real.mean(), lambda fake: -fake.mean(),
                   "Wasserstein critic with a gradient penalty (Gulrajani et al., 2017)",
                   betas=(0.0, 0.9), lr=1e-4, d_steps=5, penalty=True, graphable=False))
# Least squares against targets 1 (real) and 0 (fake): gradients that do not vanish for fakes D rejects.
register_loss(Loss("lsgan", lambda real, fake: 0.5 * ((real - 1).pow(2).mean() + fake.pow(2).mean()),
                   lambda fake: 0.5 * (fake - 1).pow(2).mean(), "least squares (Mao et al., 2017)"))

LOSSES = tuple(list_losses())


def code_loss(logits: torch.Tensor, z: torch.Tensor, codes: int) -> torch.Tensor:
    """InfoGAN's mutual-information term: cross-entropy of D's code logits against the codes in z."""
    return F.cross_entropy(logits, latent_code(z, codes))


def continuous_loss(predicted: torch.Tensor, z: torch.Tensor, start: int) -> torch.Tensor:
    """InfoGAN's term for continuous codes: a Gaussian's log-likelihood of fixed width, as squared error."""
    return F.mse_loss(predicted, continuous_codes(z, start, predicted.shape[1]))


def gradient_penalty(discriminator, real: torch.Tensor, fake: torch.Tensor,
                     labels: torch.Tensor | None, generator: torch.Generator | None = None) -> torch.Tensor:
    """E[(‖∇D(x̂)‖ − 1)²] on random points x̂ between real and generated images."""
    alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device, generator=generator)
    mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = discriminator(mixed, labels)
    (grad,) = torch.autograd.grad(out.sum(), mixed, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
