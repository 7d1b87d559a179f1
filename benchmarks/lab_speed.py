"""The Lab against `training.run`: its training speed with the page's updates going, the time from
Start to the first grid, and what the MLP learns in a minute at the Lab's defaults.

    python benchmarks/lab_speed.py --data-dir ../shared/data                 # speed and first grid
    python benchmarks/lab_speed.py --data-dir ../shared/data --quality 60    # and a 60 s MLP, scored

Each speed is images per second after the first update (the warm-up); the Lab's includes drawing
every update as the page gets it (grids, curves, meter). Prints Markdown tables.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from training.flags import script_parser

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def lab_speed(settings: dict, seconds: float) -> float:
    """Images/s of a Lab run of `settings`, its updates drawn as the page would, after the first update."""
    from playground import lab_plots
    from playground.images import png
    from playground.lab_run import LabRun

    run = LabRun([settings])
    run.start(seconds)
    first, last, seen = None, None, 0
    while (snapshot := run.wait(seen, timeout=5)) is not None:
        seen = snapshot.version
        outputs = lab_plots.update(snapshot, run.toy, 1)
        png(outputs[1])  # what Gradio does with the picture
        first = first or snapshot
        last = snapshot
        if snapshot.done:
            break
    run.stop()
    batch = run.trainers[0].data.batch_size * run.trainers[0].cfg.d_steps
    return (last.steps[0] - first.steps[0]) * batch / (last.seconds - first.seconds)


def run_speed(arch: str, batch_size: int, steps: int, data_dir: str) -> float:
    """Images/s of `python -m training.run` with the Lab's settings, in a process of its own as it runs
    (as train_speed.py measures it)."""
    from training.report import read_metrics

    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "training.run", "--arch", arch, "--loss", "ns", "--no-spectral-norm",
                        "--ema", "--steps", str(steps), "--batch-size", str(batch_size), "--log-every",
                        str(max(1, steps // 6)), "--sample-every", str(10**9), "--checkpoint-every", str(10**9),
                        "--checkpoint-seconds", "1e9", "--data-dir", data_dir, "--out", out],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        records = read_metrics(Path(out) / "metrics.jsonl")
    windows = [(b["step"] - a["step"], b["images_per_s"]) for a, b in zip(records, records[1:])]
    return sum(n for n, _ in windows) / sum(n / rate for n, rate in windows)


def first_grid_seconds(settings: dict) -> float:
    """Seconds from calling the Lab's Start function to its first update, on a warm process."""
    from playground import lab

    began = time.perf_counter()
    stream = lab.lab(**settings, seconds=5)
    next(stream)
    elapsed = time.perf_counter() - began
    stream.close()
    return elapsed


def quality(seconds: float) -> dict:
    """Train the MLP for `seconds` at the Lab's defaults, keep it as Download would, and score it."""
    from playground import lab
    from training.evaluate import evaluate_generator

    import gan_models

    class Request:
        session_hash = "benchmark"

    for _ in lab.lab(arch="mlp", seconds=seconds, request=Request()):
        pass
    folder = lab._export(lab._runs["benchmark"])
    return evaluate_generator(gan_models.load_generator(folder), n=10_000)


def main(argv: list[str] | None = None) -> int:
    p = script_parser("python benchmarks/lab_speed.py", __doc__)
    p.add_argument("--data-dir", default="../shared/data", help="folder holding MNIST/raw/")
    p.add_argument("--archs", nargs="+", default=["mlp", "dcgan"], help="architectures to time")
    p.add_argument("--seconds", type=float, default=20, help="seconds of each Lab run timed")
    p.add_argument("--repeats", type=int, default=2, help="turns of each measurement")
    p.add_argument("--quality", type=float, default=0, help="also train the MLP this long and score it (0: no)")
    args = p.parse_args(argv)
    os.environ["DIGITGAN_DATA_DIR"] = str(Path(args.data_dir).resolve())
    import torch

    from training.defaults import default_batch_size

    batch = default_batch_size("auto")
    print(f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, batch {batch} (the CPU default), "
          f"loss ns, EMA on, no spectral norm\n")
    torch.set_num_threads(1)  # as app.py serves: the Lab's run thread takes its own count
    print("| arch | training.run img/s | Lab img/s | Lab / training.run |\n|---|---:|---:|---:|")
    for arch in args.archs:
        settings = {"arch": arch, "loss": "ns", "batch_size": batch, "ema": True, "spectral_norm": False}
        ratios, ours, theirs = [], [], []
        for _ in range(args.repeats):  # in turns: a shared machine's speed drifts from minute to minute
            theirs.append(run_speed(arch, batch, int(args.seconds * 40), args.data_dir))
            ours.append(lab_speed(settings, args.seconds))
            ratios.append(ours[-1] / theirs[-1])
        print(f"| {arch} | {statistics.median(theirs):,.0f} | {statistics.median(ours):,.0f} | "
              f"{statistics.median(ratios):.0%} ({min(ratios):.0%}–{max(ratios):.0%}) |")
    waits = [first_grid_seconds({"arch": arch}) for arch in args.archs for _ in range(3)]
    print(f"\nStart → first update, warm: median {statistics.median(waits):.2f} s, max {max(waits):.2f} s "
          f"({', '.join(args.archs)}, 3 each)")
    if args.quality:
        scores = quality(args.quality)
        print(f"\nMLP at the Lab's defaults, {args.quality:g} s, scored by training.evaluate (n = 10,000):\n")
        print("| " + " | ".join(k for k, v in scores.items() if not isinstance(v, list)) + " |")
        print("|" + "---|" * sum(not isinstance(v, list) for v in scores.values()))
        print("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in scores.values()
                                if not isinstance(v, list)) + " |")
        print("digit shares: " + ", ".join(f"{s:.3f}" for s in scores.get("hist", [])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
