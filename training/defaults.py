"""The one place where a run's left-out settings are filled in: from the architecture's recipe, the
loss's registry entry, the hardware and the world size."""

import math
from dataclasses import fields

import torch

from gan_models import model_config, training_recipe

from . import distributed as dist
from .device import native_bf16
from .losses import get_loss, list_losses

# Settings whose defaults follow the hardware: the command a card gives names the values taken.
HARDWARE_DEPENDENT = ("batch_size", "width")


def arch_defaults(arch: str) -> dict:
    """The settings a run of `arch` takes where its caller leaves them out: the architecture's recipe
    over the project-wide fallbacks."""
    return {"loss": "ns", "spectral_norm": False, "lr_decay": 0.0, "top_k": 1.0, **training_recipe(arch)}


def _on_cpu(device: str) -> bool:
    return device == "cpu" or (device == "auto" and not torch.cuda.is_available())


def default_batch_size(device: str) -> int:
    """Images per step where the command gives none: a GAN learns by the step, and a CPU's step costs
    about in proportion to its images (docs/experiments.md has the runs)."""
    if _on_cpu(device):
        return 32 if native_bf16(torch.device("cpu")) else 16
    return 128


def default_width(arch: str, device: str) -> int | None:
    """Half the architecture's width on a CPU without bf16 instructions, where the smaller model
    reaches good digits sooner; the architecture's own elsewhere; None where it has none."""
    full = model_config(arch).get("width")
    if full is not None and _on_cpu(device) and not native_bf16(torch.device("cpu")):
        return full // 2
    return full


def default_lr(cfg) -> float:
    """The loss's rate, scaled by sqrt(global batch / 128) above 128 (Adam stays stable as the batch
    grows) and by the architecture's width over the run's (lr ∝ 1 / width, as in μP)."""
    narrower = model_config(cfg.arch)["width"] / cfg.width if cfg.width else 1.0
    return get_loss(cfg.loss).lr * math.sqrt(max(1.0, cfg.batch_size * dist.world_size() / 128)) * narrower


def fill_recipe(cfg) -> None:
    """Fill in what the caller left out (None) from the architecture's recipe."""
    optional = [f.name for f in fields(cfg) if f.default is None]
    for key, value in arch_defaults(cfg.arch).items():
        if key not in optional:  # a recipe fills in only what a caller may leave out
            raise ValueError(f"the {cfg.arch!r} recipe names {key!r}; a recipe can set {', '.join(optional)}")
        if getattr(cfg, key) is None:
            setattr(cfg, key, value)


def resolve_defaults(cfg) -> None:
    """Give every setting `cfg` leaves out (None) its value, in place, then check them all: a
    ValueError names the first one out of its range or at odds with another."""
    from .config import check  # config calls this module when a TrainConfig is made

    fill_recipe(cfg)
    loss = get_loss(cfg.loss) if cfg.loss in list_losses() else None  # an unknown one is check()'s to name
    if cfg.batch_size is None:
        cfg.batch_size = default_batch_size(cfg.device)
    if cfg.width is None:
        cfg.width = default_width(cfg.arch, cfg.device)
    if cfg.d_steps is None:
        cfg.d_steps = loss.d_steps if loss else 1
    cfg.betas = (loss.betas if loss else (0.5, 0.999)) if cfg.betas is None else tuple(map(float, cfg.betas))
    check(cfg)
    if cfg.lr is None:
        cfg.lr = default_lr(cfg)
    # Each network's rate follows the shared one unless given: two-timescale runs set them apart.
    cfg.lr_g = cfg.lr if cfg.lr_g is None else cfg.lr_g
    cfg.lr_d = cfg.lr if cfg.lr_d is None else cfg.lr_d
