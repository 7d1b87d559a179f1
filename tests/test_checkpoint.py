"""Checkpoints and resuming: identical weights after SIGKILL, and every way a resume can go wrong."""

import json
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from gan_models import read_card
from training.checkpoint import CheckpointMismatch, checkpoint_path
from training.config import TrainConfig
from training.run import main as run_main, parse_args
from training.train import train

ROOT = Path(__file__).resolve().parents[1]


def config(tmp_path: Path, data: Path, **kwargs) -> TrainConfig:
    base = dict(steps=6, batch_size=16, log_every=2, sample_every=3, checkpoint_every=3,
                data_dir=str(data), out=str(tmp_path / "run"))
    return TrainConfig(**{**base, **kwargs})


def test_sigkilled_run_resumes_to_identical_weights(tmp_path, mnist_dir):
    # Every part runs in a fresh process, as a user would run it: thread settings left behind in
    # this process by other tests would change float rounding, not what resuming does.
    args = [sys.executable, "-m", "training.run", "--arch", "dcgan", "--ema", "--steps", "40", "--batch-size", "16",
            "--checkpoint-every", "10", "--sample-every", "20", "--log-every", "5", "--data-dir", str(mnist_dir),
            "--device", "cpu"]
    subprocess.run(args + ["--out", str(tmp_path / "whole")], cwd=ROOT, check=True, capture_output=True, timeout=300)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(args + ["--out", str(killed)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ckpt = killed / "checkpoints" / "last.pt"
    deadline = time.monotonic() + 120
    while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ckpt.exists() and not (killed / "model").exists(), "the run must be killed mid-way"
    assert torch.load(ckpt, weights_only=True)["step"] < 40

    subprocess.run(args + ["--out", str(killed), "--resume"], cwd=ROOT, check=True, capture_output=True, timeout=300)
    a, b = load_file(tmp_path / "whole" / "model" / "model.safetensors"), load_file(killed / "model" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    whole = torch.load(tmp_path / "whole" / "checkpoints" / "last.pt", weights_only=True)
    resumed = torch.load(ckpt, weights_only=True)
    for part in ("generator", "discriminator"):
        assert all(torch.equal(whole[part][k], resumed[part][k]) for k in whole[part])
    steps = [json.loads(line)["step"] for line in (killed / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(5, 41, 5))


def test_existing_run_and_mismatched_resume_are_refused(tmp_path, mnist_dir, capsys):
    args = ["--arch", "mlp", "--steps", "3", "--batch-size", "16", "--data-dir", str(mnist_dir),
            "--out", str(tmp_path / "run")]
    assert run_main(args) == 0
    assert run_main(args) == 1
    assert "already holds a run: pass --resume" in capsys.readouterr().err
    assert run_main(args + ["--resume", "--loss", "hinge"]) == 1
    assert "loss: checkpoint 'ns' vs now 'hinge'" in capsys.readouterr().err
    assert run_main(["--steps", "3", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "new"), "--resume"]) == 1
    assert "no checkpoint" in capsys.readouterr().err


def test_unreadable_checkpoint_is_refused_in_a_sentence(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    args = ["--arch", "mlp", "--steps", "3", "--data-dir", str(mnist_dir), "--out", str(out), "--resume"]
    for content in (b"", b"not a checkpoint", b"PK\x03\x04 truncated zip"):
        (out / "checkpoints" / "last.pt").write_bytes(content)
        assert run_main(args) == 1
        err = capsys.readouterr().err
        assert "cannot be read as a checkpoint" in err and "weights_only" not in err  # no advice to unpickle it
    torch.save({"step": 3}, out / "checkpoints" / "last.pt")  # a dict, but not one this code wrote
    assert run_main(args) == 1
    assert "cannot be read as a checkpoint" in capsys.readouterr().err
    # Said before the data loads: its settings, --data-dir among them, cannot be read from it either.
    assert run_main(["--out", str(out), "--resume"]) == 1
    err = capsys.readouterr().err
    assert "cannot be read as a checkpoint" in err and "MNIST" not in err


def test_a_new_run_leaves_a_finished_run_s_model_alone(tmp_path, mnist_dir, capsys):
    args = ["--arch", "mlp", "--steps", "2", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "run")]
    assert run_main(args) == 0
    shutil.rmtree(tmp_path / "run" / "checkpoints")  # kept to save space: the exported model is the run
    weights = (tmp_path / "run" / "model" / "model.safetensors").read_bytes()
    assert run_main(args) == 1
    assert "already holds an exported model" in capsys.readouterr().err
    assert (tmp_path / "run" / "model" / "model.safetensors").read_bytes() == weights


def test_a_record_cut_short_by_a_kill_does_not_stop_the_resume(tmp_path, mnist_dir):
    cfg = killed_at_step_3(tmp_path, mnist_dir)
    with (tmp_path / "run" / "metrics.jsonl").open("a") as f:
        f.write('{"step": 4, "d_lo')  # a kill while the record was appended
    train(cfg)
    steps = [json.loads(line)["step"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]


def killed_at_step_3(tmp_path: Path, mnist_dir: Path, **changes) -> TrainConfig:
    """A finished 6-step mlp run made to look killed after its step-3 checkpoint, with `changes` to
    that checkpoint; returns the config that resumes it."""
    cfg = config(tmp_path, mnist_dir, arch="mlp", time_limit=1000, command="python -m training.run --arch mlp")
    train(cfg)
    path = tmp_path / "run" / "checkpoints" / "last.pt"
    ckpt = torch.load(path, weights_only=True)
    torch.save({**ckpt, "step": 3, **changes}, path)
    for f in (tmp_path / "run" / "model").iterdir():
        f.unlink()
    (tmp_path / "run" / "model").rmdir()
    cfg.resume = True
    return cfg


def test_a_time_limit_counts_the_training_before_a_resume(tmp_path, mnist_dir):
    cfg = killed_at_step_3(tmp_path, mnist_dir, elapsed=1000.0)  # its time was up: killed while exporting
    model_dir = train(cfg)
    assert json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])["step"] <= 3
    assert "steps: 3" in (model_dir / "README.md").read_text()


def test_resume_takes_a_noise_state_saved_on_another_kind_of_device(tmp_path, mnist_dir):
    cuda_state = torch.zeros(16, dtype=torch.uint8)  # a CUDA generator's state; a CPU one's is 5,056 bytes
    model_dir = train(killed_at_step_3(tmp_path, mnist_dir, noise_rng=cuda_state))
    assert "steps: 6" in (model_dir / "README.md").read_text()
    assert read_card(model_dir).data.training_command == "python -m training.run --arch mlp"


def test_the_card_gives_each_part_of_a_run_resumed_with_other_settings(tmp_path, mnist_dir):
    cfg = killed_at_step_3(tmp_path, mnist_dir)
    cfg.steps, cfg.command = 8, "python -m training.run --arch mlp --steps 8"
    model_dir = train(cfg)
    assert read_card(model_dir).data.training_command == (
        "python -m training.run --arch mlp\npython -m training.run --arch mlp --steps 8 --resume  # from step 3")


def test_betas_reach_adam_and_a_resume_must_keep_them(tmp_path, mnist_dir):
    cfg = killed_at_step_3(tmp_path, mnist_dir)
    ckpt = torch.load(cfg.out + "/checkpoints/last.pt", weights_only=True)
    assert [g["betas"] for g in ckpt["opt_g"]["param_groups"]] == [(0.5, 0.999)]
    cfg.betas = (0.0, 0.9)
    with pytest.raises(CheckpointMismatch, match=r"betas: checkpoint \(0.5, 0.999\) vs now \(0.0, 0.9\)"):
        train(cfg)


def test_a_resume_keeps_the_model_width(tmp_path, mnist_dir, capsys):
    out = str(tmp_path / "run")
    assert run_main(["--width", "8", "--steps", "2", "--batch-size", "16", "--data-dir", str(mnist_dir),
                     "--out", out]) == 0
    assert parse_args(["--out", out, "--resume"]).width == 8  # left out: the checkpoint's
    ckpt = torch.load(checkpoint_path(out), weights_only=True)
    del ckpt["config"]["width"]  # a checkpoint from before the setting: its model's width
    torch.save(ckpt, checkpoint_path(out))
    assert parse_args(["--out", out, "--resume"]).width == 8
    assert run_main(["--out", out, "--resume", "--width", "16", "--steps", "4"]) == 1
    assert "width: checkpoint 8 vs now 16" in capsys.readouterr().err


def test_a_checkpoint_from_before_betas_resumes_with_their_default(tmp_path, mnist_dir):
    cfg = killed_at_step_3(tmp_path, mnist_dir)
    ckpt = torch.load(cfg.out + "/checkpoints/last.pt", weights_only=True)
    del ckpt["config"]["betas"]
    torch.save(ckpt, cfg.out + "/checkpoints/last.pt")
    assert "steps: 6" in (train(cfg) / "README.md").read_text()


def test_out_and_resume_alone_continue_a_run_with_its_own_settings(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    first = ["--arch", "mlp", "--steps", "4", "--lr", "4e-4", "--betas", "0", "0.9", "--batch-size", "16",
             "--checkpoint-every", "2", "--data-dir", str(mnist_dir), "--out", str(out)]
    assert run_main(first) == 0
    torch.save({**torch.load(checkpoint_path(out), weights_only=True), "step": 2}, checkpoint_path(out))
    shutil.rmtree(out / "model")  # as if killed after step 2
    assert run_main(["--out", str(out), "--resume"]) == 0
    card = read_card(out / "model").data
    assert card.steps == 4 and card.training_command == "python -m training.run " + shlex.join(first)
    # A length the command gives replaces the saved one.
    longer = parse_args(["--out", str(out), "--resume", "--epochs", "0.01"])
    assert (longer.arch, longer.lr, longer.betas, longer.steps, longer.epochs) == ("mlp", 4e-4, (0.0, 0.9), None, 0.01)
    assert run_main(["--out", str(out), "--resume", "--steps", "3"]) == 0
    assert "the checkpoint is at step 4, the run's 3 steps or past them" in capsys.readouterr().err


def test_a_resume_with_more_steps_trains_on_past_a_spent_time_limit(tmp_path, mnist_dir):
    out = tmp_path / "run"
    first = ["--arch", "mlp", "--steps", "2", "--time-limit", "1000", "--batch-size", "16", "--data-dir",
             str(mnist_dir), "--out", str(out)]
    assert run_main(first) == 0
    ckpt = torch.load(checkpoint_path(out), weights_only=True)
    torch.save({**ckpt, "elapsed": 1000.0}, checkpoint_path(out))  # its time is up
    resumed = parse_args(["--out", str(out), "--resume", "--steps", "4"])
    assert (resumed.steps, resumed.time_limit) == (4, None)
    assert run_main(["--out", str(out), "--resume", "--steps", "4"]) == 0
    assert read_card(out / "model").data.steps == 4
    more_time = parse_args(["--out", str(out), "--resume", "--time-limit", "2000"])  # the count stays
    assert (more_time.steps, more_time.time_limit) == (4, 2000)


def test_a_checkpoint_with_a_seed_above_today_s_range_still_resumes(tmp_path, mnist_dir):
    cfg = killed_at_step_3(tmp_path, mnist_dir)
    ckpt = torch.load(checkpoint_path(cfg.out), weights_only=True)
    torch.save({**ckpt, "config": {**ckpt["config"], "seed": 5_000_000_000}}, checkpoint_path(cfg.out))
    resumed = parse_args(["--out", cfg.out, "--resume"])
    assert resumed.seed == 5_000_000_000
    with pytest.raises(ValueError, match="seed must be a whole number"):
        TrainConfig(seed=5_000_000_000)  # a new run keeps to the range


def test_a_fresh_start_drops_the_metrics_of_a_run_killed_before_its_first_checkpoint(tmp_path, mnist_dir):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").write_text('{"step": 2, "d_loss": 99.0}\n{"step": 4, "d_loss": 99.0}\n')
    train(config(tmp_path, mnist_dir, arch="mlp"))
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4, 6] and all(r["d_loss"] != 99.0 for r in records)
