"""The app's models: the bundled folders and Hub repos on offer, each loaded once and cached; a Hub
repo that could not be fetched is tried again after a while, not on every request."""

import os
import threading
import time
from pathlib import Path

import gradio as gr
import torch
from torch import nn

import gan_models

HUB_RETRY_S = 300  # a Hub source that failed is retried after this long, not on every request

_loaded: dict[str, tuple[nn.Module, Path]] = {}  # source -> (generator, its local folder)
_failed: dict[str, tuple[float, str]] = {}  # Hub source -> (when it failed, why)
_load_locks: dict[str, threading.Lock] = {}  # source -> its lock: a slow Hub download holds up no other model


def user_error(message: str) -> gr.Error:
    """An error the page shows as it is: a sentence on what to change."""
    return gr.Error(message, print_exception=False)  # the input is wrong, not the code: log no traceback


def _models_folder() -> Path:
    return Path(os.environ.get("DIGITGAN_PRETRAINED_DIR", Path(__file__).parent / "pretrained"))


def no_models() -> str:
    """What to do when no model is on offer, naming the models folder and whether it exists."""
    folder = _models_folder()
    where = f"the folder {folder} holds no model folders" if folder.is_dir() else f"there is no folder {folder}"
    return (f"No models yet: {where}. Add a model folder there (or point DIGITGAN_PRETRAINED_DIR at one "
            "that holds them), or list Hub repos in DIGITGAN_MODELS.")


def model_sources() -> dict[str, str]:
    """Every model on offer, name -> source: bundled folders first, then the Hub repos in DIGITGAN_MODELS."""
    sources = {p.parent.name: str(p.parent) for p in sorted(_models_folder().glob("*/config.json"))}
    hub = [s.strip() for s in os.environ.get("DIGITGAN_MODELS", "").split(",") if s.strip()]
    return sources | {repo: repo for repo in hub}


MODELS_AT_START = model_sources()
DEFAULT_MODEL = "dcgan" if "dcgan" in MODELS_AT_START else next(iter(MODELS_AT_START), None)  # selected at start


def load_model(model: str | None) -> tuple[str, nn.Module, Path]:
    """(name, generator, folder) of a model, loaded once and cached; a gr.Error says why it cannot be."""
    sources = model_sources()
    name = model or DEFAULT_MODEL or next(iter(sources), None)
    if name is not None and not isinstance(name, str):
        raise user_error(f"The model must be the name of one model; got {model!r}.")
    if name not in sources:
        raise user_error(f"Unknown model '{name}'. Available models: {', '.join(sources)}." if sources else no_models())
    source = sources[name]
    if source in _loaded:
        return (name, *_loaded[source])
    with _load_locks.setdefault(source, threading.Lock()):  # one load per source, however many requests ask
        failed = _failed.get(source, (-HUB_RETRY_S, ""))
        if source not in _loaded and time.monotonic() - failed[0] < HUB_RETRY_S:
            raise user_error(f"Model '{name}' could not be loaded: {failed[1]}")
        try:
            if source not in _loaded:  # a Hub snapshot is a local folder too, and holds the model card
                folder = gan_models.resolve_source(source)
                # channels-last: the transposed convolutions run about 1.4x faster on the CPU that way
                generator = gan_models.load_generator(folder).to(memory_format=torch.channels_last)
                _loaded[source] = generator, folder
        except gan_models.ModelLoadError as err:
            why = _for_visitors(str(err))
            if not Path(source).is_dir():  # a Hub repo: remember the failure; a local folder may be fixed any moment
                _failed[source] = (time.monotonic(), why)
            raise user_error(f"Model '{name}' could not be loaded: {why}") from None
    return (name, *_loaded[source])


def _for_visitors(message: str, limit: int = 300) -> str:
    """A load error as the page shows it: on one line, no longer than `limit`, with the server's own
    folders named relative to the models folder and the app's."""
    for folder in (_models_folder().absolute(), Path.cwd()):
        message = message.replace(f"{folder}{os.sep}", "")
    message = message.replace(f"no folder in {Path.cwd()} either", "no folder here either")
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit - 1] + "…"


def every_model() -> tuple[dict[str, nn.Module], list[str]]:
    """The models on offer that load, by name, and a sentence for each that does not."""
    loaded, problems = {}, []
    for name in model_sources():
        try:
            loaded[name] = load_model(name)[1]
        except gr.Error as err:
            problems.append(err.message)
    return loaded, problems
