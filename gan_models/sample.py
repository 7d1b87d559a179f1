"""Draw digits from a trained generator.

    python -m gan_models.sample --model pretrained/dcgan --n 10000 --seed 0 --out digits.npy
    python -m gan_models.sample --model owner/name@main --n 64 --label 7 --out sevens.png
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from .hub import ModelLoadError, load_generator
from .sampling import device_named, generate, grid, to_pil


def _values(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, such as 0.5,-1; got {text!r}") from None


def _missing(folder: Path) -> bool:
    try:
        return not folder.exists()
    except OSError:  # a folder it may not look into: the write says why
        return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gan_models.sample", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="model folder, run folder, or Hub repo id owner/name[@revision]")
    p.add_argument("--n", type=int, default=64, help="number of digits to draw")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same digits")
    p.add_argument("--label", type=int, default=None, help="digit to draw (conditional models only)")
    p.add_argument("--truncation", type=float, default=None, help="truncation threshold for latents (e.g. 1.0)")
    p.add_argument("--continuous", type=_values, default=None, metavar="C1,C2",
                   help="an InfoGAN's continuous codes for every sample, comma-separated, each from -1 to 1")
    p.add_argument("--out", required=True,
                   help=".npy for a uint8 array (N, 28, 28), or (N, 3, 28, 28) for RGB models; .png for a grid")
    p.add_argument("--device", default="cpu", help="torch device to sample on")
    args = p.parse_args(argv)

    out = Path(args.out)
    if out.suffix not in {".npy", ".png"}:
        p.error("--out must end in .npy (an array) or .png (a grid)")
    if args.n < 1:
        p.error("--n must be at least 1")
    try:
        device_named(args.device)
    except ValueError as err:
        p.error(str(err))
    if _missing(out.parent):  # said before the model loads; a mistyped folder is not made
        print(f"error: the folder {out.parent} of --out does not exist: create it, or choose another path",
              file=sys.stderr)
        return 1
    try:
        generator = load_generator(args.model, device=args.device)
        images = generate(generator, args.n, args.seed, args.label, args.truncation, continuous=args.continuous)
    except (ModelLoadError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError) as err:  # the allocator's for an --n beyond memory, or the device's
        memory = isinstance(err, MemoryError) or "allocate" in str(err)
        print(f"error: {' '.join(str(err).split())[:300]}" + (": ask for fewer digits (--n)" if memory else ""),
              file=sys.stderr)
        return 1
    try:
        if out.suffix == ".npy":
            array = images.numpy()
            np.save(out, array[:, 0] if array.shape[1] == 1 else array)
        else:
            to_pil(grid(images)).save(out)
    except OSError as err:  # a folder of that name, a file where a folder should be, no permission, a full disk
        print(f"error: cannot write --out {out} ({err.strerror or err}: {err.filename}): choose another path",
              file=sys.stderr)
        return 1
    print(f"wrote {args.n} digits to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
