"""A training run's settings, each declared once: its type, default and one-line help.

The command line's flags are made from these declarations (training/flags.py); the defaults that
depend on the architecture's recipe, the hardware and the world size are filled in by
`training.defaults.resolve_defaults`, the one place that knows them.
"""

import math
from dataclasses import dataclass, field, fields

from gan_models import check_seed, list_architectures, list_models, model_config, model_family

from . import distributed as dist
from .data import DATASETS, MNIST_TRAIN_IMAGES, data_dir_help
from .losses import list_losses
from .tracking import TRACKERS

PRECISIONS = ("auto", "fp32", "bf16")


def setting(value, help, *, cli: bool = True, **flag):
    """A setting: its default, its one-line help (a string, or a function giving it when the
    parser is built) and the argparse options of its flag; `cli=False` keeps it off the command line."""
    return field(default=value, metadata={"help": help, "flag": flag if cli else None})


def _loss_help() -> str:
    return "the GAN objective, a registered loss (default: the architecture's recipe, else ns)"


@dataclass
class TrainConfig:
    arch: str = setting("dcgan", "registered architecture: a GAN, or a translator between two domains",
                        choices=list_architectures)
    conditional: bool = setting(False, "condition G and D on the digit label")
    loss: str | None = setting(None, _loss_help, choices=list_losses)
    dataset: str = setting("mnist", "stacked-mnist: three digits as RGB channels, 1000 modes", choices=lambda: DATASETS)
    steps: int | None = setting(None, "generator updates to train for", group="length")
    epochs: float | None = setting(None, "passes over the data (default 5 when neither --steps nor --time-limit "
                                         "is given)", group="length")
    time_limit: float | None = setting(None, "stop after this many seconds of training, then export; alone, "
                                             "it sets the run's length")
    batch_size: int | None = setting(None, "images per step and process (default: 16 or 32 on a CPU, 128 on a GPU)")
    lr: float | None = setting(None, "Adam's learning rate (default: the loss's, scaled by batch and width; "
                                     "see docs)")
    lr_g: float | None = setting(None, "the generator's learning rate (default: --lr)")
    lr_d: float | None = setting(None, "the discriminator's learning rate (default: --lr)")
    betas: tuple[float, float] | None = setting(None, "Adam's decay rates (default: the loss's)", nargs=2,
                                                metavar=("BETA1", "BETA2"))
    lr_decay: float | None = setting(None, "closing share of the run over which the learning rate falls "
                                           "linearly to 0 (default: the recipe's, else 0)")
    top_k: float | None = setting(None, "share of the fakes, those D rates most real, that G learns from by "
                                        "the end (default: the recipe's, else 1)")
    d_steps: int | None = setting(None, "discriminator updates per generator update (default: the loss's)")
    gp_weight: float = setting(10.0, "weight of the gradient penalty, for losses that have one")
    latent_dim: int = setting(100, "size of the latent vector z")
    width: int | None = setting(None, "channels of the model's narrowest layers (default: the "
                                      "architecture's; half on a CPU without bf16)")
    codes: int = setting(0, "InfoGAN: categories of a latent code G reads from z and D tells back (0: none)")
    continuous_codes: int = setting(0, "InfoGAN: continuous codes in [-1, 1], read from z, that D's code "
                                       "head predicts (0: none)")
    late_codes: int = setting(0, "InfoGAN: the last N continuous codes reach G only at 14×14 (style, not layout)")
    code_weight: float = setting(1.0, "weight of that code loss: higher sharpens, lower keeps variety")
    code_fade: float = setting(0.0, "opening share of the run over which the code weight falls to 0 (0: constant)")
    ema: bool = setting(True, "export an exponential moving average of G's weights")
    spectral_norm: bool | None = setting(None, "spectral normalisation on D's layers (default: the recipe's)")
    ema_decay: float = setting(0.999, "the EMA's decay once its warm-up reaches it")
    seed: int = setting(0, "random seed (data order, noise, initial weights)")
    data_dir: str | None = setting(None, data_dir_help)
    out: str = setting("runs/run", "run folder (default: runs/<arch>-<timestamp>)", default=None)
    resume: bool = setting(False, "continue the run in --out from its last checkpoint, with its settings "
                                  "where the command leaves them out")
    device: str = setting("auto", "auto (CUDA when available), cpu, cuda, cuda:1, mps")
    precision: str = setting("auto", "auto: bf16 autocast on CUDA and on CPUs with bf16 instructions",
                             choices=lambda: PRECISIONS)
    compile: bool = setting(False, "torch.compile G and D (faster after a warm-up)")
    cuda_graphs: bool = setting(True, "on a GPU, replay each step as one CUDA graph (single process, "
                                      "where the loss allows)")
    tracker: str | None = setting(None, "also log scalars and sample grids to tensorboard "
                                        "(pip install -e '.[tracking]')", choices=lambda: tuple(TRACKERS))
    log_every: int = setting(50, "steps between metric records")
    sample_every: int = setting(500, "steps between sample grids")
    checkpoint_every: int = setting(500, "steps between checkpoints")
    checkpoint_seconds: float = setting(60.0, "seconds of training between checkpoints as well, so a kill "
                                              "loses at most about this much")
    eval_every: int = setting(0, "steps between quick quality evaluations (0: never)")
    cycle_weight: float = setting(10.0, "translators: weight of the cycle loss, |B→A(A→B(a)) − a| and back (0: off)")
    identity_weight: float = setting(0.0, "translators: weight of the identity loss, A→B(b as grey) ≈ b and back "
                                          "(0: off)")
    command: str = setting("", "the command that made the run, for its model card", cli=False)

    def __post_init__(self):
        from .defaults import resolve_defaults  # it reads the recipe, the loss and the hardware, and imports this module

        resolve_defaults(self)
        check(self)


def settings() -> list:
    """The declared settings (dataclass fields), in order."""
    return list(fields(TrainConfig))


def check(cfg: TrainConfig) -> None:
    """A ValueError naming the first setting out of its range, or at odds with another."""
    _check_kinds(cfg)
    _check_ranges(cfg)
    _check_combinations(cfg)
    _check_family(cfg)


def _check_kinds(cfg: TrainConfig) -> None:
    for name, allowed in (("loss", list_losses()), ("dataset", DATASETS), ("precision", PRECISIONS)):
        if getattr(cfg, name) not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {getattr(cfg, name)!r}")
    for name in (*_COUNTS, "eval_every", "codes", "continuous_codes", "late_codes"):
        value = getattr(cfg, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be a whole number; got {value!r}")


_COUNTS = ("steps", "batch_size", "log_every", "sample_every", "checkpoint_every", "d_steps", "latent_dim", "width")


def _check_ranges(cfg: TrainConfig) -> None:
    for name in _COUNTS:
        if getattr(cfg, name) is not None and getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be at least 1; got {getattr(cfg, name)}")
    for name in ("epochs", "time_limit", "lr", "lr_g", "lr_d", "code_weight", "checkpoint_seconds"):
        if getattr(cfg, name) is not None and not 0 < getattr(cfg, name) < math.inf:  # NaN fails too
            raise ValueError(f"{name} must be a number above 0; got {getattr(cfg, name)}")
    if not cfg.resume:  # a resume takes its checkpoint's seed, which older versions let exceed the range
        check_seed(cfg.seed)
    if cfg.batch_size * dist.world_size() > MNIST_TRAIN_IMAGES:
        raise ValueError(f"batch_size: a global batch of {cfg.batch_size * dist.world_size():,} is more than "
                         f"MNIST's {MNIST_TRAIN_IMAGES:,} training digits")
    if not 0 <= cfg.gp_weight < math.inf:
        raise ValueError(f"gp_weight must be a number, 0 or more; got {cfg.gp_weight}")
    if not 0 <= cfg.ema_decay < 1:
        raise ValueError(f"ema_decay must be at least 0 and below 1; got {cfg.ema_decay}")
    if cfg.eval_every < 0:
        raise ValueError(f"eval_every must be 0 (never) or more; got {cfg.eval_every}")
    for name, what in (("lr_decay", "a share of the run"), ("code_fade", "a share of the run")):
        if not 0 <= getattr(cfg, name) <= 1:
            raise ValueError(f"{name} is {what}, between 0 and 1; got {getattr(cfg, name)}")
    if not 0 < cfg.top_k <= 1:
        raise ValueError(f"top_k is a share of the batch, above 0 and at most 1; got {cfg.top_k}")
    if len(cfg.betas) != 2 or not all(0 <= b < 1 for b in cfg.betas):  # NaN fails too
        raise ValueError(f"betas are Adam's two decay rates, each at least 0 and below 1; got {cfg.betas}")


def _check_combinations(cfg: TrainConfig) -> None:
    if cfg.conditional and not DATASETS[cfg.dataset].conditional:
        raise ValueError(f"conditional works with the mnist dataset only ({cfg.dataset} has no digit labels "
                         "a model can take)")
    if cfg.top_k < 1 and not cfg.lr_decay:
        raise ValueError("top_k acts in the closing share of the run that lr_decay sets: set that share too")
    if cfg.codes == 1 or not 0 <= cfg.codes <= cfg.latent_dim:  # a code of one value tells nothing
        raise ValueError(f"codes are read out of z: 0 (none) or from 2 to latent_dim ({cfg.latent_dim}); "
                         f"got {cfg.codes}")
    if not 0 <= cfg.continuous_codes <= cfg.latent_dim - cfg.codes:
        raise ValueError(f"continuous_codes are read out of z after the categorical code: 0 (none) to "
                         f"{cfg.latent_dim - cfg.codes}; got {cfg.continuous_codes}")
    if not 0 <= cfg.late_codes <= cfg.continuous_codes:
        raise ValueError(f"late_codes are some of the continuous codes: 0 to {cfg.continuous_codes}; "
                         f"got {cfg.late_codes}")
    for name, arg, lacking in (("codes", "codes", "no latent codes; architectures with them"),
                               ("continuous_codes", "continuous", "no continuous codes; architectures with them"),
                               ("late_codes", "late_codes", "no late codes; architectures with them"),
                               ("width", "width", "no width setting; architectures with one")):
        if getattr(cfg, name) and arg not in model_config(cfg.arch):
            having = [a for a in list_models() if arg in model_config(a)]
            raise ValueError(f"architecture {cfg.arch!r} has {lacking}: " + ", ".join(having))


def _check_family(cfg: TrainConfig) -> None:
    """A translator trains on a dataset of two domains, a GAN on one of a single domain."""
    family = model_family(cfg.arch)
    if DATASETS[cfg.dataset].family != family:
        fitting = ", ".join(name for name, d in DATASETS.items() if d.family == family)
        raise ValueError(f"dataset {cfg.dataset!r} does not suit architecture {cfg.arch!r}, a {family}: train it "
                         f"on {fitting}")
    for name in ("cycle_weight", "identity_weight"):
        if not 0 <= getattr(cfg, name) < math.inf:
            raise ValueError(f"{name} must be a number, 0 or more; got {getattr(cfg, name)}")
