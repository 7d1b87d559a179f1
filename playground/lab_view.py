"""What the Lab makes of the training package: Trainers built from the page's settings, and what the
page draws of them (sample grids, points over D's decision map, the mode-collapse meter). Imported
with the first Lab run, so that the app starts without training's imports."""

import functools
import threading

import numpy as np
import torch

from gan_models import sample_latents
from training import Trainer, TrainConfig
from training.data import DATASETS, DigitBatches, load_mnist
from training.meter import collapse_meter
from training.toy import EXTENT, coverage, decision_map, fake_points, mixture, toy_trainer

LAB_STEPS = 10**9  # a Lab run ends by time or by the visitor, never by its step count
PICTURE = 256  # pixels a side of the 2-D view
_mnist_lock = threading.Lock()


@functools.cache
def _mnist() -> tuple[torch.Tensor, torch.Tensor]:
    return load_mnist(None, train=True)  # $DIGITGAN_DATA_DIR or the trainer's folder, downloaded when missing


def mnist() -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST's training digits, read once per server (a DataNotFoundError says where to put them)."""
    with _mnist_lock:
        return _mnist()


def build_trainer(settings: dict, points: np.ndarray | None = None) -> Trainer:
    """A Trainer from the page's settings (TrainConfig names, plus `dataset`: mnist or a 2-D one)."""
    settings = {k: v for k, v in settings.items() if v is not None}
    dataset = settings.pop("dataset", "mnist")
    if dataset in ("ring", "grid", "drawn"):
        toy = {k: settings[k] for k in ("loss", "lr_g", "lr_d", "batch_size", "d_steps", "seed", "ema",
                                        "spectral_norm") if k in settings}
        return toy_trainer(points if dataset == "drawn" else dataset, steps=LAB_STEPS, **toy)
    cfg = TrainConfig(**settings, dataset=dataset, steps=LAB_STEPS, out="lab", precision="auto")
    images, labels = mnist()
    data = DigitBatches(images, labels, cfg.batch_size, cfg.seed, torch.device(cfg.device if cfg.device != "auto"
                                                                                 else "cpu"),
                        DATASETS[dataset].stacked)
    return Trainer(cfg, data=data)


def look(trainer: Trainer, toy: bool, n: int) -> tuple[np.ndarray, object]:
    """The run's picture (its sample grid, or its points over D's map), and what the meter reads:
    the coverage itself for points, `n` fixed samples for digits (read by `reading`)."""
    if toy:
        points = fake_points(trainer)
        dataset = trainer.data.mixture
        return draw_points(decision_map(trainer), real_points(dataset), points), coverage(points, dataset)
    return trainer.samples(), _meter_samples(trainer, n)


def reading(seen) -> dict:
    """The meter's reading of what `look` gave it."""
    return seen if isinstance(seen, dict) else collapse_meter(seen)


@torch.no_grad()
def _meter_samples(trainer: Trainer, n: int) -> torch.Tensor:
    model = trainer.ema if trainer.ema is not None else trainer.G
    was_training = model.training
    model.eval()
    z = sample_latents(n, trainer.cfg.latent_dim, trainer.cfg.seed + 54321, device=trainer.device)
    y = torch.arange(n, device=trainer.device) % 10 if trainer.cfg.conditional else None
    images = model(z, y)
    model.train(was_training)
    return images


def real_points(dataset) -> np.ndarray:
    """500 of the dataset's real points, the same at every call."""
    return mixture(dataset).sample(500, seed=0)[0].numpy()


def draw_points(d_map: np.ndarray, real: np.ndarray, fake: np.ndarray) -> np.ndarray:
    """A uint8 RGB picture: D's map as the background (green where D says real, purple where it says
    generated, as GAN Lab colours them), real points in dark green, generated ones in purple."""
    scale = PICTURE // d_map.shape[0]
    d = np.repeat(np.repeat(d_map[::-1], scale, 0), scale, 1)[..., None]  # row 0 at the top: flip y
    fake_side, real_side = np.array([236, 221, 245.0]), np.array([214, 240, 214.0])
    picture = (d * real_side + (1 - d) * fake_side).astype(np.uint8)
    for pts, colour in ((real, (20, 110, 40)), (fake, (120, 40, 170))):
        cols = np.clip(((pts[:, 0] + EXTENT) / (2 * EXTENT) * PICTURE).astype(int), 1, PICTURE - 2)
        rows = np.clip(((EXTENT - pts[:, 1]) / (2 * EXTENT) * PICTURE).astype(int), 1, PICTURE - 2)
        for dr in (-1, 0, 1):  # 3 x 3 dots
            for dc in (-1, 0, 1):
                picture[rows + dr, cols + dc] = colour
    return picture
