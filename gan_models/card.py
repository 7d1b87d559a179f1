"""Model cards: one template, filled from the card's data alone, so that a card rewritten after an
evaluation or a new default keeps one structure. The Hub reads the front matter: `model-index` (its
evaluation results), `datasets`, `pipeline_tag`; people read the Markdown below it."""

from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

CARD, SAMPLES = "README.md", "samples.png"
MNIST = "ylecun/mnist"  # the Hub's MNIST dataset
DATASET_WORDS = {"mnist": "MNIST", "stacked-mnist": "Stacked MNIST (three MNIST digits as the red, green and "
                 "blue channels)", "mnist-colour": "MNIST and colour digits made from it"}
METRIC_NAMES = {"fd": "FD (MNIST classifier features)", "precision": "precision", "recall": "recall",
                "is": "IS (MNIST classifier)", "kl": "KL of digit shares to uniform", "modes": "modes present",
                "confidence": "mean classifier confidence", "label_accuracy": "label accuracy",
                # a translator's (training/translation_metrics.py)
                "shape_kept": "A → B read as the source digit (colour classifier)",
                "fd_b": "FD of A → B (colour classifier features)",
                "round_trip": "A → B → A read as the source digit (MNIST classifier)",
                "round_trip_error": "A → B → A mean absolute pixel error",
                "b2a_accuracy": "B → A read as the digit (MNIST classifier)", "b2a_error": "B → A mean absolute pixel error",
                "fd_a": "FD of B → A (MNIST classifier features)"}

TEMPLATE = """# digitgan `{architecture}` {kind}

{summary}

{samples}## How to load

```python
{how_to_load}
```

## Intended uses and limitations

{uses}

## Training

{training}

## Evaluation

{evaluation}
"""

GENERATOR = {
    "kind": "generator",
    "summary": "A GAN generator of 28×28 handwritten digits{conditional}, trained on {dataset} with the digitgan "
               "trainer.",
    "how_to_load": "from gan_models import generate, load_generator  # pip install from the digitgan repository\n"
                   "g = load_generator(\"{repo}\")\n"
                   "digits = generate(g, n=16, seed=0)  # uint8 (16, channels, 28, 28); same seed, same digits",
    "uses": "For learning and demonstrating GANs: sampling, interpolation and comparison of handwritten digits. "
            "It draws MNIST-like digits only (white on black, 28×28); it is not a handwriting recogniser, and its "
            "digits are not real people's handwriting. A truncation below its default trades variety for "
            "cleaner digits.",
    "scored_by": "`python -m training.evaluate` against MNIST's test digits",
    "to_score": "`python -m training.evaluate --model FOLDER --update-card`",
}


TRANSLATOR = {
    "kind": "translator",
    "summary": "Translates 28×28 digits between two unpaired domains: MNIST's grey digits (A) and colour digits "
               "made from them in the MNIST-M manner (B), learnt from disjoint halves of MNIST's training digits, "
               "so from no pairs (cycle weight {cycle_weight}, identity weight {identity_weight}). The sample rows: "
               "grey test digits, A → B, A → B → A; colour test digits, B → A, B → A → B.",
    "how_to_load": "from gan_models import load_translator, translate  # pip install from the digitgan repository\n"
                   "t = load_translator(\"{repo}\")\n"
                   "colour = translate(t, grey_digits, \"a2b\")  # uint8 (N, 28, 28) -> (N, 3, 28, 28); \"b2a\" goes back",
    "uses": "For learning and demonstrating unpaired image-to-image translation and what the cycle loss does. It "
            "knows MNIST-style digits and its own colour domain only; other pictures give meaningless colours.",
    "scored_by": "`python benchmarks/colorize.py` on MNIST's test digits and their colour versions "
                 "(training/translation_metrics.py says how each score is made)",
    "to_score": "`python benchmarks/colorize.py --models FOLDER --update-cards`",
}


def card_defaults(config: dict) -> dict:
    """The card fields every digitgan generator gets: library, licence, tags, dataset, task."""
    conditional = config.get("num_classes", 0) > 0
    task = "conditional-image-generation" if conditional else "unconditional-image-generation"
    return {"library_name": "pytorch", "license": "mit", "tags": ["gan", "mnist", "digitgan", config["architecture"],
                                                                  task],
            "datasets": [MNIST], "pipeline_tag": "unconditional-image-generation",
            "architecture": config["architecture"]}


def model_index(data: dict, name: str) -> list[dict]:
    """The Hub's `model-index` for the scalar results in the card's `quality` (empty without any)."""
    quality = data.get("quality") or {}
    metrics = [{"type": k, "name": METRIC_NAMES.get(k, k), "value": v} for k, v in quality.items()
               if type(v) in (int, float) and k not in ("n", "seed")]
    if not metrics:
        return []
    name = name if "/" in name else f"digitgan-{name}"
    task = data.get("pipeline_tag", "unconditional-image-generation")
    return [{"name": name, "results": [{
        "task": {"type": task, "name": task.replace("-", " ").capitalize()},
        "dataset": {"type": MNIST, "name": "MNIST", "split": "test"}, "metrics": metrics}]}]


def render(data: dict, name: str = "model", samples: bool = False, kind: dict = GENERATOR) -> str:
    """The whole card, front matter and Markdown, from its data (`kind` holds the family's words);
    `name` is the model's Hub repo id, or its folder's name."""
    data = {k: v for k, v in data.items() if k != "model-index"}
    data["datasets"] = [MNIST]  # every digitgan model learns from MNIST's digits
    index = model_index(data, name)
    front = ModelCardData(**data, **({"model-index": index} if index else {})).to_yaml()
    values = {"architecture": data.get("architecture", "?"),
              "repo": name if "/" in name else "path/to/folder or owner/name",
              "conditional": ", conditional on the digit" if data.get("conditional") else "",
              "dataset": DATASET_WORDS.get(data.get("dataset"), "MNIST"), "cycle_weight": f"{data.get('cycle_weight', '?')}",
              "identity_weight": f"{data.get('identity_weight', '?')}"}
    body = TEMPLATE.format(
        architecture=values["architecture"], kind=kind["kind"], summary=kind["summary"].format(**values),
        samples=f"![samples]({SAMPLES})\n\n" if samples else "", how_to_load=kind["how_to_load"].format(**values),
        uses=kind["uses"], training=_training(data), evaluation=_evaluation(data, kind))
    return f"---\n{front}\n---\n{body}"


def _training(data: dict) -> str:
    parts = []
    if "steps" in data:
        minutes = f" in {data['training_time_s'] / 60:.1f} min" if type(data.get("training_time_s")) in (int, float) else ""
        device = f" on {data['training_device']}" if data.get("training_device") else ""
        parts.append(f"{data['steps']} steps with the `{data.get('loss', '?')}` loss{minutes}{device}.")
    if data.get("training_command"):
        parts.append(f"```bash\n{data['training_command']}\n```")
    return "\n\n".join(parts) or "Not recorded."


def _evaluation(data: dict, kind: dict) -> str:
    quality = {k: v for k, v in (data.get("quality") or {}).items() if not isinstance(v, (list, dict, str, bool))}
    lines = []
    if quality:
        lines += [f"Scored by {kind['scored_by']}:", "",
                  "| metric | value |", "| --- | --- |",
                  *(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in quality.items()), ""]
    if "default_truncation" in data or "default_truncation_reason" in data:  # YAML drops a None
        t, why = data.get("default_truncation"), data.get("default_truncation_reason")
        lines.append((f"Default truncation: {t:g}, measured by `benchmarks/truncation.py`; truncation 0 gives full "
                      "variety." if t else "Default truncation: none (full variety).") + (f" {why.rstrip('.')}." if why else ""))
    if data.get("continuous_codes_measured"):
        lines += ["", _codes_line(data["continuous_codes_measured"])]
    return "\n".join(lines).strip() or f"Not evaluated yet: {kind['to_score']}."


def _codes_line(codes: dict) -> str:
    """What each continuous code was measured to control (benchmarks/codes.py's rows)."""
    parts = [_code_part(code, row[row["controls"]], row["controls"])
             for code, row in codes.items() if isinstance(row, dict) and row.get("controls") in row]
    return ("Continuous codes, as `benchmarks/codes.py` measured them (median over latents): " + "; ".join(parts)
            + ". Set them with `generate(..., continuous=[c1, c2])`.")


def _code_part(code: str, measured, name: str) -> str:
    rho = measured.get("rho") if isinstance(measured, dict) else None
    spread = measured.get("abs_rho", rho) if isinstance(measured, dict) else None
    if not all(type(v) in (int, float) for v in (rho, spread)):
        return f"{code} steers {name}"
    # A median |ρ| far above |median ρ| means the code moves the measure, but one way or the other by latent.
    if abs(rho) >= 0.8 * abs(spread):
        return f"{code} steers {name} (Spearman ρ {rho:+.2f})"
    return f"{code} changes {name}, in a direction that varies by latent (median |ρ| {spread:.2f})"


def write_card(folder: Path, data: dict, name: str | None = None, kind: dict = GENERATOR) -> Path:
    """Write `folder`'s README.md from `data` (with a sample image where the folder has one)."""
    folder = Path(folder)
    text = render(data, name or folder.resolve().name, (folder / SAMPLES).exists(), kind)
    ModelCard(text).save(folder / CARD)
    return folder / CARD


def update_card(folder: Path, kind: dict = GENERATOR, **changes) -> Path:
    """Rewrite `folder`'s card with `changes` to its data, in the one structure."""
    data = ModelCard.load(Path(folder) / CARD).data.to_dict()
    return write_card(folder, {**data, **changes}, kind=kind)
