"""Find digits in a trained generator's latent space.

    python -m gan_models.invert --model pretrained/cdcgan --images digits.npy --out recon.npy
    python -m gan_models.invert --model pretrained/dcgan --images drawing.png --out side-by-side.png --latents z.npy
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from ..drawing import read_digits
from ..hub import ModelLoadError, load_generator
from ..sampling import device_named, grid, to_pil
from . import Inversion, add_recipe_flags, invert, recipe_from


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gan_models.invert", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="model folder, run folder, or Hub repo id owner/name[@revision]")
    p.add_argument("--images", required=True, nargs="+", metavar="FILE",
                   help=".npy files of uint8 (N, 28, 28) digits, or images of one drawing each (made MNIST-style)")
    p.add_argument("--out", required=True,
                   help=".npy: the reconstructions, uint8 (N, 28, 28); .png: each input beside its reconstruction")
    p.add_argument("--latents", default=None,
                   help=".npy: the latents (N, latent_dim); .npz: z and, for a conditional model, labels")
    p.add_argument("--seed", type=int, default=0, help="random seed of the starts; the same seed gives the same result")
    add_recipe_flags(p)
    p.add_argument("--device", default="cpu", help="torch device to invert on")
    return p


def main(argv: list[str] | None = None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    out, latents = Path(args.out), args.latents and Path(args.latents)
    if out.suffix not in {".npy", ".png"}:
        p.error("--out must end in .npy (an array) or .png (a grid)")
    if latents and latents.suffix not in {".npy", ".npz"}:
        p.error("--latents must end in .npy (the latents) or .npz (latents and label weights)")
    try:
        recipe = recipe_from(args)
        digits = np.concatenate([read_digits(path) for path in args.images])
        generator = load_generator(args.model, device=device_named(args.device))
        result = invert(generator, digits, args.seed, recipe)
    except (ModelLoadError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError) as err:  # the allocator's, for more digits × restarts than memory holds
        memory = isinstance(err, MemoryError) or "allocate" in str(err)
        print(f"error: {' '.join(str(err).split())[:300]}" + (": invert fewer digits at a time" if memory else ""),
              file=sys.stderr)
        return 1
    try:
        _write(out, latents, digits, result)
    except OSError as err:  # a folder of that name, a file where a folder should be, no permission, a full disk
        print(f"error: cannot write {err.filename} ({err.strerror or err}): choose another path", file=sys.stderr)
        return 1
    print(f"wrote {len(digits)} reconstructions to {out} (mean distance {result.losses.mean():.4f})")
    return 0


def _write(out: Path, latents: Path | None, digits: np.ndarray, result: Inversion) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npy":
        np.save(out, result.images.numpy())
    else:  # each input beside its reconstruction, eight pairs to a row
        pairs = torch.stack([torch.from_numpy(digits), result.images], 1).reshape(-1, 1, 28, 28)
        to_pil(grid(pairs, nrow=2 * min(8, len(digits)))).save(out)
    if latents is None:
        return
    latents.parent.mkdir(parents=True, exist_ok=True)
    z = result.latents.numpy().astype(np.float32)
    if latents.suffix == ".npy":
        np.save(latents, z)
    else:
        np.savez(latents, z=z, **({} if result.labels is None else {"labels": result.labels.numpy()}))


if __name__ == "__main__":
    sys.exit(main())
