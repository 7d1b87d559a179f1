"""The Lab tab: controls, presets and the live view of a run, wired to playground/lab.py."""

import gradio as gr

import gan_models

from . import lab
from .presets import PRESETS, runs
from .lab_run import lab_runs, lab_seconds

INTRO = ("Train a GAN here and watch what the lecture notes claim: the minimax loss's vanishing gradient, "
         "mode collapse, unstable training. A run trains for at most {seconds:.0f} s; {runs} run(s) train at "
         "once on this server, and others wait in the queue with their place shown.")


def _controls() -> dict:
    c = {}
    with gr.Row():
        c["dataset"] = gr.Radio(list(lab.DATASETS), value="mnist", label="Data",
                                info="MNIST digits, or 2-D points: a ring of 8 Gaussians, a 5×5 grid, your drawing")
        c["arch"] = gr.Dropdown(gan_models.list_models(), value="dcgan", label="Architecture",
                                info="digits only; 2-D runs use two small MLPs")
        c["loss"] = gr.Dropdown(lab.losses(), value="ns", label="Loss")
    with gr.Row():
        c["lr_g"] = gr.Number(0, label="G learning rate", info="0: the default for the model and loss", minimum=0)
        c["lr_d"] = gr.Number(0, label="D learning rate", info="0: the default for the model and loss", minimum=0)
        c["batch_size"] = gr.Number(0, label="Batch size", info="0: the trainer's default here", precision=0,
                                    minimum=0, maximum=512)
        c["d_steps"] = gr.Number(1, label="D steps per G step", precision=0, minimum=1, maximum=10)
    with gr.Row():
        c["ema"] = gr.Checkbox(True, label="EMA of G")
        c["spectral_norm"] = gr.Checkbox(False, label="Spectral norm on D")
        c["conditional"] = gr.Checkbox(False, label="Conditional")
        c["seed"] = gr.Number(0, label="Seed", precision=0, minimum=0)
        c["seconds"] = gr.Slider(5, lab_seconds(), value=min(60, lab_seconds()), step=5, label="Seconds")
    with gr.Row():
        c["compare"] = gr.Dropdown(list(lab.COMPARABLE), value="none", label="Compare: run B differs in",
                                   info="two runs in lockstep, same batches and noise")
        c["compare_value"] = gr.Textbox("minimax", label="Run B's value", max_length=60)
    c["drawing"] = gr.Sketchpad(label="Your points (for 'drawn')", visible=False, type="numpy", height=240,
                                canvas_size=(240, 240), fixed_canvas=True, layers=False)
    return c


def _view() -> list:
    status = gr.Markdown("No run yet.", elem_id="lab-status")
    with gr.Row():
        picture_a = gr.Image(label="Run A", interactive=False, elem_id="lab-picture-a", height=280, format="png")
        picture_b = gr.Image(label="Run B", interactive=False, elem_id="lab-picture-b", height=280, format="png")
    with gr.Row():
        losses = gr.LinePlot(x="step", y="value", color="curve", label="Losses", height=220)
        verdicts = gr.LinePlot(x="step", y="value", color="curve", label="Mean D(x) and D(G(z))",
                               y_lim=[0, 1], height=220)
    with gr.Row():
        gradient = gr.LinePlot(x="step", y="value", color="curve", label="G's gradient norm (log10)", height=220)
        meter = gr.BarPlot(x="what", y="value", color="run", height=220,
                           label="Mode-collapse meter: share of each digit (points: Gaussians covered)")
        history = gr.LinePlot(x="step", y="value", color="curve", label="Meter over steps", height=220)
    return [status, picture_a, picture_b, losses, verdicts, gradient, meter, history]


PRESET_CONTROLS = ("dataset", "arch", "loss", "lr_g", "lr_d", "batch_size", "d_steps", "ema", "spectral_norm",
                   "conditional", "seed", "compare", "compare_value", "seconds")


def preset_values(name: str) -> tuple:
    """The controls' values for preset `name` (in PRESET_CONTROLS' order), and its line of what to look for."""
    preset, first = PRESETS[name], runs(name)[0]
    compare = preset.get("compare")
    values = {**first, "lr_g": first.get("lr_g") or 0, "lr_d": first.get("lr_d") or 0,
              "batch_size": first.get("batch_size") or 0, "compare": compare["setting"] if compare else "none",
              "compare_value": str(compare["values"][1]) if compare else "",
              "seconds": min(preset["seconds"], lab_seconds())}
    return (*(values.get(k, gr.update()) for k in PRESET_CONTROLS), f"**{name}**: {preset['look_for']}")


def _presets(c: dict, note: gr.Markdown, start) -> None:
    """A button per preset: it sets the controls, says what to look for, and starts the run."""
    with gr.Row():
        gr.Markdown("Presets that reproduce the notes, one click each:")
        for name in PRESETS:
            button = gr.Button(name, size="sm")
            button.click(lambda name=name: preset_values(name), None, [c[k] for k in PRESET_CONTROLS] + [note],
                         api_visibility="private", queue=False).then(**start)


def build(model: gr.Dropdown) -> None:
    """The tab's controls and view, wired. `model` is the page's model picker (Use in Generate sets it)."""
    gr.Markdown(INTRO.format(seconds=lab_seconds(), runs=lab_runs()))
    c = _controls()
    with gr.Row():
        start, stop = gr.Button("Start", variant="primary"), gr.Button("Stop", variant="stop")
        more, reset = gr.Button("Continue"), gr.Button("Reset")
        keep, download = gr.Button("Use in Generate"), gr.DownloadButton("Download model")
    note = gr.Markdown()
    outputs = _view()
    inputs = [c[k] for k in ("arch", "loss", "lr_g", "lr_d", "batch_size", "d_steps", "ema", "spectral_norm",
                             "conditional", "seed", "seconds", "dataset", "compare", "compare_value", "drawing")]
    # One queue for every Lab run of the server: at most lab_runs() train at once, the others wait.
    queue = {"concurrency_limit": lab_runs(), "concurrency_id": "lab"}
    started = start.click(lab.lab, inputs, outputs, api_name="lab", preprocess=False, **queue)
    _presets(c, note, {"fn": lab.lab, "inputs": inputs, "outputs": outputs, "preprocess": False,
                       "api_visibility": "private", **queue})
    continued = more.click(lab.lab_continue, c["seconds"], outputs, api_name="lab_continue", preprocess=False,
                           **queue)
    stop.click(lab.lab_stop, None, note, api_name="lab_stop", queue=False)
    reset.click(lab.lab_reset, None, outputs, api_name="lab_reset", queue=False, cancels=[started, continued])
    keep.click(lab.use_in_generate, None, [model, note], api_name="lab_use_in_generate")
    download.click(lab.download, None, download, api_name="lab_download")
    c["dataset"].change(lambda d: gr.update(visible=d == "drawn"), c["dataset"], c["drawing"],
                        api_visibility="private", queue=False)
