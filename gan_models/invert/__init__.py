"""Finding a digit in a generator's latent space: the latent (and label weights) whose image is
closest. Its command line is in __main__.py: `python -m gan_models.invert --help`."""

import argparse
import math
from dataclasses import dataclass, field, fields
from typing import Iterator, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..latent import check_seed, sample_latents, whole
from ..sampling import to_uint8

MAX_STEPS = 1000  # the most optimisation steps one call may take: a shared server's bound on its cost
MAX_RESTARTS = 32  # the most random starts one call may try
SCALES = (2, 4)  # the distance's blurred copies: averages over 2x2 and 4x4 cells


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Recipe:
    """How an inversion searches: each setting's one home, with its default; the command line's
    flags are made from these fields."""
    steps: int = _setting(200, "optimisation steps per digit, the search's included")
    restarts: int = _setting(20, "random starts per digit; at least 10 tries every digit or category")
    search_steps: int = _setting(20, "steps every start takes before the best go on")
    finalists: int = _setting(3, "starts per digit that go on after the search; the best of them wins")
    lr: float = _setting(0.1, "Adam's step size on the latents and label logits")
    feature_weight: float = _setting(1.0, "weight of the blurred images' distance beside the pixels'")
    prior_weight: float = _setting(0.01, "pull of |z| towards the shell where Gaussian latents lie")
    label_init: float = _setting(3.0, "a start's logit for its digit, the others' 0 (conditional models)")


class Inversion(NamedTuple):
    """Where an inversion stands: latents (N, latent_dim), label weights (N, classes) of a conditional
    model (rows sum to 1; None otherwise), reconstructions uint8 (N, 28, 28), their distances (N,) to
    the targets, and the step reached out of `steps`."""
    latents: torch.Tensor
    labels: torch.Tensor | None
    images: torch.Tensor
    losses: torch.Tensor
    step: int
    steps: int


def invert(generator: nn.Module, images, seed: int = 0, recipe: Recipe = Recipe()) -> Inversion:
    """The latents whose images are closest to uint8 digits `images` (N, 28, 28); same seed, same result."""
    *_, last = invert_steps(generator, images, seed, recipe)
    return last


def check_recipe(recipe: Recipe) -> Recipe:
    """`recipe`, or a ValueError naming the setting beyond its bound."""
    whole(recipe.steps, "steps", 1, MAX_STEPS)
    whole(recipe.restarts, "restarts", 1, MAX_RESTARTS)
    whole(recipe.search_steps, "search_steps", 0)
    whole(recipe.finalists, "finalists", 1)
    for name in ("lr", "feature_weight", "prior_weight", "label_init"):
        value = getattr(recipe, name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number of at least 0; got {value!r}")
    return recipe


def as_targets(images, generator: nn.Module) -> torch.Tensor:
    """uint8 digits (N, 28, 28) as floats in [0, 1] (N, 1, 28, 28), or a ValueError saying what is wrong."""
    if getattr(generator, "channels", 1) != 1:
        raise ValueError(f"this model draws {generator.channels}-channel images; inversion takes models "
                         "of grey digits")
    array = np.asarray(images)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (28, 28) or len(array) == 0 or array.dtype != np.uint8:
        raise ValueError(f"images must be uint8 digits of shape (N, 28, 28); got {array.dtype} {array.shape}")
    return torch.from_numpy(array.copy()).float().div(255).unsqueeze(1)


def distance(x: torch.Tensor, target: torch.Tensor, feature_weight: float) -> torch.Tensor:
    """Per-image distance (N,) between images in [0, 1]: the pixels' mean squared difference, plus
    `feature_weight` times that of each blurred copy (SCALES)."""
    # The blurred scales see where the strokes are even where they do not overlap: pixels alone have
    # no gradient from a stroke a few pixels to the side, and leave the start in the wrong digit.
    loss = (x - target).square().mean((1, 2, 3))
    for k in SCALES:
        loss = loss + feature_weight * (F.avg_pool2d(x, k) - F.avg_pool2d(target, k)).square().mean((1, 2, 3))
    return loss


def prior(z: torch.Tensor) -> torch.Tensor:
    """Per-latent (N,) distance of |z|² from its Gaussian expectation, the latent dimension."""
    return (z.square().mean(1) - 1).square()


def starts(generator: nn.Module, n: int, restarts: int, seed: int, label_init: float):
    """Latents (n·R, D) and label logits (n·R, classes) or None for every restart of every image.

    An InfoGAN's category, or a conditional model's digit, differs from restart to restart, so that
    `restarts` at least the number of categories tries each one."""
    gen = torch.Generator().manual_seed(seed)
    z = sample_latents(n * restarts, generator.latent_dim, seed).view(n, restarts, -1)
    choices = generator.codes or generator.num_classes
    picked = None
    if choices:
        offset = torch.randint(choices, (n, 1), generator=gen)
        picked = (offset + torch.arange(restarts)) % choices  # (n, R)
    if generator.codes:  # swap each latent's largest code value into the picked place: still Gaussian
        top = z[..., :generator.codes].argmax(-1)
        big = z.gather(-1, top[..., None])
        z.scatter_(-1, top[..., None], z.gather(-1, picked[..., None]))
        z.scatter_(-1, picked[..., None], big)
    logits = None
    if generator.num_classes:
        logits = F.one_hot(picked, generator.num_classes).float() * label_init
        logits = logits.view(n * restarts, -1)
    return z.view(n * restarts, -1), logits


class _Search:
    """Adam on `k` candidate latents (and label logits) for each of n target images, rows image-major;
    one object so that the optimiser's moments carry on from one stretch of steps to the next."""

    def __init__(self, generator: nn.Module, z: torch.Tensor, logits: torch.Tensor | None,
                 targets: torch.Tensor, recipe: Recipe):
        self.generator, self.targets, self.recipe = generator, targets, recipe
        self.k = len(z) // len(targets)
        # An InfoGAN's category is the argmax of z's first values: held fixed, as a restart chose it,
        # since no gradient sees a switch of category, only the jump in the image after it.
        self.code = z[:, :generator.codes].detach().clone()
        self.free = z[:, generator.codes:].detach().clone().requires_grad_()
        self.logits = None if logits is None else logits.detach().clone().requires_grad_()
        self.params = [p for p in (self.free, self.logits) if p is not None]
        self.optimizer = torch.optim.Adam(self.params, lr=recipe.lr)

    @property
    def z(self) -> torch.Tensor:
        return torch.cat([self.code, self.free], 1)

    def labels(self) -> torch.Tensor | None:
        return None if self.logits is None else self.logits.softmax(1)

    def losses(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Images in [0, 1] and each one's loss (n·k,): distance plus prior."""
        labels, dtype = self.labels(), next(self.generator.parameters()).dtype
        # A bf16 model takes bf16 inputs; the search itself stays in float32, where Adam's small steps register.
        x = self.generator(self.z.to(dtype), None if labels is None else labels.to(dtype)).float() / 2 + 0.5
        loss = distance(x, self.targets.repeat_interleave(self.k, 0), self.recipe.feature_weight)
        return x, loss + self.recipe.prior_weight * prior(self.z)

    def run(self, steps: int) -> None:
        for _ in range(steps):
            _, loss = self.losses()
            # autograd.grad, not backward: the generator's weights get no gradient, so none is computed or kept
            grads = torch.autograd.grad(loss.sum(), self.params)
            for p, g in zip(self.params, grads):
                p.grad = g
            self.optimizer.step()

    @torch.no_grad()
    def best(self, k: int) -> torch.Tensor:
        """Rows of the `k` candidates of each image with the lowest loss, image-major."""
        loss = self.losses()[1].view(len(self.targets), self.k)
        top = loss.topk(min(k, self.k), 1, largest=False).indices
        return (top + torch.arange(len(self.targets), device=top.device)[:, None] * self.k).flatten()

    def keep(self, k: int) -> "_Search":
        """A fresh search from the best `k` candidates of each image."""
        rows = self.best(k)
        logits = None if self.logits is None else self.logits[rows]
        return _Search(self.generator, self.z[rows], logits, self.targets, self.recipe)

    @torch.no_grad()
    def state(self, step: int) -> Inversion:
        """Each image's best candidate so far."""
        rows = self.best(1)
        x, loss = self.losses()
        labels = self.labels()
        return Inversion(self.z[rows].cpu(), None if labels is None else labels[rows].cpu(),
                         to_uint8(x[rows] * 2 - 1)[:, 0], loss[rows].cpu(), step, self.recipe.steps)


def invert_steps(generator: nn.Module, images, seed: int = 0, recipe: Recipe = Recipe(),
                 every: int = 10) -> Iterator[Inversion]:
    """`invert`, step by step: an Inversion every `every` steps after the search, and the last one.

    Every restart of every image takes `search_steps` steps in one batch; the best `finalists`
    restarts of each image go on for the remaining steps, and the best of them is the answer."""
    check_recipe(recipe)
    seed, every = check_seed(seed), whole(every, "every", 1)
    targets = as_targets(images, generator)
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()  # BatchNorm's running statistics: each image independent of the rest of the batch
    try:
        z, logits = starts(generator, len(targets), recipe.restarts, seed, recipe.label_init)
        search = _Search(generator, z.to(device), None if logits is None else logits.to(device),
                         targets.to(device), recipe)
        done = min(recipe.search_steps, recipe.steps) if recipe.restarts > recipe.finalists else 0
        search.run(done)
        search = search.keep(recipe.finalists)
        while True:
            chunk = min(every, recipe.steps - done)
            search.run(chunk)
            done += chunk
            yield search.state(done)
            if done == recipe.steps:
                return
    finally:
        generator.train(was_training)


def add_recipe_flags(parser: argparse.ArgumentParser) -> None:
    """A flag for each Recipe field (--steps, --restarts, ...), its default and help taken from the field."""
    for setting in fields(Recipe):
        bound = {"steps": f" (at most {MAX_STEPS})", "restarts": f" (at most {MAX_RESTARTS})"}.get(setting.name, "")
        parser.add_argument("--" + setting.name.replace("_", "-"), type=setting.type, default=setting.default,
                            help=setting.metadata["help"] + bound)


def recipe_from(args: argparse.Namespace) -> Recipe:
    """The Recipe that add_recipe_flags' flags name, or a ValueError naming a setting beyond its bound."""
    return check_recipe(Recipe(**{s.name: getattr(args, s.name) for s in fields(Recipe)}))
