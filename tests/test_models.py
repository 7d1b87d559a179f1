"""Every registered architecture: shapes, finiteness, labels, Hub-format round trip, strict loading."""

import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from gan_models import (ModelLoadError, create_model, generate, grid, list_models, load_generator, read_card,
                        save_generator, training_recipe)

CASES = [(arch, nc, ch) for arch in list_models() for nc, ch in [(0, 1), (10, 1), (0, 3)]]


def make(arch: str, num_classes: int = 0, channels: int = 1):
    torch.manual_seed(0)
    return create_model(arch, num_classes=num_classes, channels=channels)


def test_registry_lists_both_classic_architectures():
    assert {"mlp", "dcgan"} <= set(list_models())


def test_architectures_may_register_a_training_recipe():
    assert training_recipe("dcgan") == {"loss": "hinge", "spectral_norm": True}
    assert training_recipe("mlp") == {}
    with pytest.raises(ValueError, match="known architectures"):
        training_recipe("nope")


def test_unknown_architecture_lists_known_ones():
    with pytest.raises(ValueError, match="known architectures: .*dcgan.*mlp"):
        create_model("dcgn")


@pytest.mark.parametrize("arch,num_classes,channels", CASES)
def test_shapes_and_finite_outputs(arch, num_classes, channels):
    G, D = make(arch, num_classes, channels)
    G.eval()
    z = torch.randn(5, G.latent_dim)
    y = torch.arange(5) if num_classes else None
    x = G(z, y)
    assert x.shape == (5, channels, 28, 28)
    assert torch.isfinite(x).all() and x.min() >= -1 and x.max() <= 1
    logits = D(x, y)
    assert logits.shape == (5,) and torch.isfinite(logits).all()


@pytest.mark.parametrize("arch", list_models())
def test_conditional_models_honour_labels(arch):
    G, D = make(arch, num_classes=10)
    G.eval()
    z = torch.randn(1, G.latent_dim).repeat(10, 1)
    x = G(z, torch.arange(10))
    # Same noise, different digit: every image must differ from every other.
    assert all(not torch.equal(x[i], x[j]) for i in range(10) for j in range(i + 1, 10))
    assert not torch.equal(D(x, torch.zeros(10, dtype=torch.long)), D(x, torch.ones(10, dtype=torch.long)))
    with pytest.raises(ValueError, match="class-conditional"):
        G(z)


@pytest.mark.parametrize("arch,num_classes,channels", CASES)
def test_save_load_round_trip(tmp_path, arch, num_classes, channels):
    G, _ = make(arch, num_classes, channels)
    G.eval()
    save_generator(G, tmp_path, card={"loss": "ns", "steps": 0})
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architecture"] == arch and config["num_classes"] == num_classes
    assert (tmp_path / "README.md").read_text().startswith("---")
    loaded = load_generator(tmp_path)
    assert not loaded.training
    z = torch.randn(4, G.latent_dim)
    y = torch.arange(4) if num_classes else None
    assert torch.equal(G(z, y), loaded(z, y))


def test_the_weights_file_is_as_readable_as_the_other_files(tmp_path):
    old = os.umask(0o022)
    try:
        save_generator(make("mlp")[0], tmp_path)
    finally:
        os.umask(old)
    modes = {f.name: f.stat().st_mode & 0o777 for f in tmp_path.iterdir()}
    assert modes == dict.fromkeys(["model.safetensors", "config.json", "README.md"], 0o644)


def test_card_fields_given_to_save_generator_win_over_the_defaults(tmp_path):
    save_generator(make("mlp")[0], tmp_path, card={"license": "apache-2.0", "tags": ["mine"]})
    card = read_card(tmp_path).data
    assert card.license == "apache-2.0" and card.tags == ["mine"] and card.datasets == ["ylecun/mnist"]


def test_strict_load_names_every_mismatch(tmp_path):
    G, _ = make("dcgan")
    save_generator(G, tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    state.pop("project.0.weight")
    state["extra.weight"] = torch.zeros(1)
    state["net.3.weight"] = torch.zeros(3, 3)
    state["net.0.weight"] = state["net.0.weight"].long()
    save_file(state, tmp_path / "model.safetensors")
    with pytest.raises(ModelLoadError) as err:
        load_generator(tmp_path)
    message = str(err.value)
    assert "missing: project.0.weight" in message
    assert "unexpected: extra.weight" in message
    assert "net.3.weight (3, 3)" in message
    assert "numbers of another kind (file != model): net.0.weight torch.int64 != torch.float32" in message


def test_weights_with_nan_are_refused(tmp_path):
    G, _ = make("mlp")
    save_generator(G, tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    name = next(k for k, t in state.items() if t.is_floating_point())
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, tmp_path / "model.safetensors")
    with pytest.raises(ModelLoadError, match=f"hold NaN or infinite values in {name}: the run that wrote them"):
        load_generator(tmp_path)


def test_the_api_names_a_bad_argument(tmp_path):
    G = create_model("dcgan", num_classes=10, width=8)[0]
    for kwargs, message in [({"n": 0}, "n must be a whole number, at least 1"), ({"n": 2.5}, "n must be a whole"),
                            ({"digit": "3"}, "digit must be a whole number from 0 to 9"),
                            ({"batch_size": 0}, "batch_size must be a whole number"),
                            ({"truncation": "1"}, "truncation must be positive"),
                            ({"seed": -1}, "seed must be a whole number from 0 to 4,294,967,295")]:
        with pytest.raises(ValueError, match=message):
            generate(G, **{"n": 4, "seed": 0, **kwargs})
    assert torch.equal(generate(G, 4, np.int64(3)), generate(G, 4, 3))
    save_generator(G, tmp_path / "run" / "model", card={"steps": 7})
    assert read_card(tmp_path / "run").data.steps == 7  # a run folder, as load_generator takes it
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        load_generator(tmp_path / "run", device="gpu")


def test_config_mismatch_is_reported(tmp_path):
    G, _ = make("dcgan")
    save_generator(G, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["width"] = 32
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="mis-shaped"):
        load_generator(tmp_path)


def test_config_can_only_name_registered_architectures(tmp_path):
    G, _ = make("mlp")
    save_generator(G, tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "os.system", "latent_dim": 100}))
    with pytest.raises(ModelLoadError, match="unknown architecture 'os.system'; known architectures"):
        load_generator(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "mlp", "depth": 3}))
    with pytest.raises(ModelLoadError, match="bad config for architecture 'mlp'"):
        load_generator(tmp_path)


@pytest.mark.parametrize("config", [{"architecture": ["mlp"]}, {"architecture": "mlp", "latent_dim": -1},
                                    {"architecture": "mlp", "latent_dim": "x"}, {"architecture": "dcgan", "width": 2.5}])
def test_config_values_the_layers_refuse_are_a_load_error(tmp_path, config):
    save_generator(make("mlp")[0], tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="config.json"):
        load_generator(tmp_path)


@pytest.mark.parametrize("arch", list_models())
def test_generate_draws_in_eval_mode_and_leaves_the_model_as_it_was(arch):
    G = create_model(arch).generator  # fresh from the factory: in train mode
    stats = [b.clone() for b in G.buffers()]
    generate(G, 1, seed=3)  # batch statistics of a single sample would fail
    five = generate(G, 5, seed=3)
    assert G.training and all(torch.equal(a, b) for a, b in zip(stats, G.buffers()))
    assert torch.equal(five, generate(G.eval(), 5, seed=3))


def test_generate_draws_from_a_bf16_model_too():
    G = create_model("dcgan", num_classes=10)[0].eval()
    half = generate(G.to(torch.bfloat16), 8, seed=1, digit=4)
    assert half.dtype == torch.uint8 and half.shape == (8, 1, 28, 28)


def test_corrupt_weights_file_is_reported(tmp_path):
    G, _ = make("mlp")
    save_generator(G, tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="missing or corrupt"):
        load_generator(tmp_path)


def test_missing_source_is_reported(tmp_path):
    with pytest.raises(ModelLoadError, match="has no config.json"):
        load_generator(tmp_path)
    with pytest.raises(ModelLoadError, match="neither a folder nor a Hub repo id"):
        load_generator(tmp_path / "nope")


def test_a_missing_local_folder_that_looks_like_a_repo_id_is_named_as_both(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("offline")
    monkeypatch.setattr("gan_models.hub.snapshot_download", offline)
    with pytest.raises(ModelLoadError, match="could not fetch 'pretrained/nope' from the Hugging Face Hub, "
                                             "and it is no folder in .* either"):
        load_generator("pretrained/nope")


@pytest.mark.parametrize("arch", list_models())
def test_label_weights_blend_between_digits(arch):
    G, _ = make(arch, num_classes=10)
    G.eval()
    z = torch.randn(3, G.latent_dim)
    one_hot = torch.eye(10)[[3, 5, 3]]
    with torch.no_grad():
        assert torch.allclose(G(z, one_hot), G(z, torch.tensor([3, 5, 3])), atol=1e-6)
        mixed = G(z[:1], (one_hot[:1] + one_hot[1:2]) / 2)
    assert not torch.allclose(mixed, G(z[:1], torch.tensor([3]))) and torch.isfinite(mixed).all()


def test_dcgan_latent_codes_switch_the_image_and_travel_with_the_weights(tmp_path):
    torch.manual_seed(0)
    G, D = create_model("dcgan", codes=10)
    G.eval()
    z = torch.randn(1, G.latent_dim).repeat(10, 1)
    z[:, :10] = torch.eye(10) * 5  # the same noise with each of the ten codes
    x = G(z)
    assert all(not torch.equal(x[i], x[j]) for i in range(10) for j in range(i + 1, 10))
    scores, code_logits, _ = D(x, with_codes=True)  # no continuous codes: None
    assert scores.shape == (10,) and code_logits.shape == (10, 10)
    assert torch.equal(D(x), scores)
    save_generator(G, tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["codes"] == 10
    assert torch.equal(load_generator(tmp_path)(z), x)


def test_a_late_code_reaches_g_only_at_14x14_and_travels_with_the_weights(tmp_path):
    torch.manual_seed(0)
    G, _ = create_model("dcgan", codes=10, continuous=2, late_codes=1, width=8)
    G.eval()
    seen = []
    G.project.register_forward_hook(lambda module, x, y: seen.append(y))
    z = torch.randn(1, G.latent_dim).repeat(3, 1)
    z[:, 11] = torch.tensor([-2.0, 0.0, 2.0])  # the late code, from -0.95 to 0.95
    x = G(z)
    assert torch.equal(seen[0][0], seen[0][1]) and torch.equal(seen[0][1], seen[0][2])  # the 7×7 layers never see it
    assert not torch.allclose(x[0], x[2])  # ...yet it changes the digit
    save_generator(G, tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["late_codes"] == 1
    assert torch.equal(load_generator(tmp_path)(z), x)


@pytest.mark.parametrize("n, channels, nrow", [(1, 1, None), (5, 1, None), (64, 1, 8), (10, 3, 3), (7, 1, 200)])
def test_grid_lays_out_images_as_torchvision_make_grid_does(n, channels, nrow):
    from torchvision.utils import make_grid

    images = torch.randint(0, 256, (n, channels, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(n))
    expected = make_grid(images, nrow=nrow or max(1, round(n ** 0.5)), padding=2)[:channels]
    assert torch.equal(grid(images, nrow), expected)


def test_card_says_a_code_steers_a_measure_only_when_its_direction_holds_across_latents():
    from gan_models.card import _codes_line

    line = _codes_line({"code 1": {"slant": {"rho": 0.99, "abs_rho": 1.0}, "controls": "slant"},
                        "code 2": {"thickness": {"rho": -0.3, "abs_rho": 0.8}, "controls": "thickness"}})
    assert "code 1 steers slant (Spearman ρ +0.99)" in line
    assert "code 2 changes thickness, in a direction that varies by latent (median |ρ| 0.80)" in line
