"""The Draw tab's functions: a drawing found in a model's latent space, streamed as the search
improves it, then morphed, varied, and set beside the training digits nearest to it.

Where the latent lives between calls: /draw returns it as its last output, a dict naming its model,
with z and, for a conditional model, the label weights the search found. /draw_morph,
/draw_variations and /draw_nearest take it back as `latent`; given none, they find `drawing` anew
with the app's full search. The page keeps it in a hidden component, so the server keeps nothing
of a visitor's between calls, and an API caller can hold on to it as the page does."""

import contextlib
import copy
import dataclasses
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import numpy as np
import torch
from torch import nn

import gan_models
from gan_models import Inversion, Recipe, invert, invert_steps, scribble_warning, to_mnist

from . import checks
from .checks import MAX_DIGITS, MAX_STEPS, as_text, shown, user_error
from .images import pixels, png, save, sketch
from .interpolate import frames_files
from .models import load_model, session_of

SEARCH = Recipe()  # the inversion's defaults, as its benchmark runs them, and each call's bound: seconds of one core
UPDATES = 10  # about this many reconstructions stream while the search refines its best start
MAX_LATENT = 50.0  # bound on a latent value sent back: a Gaussian's draws never come near it
MAX_SPREAD = 2.0
TARGETS = ("seed", "drawing")
NEAREST, EMBED_BATCH = 3, 500
NO_DRAWING = "Draw a digit on the sketchpad first."
NO_LATENT = "Draw a digit on the sketchpad and find it first (an API call may pass the latent /draw returned)."
_searching: set[str] = set()  # sessions with a search running
_searching_lock = threading.Lock()
_training: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None  # MNIST's training digits, labels, features
_training_lock = threading.Lock()


def draw(model: str | None = None, drawing=None, steps: int = SEARCH.steps, restarts: int = SEARCH.restarts,
         request: gr.Request = None):
    """Find a drawing in `model`'s latent space, streaming (your digit as MNIST would have it, the
    model's reconstruction, what the classifier reads in both, the latent) as the search improves.
    `steps` and `restarts` are capped at the app's search; one search per session runs at a time."""
    name, generator = _grey_model(model, request)
    recipe = _recipe(steps, restarts)
    digit, warning = drawn_digit(drawing, NO_DRAWING)
    digit_file = save({"digit.png": png(pixels(torch.from_numpy(digit)[None], 224))})[0]
    refining = recipe.steps - (recipe.search_steps if recipe.restarts > recipe.finalists else 0)
    with _one_search(session_of(request)):
        yield digit_file, None, reading(digit, None, warning), None
        for state in invert_steps(generator, digit, 0, recipe, every=max(1, refining // UPDATES)):
            picture = save({"reconstruction.png": png(pixels(state.images[:1], 224))})[0]
            yield digit_file, picture, reading(digit, state, warning), latent_of(name, state)


def draw_morph(model: str | None = None, drawing=None, latent: dict | None = None, target: str = "seed",
               seed: int = 0, digit: str = "any", drawing_b=None, frames: int = 16, method: str = "slerp",
               request: gr.Request = None) -> tuple[str, str]:
    """Frames from your digit's latent to a seed's digit (target "seed": `seed`, and `digit` for a
    conditional model; "any": seed mod 10) or to a second drawing's (target "drawing": `drawing_b`,
    found with the app's search), as paths of a strip PNG and a looping GIF."""
    name, generator = _grey_model(model, request)
    target = checks.choice(target, "morph's target", TARGETS)
    frames = checks.whole_number(frames, "number of frames", 2, MAX_STEPS)
    method = checks.choice(method, "method", ("slerp", "lerp"))
    if target == "seed":
        seed, label = checks.seed(seed), checks.digit(digit, generator, name)
    z_a, labels_a = your_latent(name, generator, drawing, latent, request)
    if target == "seed":
        z_b = gan_models.sample_latents(1, generator.latent_dim, seed)
        k = generator.num_classes
        labels_b = torch.eye(k)[[seed % k if label is None else label]] if k else None
    else:
        z_b, labels_b = _found(generator, drawn_digit(drawing_b, "Draw the second digit, the morph's end, first.")[0],
                               request)
    t = torch.linspace(0, 1, frames)
    z = (gan_models.slerp if method == "slerp" else gan_models.lerp)(z_a[0], z_b[0], t)
    labels = None if labels_a is None else gan_models.lerp(labels_a[0], labels_b[0], t)
    return frames_files(_images(generator, z, labels), frames)


def draw_variations(model: str | None = None, drawing=None, latent: dict | None = None, seed: int = 0,
                    spread: float = 0.5, n: int = 16, request: gr.Request = None) -> str:
    """PNG path of a grid of `n` digits near your digit's latent: z plus `spread` times Gaussian noise
    from `seed` (same inputs, same digits); a conditional model keeps your digit's label weights."""
    name, generator = _grey_model(model, request)
    seed, n = checks.seed(seed), checks.whole_number(n, "number of digits", 1, MAX_DIGITS)
    spread = checks.number(spread, "spread", 0, MAX_SPREAD)
    z, labels = your_latent(name, generator, drawing, latent, request)
    z = z + spread * gan_models.sample_latents(n, generator.latent_dim, seed)
    images = _images(generator, z, None if labels is None else labels.expand(n, -1))
    return save({f"variations-{n}.png": png(pixels(images, 480))})[0]


def draw_nearest(model: str | None = None, drawing=None, latent: dict | None = None,
                 request: gr.Request = None) -> list[tuple[str, str]]:
    """The MNIST training digits nearest to your digit's reconstruction in the classifier's
    features, nearest first, as (PNG path named by the digit's index in the training set, caption with
    its label and distance): a reconstruction all but equal to one of them may have been learnt by heart."""
    name, generator = _grey_model(model, request)
    z, labels = your_latent(name, generator, drawing, latent, request)
    found = nearest_training(_images(generator, z, labels)[0, 0])
    files = save({f"mnist-train-{index}.png": png(pixels(image[None], 112)) for image, index, *_ in found})
    return [(file, f"a {label}, {distance:.1f} away") for file, (_, _, label, distance) in zip(files, found)]


def drawn_digit(drawing, missing: str) -> tuple[np.ndarray, str | None]:
    """A drawing as an MNIST digit, uint8 (28, 28), and a sentence if it looks like a scribble; a
    blank canvas, or anything that is not a picture, is a sentence."""
    image = sketch(drawing, missing)
    try:
        return to_mnist(image), scribble_warning(image)
    except ValueError as err:
        text = as_text(err)
        raise user_error(f"{text[:1].upper()}{text[1:]}.") from None


def reading(digit: np.ndarray, state: Inversion | None, warning: str | None) -> str:
    """What the classifier reads in your digit and, once there is one, its reconstruction (Markdown)."""
    images = torch.from_numpy(digit)[None] if state is None else torch.cat([torch.from_numpy(digit)[None],
                                                                             state.images[:1]])
    (yours, p_yours), *reconstruction = read(images)
    lines = [f"Your digit reads as **{yours}** ({p_yours:.0%})."]
    if state is None:
        lines.append("Searching the model for it…")
    else:
        (theirs, p_theirs), = reconstruction
        lines.append(f"The reconstruction, step {state.step} of {state.steps}, reads as **{theirs}** "
                     f"({p_theirs:.0%}); distance {state.losses[0]:.4f}.")
        if state.labels is not None:
            weight, label = state.labels[0].max(0)
            lines.append(f"The model's label: **{label}** ({weight:.0%} of the label weights).")
    return " ".join(lines + ([f"⚠️ {warning}"] if warning else []))


def latent_of(name: str, state: Inversion) -> dict:
    """The latent a search found, as /draw returns it and the other Draw calls take it back."""
    return {"model": name, "z": state.latents[0].tolist(),
            "labels": None if state.labels is None else state.labels[0].tolist()}


def your_latent(name: str, generator: nn.Module, drawing, latent,
                request: gr.Request | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """z (1, D) and label weights (1, classes) or None: `latent` as /draw returned it, checked, or,
    without one, the drawing's found with the app's search."""
    if latent is None:
        return _found(generator, drawn_digit(drawing, NO_LATENT)[0], request)
    if not isinstance(latent, dict) or set(latent) != {"model", "z", "labels"}:
        raise user_error(f"The latent must be the dict /draw returned, with model, z and labels; got {shown(latent)}.")
    if latent["model"] != name:
        raise user_error(f"This latent was found in the model '{as_text(latent['model'], 80)}', not in "
                         f"'{as_text(name, 80)}': find the drawing in this model first.")
    z = _numbers(latent["z"], "latent's z", generator.latent_dim, -MAX_LATENT, MAX_LATENT)
    if not generator.num_classes:
        if latent["labels"] is not None:
            raise user_error(f"The model '{as_text(name, 80)}' is unconditional: the latent's labels must be null.")
        return z, None
    labels = _numbers(latent["labels"], "latent's label weights", generator.num_classes, 0, 1)
    if labels.sum() <= 0:
        raise user_error("The latent's label weights must not all be 0.")
    # Weights that sum to 1 as the search left them are kept bit for bit: the same image comes back.
    return z, labels if abs(labels.sum() - 1) < 1e-4 else labels / labels.sum()


def _numbers(values, what: str, n: int, low: float, high: float) -> torch.Tensor:
    """`values` as a float tensor (1, n), or a sentence naming `what`."""
    fine = isinstance(values, list) and len(values) == n and all(
        type(v) in (int, float) and low <= v <= high for v in values)  # NaN fails the comparison
    if not fine:
        raise user_error(f"The {what} must be a list of {n} numbers from {low:g} to {high:g}; got {shown(values)}.")
    return torch.tensor(values, dtype=torch.float32)[None]


def _grey_model(model, request: gr.Request | None) -> tuple[str, nn.Module]:
    name, generator, _ = load_model(model, session_of(request))
    if getattr(generator, "channels", 1) != 1:
        raise user_error(f"The model '{as_text(name, 80)}' draws colour images; a drawing is found in a model "
                         "of grey digits: pick another model.")
    return name, generator


def _recipe(steps, restarts) -> Recipe:
    steps = checks.whole_number(steps, "number of search steps", 1, SEARCH.steps)
    restarts = checks.whole_number(restarts, "number of restarts", 1, SEARCH.restarts)
    # At least half the steps refine the best start: the part of the search that the page watches.
    return dataclasses.replace(SEARCH, steps=steps, restarts=restarts, finalists=min(SEARCH.finalists, restarts),
                               search_steps=min(SEARCH.search_steps, steps // 2))


@contextlib.contextmanager
def _one_search(session: str | None):
    """One search at a time per session: a second is refused while the first runs."""
    if session is None:  # a direct call, not a visitor
        yield
        return
    with _searching_lock:
        if session in _searching:
            raise user_error("A search for a drawing is already running on this page: wait for it to end.")
        _searching.add(session)
    try:
        yield
    finally:
        with _searching_lock:
            _searching.discard(session)


def _found(generator: nn.Module, digit: np.ndarray,
           request: gr.Request | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """z (1, D) and label weights (1, classes) or None of a digit, found with the app's full search."""
    with _one_search(session_of(request)):
        state = invert(generator, digit, 0, SEARCH)
    return state.latents, state.labels


def _images(generator: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """uint8 digits (N, 1, 28, 28) of latents and label weights."""
    device = next(generator.parameters()).device
    with torch.inference_mode():
        return gan_models.to_uint8(generator(z.to(device), None if labels is None else labels.to(device)))


# --- the classifier's view: readings and the training digits nearest to a digit ------------------------
# training is imported inside the functions: it imports torchvision, which the app's start-up does without.

def _classifier() -> nn.Module:
    from training.classifier import ClassifierLoadError, load_classifier

    try:
        return load_classifier()
    except ClassifierLoadError as err:
        raise user_error(f"The digit classifier could not be loaded: {as_text(err)}") from None


def read(images: torch.Tensor) -> list[tuple[int, float]]:
    """The shipped classifier's digit and confidence for each uint8 digit of `images` (N, 28, 28)."""
    from training.classifier import embed

    confidence, digit = embed(_classifier(), images)[1].max(1)
    return [(int(d), float(c)) for d, c in zip(digit, confidence)]


def nearest_training(image: torch.Tensor, k: int = NEAREST) -> list[tuple[torch.Tensor, int, int, float]]:
    """The `k` MNIST training digits nearest to a uint8 digit (28, 28) by Euclidean distance in the
    classifier's features, nearest first: (digit, its index, its label, the distance)."""
    from training.classifier import embed

    images, labels, features = training_features()
    distances = torch.cdist(embed(_classifier(), image[None])[0], features)[0]
    best = distances.topk(min(k, len(distances)), largest=False)
    return [(images[i], int(i), int(labels[i]), float(d)) for d, i in zip(best.values, best.indices)]


def training_features() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """MNIST's training digits (uint8), labels and classifier features: embedded on first use, then kept
    in memory for the server's life (about 80 MB)."""
    global _training
    with _training_lock:  # the first calls wait for one embedding rather than each making its own
        if _training is None:
            images, labels = _training_set()
            _training = images, labels, _embed_all(images)
    return _training


def _training_set() -> tuple[torch.Tensor, torch.Tensor]:
    from training.data import DataNotFoundError, load_mnist

    try:
        return load_mnist(None, train=True)
    except DataNotFoundError as err:
        raise user_error(f"The nearest training digits need MNIST: {as_text(err, 600)}") from None


def _embed_all(images: torch.Tensor) -> torch.Tensor:
    """Classifier features (N, D) of many uint8 digits, on every core."""
    from training.classifier import embed

    # Batches of a few hundred digits: one at a time would spend its time in per-call overhead, all at
    # once would need gigabytes of activations. A channels-last copy of the classifier runs faster on the
    # CPU, and threads (torch's operations release the GIL) use the cores that torch's own threads leave
    # idle (the server gives each request one) this once, without changing that setting for the others.
    model = copy.deepcopy(_classifier()).to(memory_format=torch.channels_last)
    workers = max(1, (os.cpu_count() or 1) // torch.get_num_threads())
    with ThreadPoolExecutor(workers) as pool:
        chunks = images.split(-(-len(images) // workers))
        return torch.cat([features for features, _ in pool.map(lambda c: embed(model, c, EMBED_BATCH), chunks)])
