"""The Compare tab: one seed drawn by every model on offer, side by side."""

import gradio as gr
import torch

import gan_models

from . import checks
from .checks import MAX_DIGITS
from .images import pixels, png, save
from .models import every_model, session_of


def compare(seed: int = 0, n: int = 16, truncation: float = 0.0,
            request: gr.Request = None) -> tuple[list[tuple[str, str]], str]:
    """One grid per model on offer, all from the same seed, and a note (HTML) on any model that failed."""
    seed, n = checks.seed(seed), checks.whole_number(n, "number of digits", 1, MAX_DIGITS)
    truncation = checks.truncation(truncation)
    loaded, problems = every_model(session_of(request))
    with torch.inference_mode():
        grids = {f"{i}.png": png(pixels(gan_models.generate(g, n, seed, None, truncation), 240))
                 for i, g in enumerate(loaded.values())}
    notes = "".join(f"<li>{problem}</li>" for problem in problems)  # escaped where they are made
    return list(zip(save(grids), loaded)), f"<ul>{notes}</ul>" if notes else ""


def build(seed_box, truncation_slider) -> None:
    """The tab's controls, wired."""
    with gr.Row():
        seed = seed_box("Seed", 0, "random_seed_compare")
        n = gr.Slider(1, MAX_DIGITS, value=16, step=1, precision=0, label="Digits per model")
        truncation = truncation_slider()
    button = gr.Button("Compare every model", variant="primary")
    comparison = gr.Gallery(label="Same seed, every model", columns=4, height="auto", object_fit="contain",
                            elem_id="comparison")
    notes = gr.HTML()
    button.click(compare, [seed, n, truncation], [comparison, notes], api_name="compare", preprocess=False)
