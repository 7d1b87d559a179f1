"""What a GAN is: the architecture registry, latent maths, sampling and Hub-format weights; and the
translators between two image domains (gan_models.translators)."""

from .contract import Discriminator, Generator, Verdict
from .drawing import scribble_warning, to_mnist
from .hub import (ModelLoadError, is_translator, load_generator, load_translator, read_card, resolve_source,
                  save_generator, save_translator, unwrap)
from .invert import Inversion, Recipe, invert, invert_steps
from .latent import MAX_SEED, check_seed, continuous_codes, latent_code, lerp, sample_latents, slerp, with_continuous
from .registry import (GANPair, create_model, list_architectures, list_models, model_config, model_family,
                       register_model, training_recipe)
from .sampling import device_named, generate, grid, to_array, to_pil, to_uint8
from .translators import (Cycle, Discriminators, Translator, TranslatorPair, create_translator, list_translators,
                          register_translator)
from .translate import translate  # the package first, then the function bound over its name

from . import architectures  # noqa: F401  (registers every architecture)

__all__ = [
    "Discriminator", "GANPair", "Generator", "Verdict", "MAX_SEED", "ModelLoadError", "check_seed", "create_model", "device_named", "generate", "grid",
    "continuous_codes", "latent_code", "lerp", "with_continuous", "list_models", "load_generator", "model_config", "read_card", "register_model",
    "sample_latents", "training_recipe", "resolve_source", "save_generator", "slerp", "to_array", "to_pil",
    "to_uint8", "unwrap", "Inversion", "Recipe", "invert", "invert_steps", "scribble_warning", "to_mnist",
    "Cycle", "Discriminators", "Translator", "TranslatorPair", "create_translator", "is_translator",
    "list_architectures", "list_translators", "load_translator", "model_family", "register_translator",
    "save_translator", "translate",
]
