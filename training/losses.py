"""GAN objectives on raw discriminator logits.

minimax: the original objective; G minimises log(1 − D(G(z))), whose gradient vanishes while D
         confidently rejects the fakes, i.e. early in training.
ns:      the non-saturating fix; G maximises log D(G(z)) (BCE against "real" labels).
hinge:   the hinge loss of SAGAN / BigGAN.
wgan-gp: the Wasserstein critic with a gradient penalty (Gulrajani et al., 2017).
"""

import torch
import torch.nn.functional as F

from gan_models import latent_code

LOSSES = ("ns", "minimax", "hinge", "wgan-gp")


def d_loss(loss: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator loss from its logits on real and on generated images."""
    if loss in ("ns", "minimax"):
        # BCE(real, 1) + BCE(fake, 0), written with softplus for numerical stability.
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if loss == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if loss == "wgan-gp":
        return fake.mean() - real.mean()
    raise ValueError(f"unknown loss {loss!r}; known losses: {', '.join(LOSSES)}")


def g_loss(loss: str, fake: torch.Tensor) -> torch.Tensor:
    """Generator loss from the discriminator's logits on generated images."""
    if loss == "ns":
        return F.softplus(-fake).mean()  # -log D(G(z))
    if loss == "minimax":
        return -F.softplus(fake).mean()  # log(1 - D(G(z)))
    if loss in ("hinge", "wgan-gp"):
        return -fake.mean()
    raise ValueError(f"unknown loss {loss!r}; known losses: {', '.join(LOSSES)}")


def code_loss(logits: torch.Tensor, z: torch.Tensor, codes: int) -> torch.Tensor:
    """InfoGAN's mutual-information term: cross-entropy of D's code logits against the codes in z."""
    return F.cross_entropy(logits, latent_code(z, codes))


def gradient_penalty(discriminator, real: torch.Tensor, fake: torch.Tensor,
                     labels: torch.Tensor | None, generator: torch.Generator | None = None) -> torch.Tensor:
    """E[(‖∇D(x̂)‖ − 1)²] on random points x̂ between real and generated images."""
    alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device, generator=generator)
    mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = discriminator(mixed, labels)
    (grad,) = torch.autograd.grad(out.sum(), mixed, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
