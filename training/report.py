"""What a run leaves for people to read: metrics.jsonl, losses.png and the model card."""

import json
import re
from pathlib import Path

import matplotlib
from huggingface_hub import ModelCard
from huggingface_hub.utils import yaml_dump

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


def card_body(arch: str, command: str, steps: int, wall_s: float, loss: str,
              metrics: dict | None, sample_file: str | None) -> str:
    """The Markdown part of the model card."""
    lines = [f"# digitgan `{arch}` generator", "",
             f"A GAN generator for 28×28 handwritten digits, trained on MNIST with the `{loss}` loss "
             f"for {steps} steps ({wall_s / 60:.1f} min).", "",
             "## Training command", "", "```bash", command, "```", ""]
    if sample_file:
        lines += ["## Samples", "", f"![samples]({sample_file})", ""]
    if metrics:
        lines.append(metrics_section(metrics))
    lines += ["## Use", "", "```python", "from gan_models import load_generator, generate",
              "g = load_generator(\"path/or/owner/name\")", "digits = generate(g, n=16, seed=0)", "```", ""]
    return "\n".join(lines)


def metrics_section(metrics: dict) -> str:
    """A "## Metrics" Markdown table of the scalar metrics."""
    rows = [f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |"
            for k, v in metrics.items() if not isinstance(v, (list, dict, str, bool))]
    return "\n".join(["## Metrics", "", "| metric | value |", "| --- | --- |", *rows, ""])


def replace_section(text: str, title: str, section: str) -> str:
    """A card's Markdown with its "## title" section replaced by `section`, or `section` put before
    "## Use" where there was none."""
    text = re.sub(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", "", text, flags=re.S | re.M).rstrip("\n") + "\n"
    return text.replace("## Use", section + "\n## Use", 1) if "## Use" in text else text + "\n" + section


def update_card_metrics(folder: Path, metrics: dict) -> None:
    """Put `metrics` into a model folder's card: the YAML `quality` field and the Metrics table."""
    card = ModelCard.load(folder / "README.md")
    card.data.quality = {k: v for k, v in metrics.items() if not isinstance(v, (dict, str, bool))}
    text = replace_section(card.text, "Metrics", metrics_section(metrics))
    ModelCard(f"---\n{card.data.to_yaml()}\n---\n{text}").save(folder / "README.md")


def update_card_truncation(folder: Path, truncation: float | None, why: str) -> None:
    """Put a model's default truncation into its card: the YAML `default_truncation` field (null: none)
    and a "## Truncation" section that says it, `why`, and that 0 gives full variety."""
    card = ModelCard.load(folder / "README.md")
    data = {**card.data.to_dict(), "default_truncation": truncation}
    shown = (f"at truncation {truncation:g} (latent values beyond ±{truncation:g} redrawn)" if truncation
             else "untruncated")
    section = (f"## Truncation\n\nThe app draws this model's digits {shown} by default: {why}. "
               "Truncation 0 gives full variety.\n")
    text = replace_section(card.text, "Truncation", section)
    # Written as text: ModelCard would dump its YAML again, and drop the null.
    (folder / "README.md").write_text(f"---\n{yaml_dump(data, sort_keys=False).strip()}\n---\n{text}")
