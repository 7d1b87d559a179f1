"""A free drawing → an MNIST digit, made the way MNIST made its digits from NIST's: the digit scaled to
fit a 20x20 box, aspect ratio kept, anti-aliased, then placed in 28x28 by its centre of mass."""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

BOX, FIELD = 20, 28  # MNIST's digit box and field
CENTRE = 14.0  # where MNIST's centres of mass lie, in pixel indices (their mean over the training set)
WORK = 160  # long side of the drawing while its strokes are thickened or thinned: 8 working pixels to an MNIST one
# Stroke width as stroke_width measures it: MNIST training digits' 1st, 50th and 99th percentiles.
THIN, TYPICAL, THICK = 1.18, 1.96, 3.6
FULL = 0.6  # share of the 20x20 box that inks above it: beyond MNIST's 99.9th percentile (0.57)
INK = 0.2  # contrast with the background, 0 to 1, that counts as a stroke


def to_mnist(image) -> np.ndarray:
    """A drawing (PIL image or array: grey, RGB or RGBA; any size and polarity) → uint8 (28, 28) digit,
    white on black, strokes of MNIST's usual width; a ValueError says when the canvas is blank."""
    work = _resize(_crop(ink_map(image)), WORK)
    digit = render(work)
    width = stroke_width(digit)
    if THIN <= width <= THICK:
        return np.round(digit * 255).astype(np.uint8)
    for _ in range(4):  # the box is refitted after each change of width, so the width is measured again
        radius = round((TYPICAL - width) / 2 * max(work.shape) / BOX)
        if radius == 0:
            break
        work = _reshape_strokes(work, radius)
        digit = render(work)
        width = stroke_width(digit)
    return np.round(digit * 255).astype(np.uint8)


def ink_map(image) -> np.ndarray:
    """Ink (H, W) in [0, 1] of a drawing: 1 where it differs most from its background, the colour that
    holds most of its border; on a transparent canvas, the ink is what is painted."""
    pixels = _as_float(image)
    alpha = pixels[..., -1] if pixels.shape[-1] in (2, 4) else None
    grey = _grey(pixels[..., :3] if pixels.shape[-1] >= 3 else pixels[..., :1])
    if alpha is not None and np.median(_border(alpha)) < 0.5:
        return alpha  # a sketchpad's strokes on a transparent canvas: their colour does not matter
    if alpha is not None:
        grey = grey * alpha + (1 - alpha)  # transparent holes in an opaque canvas: shown over white
    background = float(np.median(_border(grey)))
    if background >= 0.5:
        return np.clip((background - grey) / background, 0, 1)
    return np.clip((grey - background) / (1 - background), 0, 1)


def _as_float(image) -> np.ndarray:
    """Pixels (H, W, C) as floats in [0, 1], or a ValueError saying what the image is not."""
    if isinstance(image, Image.Image):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "F")
        array = np.asarray(image, dtype=np.float64) / 255
    else:
        raw = np.asarray(image)
        if raw.dtype.kind not in "biuf":
            raise ValueError(f"a drawing must be an image or an array of numbers; got an array of {raw.dtype}")
        array = raw.astype(np.float64)
        if raw.dtype == np.uint8 or (raw.dtype.kind in "iuf" and array.size and array.max() > 1):
            array = array / 255
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 2, 3, 4) or min(array.shape[:2]) < 2:
        raise ValueError(f"a drawing must be a grey, RGB or RGBA image of at least 2x2 pixels; got shape "
                         f"{np.shape(image)}")
    if not np.isfinite(array).all():
        raise ValueError("a drawing's pixels must be finite numbers")
    return np.clip(array, 0, 1)


def _grey(rgb: np.ndarray) -> np.ndarray:
    if rgb.shape[-1] == 1:
        return rgb[..., 0]
    return rgb @ np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as PIL's convert("L")


def _border(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values[0], values[-1], values[1:-1, 0], values[1:-1, -1]])


def _crop(ink: np.ndarray) -> np.ndarray:
    """The part of `ink` inside the bounding box of its strokes, or a ValueError for a blank canvas."""
    strokes = ink >= INK
    if not strokes.any():
        raise ValueError("the drawing is blank: draw a digit in a colour that stands out from the background")
    rows, cols = np.flatnonzero(strokes.any(1)), np.flatnonzero(strokes.any(0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _resize(ink: np.ndarray, long_side: int) -> np.ndarray:
    """`ink` scaled, aspect ratio kept, to `long_side` pixels on its longer side; anti-aliased."""
    h, w = ink.shape
    scale = long_side / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    x = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None]
    # Shrinking averages each target pixel's area, as an anti-aliased scan of a pen stroke does; a
    # bilinear kernel would blur strokes that MNIST has solid in the middle.
    mode = "area" if scale < 1 else "bilinear"
    return F.interpolate(x, size=size, mode=mode)[0, 0].clamp(0, 1).numpy()


def render(ink: np.ndarray) -> np.ndarray:
    """Ink (H, W) → a float (28, 28) digit in [0, 1]: its strokes' box fitted to 20x20, its brightest
    pixel at 1, its centre of mass at MNIST's."""
    box = _resize(_crop(ink / max(float(ink.max()), 1e-12)), BOX)
    box = box / box.max()
    ys, xs = np.indices(box.shape)
    mass = box.sum()
    top = int(np.clip(np.round(CENTRE - (ys * box).sum() / mass), 0, FIELD - box.shape[0]))
    left = int(np.clip(np.round(CENTRE - (xs * box).sum() / mass), 0, FIELD - box.shape[1]))
    digit = np.zeros((FIELD, FIELD))
    digit[top:top + box.shape[0], left:left + box.shape[1]] = box
    return digit


def stroke_width(digit: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the ink over the total variation, an outline's length for a stroke.

    A stroke of width w and length L holds w·L of ink and has an outline of about 2·L, however
    anti-aliased or faint it is; diagonal strokes read thinner, in MNIST as in a drawing."""
    outline = np.abs(np.diff(digit, axis=0)).sum() + np.abs(np.diff(digit, axis=1)).sum()
    return float(2 * digit.sum() / max(outline, 1e-12))


def _reshape_strokes(ink: np.ndarray, radius: int) -> np.ndarray:
    """Strokes dilated (`radius` > 0) or eroded (< 0) by `radius` pixels; an erosion stops short of
    wiping a stroke out."""
    x = F.pad(torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None], [abs(radius)] * 4)
    sign = 1 if radius > 0 else -1
    for i in range(abs(radius)):
        # Square and cross neighbourhoods in turn grow an octagon, close to a round pen's stroke.
        grown = F.max_pool2d(sign * x, 3, 1, 1) if i % 2 == 0 else _cross_max(sign * x)
        if sign < 0 and (-grown).max() < INK:
            break
        x = sign * grown
    return x[0, 0].numpy()


def _cross_max(x: torch.Tensor) -> torch.Tensor:
    p = F.pad(x, [1, 1, 1, 1], value=float("-inf"))
    return torch.stack([x, p[..., :-2, 1:-1], p[..., 2:, 1:-1], p[..., 1:-1, :-2], p[..., 1:-1, 2:]]).amax(0)


def scribble_warning(image) -> str | None:
    """A sentence when a drawing, fitted to its box as it was drawn, inks more of the box than any MNIST
    digit does; else None. A blank canvas is a ValueError, as in to_mnist."""
    # Measured before to_mnist thins the strokes: thinned, a scribble's lines look like a digit's.
    if (render(_crop(ink_map(image))) > 0.5).sum() / BOX ** 2 > FULL:
        return "The drawing fills most of its box, more like a scribble than a digit: draw one digit with strokes."
    return None


def read_digits(path) -> np.ndarray:
    """uint8 digits (N, 28, 28) from a file: a .npy of MNIST-style digits, (N, 28, 28) or (28, 28), as
    they are; any other file is an image of one drawing, made a digit by to_mnist."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".npy":
            digits = np.load(path, allow_pickle=False)
        else:
            with Image.open(path) as image:
                return to_mnist(image)[None]
    except (OSError, ValueError) as err:  # missing, unreadable, not an image, or a blank drawing
        raise ValueError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    digits = digits[None] if digits.ndim == 2 else digits
    if digits.dtype != np.uint8 or digits.ndim != 3 or digits.shape[1:] != (28, 28) or not len(digits):
        raise ValueError(f"{path} holds {digits.dtype} {digits.shape}; a .npy of digits must hold uint8 "
                         "(N, 28, 28), white on black, as MNIST has them")
    return digits
