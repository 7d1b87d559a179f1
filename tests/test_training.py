"""The shared trainer: outputs, every loss, schedules, divergence, Stacked MNIST, compile, EMA."""

import json
import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from gan_models import create_model, list_models, load_generator, read_card
from training import data as data_module, trainer as train_module
from training.data import DataNotFoundError
from training.losses import LOSSES, code_loss, d_loss, g_loss, gradient_penalty
from training.run import parse_args
from training.config import TrainConfig
from training.schedule import code_weight, ema_decay, settling
from training.stabilize import update_ema
from training.train import TrainingDiverged, train


def config(tmp_path: Path, data: Path, **kwargs) -> TrainConfig:
    base = dict(steps=6, batch_size=16, log_every=2, sample_every=3, checkpoint_every=3,
                data_dir=str(data), out=str(tmp_path / "run"))
    return TrainConfig(**{**base, **kwargs})


@pytest.mark.parametrize("arch,conditional", [(a, False) for a in list_models()] + [("dcgan", True)])
def test_run_writes_every_output(tmp_path, mnist_dir, arch, conditional, capsys):
    model_dir = train(config(tmp_path, mnist_dir, arch=arch, conditional=conditional, ema=True))
    width = load_generator(model_dir).config.get("width")
    model = f"{arch} (width {width})" if width else arch
    assert f"training {model} on {read_card(model_dir).data['training_device']}, " in capsys.readouterr().err
    run = tmp_path / "run"
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step_000003.png", "step_000006.png"]
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4, 6]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "images_per_s"):
        assert all(torch.isfinite(torch.tensor(r[key])) for r in records), key
    assert (run / "losses.png").exists() and (run / "checkpoints" / "last.pt").exists()
    assert {p.name for p in model_dir.iterdir()} >= {"model.safetensors", "config.json", "README.md", "samples.png"}
    card = (model_dir / "README.md").read_text()
    # Two CPUs of one name can differ threefold in speed: a card's training time names the instructions too.
    vectors = torch.backends.cpu.get_cpu_capability()  # AVX2, AVX512...; DEFAULT where torch uses none
    device = read_card(model_dir).data["training_device"]
    assert not device.startswith("CPU") or vectors == "DEFAULT" or f", {vectors}" in device
    assert f"architecture: {arch}" in card and "training_command" in card and "batch_size: 16" in card
    G = load_generator(model_dir)
    assert G.num_classes == (10 if conditional else 0)


def test_width_sets_the_model_size_and_travels_with_the_weights(tmp_path, mnist_dir):
    model_dir = train(config(tmp_path, mnist_dir, arch="dcgan", width=8))
    G = load_generator(model_dir)
    assert G.config["width"] == 8 and G.net[0].out_channels == 8
    assert json.loads((model_dir / "config.json").read_text())["width"] == 8
    assert "--width 8" in parse_args(["--arch", "dcgan", "--width", "8"]).command


def test_infogan_codes_train_and_export(tmp_path, mnist_dir):
    model_dir = train(config(tmp_path, mnist_dir, arch="dcgan", codes=10))
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    # The code loss starts near ln 10: D cannot yet tell the codes apart.
    assert all(0 < r["code_loss"] < 3 for r in records)
    assert load_generator(model_dir).codes == 10
    with pytest.raises(ValueError, match="code_weight must be a number above 0"):
        TrainConfig(codes=10, code_weight=0)


def test_code_weight_fades_over_the_opening_share():
    fading = TrainConfig(codes=10, code_weight=0.8, code_fade=0.5)
    assert [code_weight(step, 8, 0.0, fading) for step in (0, 2, 4, 6)] == [0.8, 0.4, 0.0, 0.0]
    assert code_weight(6, 8, 0.0, TrainConfig(codes=10, code_weight=0.8)) == 0.8
    with pytest.raises(ValueError, match="code_fade is a share of the run"):
        TrainConfig(codes=10, code_fade=1.5)


def test_ema_averages_the_last_twentieth_of_the_steps_up_to_its_cap():
    assert ema_decay(0, 0.999) < 0.1  # the random start is gone after a few updates
    for step in (1_000, 5_000, 15_000):
        steps_averaged = 1 / (1 - ema_decay(step, 0.9999))
        assert 0.04 * step < steps_averaged < 0.06 * step
    assert ema_decay(19_000, 0.999) == ema_decay(10**6, 0.999) == 0.999


def test_code_loss_is_cross_entropy_against_the_codes_in_z():
    z = torch.zeros(3, 100)
    z[0, 2] = z[1, 7] = z[2, 0] = 1.0
    logits = torch.full((3, 10), -9.0)
    logits[0, 2] = logits[1, 7] = logits[2, 0] = 9.0
    assert code_loss(logits, z, 10) < 1e-6
    assert code_loss(logits.roll(1, dims=1), z, 10) > 10


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_gives_finite_gradients(loss):
    torch.manual_seed(0)
    G, D = create_model("dcgan", width=8, num_classes=10)
    z, y = torch.randn(8, G.latent_dim), torch.randint(10, (8,))
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    fake = G(z, y)
    ld = d_loss(loss, D(real, y), D(fake.detach(), y))
    if loss == "wgan-gp":
        ld = ld + 10 * gradient_penalty(D, real, fake, y)
    ld.backward()
    assert all(torch.isfinite(p.grad).all() for p in D.parameters() if p.grad is not None)
    D.zero_grad()
    g_loss(loss, D(fake, y)).backward()
    grads = [p.grad for p in G.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


@pytest.mark.parametrize("loss", ["minimax", "hinge", "wgan-gp"])
def test_each_loss_trains_end_to_end(tmp_path, mnist_dir, loss):
    model_dir = train(config(tmp_path, mnist_dir, arch="mlp", loss=loss, steps=4))
    assert f"loss: {loss}" in (model_dir / "README.md").read_text()


def test_minimax_generator_gradient_saturates_where_ns_does_not():
    # D confidently rejects the fakes: logits far below zero, as early in training.
    logits = torch.full((16,), -8.0, requires_grad=True)
    (grad_minimax,) = torch.autograd.grad(g_loss("minimax", logits), logits)
    (grad_ns,) = torch.autograd.grad(g_loss("ns", logits), logits)
    assert grad_minimax.abs().max() < 1e-3 * grad_ns.abs().max()


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path, mnist_dir, monkeypatch):
    calls = {"n": 0}
    real_d_loss = train_module.d_loss

    def poisoned(*args):
        calls["n"] += 1
        loss = real_d_loss(*args)
        return loss * float("nan") if calls["n"] > 4 else loss

    monkeypatch.setattr(train_module, "d_loss", poisoned)
    with pytest.raises(TrainingDiverged, match=r"NaN or infinite.*checkpoint.*step 3"):
        train(config(tmp_path, mnist_dir, steps=10))
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    assert ckpt["step"] == 3
    assert all(torch.isfinite(v).all() for v in ckpt["generator"].values() if v.is_floating_point())


def test_stacked_mnist_with_spectral_norm(tmp_path, mnist_dir):
    model_dir = train(config(tmp_path, mnist_dir, dataset="stacked-mnist", spectral_norm=True, steps=3))
    G = load_generator(model_dir)
    assert G.channels == 3 and G.num_classes == 0
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    assert any("parametrizations" in k for k in ckpt["discriminator"])


def test_a_failed_download_leaves_no_folder_it_made(tmp_path, monkeypatch):
    def offline(root: str, train: bool, download: bool):
        if download:  # as torchvision does: the folders first, then the network
            (Path(root) / "MNIST" / "raw").mkdir(parents=True, exist_ok=True)
            raise OSError("no network")
        raise RuntimeError("Dataset not found")
    monkeypatch.setattr(data_module, "MNIST", offline)
    with pytest.raises(DataNotFoundError, match="typo"):
        data_module.load_mnist(tmp_path / "typo" / "data")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DataNotFoundError):
        data_module.load_mnist(tmp_path)
    assert tmp_path.is_dir()  # a folder that was there before stays


def test_stacked_batches_are_three_random_digits():
    from training.data import DigitBatches
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1).expand(10, 28, 28).contiguous()
    batches = DigitBatches(images, torch.arange(10), batch_size=64, seed=0, device=torch.device("cpu"),
                           stacked=True)
    x, y = batches(0)
    assert x.shape == (64, 3, 28, 28)
    digits = ((x[:, :, 0, 0] + 1) * 127.5).round().long()  # pixel value = digit, by construction
    assert torch.equal(y, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2])
    assert len(set(y.tolist())) > 40, "triples are drawn at random"
    assert torch.equal(batches(0)[1], y) and not torch.equal(batches(1)[1], y)


def test_compiled_run_saves_plain_names(tmp_path, mnist_dir):
    model_dir = train(config(tmp_path, mnist_dir, arch="mlp", compile=True, steps=2, checkpoint_every=2))
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    names = [*ckpt["generator"], *ckpt["discriminator"], *load_file(model_dir / "model.safetensors")]
    assert names and not any("_orig_mod" in n or n.startswith("module.") for n in names)


def test_learning_rate_and_top_k_settle_over_the_closing_share(tmp_path, mnist_dir):
    cfg = config(tmp_path, mnist_dir, arch="mlp", steps=8, lr_decay=0.5, lr=1e-3, top_k=0.5)
    settled = [settling(step, 8, 0.0, cfg) for step in range(8)]
    assert settled == [0, 0, 0, 0, 0, 0.25, 0.5, 0.75]
    timed = TrainConfig(lr_decay=0.5, time_limit=100)
    assert settling(0, 10**6, 75.0, timed) == 0.5  # the time limit ends this run sooner
    assert settling(7, 8, 0.0, TrainConfig(lr_decay=0.0)) == 0

    seen = []
    real_g_loss = train_module.g_loss
    with pytest.MonkeyPatch.context() as patch:  # the generator loss sees only the kept fakes
        patch.setattr(train_module, "g_loss", lambda loss, fake: seen.append(len(fake)) or real_g_loss(loss, fake))
        train(cfg)
    assert seen == [16, 16, 16, 16, 16, 14, 12, 10]  # batch 16: all, then 1 - 0.5 × settled of it
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    for opt in ("opt_g", "opt_d"):
        assert ckpt[opt]["param_groups"][0]["lr"] == pytest.approx(0.25e-3)
    for bad in (["--lr-decay", "1.5"], ["--top-k", "0"], ["--top-k", "0.5", "--lr-decay", "0"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_a_time_limit_alone_sets_the_run_s_length(tmp_path, mnist_dir):
    per_epoch = 1875  # batches of 32
    assert train_module.run_length(TrainConfig(time_limit=900), per_epoch) == math.inf  # not cut at 5 epochs
    assert train_module.run_length(TrainConfig(time_limit=900, steps=7), per_epoch) == 7
    assert train_module.run_length(TrainConfig(time_limit=900, epochs=2), per_epoch) == 2 * per_epoch
    assert train_module.run_length(TrainConfig(), per_epoch) == 5 * per_epoch
    model_dir = train(config(tmp_path, mnist_dir, arch="mlp", steps=None, time_limit=1.0))
    assert read_card(model_dir).data.steps > 0


def test_set_lr_fills_a_captured_step_s_rate_in_place():
    rate = torch.tensor(0.1)  # a CUDA graph reads the rate from this tensor, so it must stay the same object
    optimizers = (torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=rate),
                  torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=0.1))
    train_module.set_lr(optimizers, 0.05)
    assert optimizers[0].param_groups[0]["lr"] is rate and rate.item() == pytest.approx(0.05)
    assert optimizers[1].param_groups[0]["lr"] == 0.05


def test_ema_update_takes_its_decay_as_a_number_or_a_tensor():
    torch.manual_seed(0)
    G, by_number, by_tensor = create_model("dcgan")[0], create_model("dcgan")[0], create_model("dcgan")[0]
    by_tensor.load_state_dict(by_number.state_dict())
    G(torch.randn(8, G.latent_dim))  # train mode: BatchNorm statistics move away from the fresh copies
    assert not all(torch.equal(a, b) for a, b in zip(G.buffers(), by_tensor.buffers()))
    before = [p.clone() for p in by_number.parameters()]
    update_ema(by_number, G, 0.9)
    update_ema(by_tensor, G, torch.tensor(0.9))
    for old, new, live, other in zip(before, by_number.parameters(), G.parameters(), by_tensor.parameters()):
        assert torch.allclose(new, 0.9 * old + 0.1 * live, atol=1e-6)
        assert torch.allclose(other, new, atol=1e-6)
    assert all(torch.equal(a, b) for a, b in zip(G.buffers(), by_tensor.buffers()))
