"""Screenshots of the app for the README: the Generate tab as the page opens, a drawn 7 found by the
model (Draw), a model's digit in colour (Colorize), and the Lab a few seconds into a 2-D run.

    python benchmarks/screenshots.py --out docs/assets

Starts `python app.py` on a free loopback port (the bundled models, offline) and drives Debian's
Chromium with Playwright; each screenshot is scaled to --width pixels and saved as a palette PNG.
"""

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from training.flags import script_parser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from app_latency import free_port, start_server  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")  # Playwright's own browser download cannot work offline
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 900}
LAB_STEPS = 1000  # of the 2-D run before the Lab's screenshot (a few seconds): the ring is mostly covered


def save(png: bytes, path: Path, width: int) -> None:
    """A screenshot scaled to `width` pixels and reduced to a 128-colour palette (text stays legible)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    image.quantize(128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


def generate_tab(page, url: str) -> bytes:
    """The page as it opens: the default model's grid and its digits one by one."""
    page.goto(url)
    page.wait_for_function("() => document.querySelectorAll('#digits .digit').length === 16", timeout=120_000)
    page.wait_for_timeout(500)  # the gallery's cells paint
    return page.screenshot()


def draw_tab(page) -> bytes:
    """A 7 drawn with the mouse, found in the chosen model: the search run to its last step."""
    page.get_by_role("tab", name="Draw").click()
    canvas = page.locator("#draw-canvas")
    canvas.get_by_role("button", name="Brush", exact=True).click()
    box = canvas.locator("canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 50, y - 80)
    page.mouse.down()
    page.mouse.move(x + 50, y - 80, steps=4)
    page.mouse.move(x - 10, y + 80, steps=6)
    page.mouse.up()
    page.get_by_role("button", name="Find it in the model").click()
    page.wait_for_function("() => /step (\\d+) of \\1,/.test(document.querySelector('#draw-reading')?.innerText)",
                           timeout=120_000)
    return page.screenshot()


def colorize_tab(page) -> bytes:
    """The chosen model's digit at seed 0 in colour from each bundled translator, and back to grey."""
    page.get_by_role("tab", name="Colorize").click()
    page.get_by_role("button", name="Colorize a digit of the chosen model").click()
    page.wait_for_function("() => document.querySelectorAll('#colorized img').length >= 3", timeout=120_000)
    page.wait_for_timeout(500)
    return page.screenshot()


def lab_tab(page) -> bytes:
    """The Lab tab a few seconds into a run on the ring of 8 Gaussians: its controls and what the run shows."""
    page.get_by_role("tab", name="Lab").click()
    page.get_by_label("ring", exact=True).check()
    page.get_by_label("number input for Seconds").fill("180")  # time enough for LAB_STEPS on a slow machine
    page.get_by_label("number input for Seconds").press("Enter")
    start = page.get_by_role("button", name="Start", exact=True)
    start.click()
    page.wait_for_function(f"""() => {{
        const status = document.querySelector('#lab-status')?.innerText || '';
        const step = status.match(/^step ([0-9]+)/);
        return (step && Number(step[1]) >= {LAB_STEPS}) || status.includes(' — ');
    }}""", timeout=300_000)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_function("() => document.querySelector('#lab-status')?.innerText.includes(' — ')", timeout=60_000)
    top = page.get_by_text("Train a GAN here").evaluate("e => e.getBoundingClientRect().top + window.scrollY") - 16
    height = page.evaluate("() => document.documentElement.scrollHeight") - top
    return page.screenshot(full_page=True, clip={"x": 0, "y": top, "width": VIEWPORT["width"], "height": height})


def main() -> None:
    parser = script_parser("python benchmarks/screenshots.py", __doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "assets", help="folder for the pictures")
    parser.add_argument("--width", type=int, default=1000, help="pixels across each saved screenshot")
    args = parser.parse_args()
    if not args.out.is_dir():
        parser.error(f"--out {args.out} is not a folder")
    if not CHROMIUM.exists():
        parser.error(f"{CHROMIUM} is missing: apt-get install chromium")
    if "emoji" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout.lower():
        print("note: no emoji font, so the page's emoji show as boxes (apt-get install fonts-noto-color-emoji)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DIGITGAN_PRETRAINED_DIR": str(ROOT / "pretrained"), "DIGITGAN_MODELS": "",
               "HF_HUB_OFFLINE": "1", "GRADIO_TEMP_DIR": tmp}
        port = free_port()
        server = start_server(ROOT / "app.py", env, port, Path(tmp) / "server.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                     headless=True)
                page = browser.new_page(viewport=VIEWPORT)
                save(generate_tab(page, f"http://127.0.0.1:{port}/"), args.out / "app-generate.png", args.width)
                save(draw_tab(page), args.out / "app-draw.png", args.width)
                save(colorize_tab(page), args.out / "app-colorize.png", args.width)
                save(lab_tab(page), args.out / "app-lab.png", args.width)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
