"""Training steps replayed as CUDA graphs: the same training as eager steps, and resumable.

The tests that capture graphs need a CUDA GPU; one runs the graphed loop's plumbing on the CPU."""

from pathlib import Path

import pytest
import torch

from gan_models import load_generator, sample_latents
from training import trainer as train_module
from training.config import TrainConfig
from training.cuda_graph import GraphedStep
from training.report import read_metrics
from training.run import main as run_main
from training.train import train

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def config(tmp_path: Path, data: Path, **kwargs) -> TrainConfig:
    """A dozen fp32 steps (tight tolerances), with samples and checkpoints between graph replays."""
    base = dict(steps=12, batch_size=16, log_every=4, sample_every=3, checkpoint_every=3, precision="fp32",
                data_dir=str(data), out=str(tmp_path / "run"))
    return TrainConfig(**{**base, **kwargs})


def trained_state(out: Path, model_dir: Path, device: str = "cuda") -> tuple[torch.Tensor, dict, list[dict]]:
    """What a run ended with: its generator's samples from fixed latents, D's weights, and its logged numbers."""
    z = sample_latents(16, 100, seed=3, device=device)
    G = load_generator(model_dir, device=device)
    with torch.no_grad():
        samples = G(z, torch.arange(16, device=device) % 10 if G.num_classes else None)
    D = torch.load(out / "checkpoints" / "last.pt", weights_only=True)["discriminator"]
    return samples, D, read_metrics(out / "metrics.jsonl")


def assert_same_training(a, b) -> None:
    # A dozen Adam steps move each weight by about 12 × lr = 2.4e-3: a step the graph got wrong shows.
    (samples_a, d_a, log_a), (samples_b, d_b, log_b) = a, b
    assert torch.allclose(samples_a, samples_b, atol=1e-3)
    assert d_a.keys() == d_b.keys() and all(torch.allclose(d_a[k], d_b[k], rtol=1e-3, atol=2e-5) for k in d_a)
    by_step_a, by_step_b = ({r["step"]: r for r in log} for log in (log_a, log_b))
    common = by_step_a.keys() & by_step_b.keys()
    assert 12 in common
    for step in common:
        x, y = by_step_a[step], by_step_b[step]
        assert x.keys() == y.keys()
        assert all(x[k] == pytest.approx(y[k], rel=1e-3, abs=1e-5) for k in x.keys() - {"images_per_s"}), step


CUDA_GRAPH_RUNS = {"dcgan": dict(arch="dcgan"), "mlp": dict(arch="mlp"),
                   "codes-decay": dict(arch="dcgan", conditional=True, codes=10, code_fade=0.5, lr_decay=0.5)}


@needs_cuda
@pytest.mark.parametrize("name", CUDA_GRAPH_RUNS)
def test_cuda_graph_steps_train_as_eager_ones_do(tmp_path, mnist_dir, name, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    runs = []
    for graphs in (False, True):
        out = tmp_path / f"graphs-{graphs}"
        model_dir = train(config(tmp_path, mnist_dir, device="cuda", cuda_graphs=graphs, out=str(out),
                                 **CUDA_GRAPH_RUNS[name]))
        runs.append(trained_state(out, model_dir))
    assert_same_training(*runs)


@needs_cuda
def test_cuda_graph_run_resumes_where_it_stopped(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    runs = []
    for name, stops in (("whole", [12]), ("parts", [6, 12])):
        for steps in stops:
            model_dir = train(config(tmp_path, mnist_dir, steps=steps, device="cuda", out=str(tmp_path / name),
                                     resume=steps != stops[0]))
        runs.append(trained_state(tmp_path / name, model_dir))
    assert_same_training(*runs)


class UncapturedStep:
    """GraphedStep's interface without a GPU: calls the step as the graph would, every time."""

    def __init__(self, fn, warmup: int = 3):
        self.fn = fn

    def __call__(self, *inputs):
        return self.fn(*inputs)


def test_graphed_loop_feeds_its_step_the_numbers_the_eager_loop_uses(tmp_path, mnist_dir, monkeypatch):
    # CI has no GPU: this runs the graphed loop's own plumbing (a tensor learning rate, code weight
    # and EMA decay, filled each step) on the CPU, against the eager loop.
    kw = CUDA_GRAPH_RUNS["codes-decay"]
    runs = []
    for graphs in (False, True):
        out = tmp_path / f"graphs-{graphs}"
        with monkeypatch.context() as patch:
            if graphs:
                patch.setattr(train_module, "graphable", lambda cfg, device: True)
                patch.setattr(train_module, "GraphedStep", UncapturedStep)
            model_dir = train(config(tmp_path, mnist_dir, out=str(out), **kw))
        runs.append(trained_state(out, model_dir, device="cpu"))
    assert_same_training(*runs)
    ckpt = torch.load(tmp_path / "graphs-True" / "checkpoints" / "last.pt", weights_only=True)
    assert torch.is_tensor(ckpt["opt_g"]["param_groups"][0]["lr"])  # the graphed loop did run


def test_a_step_that_cannot_be_captured_is_one_clear_error(tmp_path, mnist_dir, monkeypatch, capsys):
    class Refused:  # torch.cuda.graph meeting an op that cannot be captured
        def __init__(self, graph):
            pass

        def __enter__(self):
            raise RuntimeError("operation not permitted when stream is capturing")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(torch.cuda, "CUDAGraph", object)
    monkeypatch.setattr(torch.cuda, "graph", Refused)
    monkeypatch.setattr(train_module, "graphable", lambda cfg, device: True)
    monkeypatch.setattr(train_module, "GraphedStep", lambda fn: GraphedStep(fn, warmup=0))
    code = run_main(["--arch", "mlp", "--steps", "4", "--batch-size", "16", "--device", "cpu",
                     "--data-dir", str(mnist_dir), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "error: the training step could not be captured as a CUDA graph (operation not permitted" in err
    assert "rerun the same command with --no-cuda-graphs" in err
