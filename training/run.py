"""Train a GAN on MNIST and export it in Hugging Face format.

    python -m training.run --arch dcgan --data-dir ../shared/data --steps 10000 --out runs/dcgan
    python -m training.run --arch dcgan --conditional --time-limit 300
    python -m training.run --arch mlp --loss minimax --steps 500
    python -m training.run --out runs/dcgan --resume                       # continue a killed run, as it was
    torchrun --standalone --nproc_per_node=2 -m training.run --arch dcgan  # several processes (DDP)

The run folder gets samples/step_XXXXXX.png, metrics.jsonl, losses.png, checkpoints/last.pt and,
at the end, model/ (model.safetensors + config.json + README.md + samples.png), loadable by
gan_models.load_generator and pushable to the Hugging Face Hub.
"""

import argparse
import os
import re
import shlex
import sys
import time

from gan_models import list_models, model_config

from . import distributed as dist
from .cuda_graph import CaptureFailed
from .data import DataNotFoundError, data_dir_help
from .device import pick_device
from .losses import LOSSES
from .config import DATASETS, PRECISIONS, TrainConfig, arch_defaults
from .checkpoint import RESUME_MAY_CHANGE, RESUME_MUST_MATCH, CheckpointMismatch, checkpoint_path, saved_config
from .train import TrainingDiverged, train


# With the settings a resume must match or may change, the ones a resumed run keeps when its command leaves them out.
KEPT_ON_RESUME = ("data_dir", "log_every", "sample_every", "checkpoint_every", "eval_every")


def launcher() -> str:
    """How this run was started, for its card: under torchrun, --batch-size is per process."""
    processes, here = dist.world_size(), int(os.environ.get("LOCAL_WORLD_SIZE", dist.world_size()))
    if processes == 1:
        return "python"
    nodes = "--standalone" if processes == here else f"--nnodes={processes // here}"
    return f"torchrun {nodes} --nproc_per_node={here}"


def as_flags(message: str) -> str:
    """A TrainConfig message that opens with a setting's name, with its flag: `lr_decay is` → `--lr-decay is`."""
    name = re.match(r"\w*", message).group()
    return f"--{name.replace('_', '-')}{message[len(name):]}" if name in TrainConfig.__dataclass_fields__ else message


def recipes(key: str) -> str:
    """`dcgan: hinge, mlp: ns`: each architecture's default for one training setting."""
    return ", ".join(f"{name}: {arch_defaults(name)[key]}" for name in list_models())


def widths() -> str:
    """`dcgan: 64`: the default width of each architecture that has one."""
    return ", ".join(f"{name}: {model_config(name)['width']}" for name in list_models()
                     if "width" in model_config(name))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.run", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[1:]),
                                allow_abbrev=False)  # the card's command drops --resume by its name
    p.add_argument("--arch", default="dcgan", choices=list_models(), help="registered architecture")
    p.add_argument("--conditional", action="store_true", help="condition G and D on the digit label")
    p.add_argument("--loss", choices=LOSSES,
                   help="ns: non-saturating; minimax: the original, saturating G loss; hinge; wgan-gp "
                        f"(default: the architecture's recipe: {recipes('loss')})")
    p.add_argument("--dataset", default="mnist", choices=DATASETS,
                   help="stacked-mnist: three digits as RGB channels, 1000 modes")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="generator updates to train for")
    length.add_argument("--epochs", type=float,
                        help="passes over the data (default 5 when neither --steps nor --time-limit is given)")
    p.add_argument("--time-limit", type=float, help="stop after this many seconds of training, then export; "
                   "without --steps or --epochs, the time alone sets the run's length")
    p.add_argument("--batch-size", type=int,
                   help="images per step and process (default: on a CPU, where smaller batches train faster, "
                        "32 with bf16 instructions and 16 without; 128 on a GPU)")
    p.add_argument("--lr", type=float, help="Adam learning rate (default: 2e-4, 1e-4 for wgan-gp, times "
                                            "sqrt(global batch / 128) for global batches above 128, times the "
                                            "architecture's width over --width)")
    p.add_argument("--betas", type=float, nargs=2, metavar=("BETA1", "BETA2"),
                   help="Adam's decay rates (default: 0.5 0.999, 0 0.9 for wgan-gp)")
    p.add_argument("--lr-decay", type=float,
                   help="closing share of the run (of --steps, or of --time-limit) over which the learning rate "
                        f"falls linearly to 0; 0: constant (default: the architecture's recipe: {recipes('lr_decay')})")
    p.add_argument("--top-k", type=float,
                   help="share of each batch of fakes, those D finds most real, that G learns from by the end of "
                        "the --lr-decay share (falling there from 1; Sinha et al., 2020) (default: the "
                        f"architecture's recipe: {recipes('top_k')})")
    p.add_argument("--d-steps", type=int, help="discriminator updates per generator update (default 1, wgan-gp 5)")
    p.add_argument("--latent-dim", type=int, default=100, help="size of the latent vector z")
    p.add_argument("--width", type=int,
                   help="the model's size: channels of D's first layer and G's last hidden one, the others a "
                        "multiple; half the width is about a quarter of the arithmetic per image (default: the "
                        f"architecture's, {widths()}; half of it on a CPU without bf16 instructions, where the "
                        "smaller model reaches good digits sooner)")
    p.add_argument("--codes", type=int, default=0,
                   help="InfoGAN: G reads a categorical code with this many values out of z, and D learns to "
                        "tell it back; 10 lets an unconditional model switch between digits (default 0: none)")
    p.add_argument("--code-weight", type=float, default=1.0,
                   help="weight of that code loss: higher sharpens the digits, lower keeps more of their variety")
    p.add_argument("--code-fade", type=float, default=0.0,
                   help="opening share of the run (of --steps, or of --time-limit) over which the code weight "
                        "falls linearly to 0, after which G keeps the code but not its cost in variety "
                        "(default 0: constant)")
    p.add_argument("--ema", action=argparse.BooleanOptionalAction, default=True,
                   help="export an exponential moving average of G's weights (default: on)")
    p.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction,
                   help="spectral normalisation on D's layers: steadier training, needed for Stacked MNIST "
                        f"(default: the architecture's recipe: {recipes('spectral_norm')})")
    p.add_argument("--ema-decay", type=float, default=0.999,
                   help="the EMA's decay once its warm-up, an average over the last 5%% of the steps so far, "
                        "reaches it (default 0.999: the last 1,000 steps, from step 19,000 on)")
    p.add_argument("--seed", type=int, default=0, help="random seed (data order, noise, initial weights)")
    p.add_argument("--data-dir", help=data_dir_help())
    p.add_argument("--out", help="run folder (default: runs/<arch>-<timestamp>)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint, with its settings where the command "
                        "leaves them out")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1, mps")
    p.add_argument("--precision", default="auto", choices=PRECISIONS,
                   help="auto: bf16 autocast on CUDA and on CPUs with bf16 instructions, fp32 elsewhere")
    p.add_argument("--compile", action="store_true", help="torch.compile G and D (faster after a warm-up)")
    p.add_argument("--cuda-graphs", action=argparse.BooleanOptionalAction, default=True,
                   help="on a GPU, replay each training step as one CUDA graph instead of launching its few "
                        "hundred kernels one by one (default: on; single process, not with --compile, "
                        "wgan-gp, --d-steps above 1 or --top-k)")
    p.add_argument("--log-every", type=int, default=50, help="steps between metric records")
    p.add_argument("--sample-every", type=int, default=500, help="steps between sample grids")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    p.add_argument("--eval-every", type=int, default=0, help="steps between quick quality evaluations (0: never)")
    return p


def given_settings(p: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The settings `argv` names, as argparse dests."""
    unset = object()  # argparse fills in defaults only where the namespace has no value yet
    parsed = p.parse_args(argv, argparse.Namespace(**dict.fromkeys(vars(p.parse_args([])), unset)))
    return {key for key, value in vars(parsed).items() if value is not unset}


def keep_run_settings(p: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str]) -> None:
    """Give a resumed run the settings of its checkpoint that `argv` leaves out: `--out X --resume`
    continues the run as it was. Those for the hardware (--device, --compile, ...) follow this machine."""
    saved = saved_config(checkpoint_path(args.out))
    given = given_settings(p, argv)
    if given & {"steps", "epochs"}:  # a new count replaces the saved one, and the saved time limit with it:
        given |= {"steps", "epochs", "time_limit"}  # `--steps 5000` trains to step 5,000, however long that takes
    for key in RESUME_MUST_MATCH + RESUME_MAY_CHANGE + KEPT_ON_RESUME:
        if key not in given and key in saved:
            setattr(args, key, saved[key])


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    argv = sys.argv[1:] if argv is None else argv
    p = build_parser()
    args = p.parse_args(argv)
    if args.resume and args.out is not None:
        keep_run_settings(p, args, argv)
    try:
        pick_device(args.device)
    except ValueError as err:
        p.error(str(err))
    if args.resume and args.out is None:
        p.error("--resume continues the run in --out: name its folder")
    if args.out is None:
        args.out = f"runs/{args.arch}-{time.strftime('%Y%m%d-%H%M%S')}"
    # The card records the command that reproduces the weights: a resumed run ends where an
    # uninterrupted one would, so --resume is left out.
    given = [a for a in argv if a != "--resume"]
    try:
        cfg = TrainConfig(**vars(args))
    except ValueError as err:  # a setting out of its range, at odds with another, or with the recipe
        p.error(as_flags(str(err)))
    for name in ("batch_size", "width"):  # their defaults depend on the device: the command names those taken
        if getattr(args, name) is None and getattr(cfg, name) is not None:
            given += [f"--{name.replace('_', '-')}", str(getattr(cfg, name))]
    cfg.command = f"{launcher()} -m training.run {shlex.join(given)}"
    return cfg


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    main_rank = int(os.environ.get("RANK", "0")) == 0
    try:
        model_dir = train(cfg)
    except (DataNotFoundError, CheckpointMismatch, TrainingDiverged, CaptureFailed) as err:
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
        if not main_rank:
            return 130
        if checkpoint_path(cfg.out).exists():
            print(f"\ninterrupted: continue from the last checkpoint with the same command plus "
                  f"--out {shlex.quote(cfg.out)} --resume", file=sys.stderr)
        else:
            print("\ninterrupted before the first checkpoint: rerun the same command to start over", file=sys.stderr)
        return 130
    finally:
        dist.cleanup()
    if main_rank:
        print(f"exported {model_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
