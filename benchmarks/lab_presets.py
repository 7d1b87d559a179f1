"""Evidence for the Lab's presets (playground/presets.py): each is trained briefly, as the Lab trains
it, and measured by what its failure is about; one markdown table, a row per preset and seed.

    python benchmarks/lab_presets.py --data-dir ../shared/data                     # every preset, seed 0
    python benchmarks/lab_presets.py --data-dir ../shared/data --seeds 0 1 2 3 4   # robustness
    python benchmarks/lab_presets.py --presets "mode collapse (2-D)" --seeds 0 1 2

What each preset's row measures (runs A and B are the two values of its `compare`):
  vanishing gradient   median of G's gradient norm over the first steps, and digits present at the end
  mode collapse (2-D)  Gaussians covered by 1,000 fixed points (training.toy.coverage) at the end
  mode collapse        the collapse meter (training.meter) on 200 fixed samples at the end
  instability          the collapse meter along the run: its worst fall below its best so far
Numbers are per training step, so a busy CPU slows the script without changing them; tiny models
train on one thread, the fastest for them.
"""

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # playground/ sits beside the installed packages

from playground.presets import PRESETS, runs  # noqa: E402
from training import TrainConfig, Trainer  # noqa: E402
from training.meter import mode_meter  # noqa: E402
from training.toy import TOY_DATASETS, coverage, fake_points, toy_trainer  # noqa: E402
from training.flags import script_parser  # noqa: E402

TOY_SETTINGS = ("loss", "lr_g", "lr_d", "batch_size", "d_steps", "seed", "ema", "spectral_norm")
GRADIENT_STEPS = 200  # vanishing gradient: steps each run trains, the median taken over all of them
GRADIENT_GAP = 10  # ...and the factor by which minimax's median must be below the other's
TOY_STEPS = 2000  # mode collapse (2-D): steps before coverage is counted (seconds on a CPU)
COLLAPSE_STEPS = 2000  # mode collapse (MNIST): steps before the meter reads
COLLAPSED, SPREAD = 3, 7  # ...at most this many digits present for the collapsed run, at least this for the other
INSTABILITY_STEPS, INSTABILITY_EVERY = 3000, 250  # instability: its length, and steps between readings
REGRESSED = 3  # ...digits lost from the best reading so far, at the worst


def trainer_for(settings: dict, args: argparse.Namespace) -> Trainer:
    """A Trainer for one run of a preset, as the Lab builds it (2-D sets through training.toy)."""
    settings = dict(settings)
    dataset = settings.pop("dataset", "mnist")
    if dataset in TOY_DATASETS:
        return toy_trainer(dataset, **{k: settings[k] for k in TOY_SETTINGS if k in settings})
    return Trainer(TrainConfig(**settings, dataset=dataset, steps=10**9, data_dir=args.data_dir, device=args.device,
                               out=str(Path(args.out) / "run")))


def label(name: str, index: int) -> str:
    compare = PRESETS[name].get("compare")
    return f"{'AB'[index]} ({compare['setting']} {compare['values'][index]})" if compare else "A"


def vanishing_gradient(name: str, settings: list[dict], args) -> dict:
    medians, present = [], []
    for s in settings:
        trainer = trainer_for(s, args)
        medians.append(statistics.median(trainer.step()["g_grad_norm"] for _ in range(GRADIENT_STEPS)))
        present.append(mode_meter(trainer)["present"])
    cells = [f"median ‖∇G‖ {m:.2g}, {p} digits" for m, p in zip(medians, present)]
    gap = medians[1] / max(medians[0], 1e-30)
    return {"steps": GRADIENT_STEPS, "A": cells[0], "B": cells[1],
            "criterion": f"B / A = {gap:.2g} ≥ {GRADIENT_GAP}", "holds": gap >= GRADIENT_GAP}


def trained(settings: list[dict], steps: int, args) -> list[Trainer]:
    """Each run of a preset, trained `steps` steps."""
    trainers = [trainer_for(s, args) for s in settings]
    for trainer in trainers:
        for _ in range(steps):
            trainer.step()
    return trainers


def mode_collapse_2d(name: str, settings: list[dict], args) -> dict:
    covered = [coverage(fake_points(t, 1000), s["dataset"]) for t, s in zip(trained(settings, TOY_STEPS, args),
                                                                            settings)]
    cells = [f"{c['covered']} of {c['modes']} covered, quality {c['quality']:.2f}" for c in covered]
    modes = covered[0]["modes"]
    return {"steps": TOY_STEPS, "A": cells[0], "B": cells[1], "criterion": f"A covers all {modes}, B at most 2",
            "holds": covered[0]["covered"] == modes and covered[1]["covered"] <= 2}


def mode_collapse(name: str, settings: list[dict], args) -> dict:
    readings = [mode_meter(t) for t in trained(settings, COLLAPSE_STEPS, args)]
    cells = [f"{r['present']} digits, KL {r['kl']:.2f}" for r in readings]
    return {"steps": COLLAPSE_STEPS, "A": cells[0], "B": cells[1],
            "criterion": f"A ≥ {SPREAD} digits, B ≤ {COLLAPSED}",
            "holds": readings[0]["present"] >= SPREAD and readings[1]["present"] <= COLLAPSED}


def meter_trail(trainer: Trainer) -> list[int]:
    """Digits present on the collapse meter every INSTABILITY_EVERY steps of a run."""
    trail = []
    for step in range(1, INSTABILITY_STEPS + 1):
        trainer.step()
        if step % INSTABILITY_EVERY == 0:
            trail.append(mode_meter(trainer)["present"])
    return trail


def worst_fall(trail: list[int]) -> int:
    """The most digits a run ever had fewer than at its best so far."""
    return max(max(trail[:i + 1]) - reading for i, reading in enumerate(trail))


def instability(name: str, settings: list[dict], args) -> dict:
    trails = [meter_trail(trainer_for(s, args)) for s in settings]
    cells = [f"digits every {INSTABILITY_EVERY} steps: {' '.join(map(str, t))}" for t in trails]
    falls = [worst_fall(t) for t in trails]
    steady = len(trails) == 1 or falls[1] < REGRESSED
    return {"steps": INSTABILITY_STEPS, "A": cells[0], "B": cells[1] if len(cells) > 1 else "",
            "criterion": f"A falls {falls[0]} digits below its best (≥ {REGRESSED})"
                         + (f", B {falls[1]} (< {REGRESSED})" if len(trails) > 1 else ""),
            "holds": falls[0] >= REGRESSED and steady}


MEASURES = {"vanishing gradient": vanishing_gradient, "mode collapse (2-D)": mode_collapse_2d,
            "mode collapse": mode_collapse, "instability": instability}


def measure(name: str, seed: int, args) -> dict:
    settings = [{**s, "seed": seed} for s in runs(name)]
    threads = torch.get_num_threads()
    if settings[0].get("dataset") in TOY_DATASETS:
        torch.set_num_threads(1)
    try:
        return {"preset": name, "seed": seed, **MEASURES[name](name, settings, args)}
    finally:
        torch.set_num_threads(threads)


def markdown_table(rows: list[dict]) -> str:
    lines = ["| preset | seed | steps | run A | run B | criterion | holds |", "|---|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["preset"] for r in rows):
        first = next(r for r in rows if r["preset"] == name)
        lines.append(f"| **{name}** | | | {label(name, 0)} | {label(name, 1) if first['B'] else ''} | | |")
        lines += [f"| | {r['seed']} | {r['steps']} | {r['A']} | {r['B']} | {r['criterion']} | "
                  f"{'yes' if r['holds'] else '**no**'} |" for r in rows if r["preset"] == name]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = script_parser("python benchmarks/lab_presets.py", __doc__)
    p.add_argument("--presets", nargs="+", default=list(PRESETS), metavar="NAME",
                   help=f"presets to measure (default: all: {', '.join(PRESETS)})")
    p.add_argument("--seeds", nargs="+", type=int, default=[0], help="seeds to run each preset with (default: 0)")
    p.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: the trainer's)")
    p.add_argument("--device", default="cpu", help="torch device for the MNIST runs (2-D ones train on the CPU)")
    p.add_argument("--out", default="runs/lab-presets", help="scratch folder for the runs' settings")
    args = p.parse_args(argv)
    unknown = [n for n in args.presets if n not in PRESETS or n not in MEASURES]
    if unknown:
        p.error(f"unknown or unmeasured preset {unknown[0]!r}; known: {', '.join(PRESETS)}")
    rows = []
    for name in args.presets:
        for seed in args.seeds:
            rows.append(measure(name, seed, args))
            print(f"{name}, seed {seed}: {rows[-1]['criterion']} ({'holds' if rows[-1]['holds'] else 'fails'})",
                  file=sys.stderr, flush=True)
    print(markdown_table(rows))
    return 0 if all(r["holds"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
