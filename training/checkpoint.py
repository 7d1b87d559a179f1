"""Checkpoints and the rules of resuming: one dict, written atomically, read once, without
unpickling arbitrary objects."""

import os
import pickle
from dataclasses import fields
from pathlib import Path

import torch

# A resumed run must match the checkpoint on these settings: they shape the weights from the first step.
RESUME_MUST_MATCH = ("arch", "conditional", "loss", "dataset", "batch_size", "seed", "d_steps", "latent_dim",
                     "width", "codes", "continuous_codes", "late_codes", "code_weight", "code_fade", "ema",
                     "ema_decay", "lr", "lr_g", "lr_d", "betas", "gp_weight", "spectral_norm", "cycle_weight",
                     "identity_weight")
# These it may change (to train on, or to settle at the end); the model card then gives each part's command.
RESUME_MAY_CHANGE = ("steps", "epochs", "time_limit", "lr_decay", "top_k", "precision")
# With those two, the settings a resumed run keeps when its command leaves them out; the ones for the
# hardware (--device, --compile, ...) follow the machine it resumes on.
KEPT_ON_RESUME = ("data_dir", "log_every", "sample_every", "checkpoint_every", "checkpoint_seconds", "eval_every",
                  "tracker")


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


_last_read: tuple = (None, None)  # (the file's identity, its checkpoint)


def read_checkpoint(path: Path) -> dict:
    """The checkpoint at `path`; a CheckpointMismatch says why a file cannot be read as one. A resume
    needs the file twice (its settings for the command line, its state for the trainer): it is read
    and unpacked once, and again only when the file has changed."""
    global _last_read
    try:
        stat = Path(path).stat()
        identity = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
        if _last_read[0] == identity:
            return _last_read[1]
        ckpt = load_checkpoint(path)
        if not isinstance(ckpt.get("config"), dict):
            raise ValueError("it holds no run settings")
        # A checkpoint from before the width setting: its models' own width.
        ckpt["config"].setdefault("width", (ckpt.get("model_config") or {}).get("width"))
        _last_read = (identity, ckpt)
        return ckpt
    except Exception as err:  # truncated, empty or foreign file: torch.load has many ways to say so
        # torch's own text for this one advises unpickling the file, which would run any code it holds
        unpickling = isinstance(err, pickle.UnpicklingError)
        detail = ("it is not a file of tensors and plain containers, as checkpoints are" if unpickling
                  else f"{type(err).__name__}: {' '.join(str(err).split())[:200]}")
        raise CheckpointMismatch(f"{path} cannot be read as a checkpoint ({detail}): "
                                 "start a new run with another --out") from None


def saved_settings(ckpt: dict, config_class) -> dict:
    """The checkpoint's settings a resume compares; a setting it predates had its default value then."""
    defaults = {f.name: f.default for f in fields(config_class)}
    saved = {k: ckpt["config"].get(k, defaults[k]) for k in RESUME_MUST_MATCH + RESUME_MAY_CHANGE}
    if saved["betas"] is not None:
        saved["betas"] = tuple(saved["betas"])
    for key in ("lr_g", "lr_d"):  # from before each network had its own rate: the shared one
        saved[key] = saved["lr"] if saved[key] is None else saved[key]
    return saved


def mismatch(differences: list[str]) -> CheckpointMismatch:
    return CheckpointMismatch("cannot resume with different settings (" + "; ".join(differences) +
                              "): rerun with the original arguments plus --resume")


def resumed_settings(ckpt: dict, given: dict) -> dict:
    """The settings of a resumed run: those `given` (by its command), the checkpoint's for the rest it
    keeps. A given setting that must match and differs is refused here, before any other check."""
    saved = ckpt["config"]
    differing = [f"{k}: checkpoint {_plain(saved[k])!r} vs now {_plain(given[k])!r}" for k in RESUME_MUST_MATCH
                 if k in given and k in saved and _plain(given[k]) != _plain(saved[k])]
    if differing:
        raise mismatch(differing)
    if given.keys() & {"steps", "epochs"}:  # a new count replaces the saved one, and the saved time limit with it:
        given = {"steps": None, "epochs": None, "time_limit": None, **given}  # `--steps 5000` trains to 5,000
    kept = {k: saved[k] for k in RESUME_MUST_MATCH + RESUME_MAY_CHANGE + KEPT_ON_RESUME if k in saved}
    return {**kept, **given}


def _plain(value):
    return tuple(value) if isinstance(value, list) else value


def check_resumable(ckpt: dict, cfg) -> bool:
    """Raise CheckpointMismatch where `cfg` differs from the checkpoint on a setting that must match;
    return whether it changes one that may change."""
    saved = saved_settings(ckpt, type(cfg))
    saved["betas"] = saved["betas"] or cfg.betas  # from before betas were saved: the loss's, as now
    changed = [f"{k}: checkpoint {saved[k]!r} vs now {getattr(cfg, k)!r}"
               for k in RESUME_MUST_MATCH if saved[k] != getattr(cfg, k)]
    if changed:
        raise mismatch(changed)
    return any(saved[k] != getattr(cfg, k) for k in RESUME_MAY_CHANGE)


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_optimizer(opt: torch.optim.Optimizer, state: dict) -> None:
    """Load an optimiser's checkpointed state, keeping this run's learning-rate form and device kind."""
    own = [(group["lr"], group["capturable"]) for group in opt.param_groups]
    opt.load_state_dict(state)
    for group, (rate, capturable) in zip(opt.param_groups, own):  # this run's device, not the checkpoint's
        group["lr"], group["capturable"] = rate, capturable
