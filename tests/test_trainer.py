"""The Trainer as a library: stepping, fixed samples, save/load, export, and the plugins it reads."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import whole_and_resumed
from gan_models import create_model, load_generator, register_model
from training import TrainConfig, Trainer
from training import losses
from training.flags import add_settings
from training.config import settings
from training.run import build_parser, main as run_main, parse_args

ROOT = Path(__file__).resolve().parents[1]


def small(tmp_path: Path, data: Path, **kwargs) -> TrainConfig:
    base = dict(arch="mlp", steps=6, batch_size=16, data_dir=str(data), out=str(tmp_path / "run"), device="cpu")
    return TrainConfig(**{**base, **kwargs})


def test_step_returns_the_step_s_numbers_as_floats(tmp_path, mnist_dir):
    trainer = Trainer(small(tmp_path, mnist_dir, arch="dcgan", width=8, codes=10))
    numbers = trainer.step()
    assert {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "code_loss"} <= numbers.keys()
    assert all(type(v) is float and np.isfinite(v) for v in numbers.values())
    assert 0 < numbers["d_real"] < 1 and numbers["g_grad_norm"] > 0 and trainer.step_count == 1
    assert "code_loss" not in Trainer(small(tmp_path, mnist_dir)).step()


def test_samples_come_from_one_fixed_noise_batch(tmp_path, mnist_dir):
    trainer = Trainer(small(tmp_path, mnist_dir, ema=False))
    first = trainer.samples()
    assert first.dtype == np.uint8 and first.shape == (8 * 30 + 2, 8 * 30 + 2)
    assert np.array_equal(first, trainer.samples())  # the same z, and sampling leaves G in training mode
    assert trainer.G.training
    trainer.step()
    assert not np.array_equal(first, trainer.samples())  # the same digits, a step further


def test_save_and_load_continue_exactly(tmp_path, mnist_dir):
    whole, resumed = whole_and_resumed(lambda: Trainer(small(tmp_path, mnist_dir)), Trainer.load, tmp_path / "ckpt.pt")
    for a, b in zip(whole.G.state_dict().values(), resumed.G.state_dict().values()):
        assert torch.equal(a, b)


def test_export_writes_a_model_load_generator_loads(tmp_path, mnist_dir):
    trainer = Trainer(small(tmp_path, mnist_dir))
    trainer.step()
    folder = trainer.export(tmp_path / "model")
    assert {"model.safetensors", "config.json", "README.md", "samples.png"} <= {p.name for p in folder.iterdir()}
    generator = load_generator(folder)
    assert generator(torch.randn(2, 100)).shape == (2, 1, 28, 28)
    trainer.step()  # training goes on after an export


def test_the_readme_python_snippets_run(tmp_path, mnist_dir, app_url):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert any("Trainer" in block for block in blocks)
    blocks = [block.replace("http://127.0.0.1:7860/", app_url.rstrip("/") + "/") for block in blocks]
    (tmp_path / "pretrained").symlink_to(ROOT / "pretrained")
    for block in blocks:
        env = {**os.environ, "DIGITGAN_DATA_DIR": str(mnist_dir), "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
        done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]


def test_lsgan_is_one_registry_entry_the_cli_trains_with(tmp_path, mnist_dir, capsys):
    help_text = build_parser().format_help()
    assert "lsgan" in help_text and "--tracker" in help_text
    args = ["--arch", "dcgan", "--width", "8", "--loss", "lsgan", "--steps", "3", "--data-dir", str(mnist_dir),
            "--out", str(tmp_path / "run")]
    assert run_main(args) == 0
    assert "loss: lsgan" in (tmp_path / "run" / "model" / "README.md").read_text()


def test_a_loss_registered_elsewhere_needs_no_other_edit(tmp_path, mnist_dir, monkeypatch):
    entry = losses.Loss("test-ls", losses.get_loss("lsgan").d, losses.get_loss("lsgan").g, "a test loss",
                        betas=(0.1, 0.9), d_steps=2, lr=3e-4)
    monkeypatch.setitem(losses._LOSSES, entry.name, entry)
    cfg = parse_args(["--arch", "mlp", "--loss", "test-ls", "--batch-size", "128"])
    assert (cfg.betas, cfg.d_steps, cfg.lr) == ((0.1, 0.9), 2, 3e-4)
    Trainer(small(tmp_path, mnist_dir, loss="test-ls")).step()


def test_every_setting_has_one_flag_with_a_short_help():
    flags = {a.dest: a for a in build_parser()._actions}
    for f in settings():
        if f.metadata["flag"] is None:
            continue
        assert f.name in flags, f.name
        assert len(flags[f.name].help) < 200, f.name  # two lines of --help at most
    import argparse
    p = argparse.ArgumentParser()
    add_settings(p, ["time_limit"], renamed={"time_limit": "--budget"}, defaults={"time_limit": 30.0})
    assert p.parse_args([]).time_limit == 30.0 and p.parse_args(["--budget", "5"]).time_limit == 5.0


def test_tensorboard_tracker_writes_events_and_says_how_to_install(tmp_path, mnist_dir, monkeypatch, capsys):
    pytest.importorskip("tensorboard")
    args = ["--arch", "mlp", "--steps", "4", "--log-every", "2", "--sample-every", "2", "--data-dir",
            str(mnist_dir), "--tracker", "tensorboard"]
    assert run_main(args + ["--out", str(tmp_path / "run")]) == 0
    assert list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as where tensorboard is not installed
    assert run_main(args + ["--out", str(tmp_path / "other")]) == 1
    err = capsys.readouterr().err
    assert "pip install -e '.[tracking]'" in err and "Traceback" not in err


def test_resuming_with_another_arch_names_the_mismatch(tmp_path, mnist_dir, capsys):
    args = ["--steps", "2", "--width", "8", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "run")]
    assert run_main(["--arch", "dcgan", *args, "--checkpoint-every", "1"]) == 0
    capsys.readouterr()
    assert run_main(["--arch", "mlp", "--out", str(tmp_path / "run"), "--resume"]) == 1
    err = capsys.readouterr().err
    assert "error: cannot resume with different settings (arch: checkpoint 'dcgan' vs now 'mlp')" in err
    assert "no width setting" not in err and "Traceback" not in err


def test_a_checkpoint_is_written_every_checkpoint_seconds_too(tmp_path, mnist_dir, monkeypatch):
    saved = []
    real_save = Trainer.save
    monkeypatch.setattr(Trainer, "save", lambda self, path: saved.append(self.step_count) or real_save(self, path))
    run = small(tmp_path, mnist_dir, steps=8, log_every=2, checkpoint_every=10**6, checkpoint_seconds=1e-9)
    from training.train import train
    train(run)
    assert saved == [1, 2, 3, 4, 5, 6, 7, 8]  # at each step, its time being up (one process reads the clock each step)
    assert "--checkpoint-seconds" in build_parser().format_help()


def test_an_architecture_must_keep_the_contract(monkeypatch):
    from gan_models import registry

    def broken(latent_dim: int = 100, num_classes: int = 0, channels: int = 1):
        return registry.GANPair(torch.nn.Linear(1, 1), torch.nn.Linear(1, 1))

    monkeypatch.setitem(registry._MODELS, "broken", broken)
    monkeypatch.setitem(registry._RECIPES, "broken", {})
    with pytest.raises(TypeError, match="gan_models.contract.Generator and Discriminator"):
        create_model("broken")
    assert register_model  # the decorator architectures use


def test_no_import_cycle_among_the_training_modules():
    import ast

    graph = {}
    for path in (ROOT / "training").glob("*.py"):
        tree = ast.parse(path.read_text())
        graph[path.stem] = {node.module.split(".")[0] for node in tree.body  # module level only
                            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}

    def reaches(start, target, seen=()):
        return any(n == target or (n not in seen and reaches(n, target, (*seen, n))) for n in graph.get(start, ()))

    assert not [m for m in graph if reaches(m, m)]


def test_lr_g_and_lr_d_reach_their_optimisers_and_decay_from_their_own_base(tmp_path, mnist_dir):
    shared = Trainer(small(tmp_path, mnist_dir, lr=3e-4))
    assert [g["lr"] for g in shared.opt_g.param_groups + shared.opt_d.param_groups] == [3e-4, 3e-4]
    apart = Trainer(small(tmp_path, mnist_dir, lr=3e-4, lr_g=1e-4, lr_d=4e-4, steps=4, lr_decay=1.0))
    assert (apart.opt_g.param_groups[0]["lr"], apart.opt_d.param_groups[0]["lr"]) == (1e-4, 4e-4)
    for _ in range(3):  # the third step sets its rates half-way through a run that decays over all of it
        apart.step()
    assert apart.opt_g.param_groups[0]["lr"] == pytest.approx(0.5e-4)
    assert apart.opt_d.param_groups[0]["lr"] == pytest.approx(2e-4)
    assert "--lr-g" in build_parser().format_help() and "lr G 0.0001 D 0.0004" in apart.describe()


def test_a_checkpoint_from_before_lr_g_and_lr_d_resumes_at_its_shared_rate(tmp_path, mnist_dir):
    trainer = Trainer(small(tmp_path, mnist_dir, lr=3e-4))
    trainer.step()
    state = trainer.state_dict()
    for key in ("lr_g", "lr_d"):
        del state["config"][key]
    torch.save(state, tmp_path / "old.pt")
    assert Trainer.load(tmp_path / "old.pt").opt_d.param_groups[0]["lr"] == 3e-4
    trainer.save(tmp_path / "new.pt")
    from training.checkpoint import CheckpointMismatch
    with pytest.raises(CheckpointMismatch, match="lr_d: checkpoint 0.0003 vs now 0.001"):
        Trainer.load(tmp_path / "new.pt", lr_d=1e-3)


def test_loading_with_another_arch_names_the_mismatch(tmp_path, mnist_dir):
    from training.checkpoint import CheckpointMismatch

    trainer = Trainer(small(tmp_path, mnist_dir, arch="dcgan", width=8, steps=1))
    trainer.step()
    trainer.save(tmp_path / "last.pt")
    with pytest.raises(CheckpointMismatch, match=r"arch: checkpoint 'dcgan' vs now 'mlp'"):
        Trainer.load(tmp_path / "last.pt", arch="mlp")
