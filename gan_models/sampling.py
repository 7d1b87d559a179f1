"""Drawing digits from a generator: the device, the labels, and post-processing in one place."""

import numpy as np
import torch
from PIL import Image
from torch import nn

from .latent import check_seed, sample_latents, whole, with_continuous


def device_named(name: str) -> torch.device:
    """The torch device `name` (cpu, cuda, cuda:N, mps); a ValueError says when this machine has no such device."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}: use cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s); use cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r}: this machine has no Apple GPU; use cpu")
    return device


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] → uint8 in [0, 255], on the CPU."""
    return (x.float() / 2 + 0.5).clamp(0, 1).mul(255).round().to(torch.uint8).cpu()


def labels_for(generator: nn.Module, n: int, digit: int | None) -> torch.Tensor | None:
    """Labels to pass a generator: `digit` repeated, or 0..9 cycled for a conditional model given none."""
    if not getattr(generator, "num_classes", 0):
        if digit is not None:
            raise ValueError("this model is unconditional: it cannot be asked for a digit (leave the digit unset)")
        return None
    if digit is None:
        return torch.arange(n) % generator.num_classes
    return torch.full((n,), whole(digit, "digit", 0, generator.num_classes - 1), dtype=torch.long)


@torch.no_grad()
def generate(generator: nn.Module, n: int, seed: int, digit: int | None = None,
             truncation: float | None = None, batch_size: int = 1000, continuous=None) -> torch.Tensor:
    """`n` images from `seed` as uint8 (n, C, 28, 28); the same arguments give the same images.
    `continuous` sets every sample's continuous codes (one value in [-1, 1] per code) for an InfoGAN.

    Draws in eval mode, as a trained model is used: in train mode BatchNorm would take the batch's own
    statistics (so the images would depend on `n`) and overwrite its running ones."""
    n, batch_size = whole(n, "n", 1), whole(batch_size, "batch_size", 1)
    weight = next(generator.parameters())
    z = sample_latents(n, generator.latent_dim, check_seed(seed), truncation)
    if continuous is not None:
        z = with_continuous(z, getattr(generator, "codes", 0), check_continuous(generator, continuous))
    z = z.to(weight.dtype)  # a bf16 model takes bf16 z
    labels = labels_for(generator, n, digit)
    was_training, chunks = generator.training, []
    generator.eval()
    try:
        for i in range(0, n, batch_size):
            y = None if labels is None else labels[i:i + batch_size].to(weight.device)
            chunks.append(to_uint8(generator(z[i:i + batch_size].to(weight.device), y)))
    finally:
        generator.train(was_training)
    return torch.cat(chunks)


def check_continuous(generator: nn.Module, values) -> list[float]:
    """`values` as one float in [-1, 1] per continuous code of `generator`, or a ValueError saying why not."""
    k = getattr(generator, "continuous", 0)
    values = list(values)
    if len(values) != k:
        raise ValueError(f"this model has {k} continuous code{'s' * (k != 1)}; got {len(values)} value"
                         f"{'s' * (len(values) != 1)}" + ("" if k else ": leave continuous unset"))
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and -1 <= v <= 1 for v in values):
        raise ValueError(f"each continuous code is a number from -1 to 1; got {values}")
    return [float(v) for v in values]


def grid(images: torch.Tensor, nrow: int | None = None) -> torch.Tensor:
    """uint8 images (N, C, H, W) → one uint8 grid (C, H', W'), `nrow` to a row, with 2-pixel black
    borders (one image: as it is). The layout of torchvision's make_grid, which the app does
    without: importing torchvision takes about 2 s of its start-up."""
    if len(images) == 1:
        return images[0]
    (n, c, h, w), pad = images.shape, 2
    cols = min(nrow or max(1, round(n ** 0.5)), n)
    rows = -(-n // cols)
    cells = images.new_zeros(rows * cols, c, h + pad, w + pad)  # each cell: its image below and right of a border
    cells[:n, :, pad:, pad:] = images
    height, width = rows * (h + pad), cols * (w + pad)
    out = images.new_zeros(c, height + pad, width + pad)  # the last border: below and right of all cells
    rows_of_cells = cells.view(rows, cols, c, h + pad, w + pad).permute(2, 0, 3, 1, 4)
    out[:, :height, :width] = rows_of_cells.reshape(c, height, width)
    return out


def to_array(image: torch.Tensor) -> np.ndarray:
    """One uint8 image (C, H, W) → an array as image libraries take it: (H, W) for 1 channel, (H, W, 3) for 3."""
    return image[0].numpy() if image.shape[0] == 1 else image.permute(1, 2, 0).numpy()


def to_pil(image: torch.Tensor) -> Image.Image:
    """One uint8 image (C, H, W) → a PIL image (grayscale for 1 channel, RGB for 3)."""
    return Image.fromarray(to_array(image))
