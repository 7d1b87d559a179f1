"""A training run's settings: what the command gives, filled in from the architecture's recipe."""

import math
from dataclasses import dataclass

import torch

from gan_models import check_seed, list_models, model_config, training_recipe

from . import distributed as dist
from .data import MNIST_TRAIN_IMAGES
from .device import native_bf16
from .losses import LOSSES

DATASETS = ("mnist", "stacked-mnist")
PRECISIONS = ("auto", "fp32", "bf16")


def default_batch_size(device: str) -> int:
    """Images per step where the command gives none: 32 on a CPU with bf16 instructions, 16 on one
    without, 128 on an accelerator.

    A CPU's step costs about in proportion to its images, so smaller batches give more steps in the
    same time, and a GAN learns by the step: in 5 minutes on a 2-core CPU with bf16, batch 32 reached
    FD 79 (8,168 steps), batch 128 FD 268 (2,301 steps). On a 2-core CPU without bf16, three times
    slower, batch 16 beat 32 in 5 minutes (FD 322 against 461 at width 64, 212 against 247 at width
    32) and in 15 (FD 78 against 107 at width 64); with bf16, where a step's fixed costs weigh more,
    16 and 32 came out even. An accelerator runs a small batch in about the time of a large one."""
    if _on_cpu(device):
        return 32 if native_bf16(torch.device("cpu")) else 16
    return 128


def default_width(arch: str, device: str) -> int | None:
    """The width where the command gives none: half the architecture's on a CPU without bf16
    instructions, the architecture's own elsewhere; None for an architecture without one.

    Half the width is about a quarter of the arithmetic per image. On a 2-core CPU without bf16, a
    5-minute DCGAN run at width 32 made 8,541 steps and reached FD 109 where width 64 made 3,880 and
    reached FD 322 (the learning rate following the width, below)."""
    full = model_config(arch).get("width")
    if full is not None and _on_cpu(device) and not native_bf16(torch.device("cpu")):
        return full // 2
    return full


def _on_cpu(device: str) -> bool:
    return device == "cpu" or (device == "auto" and not torch.cuda.is_available())


def default_betas(loss: str) -> tuple[float, float]:
    """Adam's (β1, β2) where the command gives none: WGAN-GP's (0, 0.9), else DCGAN's (0.5, 0.999)."""
    return (0.0, 0.9) if loss == "wgan-gp" else (0.5, 0.999)


def arch_defaults(arch: str) -> dict:
    """The settings a run of `arch` takes where its caller leaves them out: the architecture's recipe
    over the project-wide fallbacks."""
    return {"loss": "ns", "spectral_norm": False, "lr_decay": 0.0, "top_k": 1.0, **training_recipe(arch)}


@dataclass
class TrainConfig:
    arch: str = "dcgan"
    conditional: bool = False
    loss: str | None = None  # None: the architecture's recipe, else "ns"
    dataset: str = "mnist"
    steps: int | None = None
    epochs: float | None = None
    time_limit: float | None = None
    batch_size: int | None = None  # None: default_batch_size(device)
    lr: float | None = None
    betas: tuple[float, float] | None = None  # Adam's (β1, β2); None: default_betas(loss)
    lr_decay: float | None = None  # closing share of the run over which the lr falls linearly to 0; None: recipe, else 0
    top_k: float | None = None  # share of the fakes G learns from by the end of that closing share; None: recipe, else 1
    d_steps: int | None = None
    gp_weight: float = 10.0
    latent_dim: int = 100
    width: int | None = None  # the model's size: channels of its narrowest layers; None: default_width
    codes: int = 0  # categories of an InfoGAN latent code (0: none)
    code_weight: float = 1.0  # weight of the code loss, for D's code head and for G
    code_fade: float = 0.0  # opening share of the run over which that weight falls to 0 (0: constant)
    ema: bool = True
    spectral_norm: bool | None = None  # None: the architecture's recipe, else off
    ema_decay: float = 0.999
    seed: int = 0
    data_dir: str | None = None
    out: str = "runs/run"
    resume: bool = False
    device: str = "auto"
    precision: str = "auto"
    compile: bool = False
    cuda_graphs: bool = True  # replay each step as one CUDA graph where graphable() allows
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 500
    eval_every: int = 0
    command: str = ""

    def __post_init__(self):
        for key, value in arch_defaults(self.arch).items():
            field = self.__dataclass_fields__.get(key)
            if field is None or field.default is not None:  # a recipe fills in only what a caller may leave out
                settable = ", ".join(k for k, f in self.__dataclass_fields__.items() if f.default is None)
                raise ValueError(f"the {self.arch!r} recipe names {key!r}; a recipe can set {settable}")
            if getattr(self, key) is None:  # left out by the caller
                setattr(self, key, value)
        if self.batch_size is None:
            self.batch_size = default_batch_size(self.device)
        if self.width is None:
            self.width = default_width(self.arch, self.device)
        if self.d_steps is None:  # WGAN-GP's critic needs several updates per generator update
            self.d_steps = 5 if self.loss == "wgan-gp" else 1
        self.betas = default_betas(self.loss) if self.betas is None else tuple(map(float, self.betas))
        self._check()
        if self.lr is None:  # square-root scaling keeps Adam stable as the batch grows
            base = 1e-4 if self.loss == "wgan-gp" else 2e-4
            # Adam moves every weight by about lr, and a layer's output by about lr × its inputs: a
            # narrower model takes a larger lr for the same change per step, lr ∝ 1 / width (as in μP).
            narrower = model_config(self.arch)["width"] / self.width if self.width else 1.0
            self.lr = base * math.sqrt(max(1.0, self.batch_size * dist.world_size() / 128)) * narrower

    def _check(self) -> None:
        """A ValueError naming the first setting out of its range, or at odds with another."""
        for name, allowed in (("loss", LOSSES), ("dataset", DATASETS), ("precision", PRECISIONS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        counts = ("steps", "batch_size", "log_every", "sample_every", "checkpoint_every", "d_steps", "latent_dim",
                  "width")
        for name in (*counts, "eval_every", "codes"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} must be a whole number; got {value!r}")
        for name in counts:
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1; got {getattr(self, name)}")
        for name in ("epochs", "time_limit", "lr", "code_weight"):
            if getattr(self, name) is not None and not 0 < getattr(self, name) < math.inf:  # NaN fails too
                raise ValueError(f"{name} must be a number above 0; got {getattr(self, name)}")
        if not self.resume:  # a resume takes its checkpoint's seed, which older versions let exceed the range
            check_seed(self.seed)
        if self.batch_size * dist.world_size() > MNIST_TRAIN_IMAGES:
            raise ValueError(f"batch_size: a global batch of {self.batch_size * dist.world_size():,} is more than "
                             f"MNIST's {MNIST_TRAIN_IMAGES:,} training digits")
        if not 0 <= self.gp_weight < math.inf:
            raise ValueError(f"gp_weight must be a number, 0 or more; got {self.gp_weight}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be at least 0 and below 1; got {self.ema_decay}")
        if self.eval_every < 0:
            raise ValueError(f"eval_every must be 0 (never) or more; got {self.eval_every}")
        if self.conditional and self.dataset == "stacked-mnist":
            raise ValueError("conditional works with the mnist dataset only (Stacked MNIST has 1000 classes)")
        if not 0 <= self.lr_decay <= 1:
            raise ValueError(f"lr_decay is a share of the run, between 0 and 1; got {self.lr_decay}")
        if not 0 < self.top_k <= 1:
            raise ValueError(f"top_k is a share of the batch, above 0 and at most 1; got {self.top_k}")
        if self.top_k < 1 and not self.lr_decay:
            raise ValueError("top_k acts in the closing share of the run that lr_decay sets: set that share too")
        if self.codes == 1 or not 0 <= self.codes <= self.latent_dim:  # a code of one value tells nothing
            raise ValueError(f"codes are read out of z: 0 (none) or from 2 to latent_dim ({self.latent_dim}); "
                             f"got {self.codes}")
        if not 0 <= self.code_fade <= 1:
            raise ValueError(f"code_fade is a share of the run, between 0 and 1; got {self.code_fade}")
        for name, lacking in (("codes", "no latent codes; architectures with them"),
                              ("width", "no width setting; architectures with one")):
            if getattr(self, name) and name not in model_config(self.arch):
                having = [a for a in list_models() if name in model_config(a)]
                raise ValueError(f"architecture {self.arch!r} has {lacking}: " + ", ".join(having))
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):  # NaN fails too
            raise ValueError(f"betas are Adam's two decay rates, each at least 0 and below 1; got {self.betas}")
