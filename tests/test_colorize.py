"""The Colorize tab's functions, called directly: a drawing, a model's digit and a colour digit through
every bundled translator, with the classifiers' readings; bad inputs are sentences."""

import shutil
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

import gan_models


@pytest.fixture(scope="module")
def models_folder(app_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's tiny models, and two tiny random translators beside them."""
    folder = tmp_path_factory.mktemp("with-translators")
    for model in app_models.iterdir():
        shutil.copytree(model, folder / model.name)
    for name, seed in (("colorize", 0), ("colorize-nocycle", 1)):
        torch.manual_seed(seed)
        gan_models.save_translator(gan_models.create_translator("cyclegan", width=8).translator, folder / name)
    return folder


@pytest.fixture
def colorize(models_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(models_folder))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    from playground import colorize

    return colorize


def a_drawing() -> np.ndarray:
    """A white canvas with a black vertical bar: a 1."""
    canvas = np.full((280, 280, 3), 255, np.uint8)
    canvas[40:240, 130:150] = 0
    return canvas


def test_only_the_translators_are_offered(colorize):
    assert list(colorize.translator_sources()) == ["colorize", "colorize-nocycle"]
    assert set(colorize.translators()) == {"colorize", "colorize-nocycle"}


def test_a_drawing_comes_out_in_colour_from_each_translator_and_back(colorize):
    items = colorize.colorize_drawing(a_drawing())
    assert len(items) == 5  # the digit, then each translator's colour version and its way back to grey
    images = [np.asarray(Image.open(path)) for path, _ in items]
    assert images[0].ndim == 2 and images[1].shape[2] == 3 and images[2].ndim == 2
    assert min(images[0].shape) >= 168  # enlarged
    captions = [caption for _, caption in items]
    assert captions[0].startswith("your digit: reads ")
    assert captions[1].startswith("colorize, in colour: reads ") and "shape" in captions[1]
    assert captions[3].startswith("colorize-nocycle, in colour: reads ")
    assert [c for _, c in colorize.colorize_drawing(a_drawing())] == captions  # the same drawing, the same readings


def test_a_model_s_digit_is_colorized_and_a_colour_model_is_refused(colorize):
    first, again = colorize.colorize_generated("dcgan", 3), colorize.colorize_generated("dcgan", 3)
    assert len(first) == 5 and [c for _, c in first] == [c for _, c in again]
    with pytest.raises(gr.Error, match="three digits as colour channels"):
        colorize.colorize_generated("stacked-dcgan", 0)
    with pytest.raises(gr.Error, match="seed must be a whole number"):
        colorize.colorize_generated("dcgan", -1)


def test_a_colour_digit_goes_back_to_grey(colorize):
    picture = np.zeros((56, 56, 3), np.uint8)
    picture[..., 0] = 200
    picture[10:46, 25:31] = (20, 240, 240)
    items = colorize.to_grey(picture)
    assert len(items) == 3 and items[0][1].startswith("your colour digit: reads ")
    assert np.asarray(Image.open(items[1][0])).ndim == 2 and items[1][1].startswith("colorize, to grey: reads ")


def test_bad_inputs_are_sentences(colorize, tmp_path):
    with pytest.raises(gr.Error, match="Draw a digit first"):
        colorize.colorize_drawing(None)
    with pytest.raises(gr.Error, match="blank"):
        colorize.colorize_drawing(np.full((100, 100, 3), 255, np.uint8))
    outside = tmp_path.parent / "elsewhere.png"
    Image.fromarray(a_drawing()).save(outside)
    with pytest.raises(gr.Error, match="must come from the page's sketchpad"):
        colorize.colorize_drawing({"composite": {"path": str(outside)}})
    with pytest.raises(gr.Error, match="Upload a colour digit first"):
        colorize.to_grey(None)


def test_no_translator_is_a_sentence(colorize, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(tmp_path / "empty"))
    with pytest.raises(gr.Error, match="No translator could be loaded: put one"):
        colorize.colorize_drawing(a_drawing())


def test_the_tab_builds_with_an_api_name_for_each_event(colorize):
    from playground.generate import seed_box

    with gr.Blocks() as demo:
        colorize.build(gr.Dropdown(["dcgan"], value="dcgan"), seed_box)
    assert {"colorize_drawing", "colorize_generated", "to_grey"} <= {fn.api_name for fn in demo.fns.values()}
