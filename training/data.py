"""MNIST as one uint8 tensor on the training device, batched by index: no per-sample Python work."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.datasets import MNIST

MNIST_TRAIN_IMAGES = 60_000
IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


@dataclass(frozen=True)
class Dataset:
    """A registered dataset: what the models must be built for, and how its batches are made."""
    name: str
    channels: int
    conditional: bool  # whether its labels are digits a conditional model can take
    stacked: bool = False  # three digits as the three channels
    family: str = "gan"  # the models that train on it: "gan" (one domain) or "translator" (two, unpaired)

    def batches(self, data_dir, batch_size: int, seed: int, device, rank: int = 0, world_size: int = 1):
        images, labels = load_mnist(data_dir, train=True)
        return DigitBatches(images, labels, batch_size, seed, device, self.stacked, rank, world_size)


DATASETS: dict[str, Dataset] = {}


def register_dataset(dataset: Dataset) -> Dataset:
    DATASETS[dataset.name] = dataset
    return dataset


class DataNotFoundError(RuntimeError):
    """MNIST is neither on disk nor downloadable; the message says where to put the files."""


def cache_home() -> Path:
    """digitgan's cache folder: $XDG_CACHE_HOME/digitgan, else ~/.cache/digitgan."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "digitgan"


def default_data_dir() -> Path:
    """$DIGITGAN_DATA_DIR where it is set (the app's Lab and the tests read it too), else a cache folder."""
    if os.environ.get("DIGITGAN_DATA_DIR"):
        return Path(os.environ["DIGITGAN_DATA_DIR"])
    return cache_home() / "data"


def data_dir_help() -> str:
    """The --data-dir flag's help, naming the folder used without it on this machine."""
    return f"folder holding MNIST/raw/ (default: {default_data_dir()}, downloaded if missing)"


def load_mnist(data_dir: str | Path | None = None, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST images (N, 28, 28) uint8 and labels (N,) int64, downloading only when the files are missing."""
    root = Path(data_dir) if data_dir else default_data_dir()
    try:
        ds = MNIST(str(root), train=train, download=False)
    except RuntimeError:
        # The outermost folder the download will make, if any, so that a mistyped --data-dir leaves none behind.
        path = root.absolute()
        made = next((p for p in reversed([path, *path.parents]) if not p.exists()), None)
        try:
            ds = MNIST(str(root), train=train, download=True)
        except Exception as err:  # offline, a proxy, a read-only folder: all end the same way
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)
            files = ", ".join(IDX_FILES)
            raise DataNotFoundError(
                f"MNIST is not in {root / 'MNIST' / 'raw'} and could not be downloaded ({err}). "
                f"Put the four uncompressed IDX files there ({files}) or pass --data-dir "
                f"with the folder that holds MNIST/raw/."
            ) from None
    return ds.data, ds.targets.long()


class DigitBatches:
    """Batches from a device-resident dataset, a pure function of the batch number.

    Each epoch is one permutation seeded by (seed, epoch), so a resumed run sees exactly the
    batches an uninterrupted one would, with no sampler state to save. Under DDP every rank
    takes its own slice of the same global batch.

    `stacked=True` gives Stacked MNIST: three random training digits as the three channels
    (1000 modes), labelled 100·d₀ + 10·d₁ + d₂.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, seed: int,
                 device: torch.device, stacked: bool = False, rank: int = 0, world_size: int = 1):
        self.images = images.to(device)
        self.labels = labels.to(device)
        self.batch_size, self.seed, self.stacked = batch_size, seed, stacked
        self.rank, self.world_size = rank, world_size
        self.global_batch = batch_size * world_size
        self.batches_per_epoch = max(1, len(images) // self.global_batch)
        self._epoch, self._perm = -1, None

    def __call__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch number `index` as (images in [-1, 1] (B, C, 28, 28) float, labels (B,))."""
        return self.fetch(self.indices(index))

    def indices(self, index: int) -> torch.Tensor:
        """The dataset rows of batch number `index`, on the data's device: (B,), or (B, 3) when stacked."""
        epoch, offset = divmod(index, self.batches_per_epoch)
        if self.stacked:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
            idx = torch.randint(len(self.images), (self.global_batch, 3), generator=gen)
        else:
            if epoch != self._epoch:
                gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
                perm = torch.randperm(len(self.images), generator=gen)
                self._epoch, self._perm = epoch, perm.to(self.images.device)  # a batch is then a slice, no copy
            idx = self._perm[offset * self.global_batch:(offset + 1) * self.global_batch]
        return idx[self.rank * self.batch_size:(self.rank + 1) * self.batch_size].to(self.images.device)

    def fetch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The images in [-1, 1] and the labels of the rows `idx`."""
        x = self.images[idx].float().div_(127.5).sub_(1.0)
        if self.stacked:  # (B, 3, 28, 28): the three digits as channels
            digits = self.labels[idx]
            return x, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]
        return x.unsqueeze(1), self.labels[idx]


register_dataset(Dataset("mnist", channels=1, conditional=True))
register_dataset(Dataset("stacked-mnist", channels=3, conditional=False, stacked=True))  # 1000 modes


@dataclass(frozen=True)
class TwoDomains(Dataset):
    """Two unpaired domains for translators: MNIST's grey digits and colour digits (training/colour.py)."""

    def batches(self, data_dir, batch_size: int, seed: int, device, rank: int = 0, world_size: int = 1):
        from .colour import unpaired_batches  # it reads this module's MNIST loader

        return unpaired_batches(data_dir, batch_size, seed, device, rank, world_size)


register_dataset(TwoDomains("mnist-colour", channels=3, conditional=False, family="translator"))
