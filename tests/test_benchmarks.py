"""The benchmark scripts: bad settings get a sentence before any training starts; short runs print their tables;
truncation.py's rule and the model cards it writes."""

import re
import runpy
from pathlib import Path

import pytest

from gan_models import list_models

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("script, args, message", [
    ("time_to_quality.py", ["--budget", "-5"], "--budget must be a number above 0"),
    ("time_to_quality.py", ["--arch", "dcgn"], "invalid choice: 'dcgn'"),
    ("time_to_quality.py", ["--n", "5"], "--n must be at least"),
    ("time_to_quality.py", ["--device", "tpu"], "unknown device 'tpu'"),
    ("time_to_quality.py", ["--arch", "mlp", "--width", "32"], "'mlp' has no width setting"),
    ("train_speed.py", ["--arch", "dcgn"], "invalid choice: 'dcgn'"),
    ("train_speed.py", ["--width", "0"], "--width must be at least 1"),
    ("truncation.py", ["--truncations", "1", "0"], "--truncations must be numbers above 0"),
    ("truncation.py", ["--n", "5"], "--n must be at least"),
    ("colorize.py", ["--n", "0"], "--n must be a whole number from 1 to 10000"),
    ("ema_shares.py", ["--n", "5"], "--n at least 100"),
    ("ema_shares.py", ["--arch", "dcgn"], "invalid choice: 'dcgn'"),
])
def test_bad_settings_are_a_sentence_not_a_traceback(script, args, message, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", [script, *args])
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(BENCHMARKS / script), run_name="__main__")
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and message in err
    if "invalid choice" in message:
        assert "(choose from " + ", ".join(f"'{name}'" for name in list_models()) + ")" in err


def test_train_speed_measures_the_model_training_run_trains(mnist_dir, monkeypatch, capsys):
    """Both loops train the DCGAN at the width `training.run` picks on this device unless told otherwise,
    and the table names it."""
    from training.defaults import default_width

    def rows(*extra: str) -> list[str]:
        monkeypatch.setattr("sys.argv", ["train_speed.py", "--data-dir", str(mnist_dir), "--device", "cpu",
                                         "--batch-size", "8", "--steps", "2", "--repeats", "1", "--workers", "0",
                                         *extra])
        runpy.run_path(str(BENCHMARKS / "train_speed.py"), run_name="__main__")
        return [line for line in capsys.readouterr().out.splitlines() if line.startswith("| dcgan") or
                line.startswith("| mlp")]

    [dcgan] = rows("--arch", "dcgan")
    assert dcgan.startswith(f"| dcgan, width {default_width('dcgan', 'cpu')} |")
    ratio = float(dcgan.split("|")[4].strip().rstrip("×"))
    assert ratio > 0
    [dcgan, mlp] = rows("--arch", "dcgan", "mlp", "--width", "8")
    assert dcgan.startswith("| dcgan, width 8 |") and mlp.startswith("| mlp |")


def test_app_latency_times_the_start_up_and_the_requests(app_models, tmp_path, monkeypatch, capsys):
    """A short run against the tiny models: the server's start-up, and requests that all came back."""
    # The script points these at its own folders; monkeypatch puts them back afterwards.
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(app_models))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("DIGITGAN_MODELS", raising=False)
    bench = runpy.run_path(str(BENCHMARKS / "app_latency.py"))
    assert bench["main"](["--clients", "2", "--duration", "1", "--repeats", "1", "--n", "4"]) == 0
    out = capsys.readouterr().out
    startup = re.search(r"\| start-up, until the page answers \| ([\d.]+) s \|", out)
    requests = re.search(r"\| requests \| (\d+) \|", out)
    assert startup and float(startup.group(1)) > 0
    assert requests and int(requests.group(1)) > 0 and "| errors | 0 |" in out


def test_truncation_picks_the_most_precise_truncation_that_keeps_the_recall():
    pick = runpy.run_path(str(BENCHMARKS / "truncation.py"))["pick_default"]
    rows = [{"truncation": None, "precision": 0.70, "recall": 0.70, "fd": 16.0},
            {"truncation": 2.0, "precision": 0.75, "recall": 0.66, "fd": 30.0},
            {"truncation": 1.0, "precision": 0.90, "recall": 0.40, "fd": 200.0}]
    assert pick(rows, 0.05) == 2.0  # FD is not what it weighs
    assert pick(rows, 0.01) is None and pick(rows, 0.5) == 1.0
    rows[1]["precision"] = 0.70
    assert pick(rows, 0.05) is None  # a tie keeps the full variety


def test_truncation_writes_each_card_s_default(mnist_dir, tmp_path, capsys):
    """A short run over a tiny digit model and a tiny Stacked MNIST one: the table, then the cards."""
    from gan_models import create_model, save_generator

    models = [save_generator(create_model("dcgan", width=8, **kwargs).generator.eval(), tmp_path / name,
                             {"loss": "ns"})
              for name, kwargs in (("digits", {}), ("stacked", {"channels": 3}))]
    main = runpy.run_path(str(BENCHMARKS / "truncation.py"))["main"]
    assert main(["--models", *map(str, models), "--n", "100", "--truncations", "1", "--data-dir", str(mnist_dir),
                 "--update-cards"]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| digits")]
    marked = [line.split("|")[2].strip() for line in table if line.endswith("| ✓ |")]  # off, or 1
    assert len(table) == 2 and len(marked) == 1
    digits, stacked = ((m / "README.md").read_text() for m in models)
    assert ("default_truncation: 1.0" in digits) == (marked == ["1"])
    assert "default_truncation:" not in stacked and "Stacked MNIST is scored by modes and KL" in stacked
    assert "Default truncation: none (full variety)." in stacked
    assert ("truncation 0 gives full variety" in digits) == (marked == ["1"])
    for card in (digits, stacked):
        assert card.count("Default truncation:") == 1 and card.index("## Evaluation") < card.index("Default truncation")


def test_colorize_scores_each_translator_beside_the_real_digits(mnist_dir, tmp_path, monkeypatch, capsys):
    """A short run over two tiny random translators: the floor's row, then one row each."""
    import torch

    from gan_models import create_translator, save_translator

    folders = []
    for name in ("one", "two"):
        torch.manual_seed(len(folders))
        folders.append(str(save_translator(create_translator("cyclegan", width=8).translator, tmp_path / name)))
    monkeypatch.setattr("sys.argv", ["colorize.py", "--data-dir", str(mnist_dir), "--n", "50", "--models", *folders])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(BENCHMARKS / "colorize.py"), run_name="__main__")
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert done.value.code == 0 and [r.split("|")[1].strip() for r in rows[2:]] == ["real digits (floor)", "one", "two"]
    assert "shape kept" in rows[0] and "%" in rows[2]


def test_codes_names_what_each_continuous_code_controls_and_writes_it_into_the_card(tmp_path, capsys):
    """A tiny random InfoGAN: a row per code with its measured ρ, and the card's line naming each code."""
    from gan_models import create_model, save_generator

    model = save_generator(create_model("dcgan", width=8, codes=10, continuous=2).generator.eval(), tmp_path / "info",
                           {"loss": "ns"})
    main = runpy.run_path(str(BENCHMARKS / "codes.py"))["main"]
    assert main(["--model", str(model), "--latents", "3", "--points", "5", "--update-card"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if re.match(r"\| code \d", line)]
    assert len(rows) == 2 and all(row.split("|")[-2].strip() in ("slant", "thickness") for row in rows)
    card = (model / "README.md").read_text()
    assert "continuous_codes_measured" in card and len(re.findall(r"code \d (steers|changes) ", card)) == 2
    plain = save_generator(create_model("dcgan", width=8).generator.eval(), tmp_path / "plain", {"loss": "ns"})
    with pytest.raises(SystemExit):
        main(["--model", str(plain)])
    assert "has no continuous codes" in capsys.readouterr().err


def test_codes_names_a_code_by_the_measure_it_changes_most_not_by_rho_alone():
    summary = runpy.run_path(str(BENCHMARKS / "codes.py"))["summary"]
    # A steady but tiny change in slant gives |ρ| 1 too; the thickness change is what the code makes.
    result = {0: {"slant": {"rho": [1.0, 1.0, 1.0], "change": [0.1, 0.2, 0.1]},
                  "thickness": {"rho": [0.9, 0.95, 1.0], "change": [2.5, 3.0, -2.8]}}}
    row = summary(result)["code 1"]
    assert row["controls"] == "thickness" and row["slant"]["abs_rho"] == 1.0 and row["thickness"]["change"] == 2.8


def test_ema_shares_scores_g_and_an_ema_per_share_at_every_seed(mnist_dir, capsys):
    main = runpy.run_path(str(BENCHMARKS / "ema_shares.py"))["main"]
    assert main(["--arch", "mlp", "--steps", "3", "--seeds", "0", "1", "--n", "100", "--data-dir", str(mnist_dir)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| generator | fd, seed 0 / 1 |") and len(rows) == 2 + 1 + 5
    assert rows[2].startswith("| G itself |") and rows[5].startswith("| the last 5.0% |")
    assert all(len(cell.split(" / ")) == 2 for row in rows[2:] for cell in row.split("|")[2:-1])


def test_lab_speed_times_training_run_and_the_lab_in_turns(mnist_dir, capsys, monkeypatch):
    import torch

    monkeypatch.setenv("DIGITGAN_DATA_DIR", str(mnist_dir))  # the script sets it: put back afterwards
    main, threads = runpy.run_path(str(BENCHMARKS / "lab_speed.py"))["main"], torch.get_num_threads()
    try:
        assert main(["--data-dir", str(mnist_dir), "--archs", "mlp", "--seconds", "2", "--repeats", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| mlp |"))
    assert all(re.search(r"\d", cell) for cell in row.split("|")[2:5]) and "Start → first update" in out
