"""Checkpoints: one dict, written atomically, read back without unpickling arbitrary objects."""

import os
import pickle
from pathlib import Path

import torch
from torch import nn

from .config import TrainConfig, default_betas

# A resumed run must match the checkpoint on these settings: they shape the weights from the first step.
RESUME_MUST_MATCH = ("arch", "conditional", "loss", "dataset", "batch_size", "seed", "d_steps", "latent_dim",
                     "width", "codes", "code_weight", "code_fade", "ema", "ema_decay", "lr", "betas", "gp_weight",
                     "spectral_norm")
# These it may change (to train on, or to settle at the end); the model card then gives each part's command.
RESUME_MAY_CHANGE = ("steps", "epochs", "time_limit", "lr_decay", "top_k", "precision")


class CheckpointMismatch(ValueError):
    """`--resume` was asked of a checkpoint that cannot be read, or with settings that differ from its."""


def checkpoint_path(run_dir: str | Path) -> Path:
    """Where a run folder keeps the checkpoint that `--resume` continues from."""
    return Path(run_dir) / "checkpoints" / "last.pt"


def save_checkpoint(state: dict, path: Path) -> None:
    """Write `state` to `path` via a temporary file and a rename, so a kill never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint written by `save_checkpoint` (tensors and plain containers only)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def read_checkpoint(path: Path) -> dict:
    """The checkpoint at `path`; a CheckpointMismatch says why a file cannot be read as one."""
    try:
        ckpt = load_checkpoint(path)
        if not isinstance(ckpt.get("config"), dict):
            raise ValueError("it holds no run settings")
        # A checkpoint from before the width setting: its models' own width.
        ckpt["config"].setdefault("width", (ckpt.get("model_config") or {}).get("width"))
        return ckpt
    except Exception as err:  # truncated, empty or foreign file: torch.load has many ways to say so
        # torch's own text for this one advises unpickling the file, which would run any code it holds
        unpickling = isinstance(err, pickle.UnpicklingError)
        detail = ("it is not a file of tensors and plain containers, as checkpoints are" if unpickling
                  else f"{type(err).__name__}: {' '.join(str(err).split())[:200]}")
        raise CheckpointMismatch(f"{path} cannot be read as a checkpoint ({detail}): "
                                 "start a new run with another --out") from None


def saved_config(path: Path) -> dict:
    """The settings the checkpoint at `path` was written with; {} when there is none or it cannot be
    read (the run then says why, before it loads anything)."""
    try:
        return dict(read_checkpoint(path)["config"])
    except CheckpointMismatch:
        return {}


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def resume(ckpt: dict, path: Path, cfg: TrainConfig, G: nn.Module, D: nn.Module, optimizers: tuple,
           ema: nn.Module | None, noise: torch.Generator) -> tuple[int, float, list[str]]:
    """Load `ckpt`, read from `path`, into the models, the (G, D) optimisers, the EMA and the noise
    generator. Returns the step and training seconds so far, and the command of each part of the run."""
    # A setting the checkpoint predates had its default value then.
    saved = {k: ckpt["config"].get(k, TrainConfig.__dataclass_fields__[k].default)
             for k in RESUME_MUST_MATCH + RESUME_MAY_CHANGE}
    saved["betas"] = tuple(saved["betas"] or default_betas(saved["loss"]))
    changed = [f"{k}: checkpoint {saved[k]!r} vs now {getattr(cfg, k)!r}"
               for k in RESUME_MUST_MATCH if saved[k] != getattr(cfg, k)]
    if changed:
        raise CheckpointMismatch("cannot resume with different settings (" + "; ".join(changed) +
                                 "): rerun with the original arguments plus --resume")
    try:
        G.load_state_dict(ckpt["generator"])
        D.load_state_dict(ckpt["discriminator"])
        for opt, state in zip(optimizers, (ckpt["opt_g"], ckpt["opt_d"])):
            own = [(group["lr"], group["capturable"]) for group in opt.param_groups]
            opt.load_state_dict(state)
            for group, (rate, capturable) in zip(opt.param_groups, own):  # this run's device, not the checkpoint's
                group["lr"], group["capturable"] = rate, capturable
        if ema is not None:
            ema.load_state_dict(ckpt["ema"])
        set_rng_state(ckpt["rng"])
        step, elapsed = ckpt["step"], ckpt["elapsed"]
        commands = ckpt.get("commands", [ckpt["config"]["command"]])
    except (RuntimeError, ValueError, KeyError) as err:
        detail = " ".join(str(err).split())[:300]
        raise CheckpointMismatch(f"{path} does not fit the {cfg.arch!r} models this code builds ({detail}); it "
                                 "was written by another version of the architecture: start a new run with another "
                                 "--out") from None
    try:
        noise.set_state(ckpt["noise_rng"])
    except RuntimeError:  # saved on another kind of device (a CUDA generator's state is not a CPU one's)
        noise.manual_seed(cfg.seed + 1 + step)
    if any(saved[k] != getattr(cfg, k) for k in RESUME_MAY_CHANGE):  # what the weights saw from this step on
        commands = [*commands, f"{cfg.command} --resume  # from step {step}"]
    return step, elapsed, commands
