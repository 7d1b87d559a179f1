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
from training.run import as_flags
from training.train import train

COLUMNS = ("modes", "kl", "precision", "recall", "fd", "is", "confidence", "label_accuracy")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--budget", type=float, default=300, help="training wall-clock seconds")
    p.add_argument("--arch", default="dcgan", choices=list_models(), help="registered architecture")
    p.add_argument("--conditional", action="store_true", help="train a class-conditional model")
    p.add_argument("--batch-size", type=int, help="images per step (default: training.run's, 16 or 32 on a CPU, 128 on a GPU)")
    p.add_argument("--lr", type=float,
                   help="Adam learning rate (default: training.run's rule for the loss, batch and width)")
    p.add_argument("--lr-decay", type=float, help="closing share of the budget over which the learning rate "
                                                  "falls to 0 (default: the architecture's recipe)")
    p.add_argument("--width", type=int,
                   help="the model's size, as in training.run (default: training.run's, half the architecture's "
                        "on a CPU without bf16)")
    p.add_argument("--codes", type=int, default=0, help="InfoGAN latent code categories (default 0: none)")
    p.add_argument("--code-weight", type=float, default=1.0, help="weight of the code loss (default 1)")
    p.add_argument("--code-fade", type=float, default=0.0,
                   help="opening share of the budget over which the code weight falls to 0 (default 0: constant)")
    p.add_argument("--ema", action=argparse.BooleanOptionalAction, default=True, help="export the EMA of G")
    p.add_argument("--seed", type=int, default=0, help="seed of the training run")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--compile", action="store_true", help="torch.compile G and D")
    p.add_argument("--cuda-graphs", action=argparse.BooleanOptionalAction, default=True,
                   help="replay each step as one CUDA graph on a GPU (default: on, as in training.run)")
    p.add_argument("--n", type=int, default=10_000, help="samples to score")
    p.add_argument("--data-dir", default="../shared/data", help="folder holding MNIST/raw/")
    p.add_argument("--out", default=f"runs/time-to-quality-{time.strftime('%Y%m%d-%H%M%S')}", help="run folder")
    args = p.parse_args()

    if args.n < MIN_N:  # found out before the training, not after it
        p.error(f"--n must be at least {MIN_N}")
    command = "python benchmarks/time_to_quality.py " + shlex.join(sys.argv[1:])
    start = time.monotonic()
    try:
        device = pick_device(args.device)
        cfg = TrainConfig(arch=args.arch, conditional=args.conditional, time_limit=args.budget,
                          batch_size=args.batch_size, ema=args.ema, lr=args.lr, lr_decay=args.lr_decay,
                          width=args.width, codes=args.codes, code_weight=args.code_weight, code_fade=args.code_fade,
                          seed=args.seed, device=args.device, compile=args.compile, cuda_graphs=args.cuda_graphs,
                          data_dir=args.data_dir, out=args.out, sample_every=10**9, checkpoint_every=10**9,
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
    print(f"\n{args.arch}{width}{' conditional' if args.conditional else ''} on {name}, budget {args.budget:g} s "
          f"(wall {wall:.0f} s with start-up and export), batch {cfg.batch_size}, {steps} steps, "
          f"{steps * cfg.batch_size:,} images\n")
    cols = [c for c in COLUMNS if c in scores]
    print("| " + " | ".join(cols) + " |")
    print("|" + " --- |" * len(cols))
    print("| " + " | ".join(f"{scores[c]:.4g}" if isinstance(scores[c], float) else str(scores[c]) for c in cols) + " |")
    print("\nshare of each digit: " + "  ".join(f"{d}:{s:.1%}" for d, s in enumerate(scores["hist"])))


if __name__ == "__main__":
    main()
