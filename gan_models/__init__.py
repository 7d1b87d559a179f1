"""What a GAN is: the architecture registry, latent maths, sampling and Hub-format weights."""

import importlib
import pkgutil

from .hub import ModelLoadError, load_generator, read_card, resolve_source, save_generator, unwrap
from .latent import MAX_SEED, check_seed, latent_code, lerp, sample_latents, slerp
from .registry import GANPair, create_model, list_models, model_config, register_model, training_recipe
from .sampling import device_named, generate, grid, to_array, to_pil, to_uint8

# Every other module here is an architecture file: importing it runs its @register_model,
# so adding an architecture never means editing this package.
_NOT_ARCHITECTURES = {"hub", "latent", "layers", "registry", "sample", "sampling"}
for _info in pkgutil.iter_modules(__path__):
    if _info.name not in _NOT_ARCHITECTURES:
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = [
    "GANPair", "MAX_SEED", "ModelLoadError", "check_seed", "create_model", "device_named", "generate", "grid",
    "latent_code", "lerp", "list_models", "load_generator", "model_config", "read_card", "register_model",
    "sample_latents", "training_recipe", "resolve_source", "save_generator", "slerp", "to_array", "to_pil",
    "to_uint8", "unwrap",
]
