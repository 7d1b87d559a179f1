"""Translators trained by the shared run: a smoke run through `python -m training.run`, exact resume,
the cycle and identity weights as settings, the model family picking its trainer and dataset, and the
translation scores."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from conftest import whole_and_resumed
from gan_models import load_translator, read_card
from training import TrainConfig
from training.checkpoint import CheckpointMismatch
from training.run import build_parser, main as run_main, parse_args
from training.train import make_trainer
from training.translation import TranslationTrainer


def small(tmp_path, data, **kwargs) -> TrainConfig:
    base = dict(arch="cyclegan", dataset="mnist-colour", steps=4, batch_size=4, width=8, data_dir=str(data),
                out=str(tmp_path / "run"), device="cpu")
    return TrainConfig(**{**base, **kwargs})


def test_a_translator_run_leaves_what_a_gan_run_does(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    args = ["--arch", "cyclegan", "--dataset", "mnist-colour", "--steps", "3", "--batch-size", "4", "--width", "8",
            "--log-every", "1", "--sample-every", "2", "--identity-weight", "0.5", "--data-dir", str(mnist_dir),
            "--out", str(out)]
    assert run_main(args) == 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "cycle_loss", "identity_loss", "adversarial_loss"} <= records[0].keys()
    assert (out / "samples" / "step_000002.png").is_file() and (out / "losses.png").is_file()
    assert (out / "checkpoints" / "last.pt").is_file()
    translator = load_translator(out)  # the run folder's model/
    assert translator.channels_a == 1 and translator.channels_b == 3
    card = read_card(out).data
    assert card.cycle_weight == 10.0 and card.identity_weight == 0.5 and card.dataset == "mnist-colour"
    assert "--identity-weight 0.5" in card.training_command
    assert "exported" in capsys.readouterr().out


def test_the_family_picks_the_trainer_and_the_dataset(tmp_path, mnist_dir, capsys):
    assert isinstance(make_trainer(small(tmp_path, mnist_dir)), TranslationTrainer)
    assert type(make_trainer(small(tmp_path, mnist_dir, arch="mlp", dataset="mnist", width=None))).__name__ == "Trainer"
    for args, wanted in ((["--arch", "cyclegan"], "--dataset 'mnist' does not suit architecture 'cyclegan', a "
                                                  "translator: train it on mnist-colour"),
                         (["--arch", "dcgan", "--dataset", "mnist-colour"], "train it on mnist, stacked-mnist"),
                         (["--arch", "cyclegan", "--dataset", "mnist-colour", "--cycle-weight", "-1"],
                          "--cycle-weight must be a number, 0 or more")):
        with pytest.raises(SystemExit):
            parse_args(args + ["--data-dir", str(mnist_dir)])
        assert wanted in capsys.readouterr().err
    help_text = build_parser().format_help()
    assert "--cycle-weight" in help_text and "--identity-weight" in help_text and "cyclegan" in help_text


def test_save_and_load_continue_exactly(tmp_path, mnist_dir):
    whole, resumed = whole_and_resumed(lambda: make_trainer(small(tmp_path, mnist_dir)), TranslationTrainer.load,
                                       tmp_path / "ckpt.pt")
    for model in ("G", "D", "ema"):
        a, b = getattr(whole, model).state_dict(), getattr(resumed, model).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), model


def test_a_resume_keeps_the_cycle_weight_and_refuses_another(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    args = ["--arch", "cyclegan", "--dataset", "mnist-colour", "--batch-size", "4", "--width", "8", "--data-dir",
            str(mnist_dir), "--out", str(out), "--checkpoint-every", "1"]
    assert run_main(args + ["--steps", "2", "--cycle-weight", "0"]) == 0
    assert parse_args(["--out", str(out), "--resume", "--steps", "3"]).cycle_weight == 0
    assert run_main(["--out", str(out), "--resume", "--steps", "3"]) == 0
    assert torch.load(out / "checkpoints" / "last.pt", weights_only=True)["step"] == 3
    capsys.readouterr()
    assert run_main(["--out", str(out), "--resume", "--steps", "4", "--cycle-weight", "5"]) == 1
    assert "cycle_weight: checkpoint 0.0 vs now 5.0" in capsys.readouterr().err
    with pytest.raises(CheckpointMismatch, match="identity_weight"):
        TranslationTrainer.load(out / "checkpoints" / "last.pt", identity_weight=1.0)


def test_the_export_holds_the_ema_of_both_directions(tmp_path, mnist_dir):
    trainer = make_trainer(small(tmp_path, mnist_dir, steps=2))
    trainer.step()
    folder = trainer.export(tmp_path / "model")
    weights = load_file(folder / "model.safetensors")
    assert all(torch.equal(weights[k], v) for k, v in trainer.ema.state_dict().items())
    assert trainer.samples().shape == (6 * 30 + 2, 10 * 30 + 2, 3)


def test_translation_scores_read_real_digits_as_near_perfect(mnist_dir):
    from gan_models import create_translator
    from training.colour import load_domains
    from training.translation_metrics import real_scores, translation_scores

    domains = load_domains(mnist_dir)
    real = real_scores(domains, n=500)
    assert real["shape_kept"] > 0.95 and real["round_trip"] > 0.97
    torch.manual_seed(0)
    untrained = create_translator("cyclegan", width=8).translator.eval()
    scores = translation_scores(untrained, domains, n=100)
    assert scores["n"] == 100 and 0 <= scores["shape_kept"] <= 1 and 0 <= scores["round_trip_error"] <= 1
    assert np.isfinite(scores["fd_b"]) and scores["fd_b"] > real["fd_b"]
