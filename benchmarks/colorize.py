"""What the cycle loss does: every bundled translator scored on MNIST's test digits, beside the floor of
real digits scored the same way (training/translation_metrics.py says how each score is made).

    python benchmarks/colorize.py --data-dir ../shared/data                  # every translator in pretrained/
    python benchmarks/colorize.py --data-dir ../shared/data --update-cards   # and write the scores into their cards
    python benchmarks/colorize.py --models pretrained/colorize --n 2000 --data-dir ../shared/data

Columns: shape kept (A → B read by the colour classifier as the source digit), FD B (A → B against the
colour test digits, in the colour classifier's features), round trip (A → B → A read by the MNIST
classifier as the source digit) and its pixel error (0 to 1), B → A (read by the MNIST classifier) and
its pixel error against the grey original, FD A (B → A against MNIST's test digits). The real row
scores real digits: the colour and grey test digits as read by each classifier, and real training
digits for the FDs.
"""

import argparse
import sys
from pathlib import Path

from gan_models import ModelLoadError, is_translator, load_translator, resolve_source
from training.classifier import ClassifierLoadError
from training.colour import load_domains
from training.data import DataNotFoundError, data_dir_help
from training.report import update_card_metrics
from training.translation_metrics import real_scores, translation_scores
from training.flags import script_parser

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"
COLUMNS = {"shape_kept": "shape kept", "fd_b": "FD B", "round_trip": "round trip", "round_trip_error": "round-trip error",
           "b2a_accuracy": "B → A", "b2a_error": "B → A error", "fd_a": "FD A"}
PERCENT = ("shape_kept", "round_trip", "b2a_accuracy")


def cell(key: str, value) -> str:
    if value is None:
        return "–"
    return f"{value:.2%}" if key in PERCENT else f"{value:.3g}"


def markdown_table(rows: dict[str, dict]) -> str:
    """One line per translator, the real digits' first."""
    lines = ["| translator | " + " | ".join(COLUMNS.values()) + " |", "| --- |" + " ---: |" * len(COLUMNS)]
    lines += [f"| {name} | " + " | ".join(cell(k, row.get(k)) for k in COLUMNS) + " |" for name, row in rows.items()]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = script_parser("python benchmarks/colorize.py", __doc__)
    p.add_argument("--models", nargs="+", type=Path, help="translator folders (default: every one in pretrained/)")
    p.add_argument("--n", type=int, default=10_000, help="test digits to translate (default: all %(default)s)")
    p.add_argument("--data-dir", help=data_dir_help())
    p.add_argument("--update-cards", action="store_true", help="write each translator's scores into its card")
    args = p.parse_args(argv)
    if not 1 <= args.n <= 10_000:
        p.error("--n must be a whole number from 1 to 10000 (MNIST's test digits)")
    args.models = args.models or sorted(f.parent for f in PRETRAINED.glob("*/config.json") if is_translator(f.parent))
    if not args.models:
        p.error(f"no translator in {PRETRAINED}: name one with --models")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        domains = load_domains(args.data_dir)
        rows = {"real digits (floor)": real_scores(domains, args.n)}
        for folder in args.models:
            rows[folder.name] = translation_scores(load_translator(folder), domains, args.n)
            print(f"  scored {folder}", file=sys.stderr, flush=True)
        print(f"{args.n:,} MNIST test digits, translated by each translator\n")
        print(markdown_table(rows))
        if args.update_cards:  # once every translator is scored
            for folder in args.models:
                card = resolve_source(folder)
                update_card_metrics(card, rows[folder.name])
                print(f"updated {card / 'README.md'}")
    except (ModelLoadError, ClassifierLoadError, DataNotFoundError, ValueError, OSError) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
