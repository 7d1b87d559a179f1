"""Train a GAN on MNIST and export it in Hugging Face format.

    python -m training.run --arch dcgan --steps 10000 --out runs/dcgan
    python -m training.run --arch dcgan --conditional --time-limit 300
    python -m training.run --arch mlp --loss minimax --steps 500
    python -m training.run --out runs/dcgan --resume                       # continue a killed run, as it was
    python -m training.run --arch cyclegan --dataset mnist-colour          # a translator: grey digits to colour
    torchrun --standalone --nproc_per_node=2 -m training.run --arch dcgan  # several processes (DDP)

The run folder gets samples/step_XXXXXX.png, metrics.jsonl, losses.png, checkpoints/last.pt and,
at the end, model/ (model.safetensors + config.json + README.md + samples.png), loadable by
gan_models.load_generator (a translator's by gan_models.load_translator) and pushable to the Hugging
Face Hub. MNIST is read from --data-dir, downloaded there when missing.
"""

import argparse
import os
import shlex
import sys
import time

from . import distributed as dist
from .checkpoint import CheckpointMismatch, checkpoint_path, read_checkpoint, resumed_settings
from .config import TrainConfig
from .cuda_graph import CaptureFailed
from .data import DataNotFoundError
from .defaults import HARDWARE_DEPENDENT
from .device import pick_device
from .flags import add_settings, as_flags, flag_name, given_settings
from .tracking import TrackerMissing
from .train import TrainingDiverged, train


def launcher() -> str:
    """How this run was started, for its card: under torchrun, --batch-size is per process."""
    processes, here = dist.world_size(), int(os.environ.get("LOCAL_WORLD_SIZE", dist.world_size()))
    if processes == 1:
        return "python"
    nodes = "--standalone" if processes == here else f"--nnodes={processes // here}"
    return f"torchrun {nodes} --nproc_per_node={here}"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.run", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[1:]),
                                allow_abbrev=False)  # the card's command drops --resume by its name
    add_settings(p)
    return p


def settings_from(p: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str]) -> dict:
    """The run's settings: the command's, and for a resume the checkpoint's where the command leaves
    them out, so that `--out X --resume` continues the run as it was."""
    values = vars(args)
    if not (args.resume and os.path.exists(checkpoint_path(args.out))):
        return values  # a missing checkpoint is the run's to report
    try:
        ckpt = read_checkpoint(checkpoint_path(args.out))
    except CheckpointMismatch:
        return values  # the run says why it cannot be read, before it loads anything
    given = {k: values[k] for k in given_settings(p, argv)}
    return {**values, **resumed_settings(ckpt, given)}


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    argv = sys.argv[1:] if argv is None else argv
    p = build_parser()
    args = p.parse_args(argv)
    try:
        pick_device(args.device)
    except ValueError as err:
        p.error(str(err))
    if args.resume and args.out is None:
        p.error("--resume continues the run in --out: name its folder")
    values = settings_from(p, args, argv)
    if values["out"] is None:
        values["out"] = f"runs/{args.arch}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        cfg = TrainConfig(**values)
    except ValueError as err:  # a setting out of its range, at odds with another, or with the recipe
        p.error(as_flags(str(err)))
    # The card records the command that reproduces the weights: a resumed run ends where an
    # uninterrupted one would, so --resume is left out; defaults that follow the device are named.
    given = [a for a in argv if a != "--resume"]
    for name in HARDWARE_DEPENDENT:
        if values[name] is None and getattr(cfg, name) is not None:
            given += [flag_name(name), str(getattr(cfg, name))]
    cfg.command = f"{launcher()} -m training.run {shlex.join(given)}"
    return cfg


def main(argv: list[str] | None = None) -> int:
    main_rank, cfg = int(os.environ.get("RANK", "0")) == 0, None
    try:
        cfg = parse_args(argv)
        model_dir = train(cfg)
    except (DataNotFoundError, CheckpointMismatch, TrainingDiverged, CaptureFailed, TrackerMissing) as err:
        if main_rank:
            print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # a run folder that exists, cannot be made or written, a full disk
        if main_rank:
            hint = (" (the run cannot write there: choose another --out, or free disk space and resume from "
                    "the last checkpoint)") if err.errno else ""  # the system's words, not one of this project's
            print(f"error: {err}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return interrupted(cfg, main_rank)
    finally:
        dist.cleanup()
    if main_rank:
        print(f"exported {model_dir}")
    return 0


def interrupted(cfg: TrainConfig | None, main_rank: bool) -> int:
    if cfg is None:
        return 130
    if main_rank and checkpoint_path(cfg.out).exists():
        print(f"\ninterrupted: continue from the last checkpoint with the same command plus "
              f"--out {shlex.quote(cfg.out)} --resume", file=sys.stderr)
    elif main_rank:
        print("\ninterrupted before the first checkpoint: rerun the same command to start over", file=sys.stderr)
    return 130


if __name__ == "__main__":
    sys.exit(main())
