"""The 2-D toy GANs (training/toy.py) and the mode-collapse meter (training/meter.py)."""

import math

import numpy as np
import pytest
import torch

from training.meter import PRESENT, collapse_meter
from training.toy import (COVER_SHARE, RING_RADIUS, RING_STD, PointBatches, coverage, decision_map, drawn,
                          fake_points, mixture, toy_trainer)


@pytest.fixture
def one_thread():
    """Tiny layers run fastest on one thread: more only add synchronisation, worst on a busy CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_the_datasets_are_what_they_say_and_the_same_for_the_same_seed():
    ring, grid = mixture("ring"), mixture("grid")
    assert len(ring.centres) == 8 and torch.allclose(ring.centres.norm(dim=1), torch.full((8,), RING_RADIUS))
    assert len(grid.centres) == 25 and grid.centres.min() == -2 and grid.centres.max() == 2
    points, labels = ring.sample(4000, seed=3)
    assert torch.equal(points, ring.sample(4000, seed=3)[0]) and not torch.equal(points, ring.sample(4000, 4)[0])
    spread = (points - ring.centres[labels]).std().item()
    assert spread == pytest.approx(RING_STD, rel=0.05)
    a, b = PointBatches(ring, 32, seed=1), PointBatches(ring, 32, seed=1)
    for step in (0, 7, 10_000):
        assert torch.equal(a.fetch(a.indices(step))[0], b.fetch(b.indices(step))[0])
    assert a.fetch(a.indices(0))[0].shape == (32, 2)


def test_drawn_points_are_scaled_into_the_plane_the_others_use():
    data = drawn([[100, 50], [300, 50], [200, 150]])  # pixels, say: 200 wide, 100 high
    assert torch.allclose(data.centres, torch.tensor([[-2.0, -1.0], [2.0, -1.0], [0.0, 1.0]]))
    assert len(drawn([[5, 5]]).centres) == 1  # a single point is a single Gaussian at the centre
    with pytest.raises(ValueError, match=r"an \(N, 2\) array"):
        drawn(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="unknown toy dataset 'spiral'; known: ring, grid"):
        mixture("spiral")


def test_coverage_counts_modes_and_quality_on_hand_made_points():
    centres = mixture("ring").centres
    near = RING_STD * 2  # within 3 std
    on_three = torch.cat([centres[i] + torch.tensor([near, 0.0]) for i in (0, 0, 1, 2)]).view(-1, 2)
    stray = torch.tensor([[0.0, 0.0]] * 4)  # the ring's centre: near no Gaussian
    result = coverage(torch.cat([on_three, stray]), "ring")
    assert result == {"covered": 3, "modes": 8, "quality": 0.5}
    many = torch.cat([centres.repeat(12, 1)[:96], centres[5:6].repeat(3, 1), torch.zeros(1, 2)])
    assert coverage(many, "ring")["covered"] == 8
    # A mode needs COVER_SHARE of its fair share (3.1 of 100 points here): mode 5's one point is too few.
    sparse = torch.cat([centres[:4].repeat(25, 1)[:99], centres[5:6]])
    assert coverage(sparse, "ring")["covered"] == 4 and COVER_SHARE * 100 / 8 > 1


def test_a_toy_trainer_covers_the_ring_with_the_ns_loss(one_thread):
    trainer = toy_trainer("ring", loss="ns", lr_g=1e-3, lr_d=1e-3, seed=0)
    assert (trainer.opt_g.param_groups[0]["lr"], trainer.opt_d.param_groups[0]["lr"]) == (1e-3, 1e-3)
    numbers = [trainer.step() for _ in range(2000)]
    assert all(math.isfinite(n["g_grad_norm"]) for n in numbers)
    assert coverage(fake_points(trainer, 1000), "ring")["covered"] == 8


def test_fake_points_and_the_decision_map_look_without_changing_the_run(one_thread):
    trainer = toy_trainer("grid", lr_g=2e-3, lr_d=5e-4, spectral_norm=True, ema=True, batch_size=64)
    assert (trainer.opt_g.param_groups[0]["lr"], trainer.opt_d.param_groups[0]["lr"]) == (2e-3, 5e-4)
    for _ in range(5):
        trainer.step()
    points = fake_points(trainer, 300)
    assert points.shape == (300, 2) and np.array_equal(points, fake_points(trainer, 300))
    before = {k: v.clone() for k, v in trainer.D.state_dict().items()}  # spectral norm's vectors included
    d_map = decision_map(trainer, resolution=16)
    assert d_map.shape == (16, 16) and ((0 < d_map) & (d_map < 1)).all()
    assert all(torch.equal(before[k], v) for k, v in trainer.D.state_dict().items())
    trainer.step()
    assert not np.array_equal(points, fake_points(trainer, 300))


def test_toy_runs_refuse_what_points_cannot_take():
    with pytest.raises(ValueError, match="gradient penalty works on images only"):
        toy_trainer("ring", loss="wgan-gp")
    with pytest.raises(ValueError, match="toy models are unconditional"):
        toy_trainer("ring", conditional=True)


class _ByBrightness(torch.nn.Module):
    """A stand-in classifier: an image of brightness k/10 is digit k."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        digit = (x.mean((1, 2, 3)) * 10).round().long().clamp(0, 9)
        return torch.nn.functional.one_hot(digit, 10).float()


def test_the_meter_reads_hand_made_shares():
    levels = [0] * 50 + [3] * 30 + [7] * 19 + [9] * 1  # shares 0.5, 0.3, 0.19, 0.01 of 100 images
    images = torch.stack([torch.full((1, 28, 28), k / 10 * 255) for k in levels]).round().to(torch.uint8)
    reading = collapse_meter(images, _ByBrightness())
    assert reading["shares"] == pytest.approx([0.5, 0, 0, 0.3, 0, 0, 0, 0.19, 0, 0.01])
    assert reading["present"] == 3 and PRESENT > 0.01  # digit 9's single image is below the threshold
    expected_kl = sum(p * math.log(p * 10) for p in (0.5, 0.3, 0.19, 0.01))
    assert reading["kl"] == pytest.approx(expected_kl)
    assert collapse_meter(images.float() / 127.5 - 1, _ByBrightness())["shares"] == reading["shares"]  # [-1, 1]
    with pytest.raises(ValueError, match="28 x 28 digits"):
        collapse_meter(torch.zeros(4, 2))


def test_the_shipped_classifier_meters_real_digits(mnist_dir):
    from training.data import load_mnist

    images, labels = load_mnist(mnist_dir, train=False)
    even = images[:200]
    assert collapse_meter(even)["present"] == 10
    threes = images[labels == 3][:200]
    reading = collapse_meter(threes)
    assert reading["present"] == 1 and reading["kl"] > 2.0


def test_every_preset_names_settings_a_run_can_take():
    from dataclasses import fields

    from playground.presets import PRESETS, runs
    from training import TrainConfig

    names = {f.name for f in fields(TrainConfig)} | {"dataset"}
    for name, preset in PRESETS.items():
        assert preset["look_for"].strip() and "\n" not in preset["look_for"], name
        compare = preset.get("compare")
        if compare:  # run A is the preset as written
            assert len(compare["values"]) == 2 and preset[compare["setting"]] == compare["values"][0], name
        for settings in runs(name):
            assert set(settings) <= names, name
            dataset = settings["dataset"]
            rest = {k: v for k, v in settings.items() if k != "dataset"}
            if dataset in ("ring", "grid"):
                toy_trainer(dataset, **rest)
            else:
                TrainConfig(**rest, dataset=dataset)  # checked, not trained: no MNIST needed
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        runs("nope")
