"""Where a GPU training step's time goes: kernels, one graph replay, and the whole loop's step.

    python benchmarks/step_profile.py --data-dir ../shared/data        # needs a CUDA GPU

For three runs (the train_speed recipe of DCGAN and of the MLP at batch 64, and DCGAN's default
recipe at batch 128) it trains 600 steps with CUDA graphs and, at step 150, measures:
- kernels: the CUDA kernels of one step run eagerly under torch.profiler, and their summed time;
- replay_ms: the mean time of 200 replays of the captured step alone;
- loop: the median step time of `training.run`'s loop (from its logged images/s).
A loop step near replay_ms means the step is bound by the GPU's kernels, not by Python. The
profiler's table of the eager step goes to stderr.
"""

import sys
import tempfile
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

import training.trainer as trainer
from training.train import train
from training.config import TrainConfig
from training.flags import add_settings, script_parser
from training.cuda_graph import GraphedStep
from training.report import read_metrics

RUNS = {"bench-dcgan-64": dict(arch="dcgan", loss="ns", spectral_norm=False, ema=False, batch_size=64),
        "bench-mlp-64": dict(arch="mlp", loss="ns", spectral_norm=False, ema=False, batch_size=64),
        "default-dcgan-128": dict(arch="dcgan", batch_size=128)}
found = {}


class ProbedStep(GraphedStep):
    """A GraphedStep that measures itself once, at its 150th call."""

    calls = 0

    def __call__(self, *inputs):
        ProbedStep.calls += 1
        if ProbedStep.calls == 150:
            try:
                torch.cuda.synchronize()
                with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as prof:
                    self.fn(*inputs)  # one more real training step, run eagerly
                    torch.cuda.synchronize()
                kernels = [e for e in prof.events() if str(getattr(e, "device_type", "")).endswith("CUDA")]
                found["kernels"] = len(kernels)
                found["kernel_ms"] = sum(e.time_range.elapsed_us() for e in kernels) / 1000
                print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25), file=sys.stderr)
            except Exception as err:  # a profiler that cannot trace here still leaves the timings
                found["profile_error"] = repr(err)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            for _ in range(200):
                self.graph.replay()
            end.record()
            torch.cuda.synchronize()
            found["replay_ms"] = start.elapsed_time(end) / 200
        return super().__call__(*inputs)


def main() -> None:
    p = script_parser("python benchmarks/step_profile.py", __doc__)
    add_settings(p, ["data_dir"], defaults={"data_dir": "../shared/data"})
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("step_profile.py measures CUDA graphs: run it on a machine with a CUDA GPU")
    trainer.GraphedStep = ProbedStep
    for name, settings in RUNS.items():
        found.clear()
        ProbedStep.calls = 0
        with tempfile.TemporaryDirectory() as out:
            train(TrainConfig(steps=600, log_every=100, sample_every=10**9, checkpoint_every=10**9,
                                      data_dir=args.data_dir, out=out, device="cuda", **settings))
            records = read_metrics(Path(out) / "metrics.jsonl")
        rates = sorted(r["images_per_s"] for r in records[2:])
        loop_ms = 1000 * settings["batch_size"] / rates[len(rates) // 2]
        print(f"{name}: loop {loop_ms:.3f} ms/step, {found}", flush=True)


if __name__ == "__main__":
    main()
