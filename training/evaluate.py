"""Score a generator by what a digit classifier sees in its samples.

    python -m training.evaluate --model runs/dcgan --data-dir ../shared/data --json dcgan.json
    python -m training.evaluate --real --data-dir ../shared/data          # the floor: real digits
    python -m training.evaluate --stacked --model runs/stacked --data-dir ../shared/data
    python -m training.evaluate --stacked --real --data-dir ../shared/data
    python -m training.evaluate --model pretrained/dcgan --truncation 1.5  # as the app draws it at 1.5

Features are the 128-d penultimate layer of training/assets/mnist_classifier.safetensors; the
reference is the MNIST test set.
  fd              Fréchet distance between sample features and test-set features
  is              classifier Inception Score, exp E KL(p(y|x) ‖ p(y)), from 1 to 10
  hist, kl        share of samples classified as each digit, and its KL to uniform (ln 10 = one digit)
  modes           digits that are the classifier's answer for at least 1 % of the samples
  confidence      mean of the classifier's top probability
  precision       share of samples inside the k-NN balls (k = 3) of test digits (Kynkäänniemi et al.)
  recall          share of test digits (as many as samples, up to 10,000) inside the k-NN balls of the samples
  label_accuracy  conditional models: share classified as the digit they were asked for
Stacked MNIST (VEEGAN / PacGAN protocol, 26,000 samples): each channel is classified on its own;
  modes counts the digit triples (of 1000) seen at least once, kl is the triple histogram's KL to uniform.
--truncation T scores a model as the app draws it at that truncation (latent values beyond ±T redrawn).
"""

import argparse
import functools
import json
import sys
from pathlib import Path

import torch
from torch import nn

from gan_models import ModelLoadError, check_seed, device_named, generate, load_generator, resolve_source
from gan_models.sampling import labels_for

from .classifier import ClassifierLoadError, DigitClassifier, embed, load_classifier
from .data import DataNotFoundError, data_dir_help, load_mnist
from .metrics import (class_histogram, count_modes, feature_stats, frechet_distance, inception_score,
                      kl_to_uniform, precision_recall)
from .report import update_card_metrics

K = 3  # neighbours for precision/recall, as in Kynkäänniemi et al. (2019)
MIN_N = K * 3 + 1  # the fewest samples the scores are computed from
MODES_MIN_SHARE = 0.01  # a digit "is produced" when it is at least a tenth of its uniform share
STACKED_N = 26_000  # samples in the Stacked MNIST protocol
QUICK_N, QUICK_STACKED_N = 2000, 5000  # quick metrics during training: seconds, not minutes


def score_digits(clf: DigitClassifier, images: torch.Tensor, real_mu: torch.Tensor, real_cov: torch.Tensor,
                 real_features: torch.Tensor, labels: torch.Tensor | None = None) -> dict:
    """Every single-digit metric of uint8 `images` (N, 1, 28, 28) against real-feature statistics."""
    feats, probs = embed(clf, images)
    preds = probs.argmax(1)
    hist = class_histogram(preds, 10)
    precision, recall = precision_recall(real_features, feats, k=K)
    scores = {"fd": frechet_distance(*feature_stats(feats), real_mu, real_cov), "is": inception_score(probs),
              "hist": [round(h, 5) for h in hist.tolist()], "kl": kl_to_uniform(hist),
              "modes": count_modes(hist, MODES_MIN_SHARE), "confidence": probs.max(1).values.mean().item(),
              "precision": precision, "recall": recall}
    if labels is not None:
        scores["label_accuracy"] = (preds == labels).float().mean().item()
    return scores


def stacked_scores(clf: DigitClassifier, images: torch.Tensor) -> dict:
    """Modes covered (of 1000) and KL to uniform of uint8 Stacked MNIST images (N, 3, 28, 28)."""
    _, probs = embed(clf, images)  # one digit per channel, in sample order
    digits = probs.argmax(1).view(-1, 3)
    hist = class_histogram(digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2], 1000)
    return {"modes": int((hist > 0).sum()), "kl": kl_to_uniform(hist),
            "confidence": probs.max(1).values.mean().item()}


@functools.lru_cache(maxsize=2)
def _test_features(clf: DigitClassifier, data_dir: str | None) -> torch.Tensor:
    images, _ = load_mnist(data_dir, train=False)
    return embed(clf, images)[0]


def _against_test_set(clf: DigitClassifier, images: torch.Tensor, data_dir: str | None, seed: int,
                      labels: torch.Tensor | None = None) -> dict:
    real = _test_features(clf, data_dir)
    # Precision/recall compare equal-sized sets; FD always uses the whole test set.
    subset = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[:len(images)]
    return score_digits(clf, images, *feature_stats(real), real[subset], labels)


def _classifier_device(generator: nn.Module) -> torch.device:
    return next(generator.parameters()).device


def evaluate_generator(generator: nn.Module, n: int = 10_000, seed: int = 0, data_dir: str | None = None,
                       truncation: float | None = None) -> dict:
    """Single-digit metrics of `n` samples, drawn at `truncation` (None: off), against the MNIST test set."""
    if getattr(generator, "channels", 1) != 1:
        raise ValueError("this is a Stacked MNIST generator (3 channels): evaluate it with --stacked")
    clf = load_classifier(device=_classifier_device(generator))
    images = generate(generator, n, seed, truncation=truncation)
    return _against_test_set(clf, images, data_dir, seed, labels_for(generator, n, None))  # as generate drew them


def evaluate_real(n: int = 10_000, seed: int = 0, data_dir: str | None = None,
                  device: torch.device | str = "cpu") -> dict:
    """Single-digit metrics of `n` random MNIST training digits: the floor any generator is compared with."""
    clf = load_classifier(device=device)
    images, _ = load_mnist(data_dir, train=True)
    idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]
    return _against_test_set(clf, images[idx].unsqueeze(1), data_dir, seed)


def evaluate_stacked(generator: nn.Module | None, n: int = STACKED_N, seed: int = 0,
                     data_dir: str | None = None, device: torch.device | str = "cpu",
                     truncation: float | None = None) -> dict:
    """Stacked MNIST modes and KL of a 3-channel generator (its samples drawn at `truncation`), or of
    random real triples when it is None."""
    if generator is None:
        clf = load_classifier(device=device)
        digits, _ = load_mnist(data_dir, train=True)
        idx = torch.randint(len(digits), (n, 3), generator=torch.Generator().manual_seed(seed))
        images = digits[idx]
    else:
        if getattr(generator, "channels", 1) != 3:
            raise ValueError("--stacked needs a Stacked MNIST generator (3 channels); this one has "
                             f"{getattr(generator, 'channels', 1)}: leave out --stacked")
        clf = load_classifier(device=_classifier_device(generator))
        images = generate(generator, n, seed, truncation=truncation)
    return stacked_scores(clf, images)


def quick_metrics(generator: nn.Module, device: torch.device | str = "cpu", n: int | None = None,
                  seed: int = 0) -> dict:
    """A few seconds' worth of metrics for training logs, against test statistics shipped with the classifier.

    Uses fewer samples than the CLI (2,000; 5,000 for Stacked MNIST): FD reads higher, k-NN balls
    among fewer points are wider so precision/recall read higher, and Stacked MNIST modes lower
    than `python -m training.evaluate` would say; compare quick numbers only with each other.
    Leaves the global RNG and the generator's train/eval mode as they were.
    """
    clf = load_classifier(device=device)
    stacked = getattr(generator, "channels", 1) == 3
    n = n or (QUICK_STACKED_N if stacked else QUICK_N)
    images = generate(generator, n, seed)
    if stacked:
        scores = stacked_scores(clf, images)
    else:
        ref = clf.reference
        scores = score_digits(clf, images, ref["mu"], ref["cov"], ref["features"], labels_for(generator, n, None))
        del scores["hist"]  # training logs take scalars only
    # Six significant digits keep metrics.jsonl and the model card readable and lose nothing that matters.
    return {k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in scores.items()}


def format_table(results: dict) -> str:
    """Results as aligned `name  value` lines; the histogram as one line of percentages."""
    lines = []
    for key, value in results.items():
        if key == "hist":
            value = "  ".join(f"{d}:{share:.1%}" for d, share in enumerate(value))
        elif isinstance(value, float):
            value = f"{value:.4g}"
        lines.append(f"{key:<15} {value}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[1:]))
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", help="model folder, run folder, or Hub repo id owner/name[@revision]")
    what.add_argument("--real", action="store_true", help="score real training digits instead of a model")
    p.add_argument("--stacked", action="store_true", help="Stacked MNIST: modes of 1000 and KL over 3 channels")
    p.add_argument("--n", type=int, help=f"samples to score (default 10000; {STACKED_N} with --stacked)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the samples and the real subsets")
    p.add_argument("--truncation", type=float, metavar="T",
                   help="draw the samples with latent values beyond ±T redrawn (default: no truncation)")
    p.add_argument("--json", help="also write the results to this JSON file")
    p.add_argument("--data-dir", help=data_dir_help())
    p.add_argument("--device", default="cpu", help="torch device for the generator and the classifier")
    p.add_argument("--update-card", action="store_true",
                   help="also write the results into the model folder's card (README.md)")
    return p


def checked_n(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """The number of samples to score, once every setting is known to be usable (else argparse's error)."""
    if args.update_card and (args.real or not Path(args.model).is_dir()):
        p.error("--update-card needs --model to be a local model or run folder")
    if args.truncation is not None and args.real:
        p.error("--truncation applies to a model's samples: leave it out with --real")
    if args.truncation is not None and not args.truncation > 0:  # NaN fails too
        p.error("--truncation must be a number above 0 (leave it out for none)")
    try:
        device_named(args.device)
    except ValueError as err:
        p.error(str(err))
    try:
        check_seed(args.seed)
    except ValueError as err:
        p.error(f"--{err}")
    n = (STACKED_N if args.stacked else 10_000) if args.n is None else args.n
    if n < MIN_N:
        p.error(f"--n must be at least {MIN_N}")
    if args.real and not args.stacked and n > 60_000:
        p.error("--real has 60,000 training digits: use --n 60000 or fewer")
    return n


def score(args: argparse.Namespace, n: int) -> dict:
    """The results the command prints: what was scored, how, and its scores."""
    generator = None if args.real else load_generator(args.model, device=args.device)
    if args.stacked:
        scores = evaluate_stacked(generator, n, args.seed, args.data_dir, args.device, args.truncation)
    elif generator is None:
        scores = evaluate_real(n, args.seed, args.data_dir, args.device)
    else:
        scores = evaluate_generator(generator, n, args.seed, args.data_dir, args.truncation)
    source = "real MNIST training digits" if args.real else args.model
    drawn = {"truncation": args.truncation} if args.truncation is not None else {}
    return {"source": source, "stacked": args.stacked, "n": n, "seed": args.seed, **drawn, **scores}


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    n = checked_n(p, args)
    try:
        results = score(args, n)
        print(format_table(results))
        if args.update_card:  # before --json: a mistyped --json path then leaves the card updated
            folder = resolve_source(args.model)
            update_card_metrics(folder, {k: v for k, v in results.items() if k not in ("source", "stacked")})
            print(f"updated {folder / 'README.md'}")
        if args.json:
            path = Path(args.json)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(results, indent=2) + "\n")
            except OSError as err:
                raise OSError(f"--json {path} cannot be written ({err.strerror or err}); the scores are above"
                              ) from None
            print(f"wrote {path}")
    except (ModelLoadError, ClassifierLoadError, DataNotFoundError, ValueError, OSError) as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)  # one line, even for wrapped messages
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
