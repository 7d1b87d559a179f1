"""digitgan playground: generate, interpolate and compare handwritten digits drawn by trained GANs.

    python app.py  # http://127.0.0.1:7860; env: GRADIO_SERVER_PORT, GRADIO_SERVER_NAME,
                   # DIGITGAN_PRETRAINED_DIR (default: the pretrained/ folder beside this file),
                   # DIGITGAN_MODELS: Hub repos owner/name[@revision], comma-separated, beside the bundled models
"""

import os
import random
from pathlib import Path

import gradio as gr
import torch
from torch import nn

import gan_models
from app_images import gif, pixels, png, save
from app_models import DEFAULT_MODEL, MODELS_AT_START, every_model, load_model, model_sources, no_models, user_error

MAX_DIGITS, MAX_STEPS, MAX_TRUNCATION = 64, 64, 3.0
DIGIT_CHOICES = ["any"] + [str(d) for d in range(10)]
TRUNCATION_INFO = "redraws latent values beyond ±t: cleaner, more typical digits, less variety"
CONCURRENCY = min(4, os.cpu_count() or 1)  # requests run side by side, one per core, one thread each
# Queue positions go out once a second, rather than to every waiting client each time a request
# starts (with 16 clients waiting, 16 messages per request).
STATUS_UPDATE_S = 1.0
# A digit is 28 pixels: where the browser scales an image, keep its pixels square instead of blurring them.
CSS = """img { image-rendering: pixelated; }
#animation img { width: 100%; height: 100%; object-fit: contain; }
@media (max-width: 720px) {  /* a gallery's cells are at least 100 px: on a phone, fewer columns, square cells */
  #digits .grid-container, #comparison .grid-container { grid-template-rows: none; grid-auto-rows: auto; }
  #digits .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)); }
  #comparison .grid-container { grid-template-columns: repeat(2, minmax(0, 1fr)); }
}"""



def _whole(value: float | None, what: str, low: int, high: int) -> int:
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())  # not NaN or inf
    if isinstance(value, bool) or not whole or not low <= value <= high:
        raise user_error(f"The {what} must be a whole number from {low} to {high}; got {value!r}.")
    return int(value)


def _digit(digit: str | int | None, generator: nn.Module, name: str) -> int | None:
    if digit is None or str(digit).strip().lower() in {"", "any"}:
        return None
    if not str(digit).strip().isdecimal() or int(digit) > 9:
        raise user_error(f"The digit must be 'any' or a whole number from 0 to 9; got {digit!r}.")
    if not generator.num_classes:
        raise user_error(f"The model '{name}' is unconditional, so it cannot be asked for a digit: "
                     "set the digit to 'any' or pick a conditional model.")
    return int(digit)


def _truncation(truncation: float | None) -> float | None:
    if truncation is None or truncation == 0:
        return None  # 0 means off: a threshold of 0 would leave no latent values to draw
    if type(truncation) not in (int, float) or not 0 < truncation <= MAX_TRUNCATION:
        raise user_error(f"Truncation must be between 0 (off) and {MAX_TRUNCATION:g}; got {truncation!r}.")
    return float(truncation)


def _digits(model: str | None, seed: int, n: int, digit: str, truncation: float) -> torch.Tensor:
    name, generator, _ = load_model(model)
    seed, n = _whole(seed, "seed", 0, gan_models.MAX_SEED), _whole(n, "number of digits", 1, MAX_DIGITS)
    label = _digit(digit, generator, name)
    with torch.inference_mode():
        return gan_models.generate(generator, n, seed, label, _truncation(truncation))


def generate(model: str | None = DEFAULT_MODEL, seed: int = 0, n: int = 16, digit: str = "any",
             truncation: float = 0.0) -> str:
    """PNG path of a grid of `n` digits from `model`; same inputs, same images."""
    return save({"grid.png": png(pixels(_digits(model, seed, n, digit, truncation), 480))})[0]


def digits(model: str | None = DEFAULT_MODEL, seed: int = 0, n: int = 16, digit: str = "any",
           truncation: float = 0.0) -> list[str]:
    """PNG paths of the grid's digits one by one, for the gallery: the same inputs give the same digits.

    A call of its own, after the grid: each file costs the server more than the model does (Gradio
    checks and serves every file), so the grid, which most callers want, does not wait for them."""
    images = _digits(model, seed, n, digit, truncation)
    return save({f"{i}.png": png(pixels(image, 112)) for i, image in enumerate(images)})


def interpolate(model: str | None = DEFAULT_MODEL, seed_a: int = 0, seed_b: int = 1, steps: int = 16,
                method: str = "slerp", digit_a: str = "any", digit_b: str = "any") -> tuple[str, str]:
    """Frames from seed A's latent to seed B's: paths of a strip PNG and of a looping GIF.

    Conditional models also blend the label from digit A to digit B ("any": the seed picks it,
    seed mod 10), so one digit morphs into the other."""
    name, generator, _ = load_model(model)
    seed_a, seed_b = _whole(seed_a, "seed A", 0, gan_models.MAX_SEED), _whole(seed_b, "seed B", 0, gan_models.MAX_SEED)
    steps = _whole(steps, "number of steps", 2, MAX_STEPS)
    if not isinstance(method, str) or method not in {"lerp", "slerp"}:
        raise user_error(f"The method must be 'lerp' or 'slerp'; got {method!r}.")
    label_a, label_b = _digit(digit_a, generator, name), _digit(digit_b, generator, name)
    z_a, z_b = (gan_models.sample_latents(1, generator.latent_dim, s)[0] for s in (seed_a, seed_b))
    t = torch.linspace(0, 1, steps)
    z = (gan_models.slerp if method == "slerp" else gan_models.lerp)(z_a, z_b, t)
    k = generator.num_classes
    one_hot = torch.eye(k)
    labels = gan_models.lerp(one_hot[seed_a % k if label_a is None else label_a],
                             one_hot[seed_b % k if label_b is None else label_b], t) if k else None
    with torch.inference_mode():
        frames = gan_models.to_uint8(generator(z, labels))
    return tuple(save({"frames.png": png(pixels(frames, 960, nrow=min(steps, 8))), "frames.gif": gif(frames)}))


def compare(seed: int = 0, n: int = 16, truncation: float = 0.0) -> tuple[list[tuple[str, str]], str]:
    """One grid per model on offer, all from the same seed, and a note on any model that failed."""
    seed, n = _whole(seed, "seed", 0, gan_models.MAX_SEED), _whole(n, "number of digits", 1, MAX_DIGITS)
    truncation = _truncation(truncation)
    loaded, problems = every_model()
    with torch.inference_mode():
        grids = {f"{i}.png": png(pixels(gan_models.generate(g, n, seed, None, truncation), 240))
                 for i, g in enumerate(loaded.values())}
    return list(zip(save(grids), loaded)), "".join(f"- {problem}\n" for problem in problems)


def model_report() -> str:
    """Markdown listing the models on offer: which loaded, and why any others did not."""
    loaded, problems = every_model()
    lines = [f"- ✅ `{name}`: {g.config['architecture']}, {'conditional' if g.num_classes else 'unconditional'}"
             + (", Stacked MNIST (three digits as the red, green and blue channels)" if g.channels == 3 else "")
             for name, g in loaded.items()] + [f"- ⚠️ {problem}" for problem in problems]
    return "\n".join(lines) or no_models()


def model_card(model: str | None = DEFAULT_MODEL) -> tuple[str, dict, dict, dict]:
    """The model's card as Markdown (architecture, loss, training command and time, metrics), and the
    three digit pickers, which only a conditional model enables."""
    try:
        name, generator, folder = load_model(model)
    except gr.Error as err:
        return err.message, *_digit_pickers(False)
    card = gan_models.read_card(folder).data.to_dict() if (folder / "README.md").exists() else {}
    config = ", ".join(f"{k}={v}" for k, v in generator.config.items() if k != "architecture")
    local = Path(model_sources().get(name, name)).is_dir()  # the server's own paths are not the visitor's business
    rows = {"architecture": f"{generator.config['architecture']} ({config})",
            "source": f"model folder {folder.name}/" if local else f"Hugging Face Hub, {name}",
            **{key: card[key] for key in ("loss", "steps", "batch_size", "dataset", "ema") if key in card}}
    if "training_time_s" in card:
        rows["training time"] = f"{card['training_time_s'] / 60:.1f} min"
    text = f"### {name}\n\n" + "".join(f"- **{k}**: {v}\n" for k, v in rows.items())
    if "training_command" in card:
        text += f"\n**Training command**\n\n```bash\n{card['training_command']}\n```\n"
    metrics = {k: v for k, v in (card.get("quality") or {}).items() if not isinstance(v, (list, dict))}
    if metrics:
        text += "\n**Metrics**\n\n| metric | value |\n|---|---|\n" + "".join(
            f"| {k} | {v:.4g} |\n" if isinstance(v, float) else f"| {k} | {v} |\n" for k, v in metrics.items())
    text += "" if card else "\n_This model has no model card (README.md)._"
    return text, *_digit_pickers(bool(generator.num_classes))


def _digit_pickers(enabled: bool) -> tuple[dict, dict, dict]:
    """Updates for the three digit pickers: enabled, or set to "any" and disabled. One update object
    each: Gradio takes the value out of an update once it has applied it to a component."""
    return tuple(gr.update(interactive=True) if enabled else gr.update(value="any", interactive=False)
                 for _ in range(3))


def random_seed() -> int:
    """A fresh random seed."""
    return random.randint(0, gan_models.MAX_SEED)


def _seed_box(label: str, value: int, api_name: str) -> gr.Number:
    with gr.Row(equal_height=True):
        seed, dice = gr.Number(value, label=label, precision=0, scale=3), gr.Button("🎲 Random", scale=1)
    dice.click(random_seed, None, seed, api_name=api_name, queue=False)  # wired here, beside its box
    return seed


with gr.Blocks(title="digitgan", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
    gr.Markdown("# digitgan\nHandwritten digits drawn by GANs trained on MNIST. Same inputs, same digits.")
    with gr.Row():
        model = gr.Dropdown(list(MODELS_AT_START), value=DEFAULT_MODEL, label="Model", allow_custom_value=True,
                            info="for Generate and Interpolate; Compare draws from every model")
        report = gr.Markdown("Loading models…")
    with gr.Accordion("Model card", open=False):
        card = gr.Markdown()
    with gr.Tab("Generate"):
        with gr.Row():
            with gr.Column(scale=1):
                seed = _seed_box("Seed", 0, "random_seed")
                n = gr.Slider(1, MAX_DIGITS, value=16, step=1, precision=0, label="Number of digits")
                digit = gr.Dropdown(DIGIT_CHOICES, value="any", label="Digit", info="conditional models only")
                truncation = gr.Slider(0, MAX_TRUNCATION, value=0, step=0.05, label="Truncation (0 = off)",
                                       info=TRUNCATION_INFO)
                generate_button = gr.Button("Generate", variant="primary")
            with gr.Column(scale=2):
                grid_image = gr.Image(label="Grid", interactive=False, elem_id="grid")
        gallery = gr.Gallery(label="Digits", columns=8, height="auto", object_fit="contain", elem_id="digits")
    with gr.Tab("Interpolate"):
        with gr.Row():
            with gr.Column(scale=1):
                seed_a = _seed_box("Seed A", 0, "random_seed_a")
                seed_b = _seed_box("Seed B", 1, "random_seed_b")
                with gr.Row():
                    digit_a = gr.Dropdown(DIGIT_CHOICES, value="any", label="Digit A", info="where the morph starts")
                    digit_b = gr.Dropdown(DIGIT_CHOICES, value="any", label="Digit B", info="where it ends")
                steps = gr.Slider(2, MAX_STEPS, value=16, step=1, precision=0, label="Steps")
                method = gr.Radio(["slerp", "lerp"], value="slerp", label="Method",
                                  info="slerp keeps to the sphere where Gaussian latents lie; lerp cuts across it")
                interpolate_button = gr.Button("Interpolate", variant="primary")
            with gr.Column(scale=2):
                animation = gr.Image(label="Animation", type="filepath", interactive=False, height=300,
                                     elem_id="animation")
        strip = gr.Image(label="Frames", interactive=False)
    with gr.Tab("Compare"):
        with gr.Row():
            compare_seed = _seed_box("Seed", 0, "random_seed_compare")
            compare_n = gr.Slider(1, MAX_DIGITS, value=16, step=1, precision=0, label="Digits per model")
            compare_truncation = gr.Slider(0, MAX_TRUNCATION, value=0, step=0.05, label="Truncation (0 = off)",
                                           info=TRUNCATION_INFO)
        compare_button = gr.Button("Compare every model", variant="primary")
        comparison = gr.Gallery(label="Same seed, every model", columns=4, height="auto", object_fit="contain",
                                elem_id="comparison")
        compare_notes = gr.Markdown()

    # preprocess=False: the functions check every input in a sentence naming it, which Gradio's checks do not.
    generate_inputs = [model, seed, n, digit, truncation]
    def with_digits(grid, **api) -> None:
        """After the grid `grid` draws, its digits one by one; after a grid that failed, no grid and no
        digits: the page never shows digits of another model or seed."""
        grid.success(digits, generate_inputs, gallery, preprocess=False, **api)
        grid.failure(lambda: (None, None), None, [grid_image, gallery], api_visibility="private", queue=False)

    with_digits(generate_button.click(generate, generate_inputs, grid_image, api_name="generate", preprocess=False),
                api_name="digits")

    def then_draw(event) -> None:
        """After `event`, what Generate does, so that the page never shows another model's digits or none."""
        with_digits(event.then(generate, generate_inputs, grid_image, preprocess=False, api_visibility="private"),
                    api_visibility="private")

    interpolate_button.click(interpolate, [model, seed_a, seed_b, steps, method, digit_a, digit_b],
                             [strip, animation], api_name="interpolate", preprocess=False)
    compare_button.click(compare, [compare_seed, compare_n, compare_truncation], [comparison, compare_notes],
                         api_name="compare", preprocess=False)
    then_draw(model.change(model_card, model, [card, digit, digit_a, digit_b], api_name="model_card", preprocess=False))
    # The frames of another model go; Interpolate draws the new one's when asked.
    model.change(lambda: (None, None), None, [strip, animation], api_visibility="private", queue=False)
    then_draw(demo.load(model_card, model, [card, digit, digit_a, digit_b], api_name="model_card_on_load",
                        preprocess=False))
    demo.load(model_report, None, report, api_name="models")
    # Read the choices again on each visit, so that models added since the start show up.
    demo.load(lambda: gr.update(choices=list(model_sources())), None, model, api_name="model_choices", queue=False)
    # Gradio's queue rebuilds a pandas summary of up to 10,000 past events after every event, for a
    # monitoring page this app leaves off: ms of CPU per request on a server that has run a while.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")  # read by the queue, made next
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64, status_update_rate=STATUS_UPDATE_S)

if __name__ == "__main__":
    torch.set_num_threads(1)  # the server's requests never fight over the cores (set here: importing stays side-effect free)
    demo.launch(css=CSS)
