"""The Lab's functions: start, stop, continue and reset a run that trains live, stream what it shows,
and keep or download the generator it trained. Each browser session has at most one run."""

import shutil
import tempfile
import threading
from pathlib import Path

import gradio as gr
import gan_models

from . import checks, lab_plots
from .checks import user_error
from .lab_run import TOY_DATASETS, LabRun, lab_seconds
from .models import add_session_model, session_of

DATASETS = ("mnist", *TOY_DATASETS)
COMPARABLE = ("none", "loss", "lr_g", "lr_d", "batch_size", "d_steps", "ema", "spectral_norm", "seed", "arch")
BOOLEAN = ("ema", "spectral_norm", "conditional")
# A Lab run lasts a minute or two: in 60 s on a CPU the MLP draws readable digits at batch 64 and five
# times the trainer's rate, and blurs at the trainer's defaults (docs/performance.md#the-lab).
LAB_RECIPES = {"mlp": {"batch_size": 64, "lr_g": 1e-3, "lr_d": 1e-3}}
_runs: dict[str, LabRun] = {}  # session -> its run
_lock = threading.Lock()


def losses() -> list[str]:
    from training.losses import list_losses  # light: the trainer and its data loading stay out

    return list_losses()


def settings_of(arch, loss, lr_g, lr_d, batch_size, d_steps, ema, spectral_norm, conditional, seed,
                dataset) -> dict:
    """The page's settings, each checked, as TrainConfig names (None: the trainer's default, unless
    LAB_RECIPES has one for the architecture)."""
    values = {"arch": checks.choice(arch, "architecture", gan_models.list_models()),
              "loss": checks.choice(loss, "loss", losses()),
              "lr_g": None if lr_g in (None, 0) else checks.number(lr_g, "generator's learning rate", 1e-6, 1.0),
              "lr_d": None if lr_d in (None, 0) else checks.number(lr_d, "discriminator's learning rate", 1e-6, 1.0),
              "batch_size": None if batch_size in (None, 0) else checks.whole_number(batch_size, "batch size", 2, 512),
              "d_steps": checks.whole_number(d_steps, "number of D steps per G step", 1, 10),
              "seed": checks.seed(seed), "dataset": checks.choice(dataset, "dataset", DATASETS)}
    for name, value in zip(BOOLEAN, (ema, spectral_norm, conditional)):
        if not isinstance(value, bool):
            raise user_error(f"{name} must be true or false; got {checks.shown(value)}.")
        values[name] = value
    if values["dataset"] == "mnist":  # what the visitor left at 0 takes the Lab's recipe, if it has one
        values.update({k: v for k, v in LAB_RECIPES.get(values["arch"], {}).items() if values[k] is None})
    return values


def second_run(settings: dict, compare: str, value) -> list[dict]:
    """The run's settings, and a second run's that differ in `compare` (none: no second run)."""
    compare = checks.choice(compare, "setting to compare", COMPARABLE)
    if compare == "none":
        return [settings]
    kind = type(settings[compare]) if settings[compare] is not None else float
    text = checks.as_text(value, 60)
    try:
        other = {"true": True, "false": False}[text.lower()] if kind is bool else kind(text)
    except (KeyError, ValueError):
        raise user_error(f"Run B's {compare} must be {'true or false' if kind is bool else f'a {kind.__name__}'}; "
                         f"got {checks.shown(value)}.") from None
    return [settings, {**settings, compare: other}]


def _new_run(runs: list[dict], points) -> LabRun:
    try:
        return LabRun(runs, points)
    except ValueError as err:  # a setting at odds with another, or with the recipe
        raise user_error(f"These settings cannot train: {checks.as_text(err)}.") from None
    except RuntimeError as err:  # MNIST missing and not downloadable: the message says where to put it
        raise user_error(f"{checks.as_text(err, 600)} The 2-D datasets (ring, grid) train without MNIST.") from None


def lab(arch: str = "dcgan", loss: str = "ns", lr_g: float | None = None, lr_d: float | None = None,
        batch_size: int | None = None, d_steps: int = 1, ema: bool = True, spectral_norm: bool = False,
        conditional: bool = False, seed: int = 0, seconds: float = 60, dataset: str = "mnist",
        compare: str = "none", compare_value: str = "minimax", drawing=None, request: gr.Request = None):
    """Train a run live for `seconds` and stream what it shows, about once a second: grids or points,
    curves, the mode-collapse meter and the run's speed. `compare` names a setting that a second run,
    trained in lockstep on the same batches and noise, takes as `compare_value`. Learning rates and
    batch size left out (None or 0) take the Lab's recipe for the model, else the trainer's defaults."""
    settings = settings_of(arch, loss, lr_g, lr_d, batch_size, d_steps, ema, spectral_norm, conditional, seed,
                           dataset)
    seconds = checks.number(seconds, "run's length in seconds", 1, lab_seconds())
    points = lab_plots.drawn_points(drawing) if dataset == "drawn" else None
    run = _new_run(second_run(settings, compare, compare_value), points)
    session = session_of(request) or f"call-{id(run)}"
    with _lock:
        old = _runs.pop(session, None)
        _runs[session] = run
    if old is not None:
        old.stop()
    run.start(seconds)
    yield from _stream(run)


def _stream(run: LabRun):
    seen = 0
    try:
        while True:
            snapshot = run.wait(seen)
            if snapshot is None:
                if not run.running:
                    return
                continue
            seen = snapshot.version
            yield lab_plots.update(snapshot, run.toy, len(run.trainers))
            if snapshot.done:
                return
    finally:
        run.stop()  # a stream that ends (stopped, closed, cancelled) takes its training with it


def _run_of(request: gr.Request | None) -> LabRun:
    run = _runs.get(session_of(request))
    if run is None:
        raise user_error("No Lab run in this session yet: press Start first.")
    return run


def lab_stop(request: gr.Request = None) -> str:
    """Stop this session's run after its current step; Continue goes on from there."""
    run = _runs.get(session_of(request))
    if run is None or not run.running:
        return "No run is training."
    run.stop()
    return f"Stopped at step {run.trainers[0].step_count}: Continue goes on from there."


def lab_continue(seconds: float = 60, request: gr.Request = None):
    """Train this session's stopped run for `seconds` more, streaming as Start does."""
    run = _run_of(request)
    seconds = checks.number(seconds, "run's length in seconds", 1, lab_seconds())
    if run.running:
        raise user_error("The run is still training: stop it first, or wait for it to end.")
    run.start(seconds)
    yield from _stream(run)


def lab_reset(request: gr.Request = None) -> tuple:
    """Forget this session's run; the page clears."""
    run = _runs.pop(session_of(request), None)
    if run is not None:
        run.stop()
    return lab_plots.empty()


def end_session(session: str | None) -> None:
    """Stop a closed session's run: no training thread outlives its page."""
    run = _runs.pop(session, None)
    if run is not None:
        run.stop()


def _export(run: LabRun) -> Path:
    if run.toy:
        raise user_error("A 2-D run draws points, not digits: train on MNIST to keep a generator.")
    if run.running:
        raise user_error("The run is still training: stop it first, or wait for it to end.")
    folder = Path(tempfile.mkdtemp(prefix="digitgan-lab-")) / "model"
    run.trainers[0].export(folder)
    return folder


def use_in_generate(request: gr.Request = None) -> tuple[dict, str]:
    """Add run A's generator to this session's models, and select it for Generate and Interpolate."""
    run = _run_of(request)
    folder = _export(run)
    cfg = run.trainers[0].cfg
    name = f"lab: {cfg.arch} {cfg.loss} step {run.trainers[0].step_count}"
    add_session_model(session_of(request), name, gan_models.load_generator(folder), folder)
    from .models import model_names

    return gr.update(choices=model_names(session_of(request)), value=name), f"Added '{name}' to the model list."


def download(request: gr.Request = None) -> str:
    """A zip of run A's generator in the Hub format (model.safetensors, config.json, README.md)."""
    folder = _export(_run_of(request))
    archive = shutil.make_archive(str(folder.parent / "digitgan-lab-model"), "zip", folder)
    return archive
