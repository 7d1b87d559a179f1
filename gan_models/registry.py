"""Architecture registry: a plain dict of factories, filled by the `@register_model` decorator (GANs) and
by `@register_translator` (translators, gan_models.translators)."""

import inspect
from typing import Callable, NamedTuple

from torch import nn

from .contract import check_pair

_MODELS: dict[str, Callable[..., "GANPair"]] = {}
_RECIPES: dict[str, dict] = {}
_FAMILIES: dict[str, str] = {}  # name -> family; an entry without one is a GAN


class GANPair(NamedTuple):
    generator: nn.Module
    discriminator: nn.Module


def register_model(fn: Callable[..., GANPair] | None = None, *, recipe: dict | None = None):
    """Register a factory under its function name; its keyword arguments are the model config.

    `@register_model(recipe={"loss": "hinge"})` also names the training settings that suit the
    architecture; `training.run` uses them where the command line leaves a setting out.
    """
    return register(fn, recipe=recipe, family="gan")


def register(fn: Callable | None = None, *, recipe: dict | None = None, family: str):
    """Register a factory of model `family`: "gan" (`register_model`) or "translator" (`register_translator`)."""
    def add(fn: Callable) -> Callable:
        if fn.__name__ in _MODELS:
            raise ValueError(f"architecture {fn.__name__!r} is registered twice")
        _MODELS[fn.__name__] = fn
        _RECIPES[fn.__name__] = dict(recipe or {})
        _FAMILIES[fn.__name__] = family
        return fn
    return add if fn is None else add(fn)


def model_family(name: str) -> str:
    """The family of architecture `name`: "gan" (a GANPair) or "translator" (gan_models.translators)."""
    _factory(name)
    return _FAMILIES.get(name, "gan")


def training_recipe(name: str) -> dict:
    """The training settings registered with architecture `name` (may be empty)."""
    _factory(name)  # an unknown name gets the error that lists the known ones
    return dict(_RECIPES[name])


def list_models() -> list[str]:
    """Names of the registered GAN architectures, sorted: what draws digits from noise."""
    return sorted(name for name in _MODELS if _FAMILIES.get(name, "gan") == "gan")


def list_architectures() -> list[str]:
    """Names of every registered architecture, GANs and translators, sorted: what `training.run` trains."""
    return sorted(_MODELS)


def model_config(name: str, **kwargs) -> dict:
    """The full config of `name` built with `kwargs`: every factory argument, defaults included."""
    factory = _factory(name)
    try:
        bound = inspect.signature(factory).bind(**kwargs)
    except TypeError as err:
        params = ", ".join(inspect.signature(factory).parameters)
        raise ValueError(f"bad config for architecture {name!r}: {err}; it takes: {params}") from None
    bound.apply_defaults()
    return {"architecture": name, **bound.arguments}


def create_model(name: str, **kwargs) -> GANPair:
    """Build the generator/discriminator pair of a registered architecture.

    Both modules get a `config` attribute (architecture name + every argument) so that
    weights can be saved together with what is needed to rebuild them.
    """
    if model_family(name) != "gan":
        raise ValueError(f"architecture {name!r} is a {model_family(name)}, not a GAN: build it with "
                         f"gan_models.create_{model_family(name)} (GAN architectures: {', '.join(list_models())})")
    config = model_config(name, **kwargs)
    pair = _factory(name)(**kwargs)
    check_pair(name, *pair)
    pair.generator.config = dict(config)
    pair.discriminator.config = dict(config)
    return pair


def factory(name: str) -> Callable:
    """The factory registered as `name`; a ValueError lists the known names."""
    return _factory(name)


def _factory(name: str) -> Callable[..., GANPair]:
    if name not in _MODELS:
        others = [a for a in list_architectures() if a not in list_models()]
        known = ", ".join(list_models()) + (f" (translators: {', '.join(others)})" if others else "")
        raise ValueError(f"unknown architecture {name!r}; known architectures: {known}")
    return _MODELS[name]
