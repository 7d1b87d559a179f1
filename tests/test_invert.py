"""Inversion: a generator's own digits found again, the same seed the same result, label weights, caps,
and the command line."""

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from gan_models import create_model, generate, save_generator
from gan_models.invert import MAX_RESTARTS, MAX_STEPS, Recipe, invert, invert_steps, starts
from gan_models.invert.__main__ import main

QUICK = Recipe(steps=40, restarts=4, search_steps=10)


def tiny(**kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("dcgan", width=8, **kwargs).generator.eval()


def test_a_generators_own_digit_is_found_again():
    generator = tiny()
    digits = generate(generator, 3, seed=5)[:, 0].numpy()
    others = generate(generator, 3, seed=6)[:, 0].numpy()
    found = invert(generator, digits, seed=0, recipe=dataclasses.replace(QUICK, steps=150))
    error = np.abs(found.images.numpy().astype(float) - digits).mean()
    assert found.images.shape == (3, 28, 28) and found.images.dtype == torch.uint8
    assert found.latents.shape == (3, generator.latent_dim) and found.labels is None
    assert error < 0.5 * np.abs(others.astype(float) - digits).mean()


def test_the_same_seed_gives_the_same_result():
    generator = tiny()
    digits = generate(generator, 2, seed=1)[:, 0].numpy()
    a, b, c = (invert(generator, digits, seed, QUICK) for seed in (3, 3, 4))
    assert torch.equal(a.latents, b.latents) and torch.equal(a.images, b.images)
    assert not torch.equal(a.latents, c.latents)


def test_a_conditional_model_returns_label_weights():
    generator = tiny(num_classes=10)
    digits = generate(generator, 3, seed=2, digit=4)[:, 0].numpy()
    found = invert(generator, digits, recipe=dataclasses.replace(QUICK, restarts=10))
    assert found.labels.shape == (3, 10)
    assert torch.allclose(found.labels.sum(1), torch.ones(3)) and (found.labels >= 0).all()


def test_steps_stream_and_end_where_invert_ends():
    generator = tiny()
    digit = generate(generator, 1, seed=3)[0, 0].numpy()  # one digit (28, 28), as a drawing is
    states = list(invert_steps(generator, digit, 0, QUICK, every=7))
    assert [s.step for s in states] == [17, 24, 31, 38, 40] and all(s.steps == 40 for s in states)
    assert torch.equal(states[-1].latents, invert(generator, digit, 0, QUICK).latents)
    assert states[-1].losses[0] <= states[0].losses[0]


def test_the_generator_is_left_as_it_was():
    generator = tiny().train()
    invert(generator, np.zeros((1, 28, 28), np.uint8), recipe=QUICK)
    assert generator.training and all(p.grad is None for p in generator.parameters())


def test_restarts_try_every_category_of_an_infogan():
    generator = tiny(codes=10)
    z, logits = starts(generator, 3, 10, seed=0, label_init=3.0)
    codes = z[:, :10].argmax(1).view(3, 10)
    assert logits is None and all(sorted(row.tolist()) == list(range(10)) for row in codes)
    z, logits = starts(tiny(num_classes=10), 2, 10, seed=0, label_init=3.0)
    assert all(sorted(row.tolist()) == list(range(10)) for row in logits.argmax(1).view(2, 10))


@pytest.mark.parametrize("change, message", [
    ({"steps": MAX_STEPS + 1}, "steps must be a whole number from 1 to 1,000"),
    ({"restarts": MAX_RESTARTS + 1}, f"restarts must be a whole number from 1 to {MAX_RESTARTS}"),
    ({"steps": 0}, "steps"), ({"lr": float("nan")}, "lr must be a finite number"),
])
def test_costs_are_capped(change, message):
    with pytest.raises(ValueError, match=message):
        invert(tiny(), np.zeros((1, 28, 28), np.uint8), recipe=dataclasses.replace(QUICK, **change))


@pytest.mark.parametrize("images", [np.zeros((2, 28, 27), np.uint8), np.zeros((2, 28, 28)), np.zeros((0, 28, 28), np.uint8)])
def test_images_must_be_mnist_shaped_uint8(images):
    with pytest.raises(ValueError, match=r"images must be uint8 digits of shape \(N, 28, 28\)"):
        invert(tiny(), images, recipe=QUICK)


def test_colour_models_are_refused():
    with pytest.raises(ValueError, match="grey digits"):
        invert(tiny(channels=3), np.zeros((1, 28, 28), np.uint8), recipe=QUICK)


# --- The command line --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("invert")
    plain, cond = tiny(), tiny(num_classes=10)
    digits = generate(plain, 3, seed=1)[:, 0].numpy()
    np.save(folder / "digits.npy", digits)
    drawing = np.full((90, 60), 255, np.uint8)
    drawing[20:70, 25:32] = 0  # a dark "1" on white paper
    Image.fromarray(drawing).save(folder / "one.png")
    Image.new("L", (40, 40), 255).save(folder / "blank.png")
    return {"plain": save_generator(plain, folder / "plain"), "cond": save_generator(cond, folder / "cond"),
            "rgb": save_generator(tiny(channels=3), folder / "rgb"), "digits": digits, "dir": folder}


def run(*args: str) -> int:
    return main([*args, "--steps", "20", "--restarts", "2", "--search-steps", "5"])


def test_npy_in_and_out_with_latents(files, tmp_path):
    assert run("--model", str(files["plain"]), "--images", str(files["dir"] / "digits.npy"),
               "--out", str(tmp_path / "r.npy"), "--latents", str(tmp_path / "z.npy")) == 0
    recon = np.load(tmp_path / "r.npy")
    assert recon.shape == (3, 28, 28) and recon.dtype == np.uint8
    assert np.load(tmp_path / "z.npy").shape == (3, 100)


def test_png_in_and_out_and_label_weights(files, tmp_path):
    assert run("--model", str(files["cond"]), "--images", str(files["dir"] / "one.png"),
               str(files["dir"] / "digits.npy"), "--out", str(tmp_path / "r.png"), "--latents", str(tmp_path / "z.npz")) == 0
    with Image.open(tmp_path / "r.png") as grid:
        assert grid.size == (8 * 30 + 2, 30 + 2)  # four pairs in one row: input, then reconstruction
    saved = np.load(tmp_path / "z.npz")
    assert saved["z"].shape == (4, 100) and np.allclose(saved["labels"].sum(1), 1)


@pytest.mark.parametrize("model, images, extra, message", [
    ("plain", "missing.npy", [], "cannot read"),
    ("plain", "blank.png", [], "the drawing is blank"),
    ("plain", "digits.npy", ["--steps", "5000"], "steps must be a whole number from 1 to 1,000"),
    ("rgb", "digits.npy", [], "grey digits"),
    ("nowhere", "digits.npy", [], "neither a folder nor a Hub repo id"),
])
def test_errors_are_one_sentence(files, tmp_path, capsys, model, images, extra, message):
    code = main(["--model", str(files.get(model, model)), "--images", str(files["dir"] / images),
                 "--out", str(tmp_path / "r.npy"), *extra])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_bad_output_names_are_usage_errors(files, tmp_path):
    args = ["--model", str(files["plain"]), "--images", str(files["dir"] / "digits.npy")]
    for bad in (["--out", str(tmp_path / "r.txt")], ["--out", str(tmp_path / "r.npy"), "--latents", str(tmp_path / "z.csv")]):
        with pytest.raises(SystemExit):
            main(args + bad)
