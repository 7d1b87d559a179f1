"""GANs on points in the plane, GAN Lab's setting: mixtures of Gaussians, two small MLPs, the same
Trainer and loss registry as the digits, trained in seconds on any CPU.

    from training.toy import coverage, decision_map, fake_points, toy_trainer
    trainer = toy_trainer("ring", loss="ns")
    for _ in range(1000):
        trainer.step()
    coverage(fake_points(trainer), "ring")      # {'covered': 8, 'modes': 8, 'quality': 0.9...}
    decision_map(trainer)                        # D's sigmoid on a 64 x 64 grid over the plane

The toy models keep the architecture contract but are not registered: a registered architecture
draws digits. The run's `arch` setting names the recipe its left-out settings follow.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gan_models import Discriminator, Generator, Verdict, sample_latents

from .config import TrainConfig
from .device import pick_device
from .losses import get_loss
from .trainer import Trainer

RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.05  # 8 Gaussians evenly on a circle of radius 2
GRID_SIDE, GRID_SPACING, GRID_STD = 5, 1.0, 0.05  # 5 x 5 Gaussians at -2, -1, 0, 1, 2 on each axis
DRAWN_HALF_WIDTH, DRAWN_STD = 2.0, 0.05  # drawn points are scaled into [-2, 2]², each a Gaussian's centre
EXTENT = 3.0  # the page shows [-3, 3]²: every dataset and some space around it
POOL = 10_000  # real points drawn once per run, the "training set" batches are taken from
COVER_STD = 3.0  # a sample within 3 std of a centre is of high quality (as in Metz et al., 2017)
COVER_SHARE = 0.25  # a mode is covered when it holds a quarter of its fair share (1 / modes) of the samples
RECIPE_ARCH = "mlp"  # whose recipe (ns loss, no spectral norm) fills in the toy run's left-out settings


@dataclass(frozen=True)
class Mixture:
    """Equal-weight Gaussians in the plane: their centres (K, 2) and their one standard deviation."""
    name: str
    centres: torch.Tensor
    std: float

    def sample(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`n` points (n, 2) and the index of the Gaussian each came from (n,): the same for the same seed."""
        gen = torch.Generator().manual_seed(seed)
        labels = torch.randint(len(self.centres), (n,), generator=gen)
        return self.centres[labels] + self.std * torch.randn(n, 2, generator=gen), labels


def ring() -> Mixture:
    angles = torch.arange(RING_MODES) * (2 * torch.pi / RING_MODES)
    return Mixture("ring", RING_RADIUS * torch.stack([angles.cos(), angles.sin()], 1), RING_STD)


def grid() -> Mixture:
    axis = (torch.arange(GRID_SIDE) - (GRID_SIDE - 1) / 2) * GRID_SPACING
    return Mixture("grid", torch.cartesian_prod(axis, axis), GRID_STD)


def drawn(points) -> Mixture:
    """Points a person drew, (N, 2) in any units, centred and scaled into [-2, 2]² (aspect kept)."""
    pts = torch.as_tensor(np.asarray(points, dtype=np.float32))
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0 or not torch.isfinite(pts).all():
        raise ValueError(f"drawn points must be an (N, 2) array of finite numbers, N at least 1; got shape "
                         f"{tuple(pts.shape)}")
    low, high = pts.min(0).values, pts.max(0).values
    scale = (high - low).max().clamp(min=1e-6) / 2  # a single point stays where the centre is
    return Mixture("drawn", (pts - (low + high) / 2) / scale * DRAWN_HALF_WIDTH, DRAWN_STD)


TOY_DATASETS = {"ring": ring, "grid": grid}


def mixture(dataset) -> Mixture:
    """A Mixture from a name in TOY_DATASETS, drawn points (N, 2), or a Mixture (as it is)."""
    if isinstance(dataset, Mixture):
        return dataset
    if isinstance(dataset, str):
        if dataset not in TOY_DATASETS:
            raise ValueError(f"unknown toy dataset {dataset!r}; known: {', '.join(TOY_DATASETS)}, or drawn points")
        return TOY_DATASETS[dataset]()
    return drawn(dataset)


class PointBatches:
    """Batches of a mixture's points as the Trainer takes them: a pool drawn once from `seed`, and
    each batch's rows a pure function of (seed, batch number), like training.data.DigitBatches."""

    def __init__(self, data: Mixture, batch_size: int, seed: int, device: torch.device | str = "cpu",
                 pool: int = POOL):
        self.mixture, self.batch_size, self.seed = data, batch_size, seed
        points, labels = data.sample(pool, seed)
        self.points, self.labels = points.to(device), labels.to(device)
        self.batches_per_epoch = max(1, pool // batch_size)

    def indices(self, index: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        return torch.randint(len(self.points), (self.batch_size,), generator=gen).to(self.points.device)

    def fetch(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The points (B, 2) and the index of each one's Gaussian (B,)."""
        return self.points[rows], self.labels[rows]


def _mlp(n_in: int, width: int, depth: int, n_out: int, act) -> nn.Sequential:
    layers, size = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(size, width), act()]
        size = width
    return nn.Sequential(*layers, nn.Linear(size, n_out))


class PointGenerator(Generator):
    """z (N, latent_dim) -> points (N, 2): `depth` ReLU layers of `width`, a linear output (no tanh:
    the data reach ±2). Its `channels` are a point's two coordinates."""

    def __init__(self, latent_dim: int = 2, width: int = 128, depth: int = 2):
        super().__init__(latent_dim, num_classes=0, channels=2)
        self.config = {"architecture": "toy-mlp", "latent_dim": latent_dim, "width": width, "depth": depth}
        self.net = _mlp(latent_dim, width, depth, 2, nn.ReLU)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)


class PointDiscriminator(Discriminator):
    """Points (N, 2) -> realness logits: `depth` LeakyReLU layers of `width`, no normalisation (the
    Trainer judges real and fake points in one batch)."""

    def __init__(self, width: int = 128, depth: int = 2):
        super().__init__()
        self.config = {"architecture": "toy-mlp", "width": width, "depth": depth}
        self.net = _mlp(2, width, depth, 1, lambda: nn.LeakyReLU(0.2))

    def judge(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> Verdict:
        return Verdict(self.net(x).squeeze(1))


def toy_trainer(dataset="ring", *, loss: str = "ns", lr_g: float = 1e-3, lr_d: float = 1e-3, batch_size: int = 128,
                d_steps: int = 1, seed: int = 0, latent_dim: int = 2, width: int = 128, depth: int = 2,
                ema: bool = False, spectral_norm: bool = False, device: str = "cpu", **settings) -> Trainer:
    """A Trainer of the toy models on `dataset` (a TOY_DATASETS name or drawn (N, 2) points); other
    TrainConfig settings (steps, betas, lr_decay, ...) pass through `settings`. fp32 on the CPU by
    default: tiny layers gain nothing from bf16 or a GPU. EMA is off, so the points shown are G's own."""
    if get_loss(loss).penalty:  # gradient_penalty mixes image-shaped batches (N, C, H, W)
        raise ValueError(f"the {loss} loss's gradient penalty works on images only: pick another loss for points")
    if settings.get("conditional"):
        raise ValueError("the toy models are unconditional: leave conditional off")
    points = mixture(dataset)
    cfg = TrainConfig(arch=RECIPE_ARCH, loss=loss, lr_g=lr_g, lr_d=lr_d, batch_size=batch_size, d_steps=d_steps,
                      seed=seed, latent_dim=latent_dim, ema=ema, spectral_norm=spectral_norm, device=device,
                      **{"precision": "fp32", "command": f"toy_trainer({points.name!r})", **settings})
    data = PointBatches(points, cfg.batch_size, cfg.seed, pick_device(cfg.device))
    torch.manual_seed(cfg.seed)  # the models' first weights, as the Trainer seeds the registered ones
    return Trainer(cfg, data=data, models=(PointGenerator(latent_dim, width, depth), PointDiscriminator(width, depth)))


@torch.no_grad()
def fake_points(trainer: Trainer, n: int = 512) -> np.ndarray:
    """G's points (n, 2) from one fixed noise batch (the same z at every call); the EMA's where the run has one."""
    model = trainer.ema if trainer.ema is not None else trainer.G
    z = sample_latents(n, trainer.cfg.latent_dim, trainer.cfg.seed + 12345, device=trainer.device)
    return model(z).float().cpu().numpy()


@torch.no_grad()
def decision_map(trainer: Trainer, extent: float = EXTENT, resolution: int = 64) -> np.ndarray:
    """D's sigmoid (resolution, resolution) on a grid over [-extent, extent]²: row i at y = ys[i],
    column j at x = xs[j], both ascending from -extent (so draw it with the origin at the bottom)."""
    axis = torch.linspace(-extent, extent, resolution, device=trainer.device)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    was_training = trainer.D.training
    trainer.D.eval()  # spectral norm's power iteration runs in training mode only: looking must not move it
    try:
        logits = trainer.D(torch.stack([xs.flatten(), ys.flatten()], 1))
    finally:
        trainer.D.train(was_training)
    return torch.sigmoid(logits.float()).view(resolution, resolution).cpu().numpy()


def coverage(points, dataset) -> dict:
    """How well `points` (N, 2) cover `dataset`'s Gaussians: `quality`, the share of points within
    COVER_STD std of their nearest centre, and `covered`, the Gaussians (of `modes`) holding at
    least COVER_SHARE of their fair share of such points."""
    data = mixture(dataset)
    pts = torch.as_tensor(np.asarray(points, dtype=np.float32)).reshape(-1, 2)
    distance, nearest = torch.cdist(pts, data.centres).min(1)
    good = distance <= COVER_STD * data.std
    counts = torch.bincount(nearest[good], minlength=len(data.centres))
    needed = COVER_SHARE * len(pts) / len(data.centres)
    return {"covered": int((counts >= max(needed, 1)).sum()), "modes": len(data.centres),
            "quality": good.float().mean().item() if len(pts) else 0.0}
