"""What the Lab's page shows of a snapshot: the status line, the two pictures, the curves and the
meter, as the values of its components (in the order of OUTPUTS)."""

import math

import numpy as np
import pandas as pd

OUTPUTS = ("status", "picture_a", "picture_b", "losses", "verdicts", "gradient", "meter", "meter_history")
RUNS = ("A", "B")
MAX_POINTS = 300  # per curve: the page redraws every curve about once a second


def _thin(rows: list[dict]) -> list[dict]:
    if len(rows) <= MAX_POINTS:
        return rows
    keep = np.linspace(0, len(rows) - 1, MAX_POINTS).round().astype(int)
    return [rows[i] for i in keep]


def _curves(history: list[list[dict]], names: dict[str, str], transform=lambda v: v) -> pd.DataFrame:
    """One long table of the runs' curves: step, value, and which run and quantity each row is."""
    two = len(history) > 1
    rows = [{"step": r["step"], "value": transform(r[key]), "curve": f"{RUNS[i]}: {label}" if two else label}
            for i, runs in enumerate(history) for r in _thin(runs) for key, label in names.items() if key in r]
    return pd.DataFrame(rows, columns=["step", "value", "curve"])


def _log10(value: float) -> float:
    return math.log10(max(value, 1e-12))  # a gradient of exactly 0 sits at the floor


def _meter(meters: list[list[dict]], toy: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The newest reading of each run (digit shares, or Gaussians covered), and the readings over steps."""
    two = len(meters) > 1
    label = (lambda i: RUNS[i]) if two else (lambda i: "run")
    if toy:
        now = [{"run": label(i), "what": "covered", "value": m[-1]["covered"]} for i, m in enumerate(meters) if m]
        history = [{"step": r["step"], "value": r["covered"], "curve": f"{label(i)}: Gaussians covered"}
                   for i, m in enumerate(meters) for r in _thin(m)]
    else:
        now = [{"run": label(i), "what": str(d), "value": share} for i, m in enumerate(meters) if m
               for d, share in enumerate(m[-1]["shares"])]
        history = [{"step": r["step"], "value": r["present"], "curve": f"{label(i)}: digits present"}
                   for i, m in enumerate(meters) for r in _thin(m)]
    return (pd.DataFrame(now, columns=["run", "what", "value"]),
            pd.DataFrame(history, columns=["step", "value", "curve"]))


def status(snapshot, toy: bool) -> str:
    """One line: steps, speed, time, the meter in words, and why the run ended if it did."""
    parts = [f"step {', '.join(map(str, snapshot.steps))}", f"{snapshot.images_per_s:,.0f} "
             f"{'points' if toy else 'images'}/s", f"{snapshot.seconds:.1f} s trained"]
    for i, meter in enumerate(snapshot.meters):
        if meter:
            m, run = meter[-1], f"{RUNS[i]}: " if len(snapshot.meters) > 1 else ""
            parts.append(f"{run}{m['covered']} of {m['modes']} Gaussians covered" if toy else
                         f"{run}{m['present']} of 10 digits present, KL to uniform {m['kl']:.2f}")
    end = f" — {snapshot.why}" if snapshot.done else ""
    return " · ".join(parts) + end


def update(snapshot, toy: bool, runs: int) -> tuple:
    """The values of OUTPUTS for `snapshot`."""
    meter_now, meter_history = _meter(snapshot.meters, toy)
    pictures = snapshot.pictures + [None] * (2 - runs)
    return (status(snapshot, toy), pictures[0], pictures[1],
            _curves(snapshot.history, {"d_loss": "D loss", "g_loss": "G loss"}),
            _curves(snapshot.history, {"d_real": "D(x)", "d_fake": "D(G(z))"}),
            _curves(snapshot.history, {"g_grad_norm": "log10 ‖∇G‖"}, _log10),
            meter_now, meter_history)


def empty() -> tuple:
    """The values of OUTPUTS with no run."""
    curves = pd.DataFrame(columns=["step", "value", "curve"])
    return ("No run yet.", None, None, curves, curves, curves, pd.DataFrame(columns=["run", "what", "value"]),
            curves)


def drawn_points(drawing, n: int = 400) -> np.ndarray:
    """Up to `n` points (x, y) where a sketch has ink, y upwards; a sentence if it has none."""
    from .checks import user_error
    from .images import sketch

    image = sketch(drawing, "Draw the points first: the 'drawn' dataset learns the sketchpad's strokes.")
    if image.ndim == 3:
        ink = image[..., 3] > 0 if image.shape[2] == 4 else image.mean(2) < 128
    else:
        ink = image < 128
    rows, cols = np.nonzero(ink)
    if len(rows) == 0:
        raise user_error("The drawing is empty: draw a few strokes or blobs for the points to learn.")
    pick = np.linspace(0, len(rows) - 1, min(n, len(rows))).round().astype(int)
    return np.stack([cols[pick], -rows[pick]], 1).astype(np.float32)
