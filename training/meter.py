"""The mode-collapse meter: which digits a generator draws, as the shipped classifier reads them."""

import torch

from gan_models import to_uint8

from .classifier import load_classifier, to_input
from .metrics import class_histogram, count_modes, kl_to_uniform

PRESENT = 0.02  # a digit counts as present from a fifth of its fair share (0.1) on


@torch.no_grad()
def collapse_meter(images: torch.Tensor) -> dict:
    """The share of each digit among `images` (G's output in [-1, 1], or uint8), the KL divergence of
    those shares to uniform (0: even; ln 10 ≈ 2.3: one digit only) and how many digits are present."""
    digits = images if images.dtype == torch.uint8 else to_uint8(images)
    clf = load_classifier(device=digits.device)
    shares = class_histogram(clf(to_input(digits)).argmax(1), 10)
    return {"shares": shares.tolist(), "kl": kl_to_uniform(shares), "present": count_modes(shares, PRESENT)}
