"""Shared fixtures: MNIST from $DIGITGAN_DATA_DIR or ../shared/data, tiny models for fast tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding MNIST/raw/: $DIGITGAN_DATA_DIR where it is set, else ../shared/data beside the
    checkout; in CI its absence is a failure, elsewhere a skip."""
    given = os.environ.get("DIGITGAN_DATA_DIR")
    folders = [Path(given), SHARED_DATA] if given else [SHARED_DATA]
    for folder in folders:
        if (folder / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
            return folder
    looked = " or ".join(str(f) for f in folders)
    message = f"MNIST not found in {looked}: set DIGITGAN_DATA_DIR to the folder holding MNIST/raw/"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# --- The app (app.py): tiny random-weight models and a running `python app.py` -------------------------

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # app.py sits at the top level, outside the installed packages
UNREACHABLE_REPO = "digitgan-tests/no-such-model"  # listed in DIGITGAN_MODELS while the Hub is offline


@pytest.fixture(scope="session")
def app_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pretrained/ folder of tiny random models: dcgan (with a card), cdcgan (conditional), stacked-dcgan (RGB)."""
    import gan_models

    folder = tmp_path_factory.mktemp("pretrained")
    card = {"loss": "hinge", "steps": 10, "training_command": "python -m training.run --arch dcgan",
            "training_time_s": 90.0, "quality": {"fd": 12.5}}
    gan_models.save_generator(gan_models.create_model("dcgan", width=8).generator, folder / "dcgan", card)
    gan_models.save_generator(gan_models.create_model("dcgan", num_classes=10, width=8).generator, folder / "cdcgan")
    gan_models.save_generator(gan_models.create_model("dcgan", channels=3, width=8).generator, folder / "stacked-dcgan")
    return folder


@pytest.fixture(scope="session")
def app_server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server of `app_url` writes its output."""
    return tmp_path_factory.mktemp("app") / "server.log"


@pytest.fixture(scope="session")
def app_url(app_models: Path, app_server_log: Path) -> Iterator[str]:
    """URL of `python app.py` on a free loopback port, serving `app_models` plus an unreachable Hub repo."""
    tmp, log = app_server_log.parent, app_server_log
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DIGITGAN_PRETRAINED_DIR": str(app_models), "DIGITGAN_MODELS": UNREACHABLE_REPO,
           "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp / "hf"), "GRADIO_TEMP_DIR": str(tmp / "gradio"),
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log.open("w"),
                              stderr=subprocess.STDOUT)
    url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 90
    try:
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"python app.py did not answer on {url}:\n{log.read_text()}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def stepped(trainer, steps: int):
    """`trainer` after `steps` more steps."""
    for _ in range(steps):
        trainer.step()
    return trainer


def whole_and_resumed(make, load, path: Path) -> tuple:
    """A run of 4 steps, and one saved after 2, loaded from `path` and stepped twice more: for exact-resume checks."""
    stepped(make(), 2).save(path)
    resumed = load(path)
    assert resumed.step_count == 2
    return stepped(make(), 4), stepped(resumed, 2)
