"""`python -m training.run`: its settings, and one-sentence errors instead of tracebacks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gan_models import list_models
from training.config import TrainConfig
from training.run import main as run_main, parse_args

ROOT = Path(__file__).resolve().parents[1]


def test_cli_errors_are_one_sentence_not_a_traceback(tmp_path, mnist_dir):
    # An unreachable proxy makes the MNIST download fail on a machine with a network too.
    offline = {**os.environ, "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "training.run", *args], cwd=ROOT, env=offline,
                              capture_output=True, text=True, timeout=120)

    unknown = cli("--arch", "dcgn")
    assert unknown.returncode == 2 and "invalid choice: 'dcgn'" in unknown.stderr
    assert all(name in unknown.stderr for name in list_models())
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = cli("--data-dir", str(empty), "--steps", "1", "--out", str(tmp_path / "r"))
    assert missing.returncode == 1 and "Put the four uncompressed IDX files there" in missing.stderr
    no_codes = cli("--arch", "mlp", "--codes", "10")
    assert no_codes.returncode == 2 and "'mlp' has no latent codes; architectures with them: dcgan" in no_codes.stderr
    no_width = cli("--arch", "mlp", "--width", "32")
    assert no_width.returncode == 2 and "'mlp' has no width setting; architectures with one: dcgan" in no_width.stderr
    a_file = tmp_path / "a-file"
    a_file.touch()
    not_a_folder = cli("--arch", "mlp", "--data-dir", str(mnist_dir), "--steps", "1", "--out", str(a_file))
    assert not_a_folder.returncode == 1 and "choose another --out" in not_a_folder.stderr
    for result in (unknown, missing, no_codes, no_width, not_a_folder):
        assert "Traceback" not in result.stderr


def test_architecture_recipe_fills_only_what_the_command_leaves_out():
    dcgan = TrainConfig(arch="dcgan")
    assert (dcgan.loss, dcgan.spectral_norm, dcgan.ema, dcgan.lr_decay, dcgan.top_k) == ("hinge", True, True, 0.0, 1.0)
    mlp = TrainConfig(arch="mlp")
    assert (mlp.loss, mlp.spectral_norm) == ("ns", False)
    explicit = TrainConfig(arch="dcgan", loss="ns", spectral_norm=False)
    assert (explicit.loss, explicit.spectral_norm) == ("ns", False)
    assert parse_args(["--arch", "dcgan", "--no-spectral-norm"]).spectral_norm is False
    assert parse_args(["--arch", "dcgan"]).spectral_norm is True
    assert (mlp.betas, TrainConfig(loss="wgan-gp").betas) == ((0.5, 0.999), (0.0, 0.9))
    assert parse_args(["--betas", "0", "0.9"]).betas == (0.0, 0.9)


def test_data_dir_help_names_the_folder_used_without_the_flag(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "1000")  # argparse would wrap the path at its hyphens
    from training.run import build_parser

    assert f"(default: {tmp_path / 'cache' / 'digitgan' / 'data'}," in build_parser().format_help()


def test_batch_size_default_follows_the_device_and_the_card_command_names_it(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("training.defaults.native_bf16", lambda device: False)
    assert TrainConfig(device="auto").batch_size == TrainConfig(device="cpu").batch_size == 16
    monkeypatch.setattr("training.defaults.native_bf16", lambda device: True)
    assert TrainConfig(device="auto").batch_size == TrainConfig(device="cpu").batch_size == 32
    assert TrainConfig(device="cuda").batch_size == 128
    assert TrainConfig(device="cpu", batch_size=256).batch_size == 256
    default = parse_args(["--arch", "dcgan", "--steps", "5"])
    assert default.batch_size == 32 and default.command.endswith("--steps 5 --batch-size 32 --width 64")
    given = parse_args(["--arch", "dcgan", "--batch-size", "64"])
    assert given.batch_size == 64 and given.command.count("--batch-size") == 1


def test_width_default_follows_the_device_and_the_learning_rate_follows_the_width(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("training.defaults.native_bf16", lambda device: False)
    slim = TrainConfig(arch="dcgan", device="cpu")
    assert (slim.width, slim.lr) == (32, 4e-4)
    assert parse_args(["--steps", "5"]).command.endswith("--batch-size 16 --width 32")
    assert TrainConfig(arch="mlp", device="cpu").width is None  # an architecture without a width
    monkeypatch.setattr("training.defaults.native_bf16", lambda device: True)
    assert (TrainConfig(arch="dcgan", device="cpu").width, TrainConfig(arch="dcgan", device="cuda").width) == (64, 64)
    assert TrainConfig(arch="dcgan", width=128, device="cuda").lr == pytest.approx(1e-4)  # batch 128
    assert TrainConfig(arch="dcgan", width=32, batch_size=512, device="cuda").lr == pytest.approx(2e-4 * 2 * 2)
    assert TrainConfig(arch="dcgan", width=32, lr=1e-4).lr == 1e-4
    assert parse_args(["--arch", "mlp", "--steps", "5"]).command.endswith("--batch-size 32")


def test_the_card_command_of_a_torchrun_run_names_its_processes(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert parse_args(["--steps", "5", "--batch-size", "16", "--width", "64"]).command == (
        "torchrun --standalone --nproc_per_node=2 -m training.run --steps 5 --batch-size 16 --width 64")
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert parse_args(["--steps", "5"]).command.startswith("torchrun --nnodes=4 --nproc_per_node=2 -m training.run")


@pytest.mark.parametrize("args,message", [
    (["--epochs", "0"], "--epochs must be a number above 0"),
    (["--time-limit", "0"], "--time-limit must be a number above 0"),
    (["--lr", "-1"], "--lr must be a number above 0"), (["--lr", "inf"], "--lr must be a number above 0"),
    (["--seed", str(2**32)], "--seed must be a whole number from 0 to 4,294,967,295"),
    (["--latent-dim", "0"], "--latent-dim must be at least 1"),
    (["--ema-decay", "1"], "--ema-decay must be at least 0 and below 1"),
    (["--batch-size", "70000"], "more than MNIST's 60,000 training digits"),
    (["--betas", "0.5", "1"], "each at least 0 and below 1; got (0.5, 1.0)"),
    (["--codes", "1"], "0 (none) or from 2 to latent_dim (100); got 1"),
    (["--continuous-codes", "2", "--late-codes", "3"], "--late-codes are some of the continuous codes: 0 to 2; got 3"),
    (["--width", "0"], "--width must be at least 1"),
    (["--device", "gpu"], "unknown device 'gpu'"), (["--resume"], "--resume continues the run in --out"),
])
def test_cli_refuses_bad_values_in_a_sentence(args, message, capsys):
    with pytest.raises(SystemExit) as exit:
        parse_args(args)
    assert exit.value.code == 2 and message in capsys.readouterr().err


def test_the_python_api_checks_settings_as_the_command_line_does():
    for settings, message in [({"steps": 0}, "steps must be at least 1"), ({"code_weight": float("nan")}, "above 0"),
                              ({"conditional": True, "dataset": "stacked-mnist"}, "with the mnist dataset only"),
                              ({"dataset": "stacked_mnist"}, "dataset must be one of mnist, stacked-mnist"),
                              ({"precision": "fp16"}, "precision must be one of auto, fp32, bf16"),
                              ({"loss": "foo"}, "loss must be one of ns, minimax, hinge, wgan-gp"),
                              ({"gp_weight": -1.0}, "gp_weight must be a number, 0 or more"),
                              ({"steps": 2.5}, "steps must be a whole number"),
                              ({"arch": "dcgn"}, "known architectures: dcgan, mlp")]:
        with pytest.raises(ValueError, match=message):
            TrainConfig(**settings)


def test_a_recipe_sets_only_what_a_command_may_leave_out(monkeypatch):
    from gan_models import registry

    factory = registry._MODELS["mlp"]
    monkeypatch.setitem(registry._MODELS, "mlp_recipe", factory)
    monkeypatch.setitem(registry._RECIPES, "mlp_recipe", {"batch_size": 64, "lr": 1e-3})
    cfg = parse_args(["--arch", "mlp_recipe"])
    assert (cfg.batch_size, cfg.lr) == (64, 1e-3) and "--batch-size 64" in cfg.command
    monkeypatch.setitem(registry._RECIPES, "mlp_recipe", {"ema_decay": 0.99})  # a setting with a value of its own
    with pytest.raises(ValueError, match="the 'mlp_recipe' recipe names 'ema_decay'; a recipe can set loss, "):
        TrainConfig(arch="mlp_recipe")


def test_an_interrupted_run_says_how_to_go_on(tmp_path, mnist_dir, monkeypatch, capsys):
    def interrupted(cfg):
        raise KeyboardInterrupt
    monkeypatch.setattr("training.run.train", interrupted)
    out = tmp_path / "run"
    assert run_main(["--arch", "mlp", "--steps", "3", "--out", str(out)]) == 130
    assert "before the first checkpoint: rerun the same command" in capsys.readouterr().err
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / "last.pt").write_bytes(b"")
    assert run_main(["--arch", "mlp", "--steps", "3", "--out", str(out)]) == 130
    assert f"the same command plus --out {out} --resume" in capsys.readouterr().err
