"""The Colorize tab: a grey digit, drawn or drawn by a model of the app, in colour from each bundled
translator side by side, each as the colour classifier reads it (is its shape kept?), and back to
grey; and a colour digit back to grey."""

import threading

import gradio as gr
import numpy as np
import torch
from PIL import Image
from torch import nn

import gan_models
from gan_models.drawing import to_mnist

from . import checks
from .checks import as_text, user_error
from .images import pixels, png, save, sketch
from .models import _models_folder, load_model, session_of

_translators: dict[str, nn.Module] = {}  # folder -> translator, each loaded once
_lock = threading.Lock()


def translator_sources() -> dict[str, str]:
    """The translators bundled beside the app's generators, name -> folder."""
    return {p.parent.name: str(p.parent) for p in sorted(_models_folder().glob("*/config.json"))
            if gan_models.is_translator(p.parent)}


def translators() -> dict[str, nn.Module]:
    """Every bundled translator that loads, by name; a gr.Error when none does."""
    loaded, problems = {}, []
    for name, folder in translator_sources().items():
        with _lock:
            try:
                if folder not in _translators:
                    _translators[folder] = gan_models.load_translator(folder)
                loaded[name] = _translators[folder]
            except gan_models.ModelLoadError as err:
                problems.append(f"{name}: {as_text(err, 200)}")
    if not loaded:
        why = f" ({'; '.join(problems)})" if problems else ""
        raise user_error(f"No translator could be loaded{why}: put one (python -m training.run --arch cyclegan "
                         f"--dataset mnist-colour) in {as_text(_models_folder(), 120)}.")
    return loaded


# The classifiers live in training/, which imports torchvision: loaded at the first reading, not at start-up.
def _readings(images: torch.Tensor, colour: bool) -> list[tuple[int, float]]:
    """The digit and confidence the MNIST classifier (grey) or the colour classifier reads in uint8 images."""
    from training.classifier import COLOUR_ASSET, ClassifierLoadError, embed, load_classifier

    try:
        clf = load_classifier(COLOUR_ASSET if colour else None)
    except ClassifierLoadError as err:
        raise user_error(f"The digit classifier could not be loaded: {as_text(err)}") from None
    confidence, digit = embed(clf, images)[1].max(1)
    return [(int(d), float(c)) for d, c in zip(digit, confidence)]


def _caption(who: str, reading: tuple[int, float], source: int | None = None) -> str:
    digit, confidence = reading
    text = f"{who}: reads {digit} ({confidence:.0%})"
    if source is not None:
        text += ", shape kept ✓" if digit == source else f", shape lost ✗ (was {source})"
    return text


def colorized(grey: np.ndarray) -> list[tuple[str, str]]:
    """Gallery items (PNG path, caption) of a uint8 grey digit (28, 28): the digit as the MNIST classifier
    reads it, then for each translator its colour version as the colour classifier reads it and its way
    back to grey as the MNIST classifier reads it."""
    models = translators()
    source = torch.from_numpy(grey).reshape(1, 28, 28)
    with torch.inference_mode():
        colour = {name: gan_models.translate(t, source, "a2b") for name, t in models.items()}
        back = {name: gan_models.translate(t, colour[name], "b2a") for name, t in models.items()}
    read_source = _readings(source, colour=False)[0]
    images, captions = [source.unsqueeze(1)], [_caption("your digit", read_source)]
    for name in models:
        images += [colour[name], back[name]]
        captions += [_caption(f"{name}, in colour", _readings(colour[name], colour=True)[0], read_source[0]),
                     _caption(f"{name}, back to grey", _readings(back[name], colour=False)[0], read_source[0])]
    return _items(images, captions)


def _items(images: list[torch.Tensor], captions: list[str]) -> list[tuple[str, str]]:
    files = save({f"{i}.png": png(pixels(image[0], 168)) for i, image in enumerate(images)})
    return list(zip(files, captions))


def colorize_drawing(drawing=None, request: gr.Request = None) -> list[tuple[str, str]]:
    """Your drawing as an MNIST digit, in colour from each translator (see `colorized`)."""
    image = sketch(drawing, "Draw a digit first: the sketchpad is empty.")
    try:
        return colorized(to_mnist(image))
    except ValueError as err:  # a blank canvas
        text = as_text(err)
        raise user_error(f"{text[:1].upper()}{text[1:]}.") from None


def colorize_generated(model: str | None = None, seed: int = 0, request: gr.Request = None) -> list[tuple[str, str]]:
    """One digit drawn by a model of the app from `seed`, in colour from each translator (see `colorized`)."""
    seed = checks.seed(seed)
    name, generator, _ = load_model(model, session_of(request))
    if generator.channels != 1:
        raise user_error(f"The model '{as_text(name, 80)}' draws three digits as colour channels, not one grey digit: "
                         "pick a model of grey digits.")
    with torch.inference_mode():
        digit = gan_models.generate(generator, 1, seed)
    return colorized(digit[0, 0].numpy())


def to_grey(image=None, request: gr.Request = None) -> list[tuple[str, str]]:
    """A colour digit (any size; made 28×28) back to grey by each translator, as the MNIST classifier reads it."""
    picture = sketch({"composite": image}, "Upload a colour digit first.")
    rgb = Image.fromarray(np.asarray(picture, dtype=np.uint8)).convert("RGB").resize((28, 28), Image.LANCZOS)
    colour = torch.from_numpy(np.array(rgb)).permute(2, 0, 1).unsqueeze(0).contiguous()
    models = translators()
    with torch.inference_mode():
        grey = {name: gan_models.translate(t, colour, "b2a") for name, t in models.items()}
    images, captions = [colour], [_caption("your colour digit", _readings(colour, colour=True)[0])]
    for name, digit in grey.items():
        images.append(digit)
        captions.append(_caption(f"{name}, to grey", _readings(digit, colour=False)[0]))
    return _items(images, captions)


def build(model: gr.Dropdown, seed_box) -> None:
    """The tab's controls, wired: `model` is the page's model list, `seed_box` makes a seed's box."""
    gr.Markdown("Colour digits learnt from **unpaired** examples (CycleGAN): each translator saw grey MNIST digits "
                "and, separately, other digits in colour. The cycle loss makes it keep the digit's shape; "
                "`colorize-nocycle` was trained without it. Each picture says how a digit classifier reads it.")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            drawing = gr.Sketchpad(label="Draw a digit", type="numpy", height=280, canvas_size=(280, 280),
                                   fixed_canvas=True, layers=False)
            draw_button = gr.Button("Colorize my drawing", variant="primary")
            seed = seed_box("Seed", 0, "random_seed_colorize")
            model_button = gr.Button("Colorize a digit of the chosen model")
            colour_in = gr.Image(label="Or a colour digit, back to grey", type="numpy", image_mode="RGB", height=160)
            grey_button = gr.Button("Back to grey")
        with gr.Column(scale=2, min_width=280):
            columns = 1 + 2 * max(1, len(translator_sources()))  # a digit, then each translator's two
            results = gr.Gallery(label="Colorized", columns=columns, height="auto", object_fit="contain",
                                 elem_id="colorized")
    draw_button.click(colorize_drawing, drawing, results, api_name="colorize_drawing", preprocess=False)
    model_button.click(colorize_generated, [model, seed], results, api_name="colorize_generated", preprocess=False)
    grey_button.click(to_grey, colour_in, results, api_name="to_grey", preprocess=False)
