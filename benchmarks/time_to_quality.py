"""Time to good digits: train DCGAN for a wall-clock budget, then score it with the evaluator.

    python benchmarks/time_to_quality.py --budget 300 --data-dir ../shared/data          # 5 minutes on this machine
    python benchmarks/time_to_quality.py --budget 30 --device cuda                        # on a GPU

Prints the steps reached, the images seen and the evaluator's metrics as a markdown table, and
keeps the run folder (samples, metrics, model) under --out.
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from gan_models import list_models, load_generator, read_card
from training.evaluate import MIN_N, evaluate_generator
from training.config import TrainConfig
from training.device import describe_device, pick_device
from training.flags import add_settings, as_flags, script_parser
from training.train import train

COLUMNS = ("modes", "kl", "precision", "recall", "fd", "is", "confidence", "label_accuracy")


# The training settings this benchmark takes, flags made as training.run makes them.
SETTINGS = ["arch", "conditional", "batch_size", "lr", "lr_decay", "width", "codes", "code_weight", "code_fade",
            "ema", "seed", "device", "compile", "cuda_graphs", "data_dir", "time_limit", "out"]


def build_parser() -> argparse.ArgumentParser:
    p = script_parser("python benchmarks/time_to_quality.py", __doc__)
    add_settings(p, SETTINGS, renamed={"time_limit": "--budget"},
                 defaults={"time_limit": 300.0, "data_dir": "../shared/data",
                           "out": f"runs/time-to-quality-{time.strftime('%Y%m%d-%H%M%S')}"},
                 choices={"arch": list_models()})  # it scores digits drawn from noise
    p.add_argument("--n", type=int, default=10_000, help="samples to score")
    return p


def main() -> None:
    p = build_parser()
    args = p.parse_args()

    if args.n < MIN_N:  # found out before the training, not after it
        p.error(f"--n must be at least {MIN_N}")
    command = "python benchmarks/time_to_quality.py " + shlex.join(sys.argv[1:])
    start = time.monotonic()
    try:
        device = pick_device(args.device)
        settings = {k: v for k, v in vars(args).items() if k in SETTINGS}
        cfg = TrainConfig(**settings, sample_every=10**9, checkpoint_every=10**9, checkpoint_seconds=1e9,
                          command=command)
    except ValueError as err:  # a device it lacks or a setting out of range: a sentence naming the flag
        p.error(as_flags(str(err)).replace("--time-limit", "--budget"))
    name = describe_device(device)
    model_dir = train(cfg)
    wall = time.monotonic() - start
    steps = read_card(model_dir).data.steps
    scores = evaluate_generator(load_generator(model_dir, device=device), n=args.n, data_dir=args.data_dir)
    (Path(args.out) / "eval.json").write_text(json.dumps(scores, indent=2) + "\n")

    width = f" width {cfg.width}" if cfg.width else ""
    print(f"\n{args.arch}{width}{' conditional' if args.conditional else ''} on {name}, budget {args.time_limit:g} s "
          f"(wall {wall:.0f} s with start-up and export), batch {cfg.batch_size}, {steps} steps, "
          f"{steps * cfg.batch_size:,} images\n")
    cols = [c for c in COLUMNS if c in scores]
    print("| " + " | ".join(cols) + " |")
    print("|" + " --- |" * len(cols))
    print("| " + " | ".join(f"{scores[c]:.4g}" if isinstance(scores[c], float) else str(scores[c]) for c in cols) + " |")
    print("\nshare of each digit: " + "  ".join(f"{d}:{s:.1%}" for d, s in enumerate(scores["hist"])))


if __name__ == "__main__":
    main()
