"""What a run leaves for people to read: metrics.jsonl, losses.png and the model card."""

import json
from pathlib import Path

import matplotlib
from gan_models import is_translator
from gan_models.card import GENERATOR, TRANSLATOR, update_card
from gan_models.hub import read_config

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402


def append_metrics(path: Path, record: dict) -> None:
    with path.open("a") as f:
        f.write(json.dumps(record) + "\n")


def read_metrics(path: Path) -> list[dict]:
    """The records of metrics.jsonl, leaving out any line that is not one: a run killed while it
    appended a record leaves that record cut short."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def truncate_metrics(path: Path, step: int) -> None:
    """Drop records after `step`: a resumed run rewrites them."""
    kept = [r for r in read_metrics(path) if r["step"] <= step]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept))


def plot_losses(metrics_path: Path, out: Path) -> None:
    records = [r for r in read_metrics(metrics_path) if "d_loss" in r]
    if not records:
        return
    steps = [r["step"] for r in records]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax1.plot(steps, [r["d_loss"] for r in records], label="D loss")
    ax1.plot(steps, [r["g_loss"] for r in records], label="G loss")
    ax1.set_xlabel("step")
    ax1.legend()
    ax2.plot(steps, [r["d_real"] for r in records], label="D(x)")
    ax2.plot(steps, [r["d_fake"] for r in records], label="D(G(z))")
    ax2.set_xlabel("step")
    ax2.set_ylim(0, 1)
    ax2.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def update_card_metrics(folder: Path, metrics: dict) -> None:
    """Put `metrics` into a model folder's card (its `quality`, which the card's Evaluation table and
    the Hub's model-index are made from)."""
    update_card(folder, kind=_kind(folder), quality={k: v for k, v in metrics.items()
                                                    if not isinstance(v, (dict, str, bool))})


def update_card_truncation(folder: Path, truncation: float | None, why: str) -> None:
    """Put a model's default truncation (None: none, full variety) and the rule's reason into its card."""
    update_card(folder, kind=_kind(folder), default_truncation=truncation, default_truncation_reason=why)


def _kind(folder: Path) -> dict:
    return TRANSLATOR if is_translator(read_config(Path(folder))) else GENERATOR
