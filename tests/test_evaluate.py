import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gan_models import create_model, load_generator, save_generator
from training import evaluate
from training.data import DataNotFoundError
from training.evaluate import main, quick_metrics
from training.metrics import (class_histogram, count_modes, feature_stats, frechet_distance, inception_score,
                              kl_to_uniform, precision_recall)

REPO = Path(__file__).resolve().parents[1]
SINGLE_KEYS = {"fd", "is", "hist", "kl", "modes", "confidence", "precision", "recall"}


def gaussian(n: int, dim: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)) + shift


# Metric functions on cases with known answers.

def test_fd_of_identical_sets_is_zero():
    mu, cov = feature_stats(gaussian(500, 16, 0))
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-6)


def test_fd_of_shifted_set_is_squared_shift():
    x = gaussian(500, 16, 0)
    shift = torch.arange(16.0) / 4
    assert frechet_distance(*feature_stats(x), *feature_stats(x + shift)) == pytest.approx(shift.square().sum().item())


def test_fd_of_diagonal_gaussians():
    # Σ (√a − √b)² over the diagonal: (1 − 2)² + (2 − 1)².
    zero = torch.zeros(2)
    assert frechet_distance(zero, torch.diag(torch.tensor([1.0, 4.0])),
                            zero, torch.diag(torch.tensor([4.0, 1.0]))) == pytest.approx(2.0)


def test_one_class_has_kl_ln10_and_one_mode():
    hist = class_histogram(torch.full((100,), 3), 10)
    assert kl_to_uniform(hist) == pytest.approx(math.log(10))
    assert count_modes(hist) == 1


def test_uniform_classes_have_zero_kl_and_ten_modes():
    hist = class_histogram(torch.arange(1000) % 10, 10)
    assert kl_to_uniform(hist) == pytest.approx(0.0, abs=1e-12)
    assert count_modes(hist) == 10


def test_modes_ignore_classes_under_one_percent():
    labels = torch.cat([torch.zeros(996, dtype=torch.long), torch.ones(4, dtype=torch.long)])
    assert count_modes(class_histogram(labels, 10)) == 1


def test_inception_score_bounds():
    confident_uniform = torch.eye(10).repeat(10, 1)
    assert inception_score(confident_uniform) == pytest.approx(10.0, rel=1e-6)
    assert inception_score(torch.full((50, 10), 0.1)) == pytest.approx(1.0)


def test_precision_recall_disjoint_clusters_are_zero():
    assert precision_recall(gaussian(500, 8, 0), gaussian(500, 8, 1, shift=50.0)) == (0.0, 0.0)


def test_precision_recall_same_distribution_is_high():
    precision, recall = precision_recall(gaussian(1000, 8, 0), gaussian(1000, 8, 1))
    assert precision > 0.8 and recall > 0.8


def test_precision_recall_half_the_modes():
    real = gaussian(1000, 2, 0) * 0.3
    real[:500] += 10
    fake = gaussian(1000, 2, 1) * 0.3 + 10  # only the first cluster
    precision, recall = precision_recall(real, fake)
    assert precision > 0.9
    assert 0.4 < recall < 0.6


# Quick metrics during training.

def test_quick_metrics_keeps_mode_and_global_rng():
    generator = create_model("dcgan", width=8).generator.train()
    rng = torch.get_rng_state()
    scores = quick_metrics(generator, "cpu", n=200)
    assert torch.equal(rng, torch.get_rng_state())
    assert generator.training
    assert set(scores) == SINGLE_KEYS - {"hist"}
    assert all(isinstance(v, (int, float)) for v in scores.values())
    assert quick_metrics(generator.eval(), "cpu", n=200) == scores  # seeded: the same numbers
    assert not generator.training


def test_quick_metrics_conditional_and_stacked():
    conditional = create_model("dcgan", width=8, num_classes=10).generator
    assert 0.0 <= quick_metrics(conditional, n=100)["label_accuracy"] <= 1.0
    stacked = quick_metrics(create_model("dcgan", width=8, channels=3).generator, n=100)
    assert set(stacked) == {"modes", "kl", "confidence"}
    assert 1 <= stacked["modes"] <= 100


# The command line.

def tiny_model(folder: Path, **kwargs) -> str:
    torch.manual_seed(0)
    save_generator(create_model("dcgan", width=8, **kwargs).generator.eval(), folder)
    return str(folder)


def test_cli_writes_json_with_every_key(mnist_dir, tmp_path, capsys):
    data = str(mnist_dir)
    out = tmp_path / "scores.json"
    assert main(["--model", tiny_model(tmp_path / "g"), "--n", "200", "--json", str(out), "--data-dir", data]) == 0
    scores = json.loads(out.read_text())
    assert SINGLE_KEYS <= set(scores) and scores["n"] == 200
    assert len(scores["hist"]) == 10 and sum(scores["hist"]) == pytest.approx(1.0, abs=1e-4)
    assert "label_accuracy" not in scores
    assert "precision" in capsys.readouterr().out


def test_cli_scores_a_model_at_a_truncation(mnist_dir, tmp_path, capsys):
    data, model = str(mnist_dir), tiny_model(tmp_path / "g")
    for name, extra in (("off.json", []), ("cut.json", ["--truncation", "0.5"])):
        assert main(["--model", model, "--n", "200", "--json", str(tmp_path / name), "--data-dir", data, *extra]) == 0
    off, cut = (json.loads((tmp_path / name).read_text()) for name in ("off.json", "cut.json"))
    assert "truncation" not in off and cut["truncation"] == 0.5 and cut["fd"] != off["fd"]
    generator = load_generator(model)
    assert evaluate.evaluate_generator(generator, 200, data_dir=data, truncation=0.5)["fd"] == cut["fd"]
    for args, message in ((["--model", model, "--truncation", "0"], "--truncation must be a number above 0"),
                          (["--real", "--truncation", "1"], "leave it out with --real")):
        with pytest.raises(SystemExit):
            main(args)
        assert message in capsys.readouterr().err


def test_cli_conditional_reports_label_accuracy(mnist_dir, tmp_path):
    data = str(mnist_dir)
    out = tmp_path / "scores.json"
    model = tiny_model(tmp_path / "g", num_classes=10)
    assert main(["--model", model, "--n", "100", "--json", str(out), "--data-dir", data]) == 0
    assert 0.0 <= json.loads(out.read_text())["label_accuracy"] <= 1.0


def test_cli_stacked(mnist_dir, tmp_path):
    data = str(mnist_dir)
    out = tmp_path / "scores.json"
    model = tiny_model(tmp_path / "g", channels=3)
    assert main(["--stacked", "--model", model, "--n", "300", "--json", str(out), "--data-dir", data]) == 0
    scores = json.loads(out.read_text())
    assert scores["stacked"] and 1 <= scores["modes"] <= 300 and scores["kl"] >= 0


def test_cli_stacked_real_covers_most_modes(mnist_dir):
    data = str(mnist_dir)
    scores = evaluate.evaluate_stacked(None, n=3000, data_dir=data)
    assert scores["modes"] > 900  # 3000 uniform draws of 1000 triples cover about 950


def test_cli_rejects_wrong_channel_count(tmp_path, capsys):
    assert main(["--model", tiny_model(tmp_path / "g", channels=3), "--n", "50"]) == 1
    assert "--stacked" in capsys.readouterr().err


def test_cli_refuses_too_few_samples_zero_included(tmp_path, capsys):
    for n in ("0", "5"):
        with pytest.raises(SystemExit):
            main(["--model", tiny_model(tmp_path / "g"), "--n", n])
        assert "--n must be at least 10" in capsys.readouterr().err


def test_cli_reports_missing_data_in_one_line(tmp_path, capsys, monkeypatch):
    def no_data(*args, **kwargs):
        raise DataNotFoundError("MNIST is not in /nowhere")
    monkeypatch.setattr(evaluate, "load_mnist", no_data)
    evaluate._test_features.cache_clear()
    assert main(["--model", tiny_model(tmp_path / "g"), "--n", "50", "--data-dir", "/nowhere"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: MNIST is not in") and err.count("\n") == 1


def test_cli_unknown_model_fails_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "training.evaluate", "--model", str(tmp_path / "missing")],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_update_card_writes_metrics_into_the_model_card(tmp_path, mnist_dir):
    import torch
    from huggingface_hub import ModelCard

    from gan_models import create_model, save_generator
    from training.evaluate import main as evaluate_main

    torch.manual_seed(0)
    folder = save_generator(create_model("dcgan", width=8).generator.eval(), tmp_path / "model",
                            card={"loss": "ns", "training_command": "cmd"})
    assert evaluate_main(["--model", str(folder), "--n", "200", "--data-dir", str(mnist_dir), "--update-card"]) == 0
    assert evaluate_main(["--model", str(folder), "--n", "300", "--data-dir", str(mnist_dir), "--update-card"]) == 0
    card = ModelCard.load(folder / "README.md")
    assert card.data.quality["n"] == 300 and {"fd", "kl", "precision", "recall"} <= set(card.data.quality)
    assert card.text.count("## Evaluation") == 1 and "| n | 300 |" in card.text and "| n | 200 |" not in card.text
    index = card.data.to_dict()["model-index"][0]["results"][0]  # the Hub shows these
    assert index["dataset"]["type"] == "ylecun/mnist" and {"fd", "precision", "recall"} <= {
        m["type"] for m in index["metrics"]}
    assert "cmd" in card.text and "## How to load" in card.text and "## Intended uses and limitations" in card.text


def test_a_json_that_cannot_be_written_still_leaves_the_card_updated(tmp_path, mnist_dir, capsys):
    from huggingface_hub import ModelCard

    from training.evaluate import main as evaluate_main

    folder = tiny_model(tmp_path / "model")
    (tmp_path / "a-file").write_text("")
    bad_json = tmp_path / "a-file" / "scores.json"  # a folder that is a file
    args = ["--model", folder, "--n", "200", "--data-dir", str(mnist_dir), "--update-card", "--json", str(bad_json)]
    assert evaluate_main(args) == 1
    assert f"--json {bad_json} cannot be written" in capsys.readouterr().err
    assert ModelCard.load(Path(folder) / "README.md").data.quality["n"] == 200
