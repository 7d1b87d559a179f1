"""Two unpaired domains of digits for translators: MNIST's grey digits (A) and colour digits made in
the MNIST-M manner (B; Ganin et al., 2016), each digit blended with a colour texture.

    from training.colour import load_domains
    domains = load_domains("../shared/data")
    domains.a_train, domains.b_train, domains.b_test    # uint8 (30000, 28, 28), (30000, 3, 28, 28), (10000, 3, 28, 28)

MNIST-M blends each digit with a patch of a natural photograph as |patch − digit|: the patch where
there is no ink, its inverted colour where there is. Here the patch is a procedural texture, so no
photograph (and no licence) is needed: per channel a smooth noise field of two octaves, kept either
dark or bright, so that every stroke stands out from its background in each channel.

The two domains take disjoint halves of MNIST's training digits (a seeded split), so no digit is in
both: nothing pairs a grey digit with its colour version in training. MNIST's test digits are made
into colour digits too; paired with their grey originals they are ground truth for evaluation only.

The domains are a pure function of MNIST, SEED and VERSION: made once, then read from a cache file
<cache>/mnist-colour/mnist-colour-v{VERSION}-seed{SEED}.npz (cache: $DIGITGAN_CACHE_DIR, else
~/.cache/digitgan). It lives apart from the data folder, which may be shared and read-only.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import cache_home, load_mnist

VERSION = 1  # bump when the recipe below changes: cache files of other versions are left unread
SEED = 0  # the domains are one fixed dataset; a run's --seed orders its batches only
OCTAVES = ((4, 1.0), (8, 0.5))  # (grid side, amplitude) of the noise octaves upsampled to 28 x 28
BAND = (0.05, 0.45)  # a dark channel's texture spans these values, a bright one's 1 minus them
_KEYS = ("a_rows", "b_rows", "b_train", "b_test")


@dataclass(frozen=True)
class Domains:
    """The two domains: A's and B's training digits (disjoint halves of MNIST's training set) with their
    labels, and the test digits as grey (A) and colour (B) versions of the same digits."""
    a_train: torch.Tensor  # uint8 (N, 28, 28)
    a_labels: torch.Tensor
    b_train: torch.Tensor  # uint8 (N, 3, 28, 28)
    b_labels: torch.Tensor
    a_test: torch.Tensor  # uint8 (10000, 28, 28): MNIST's test digits
    b_test: torch.Tensor  # uint8 (10000, 3, 28, 28): the same digits in colour
    test_labels: torch.Tensor


def textures(n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` smooth colour textures, float32 (n, 3, 28, 28) in [0, 1]: each channel dark or bright."""
    field = torch.zeros(n, 3, 28, 28)
    for side, amplitude in OCTAVES:
        coarse = torch.from_numpy(rng.random((n, 3, side, side), dtype=np.float32))
        field += amplitude * F.interpolate(coarse, size=(28, 28), mode="bicubic", align_corners=True)
    low, high = field.amin((2, 3), keepdim=True), field.amax((2, 3), keepdim=True)
    field = (field - low) / (high - low).clamp(min=1e-6)  # each channel spans its whole band
    dark = BAND[0] + (BAND[1] - BAND[0]) * field
    bright = torch.from_numpy(rng.random((n, 3, 1, 1)) < 0.5)
    return torch.where(bright, 1 - dark, dark).numpy()


def colourise(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 grey digits (N, 28, 28) → uint8 colour digits (N, 3, 28, 28): |texture − digit| per channel."""
    texture = textures(len(digits), rng) * 255
    blended = np.abs(texture - digits[:, None].astype(np.float32))
    return np.round(blended).astype(np.uint8)


def make_domains(train_images: np.ndarray, test_images: np.ndarray, seed: int = SEED) -> dict[str, np.ndarray]:
    """The arrays of the cache file: which training rows each domain takes, and B's colour digits."""
    order = np.random.default_rng([seed, VERSION, 0]).permutation(len(train_images))
    a_rows, b_rows = np.sort(order[:len(order) // 2]), np.sort(order[len(order) // 2:])
    # Textures for the training and the test digits come from streams of their own.
    b_train = colourise(train_images[b_rows], np.random.default_rng([seed, VERSION, 1]))
    b_test = colourise(test_images, np.random.default_rng([seed, VERSION, 2]))
    return {"a_rows": a_rows, "b_rows": b_rows, "b_train": b_train, "b_test": b_test}


def cache_dir() -> Path:
    """Where made datasets are kept: $DIGITGAN_CACHE_DIR, else digitgan's cache folder."""
    return Path(os.environ["DIGITGAN_CACHE_DIR"]) if os.environ.get("DIGITGAN_CACHE_DIR") else cache_home()


def cache_file(seed: int = SEED) -> Path:
    return cache_dir() / "mnist-colour" / f"mnist-colour-v{VERSION}-seed{seed}.npz"


def _read_cache(path: Path, train_n: int, test_n: int) -> dict[str, np.ndarray] | None:
    """The cache file's arrays, or None where it is missing, cut short or of other sizes (then made again)."""
    try:
        with np.load(path) as f:
            arrays = {k: f[k] for k in _KEYS}
    except (OSError, KeyError, ValueError, EOFError):
        return None
    sizes_fit = (len(arrays["a_rows"]) + len(arrays["b_rows"]) == train_n and len(arrays["b_test"]) == test_n
                 and arrays["b_train"].shape[1:] == (3, 28, 28))
    return arrays if sizes_fit else None


def _write_cache(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays atomically; a cache folder that cannot be written only costs the next run a remake."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.part.npz")
        np.savez(partial, **arrays)
        os.replace(partial, path)
    except OSError:
        pass


def load_domains(data_dir: str | Path | None = None, seed: int = SEED) -> Domains:
    """Both domains, made from MNIST in `data_dir` on first use and read from the cache afterwards."""
    train_images, train_labels = load_mnist(data_dir, train=True)
    test_images, test_labels = load_mnist(data_dir, train=False)
    path = cache_file(seed)
    arrays = _read_cache(path, len(train_images), len(test_images))
    if arrays is None:
        arrays = make_domains(train_images.numpy(), test_images.numpy(), seed)
        _write_cache(path, arrays)
    a_rows, b_rows = (torch.from_numpy(arrays[k]).long() for k in ("a_rows", "b_rows"))
    return Domains(train_images[a_rows], train_labels[a_rows], torch.from_numpy(arrays["b_train"]),
                   train_labels[b_rows], test_images, torch.from_numpy(arrays["b_test"]), test_labels)


def domain_b(data_dir: str | Path | None = None, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Domain B's colour digits (N, 3, 28, 28) and labels: its training half, or the test digits in colour."""
    domains = load_domains(data_dir)
    return (domains.b_train, domains.b_labels) if train else (domains.b_test, domains.test_labels)


class UnpairedBatches:
    """Batches of the two domains, a pure function of the batch number, as DigitBatches gives them:
    each domain in its own seeded order, so the i-th A digit of a batch has nothing to do with its i-th B
    digit. Under DDP every rank takes its own slice of the same global batch."""
    channels = (1, 3)  # A's, B's

    def __init__(self, domains: Domains, batch_size: int, seed: int, device: torch.device, rank: int = 0,
                 world_size: int = 1):
        self.a, self.b = domains.a_train.to(device), domains.b_train.to(device)
        self.batch_size, self.seed, self.rank = batch_size, seed, rank
        self.global_batch = batch_size * world_size
        self.batches_per_epoch = max(1, min(len(self.a), len(self.b)) // self.global_batch)
        self._epoch, self._orders = -1, None
        self.showcase = showcase(domains)

    def indices(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows of A and of B in batch number `index`."""
        epoch, offset = divmod(index, self.batches_per_epoch)
        if epoch != self._epoch:
            gens = [torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) * 2 + d) for d in (0, 1)]
            self._epoch = epoch
            self._orders = [torch.randperm(len(x), generator=g).to(x.device) for x, g in zip((self.a, self.b), gens)]
        mine = slice(offset * self.global_batch + self.rank * self.batch_size,
                     offset * self.global_batch + (self.rank + 1) * self.batch_size)
        return self._orders[0][mine], self._orders[1][mine]

    def fetch(self, rows: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """A's digits (B, 1, 28, 28) and B's (B, 3, 28, 28), as floats in [-1, 1]."""
        a, b = self.a[rows[0]].unsqueeze(1), self.b[rows[1]]
        return a.float().div_(127.5).sub_(1.0), b.float().div_(127.5).sub_(1.0)


def showcase(domains: Domains) -> tuple[torch.Tensor, torch.Tensor]:
    """Test digits a run's sample grids translate: the first 0 to 9 in grey (A), the second ones in colour (B)."""
    firsts = torch.stack([torch.nonzero(domains.test_labels == d)[:2, 0] for d in range(10)])  # (10, 2)
    return domains.a_test[firsts[:, 0]], domains.b_test[firsts[:, 1]]


def unpaired_batches(data_dir, batch_size: int, seed: int, device, rank: int = 0,
                     world_size: int = 1) -> UnpairedBatches:
    """The training batches of the mnist-colour dataset."""
    return UnpairedBatches(load_domains(data_dir), batch_size, seed, device, rank, world_size)
