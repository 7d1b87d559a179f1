import pytest
import torch
from safetensors.torch import save_file

from training.classifier import (ASSET, ClassifierLoadError, DigitClassifier, accuracy, augment, embed,
                                 load_classifier, main as classifier_main, reference_stats, save_classifier)
from training.data import load_mnist


def test_shipped_classifier_scores_above_99_percent(mnist_dir):
    images, labels = load_mnist(mnist_dir, train=False)
    model = load_classifier()
    assert accuracy(model, images[:3000], labels[:3000]) > 0.99


def test_shipped_classifier_records_how_it_was_made():
    model = load_classifier(ASSET)
    assert float(model.metadata["test_accuracy"]) >= 0.993
    assert model.metadata["command"].startswith("python -m training.classifier")
    ref = model.reference
    assert ref["mu"].shape == (128,) and ref["cov"].shape == (128, 128) and ref["features"].shape == (2000, 128)
    assert load_classifier() is model  # cached: evaluation during training loads it once


def test_embed_gives_features_and_probabilities():
    images = torch.randint(0, 256, (7, 1, 28, 28), dtype=torch.uint8)
    feats, probs = embed(DigitClassifier().eval(), images, batch_size=3)
    assert feats.shape == (7, 128) and probs.shape == (7, 10)
    assert torch.allclose(probs.sum(1), torch.ones(7))


def test_augment_is_seeded_and_keeps_shape():
    x = torch.rand(4, 1, 28, 28)
    a = augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, augment(x, torch.Generator().manual_seed(1)))


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = DigitClassifier(width=4, feature_dim=16).eval()
    images = torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8)
    path = save_classifier(model, tmp_path / "clf.safetensors", reference_stats(model, images),
                           {"command": "test"})
    loaded = load_classifier(path)
    x = torch.rand(5, 1, 28, 28)
    assert torch.equal(model(x), loaded(x))
    assert loaded.reference["features"].shape == (50, 16) and loaded.metadata["command"] == "test"


def test_missing_file_says_how_to_train(tmp_path):
    with pytest.raises(ClassifierLoadError, match="python -m training.classifier"):
        load_classifier(tmp_path / "none.safetensors")


def test_mismatched_file_is_refused(tmp_path):
    path = tmp_path / "bad.safetensors"
    save_file({"body.0.weight": torch.zeros(3)}, path)
    with pytest.raises(ClassifierLoadError, match="cannot load"):
        load_classifier(path)


@pytest.mark.parametrize("args,message", [(["--epochs", "0"], "--epochs must be at least 1"),
                                          (["--batch-size", "70000"], "at most MNIST's 60,000"),
                                          (["--lr", "0"], "--lr must be above 0")])
def test_cli_refuses_bad_values_in_a_sentence(args, message, capsys):
    with pytest.raises(SystemExit):
        classifier_main(args)
    assert message in capsys.readouterr().err
