"""The sampling CLI and Hub loading through an offline Hugging Face cache."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_models import create_model, save_generator
from gan_models.sample import main as sample_main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    torch.manual_seed(0)
    out = {}
    for name, kwargs in {"plain": {}, "cond": {"num_classes": 10}, "rgb": {"channels": 3}}.items():
        out[name] = save_generator(create_model("dcgan", width=8, **kwargs).generator.eval(),
                                   tmp_path_factory.mktemp(name))
    return out


def test_npy_is_uint8_and_seeded(models, tmp_path):
    for seed, name in [(0, "a.npy"), (0, "b.npy"), (1, "c.npy")]:
        assert sample_main(["--model", str(models["plain"]), "--n", "20", "--seed", str(seed),
                            "--out", str(tmp_path / name)]) == 0
    a, b, c = (np.load(tmp_path / n) for n in ["a.npy", "b.npy", "c.npy"])
    assert a.shape == (20, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_three_channel_npy_and_png_grid(models, tmp_path):
    assert sample_main(["--model", str(models["rgb"]), "--n", "6", "--out", str(tmp_path / "x.npy")]) == 0
    assert np.load(tmp_path / "x.npy").shape == (6, 3, 28, 28)
    assert sample_main(["--model", str(models["cond"]), "--n", "16", "--label", "7",
                        "--out", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_requests_give_one_line_errors(models, tmp_path, capsys):
    assert sample_main(["--model", str(models["plain"]), "--label", "3", "--out", str(tmp_path / "x.npy")]) == 1
    assert "unconditional" in capsys.readouterr().err
    assert sample_main(["--model", str(tmp_path / "missing"), "--out", str(tmp_path / "x.npy")]) == 1
    assert "neither a folder nor a Hub repo id" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sample_main(["--model", str(models["plain"]), "--device", "gpu", "--out", str(tmp_path / "x.npy")])
    assert "unknown device 'gpu': use cpu, cuda, cuda:N or mps" in capsys.readouterr().err
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "a-file").touch()
    for out in (tmp_path / "folder.png", tmp_path / "a-file" / "x.png"):
        assert sample_main(["--model", str(models["plain"]), "--out", str(out)]) == 1
        assert f"cannot write --out {out}" in capsys.readouterr().err
    for seed in ("-1", str(2**32), "99999999999999999999"):
        assert sample_main(["--model", str(models["plain"]), "--seed", seed, "--out", str(tmp_path / "x.npy")]) == 1
        assert "seed must be a whole number from 0 to 4,294,967,295" in capsys.readouterr().err
    assert sample_main(["--model", str(models["plain"]), "--truncation", "nan", "--out", str(tmp_path / "x.npy")]) == 1
    assert "truncation must be positive" in capsys.readouterr().err


def test_a_missing_out_folder_is_named_not_made(models, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "x.png"
    assert sample_main(["--model", str(models["plain"]), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: the folder {out.parent} of --out does not exist") and err.count("\n") == 1
    assert not (tmp_path / "no").exists()


def _fake_hub_cache(cache: Path, repo_id: str, model_dir: Path, commit: str, ref: str) -> None:
    """The Hugging Face cache layout: models--owner--name/{refs/<ref>, snapshots/<commit>/...}."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for f in model_dir.iterdir():
        (snapshot / f.name).write_bytes(f.read_bytes())
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / ref).write_text(commit)


def test_hub_ids_load_from_an_offline_cache(models, tmp_path):
    cache = tmp_path / "hub"
    _fake_hub_cache(cache, "digitgan/plain", models["plain"], "a" * 40, "main")
    _fake_hub_cache(cache, "digitgan/cond", models["cond"], "b" * 40, "v1")
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}

    def sample(model: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gan_models.sample", "--model", model, "--n", "4",
                               "--out", str(tmp_path / "x.npy"), *extra],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert sample("digitgan/plain").returncode == 0
    local = np.load(tmp_path / "x.npy")
    sample_main(["--model", str(models["plain"]), "--n", "4", "--out", str(tmp_path / "y.npy")])
    assert np.array_equal(local, np.load(tmp_path / "y.npy"))
    assert sample("digitgan/cond@v1", "--label", "2").returncode == 0
    assert sample(f"digitgan/plain@{'a' * 40}").returncode == 0
    missing = sample("digitgan/cond@v2")
    assert missing.returncode == 1 and "could not fetch 'digitgan/cond@v2'" in missing.stderr
    assert "Traceback" not in missing.stderr
