"""How a run's settings move as it goes: the EMA's warm-up, the closing settling phase and the fading code loss."""

import math

import torch

from .config import TrainConfig


def progress(step: int, total: int, seconds: float, cfg: TrainConfig) -> float:
    """Share of the run done: of its steps, or of its time limit when that ends the run sooner."""
    done = step / total
    return max(done, seconds / cfg.time_limit) if cfg.time_limit else done


def ema_decay(step: int, cap: float, share: float = 0.05) -> float:
    """The decay of G's EMA after `step` updates: an average over about the last `share` of the steps
    so far (the random start must not linger in it), until that reaches 1 / (1 - cap) steps
    (benchmarks/ema_shares.py compares the shares)."""
    return min(cap, (1 + step) / (round(1 / share) + step))


def settling(step: int, total: int, seconds: float, cfg: TrainConfig) -> float:
    """How far the run is into its closing `lr_decay` share, the settling phase: 0 before it, 1 at
    the end. The share is of the steps, or of the time limit when that ends the run sooner.

    In it the learning rate falls linearly to 0, and G learns from a shrinking share of its fakes,
    the `top_k` that D finds most real (Sinha et al., 2020): early on, every fake's gradient is
    needed to find all ten digits. It pays at the end of a long run only (docs/experiments.md)."""
    if not cfg.lr_decay:
        return 0.0
    return min(1.0, max(0.0, 1 - (1 - progress(step, total, seconds, cfg)) / cfg.lr_decay))


def code_weight(step: int, total: int, seconds: float, cfg: TrainConfig) -> float:
    """The code loss's weight now: `code_weight`, falling linearly to 0 over the opening `code_fade` share.

    The code loss makes G draw each code unmistakably, which also trims the digits' variety; fading
    it out lets the adversarial loss restore that variety once G switches digits with the code."""
    if not cfg.code_fade:
        return cfg.code_weight
    return cfg.code_weight * max(0.0, 1 - progress(step, total, seconds, cfg) / cfg.code_fade)


def run_length(cfg: TrainConfig, batches_per_epoch: int) -> float:
    """The generator updates a run is to make: --steps, else --epochs (5 where neither is given);
    with a time limit and neither, as many as the time allows (inf)."""
    if cfg.steps:
        return cfg.steps
    if cfg.time_limit and not cfg.epochs:
        return math.inf
    return max(1, round((cfg.epochs or 5) * batches_per_epoch / cfg.d_steps))


def set_lr(optimizers: tuple, lr: float) -> None:
    """Set every group's learning rate; a captured step reads it from a device tensor, filled in place."""
    for opt in optimizers:
        for group in opt.param_groups:
            if torch.is_tensor(group["lr"]):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
