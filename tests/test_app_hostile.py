"""The app against broken model folders and hostile input: a sentence each time, never live markup,
never a traceback. Ends with a bounded fuzz of every API endpoint through gradio_client."""

import json
import random
import shutil
import time
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client

import gan_models

HOSTILE = "<img src=x onerror=alert(1)>**[click me](https://example.com)**"


@pytest.fixture
def folder(app_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models folder of our own for one test, read by the app's modules."""
    monkeypatch.setenv("DIGITGAN_PRETRAINED_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    monkeypatch.delenv("DIGITGAN_MODELS", raising=False)
    (tmp_path / "models").mkdir()
    return tmp_path / "models"


def test_a_card_with_invalid_yaml_is_a_sentence_and_the_model_still_draws(folder, app_models):
    from playground import card, generate

    shutil.copytree(app_models / "dcgan", folder / "badcard")
    (folder / "badcard" / "README.md").write_text("---\nfoo: [unclosed\n---\n")
    text, *_ = card.model_card("badcard")
    assert "The model card (README.md) could not be read" in text and "Traceback" not in text
    assert Path(generate.generate("badcard", seed=1, n=2)).exists()
    assert "✅ <code>badcard</code>" in card.model_report()


def test_the_page_opens_on_a_model_that_loads(folder, app_models):
    from playground import models

    (folder / "aaa-broken").mkdir()
    (folder / "aaa-broken" / "config.json").write_text("{not json")
    shutil.copytree(app_models / "cdcgan", folder / "zzz-works")
    assert models.default_model() == "zzz-works"
    shutil.copytree(app_models / "dcgan", folder / "dcgan")
    assert models.default_model() == "dcgan"


def test_text_from_model_files_is_shown_as_text(folder, app_models):
    from playground import card

    shutil.copytree(app_models / "dcgan", folder / "evil")
    config = json.loads((folder / "evil" / "config.json").read_text())
    (folder / "evil" / "config.json").write_text(json.dumps({**config, "architecture": HOSTILE}))
    shutil.copytree(app_models / "dcgan", folder / "evil-card")
    card_file = folder / "evil-card" / "README.md"
    card_file.write_text(card_file.read_text().replace("loss: hinge", f"loss: '{HOSTILE}'"))
    for text in (card.model_report(), card.model_card("evil")[0], card.model_card("evil-card")[0]):
        assert "<img" not in text and "<a " not in text
    assert "&lt;img src=x onerror=alert(1)&gt;**[click me](https://example.com)**" in card.model_card("evil-card")[0]


def test_errors_echo_a_short_prefix_of_the_input(folder, app_models):
    from playground import generate

    shutil.copytree(app_models / "dcgan", folder / "dcgan")
    for bad in ({"model": "x" * 10_000_000}, {"seed": "y" * 10_000_000}, {"digit": "z" * 1_000_000}):
        with pytest.raises(gr.Error) as raised:
            generate.generate(**{"model": "dcgan", **bad})
        assert len(raised.value.message) < 300


def test_the_card_states_the_default_truncation_and_generate_uses_it(folder, app_models):
    from playground import card, generate

    shutil.copytree(app_models / "dcgan", folder / "dcgan")
    readme = folder / "dcgan" / "README.md"
    readme.write_text(readme.read_text().replace("loss: hinge", "loss: hinge\ndefault_truncation: 1.0"))
    assert card.default_truncation(folder / "dcgan") == 1.0 and "default truncation" in card.model_card("dcgan")[0]
    model_default = generate.generate("dcgan", seed=4, n=4)
    assert model_default == generate.generate("dcgan", seed=4, n=4, truncation=1.0)
    assert model_default != generate.generate("dcgan", seed=4, n=4, truncation=0)  # 0: full variety


# --- the running app ------------------------------------------------------------------------------------

def _post(url: str, api: str, data: list) -> str:
    import urllib.request

    request = urllib.request.Request(f"{url}gradio_api/call/{api}", json.dumps({"data": data}).encode(),
                                     {"Content-Type": "application/json"})
    event = json.load(urllib.request.urlopen(request, timeout=30))["event_id"]
    return urllib.request.urlopen(f"{url}gradio_api/call/{api}/{event}", timeout=60).read().decode()


def test_a_rest_call_with_too_few_inputs_is_a_sentence(app_url: str):
    answer = _post(app_url, "generate", ["dcgan"])
    assert "This endpoint takes 6 input values (model, seed, n, digit, truncation, continuous)" in answer


VALUES = [None, True, -1, 0, 1, 3, 10**30, -1e308, float("nan"), 0.5, "", "dcgan", "any", "7", "lerp", "ring",
          "x" * 5000, "<b>bold</b>", [], ["dcgan"], {"a": 1}, [1, 2]]


def test_fuzzing_every_endpoint_leaves_no_traceback_in_the_log(app_url: str, app_server_log: Path):
    client = Client(app_url, verbose=False, analytics_enabled=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    rng, deadline, calls = random.Random(0), time.monotonic() + 100, 0
    while time.monotonic() < deadline and calls < 400:
        for name, info in endpoints.items():
            values = [rng.choice(VALUES) for _ in info["parameters"]]
            try:
                client.predict(*values, api_name=name)
            except Exception:  # noqa: BLE001 (a refusal is fine; a traceback in the log is not)
                pass
            calls += 1
    for name in endpoints:  # too few inputs, through the REST API
        _post(app_url, name.lstrip("/"), [])
    assert calls > len(endpoints)
    assert "Traceback" not in app_server_log.read_text()
