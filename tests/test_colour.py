"""The mnist-colour dataset: colour digits made deterministically, two unpaired domains, a cache file,
and batches that are a pure function of their number."""

import numpy as np
import pytest
import torch

from training import colour
from training.colour import BAND, UnpairedBatches, colourise, load_domains, make_domains


def small_mnist(n: int = 60, test_n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 256, (test_n, 28, 28), dtype=np.uint8))


def test_the_domains_are_deterministic_and_their_training_digits_disjoint():
    train, test = small_mnist()
    first, again, other = make_domains(train, test), make_domains(train, test), make_domains(train, test, seed=1)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["b_train"], other["b_train"])
    assert not set(first["a_rows"]) & set(first["b_rows"])  # no digit is in both domains: nothing pairs them
    assert sorted([*first["a_rows"], *first["b_rows"]]) == list(range(len(train)))
    assert first["b_train"].shape == (30, 3, 28, 28) and first["b_test"].shape == (20, 3, 28, 28)


def test_colour_digits_are_the_texture_where_there_is_no_ink_and_its_inverse_where_there_is():
    digits = np.zeros((50, 28, 28), np.uint8)
    digits[:, 10:18, 10:18] = 255
    made = colourise(digits, np.random.default_rng(0)).astype(int)
    background, stroke = made[:, :, 0, 0], made[:, :, 14, 14]
    low, high = round(BAND[1] * 255), round((1 - BAND[1]) * 255)
    assert ((background <= low) | (background >= high)).all()  # each channel dark or bright: never mid-grey
    assert (np.abs(background - stroke) >= high - low - 2).all()  # so every stroke stands out in every channel
    assert len({tuple(c) for c in background}) > 10  # and the colours vary


def test_the_domains_are_made_once_then_read_from_the_cache(tmp_path, monkeypatch):
    digits = dict(zip((True, False), small_mnist()))
    monkeypatch.setattr(colour, "load_mnist", lambda data_dir, train=True: (
        torch.from_numpy(digits[train]), torch.arange(len(digits[train])) % 10))
    monkeypatch.setenv("DIGITGAN_CACHE_DIR", str(tmp_path))
    made = []
    monkeypatch.setattr(colour, "make_domains", lambda *a, **k: made.append(1) or make_domains(*a, **k))
    first, second = load_domains(), load_domains()
    assert len(made) == 1 and colour.cache_file().is_file()
    assert torch.equal(first.b_train, second.b_train) and torch.equal(first.b_test, second.b_test)
    colour.cache_file().write_bytes(b"cut short")
    assert torch.equal(load_domains().b_train, first.b_train) and len(made) == 2  # a broken file is made again


def test_mnist_s_domains_split_its_training_digits_in_halves(mnist_dir):
    domains = load_domains(mnist_dir)
    assert domains.a_train.shape == (30_000, 28, 28) and domains.b_train.shape == (30_000, 3, 28, 28)
    assert domains.b_test.shape == (10_000, 3, 28, 28) and torch.equal(domains.test_labels[:3], torch.tensor([7, 2, 1]))
    counts = torch.bincount(domains.b_labels, minlength=10)
    assert counts.min() > 2500  # a random half holds every digit


def test_unpaired_batches_are_a_pure_function_of_their_number(mnist_dir):
    domains = load_domains(mnist_dir)
    batches, again = (UnpairedBatches(domains, 16, seed=3, device=torch.device("cpu")) for _ in range(2))
    a, b = batches.fetch(batches.indices(5))
    assert a.shape == (16, 1, 28, 28) and b.shape == (16, 3, 28, 28) and -1 <= a.min() and b.max() <= 1
    batches.fetch(batches.indices(batches.batches_per_epoch + 1))  # another epoch, then back
    assert all(torch.equal(x, y) for x, y in zip(batches.fetch(batches.indices(5)), again.fetch(again.indices(5))))
    rows_a, rows_b = batches.indices(0)
    assert not torch.equal(rows_a, rows_b)  # each domain in an order of its own
    grey, coloured = batches.showcase
    assert grey.shape == (10, 28, 28) and coloured.shape == (10, 3, 28, 28)


@pytest.mark.parametrize("train", [True, False])
def test_domain_b_gives_the_classifier_its_digits(mnist_dir, train):
    images, labels = colour.domain_b(mnist_dir, train=train)
    assert images.shape[1:] == (3, 28, 28) and len(images) == len(labels) == (30_000 if train else 10_000)
