"""The app's Lab: its functions called directly (2-D runs need no MNIST), then its stream through gradio_client."""

import threading
import time
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client

import gan_models


@pytest.fixture
def lab(app_models: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(app_models))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    from playground import lab

    yield lab
    for session in list(lab._runs):
        lab.end_session(session)


class Request:
    """What Gradio passes as gr.Request: the browser session's id."""
    def __init__(self, session: str):
        self.session_hash = session


def test_a_2d_run_streams_updates_until_its_seconds_end_without_mnist(lab, monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITGAN_DATA_DIR", str(tmp_path / "no-mnist-here"))
    updates = list(lab.lab(dataset="ring", loss="ns", batch_size=64, seconds=3, request=Request("ring")))
    assert len(updates) >= 2
    status, picture, _, losses, verdicts, gradient, meter, history = updates[-1]
    assert picture.shape == (256, 256, 3) and "Gaussians covered" in status and "time's up" in status
    assert set(losses["curve"]) == {"D loss", "G loss"} and losses["step"].max() > 20
    assert not lab._runs["ring"].running  # the run's thread ended with its stream


def test_mnist_without_the_files_says_where_to_put_them(lab, monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITGAN_DATA_DIR", str(tmp_path / "no-mnist-here"))
    monkeypatch.setattr("training.data.MNIST", _offline_mnist)
    from playground import lab_view

    lab_view._mnist.cache_clear()
    with pytest.raises(gr.Error, match="MNIST is not in .* The 2-D datasets"):
        next(lab.lab(arch="mlp", seconds=2, request=Request("offline")))
    lab_view._mnist.cache_clear()


def _offline_mnist(root, train, download):
    raise RuntimeError("Dataset not found") if not download else OSError("no network")


@pytest.fixture
def mnist_lab(lab, mnist_dir, monkeypatch):
    monkeypatch.setenv("DIGITGAN_DATA_DIR", str(mnist_dir))
    from playground import lab_view

    lab_view._mnist.cache_clear()
    return lab


def test_start_stop_continue_on_mnist(mnist_lab):
    lab, me = mnist_lab, Request("mnist")
    stream = lab.lab(arch="mlp", batch_size=16, seconds=60, request=me)
    first = next(stream)
    assert first[1].ndim == 2 and first[1].dtype == np.uint8  # the grid of the fixed noise batch
    assert "digits present" in first[0]
    threading.Timer(1.5, lab.lab_stop, kwargs={"request": me}).start()
    rest = list(stream)
    assert rest and "stopped" in rest[-1][0]
    step = lab._runs["mnist"].trainers[0].step_count
    more = list(lab.lab_continue(seconds=2, request=me))
    assert lab._runs["mnist"].trainers[0].step_count > step and "time's up" in more[-1][0]


def test_compare_runs_two_settings_in_lockstep_on_the_same_batches(mnist_lab):
    lab = mnist_lab
    *_, last = lab.lab(arch="mlp", loss="ns", batch_size=16, seconds=2, compare="loss", compare_value="minimax",
                       request=Request("pair"))
    a, b = lab._runs["pair"].trainers
    assert (a.cfg.loss, b.cfg.loss) == ("ns", "minimax") and a.step_count == b.step_count
    assert set(last[5]["curve"]) == {"A: log10 ‖∇G‖", "B: log10 ‖∇G‖"}
    assert last[2] is not None  # run B's grid beside run A's


def test_use_in_generate_and_download_give_a_loadable_model(mnist_lab, tmp_path):
    from playground import generate

    lab, me = mnist_lab, Request("keep")
    list(lab.lab(arch="mlp", batch_size=16, seconds=2, request=me))
    choices, note = lab.use_in_generate(request=me)
    name = choices["value"]
    assert name.startswith("lab: mlp") and name in choices["choices"] and "Added" in note
    assert Path(generate.generate(name, seed=1, n=4, request=me)).exists()
    with pytest.raises(gr.Error, match="Unknown model"):
        generate.generate(name, request=Request("someone-else"))  # another session does not see it
    with zipfile.ZipFile(lab.download(request=me)) as archive:
        archive.extractall(tmp_path / "model")
    assert {"model.safetensors", "config.json", "README.md"} <= set(archive.namelist())
    assert gan_models.load_generator(tmp_path / "model").latent_dim == 100


@pytest.mark.parametrize("kwargs, message", [
    ({"arch": "nope"}, "The architecture must be"),
    ({"loss": "x" * 10_000}, "The loss must be"),
    ({"batch_size": 1}, "batch size must be a whole number from 2 to 512"),
    ({"lr_g": -1}, "generator's learning rate must be a number"),
    ({"seconds": 10**9}, "run's length in seconds must be a number from 1 to"),
    ({"compare": "loss", "compare_value": "nope"}, "cannot train"),
    ({"ema": "yes"}, "ema must be true or false"),
])
def test_bad_settings_are_a_sentence(lab, kwargs, message):
    with pytest.raises(gr.Error, match=message):
        next(lab.lab(**{"dataset": "ring", **kwargs}))


def test_use_in_generate_before_any_run_is_a_sentence(lab):
    with pytest.raises(gr.Error, match="press Start first"):
        lab.use_in_generate(request=Request("nobody"))


# --- the running app ------------------------------------------------------------------------------------

def test_the_lab_streams_through_gradio_client_and_stops(app_url: str):
    client = Client(app_url, verbose=False, analytics_enabled=False)
    job = client.submit(dataset="ring", batch_size=64, seconds=30, api_name="/lab")
    seen, start = [], time.monotonic()
    for update in job:
        seen.append(update)
        if len(seen) == 2:
            assert client.predict(api_name="/lab_stop").startswith("Stopped")
    assert len(seen) >= 2 and time.monotonic() - start < 25
    assert all(Path(update[1]).exists() for update in seen)  # every update carries the picture
    assert "stopped" in seen[-1][0]


def test_drawn_points_train_and_a_drawing_from_elsewhere_is_refused(lab, tmp_path):
    sketch = np.zeros((240, 240, 4), dtype=np.uint8)
    sketch[50:60, 40:200, 3] = 255  # a bar and a blob
    sketch[150:190, 100:140, 3] = 255
    *_, last = lab.lab(dataset="drawn", drawing={"composite": sketch}, seconds=2, request=Request("drawn"))
    assert "Gaussians covered" in last[0] and last[1].shape == (256, 256, 3)
    with pytest.raises(gr.Error, match="drawing is empty"):
        next(lab.lab(dataset="drawn", drawing={"composite": np.zeros((50, 50, 4), np.uint8)}))
    with pytest.raises(gr.Error, match="must come from the page's sketchpad"):
        next(lab.lab(dataset="drawn", drawing={"composite": {"path": "/etc/hostname"}}))


def test_each_preset_sets_the_controls_to_settings_that_train(lab):
    from playground import lab_tab
    from playground.presets import PRESETS

    for name in PRESETS:
        *values, look = lab_tab.preset_values(name)
        settings = dict(zip(lab_tab.PRESET_CONTROLS, values))
        assert name in look and settings["dataset"] in lab.DATASETS
        assert 0 < settings.pop("seconds") <= lab_tab.lab_seconds()
        kwargs = {k: v for k, v in settings.items() if not isinstance(v, dict)}  # a dict: the control keeps its value
        if kwargs["dataset"] != "mnist":  # a 2-D preset trains here without MNIST
            *_, last = lab.lab(**kwargs, seconds=1, request=Request(f"preset-{name}"))
            assert "Gaussians covered" in last[0]


def test_the_mlp_takes_the_lab_recipe_where_the_page_leaves_0_and_keeps_what_it_sets(lab):
    args = dict(arch="mlp", loss="ns", d_steps=1, ema=True, spectral_norm=False, conditional=False, seed=0)
    left = lab.settings_of(**args, lr_g=0, lr_d=None, batch_size=0, dataset="mnist")
    assert {k: left[k] for k in ("lr_g", "lr_d", "batch_size")} == lab.LAB_RECIPES["mlp"]
    chosen = lab.settings_of(**args, lr_g=2e-4, lr_d=0, batch_size=32, dataset="mnist")
    assert (chosen["lr_g"], chosen["lr_d"], chosen["batch_size"]) == (2e-4, lab.LAB_RECIPES["mlp"]["lr_d"], 32)
    assert lab.settings_of(**{**args, "arch": "dcgan"}, lr_g=0, lr_d=0, batch_size=0, dataset="mnist")["lr_g"] is None
    assert lab.settings_of(**args, lr_g=0, lr_d=0, batch_size=0, dataset="ring")["batch_size"] is None
