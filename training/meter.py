"""The mode-collapse meter: which digits a generator draws, as the shipped classifier reads them. It
reads a few hundred fixed samples in a few milliseconds, so a page can show it every second.

    collapse_meter(images)      # {'shares': [0.1, ...], 'kl': 0.02, 'present': 10}
    mode_meter(trainer)         # the same for 200 fixed samples of the model the trainer would export

The numbers are training.metrics' histogram, KL to uniform and mode count, as training.evaluate
reports them for 10,000 samples; only the presence threshold suits a few hundred.
"""

import torch

from gan_models import generate, to_uint8

from .classifier import DigitClassifier, load_classifier, to_input
from .metrics import class_histogram, count_modes, kl_to_uniform

PRESENT = 0.02  # a digit counts as present from a fifth of its fair share (0.1) on
METER_N, METER_SEED = 200, 4242  # the fixed samples mode_meter reads, so that readings differ by the model only


@torch.no_grad()
def collapse_meter(images: torch.Tensor, classifier: DigitClassifier | None = None) -> dict:
    """The share of each digit among `images` (G's output in [-1, 1], or uint8; (N, 1, 28, 28) or
    (N, 28, 28)), the KL divergence of those shares to uniform (0: even; ln 10 ≈ 2.3: one digit only)
    and how many digits are present. `classifier` defaults to the shipped one on the images' device."""
    if images.numel() == 0 or tuple(images.shape[-2:]) != (28, 28):
        raise ValueError(f"the meter reads 28 x 28 digits; got images of shape {tuple(images.shape)}")
    digits = images if images.dtype == torch.uint8 else to_uint8(images)
    clf = classifier or load_classifier(device=digits.device)
    device = next(clf.parameters(), digits).device  # the classifier's, where it has weights
    shares = class_histogram(clf(to_input(digits).to(device)).argmax(1).cpu(), 10)
    return {"shares": shares.tolist(), "kl": kl_to_uniform(shares), "present": count_modes(shares, PRESENT)}


def mode_meter(trainer, n: int = METER_N, seed: int = METER_SEED) -> dict:
    """collapse_meter of `n` samples from fixed noise, drawn as Trainer.samples draws them: by the
    EMA where the run has one, in eval mode."""
    model = trainer.ema if trainer.ema is not None else trainer.G
    return collapse_meter(generate(model, n, seed), load_classifier(device=trainer.device))
