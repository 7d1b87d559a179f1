"""Publishing: the staged folder, card metadata, and the upload calls (no network)."""

import pytest
import torch
from huggingface_hub import ModelCard

from gan_models import create_model, load_generator, save_generator
from training import push as push_module
from training.push import main as push_main


@pytest.fixture
def run_dir(tmp_path):
    torch.manual_seed(0)
    G = create_model("dcgan", num_classes=10, width=8).generator.eval()
    save_generator(G, tmp_path / "run" / "model", card={"loss": "ns", "steps": 5,
                                                         "training_command": "python -m training.run"})
    (tmp_path / "run" / "losses.png").write_bytes(b"\x89PNG fake")
    return tmp_path / "run"


def test_dry_run_stages_the_exact_folder(run_dir, capsys):
    assert push_main([str(run_dir), "--repo-id", "me/digits", "--dry-run"]) == 0
    out = capsys.readouterr().out
    for name in ("model.safetensors", "config.json", "README.md", "losses.png"):
        assert f"  {name}" in out
    staged = run_dir / "hub"
    card = ModelCard.load(staged / "README.md").data
    assert card.library_name == "pytorch" and card.license == "mit" and card.datasets == ["ylecun/mnist"]
    assert {"gan", "mnist", "conditional-image-generation"} <= set(card.tags)
    assert card.training_command == "python -m training.run"
    G = load_generator(staged)
    assert G.num_classes == 10


def test_a_card_from_an_older_version_gets_the_fields_it_lacks(run_dir):
    (run_dir / "model" / "README.md").write_text("---\nloss: ns\ntags:\n- mine\n---\n# an old card\n")
    assert push_main([str(run_dir), "--repo-id", "me/digits", "--dry-run"]) == 0
    card = ModelCard.load(run_dir / "hub" / "README.md").data
    assert card.license == "mit" and card.datasets == ["ylecun/mnist"] and card.loss == "ns"
    assert {"mine", "gan", "mnist", "dcgan", "conditional-image-generation"} <= set(card.tags)


def test_run_without_model_is_refused(tmp_path, capsys):
    assert push_main([str(tmp_path / "run"), "--repo-id", "me/digits", "--dry-run"]) == 1
    assert f"there is no folder {tmp_path / 'run'}" in capsys.readouterr().err
    (tmp_path / "run").mkdir()
    assert push_main([str(tmp_path / "run"), "--repo-id", "me/digits", "--dry-run"]) == 1
    assert "has no complete model/ folder" in capsys.readouterr().err


def test_a_model_that_does_not_load_is_not_pushed(run_dir, capsys):
    weights = run_dir / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # cut short, as by a full disk
    assert push_main([str(run_dir), "--repo-id", "me/digits", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "does not load, so it is not pushed" in err and "model.safetensors" in err


def test_a_model_folder_is_named_as_one_and_a_bad_repo_id_is_refused_on_a_dry_run(run_dir, capsys):
    assert push_main([str(run_dir / "model"), "--repo-id", "me/digits", "--dry-run"]) == 1
    assert "is a model folder, not a run folder" in capsys.readouterr().err
    assert push_main([str(run_dir), "--repo-id", "not a repo", "--dry-run"]) == 1
    assert "Repo id must use alphanumeric chars" in capsys.readouterr().err and not (run_dir / "hub").exists()
    for branch in ("bad branch?", "a..b", "-x", "x.lock", "x/"):
        assert push_main([str(run_dir), "--repo-id", "me/digits", f"--revision={branch}", "--dry-run"]) == 1
        assert "is not a branch name git takes" in capsys.readouterr().err
    assert push_main([str(run_dir), "--repo-id", "me/digits", "--revision", "v1.0/try-2", "--dry-run"]) == 0


def test_a_folder_that_cannot_be_staged_is_not_called_an_upload_failure(run_dir, capsys):
    (run_dir / "hub").write_text("a file where the staging folder goes")
    assert push_main([str(run_dir), "--repo-id", "me/digits", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "cannot stage the model in" in err and "upload" not in err


def test_missing_token_says_how_to_log_in(run_dir, monkeypatch, capsys):
    monkeypatch.setattr(push_module, "get_token", lambda: None)
    assert push_main([str(run_dir), "--repo-id", "me/digits"]) == 1
    assert "hf auth login" in capsys.readouterr().err


def test_push_creates_repo_then_uploads_once(run_dir, monkeypatch):
    calls = []

    class FakeApi:
        def __init__(self, token):
            calls.append(("init", token))

        def create_repo(self, repo_id, private, exist_ok):
            calls.append(("create_repo", repo_id, private, exist_ok))

        def create_branch(self, repo_id, branch, exist_ok):
            calls.append(("create_branch", repo_id, branch))

        def upload_folder(self, repo_id, folder_path, revision, commit_message):
            calls.append(("upload_folder", repo_id, sorted(p.name for p in folder_path.iterdir()), revision))

    monkeypatch.setattr(push_module, "get_token", lambda: "hf_test")
    monkeypatch.setattr(push_module, "HfApi", FakeApi)
    assert push_main([str(run_dir), "--repo-id", "me/digits", "--private", "--revision", "v1"]) == 0
    assert calls == [
        ("init", "hf_test"),
        ("create_repo", "me/digits", True, True),
        ("create_branch", "me/digits", "v1"),
        ("upload_folder", "me/digits", ["README.md", "config.json", "losses.png", "model.safetensors"], "v1"),
    ]
