"""The README and docs/: every ```python snippet runs, every picture and page they link exists, the
pictures stay small, and the Space's header says what the Hub needs.

A snippet runs as it is, in a fresh interpreter, from a folder that holds a link to pretrained/. An
HTML comment on the line before it says what else it needs:
    <!-- test: mnist -->   MNIST ($DIGITGAN_DATA_DIR set to the mnist_dir fixture's folder)
    <!-- test: app -->     a running app: http://127.0.0.1:7860/ becomes the app_url fixture's address
    <!-- test: skip (why) -->  not run: an excerpt of code that runs elsewhere
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SNIPPET = re.compile(r"(?:<!-- test: (?P<marker>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.S)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s#]+\.md)(?:#[^)]*)?\)")
APP_URL = "http://127.0.0.1:7860/"
MAX_PICTURE_BYTES = 150_000  # tens of KB each: the README loads them all
SNIPPET_SECONDS = 240


def snippets() -> list:
    found = []
    for page in PAGES:
        for i, match in enumerate(SNIPPET.finditer(page.read_text())):
            marker = (match["marker"] or "").split(" ")[0]
            marks = [pytest.mark.skip(reason=match["marker"])] if marker == "skip" else []
            found.append(pytest.param(match["code"], marker, id=f"{page.relative_to(ROOT)}-{i + 1}", marks=marks))
    return found


@pytest.mark.parametrize("code, marker", snippets())
def test_snippet_runs(code: str, marker: str, request: pytest.FixtureRequest, tmp_path: Path):
    assert marker in ("", "mnist", "app", "skip"), f"unknown snippet marker {marker!r}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    if marker == "mnist":
        env["DIGITGAN_DATA_DIR"] = str(request.getfixturevalue("mnist_dir"))
    if marker == "app":
        code = code.replace(APP_URL, request.getfixturevalue("app_url"))
    (tmp_path / "pretrained").symlink_to(ROOT / "pretrained")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=SNIPPET_SECONDS)
    assert done.returncode == 0, f"the snippet failed:\n{code}\n{done.stdout}\n{done.stderr}"


def linked(pattern: re.Pattern) -> list:
    return [pytest.param(page, target, id=f"{page.relative_to(ROOT)}:{target}")
            for page in PAGES for match in pattern.finditer(page.read_text())
            for target in [next(group for group in match.groups() if group)] if "://" not in target]


@pytest.mark.parametrize("page, target", linked(IMAGE))
def test_every_picture_exists_and_is_small(page: Path, target: str):
    picture = (page.parent / target).resolve()
    assert picture.is_file(), f"{page.name} shows {target}, which is missing: python benchmarks/figures.py " \
                              f"--out docs/assets (or screenshots.py) makes the pictures"
    assert picture.suffix in (".png", ".gif")
    assert picture.stat().st_size <= MAX_PICTURE_BYTES, f"{target} is {picture.stat().st_size:,} bytes"


@pytest.mark.parametrize("page, target", linked(LINK))
def test_every_linked_page_exists(page: Path, target: str):
    assert (page.parent / target).resolve().is_file(), f"{page.name} links {target}, which is missing"


def test_every_picture_in_docs_assets_is_shown_somewhere():
    shown = {(page.parent / target).resolve() for page, target in (p.values for p in linked(IMAGE))}
    unshown = [p.name for p in sorted((ROOT / "docs" / "assets").iterdir()) if p.resolve() not in shown]
    assert not unshown, f"pictures no page shows: {unshown}"


def test_the_space_header_has_what_the_hub_reads():
    header = (ROOT / "README.md").read_text().split("---\n")[1]
    fields = dict(re.findall(r"^(\w+): *(.*)$", header, re.M))
    for key in ("title", "sdk", "sdk_version", "app_file", "short_description", "suggested_hardware", "tags",
                "license"):
        assert key in fields, f"the README's header lacks {key}"
    assert fields["sdk"] == "gradio" and fields["app_file"] == "app.py"
    assert len(fields["short_description"]) <= 60  # the Hub's limit


def test_the_figures_script_makes_the_sample_grids_and_the_gif(tmp_path: Path):
    """The quick parts of benchmarks/figures.py (the training runs take a minute: run them by hand)."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "figures.py"), "--out", str(tmp_path),
                           "--only", "samples", "gif", "codes", "colorize"], capture_output=True, text=True, timeout=SNIPPET_SECONDS,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    models = ("dcgan", "cdcgan", "mlp", "stacked-dcgan", "infogan")
    assert {p.name for p in tmp_path.iterdir()} == ({f"samples-{m}.png" for m in models} | {"interpolation.gif"}
                                                    | {"codes-infogan-1.png", "codes-infogan-2.png", "colorize.png"})
    assert all(p.stat().st_size <= MAX_PICTURE_BYTES for p in tmp_path.iterdir())


CLIS = ["training.run", "training.evaluate", "training.classifier", "training.push", "gan_models.sample",
        "gan_models.invert", "gan_models.translate", *sorted(f"benchmarks/{p.name}" for p in
                                                          (ROOT / "benchmarks").glob("*.py"))]
HELP_OF_EACH = """
import contextlib, io, runpy, sys
for cli in sys.argv[1:]:
    sys.argv, out = [cli, "--help"], io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        runpy.run_path(cli, run_name="__main__") if cli.endswith(".py") else runpy.run_module(cli, run_name="__main__")
    print(f"=== {cli}\\n{out.getvalue()}")
"""


def long_helps(text: str) -> list[str]:
    """The options whose help takes more than two lines of argparse's output."""
    found, block = [], []
    for line in text.splitlines() + [""]:
        if re.match(r"^  -", line) or not line.strip():
            if block and len(block) - (not re.match(r"^  \S.*?\s{2,}\S", block[0])) > 2:
                found.append(block[0].strip())
            block = [line] if line.strip() else []
        elif block and line.startswith("    "):
            block.append(line)
    return found


def test_no_help_text_of_any_command_takes_more_than_two_lines():
    done = subprocess.run([sys.executable, "-c", HELP_OF_EACH, *CLIS], capture_output=True, text=True, cwd=ROOT,
                          timeout=SNIPPET_SECONDS, env={**os.environ, "COLUMNS": "80"})
    per_cli = dict(part.split("\n", 1) for part in done.stdout.split("=== ")[1:])
    assert set(per_cli) == set(CLIS) and all("usage:" in text for text in per_cli.values()), done.stderr[-2000:]
    assert {cli: long_helps(text) for cli, text in per_cli.items() if long_helps(text)} == {}


def test_long_helps_counts_the_lines_of_each_option_s_help():
    text = ("options:\n  -h, --help  show this\n  --a A       one\n              two\n              three\n"
            "  --a-very-long-option-name VALUE\n              one\n              two\n")
    assert long_helps(text) == ["--a A       one"]
