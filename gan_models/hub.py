"""Weights and config travel together: model.safetensors + config.json + README.md (model card).

Loading builds through the registry only and loads strictly; nothing is ever unpickled.
"""

import json
import re
from pathlib import Path

import torch
from huggingface_hub import ModelCard, snapshot_download
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import nn

from .card import GENERATOR, TRANSLATOR, card_defaults, write_card
from .registry import create_model, model_family
from .sampling import device_named
from .translators import Translator, create_translator

WEIGHTS, CONFIG, CARD = "model.safetensors", "config.json", "README.md"
HUB_FILES = [WEIGHTS, CONFIG, CARD, "*.png"]
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+(@[\w./-]+)?$")


class ModelLoadError(ValueError):
    """A model folder or Hub repo could not be turned into a generator; the message says why."""


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module under DDP's `.module` and torch.compile's `._orig_mod`."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if inner is None:
            return model
        model = inner


def save_generator(generator: nn.Module, folder: str | Path, card: dict | None = None, kind: dict = GENERATOR) -> Path:
    """Write `generator` as model.safetensors + config.json + README.md (made from `card`'s fields over
    the defaults by gan_models.card's one template) into `folder`."""
    generator = unwrap(generator)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    # Written from bytes, as the other files are: save_file makes the file readable by its owner alone.
    (folder / WEIGHTS).write_bytes(save(state, metadata={"format": "pt"}))
    (folder / CONFIG).write_text(json.dumps(generator.config, indent=2) + "\n")
    write_card(folder, {**card_defaults(generator.config), **(card or {})}, kind=kind)  # the caller's fields win
    return folder


def load_generator(source: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """Load a generator from a local folder (a model folder or a run folder with `model/`)
    or a Hub repo id `owner/name[@revision]`. Returns it in eval mode."""
    return _load(source, device, "gan")


def load_translator(source: str | Path, device: torch.device | str = "cpu") -> Translator:
    """Load a translator (both directions, A → B and B → A) as `load_generator` loads a generator."""
    return _load(source, device, "translator")


_BUILDERS = {"gan": lambda name, **kw: create_model(name, **kw).generator,
             "translator": lambda name, **kw: create_translator(name, **kw).translator}
_LOADERS = {"gan": "load_generator", "translator": "load_translator"}
_KINDS = {"gan": "GAN generator", "translator": "translator"}


def _load(source: str | Path, device: torch.device | str, family: str) -> nn.Module:
    """The model of `family` in `source`, built through the registry and loaded strictly, in eval mode."""
    device = device_named(device) if isinstance(device, str) else device  # "gpu", or CUDA where there is none
    folder = resolve_source(source)
    config = read_config(folder)
    kwargs = {k: v for k, v in config.items() if k != "architecture"}
    try:
        found = model_family(config["architecture"])
        if found != family:
            raise ModelLoadError(f"{folder} holds a {_KINDS[found]} ({config['architecture']}), not a "
                                 f"{_KINDS[family]}: load it with gan_models.{_LOADERS[found]}")
        model = _BUILDERS[family](config["architecture"], **kwargs)
    except ModelLoadError:
        raise
    except ValueError as err:  # an unknown architecture or argument: the message lists the known ones
        raise ModelLoadError(f"{folder / CONFIG}: {err}") from None
    except (TypeError, RuntimeError) as err:  # a value the layers refuse, such as a negative or fractional size
        raise ModelLoadError(f"{folder / CONFIG}: cannot build a {config['architecture']!r} model from "
                             f"{kwargs} ({err})") from None
    load_strict(model, folder / WEIGHTS)
    return model.to(device).eval()


def save_translator(translator: nn.Module, folder: str | Path, card: dict | None = None) -> Path:
    """Write a translator (both generators; not the discriminators) as `save_generator` writes a generator."""
    defaults = {"pipeline_tag": "image-to-image",
                "tags": ["gan", "mnist", "digitgan", unwrap(translator).config["architecture"], "image-to-image",
                         "unpaired-image-translation"]}
    return save_generator(translator, folder, {**defaults, **(card or {})}, kind=TRANSLATOR)


def is_translator(source: dict | str | Path) -> bool:
    """Whether a model's config (a dict, or a model folder's config.json) names a registered translator;
    False where it cannot be read, so that such a folder is still offered as a generator, with its load error."""
    try:
        config = source if isinstance(source, dict) else json.loads((Path(source) / CONFIG).read_text())
        return model_family(config["architecture"]) == "translator"
    except (OSError, ValueError, TypeError, KeyError):  # unreadable, not JSON, no such field, unregistered
        return False


def resolve_source(source: str | Path) -> Path:
    """A local folder holding config.json, fetched from the Hub when `source` is a repo id."""
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / CONFIG).exists() and (path / "model" / CONFIG).exists():
            path = path / "model"  # a training run folder
        if not (path / CONFIG).exists():
            raise ModelLoadError(f"{path} has no {CONFIG}: point at a folder written by save_generator "
                                 "or by `python -m training.run` (its model/ subfolder)")
        return path
    if not _REPO_ID.match(str(source)):
        raise ModelLoadError(f"{source!r} is neither a folder nor a Hub repo id like owner/name[@revision]")
    repo_id, _, revision = str(source).partition("@")
    try:
        return Path(snapshot_download(repo_id, revision=revision or None, allow_patterns=HUB_FILES))
    except Exception as err:  # network, auth, offline cache miss: all mean "cannot load this source"
        raise ModelLoadError(f"could not fetch {source!r} from the Hugging Face Hub, and it is no folder in "
                             f"{Path.cwd()} either ({type(err).__name__}: {err})") from None


def read_config(folder: Path) -> dict:
    try:
        config = json.loads((folder / CONFIG).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"cannot read {folder / CONFIG}: {err}") from None
    if not isinstance(config, dict) or not isinstance(config.get("architecture"), str):
        raise ModelLoadError(f"{folder / CONFIG} has no 'architecture' field naming a registered model")
    return config


def load_strict(module: nn.Module, path: Path) -> None:
    """Load safetensors weights into `module`, failing on any missing, unexpected or mis-shaped tensor."""
    try:
        state = load_file(path)
    except (OSError, SafetensorError) as err:
        raise ModelLoadError(f"cannot read weights {path}: {err} (the file is missing or corrupt)") from None
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mis_shaped = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
                  if k in state and state[k].shape != v.shape]
    mis_typed = [f"{k} {state[k].dtype} != {v.dtype}" for k, v in expected.items()
                 if k in state and state[k].is_floating_point() != v.is_floating_point()]
    problems = [f"{label}: {', '.join(items)}" for label, items in
                [("missing", missing), ("unexpected", unexpected), ("mis-shaped (file != model)", mis_shaped),
                 ("numbers of another kind (file != model)", mis_typed)] if items]
    if problems:
        raise ModelLoadError(f"weights {path} do not match config.json: " + "; ".join(problems))
    nonfinite = [k for k, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if nonfinite:  # they would draw noise, or nothing
        raise ModelLoadError(f"weights {path} hold NaN or infinite values in {', '.join(nonfinite)}: the run that "
                             "wrote them had diverged; export an earlier checkpoint or train again")
    module.load_state_dict(state, strict=True)


def read_card(source: str | Path) -> ModelCard:
    """The model card of a model folder, a run folder or a Hub repo id, as `load_generator` takes them."""
    return ModelCard.load(resolve_source(source) / CARD)
