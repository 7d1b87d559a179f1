"""Which truncation shows each bundled model at its best: precision, recall and FD at each one.

    python benchmarks/truncation.py --data-dir ../shared/data                  # every model in pretrained/
    python benchmarks/truncation.py --data-dir ../shared/data --update-cards   # and write each card's default
    python benchmarks/truncation.py --models pretrained/dcgan --n 2000 --truncations 2 1

Each model is scored by training.evaluate untruncated ("off") and at each --truncations value, from
the same seed. The rule: the default is the truncation with the highest precision (fewest samples
unlike any real digit) among those whose recall (variety) stays within --recall-slack of the
untruncated recall, off where that is off itself. FD is shown, not used: it counts the narrower
spread of truncated samples against them however clean each digit is. Stacked MNIST models are
scored by modes and KL, with no precision and recall to weigh: they stay untruncated.
--update-cards writes `default_truncation` (null: none) and a sentence into each model's card.
"""

import argparse
import sys
from pathlib import Path

from gan_models import ModelLoadError, is_translator, load_generator, resolve_source
from training.data import DataNotFoundError, data_dir_help
from training.evaluate import MIN_N, STACKED_N, evaluate_generator, evaluate_stacked
from training.report import update_card_truncation
from training.flags import script_parser

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"
TRUNCATIONS = (3.0, 2.5, 2.0, 1.5, 1.25, 1.0, 0.75, 0.5)
RULE = "the highest precision of the truncations whose recall stays within {slack:g} of the untruncated recall"
SINGLE_N = 10_000  # evaluate's default for single digits
COLUMNS = ("fd", "precision", "recall", "is", "kl", "modes", "confidence", "label_accuracy")


def pick_default(rows: list[dict], slack: float) -> float | None:
    """The truncation with the highest precision whose recall is within `slack` of the untruncated
    row's (the one whose truncation is None); None where that is the untruncated row itself."""
    off = next(r for r in rows if r["truncation"] is None)
    kept = [r for r in rows if r["recall"] >= off["recall"] - slack]
    return max(kept, key=lambda r: (r["precision"], r["truncation"] is None))["truncation"]


def why(default: float | None, stacked: bool, slack: float) -> str:
    """The card's reason for `default`, in the rule's words."""
    if stacked:
        return "Stacked MNIST is scored by modes and KL, with no precision and recall to weigh a truncation by"
    measured = "measured by `python benchmarks/truncation.py`"
    if default is None:
        return (f"no truncation gave a higher precision with recall within {slack:g} of the untruncated recall "
                f"({measured})")
    return f"{RULE.format(slack=slack)} ({measured})"


def score_model(folder: Path, args: argparse.Namespace) -> tuple[list[dict], bool]:
    """The model's rows, untruncated first, and whether it is a Stacked MNIST model."""
    generator = load_generator(folder, device=args.device)
    stacked = getattr(generator, "channels", 1) == 3
    rows = []
    for t in (None, *args.truncations):
        if stacked:
            scores = evaluate_stacked(generator, args.n or STACKED_N, args.seed, args.data_dir, args.device, t)
        else:
            scores = evaluate_generator(generator, args.n or SINGLE_N, args.seed, args.data_dir, t)
        rows.append({"model": folder, "truncation": t, **scores})
        print(f"  {folder.name} at truncation {shown(t)}: " + ", ".join(
            f"{k} {scores[k]:.4g}" for k in COLUMNS if k in scores), file=sys.stderr, flush=True)
    return rows, stacked


def shown(truncation: float | None) -> str:
    return "off" if truncation is None else f"{truncation:g}"


def markdown_table(rows: list[dict], defaults: dict[Path, float | None]) -> str:
    """One line per model and truncation; the default's line is marked."""
    lines = ["| model | truncation | " + " | ".join(COLUMNS) + " | default |",
             "| --- | ---: | " + " | ".join("---:" for _ in COLUMNS) + " | :---: |"]
    for r in rows:
        cells = [f"{r[c]:.4g}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in COLUMNS]
        mark = "✓" if defaults[r["model"]] == r["truncation"] else ""
        lines.append(f"| {r['model'].name} | {shown(r['truncation'])} | " + " | ".join(cells) + f" | {mark} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = script_parser("python benchmarks/truncation.py", __doc__)
    p.add_argument("--models", nargs="+", type=Path, help="model folders (default: every one in pretrained/)")
    p.add_argument("--truncations", nargs="+", type=float, default=list(TRUNCATIONS),
                   help="truncations to score besides none (default: %(default)s)")
    p.add_argument("--recall-slack", type=float, default=0.05,
                   help="how far below the untruncated recall a default's recall may be (default: %(default)s)")
    p.add_argument("--n", type=int, help=f"samples per score (default: {SINGLE_N}; {STACKED_N} for Stacked MNIST)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and the real subsets")
    p.add_argument("--data-dir", help=data_dir_help())
    p.add_argument("--device", default="cpu", help="torch device for the generators and the classifier")
    p.add_argument("--update-cards", action="store_true", help="write each model's default into its card")
    args = p.parse_args(argv)
    if not all(t > 0 for t in args.truncations):  # NaN fails too
        p.error("--truncations must be numbers above 0 (untruncated is always scored)")
    if not args.recall_slack >= 0:
        p.error("--recall-slack must be a number, 0 or more")
    if args.n is not None and args.n < MIN_N:
        p.error(f"--n must be at least {MIN_N}")
    args.models = args.models or sorted(f.parent for f in PRETRAINED.glob("*/config.json")
                                        if not is_translator(f.parent))  # translators have benchmarks/colorize.py
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows, defaults, stacked = [], {}, {}
    try:
        for folder in args.models:
            model_rows, stacked[folder] = score_model(folder, args)
            defaults[folder] = None if stacked[folder] else pick_default(model_rows, args.recall_slack)
            rows += model_rows
        n = f"{args.n:,}" if args.n else f"{SINGLE_N:,} ({STACKED_N:,} for Stacked MNIST)"
        print(f"{n} samples per score, seed {args.seed}; default: {RULE.format(slack=args.recall_slack)}, else off\n")
        print(markdown_table(rows, defaults))
        if args.update_cards:  # once every model is scored
            for folder, default in defaults.items():
                card = resolve_source(folder)  # a run folder's model is in model/
                update_card_truncation(card, default, why(default, stacked[folder], args.recall_slack))
                print(f"updated {card / 'README.md'}: default_truncation {shown(default)}")
    except (ModelLoadError, DataNotFoundError, ValueError, OSError) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
