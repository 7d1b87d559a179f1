"""Finding MNIST test digits in a model's latent space: how often the reconstruction is still the digit.

    python benchmarks/inversion.py --data-dir ../shared/data                    # 1,000 digits, dcgan and cdcgan
    python benchmarks/inversion.py --data-dir ../shared/data --n 100 --steps 100 --restarts 20
    python benchmarks/inversion.py --models pretrained/cdcgan --n 100 --timed 0  # no one-at-a-time timing

Each model inverts the first --n test digits, --batch at a time, with the recipe the flags give
(gan_models.invert's defaults without them). The shipped classifier reads each reconstruction:
"read as the digit" is the share it reads as the test digit's label. "pixel error" is the mean
absolute difference from the test digit, 0 to 1. "s/digit batched" is the wall time of those
batches over --n; "s/digit alone" times --timed digits inverted one per call, as the app does.
"""

import argparse
import sys
import time

import torch

from gan_models import ModelLoadError, load_generator
from gan_models.invert import add_recipe_flags, invert, recipe_from
from training.classifier import ClassifierLoadError, embed, load_classifier
from training.data import DataNotFoundError, data_dir_help, load_mnist
from training.flags import script_parser

MODELS = ("pretrained/dcgan", "pretrained/cdcgan")


def measure(source: str, digits: torch.Tensor, labels: torch.Tensor, args: argparse.Namespace) -> dict:
    """One table row: the share read as the true digit, pixel error and seconds per digit of one model."""
    generator = load_generator(source)
    recipe = recipe_from(args)
    t0 = time.perf_counter()
    chunks = [invert(generator, digits[i:i + args.batch].numpy(), args.seed, recipe).images
              for i in range(0, len(digits), args.batch)]
    batched = (time.perf_counter() - t0) / len(digits)
    recon = torch.cat(chunks)
    _, probs = embed(load_classifier(), recon)
    alone = []
    for digit in digits[:args.timed]:
        t0 = time.perf_counter()
        invert(generator, digit[None].numpy(), args.seed, recipe)
        alone.append(time.perf_counter() - t0)
    return {"model": source, "n": len(digits), "read": (probs.argmax(1) == labels).float().mean().item(),
            "error": (recon.float() - digits.float()).abs().mean().item() / 255, "batched": batched,
            "alone": sum(alone) / len(alone) if alone else None}


def markdown_table(rows: list[dict], args: argparse.Namespace) -> str:
    """The rows, with the recipe and thread count they ran with in a line above."""
    recipe = recipe_from(args)
    lines = [f"recipe: {recipe}; torch threads: {torch.get_num_threads()}", "",
             "| model | digits | read as the digit | pixel error | s/digit batched | s/digit alone |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        alone = "" if r["alone"] is None else f"{r['alone']:.2f}"
        lines.append(f"| {r['model']} | {r['n']} | {r['read']:.1%} | {r['error']:.4f} | {r['batched']:.3f} | {alone} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = script_parser("python benchmarks/inversion.py", __doc__)
    p.add_argument("--models", nargs="+", default=list(MODELS), help="model folders or Hub repo ids to invert with")
    p.add_argument("--n", type=int, default=1000, help="MNIST test digits to invert, from the first")
    p.add_argument("--batch", type=int, default=100, help="digits per invert call in the accuracy run")
    p.add_argument("--timed", type=int, default=10, help="digits timed one per call, as the app inverts a drawing")
    p.add_argument("--seed", type=int, default=0, help="seed of the inversions' starts")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--data-dir", default=None, help=data_dir_help())
    add_recipe_flags(p)
    args = p.parse_args(argv)
    for name in ("n", "batch"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.timed < 0 or (args.threads is not None and args.threads < 1):
        p.error("--timed must be at least 0 and --threads at least 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        recipe_from(args)
        digits, labels = load_mnist(args.data_dir, train=False)
        rows = [measure(source, digits[:args.n], labels[:args.n], args) for source in args.models]
    except (ModelLoadError, ClassifierLoadError, DataNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(markdown_table(rows, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
