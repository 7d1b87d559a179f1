"""digitgan playground: generate, interpolate and compare handwritten digits drawn by trained GANs,
draw your own, colourise them, and train a GAN live in the Lab. The page is built from one module
per tab in playground/.

    python app.py  # http://127.0.0.1:7860; env: GRADIO_SERVER_PORT, GRADIO_SERVER_NAME,
                   # DIGITGAN_PRETRAINED_DIR (default: the pretrained/ folder beside this file),
                   # DIGITGAN_MODELS: Hub repos owner/name[@revision], comma-separated, beside the bundled models
"""

import os

import gradio as gr
import torch

from playground import card, codes, colorize, compare, draw_tab, generate, interpolate, lab, lab_tab
from playground.checks import count_inputs
from playground.models import default_model, forget_session, load_model, model_names, session_of

CONCURRENCY = min(4, os.cpu_count() or 1)  # requests run side by side, one per core, one thread each
# Queue positions go out once a second, rather than to every waiting client each time a request
# starts (with 16 clients waiting, 16 messages per request).
STATUS_UPDATE_S = 1.0
CSS_FILE = os.path.join(os.path.dirname(__file__), "playground", "page.css")


def model_choices(request: gr.Request = None) -> dict:
    """The dropdown's choices for this visit (models added since the start show up) and its model."""
    return gr.update(choices=model_names(session_of(request)), value=default_model())


def model_truncation(model: str | None = None, request: gr.Request = None) -> float:
    """The model's own default truncation (0: off), for the Generate tab's slider."""
    try:
        return card.default_truncation(load_model(model, session_of(request))[2]) or 0
    except gr.Error:
        return 0


def session_closed(request: gr.Request) -> None:
    """A closed page's Lab run stops and its Lab models go."""
    lab.end_session(session_of(request))
    forget_session(session_of(request))


with gr.Blocks(title="digitgan", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
    gr.Markdown("# digitgan\nHandwritten digits drawn by GANs trained on MNIST. Same inputs, same digits.")
    with gr.Row(elem_id="model-row"):
        model = gr.Dropdown(model_names(), value=None, label="Model", allow_custom_value=True, min_width=240,
                            info="for Generate, Interpolate, Draw and Colorize; Compare draws from every model")
        report = gr.HTML("Loading models…", elem_id="model-list", min_height=0)
    with gr.Accordion("Model card", open=False):
        card_panel = gr.HTML()
    with gr.Tab("Generate"):
        redraw, digit, truncation, generate_codes = generate.build(model)
    with gr.Tab("Interpolate"):
        digit_a, digit_b, frames, interpolate_codes = interpolate.build(model, generate.seed_box,
                                                                        generate.DIGIT_CHOICES)
    with gr.Tab("Compare"):
        compare.build(generate.seed_box, generate.truncation_slider)
    with gr.Tab("Draw"):
        draw_tab.build(model)
    with gr.Tab("Colorize"):
        colorize.build(model, generate.seed_box)
    with gr.Tab("Lab"):
        lab_tab.build(model)

    # preprocess=False everywhere: the functions check every input in a sentence naming it. The page
    # opens on no model; the load below picks the default, and the change draws it.
    chosen = model.change(card.model_card, model, [card_panel, digit, digit_a, digit_b], api_name="model_card",
                          preprocess=False)
    redraw(chosen.then(model_truncation, model, truncation, api_visibility="private", preprocess=False))
    model.change(lambda: (None, None), None, frames, api_visibility="private", queue=False)  # another model's frames go
    model.change(codes.show_for, model, generate_codes, api_visibility="private", queue=False)
    model.change(codes.show_with_sweep, model, interpolate_codes, api_visibility="private", queue=False)
    demo.load(model_choices, None, model, api_name="model_choices", queue=False)
    demo.load(card.model_report, None, report, api_name="models")
    demo.unload(session_closed)
    count_inputs(demo)
    # Gradio's queue rebuilds a pandas summary of up to 10,000 past events after every event, for a
    # monitoring page this app leaves off: ms of CPU per request on a server that has run a while.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")  # read by the queue, made next
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64, status_update_rate=STATUS_UPDATE_S)

if __name__ == "__main__":
    torch.set_num_threads(1)  # the server's requests never fight over the cores (set here: importing stays side-effect free)
    demo.launch(css_paths=[CSS_FILE])
