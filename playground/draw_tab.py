"""The Draw tab: a digit drawn on the sketchpad, found in the chosen model, then morphed, varied and
set beside its nearest training digits; the functions are in playground/draw.py."""

import gradio as gr

from . import draw
from .checks import MAX_DIGITS, MAX_STEPS
from .generate import DIGIT_CHOICES, seed_box

INTRO = ("Draw a digit and watch the model search its latent space for it: the reconstruction improves as "
         "you watch, and the classifier reads both. Morph, variations and the nearest training digits start "
         "from the reconstruction shown; the first search for the nearest training digits reads all "
         "60,000 of them once for this server.")
CANVAS = 280  # pixels a side: 10 to an MNIST pixel


def _sketchpad(label: str, elem_id: str, visible: bool = True) -> gr.Sketchpad:
    return gr.Sketchpad(label=label, type="numpy", height=CANVAS + 60, canvas_size=(CANVAS, CANVAS),
                        fixed_canvas=True, layers=False, elem_id=elem_id, visible=visible,
                        brush=gr.Brush(default_size=12, colors=["#000000"], color_mode="fixed"))


def _digit_image(label: str, elem_id: str) -> gr.Image:
    return gr.Image(label=label, show_label=False, interactive=False, height=224, elem_id=elem_id, buttons=[])


def _search() -> list:
    """The sketchpad, the button and the search's settings; returns [drawing, button, steps, restarts]."""
    drawing = _sketchpad("Your digit (pick the brush, then draw)", "draw-canvas")
    button = gr.Button("Find it in the model", variant="primary")
    with gr.Accordion("Search settings", open=False):
        steps = gr.Slider(10, draw.SEARCH.steps, value=draw.SEARCH.steps, step=10, precision=0, label="Steps",
                          info="more: a closer reconstruction, a longer wait")
        restarts = gr.Slider(1, draw.SEARCH.restarts, value=draw.SEARCH.restarts, step=1, precision=0,
                             label="Restarts", info="random starts tried before the best is refined")
    return [drawing, button, steps, restarts]


def _morph(model, drawing, latent) -> list:
    """The morph's controls and outputs, wired; returns the outputs a new model clears."""
    gr.Markdown("### Morph to…")
    target = gr.Radio(list(draw.TARGETS), value="seed", label="End", info="a seed's digit, or a second digit you draw")
    with gr.Group() as to_seed:
        seed = seed_box("Seed", 1, "random_seed_morph")
        digit = gr.Dropdown(DIGIT_CHOICES, value="any", label="Digit", info="conditional models only")
    drawing_b = _sketchpad("The digit to morph to", "draw-canvas-b", visible=False)
    with gr.Row():
        frames = gr.Slider(2, MAX_STEPS, value=16, step=1, precision=0, label="Frames")
        method = gr.Radio(["slerp", "lerp"], value="slerp", label="Method")
    button = gr.Button("Morph")
    animation = gr.Image(label="Morph", type="filepath", interactive=False, height=240, elem_id="draw-morph",
                         show_label=False, buttons=[])
    strip = gr.Image(label="Frames", interactive=False, elem_id="draw-frames", show_label=False, buttons=[])
    button.click(draw.draw_morph, [model, drawing, latent, target, seed, digit, drawing_b, frames, method],
                 [strip, animation], api_name="draw_morph", preprocess=False)
    target.change(lambda t: (gr.update(visible=t == "seed"), gr.update(visible=t == "drawing")), target,
                  [to_seed, drawing_b], api_visibility="private", queue=False)
    return [strip, animation]


def _variations(model, drawing, latent) -> list:
    """The variations' controls and grid, wired; returns the outputs a new model clears."""
    gr.Markdown("### Variations")
    seed = seed_box("Seed", 0, "random_seed_variations")
    spread = gr.Slider(0, draw.MAX_SPREAD, value=0.5, step=0.05, label="Spread",
                       info="how far from your digit's latent: z plus spread × Gaussian noise")
    n = gr.Slider(1, MAX_DIGITS, value=16, step=1, precision=0, label="Number of digits")
    button = gr.Button("Variations")
    grid = gr.Image(label="Variations", interactive=False, height=420, elem_id="draw-variations", show_label=False,
                    buttons=[])
    button.click(draw.draw_variations, [model, drawing, latent, seed, spread, n], grid, api_name="draw_variations",
                 preprocess=False)
    return [grid]


def build(model: gr.Dropdown) -> None:
    """The tab's controls, wired. `model` is the page's model picker: a new model clears what the
    previous one found."""
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            drawing, button, steps, restarts = _search()
        with gr.Column(scale=1, min_width=280):
            with gr.Row():  # captions above the digits, not labels over them
                with gr.Column(min_width=120):
                    gr.Markdown("**Your digit**, as MNIST would have it")
                    digit = _digit_image("As MNIST would have it", "draw-digit")
                with gr.Column(min_width=120):
                    gr.Markdown("**The model's reconstruction**")
                    reconstruction = _digit_image("The model's reconstruction", "draw-reconstruction")
            reading = gr.Markdown(label="Reading", elem_id="draw-reading")
            latent = gr.JSON(label="Latent", visible=False)  # the search's latent, sent back by the calls below
            near = gr.Button("Nearest training digits, in the classifier's features: is it one of them?", size="sm")
            nearest = gr.Gallery(label="Nearest training digits", show_label=False, columns=3, rows=1, height=200,
                                 object_fit="contain", elem_id="draw-nearest")
    with gr.Row():
        with gr.Column(min_width=280):
            cleared = _morph(model, drawing, latent)
        with gr.Column(min_width=280):
            cleared += _variations(model, drawing, latent)
    button.click(draw.draw, [model, drawing, steps, restarts], [digit, reconstruction, reading, latent],
                 api_name="draw", preprocess=False)
    # A click of its own: the first call reads all of MNIST's training digits, which only those who ask wait for.
    near.click(draw.draw_nearest, [model, drawing, latent], nearest, api_name="draw_nearest", preprocess=False)
    cleared = [reconstruction, reading, latent, nearest, *cleared]
    model.change(lambda: (None, "", *[None] * (len(cleared) - 2)), None, cleared, api_visibility="private",
                 queue=False)
