"""Translate digits between a translator's two domains.

    python -m gan_models.translate --model pretrained/colorize --images grey.npy --direction a2b --out colour.npy
    python -m gan_models.translate --model pretrained/colorize --images colour.npy --direction b2a --out grey.npy

a2b takes uint8 (N, 28, 28) grey digits and writes uint8 (N, 3, 28, 28) colour ones; b2a the reverse.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from ..hub import ModelLoadError, load_translator
from ..sampling import device_named
from ..translators import DIRECTIONS, translate


def _read(path: Path) -> np.ndarray:
    """The array in a .npy file, or a ValueError saying why it cannot be read (never unpickled)."""
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ValueError(f"--images {path} does not exist") from None
    except (OSError, ValueError, EOFError) as err:
        raise ValueError(f"--images {path} cannot be read as a .npy array ({' '.join(str(err).split())[:200]})"
                         ) from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gan_models.translate", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[1:]))
    p.add_argument("--model", required=True, help="translator folder, run folder, or Hub repo id owner/name[@revision]")
    p.add_argument("--images", required=True, help=".npy of uint8 images of the source domain")
    p.add_argument("--direction", required=True, choices=DIRECTIONS, help="a2b: grey to colour; b2a: colour to grey")
    p.add_argument("--out", required=True, help=".npy to write the translations to")
    p.add_argument("--device", default="cpu", help="torch device to translate on")
    args = p.parse_args(argv)
    out = Path(args.out)
    if out.suffix != ".npy":
        p.error("--out must end in .npy")
    try:
        device_named(args.device)
    except ValueError as err:
        p.error(str(err))
    if not out.parent.is_dir():  # said before the model loads; a mistyped folder is not made
        print(f"error: the folder {out.parent} of --out does not exist: create it, or choose another path",
              file=sys.stderr)
        return 1
    try:
        translator = load_translator(args.model, device=args.device)
        images = translate(translator, _read(Path(args.images)), args.direction).numpy()
    except (ModelLoadError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    try:
        np.save(out, images[:, 0] if images.shape[1] == 1 else images)
    except OSError as err:
        print(f"error: cannot write --out {out} ({err.strerror or err}): choose another path", file=sys.stderr)
        return 1
    print(f"wrote {len(images)} translated digits {images.shape[1:]} to {out}")
    return 0
