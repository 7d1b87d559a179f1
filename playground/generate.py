"""The Generate tab: a grid of digits from a seed, and the same digits one by one in a gallery."""

import random

import gradio as gr
import torch

import gan_models

from . import checks, codes
from .card import default_truncation
from .checks import MAX_DIGITS, MAX_TRUNCATION
from .images import pixels, png, save
from .models import load_model, session_of

DIGIT_CHOICES = ["any"] + [str(d) for d in range(10)]
TRUNCATION_INFO = "redraws latent values beyond ±t: cleaner, more typical digits, less variety"


def _digits(model, seed, n, digit, truncation, continuous, request: gr.Request | None) -> torch.Tensor:
    name, generator, folder = load_model(model, session_of(request))
    seed, n = checks.seed(seed), checks.whole_number(n, "number of digits", 1, MAX_DIGITS)
    label = checks.digit(digit, generator, name)
    t = default_truncation(folder) if truncation is None else checks.truncation(truncation)
    fixed = codes.check(continuous, generator)
    with torch.inference_mode():
        return gan_models.generate(generator, n, seed, label, t, continuous=fixed)


def generate(model: str | None = None, seed: int = 0, n: int = 16, digit: str = "any",
             truncation: float | None = None, continuous: list[float] | None = None,
             request: gr.Request = None) -> str:
    """PNG path of a grid of `n` digits from `model`; same inputs, same images. Truncation None is the
    model's own default (its card's), 0 is off; `continuous` sets an InfoGAN's continuous codes of
    every digit (one value from -1 to 1 per code; None: each digit its own)."""
    images = _digits(model, seed, n, digit, truncation, continuous, request)
    return save({f"grid-{len(images)}.png": png(pixels(images, 480))})[0]  # the page's gallery reads n here


def digits(model: str | None = None, seed: int = 0, n: int = 16, digit: str = "any",
           truncation: float | None = None, continuous: list[float] | None = None,
           request: gr.Request = None) -> list[str]:
    """PNG paths of the grid's digits one by one, for the gallery: the same inputs give the same digits.

    A call of its own, after the grid: each file costs the server more than the model does (Gradio
    checks and serves every file), so the grid, which most callers want, does not wait for them."""
    images = _digits(model, seed, n, digit, truncation, continuous, request)
    return save({f"{i}.png": png(pixels(image, 112)) for i, image in enumerate(images)})


def seed_box(label: str, value: int, api_name: str) -> gr.Number:
    """A seed's number box with a dice button beside it that draws a fresh one."""
    with gr.Row(equal_height=True):
        seed, dice = gr.Number(value, label=label, precision=0, scale=3), gr.Button("🎲 Random", scale=1)
    dice.click(random_seed, None, seed, api_name=api_name, queue=False)  # wired here, beside its box
    return seed


def random_seed() -> int:
    """A fresh random seed."""
    return random.randint(0, gan_models.MAX_SEED)


def truncation_slider(label: str = "Truncation (0 = off)") -> gr.Slider:
    return gr.Slider(0, MAX_TRUNCATION, value=0, step=0.05, label=label, info=TRUNCATION_INFO)


# The page's gallery is cut from the grid the browser already has (a CSS sprite per digit): no
# request and no file per digit. The cells follow gan_models.grid's layout: 28-pixel digits, 2-pixel
# borders, round(sqrt(n)) to a row; the grid's file name carries n.
DIGIT_CELLS_JS = """(grid) => {
  const n = Number((grid?.url ?? "").match(/grid-(\\d+)\\.png/)?.[1] ?? 0);
  if (!n) return "";
  const cols = n === 1 ? 1 : Math.min(Math.max(1, Math.round(Math.sqrt(n))), n), rows = Math.ceil(n / cols);
  const [w, h] = n === 1 ? [28, 28] : [cols * 30 + 2, rows * 30 + 2];
  const cells = Array.from({length: n}, (_, i) => {
    const [x, y] = n === 1 ? [0, 0] : [(i % cols) * 30 + 2, Math.floor(i / cols) * 30 + 2];
    const at = `${w > 28 ? 100 * x / (w - 28) : 0}% ${h > 28 ? 100 * y / (h - 28) : 0}%`;
    return `<div class="digit" role="img" aria-label="digit ${i + 1}" style="background-image: url('${grid.url}'); ` +
           `background-size: ${100 * w / 28}% ${100 * h / 28}%; background-position: ${at}"></div>`;
  });
  return `<div class="digits">${cells.join("")}</div>`;
}"""


def build(model: gr.Dropdown):
    """The tab's controls, wired; returns `redraw(event)`, which draws the grid and its digits after
    `event`, so that the page never shows another model's digits or none."""
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            seed = seed_box("Seed", 0, "random_seed")
            n = gr.Slider(1, MAX_DIGITS, value=16, step=1, precision=0, label="Number of digits")
            digit = gr.Dropdown(DIGIT_CHOICES, value="any", label="Digit", info="conditional models only")
            truncation = truncation_slider("Truncation (0 = off: full variety)")
            continuous, sliders, fixed = codes.build()
            with gr.Row():
                button = gr.Button("Generate", variant="primary")
                variety = gr.Button("Full variety", size="sm")
        with gr.Column(scale=2, min_width=280):
            grid_image = gr.Image(label="Grid", interactive=False, elem_id="grid", show_label=False, buttons=[])
    gallery = gr.HTML(elem_id="digits", padding=False)
    inputs = [model, seed, n, digit, truncation, continuous]
    codes.wire(model, continuous, sliders, fixed)
    _digits_api(inputs)

    def with_digits(event) -> None:
        """After the grid draws, its digits one by one; after a grid that failed, no grid and no digits."""
        event.success(None, grid_image, gallery, js=DIGIT_CELLS_JS, api_visibility="private", queue=False)
        event.failure(lambda: (None, ""), None, [grid_image, gallery], api_visibility="private", queue=False)

    with_digits(button.click(generate, inputs, grid_image, api_name="generate", preprocess=False))

    def redraw(event) -> None:
        with_digits(event.then(generate, inputs, grid_image, preprocess=False, api_visibility="private"))

    redraw(variety.click(lambda: 0, None, truncation, api_visibility="private", queue=False))
    return redraw, digit, truncation, [fixed, *sliders]


def _digits_api(inputs: list) -> None:
    """`/digits` for API callers, who may want a file per digit; the page cuts its own from the grid."""
    files = gr.Gallery(visible=False)
    gr.Button(visible=False).click(digits, inputs, files, api_name="digits", preprocess=False)
