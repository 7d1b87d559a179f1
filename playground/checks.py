"""Input checks the tabs share: every value a visitor or an API caller sends is checked here first,
and a bad one becomes a gr.Error with a sentence on what to change."""

import html
import inspect
import math

import gradio as gr
import pydantic
from torch import nn

import gan_models

MAX_DIGITS, MAX_STEPS, MAX_TRUNCATION = 64, 64, 3.0
MAX_NAME = 200  # longer than any model folder or Hub repo id
ECHO = 40  # characters of a bad value that an error repeats


def user_error(message: str) -> gr.Error:
    """An error the page shows as it is: a sentence on what to change."""
    return gr.Error(message, print_exception=False)  # the input is wrong, not the code: log no traceback


def shown(value) -> str:
    """A value as an error message repeats it: its repr, cut to a short prefix (a 10 MB name must not
    come back as a 10 MB message)."""
    text = repr(value) if not isinstance(value, str) or len(value) <= ECHO else repr(value[:ECHO])[:-1] + "…'"
    return text if len(text) <= ECHO + 5 else text[:ECHO] + "…"


def as_text(text, limit: int = 300) -> str:
    """Text from a model file, the Hub or a caller, for an error or an HTML panel: on one line, no
    longer than `limit`, HTML escaped: Gradio renders error messages as HTML, and the panels that show
    such text are HTML too (Markdown would turn it into live links and images)."""
    text = " ".join(str(text).split())
    return html.escape(text if len(text) <= limit else text[:limit - 1] + "…", quote=False)


def whole_number(value, what: str, low: int, high: int) -> int:
    """`value` as an int from `low` to `high`, or a gr.Error naming `what`."""
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())  # not NaN or inf
    if isinstance(value, bool) or not whole or not low <= value <= high:
        raise user_error(f"The {what} must be a whole number from {low} to {high}; got {shown(value)}.")
    return int(value)


def number(value, what: str, low: float, high: float) -> float:
    """`value` as a float from `low` to `high`, or a gr.Error naming `what`."""
    if type(value) not in (int, float) or not math.isfinite(value) or not low <= value <= high:
        raise user_error(f"The {what} must be a number from {low:g} to {high:g}; got {shown(value)}.")
    return float(value)


def choice(value, what: str, options) -> str:
    """`value` if it is one of `options`, or a gr.Error listing them."""
    if not isinstance(value, str) or value not in options:
        listed = " or ".join(f"'{o}'" for o in options) if len(options) <= 3 else ", ".join(options)
        raise user_error(f"The {what} must be {listed}; got {shown(value)}.")
    return value


def seed(value, what: str = "seed") -> int:
    return whole_number(value, what, 0, gan_models.MAX_SEED)


def digit(value, generator: nn.Module, name: str, what: str = "digit") -> int | None:
    """A digit from 0 to 9, or None for 'any'; a gr.Error for a digit an unconditional model cannot draw."""
    if value is None or (isinstance(value, (str, int)) and str(value).strip().lower() in {"", "any"}):
        return None
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isdecimal() or len(text) > 1:
        raise user_error(f"The {what} must be 'any' or a whole number from 0 to 9; got {shown(value)}.")
    if not generator.num_classes:
        raise user_error(f"The model '{as_text(name, 80)}' is unconditional, so it cannot be asked for a digit: "
                         "set the digit to 'any' or pick a conditional model.")
    return int(text)


def truncation(value) -> float | None:
    """A truncation threshold, or None for off (0)."""
    if value is None or (type(value) in (int, float) and value == 0):
        return None  # 0 means off: a threshold of 0 would leave no latent values to draw
    if type(value) not in (int, float) or not 0 < value <= MAX_TRUNCATION:
        raise user_error(f"Truncation must be between 0 (off) and {MAX_TRUNCATION:g}; got {shown(value)}.")
    return float(value)


def model_name(value) -> str | None:
    """A model's name as a caller sent it, checked for type and length before anything looks it up."""
    if value is not None and not isinstance(value, str):
        raise user_error(f"The model must be the name of one model; got {shown(value)}.")
    if value is not None and len(value) > MAX_NAME:
        raise user_error(f"A model name is at most {MAX_NAME} characters; got one of {len(value):,}.")
    return value


def count_inputs(demo: gr.Blocks) -> None:
    """Make a call with too few input values, or a value of the wrong shape for its component, a
    sentence for the caller: Gradio checks both itself, with errors that it logs in full."""
    def check(block_fn, inputs) -> None:
        names = [p for p in inspect.signature(block_fn.fn).parameters if p != "request"][:len(block_fn.inputs)]
        if len(inputs) < len(block_fn.inputs):
            raise user_error(f"This endpoint takes {len(block_fn.inputs)} input values ({', '.join(names)}), "
                             f"one for each, in that order; the call sent {len(inputs)}.")
        for name, block, value in zip(names, block_fn.inputs, inputs):
            model = getattr(block, "data_model", None)
            if value is not None and model is not None:
                try:
                    model.model_validate(value)
                except pydantic.ValidationError:
                    raise user_error(f"The {name} must be what a page's {type(block).__name__.lower()} sends "
                                     f"(the API page shows its shape); got {shown(value)}.") from None

    demo.validate_inputs = check
