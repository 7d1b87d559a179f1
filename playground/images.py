"""The app's image files: generated digits as enlarged arrays, PNG and GIF bytes, files in Gradio's
temp folder that Gradio serves as they are, and the pictures drawn on the page's sketchpads."""

import hashlib
import io
import threading
from pathlib import Path

import numpy as np
import torch
from gradio.utils import get_upload_folder
from PIL import Image

import gan_models

from .checks import user_error

MAX_SKETCH_SIDE = 2048  # pixels: a sketchpad's canvas is a few hundred; a larger picture is refused before decoding


def pixels(images: torch.Tensor, min_side: int, nrow: int | None = None) -> np.ndarray:
    """uint8 (C, H, W), or (N, C, H, W) laid out as a grid, as an array enlarged by a whole factor to
    at least `min_side` pixels: nearest neighbour keeps strokes crisp where a browser blurs them."""
    image = gan_models.to_array(gan_models.grid(images, nrow) if images.dim() == 4 else images)
    scale = -(-min_side // max(image.shape[:2]))
    return image.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else image


def save(files: dict[str, bytes]) -> list[str]:
    """Paths of `files` in a folder of Gradio's temp folder named by content, as Gradio's own: served as is."""
    folder = Path(get_upload_folder()) / hashlib.sha256(b"".join(files.values())).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if not (folder / name).exists():
            partial = folder / f"{name}.{threading.get_ident()}.part"  # readers never see half a file
            partial.write_bytes(data)
            partial.replace(folder / name)
    return [str(folder / name) for name in files]


def png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 image array."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)  # 4x faster than Gradio's level 6
    return buffer.getvalue()


def gif(frames: torch.Tensor) -> bytes:
    """Looping GIF bytes of uint8 frames (N, C, H, W), played forth and back."""
    pictures = [Image.fromarray(pixels(frame, 112)) for frame in frames]
    pictures += pictures[-2:0:-1]  # forth and back, so the loop never jumps
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=80, loop=0)
    return buffer.getvalue()


def sketch(drawing, missing: str) -> np.ndarray:
    """A sketchpad's picture as an array: given as one (a direct call), or as the page and API callers
    send it (the composite's file, which must be one Gradio took in as an upload); `missing` is the
    sentence for no picture at all."""
    composite = drawing.get("composite") if isinstance(drawing, dict) else drawing
    if isinstance(composite, dict):
        return _uploaded(composite.get("path"))
    if composite is None:
        raise user_error(missing)
    try:
        array = np.asarray(composite)
    except ValueError:  # ragged rows
        array = None
    if array is None or array.ndim not in (2, 3) or max(array.shape[:2]) > MAX_SKETCH_SIDE:
        raise user_error(f"A drawing must be an image: rows of pixels, at most {MAX_SKETCH_SIDE} a side.")
    return array


def _uploaded(path) -> np.ndarray:
    """The RGBA pixels of an image file in Gradio's upload folder; a sentence for any other file."""
    try:
        path = Path(str(path)).resolve()
        inside = path.is_relative_to(Path(get_upload_folder()).resolve()) and path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        inside = False
    if not inside:
        raise user_error("The drawing must come from the page's sketchpad (an uploaded image).")
    try:
        with Image.open(path) as picture:
            if max(picture.size) > MAX_SKETCH_SIDE:
                raise user_error(f"A drawing must be an image of at most {MAX_SKETCH_SIDE} pixels a side; "
                                 f"this one is {picture.width} by {picture.height}.")
            return np.asarray(picture.convert("RGBA"))
    except (OSError, ValueError, Image.DecompressionBombError):
        raise user_error("The drawing's file is not an image that can be read.") from None
