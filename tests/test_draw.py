"""The Draw tab's functions called directly, with a real MNIST test digit drawn large, dark on light."""

import re
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image


class Request:
    """What Gradio passes as gr.Request: the browser session's id."""
    def __init__(self, session: str):
        self.session_hash = session


@pytest.fixture
def draw(app_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(app_models))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    monkeypatch.delenv("DIGITGAN_MODELS", raising=False)
    from playground import draw

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the server runs each request; spare threads only fight on a busy machine
    yield draw
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def mnist(mnist_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    from training.data import load_mnist

    return load_mnist(mnist_dir, train=False)


@pytest.fixture(scope="module")
def drawing(mnist) -> np.ndarray:
    """Test digit #0 (a 7) as a 200x200 drawing: dark strokes on a light canvas."""
    return 255 - np.asarray(Image.fromarray(mnist[0][0].numpy()).resize((200, 200), Image.BILINEAR))


@pytest.fixture
def found(draw, drawing) -> list:
    """The updates of a short search in the conditional model."""
    return list(draw.draw("cdcgan", drawing, steps=20, restarts=2))


def pixels(path: str) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_the_search_streams_reconstructions_that_the_classifier_reads(draw, found):
    first, *updates = found
    assert first[1] is None and first[3] is None and "Searching" in first[2]  # your digit at once
    assert len(updates) >= 2 and all(Path(u[1]).exists() for u in updates)
    digit, reconstruction, reading, latent = updates[-1]
    assert pixels(digit).shape == (224, 224) and pixels(reconstruction).shape == (224, 224)
    shown = torch.from_numpy(pixels(reconstruction)[::8, ::8].copy())[None]
    (read_as, confidence), = draw.read(shown)
    assert f"step 20 of 20, reads as **{read_as}** ({confidence:.0%})" in reading
    assert "Your digit reads as **7**" in reading
    assert latent["model"] == "cdcgan" and len(latent["z"]) == 100
    assert len(latent["labels"]) == 10 and sum(latent["labels"]) == pytest.approx(1, abs=1e-5)


def test_a_blank_canvas_or_none_is_a_sentence_and_a_scribble_a_warning(draw):
    with pytest.raises(gr.Error, match="The drawing is blank: draw a digit"):
        next(draw.draw("dcgan", np.full((200, 200, 3), 255, np.uint8)))
    with pytest.raises(gr.Error, match="Draw a digit on the sketchpad first"):
        next(draw.draw("dcgan", None))
    scribble = np.full((200, 200), 255, np.uint8)
    scribble[40:160, 40:160] = 0
    assert "more like a scribble than a digit" in next(draw.draw("dcgan", scribble, steps=2, restarts=1))[2]


def test_the_latent_comes_back_for_morph_variations_and_nearest(draw, found, drawing, mnist, monkeypatch):
    *_, (_, reconstruction, _, latent) = found
    strip, gif = draw.draw_morph("cdcgan", None, latent, "seed", seed=3, digit="5", frames=6)
    assert Image.open(gif).n_frames == 10 and pixels(strip).size > 0
    first = np.asarray(Image.open(gif).convert("L"))[::4, ::4]  # the morph starts at the reconstruction
    assert np.array_equal(first, pixels(reconstruction)[::8, ::8])
    grid = draw.draw_variations("cdcgan", None, latent, seed=1, spread=0, n=4)  # spread 0: four times yours
    cells = pixels(grid)[::8, ::8]  # a 2 x 2 grid of 30-pixel cells, enlarged 8 times
    assert all(np.array_equal(cells[y:y + 28, x:x + 28], first) for y in (2, 32) for x in (2, 32))
    assert pixels(draw.draw_variations("cdcgan", None, latent, seed=1, spread=0.5, n=16)).shape == (488, 488)
    monkeypatch.setattr(draw, "SEARCH", draw.SEARCH.__class__(steps=20, restarts=2))  # the second drawing's, short
    strip, gif = draw.draw_morph("cdcgan", None, latent, "drawing", drawing_b=drawing, frames=3)
    assert pixels(strip).shape[1] > 2.5 * pixels(strip).shape[0]  # three frames in a row (a GIF merges equal ones)

    monkeypatch.setattr(draw, "_training", None)  # a small training set for the test: 2,000 digits
    monkeypatch.setattr(draw, "_training_set", lambda: (mnist[0][:2000], mnist[1][:2000]))
    (_, index, label, distance), *_ = draw.nearest_training(mnist[0][5])
    assert index == 5 and label == int(mnist[1][5]) and distance < 1e-3
    nearest = draw.draw_nearest("cdcgan", None, latent)
    distances = [float(re.fullmatch(r"a \d, (\S+) away", caption)[1]) for _, caption in nearest]
    assert len(nearest) == 3 and distances == sorted(distances) and pixels(nearest[0][0]).shape == (112, 112)
    index = int(re.fullmatch(r"mnist-train-(\d+)\.png", Path(nearest[0][0]).name)[1])
    assert np.array_equal(pixels(nearest[0][0])[::4, ::4], mnist[0][index].numpy())


def test_without_a_latent_the_drawing_is_found_again(draw, drawing, monkeypatch):
    monkeypatch.setattr(draw, "SEARCH", draw.SEARCH.__class__(steps=4, restarts=1))  # the app's search, shortened
    assert Path(draw.draw_variations("dcgan", drawing, None, n=2)).exists()
    with pytest.raises(gr.Error, match="find it first"):
        draw.draw_variations("dcgan", None, None)


def test_one_search_per_session_at_a_time(draw, drawing):
    running = draw.draw("dcgan", drawing, steps=10, restarts=1, request=Request("one"))
    next(running)
    with pytest.raises(gr.Error, match="already running on this page"):
        next(draw.draw("dcgan", drawing, steps=10, restarts=1, request=Request("one")))
    assert len(list(draw.draw("dcgan", drawing, steps=10, restarts=1, request=Request("two")))) >= 2
    running.close()  # a closed stream (a page gone) frees its session
    assert len(list(draw.draw("dcgan", drawing, steps=10, restarts=1, request=Request("one")))) >= 2


def test_the_search_is_capped_at_the_app_s(draw, drawing):
    for setting in ("steps", "restarts"):
        bound = getattr(draw.SEARCH, setting)
        with pytest.raises(gr.Error, match=f"must be a whole number from 1 to {bound}"):
            next(draw.draw("dcgan", drawing, **{setting: bound + 1}))


LATENT = {"model": "dcgan", "z": [0.0] * 100, "labels": None}


@pytest.mark.parametrize("call, kwargs, message", [
    ("draw", {"steps": 1001}, "number of search steps must be a whole number from 1 to "),
    ("draw", {"restarts": 0}, "number of restarts must be a whole number from 1 to "),
    ("draw", {"model": "stacked-dcgan"}, "draws colour images"),
    ("draw", {"drawing": {"composite": {"path": "/etc/hostname"}}}, "must come from the page's sketchpad"),
    ("draw", {"drawing": "x" * 5000}, "A drawing must be an image"),
    ("draw_morph", {"target": "moon"}, "The morph's target must be 'seed' or 'drawing'"),
    ("draw_morph", {"frames": 1}, "number of frames must be a whole number from 2"),
    ("draw_morph", {"digit": "3"}, "is unconditional"),
    ("draw_morph", {"target": "drawing"}, "Draw the second digit"),
    ("draw_variations", {"spread": float("nan")}, "spread must be a number from 0 to 2"),
    ("draw_variations", {"seed": -1}, "seed must be a whole number"),
    ("draw_variations", {"latent": [1, 2]}, "must be the dict /draw returned"),
    ("draw_variations", {"latent": {**LATENT, "model": "cdcgan"}}, "found in the model 'cdcgan', not in 'dcgan'"),
    ("draw_variations", {"latent": {**LATENT, "z": [0.0] * 3}}, "z must be a list of 100 numbers"),
    ("draw_variations", {"latent": {**LATENT, "z": [1e308] * 100}}, "from -50 to 50"),
    ("draw_variations", {"latent": {**LATENT, "labels": [0.1] * 10}}, "labels must be null"),
    ("draw_nearest", {"latent": {**LATENT, "z": ["x"] * 100}}, "z must be a list"),
])
def test_bad_input_is_a_sentence(draw, drawing, call, kwargs, message):
    arguments = {"model": "dcgan", "latent": LATENT, **kwargs}
    if call == "draw":
        arguments = {"drawing": drawing, **{k: v for k, v in arguments.items() if k != "latent"}}
    with pytest.raises(gr.Error, match=message) as raised:
        result = getattr(draw, call)(**arguments)
        next(result) if call == "draw" else None
    assert len(raised.value.message) < 300 and raised.value.print_exception is False


def test_label_weights_must_be_weights(draw):
    latent = {"model": "cdcgan", "z": [0.0] * 100, "labels": [0.0] * 10}
    with pytest.raises(gr.Error, match="must not all be 0"):
        draw.draw_variations("cdcgan", None, latent)
    with pytest.raises(gr.Error, match="label weights must be a list of 10 numbers from 0 to 1"):
        draw.draw_variations("cdcgan", None, {**latent, "labels": [2.0] * 10})
    assert Path(draw.draw_variations("cdcgan", None, {**latent, "labels": [0, 0, 0, 1] + [0] * 6}, n=2)).exists()
