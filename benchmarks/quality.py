"""Sample quality of every architecture × loss after the same short training budget.

    python benchmarks/quality.py --data-dir ../shared/data                  # 300 steps each
    python benchmarks/quality.py --data-dir ../shared/data --steps 20 --n 1000   # a smoke test
    python benchmarks/quality.py --arch dcgan --losses ns minimax --steps 1000  # a subset, longer

Every pair trains through training.train.train into a temporary folder and is scored by
training.evaluate; the first row is real training digits, the floor. Writes quality.md (the
table, also printed), quality.json and grad_norm.png (G's gradient norm over the first steps,
minimax against non-saturating) to --out.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402

from gan_models import list_models, load_generator  # noqa: E402
from training.evaluate import evaluate_generator, evaluate_real  # noqa: E402
from training.flags import add_settings, script_parser  # noqa: E402
from training.losses import list_losses  # noqa: E402
from training.report import read_metrics  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.train import TrainingDiverged, train  # noqa: E402

COLUMNS = ("fd", "is", "modes", "kl", "precision", "recall", "confidence")


def run_pair(arch: str, loss: str, args: argparse.Namespace, root: Path) -> dict:
    """Train one architecture with one loss for the budget, then score it; a divergence is a row too."""
    out = root / f"{arch}-{loss}"
    cfg = TrainConfig(arch=arch, loss=loss, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                      data_dir=args.data_dir, out=str(out), device=args.device, log_every=args.log_every,
                      sample_every=args.steps, checkpoint_every=args.steps, checkpoint_seconds=1e9,
                      command=f"benchmarks/quality.py --arch {arch} --loss {loss} --steps {args.steps}")
    t0 = time.monotonic()
    row = {"arch": arch, "loss": loss, "steps": args.steps}
    try:
        model_dir = train(cfg)
        row["train_s"] = time.monotonic() - t0
        generator = load_generator(model_dir, device=args.device)
        row.update(evaluate_generator(generator, args.n, args.seed, args.data_dir))
    except TrainingDiverged:
        row["train_s"] = time.monotonic() - t0
        row["diverged"] = True
    records = [r for r in read_metrics(out / "metrics.jsonl") if "g_grad_norm" in r]
    row["g_grad_norm"] = [[r["step"], r["g_grad_norm"]] for r in records]
    return row


def markdown_table(rows: list[dict]) -> str:
    """One line per run, metrics rounded; diverged runs say so."""
    lines = ["| arch | loss | steps | train s | " + " | ".join(COLUMNS) + " |",
             "| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in COLUMNS) + " |"]
    for row in rows:
        if row.get("diverged"):
            cells = ["diverged"] + [""] * (len(COLUMNS) - 1)
        else:
            cells = [f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in COLUMNS]
        train_s = f"{row['train_s']:.0f}" if "train_s" in row else ""
        lines.append(f"| {row['arch']} | {row['loss']} | {row.get('steps', '')} | {train_s} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_grad_norms(rows: list[dict], out: Path) -> None:
    """G's gradient norm against step, one panel per architecture, minimax against non-saturating."""
    archs = sorted({r["arch"] for r in rows if r["loss"] in ("minimax", "ns") and r.get("g_grad_norm")})
    if not archs:
        return
    fig, axes = plt.subplots(1, len(archs), figsize=(5 * len(archs), 3.5), squeeze=False)
    for ax, arch in zip(axes[0], archs):
        for row in rows:
            if row["arch"] == arch and row["loss"] in ("minimax", "ns") and row["g_grad_norm"]:
                steps, norms = zip(*row["g_grad_norm"])
                ax.plot(steps, norms, label={"ns": "non-saturating", "minimax": "minimax"}[row["loss"]])
        ax.set_yscale("log")
        ax.set_title(arch)
        ax.set_xlabel("step")
        ax.set_ylabel("‖∇G‖")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = script_parser("python benchmarks/quality.py", __doc__)
    p.add_argument("--steps", type=int, default=300, help="generator updates per architecture × loss")
    p.add_argument("--arch", "--archs", dest="archs", nargs="+", default=list_models(), choices=list_models(),
                   help="architectures to train")
    p.add_argument("--losses", nargs="+", default=list_losses(), choices=list_losses(), help="losses to train with")
    p.add_argument("--n", type=int, default=10_000, help="samples scored per model (and real digits in the floor row)")
    add_settings(p, ["batch_size", "log_every", "seed", "data_dir", "device"],
                 defaults={"batch_size": 128, "log_every": 5, "device": "cpu"})
    p.add_argument("--out", default="runs/quality", help="folder for quality.md, quality.json and grad_norm.png")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rows = [{"arch": "real data", "loss": "", **evaluate_real(args.n, args.seed, args.data_dir)}]
    with tempfile.TemporaryDirectory(prefix="digitgan-quality-") as tmp:
        for arch in args.archs:
            for loss in args.losses:
                print(f"== {arch} / {loss}: {args.steps} steps", flush=True)
                rows.append(run_pair(arch, loss, args, Path(tmp)))

    table = markdown_table(rows)
    print(table)
    (out / "quality.md").write_text(f"{args.steps} steps each, {args.n} samples scored\n\n{table}\n")
    (out / "quality.json").write_text(json.dumps(rows, indent=1) + "\n")
    plot_grad_norms(rows, out / "grad_norm.png")
    print(f"wrote {out / 'quality.md'}, {out / 'quality.json'} and {out / 'grad_norm.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
