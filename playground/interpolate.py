"""The Interpolate tab: the frames between two seeds' latents, as a strip and a looping GIF."""

import gradio as gr
import torch

import gan_models

from . import checks, codes
from .checks import MAX_STEPS
from .images import gif, pixels, png, save
from .models import load_model, session_of


def interpolate(model: str | None = None, seed_a: int = 0, seed_b: int = 1, steps: int = 16,
                method: str = "slerp", digit_a: str = "any", digit_b: str = "any",
                continuous: list[float] | None = None, sweep: int = 0,
                request: gr.Request = None) -> tuple[str, str]:
    """Frames from seed A's latent to seed B's: paths of a strip PNG and of a looping GIF.

    Conditional models also blend the label from digit A to digit B ("any": the seed picks it,
    seed mod 10), so one digit morphs into the other. For an InfoGAN, `continuous` holds its
    continuous codes along the way, and `sweep` = i (1, 2, ...) instead keeps seed A's digit and
    sweeps code i from -1 to 1."""
    name, generator, _ = load_model(model, session_of(request))
    seed_a, seed_b = checks.seed(seed_a, "seed A"), checks.seed(seed_b, "seed B")
    steps = checks.whole_number(steps, "number of steps", 2, MAX_STEPS)
    method = checks.choice(method, "method", ("lerp", "slerp"))
    label_a, label_b = checks.digit(digit_a, generator, name), checks.digit(digit_b, generator, name)
    fixed = codes.check(continuous, generator)
    sweep = checks.whole_number(sweep, "code to sweep", 0, getattr(generator, "continuous", 0))
    z_a, z_b = (gan_models.sample_latents(1, generator.latent_dim, s)[0] for s in (seed_a, seed_b))
    t = torch.linspace(0, 1, steps)
    if sweep:
        z_b, label_b = z_a, label_a  # one digit, one code moving
    z = (gan_models.slerp if method == "slerp" else gan_models.lerp)(z_a, z_b, t)
    z = _with_codes(z, generator, fixed, sweep)
    k = generator.num_classes
    one_hot = torch.eye(k)
    labels = gan_models.lerp(one_hot[seed_a % k if label_a is None else label_a],
                             one_hot[seed_b % k if label_b is None else label_b], t) if k else None
    with torch.inference_mode():
        frames = gan_models.to_uint8(generator(z, labels))
    return frames_files(frames, steps)


def _with_codes(z: torch.Tensor, generator, fixed: list[float] | None, sweep: int) -> torch.Tensor:
    """Latents `z` with the codes held at `fixed`, and code `sweep` (1-based; 0: none) from -1 to 1."""
    start = getattr(generator, "codes", 0)
    if fixed is not None:
        z = gan_models.with_continuous(z, start, fixed)
    if sweep:
        values = torch.linspace(-1, 1, len(z))
        z = torch.cat([gan_models.with_continuous(row[None], start + sweep - 1, [v]) for row, v in zip(z, values)])
    return z


def frames_files(frames: torch.Tensor, steps: int) -> tuple[str, str]:
    """Paths of a strip PNG (rows of at most 8 frames) and a looping GIF of uint8 frames (N, C, 28, 28)."""
    return tuple(save({"frames.png": png(pixels(frames, 960, nrow=min(steps, 8))), "frames.gif": gif(frames)}))


def build(model: gr.Dropdown, seed_box, digit_choices) -> tuple[gr.Dropdown, gr.Dropdown, list]:
    """The tab's controls, wired; returns its two digit pickers and the outputs a new model clears."""
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            seed_a = seed_box("Seed A", 0, "random_seed_a")
            seed_b = seed_box("Seed B", 1, "random_seed_b")
            with gr.Row():
                digit_a = gr.Dropdown(digit_choices, value="any", label="Digit A", info="where the morph starts")
                digit_b = gr.Dropdown(digit_choices, value="any", label="Digit B", info="where it ends")
            steps = gr.Slider(2, MAX_STEPS, value=16, step=1, precision=0, label="Steps")
            method = gr.Radio(["slerp", "lerp"], value="slerp", label="Method",
                              info="slerp keeps to the sphere where Gaussian latents lie; lerp cuts across it")
            continuous, sliders, fixed = codes.build()
            sweep = gr.Radio([("none", 0)] + [(f"code {i + 1}", i + 1) for i in range(codes.SLIDERS)], value=0,
                             label="Sweep a continuous code", info="seed A's digit, one code from -1 to 1",
                             visible=False)
            button = gr.Button("Interpolate", variant="primary")
        with gr.Column(scale=2, min_width=280):
            animation = gr.Image(label="Animation", type="filepath", interactive=False, height=300,
                                 elem_id="animation", show_label=False, buttons=[])
    strip = gr.Image(label="Frames", interactive=False, elem_id="frames", show_label=False, buttons=[])
    codes.wire(model, continuous, sliders, fixed)
    button.click(interpolate, [model, seed_a, seed_b, steps, method, digit_a, digit_b, continuous, sweep],
                 [strip, animation], api_name="interpolate", preprocess=False)
    return digit_a, digit_b, [strip, animation], [fixed, *sliders, sweep]
