"""Experiment trackers: `--tracker tensorboard` also writes a run's scalars and sample grids to
TensorBoard event files beside metrics.jsonl."""

from pathlib import Path

import numpy as np


class TrackerMissing(RuntimeError):
    """The tracker's package is not installed; the message says how to install it."""


class TensorBoard:
    def __init__(self, out: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # torch's writer needs the tensorboard package
            raise TrackerMissing("--tracker tensorboard needs the tensorboard package: "
                                 "pip install -e '.[tracking]' (or pip install tensorboard)") from None
        self.writer = SummaryWriter(str(out / "tensorboard"))

    def scalars(self, step: int, record: dict) -> None:
        for key, value in record.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, step)

    def image(self, step: int, grid: np.ndarray) -> None:
        """A uint8 grid, (H, W) or (H, W, 3)."""
        self.writer.add_image("samples", grid, step, dataformats="HW" if grid.ndim == 2 else "HWC")

    def close(self) -> None:
        self.writer.close()


TRACKERS = {"tensorboard": TensorBoard}


def make_tracker(name: str | None, out: Path):
    """The tracker `name` writing under the run folder `out`; None for none."""
    return TRACKERS[name](out) if name else None
