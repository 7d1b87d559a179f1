"""Stabilisers the training loop applies to models: an EMA of G, BatchNorm recalibration, spectral norm."""

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from gan_models import sample_latents
from gan_models.sampling import labels_for


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float | torch.Tensor) -> None:
    """Move the averaged weights towards the live ones; buffers (BatchNorm statistics) are copied.

    `decay` may be a device tensor, so that a CUDA graph can replay the update with each step's decay."""
    ema_params, params = list(ema.parameters()), list(model.parameters())
    if torch.is_tensor(decay):  # foreach's lerp would read a tensor weight back to the host
        torch._foreach_mul_(ema_params, decay)
        torch._foreach_add_(ema_params, torch._foreach_mul(params, 1 - decay))
    else:
        torch._foreach_lerp_(ema_params, params, 1 - decay)
    buffers = list(ema.buffers())
    if buffers:
        torch._foreach_copy_(buffers, list(model.buffers()))


@torch.no_grad()
def recalibrate_batchnorm(generator: nn.Module, seed: int, batches: int = 40, batch_size: int = 250) -> None:
    """Recompute BatchNorm statistics for the generator's own weights (the EMA weights never ran in train mode)."""
    norms = [m for m in generator.modules() if isinstance(m, _BatchNorm)]
    if not norms:
        return
    device = next(generator.parameters()).device
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a plain average over all batches
    generator.train()
    labels = labels_for(generator, batch_size, None)
    for i in range(batches):
        z = sample_latents(batch_size, generator.latent_dim, seed + i, device=device)
        generator(z, None if labels is None else labels.to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    generator.eval()


def apply_spectral_norm(module: nn.Module) -> None:
    """Spectral normalisation on every conv and linear layer: keeps D 1-Lipschitz so it cannot
    overpower G early on (Miyato et al., 2018), which Stacked MNIST needs."""
    for m in list(module.modules()):
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.utils.parametrizations.spectral_norm(m)
