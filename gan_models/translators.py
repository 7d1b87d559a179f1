"""Translators, the second model family: two generators between image domains A and B (A → B and
B → A) and a discriminator for each domain, trained on unpaired images with a cycle loss (CycleGAN,
Zhu et al., 2017). An architecture is one file in gan_models/architectures/ with one
`@register_translator` factory returning a TranslatorPair. Translators stay out of `list_models()`,
which lists what draws digits from noise; `list_architectures()` has both families.

    from gan_models import load_translator, translate
    translator = load_translator("pretrained/colorize")
    colour = translate(translator, grey_digits, "a2b")   # uint8 (N, 28, 28) -> uint8 (N, 3, 28, 28)
"""

from typing import Callable, NamedTuple

import numpy as np
import torch
from torch import nn

from .registry import factory, list_architectures, model_config, model_family, register
from .sampling import grid, to_uint8

DIRECTIONS = ("a2b", "b2a")


class Cycle(NamedTuple):
    """What a translator's forward pass gives for a batch of A's images and one of B's, all in [-1, 1]."""
    fake_b: torch.Tensor  # A's images translated to B
    fake_a: torch.Tensor  # B's images translated to A
    back_a: torch.Tensor | None = None  # fake_b translated back: the cycle should give A's images again
    back_b: torch.Tensor | None = None
    same_b: torch.Tensor | None = None  # B's images, given to A → B in A's format: should come out as they were
    same_a: torch.Tensor | None = None


def as_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """Images (N, C, H, W) with `channels` channels: colour made grey by the channels' mean, grey
    repeated into each colour channel."""
    if x.shape[1] == channels:
        return x
    return x.mean(1, keepdim=True) if channels == 1 else x.expand(-1, channels, -1, -1)


class Translator(nn.Module):
    """Two generators: `a2b` maps images of domain A (N, channels_a, 28, 28) in [-1, 1] to domain B
    (N, channels_b, 28, 28), `b2a` back. `create_translator` sets `config`, which rebuilds it."""
    config: dict

    def __init__(self, a2b: nn.Module, b2a: nn.Module, channels_a: int, channels_b: int):
        super().__init__()
        self.a2b, self.b2a = a2b, b2a
        self.channels_a, self.channels_b = channels_a, channels_b

    def channels(self, direction: str) -> tuple[int, int]:
        """(channels in, channels out) of `direction`."""
        return (self.channels_a, self.channels_b) if direction == "a2b" else (self.channels_b, self.channels_a)

    def translate(self, x: torch.Tensor, direction: str) -> torch.Tensor:
        """Images of one domain in [-1, 1], translated to the other (`direction`: "a2b" or "b2a")."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'a2b' or 'b2a'; got {direction!r}")
        return (self.a2b if direction == "a2b" else self.b2a)(x)

    def forward(self, a: torch.Tensor, b: torch.Tensor, cycle: bool = True, identity: bool = False) -> Cycle:
        """Both translations of a batch of each domain, with their way back (`cycle`) and the identity
        outputs (`identity`): one call, so that DDP sees every use of the weights in one forward pass."""
        fake_b, fake_a = self.a2b(a), self.b2a(b)
        back_a, back_b = (self.b2a(fake_b), self.a2b(fake_a)) if cycle else (None, None)
        same_b, same_a = ((self.a2b(as_channels(b, self.channels_a)), self.b2a(as_channels(a, self.channels_b)))
                          if identity else (None, None))
        return Cycle(fake_b, fake_a, back_a, back_b, same_b, same_a)


class Discriminators(nn.Module):
    """A discriminator for each domain; each maps images (N, C, 28, 28) to realness logits (N, P), one
    per patch, and takes (and ignores) labels as the GAN losses' gradient penalty passes them."""

    def __init__(self, d_a: nn.Module, d_b: nn.Module):
        super().__init__()
        self.d_a, self.d_b = d_a, d_b

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The logits of A's discriminator on `a` and of B's on `b`."""
        return self.d_a(a), self.d_b(b)


class TranslatorPair(NamedTuple):
    translator: Translator
    discriminators: Discriminators


def register_translator(fn: Callable[..., TranslatorPair] | None = None, *, recipe: dict | None = None):
    """Register a translator factory under its function name, as `register_model` does a GAN's."""
    return register(fn, recipe=recipe, family="translator")


def list_translators() -> list[str]:
    """Names of the registered translator architectures, sorted."""
    return [name for name in list_architectures() if model_family(name) == "translator"]


def create_translator(name: str, **kwargs) -> TranslatorPair:
    """Build the translator and discriminators of a registered translator architecture; both get `config`."""
    if model_family(name) != "translator":
        raise ValueError(f"architecture {name!r} is not a translator; known translators: "
                         + ", ".join(list_translators()))
    config = model_config(name, **kwargs)  # a bad argument is named before the factory runs
    pair = factory(name)(**kwargs)
    if not isinstance(pair.translator, Translator) or not isinstance(pair.discriminators, Discriminators):
        raise TypeError(f"translator {name!r} must return a TranslatorPair of gan_models.translators.Translator "
                        f"and Discriminators; got {type(pair[0]).__name__}, {type(pair[1]).__name__}")
    pair.translator.config = dict(config)
    pair.discriminators.config = dict(config)
    return pair


def check_images(images, channels: int) -> torch.Tensor:
    """uint8 images as a tensor (N, channels, 28, 28), or a ValueError saying what they are not."""
    array = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.asarray(images))
    if array.dtype != torch.uint8:
        raise ValueError(f"images must be uint8 (0 to 255); got {str(array.dtype).removeprefix('torch.')}")
    if channels == 1 and array.dim() == 3:
        array = array.unsqueeze(1)
    wanted = "(N, 28, 28) or (N, 1, 28, 28)" if channels == 1 else f"(N, {channels}, 28, 28)"
    if array.dim() != 4 or tuple(array.shape[1:]) != (channels, 28, 28) or not len(array):
        raise ValueError(f"images must be {wanted}, at least one; got shape {tuple(array.shape)}")
    return array


@torch.no_grad()
def translate(translator: Translator, images, direction: str, batch_size: int = 1000) -> torch.Tensor:
    """uint8 images of one domain (a tensor or array) → uint8 (N, C, 28, 28) of the other, on the CPU.
    Runs in eval mode and leaves the translator's mode as it was."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'a2b' or 'b2a'; got {direction!r}")
    x = check_images(images, translator.channels(direction)[0])
    weight = next(translator.parameters())
    was_training, chunks = translator.training, []
    translator.eval()
    try:
        for i in range(0, len(x), batch_size):
            batch = x[i:i + batch_size].to(weight.device, weight.dtype) / 127.5 - 1
            chunks.append(to_uint8(translator.translate(batch, direction)))
    finally:
        translator.train(was_training)
    return torch.cat(chunks)


def cycle_grid(translator: Translator, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A uint8 grid (3, H, W) of six rows, a column per image: uint8 images of A, A → B, A → B → A, then
    of B, B → A, B → A → B (A's and B's as many, grey shown in colour)."""
    to_b, to_a = translate(translator, a, "a2b"), translate(translator, b, "b2a")
    rows = [check_images(a, translator.channels_a), to_b, translate(translator, to_b, "b2a"),
            check_images(b, translator.channels_b), to_a, translate(translator, to_a, "a2b")]
    return grid(torch.cat([as_channels(row, 3) for row in rows]), nrow=len(a))
