"""How much of a run G's EMA should average: one run per seed keeps several EMAs side by side.

    python benchmarks/ema_shares.py --data-dir ../shared/data --steps 7400 --seeds 0 1
    python benchmarks/ema_shares.py --data-dir ../shared/data --steps 50 --n 500   # a smoke test

Each EMA averages about the last `share` of the steps so far: its decay after step t is
(1 + t) / (1 / share + t), capped at --ema-decay (training.schedule.ema_decay; training.run's share is 5 %).
At the end G and each EMA are scored as an export is: BatchNorm statistics recalibrated, then
--n samples against the MNIST test set (training.evaluate). Prints a Markdown table, a column pair
per seed.
"""

import copy
import sys

import torch

from gan_models import list_models, unwrap
from training import TrainConfig, Trainer
from training.data import DataNotFoundError, data_dir_help
from training.evaluate import evaluate_generator
from training.flags import script_parser
from training.schedule import ema_decay
from training.stabilize import recalibrate_batchnorm, update_ema

SHARES = (0.25, 1 / 9, 0.05, 1 / 38, 1 / 77)  # 1 / 20 is training.run's
COLUMNS = {"fd": "{:.1f}", "precision": "{:.3f}", "recall": "{:.3f}"}


def train_with_emas(args, seed: int) -> dict[str, torch.nn.Module]:
    """One run of the architecture's recipe; G itself and an EMA per share at its end."""
    trainer = Trainer(TrainConfig(arch=args.arch, steps=args.steps, seed=seed, data_dir=args.data_dir,
                                  ema=False, device="cpu"))
    G = unwrap(trainer.G)
    emas = {share: copy.deepcopy(G).eval().requires_grad_(False) for share in SHARES}
    while not trainer.finished():
        trainer.train_step()
        for share, ema in emas.items():
            update_ema(ema, G, ema_decay(trainer.step_count - 1, args.ema_decay, share))
    return {"G itself": copy.deepcopy(G), **{f"the last {share:.1%}": ema for share, ema in emas.items()}}


def scored(model: torch.nn.Module, args, seed: int) -> dict:
    recalibrate_batchnorm(model, seed=seed + 777)
    return evaluate_generator(model.eval(), n=args.n, seed=0, data_dir=args.data_dir)


def markdown_table(results: dict[int, dict[str, dict]]) -> str:
    seeds = list(results)
    per_seed = " / ".join(str(s) for s in seeds)
    lines = ["| generator | " + " | ".join(f"{c}, seed {per_seed}" for c in COLUMNS) + " |",
             "| --- |" + " ---: |" * len(COLUMNS)]
    for name in results[seeds[0]]:
        cells = [" / ".join(form.format(results[s][name][c]) for s in seeds) for c, form in COLUMNS.items()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = script_parser("python benchmarks/ema_shares.py", __doc__)
    p.add_argument("--arch", default="dcgan", choices=list_models(), help="architecture, trained with its recipe")
    p.add_argument("--steps", type=int, default=7400, help="steps of each run")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="one run per seed")
    p.add_argument("--ema-decay", type=float, default=0.999, help="the cap of every EMA's decay")
    p.add_argument("--n", type=int, default=10_000, help="samples scored per generator")
    p.add_argument("--data-dir", help=data_dir_help())
    args = p.parse_args(argv)
    if args.steps < 1 or args.n < 100:
        p.error("--steps must be at least 1 and --n at least 100")
    try:
        results = {seed: {name: scored(model, args, seed) for name, model in train_with_emas(args, seed).items()}
                   for seed in args.seeds}
    except DataNotFoundError as err:
        p.exit(1, f"error: {err}\n")
    print(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
