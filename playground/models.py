"""The app's models: the bundled folders and Hub repos on offer, each loaded once and cached (a Hub
repo that could not be fetched is tried again after a while, not on every request), and the models a
browser session trained in the Lab, which only that session sees."""

import os
import threading
import time
from pathlib import Path

import gradio as gr
import torch
from torch import nn

import gan_models

from .checks import model_name, as_text, user_error

HUB_RETRY_S = 300  # a Hub source that failed is retried after this long, not on every request

_loaded: dict[str, tuple[nn.Module, Path]] = {}  # source -> (generator, its local folder)
_failed: dict[str, tuple[float, str]] = {}  # Hub source -> (when it failed, why)
_load_locks: dict[str, threading.Lock] = {}  # source -> its lock: a slow Hub download holds up no other model


def _models_folder() -> Path:
    return Path(os.environ.get("DIGITGAN_PRETRAINED_DIR", Path(__file__).parents[1] / "pretrained"))


def no_models() -> str:
    """What to do when no model is on offer, naming the models folder and whether it exists."""
    folder = _models_folder()
    where = f"the folder {folder} holds no model folders" if folder.is_dir() else f"there is no folder {folder}"
    return (f"No models yet: {where}. Add a model folder there (or point DIGITGAN_PRETRAINED_DIR at one "
            "that holds them), or list Hub repos in DIGITGAN_MODELS.")


def model_sources() -> dict[str, str]:
    """Every generator on offer, name -> source: bundled folders first, then the Hub repos in DIGITGAN_MODELS."""
    sources = {p.parent.name: str(p.parent) for p in sorted(_models_folder().glob("*/config.json"))
               if not gan_models.is_translator(p.parent)}  # translators have a tab of their own
    hub = [s.strip() for s in os.environ.get("DIGITGAN_MODELS", "").split(",") if s.strip()]
    return sources | {repo: repo for repo in hub}


_session_models: dict[str, dict[str, tuple[nn.Module, Path]]] = {}  # session -> name -> (generator, folder)


def session_of(request: gr.Request | None) -> str | None:
    """The browser session a request comes from (None for a direct call)."""
    return getattr(request, "session_hash", None)


def session_models(session: str | None) -> dict[str, tuple[nn.Module, Path]]:
    """The models a browser session trained in the Lab and kept, by name (none without a session)."""
    return _session_models.get(session, {}) if session else {}


def add_session_model(session: str, name: str, generator: nn.Module, folder: Path) -> None:
    _session_models.setdefault(session, {})[name] = generator.eval(), folder


def forget_session(session: str | None) -> None:
    """Drop a closed session's models: they were never on disk for others, and now nobody sees them."""
    _session_models.pop(session, None)


def model_names(session: str | None = None) -> list[str]:
    """The names on offer to a session: its own Lab models first, then the server's."""
    return [*session_models(session), *(n for n in model_sources() if n not in session_models(session))]


def default_model() -> str | None:
    """The model the page opens on: dcgan if it loads, else the first that does (None if none does)."""
    names = sorted(model_sources(), key=lambda name: name != "dcgan")
    for name in names:
        try:
            load_model(name)
            return name
        except gr.Error:
            continue
    return None


def load_model(model: str | None, session: str | None = None) -> tuple[str, nn.Module, Path]:
    """(name, generator, folder) of a model, loaded once and cached; a gr.Error says why it cannot be."""
    name = model_name(model) or default_model()
    if name in session_models(session):
        return (name, *session_models(session)[name])
    sources = model_sources()
    if name not in sources:
        listed = ", ".join(as_text(s, 80) for s in model_names(session))
        raise user_error(f"Unknown model '{as_text(name, 80)}'. Available models: {listed}." if listed else no_models())
    source = sources[name]
    if source in _loaded:
        return (name, *_loaded[source])
    with _load_locks.setdefault(source, threading.Lock()):  # one load per source, however many requests ask
        failed = _failed.get(source, (-HUB_RETRY_S, ""))
        if source not in _loaded and time.monotonic() - failed[0] < HUB_RETRY_S:
            raise user_error(f"Model '{as_text(name, 80)}' could not be loaded: {failed[1]}")
        try:
            if source not in _loaded:  # a Hub snapshot is a local folder too, and holds the model card
                folder = gan_models.resolve_source(source)
                # channels-last: the transposed convolutions run about 1.4x faster on the CPU that way
                generator = gan_models.load_generator(folder).to(memory_format=torch.channels_last)
                _loaded[source] = generator, folder
        except gan_models.ModelLoadError as err:
            why = as_text(_for_visitors(str(err)))
            if not Path(source).is_dir():  # a Hub repo: remember the failure; a local folder may be fixed any moment
                _failed[source] = (time.monotonic(), why)
            raise user_error(f"Model '{as_text(name, 80)}' could not be loaded: {why}") from None
    return (name, *_loaded[source])


def _for_visitors(message: str, limit: int = 300) -> str:
    """A load error as the page shows it: on one line, no longer than `limit`, with the server's own
    folders named relative to the models folder and the app's."""
    for folder in (_models_folder().absolute(), Path.cwd()):
        message = message.replace(f"{folder}{os.sep}", "")
    message = message.replace(f"no folder in {Path.cwd()} either", "no folder here either")
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit - 1] + "…"


def every_model(session: str | None = None) -> tuple[dict[str, nn.Module], list[str]]:
    """The models on offer that load, by name, and a sentence for each that does not."""
    loaded, problems = {}, []
    for name in model_names(session):
        try:
            loaded[name] = load_model(name, session)[1]
        except gr.Error as err:
            problems.append(err.message)
    return loaded, problems
