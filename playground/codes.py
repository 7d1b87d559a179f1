"""An InfoGAN's continuous codes on the page: a slider per code, shown for the models that have them.
The functions take the codes as one list (`continuous`, None: each digit draws its own), which is
what API callers send; on the page a hidden JSON value carries the sliders' list."""

import gradio as gr
from torch import nn

import gan_models

from . import card
from .checks import as_text, shown, user_error
from .models import load_model, session_of

SLIDERS = 4  # codes a page shows a slider for: InfoGAN's MNIST setting has 2


def check(values, generator: nn.Module) -> list[float] | None:
    """`values` as the model's continuous codes (None: leave them to the seed), or a sentence."""
    if values is None:
        return None
    if not isinstance(values, list) or len(values) > 64:
        raise user_error(f"The continuous codes must be a list of numbers from -1 to 1; got {shown(values)}.")
    try:
        return gan_models.sampling.check_continuous(generator, values)
    except ValueError as err:
        raise user_error(f"{as_text(err).capitalize()}.") from None


def codes_of(model: str | None, request: gr.Request = None) -> int:
    try:
        return getattr(load_model(model, session_of(request))[1], "continuous", 0)
    except gr.Error:
        return 0


def build() -> tuple[gr.JSON, list[gr.Slider], gr.Checkbox]:
    """The sliders (hidden until a model has codes), a checkbox that fixes the codes, and the hidden
    JSON value the functions read."""
    with gr.Group(visible=True):
        fixed = gr.Checkbox(False, label="Set the continuous codes", visible=False,
                            info="off: each digit draws its own; on: every digit takes the sliders' values")
        sliders = [gr.Slider(-1, 1, value=0, step=0.05, label=f"Code {i + 1}", visible=False) for i in range(SLIDERS)]
    values = gr.JSON(None, visible=False)
    return values, sliders, fixed


def wire(model: gr.Dropdown, values: gr.JSON, sliders: list[gr.Slider], fixed: gr.Checkbox) -> None:
    """Keep `values` the sliders' list, cut to the chosen model's codes, while the box is ticked."""
    for control in (fixed, *sliders):
        control.change(_values, [model, fixed, *sliders], values, api_visibility="private", queue=False)


def _values(model: str | None, fixed: bool, *sliders: float, request: gr.Request = None) -> list[float] | None:
    return list(sliders)[:codes_of(model, request)] if fixed else None


def names_of(model: str | None, request: gr.Request = None) -> list[str]:
    """Each slider's label: what the model's card says its code controls, where it says."""
    try:
        return card.code_names(load_model(model, session_of(request))[2], SLIDERS)
    except gr.Error:
        return [f"Code {i + 1}" for i in range(SLIDERS)]


def show_for(model: str | None = None, request: gr.Request = None) -> tuple:
    """Updates for the checkbox and the sliders: one slider per code of `model`, named by its card."""
    k, names = codes_of(model, request), names_of(model, request)
    return (gr.update(visible=k > 0, value=False),
            *(gr.update(visible=i < k, label=names[i]) for i in range(SLIDERS)))


def show_with_sweep(model: str | None = None, request: gr.Request = None) -> tuple:
    """`show_for`, and the sweep's choice: shown for a model with codes, back to none."""
    shown = show_for(model, request)
    return (*shown, gr.update(visible=shown[0]["visible"], value=0))
