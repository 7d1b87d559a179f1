"""The app: its plain functions called directly, then the running `python app.py` through gradio_client."""

import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client
from PIL import Image


@pytest.fixture
def app(app_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The app module, reading models from `app_models` and writing images under `tmp_path`."""
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(app_models))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    monkeypatch.delenv("DIGITGAN_MODELS", raising=False)
    import app
    from playground import card, compare, generate, interpolate, models

    return SimpleNamespace(demo=app.demo, generate=generate.generate, digits=generate.digits,
                           interpolate=interpolate.interpolate, compare=compare.compare,
                           model_card=card.model_card, model_report=card.model_report, load_model=models.load_model,
                           gan_models=models.gan_models, models=models)


def pixels(path: str) -> np.ndarray:
    return np.asarray(Image.open(path))


# --- plain functions ------------------------------------------------------------------------------------

def test_the_app_starts_without_torchvision():
    """torchvision reads MNIST for training; importing it would add about 2 s to the app's start-up."""
    code = "import sys, app; assert 'torchvision' not in sys.modules, 'importing the app imported torchvision'"
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], check=True)


def test_generate_same_inputs_give_same_images(app):
    grid, gallery = app.generate("dcgan", seed=3, n=5), app.digits("dcgan", seed=3, n=5)
    again_grid, again_gallery = app.generate("dcgan", seed=3, n=5), app.digits("dcgan", seed=3, n=5)
    assert np.array_equal(pixels(grid), pixels(again_grid))
    assert [pixels(p).tolist() for p in gallery] == [pixels(p).tolist() for p in again_gallery]
    assert not np.array_equal(pixels(grid), pixels(app.generate("dcgan", seed=4, n=5)))


def test_generate_gives_a_grid_and_digits_one_image_per_digit_of_it(app):
    grid = app.generate("cdcgan", seed=0, n=12, digit="7", truncation=1.0)
    gallery = app.digits("cdcgan", seed=0, n=12, digit="7", truncation=1.0)
    assert len(gallery) == 12
    assert pixels(grid).ndim == 2 and min(pixels(grid).shape) >= 28  # greyscale, enlarged
    first = pixels(gallery[0])
    assert first.shape == (112, 112)
    scale = pixels(grid).shape[1] // (3 * 30 + 2)  # 3 columns of 28 pixels, 2-pixel borders, enlarged
    assert np.array_equal(pixels(grid)[2 * scale:30 * scale:scale, 2 * scale:30 * scale:scale], first[::4, ::4])
    assert pixels(app.generate("stacked-dcgan", seed=0, n=4)).shape[2] == 3


def test_interpolate_gives_a_strip_and_an_animated_gif(app):
    strip, gif = app.interpolate("cdcgan", seed_a=1, seed_b=2, steps=8, method="lerp", digit_a="3", digit_b=8)
    assert pixels(strip).shape[1] > pixels(strip).shape[0]  # one row of 8 frames
    tall = app.interpolate("cdcgan", 1, 2, 16, "lerp")[0]
    assert pixels(tall).shape[1] < 5 * pixels(tall).shape[0]  # 16 frames in two rows (one row: 15 times wider)
    with Image.open(gif) as animation:
        assert animation.n_frames == 2 * 8 - 2  # forth and back
    assert app.interpolate("cdcgan", 1, 2, 8, "lerp", "3", "8") == (strip, gif)
    assert app.interpolate("dcgan", 1, 2, 8, "slerp")[0] != app.interpolate("dcgan", 1, 2, 8, "lerp")[0]


def test_compare_runs_one_seed_through_every_model(app):
    grids, notes = app.compare(seed=5, n=4)
    assert [name for _, name in grids] == ["cdcgan", "dcgan", "stacked-dcgan"]
    assert notes == ""


def test_a_slow_hub_download_holds_up_no_other_model(app, app_models, tmp_path, monkeypatch):
    fresh = tmp_path / "models"  # a folder no earlier test has loaded, so the cache cannot answer
    shutil.copytree(app_models / "dcgan", fresh / "dcgan")
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(fresh))
    monkeypatch.setenv("DIGITGAN_MODELS", "owner/slow")
    monkeypatch.setattr(app.models, "_failed", {})
    downloading, release = threading.Event(), threading.Event()
    resolve = app.gan_models.resolve_source

    def slow_hub(source):
        if source == "owner/slow":
            downloading.set()
            release.wait(30)
            raise app.gan_models.ModelLoadError("offline")
        return resolve(source)

    monkeypatch.setattr(app.gan_models, "resolve_source", slow_hub)
    failures = []

    def load_slow():
        try:
            app.load_model("owner/slow")
        except gr.Error as err:
            failures.append(err.message)

    slow = threading.Thread(target=load_slow)
    slow.start()
    try:
        assert downloading.wait(10)
        bundled = threading.Thread(target=app.load_model, args=("dcgan",))
        bundled.start()
        bundled.join(10)
        assert not bundled.is_alive(), "the bundled model waited for another model's download"
    finally:
        release.set()
        slow.join(10)
    assert failures == ["Model 'owner/slow' could not be loaded: offline"]


def test_the_queue_rebuilds_its_monitoring_summary_every_100_events_not_every_event(app):
    # Fails if Gradio renames the setting, so that the cost comes back unnoticed.
    assert getattr(app.demo._queue, "ANAYLTICS_CACHE_FREQUENCY", None) == 100


def test_a_broken_local_model_loads_once_fixed_even_named_by_a_relative_folder(app, app_models, tmp_path,
                                                                              monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "config.json").write_text("{not json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", ".")  # the source is then "mine", as a Hub repo's is its name
    with pytest.raises(gr.Error, match="could not be loaded"):
        app.load_model("mine")
    shutil.rmtree(tmp_path / "mine")
    shutil.copytree(app_models / "dcgan", tmp_path / "mine")
    assert app.load_model("mine")[0] == "mine"  # not held as failed, as a Hub repo would be


def test_a_load_error_names_the_model_folder_not_the_server_s_paths(app, app_models, tmp_path, monkeypatch):
    shutil.copytree(app_models / "dcgan", tmp_path / "cut")
    weights = tmp_path / "cut" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(tmp_path))
    with pytest.raises(gr.Error) as raised:
        app.load_model("cut")
    assert "cannot read weights cut/model.safetensors" in raised.value.message
    assert str(tmp_path) not in raised.value.message and "\n" not in raised.value.message


def test_a_models_folder_that_is_missing_or_empty_is_named(app, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(tmp_path / "nowhere"))
    assert f"there is no folder {tmp_path / 'nowhere'}" in app.model_report()
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(tmp_path))
    with pytest.raises(gr.Error, match=f"the folder {re.escape(str(tmp_path))} holds no model folders"):
        app.load_model("dcgan")


def test_model_card_and_digit_pickers(app):
    card, *digits = app.model_card("dcgan")
    assert "hinge" in card and "python -m training.run --arch dcgan" in card and "<td>fd</td><td>12.5</td>" in card
    assert "1.5 min" in card
    assert all(d["interactive"] is False and d["value"] == "any" for d in digits)
    _, *digits = app.model_card("cdcgan")
    assert all(d["interactive"] is True for d in digits)
    assert "✅ <code>stacked-dcgan</code>" in app.model_report()


BAD_GENERATE = [
    ({"n": 0}, "number of digits must be a whole number from 1 to 64"),
    ({"n": 100000}, "number of digits must be a whole number from 1 to 64"),
    ({"seed": -1}, "seed must be a whole number from 0 to"),
    ({"seed": 10**30}, "seed must be a whole number from 0 to"),
    ({"digit": "3"}, "is unconditional"),
    ({"model": "cdcgan", "digit": "12"}, "digit must be 'any' or a whole number from 0 to 9"),
    ({"model": "no-such-model"}, "Unknown model 'no-such-model'. Available models: cdcgan, dcgan"),
    ({"truncation": -1}, "Truncation must be between 0 (off) and 3"),
    ({"model": ["dcgan"]}, "The model must be the name of one model; got ['dcgan']"),
]
BAD_INTERPOLATE = [
    ({"steps": 1}, "number of steps must be a whole number from 2 to 64"),
    ({"steps": 10000}, "number of steps must be a whole number from 2 to 64"),
    ({"seed_b": -5}, "seed B must be"),
    ({"digit_a": 4}, "is unconditional"),
    ({"method": "cubic"}, "method must be 'lerp' or 'slerp'"),
    ({"method": ["lerp"]}, "method must be 'lerp' or 'slerp'"),
]


@pytest.mark.parametrize("kwargs, message", BAD_GENERATE)
def test_generate_bad_input_is_a_readable_error(app, kwargs, message):
    with pytest.raises(gr.Error, match=re.escape(message)):
        app.generate(**{"model": "dcgan", **kwargs})


@pytest.mark.parametrize("kwargs, message", BAD_INTERPOLATE)
def test_interpolate_bad_input_is_a_readable_error(app, kwargs, message):
    with pytest.raises(gr.Error, match=re.escape(message)):
        app.interpolate(**{"model": "dcgan", **kwargs})


# --- the running app ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    # gradio_client leaves an empty folder in the temp dir per file it downloads: keep those in pytest's.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("client-tmp")))
        yield Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")),
                     analytics_enabled=False)


def test_api_names_every_parameter_with_a_default(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    # the endpoints the README lists, and no others
    assert set(endpoints) == {"/generate", "/digits", "/interpolate", "/compare", "/models", "/model_card",
                              "/model_choices", "/random_seed", "/random_seed_a",
                              "/random_seed_b", "/random_seed_compare", "/lab", "/lab_continue", "/lab_stop",
                              "/lab_reset", "/lab_use_in_generate", "/lab_download", "/draw", "/draw_morph",
                              "/draw_variations", "/draw_nearest", "/random_seed_morph", "/random_seed_variations",
                              "/colorize_drawing", "/colorize_generated", "/to_grey", "/random_seed_colorize"}
    expected = {"/generate": ["model", "seed", "n", "digit", "truncation", "continuous"],
                "/digits": ["model", "seed", "n", "digit", "truncation", "continuous"],
                "/interpolate": ["model", "seed_a", "seed_b", "steps", "method", "digit_a", "digit_b", "continuous",
                                 "sweep"]}
    for api_name, names in expected.items():
        parameters = endpoints[api_name]["parameters"]
        assert [p["parameter_name"] for p in parameters] == names
        assert all(p["parameter_has_default"] for p in parameters)


def test_api_generate_and_interpolate(client):
    grid = client.predict(model="dcgan", seed=7, n=4, api_name="/generate")
    gallery = client.predict(model="dcgan", seed=7, n=4, api_name="/digits")
    assert len(gallery) == 4 and pixels(grid).size > 0
    again = client.predict(model="dcgan", seed=7, n=4, api_name="/generate")
    assert np.array_equal(pixels(grid), pixels(again))
    strip, gif = client.predict(model="cdcgan", seed_a=1, seed_b=2, steps=6, method="slerp", digit_a="2",
                                digit_b="5", api_name="/interpolate")
    assert Image.open(gif).n_frames == 10 and pixels(strip).size > 0
    assert len(client.predict(seed=1, api_name="/digits")) == 16  # every other parameter by default


@pytest.mark.parametrize("api_name, kwargs, message", [("/generate", *case) for case in BAD_GENERATE]
                         + [("/interpolate", *case) for case in BAD_INTERPOLATE])
def test_api_bad_input_is_a_readable_error_and_the_server_lives_on(client, api_name, kwargs, message):
    with pytest.raises(Exception) as raised:
        client.predict(**{"model": "dcgan", **kwargs}, api_name=api_name)
    assert message in str(raised.value) and "Traceback" not in str(raised.value)
    assert len(client.predict(model="dcgan", n=2, api_name="/digits")) == 2


def test_api_model_card_sets_all_three_digit_pickers(client):
    _, *pickers = client.predict(model="dcgan", api_name="/model_card")  # unconditional: back to "any", disabled
    assert [(p.get("value"), p.get("interactive")) for p in pickers] == [("any", False)] * 3


def test_an_unreachable_hub_model_is_reported_and_the_rest_still_work(client):
    report = client.predict(api_name="/models")  # app_url lists a Hub repo while HF_HUB_OFFLINE=1
    failed = re.findall(r"Model '([^']+)' could not be loaded: could not fetch .* Hugging Face Hub", report)
    assert failed == ["digitgan-tests/no-such-model"]
    assert "✅ <code>dcgan</code>" in report
    with pytest.raises(Exception, match="could not be loaded"):
        client.predict(model=failed[0], api_name="/generate")
    grids, notes = client.predict(seed=0, n=2, api_name="/compare")
    assert len(grids) == 3 and failed[0] in notes


def test_an_infogan_s_continuous_codes_are_set_and_swept(app, app_models, tmp_path, monkeypatch):
    folder = tmp_path / "models"
    generator = app.gan_models.create_model("dcgan", width=8, codes=10, continuous=2).generator
    app.gan_models.save_generator(generator, folder / "info")
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(folder))
    from playground import codes

    one, other = (pixels(app.generate("info", seed=1, n=4, continuous=[c, 0.0])) for c in (-1.0, 1.0))
    assert not np.array_equal(one, other)
    assert np.array_equal(one, pixels(app.generate("info", seed=1, n=4, continuous=[-1.0, 0.0])))
    strip, _ = app.interpolate("info", 3, 4, 8, sweep=1)
    assert strip != app.interpolate("info", 3, 4, 8)[0]
    assert [u["visible"] for u in codes.show_for("info")] == [True, True, True, False, False]
    assert [u["label"] for u in codes.show_for("info")[1:3]] == ["Code 1", "Code 2"]
    rows = {"code 1": {"controls": "slant", "slant": {"rho": 0.95}}, "code 2": {"controls": "<b>bold</b>"}}
    app.gan_models.card.update_card(folder / "info", continuous_codes_measured=rows)
    assert [u["label"] for u in codes.show_for("info")[1:3]] == ["Code 1: slant", "Code 2"]  # only known words
    for bad, message in (([0.5], "has 2 continuous codes; got 1 value"), ([2, 0], "from -1 to 1"),
                         ("0.5", "must be a list of numbers")):
        with pytest.raises(gr.Error, match=message):
            app.generate("info", continuous=bad)
    with pytest.raises(gr.Error, match="code to sweep must be a whole number from 0 to 2"):
        app.interpolate("info", sweep=3)
