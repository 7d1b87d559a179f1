"""The app's image files: generated digits as enlarged arrays, PNG and GIF bytes, and files in
Gradio's temp folder that Gradio serves as they are."""

import hashlib
import io
import threading
from pathlib import Path

import numpy as np
import torch
from gradio.utils import get_upload_folder
from PIL import Image

import gan_models


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
