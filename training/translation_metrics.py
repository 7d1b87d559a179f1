"""How well a translator keeps each digit's shape and takes on the other domain's look, measured on
MNIST's test digits, whose colour versions (training/colour.py) are paired ground truth for this alone.

A is MNIST's grey digits, B the colour digits. Each score, of the first n test digits:
  shape_kept        share translated A → B that the colour classifier reads as the source digit
  fd_b              Fréchet distance of those translations to the colour test digits, in the colour
                    classifier's features (its floor: colour training digits against the same)
  round_trip        share translated A → B → A that the MNIST classifier reads as the source digit
  round_trip_error  mean absolute pixel error of A → B → A against the source, from 0 to 1
  b2a_accuracy      share of colour test digits translated B → A that the MNIST classifier reads as the digit
  b2a_error         mean absolute pixel error of B → A against the grey original
  fd_a              FD of the B → A translations to MNIST's test digits, in the MNIST classifier's features
"""

import torch
from torch import nn

from gan_models import translate

from .classifier import COLOUR_ASSET, embed, load_classifier
from .colour import Domains, load_domains
from .metrics import feature_stats, frechet_distance

QUICK_N = 1000  # test digits the quick numbers during training translate: seconds, not minutes


def _read(clf: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, float]:
    """The classifier's features of `images`, and the share it reads as `labels`."""
    feats, probs = embed(clf, images)
    return feats, (probs.argmax(1) == labels).float().mean().item()


def _fd(feats: torch.Tensor, reference: torch.Tensor) -> float:
    return frechet_distance(*feature_stats(feats), *feature_stats(reference))


def _pixel_error(images: torch.Tensor, target: torch.Tensor) -> float:
    return (images.float() - target.reshape(images.shape).float()).abs().mean().item() / 255


@torch.no_grad()
def translation_scores(translator: nn.Module, domains: Domains, n: int = 10_000) -> dict:
    """Every score of the module docstring, from the first `n` test digits."""
    device = next(translator.parameters()).device
    clf_a, clf_b = load_classifier(device=device), load_classifier(COLOUR_ASSET, device=device)
    grey, colour, labels = domains.a_test[:n], domains.b_test[:n], domains.test_labels[:n]
    to_b = translate(translator, grey, "a2b")
    back = translate(translator, to_b, "b2a")
    to_a = translate(translator, colour, "b2a")
    feats_b, shape_kept = _read(clf_b, to_b, labels)
    _, round_trip = _read(clf_a, back, labels)
    feats_a, b2a_accuracy = _read(clf_a, to_a, labels)
    return {"n": len(labels), "shape_kept": shape_kept, "fd_b": _fd(feats_b, embed(clf_b, colour)[0]),
            "round_trip": round_trip, "round_trip_error": _pixel_error(back, grey),
            "b2a_accuracy": b2a_accuracy, "b2a_error": _pixel_error(to_a, grey),
            "fd_a": _fd(feats_a, embed(clf_a, grey)[0])}


@torch.no_grad()
def real_scores(domains: Domains, n: int = 10_000, seed: int = 0) -> dict:
    """The floor: `n` real training digits of each domain scored as translations are, against the same
    test digits (FD), and each classifier's reading of the real test digits (accuracy)."""
    clf_a, clf_b = load_classifier(), load_classifier(COLOUR_ASSET)
    gen = torch.Generator().manual_seed(seed)
    pick_a = torch.randperm(len(domains.a_train), generator=gen)[:n]
    pick_b = torch.randperm(len(domains.b_train), generator=gen)[:n]
    test_n = min(n, len(domains.test_labels))
    feats_b, shape = _read(clf_b, domains.b_test[:test_n], domains.test_labels[:test_n])
    feats_a, grey = _read(clf_a, domains.a_test[:test_n], domains.test_labels[:test_n])
    return {"n": n, "shape_kept": shape, "fd_b": _fd(embed(clf_b, domains.b_train[pick_b])[0], feats_b),
            "round_trip": grey, "b2a_accuracy": grey, "fd_a": _fd(embed(clf_a, domains.a_train[pick_a])[0], feats_a)}


def quick_metrics(translator: nn.Module, data_dir=None, n: int = QUICK_N) -> dict:
    """A few seconds' worth of the scores, for training logs: fewer digits read FD higher than
    `translation_scores` at its default does, so compare quick numbers only with each other."""
    scores = translation_scores(translator, load_domains(data_dir), n)
    return {k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in scores.items()}
