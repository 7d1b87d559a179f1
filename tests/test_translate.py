"""Every registered translator: shapes, finiteness, Hub-format round trip, strict loading, and the
`python -m gan_models.translate` command."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from gan_models import (ModelLoadError, create_model, create_translator, is_translator, list_architectures,
                        list_models, list_translators, load_generator, load_translator, model_config, read_card,
                        save_generator,
                        save_translator, translate)
from gan_models.translate import main as translate_main
from gan_models.translators import cycle_grid


def make(arch: str):
    torch.manual_seed(0)
    return create_translator(arch, **({"width": 8} if "width" in model_config(arch) else {}))


def saved(tmp_path, arch: str = "cyclegan"):
    translator = make(arch).translator.eval()
    return translator, save_translator(translator, tmp_path / arch, {"steps": 3})


def test_translators_are_a_family_of_their_own():
    assert "cyclegan" in list_translators() and "cyclegan" in list_architectures()
    assert not set(list_translators()) & set(list_models())  # the app's and the benchmarks' GAN lists
    with pytest.raises(ValueError, match="is a translator, not a GAN: build it with gan_models.create_translator"):
        create_model("cyclegan")
    with pytest.raises(ValueError, match="not a translator; known translators: cyclegan"):
        create_translator("dcgan")


@pytest.mark.parametrize("arch", list_translators())
def test_shapes_and_finite_outputs(arch):
    translator, discriminators = make(arch)
    a, b = torch.rand(4, translator.channels_a, 28, 28) * 2 - 1, torch.rand(4, translator.channels_b, 28, 28) * 2 - 1
    made = translator(a, b, identity=True)
    assert made.fake_b.shape == made.back_b.shape == made.same_b.shape == b.shape
    assert made.fake_a.shape == made.back_a.shape == made.same_a.shape == a.shape
    assert all(torch.isfinite(x).all() and x.abs().max() <= 1 for x in made)
    scores_a, scores_b = discriminators(a, b)
    assert scores_a.shape[0] == scores_b.shape[0] == 4 and torch.isfinite(scores_a).all()
    assert translator(a, b, cycle=False).back_a is None


@pytest.mark.parametrize("levels, middle", [(1, 14), (2, 7)])
def test_the_cyclegan_generator_works_down_to_its_levels(levels, middle):
    from gan_models.architectures.cyclegan import ResnetGenerator

    generator = ResnetGenerator(1, 3, width=8, blocks=1, levels=levels)
    sizes = []
    generator.middle[3 * levels].register_forward_hook(lambda module, x, y: sizes.append(y.shape[-1]))
    assert generator(torch.rand(2, 1, 28, 28)).shape == (2, 3, 28, 28) and sizes == [middle]


@pytest.mark.parametrize("arch", list_translators())
def test_save_load_round_trip(tmp_path, arch):
    translator, folder = saved(tmp_path, arch)
    assert {p.name for p in folder.iterdir()} == {"model.safetensors", "config.json", "README.md"}
    assert json.loads((folder / "config.json").read_text())["architecture"] == arch
    assert all(k.startswith(("a2b.", "b2a.")) for k in load_file(folder / "model.safetensors"))  # no discriminators
    loaded = load_translator(folder)
    grey = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    assert torch.equal(translate(translator, grey, "a2b"), translate(loaded, grey, "a2b"))
    card = read_card(folder).data
    assert card.pipeline_tag == "image-to-image" and card.steps == 3 and arch in card.tags


def test_a_translator_is_not_loaded_as_a_generator_nor_the_reverse(tmp_path):
    _, folder = saved(tmp_path)
    with pytest.raises(ModelLoadError, match="holds a translator .*load it with gan_models.load_translator"):
        load_generator(folder)
    gan = save_generator(create_model("dcgan", width=8).generator, tmp_path / "dcgan")
    with pytest.raises(ModelLoadError, match="holds a GAN generator .*load it with gan_models.load_generator"):
        load_translator(gan)
    assert is_translator(folder) and not is_translator(gan) and not is_translator(tmp_path / "nothing")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json")
    assert not is_translator(tmp_path / "broken")  # offered as a generator, whose load error is shown


def test_strict_load_names_a_missing_direction(tmp_path):
    _, folder = saved(tmp_path)
    state = load_file(folder / "model.safetensors")
    save_file({k: v for k, v in state.items() if k.startswith("a2b.")}, folder / "model.safetensors")
    with pytest.raises(ModelLoadError, match="missing: b2a"):
        load_translator(folder)


def test_translate_checks_its_images():
    translator = make("cyclegan").translator
    colour = translate(translator, np.zeros((3, 28, 28), np.uint8), "a2b")
    assert colour.shape == (3, 3, 28, 28) and colour.dtype == torch.uint8
    assert translate(translator, colour, "b2a").shape == (3, 1, 28, 28)
    assert translator.training  # left as it was
    for images, message in [(np.zeros((3, 28, 28), np.float32), "must be uint8"),
                            (np.zeros((3, 28, 28), np.uint8), r"must be \(N, 3, 28, 28\)"),
                            (np.zeros((0, 3, 28, 28), np.uint8), "at least one")]:
        with pytest.raises(ValueError, match=message):
            translate(translator, images, "b2a")
    with pytest.raises(ValueError, match="direction must be 'a2b' or 'b2a'"):
        translate(translator, colour, "sideways")


def test_cycle_grid_shows_both_ways_in_six_rows():
    translator = make("cyclegan").translator
    a, b = torch.zeros(4, 28, 28, dtype=torch.uint8), torch.zeros(4, 3, 28, 28, dtype=torch.uint8)
    assert cycle_grid(translator, a, b).shape == (3, 6 * 30 + 2, 4 * 30 + 2)


def test_the_command_translates_both_ways(tmp_path, capsys):
    _, folder = saved(tmp_path)
    np.save(tmp_path / "grey.npy", np.random.default_rng(0).integers(0, 256, (6, 28, 28), dtype=np.uint8))
    args = ["--model", str(folder), "--images", str(tmp_path / "grey.npy")]
    assert translate_main(args + ["--direction", "a2b", "--out", str(tmp_path / "colour.npy")]) == 0
    colour = np.load(tmp_path / "colour.npy")
    assert colour.shape == (6, 3, 28, 28) and colour.dtype == np.uint8
    assert translate_main(["--model", str(folder), "--images", str(tmp_path / "colour.npy"), "--direction", "b2a",
                           "--out", str(tmp_path / "back.npy")]) == 0
    assert np.load(tmp_path / "back.npy").shape == (6, 28, 28)
    capsys.readouterr()
    assert translate_main(args + ["--direction", "b2a", "--out", str(tmp_path / "x.npy")]) == 1
    assert "images must be (N, 3, 28, 28)" in capsys.readouterr().err
    assert translate_main(["--model", str(folder), "--images", str(tmp_path / "none.npy"), "--direction", "a2b",
                           "--out", str(tmp_path / "x.npy")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert translate_main(args + ["--direction", "a2b", "--out", str(tmp_path / "no" / "x.npy")]) == 1
    err = capsys.readouterr().err
    assert "does not exist: create it" in err and "Traceback" not in err


def test_the_bundled_translators_load_and_translate():
    """pretrained/colorize (with the cycle loss) and pretrained/colorize-nocycle (without)."""
    from pathlib import Path

    pretrained = Path(__file__).resolve().parents[1] / "pretrained"
    for name, cycle_weight in (("colorize", 10.0), ("colorize-nocycle", 0.0)):
        folder = pretrained / name
        assert is_translator(folder) and read_card(folder).data.cycle_weight == cycle_weight
        colour = translate(load_translator(folder), torch.zeros(2, 28, 28, dtype=torch.uint8), "a2b")
        assert colour.shape == (2, 3, 28, 28)
