"""The model panel: which models loaded, and the chosen model's card. Every string from a model file
or the Hub goes through `as_text`: a third party's repo must not put live markup on the page."""

from pathlib import Path

import gradio as gr
from torch import nn

import gan_models

from .checks import as_text
from .models import every_model, load_model, model_sources, no_models, session_of

CARD_FIELDS = ("loss", "steps", "batch_size", "dataset", "ema")


def card_data(folder: Path) -> tuple[dict, str | None]:
    """The card's metadata, and a sentence on why it could not be read (None when it could, or when
    the model has no card)."""
    if not (folder / "README.md").exists():
        return {}, None
    try:
        data = gan_models.read_card(folder).data.to_dict()
    except Exception as err:  # noqa: BLE001 (a hand-written card can fail in YAML, in the Hub's checks, anywhere)
        return {}, f"The model card (README.md) could not be read: {as_text(err, 200)}"
    return (data, None) if isinstance(data, dict) else ({}, "The model card's metadata is not a mapping.")


def default_truncation(folder: Path) -> float | None:
    """The truncation the model shows its best digits at, as its card states (None: off)."""
    value = card_data(folder)[0].get("default_truncation")
    return float(value) if type(value) in (int, float) and 0 < value <= 3 else None


def code_names(folder: Path, k: int) -> list[str]:
    """A label per continuous code: "Code 1", or "Code 1: slant" where the card states what the code
    was measured to control (benchmarks/codes.py)."""
    measured = card_data(folder)[0].get("continuous_codes_measured")
    measured = measured if isinstance(measured, dict) else {}
    names = []
    for i in range(k):
        row = measured.get(f"code {i + 1}")
        controls = row.get("controls") if isinstance(row, dict) else None
        names.append(f"Code {i + 1}" + (f": {controls}" if controls in ("slant", "thickness") else ""))
    return names


def model_report(request: gr.Request = None) -> str:
    """HTML listing the models on offer: which loaded, and why any others did not."""
    loaded, problems = every_model(session_of(request))
    rows = [f"<li>✅ <code>{as_text(name, 80)}</code>: {_kind(g)}</li>" for name, g in loaded.items()]
    rows += [f"<li>⚠️ {problem}</li>" for problem in problems]  # load errors are escaped where they are made
    return f"<ul class='models'>{''.join(rows)}</ul>" if rows else f"<p>{as_text(no_models())}</p>"


def _kind(g: nn.Module) -> str:
    text = f"{as_text(g.config['architecture'], 80)}, {'conditional' if g.num_classes else 'unconditional'}"
    if getattr(g, "continuous", 0):
        text += f", {g.continuous} continuous codes"
    return text + (", Stacked MNIST (three digits as the red, green and blue channels)" if g.channels == 3 else "")


def model_card(model: str | None = None, request: gr.Request = None) -> tuple[str, dict, dict, dict]:
    """The model's card as HTML (architecture, loss, training command and time, metrics), and the three
    digit pickers, which only a conditional model enables."""
    try:
        name, generator, folder = load_model(model, session_of(request))
    except gr.Error as err:
        return f"<p>{err.message}</p>", *_digit_pickers(False)
    card, problem = card_data(folder)
    rows = _card_rows(name, generator, folder, card)
    text = f"<h3>{as_text(name, 80)}</h3><ul>" + "".join(
        f"<li><b>{k}</b>: {as_text(v)}</li>" for k, v in rows.items()) + "</ul>"
    if "training_command" in card:
        text += f"<p><b>Training command</b></p><pre>{as_text(card['training_command'], 2000)}</pre>"
    metrics = {k: v for k, v in (card.get("quality") or {}).items() if not isinstance(v, (list, dict))}
    if metrics:
        text += "<p><b>Metrics</b></p><table><tr><th>metric</th><th>value</th></tr>" + "".join(
            f"<tr><td>{as_text(k, 40)}</td><td>{f'{v:.4g}' if isinstance(v, float) else as_text(v, 40)}</td></tr>"
            for k, v in metrics.items()) + "</table>"
    if problem or not card:
        text += f"<p><i>{problem or 'This model has no model card (README.md).'}</i></p>"
    return text, *_digit_pickers(bool(generator.num_classes))


def _card_rows(name: str, generator: nn.Module, folder: Path, card: dict) -> dict:
    config = ", ".join(f"{k}={v}" for k, v in generator.config.items() if k != "architecture")
    local = Path(model_sources().get(name, folder)).is_dir()  # the server's own paths are not the visitor's business
    rows = {"architecture": f"{generator.config['architecture']} ({config})",
            "source": f"model folder {folder.name}/" if local else f"Hugging Face Hub, {name}",
            **{key: card[key] for key in CARD_FIELDS if key in card}}
    if type(card.get("training_time_s")) in (int, float):
        rows["training time"] = f"{card['training_time_s'] / 60:.1f} min"
    if default_truncation(folder):
        rows["default truncation"] = f"{default_truncation(folder):g} (0 for full variety)"
    return rows


def _digit_pickers(enabled: bool) -> tuple[dict, dict, dict]:
    """Updates for the three digit pickers: enabled, or set to "any" and disabled. One update object
    each: Gradio takes the value out of an update once it has applied it to a component."""
    return tuple(gr.update(interactive=True) if enabled else gr.update(value="any", interactive=False)
                 for _ in range(3))
