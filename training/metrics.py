"""Sample-quality metrics on classifier outputs: pure functions of tensors, no models, no data.

Features are the classifier's penultimate activations (N, D); probabilities are its softmax (N, 10).
"""

import math

import torch


def feature_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and covariance (D, D) of `features`, in float64."""
    x = features.double()
    return x.mean(0), torch.cov(x.T)


def _sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    # Covariances are symmetric PSD; eigh is exact for them, and clamping drops rounding negatives.
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor) -> float:
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½) between two Gaussians.

    tr (Σ₁Σ₂)^½ equals tr (√Σ₁ Σ₂ √Σ₁)^½, and that matrix is symmetric PSD, so both roots come
    from eigh: no scipy, and no complex parts from a non-symmetric product.
    """
    mu1, cov1, mu2, cov2 = (t.double() for t in (mu1, cov1, mu2, cov2))
    root1 = _sqrtm_psd(cov1)
    middle = root1 @ cov2 @ root1
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    value = (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_sqrt
    return max(0.0, value.item())  # tiny negatives are rounding error


def inception_score(probs: torch.Tensor, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) ‖ p(y))) over all samples at once (no splits); 1 ≤ IS ≤ number of classes."""
    p = probs.double()
    marginal = p.mean(0, keepdim=True)
    kl = (p * ((p + eps).log() - (marginal + eps).log())).sum(1)
    return math.exp(kl.mean().item())


def class_histogram(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Share of samples with each label, (num_classes,) float64 summing to 1."""
    counts = torch.bincount(labels.flatten().long(), minlength=num_classes).double()
    return counts / counts.sum().clamp(min=1)


def kl_to_uniform(hist: torch.Tensor) -> float:
    """KL(hist ‖ uniform) in nats: 0 for a uniform histogram, ln(K) for a single class."""
    h = hist.double()
    h = h / h.sum()
    nonzero = h[h > 0]  # 0 · log 0 = 0
    return (nonzero * (nonzero * len(h)).log()).sum().item()


def count_modes(hist: torch.Tensor, min_share: float = 0.01) -> int:
    """Number of classes whose share of the samples is at least `min_share`."""
    return int((hist >= min_share).sum().item())


def _inside_any_ball(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
                        chunk: int) -> torch.Tensor:
    inside = []
    for i in range(0, len(points), chunk):
        d = torch.cdist(points[i:i + chunk], centres)
        inside.append((d <= radii[None]).any(1))
    return torch.cat(inside)


def knn_radii(features: torch.Tensor, k: int = 3, chunk: int = 1000) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point in the same set."""
    radii = []
    for i in range(0, len(features), chunk):
        d = torch.cdist(features[i:i + chunk], features)
        # The k+1 smallest include the point itself at distance 0.
        radii.append(d.topk(k + 1, dim=1, largest=False).values[:, -1])
    return torch.cat(radii)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3,
                     chunk: int = 1000) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) with k-NN balls.

    Precision: share of fake points inside some real point's ball (radius = its k-NN distance
    among the real points). Recall: share of real points inside some fake point's ball.
    """
    real, fake = real.float(), fake.float()
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} samples in each set")
    precision = _inside_any_ball(fake, real, knn_radii(real, k, chunk), chunk).float().mean().item()
    recall = _inside_any_ball(real, fake, knn_radii(fake, k, chunk), chunk).float().mean().item()
    return precision, recall


def _moments(images: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Ink weights (N, H, W) summing to 1 per image, and the pixel offsets from each image's centre of ink."""
    ink = images.float().flatten(0, -3)
    weights = ink / ink.sum((1, 2), keepdim=True).clamp_min(1e-12)
    ys, xs = torch.meshgrid(torch.arange(ink.shape[1], dtype=torch.float32),
                            torch.arange(ink.shape[2], dtype=torch.float32), indexing="ij")
    dy = ys - (weights * ys).sum((1, 2), keepdim=True)
    dx = xs - (weights * xs).sum((1, 2), keepdim=True)
    return weights, dx, dy


def slant(images: torch.Tensor) -> torch.Tensor:
    """Each digit's slant from its second-order moments: how far x moves per row down, mu11 / mu02
    (the shear MNIST deskewing undoes); positive leans the top to the left. `images`: (..., H, W)."""
    weights, dx, dy = _moments(images)
    return (weights * dx * dy).sum((1, 2)) / (weights * dy * dy).sum((1, 2)).clamp_min(1e-12)


def ink_area(images: torch.Tensor) -> torch.Tensor:
    """Each uint8 digit's ink in pixels' worth (intensities / 255, summed): thicker strokes, more ink."""
    return images.float().flatten(0, -3).sum((1, 2)) / 255


def stroke_width(images: torch.Tensor) -> torch.Tensor:
    """Each uint8 digit's mean stroke width in pixels: a stroke of length L and width w covers L·w
    pixels inside an outline of about 2L, so w ≈ 2 · ink / outline (ink above half intensity)."""
    ink = (images.flatten(0, -3) >= 128).float()
    outline = (ink[:, 1:] != ink[:, :-1]).sum((1, 2)) + (ink[:, :, 1:] != ink[:, :, :-1]).sum((1, 2))
    return 2 * ink.sum((1, 2)) / outline.clamp_min(1)


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """Ranks from 0, ties given their average rank."""
    order = x.argsort()
    _, inverse, counts = torch.unique_consecutive(x[order], return_inverse=True, return_counts=True)
    ends = counts.cumsum(0).float()
    ranks = torch.empty(len(x))
    ranks[order] = ((2 * ends - counts - 1) / 2)[inverse]
    return ranks


def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman's rank correlation of two 1-D series (0 where either is constant)."""
    ra, rb = _ranks(a.flatten().float()), _ranks(b.flatten().float())
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = (ra.norm() * rb.norm()).item()
    return (ra @ rb).item() / denominator if denominator else 0.0
