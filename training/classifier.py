"""A small MNIST CNN whose 128-d penultimate features are the space generated digits are scored in.

    python -m training.classifier --data-dir ../shared/data        # train, then ship training/assets/
    python -m training.classifier --data-dir ../shared/data --epochs 1 --out /tmp/clf.safetensors
    python -m training.classifier --data-dir ../shared/data --dataset mnist-colour   # colour digits (domain B)

The mnist-colour classifier reads the colour digits of training/colour.py: trained on domain B's
training half, tested on the colour versions of MNIST's test digits; translators are scored with it.

The file holds the weights, the MNIST test-set feature statistics that quick metrics compare
against (tensors under `reference.`), and, as metadata, the command and test accuracy.
It is read with safetensors only: nothing is unpickled.
"""

import argparse
import functools
import json
import shlex
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from .colour import domain_b
from .data import MNIST_TRAIN_IMAGES, DataNotFoundError, data_dir_help, load_mnist
from .metrics import feature_stats

ASSET = Path(__file__).parent / "assets" / "mnist_classifier.safetensors"
COLOUR_ASSET = Path(__file__).parent / "assets" / "colour_classifier.safetensors"
# What a classifier can learn to read: (images, labels) of the training or test digits, and its file.
DIGITS = {"mnist": (load_mnist, ASSET), "mnist-colour": (domain_b, COLOUR_ASSET)}
REFERENCE = "reference."  # key prefix of the test-set statistics stored beside the weights
REFERENCE_SAMPLES = 2000  # test digits whose features are kept for quick precision/recall


class ClassifierLoadError(ValueError):
    """The classifier file is missing or does not match the network; the message says what to do."""


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True), nn.MaxPool2d(2)]


class DigitClassifier(nn.Module):
    """Two conv blocks (28 → 14 → 7), a 128-d feature layer, a linear head over 10 digits."""

    def __init__(self, width: int = 32, feature_dim: int = 128, channels: int = 1):
        super().__init__()
        self.config = {"width": width, "feature_dim": feature_dim, **({"channels": channels} if channels != 1 else {})}
        self.channels = channels
        self.body = nn.Sequential(*_block(channels, width), *_block(width, 2 * width), nn.Flatten(),
                                  nn.Linear(2 * width * 7 * 7, feature_dim))
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(feature_dim, 10))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, feature_dim) of images in [0, 1] (N, channels, 28, 28).

        Taken before the ReLU: dense, roughly Gaussian features suit the Fréchet distance better
        than rectified ones, half of which are exactly zero.
        """
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def to_input(images: torch.Tensor, channels: int = 1) -> torch.Tensor:
    """uint8 digits (N, 28, 28) or (N, channels, 28, 28) → float in [0, 1] (N, channels, 28, 28)."""
    return images.reshape(-1, channels, 28, 28).float() / 255


@torch.no_grad()
def embed(model: DigitClassifier, images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, D) and class probabilities (N, 10) of uint8 digits, as float32 on the CPU."""
    device = next(model.parameters()).device
    feats, probs = [], []
    for i in range(0, len(images), batch_size):
        h = model.features(to_input(images[i:i + batch_size], model.channels).to(device))
        feats.append(h.float().cpu())
        probs.append(model.head(h).softmax(1).float().cpu())
    return torch.cat(feats), torch.cat(probs)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random small rotations (±10°), scalings (±10 %) and shifts (±2 px), batched."""
    n = len(x)
    angle = (torch.rand(n, generator=gen) * 2 - 1) * torch.pi / 18
    scale = 1 + (torch.rand(n, generator=gen) * 2 - 1) * 0.1
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * (2 / 14)  # grid units: 14 px per unit
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Grey digits lie on black; a colour digit's texture goes on past its edge.
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros" if x.shape[1] == 1 else "border")


@torch.no_grad()
def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of `images` (uint8) whose most likely class is the label."""
    _, probs = embed(model, images)
    return (probs.argmax(1) == labels).float().mean().item()


def train_classifier(data_dir: str | None, epochs: int = 8, batch_size: int = 128, lr: float = 3e-3,
                     seed: int = 0, dataset: str = "mnist") -> tuple[DigitClassifier, float]:
    """Train on the training digits of `dataset` (a key of DIGITS); returns the model (eval mode) and its
    test accuracy."""
    torch.manual_seed(seed)
    load = DIGITS[dataset][0]
    images, labels = load(data_dir, train=True)
    test_images, test_labels = load(data_dir, train=False)
    model = DigitClassifier(channels=images.shape[1] if images.dim() == 4 else 1)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = len(images) // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=gen)
        t0 = time.monotonic()
        for i in range(steps_per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            x = augment(to_input(images[idx], model.channels), gen)
            loss = F.cross_entropy(model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        acc = accuracy(model, test_images, test_labels)
        print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f}, test accuracy {acc:.4%} "
              f"({time.monotonic() - t0:.0f} s)", flush=True)
    return model, acc


@torch.no_grad()
def reference_stats(model: DigitClassifier, images: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """Test-set feature mean and covariance, plus the features of a fixed subset for precision/recall."""
    feats, _ = embed(model, images)
    mu, cov = feature_stats(feats)
    subset = torch.randperm(len(feats), generator=torch.Generator().manual_seed(seed))[:REFERENCE_SAMPLES]
    # float16 halves the file; k-NN radii do not need more than three significant digits.
    return {"mu": mu, "cov": cov, "features": feats[subset].half()}


def save_classifier(model: DigitClassifier, path: str | Path, reference: dict[str, torch.Tensor],
                    metadata: dict[str, str]) -> Path:
    """Write weights, reference statistics and string metadata to one safetensors file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors.update({REFERENCE + k: v.contiguous() for k, v in reference.items()})
    save_file(tensors, path, metadata={"format": "pt", "config": json.dumps(model.config), **metadata})
    return path


def load_classifier(path: str | Path | None = None, device: torch.device | str = "cpu") -> DigitClassifier:
    """The classifier in eval mode, with `.reference` (test-set statistics) and `.metadata`; cached."""
    return _load_cached(str(Path(path or ASSET).resolve()), str(torch.device(device)))


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, device: str) -> DigitClassifier:
    if not Path(path).is_file():
        raise ClassifierLoadError(f"no classifier at {path}: train one with "
                                  "`python -m training.classifier --data-dir DIR`")
    try:
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        # Built on the meta device: no random initialisation, so loading never moves the global RNG.
        with torch.device("meta"):
            model = DigitClassifier(**json.loads(metadata.get("config", "{}")))
        state = {k: v for k, v in tensors.items() if not k.startswith(REFERENCE)}
        model.load_state_dict(state, strict=True, assign=True)
    except (OSError, SafetensorError, RuntimeError, TypeError, json.JSONDecodeError) as err:
        detail = " ".join(str(err).split())  # torch's messages span lines; errors here are one line
        raise ClassifierLoadError(f"cannot load the classifier {path}: {detail}") from None
    model.reference = {k.removeprefix(REFERENCE): v.float() if k.endswith("features") else v
                       for k, v in tensors.items() if k.startswith(REFERENCE)}  # metrics run on the CPU
    model.metadata = metadata
    return model.to(device).eval().requires_grad_(False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.classifier", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[1:]))
    p.add_argument("--data-dir", help=data_dir_help())
    p.add_argument("--dataset", choices=list(DIGITS), default="mnist",
                   help="digits to read: MNIST's, or domain B's colour digits (training/colour.py)")
    p.add_argument("--epochs", type=int, default=8, help="passes over the training digits (MNIST: 60,000)")
    p.add_argument("--batch-size", type=int, default=128, help="digits per step")
    p.add_argument("--lr", type=float, default=3e-3, help="peak AdamW learning rate of the one-cycle schedule")
    p.add_argument("--seed", type=int, default=0, help="random seed (weights, data order, augmentation)")
    p.add_argument("--out", help="safetensors file to write (default: the dataset's shipped one in training/assets/)")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.batch_size > MNIST_TRAIN_IMAGES:
        p.error(f"--batch-size must be at most MNIST's {MNIST_TRAIN_IMAGES:,} training digits")
    if not args.lr > 0:
        p.error("--lr must be above 0")
    command = "python -m training.classifier " + shlex.join(sys.argv[1:] if argv is None else argv)
    t0 = time.monotonic()
    try:
        model, acc = train_classifier(args.data_dir, args.epochs, args.batch_size, args.lr, args.seed, args.dataset)
        test_images, _ = DIGITS[args.dataset][0](args.data_dir, train=False)
    except DataNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    wall = time.monotonic() - t0
    metadata = {"command": command, "test_accuracy": f"{acc:.4f}", "epochs": str(args.epochs),
                "train_time_s": f"{wall:.0f}", "torch": torch.__version__}
    out = save_classifier(model, args.out or DIGITS[args.dataset][1], reference_stats(model, test_images), metadata)
    print(f"test accuracy {acc:.2%} after {wall / 60:.1f} min; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
