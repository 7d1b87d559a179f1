"""The app in a real browser: headless Debian Chromium, driven by Playwright, clicks Generate and sees digits."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Playwright's own browser download cannot work offline
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


if not CHROMIUM.exists() and os.environ.get("CI") != "true":  # in CI a missing browser fails, below
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium to run the browser test)", allow_module_level=True)


@pytest.fixture(scope="module")
def page():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package for the browser test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser.new_page(viewport={"width": 1280, "height": 1000})
        browser.close()


def test_the_page_opens_with_the_default_digits_drawn(page, app_url: str):
    page.goto(app_url)
    page.wait_for_function("() => document.querySelector('#grid img')?.naturalWidth > 0", timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('#digits .digit').length === 16", timeout=30_000)


def test_clicking_generate_shows_the_grid_then_the_digits(page, app_url: str):
    page.goto(app_url)
    page.get_by_role("button", name="Generate", exact=True).click()
    image = page.locator("#grid img")
    image.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelector('#grid img')?.naturalWidth > 0", timeout=30_000)
    # 16 digits by default: a 4 x 4 grid of 30-pixel cells (2-pixel borders), enlarged to at least 480 pixels
    assert image.evaluate("img => img.naturalWidth") >= 480
    # Then the gallery, cut from the same grid file by the page itself: one cell per digit.
    page.wait_for_function("() => document.querySelectorAll('#digits .digit').length === 16", timeout=30_000)
    source = image.evaluate("img => img.src")
    backgrounds = page.locator("#digits .digit").evaluate_all("cells => cells.map(c => getComputedStyle(c).backgroundImage)")
    assert all(source in background for background in backgrounds)
    assert page.locator(".toast-body.error").count() == 0


def test_on_a_phone_every_digit_of_the_gallery_is_in_view(page, app_url: str):
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(app_url)
        page.wait_for_function("() => document.querySelectorAll('#digits .digit').length === 16", timeout=30_000)
        gallery = page.locator("#digits").bounding_box()
        cells = [cell.bounding_box() for cell in page.locator("#digits .digit").all()]
    finally:
        page.set_viewport_size({"width": 1280, "height": 1000})
    assert len(cells) == 16
    assert all(cell["x"] + cell["width"] <= gallery["x"] + gallery["width"] + 1 for cell in cells)
    assert all(abs(cell["width"] - cell["height"]) <= 1 for cell in cells)  # square, as the digits are


def test_a_grid_that_fails_leaves_no_digits_on_the_page(page, app_url: str):
    page.goto(app_url)
    page.wait_for_function("() => document.querySelectorAll('#digits .digit').length === 16", timeout=30_000)
    page.get_by_label("Seed", exact=True).first.fill("-5")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('#digits .digit').length === 0", timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('#grid img').length === 0", timeout=30_000)


OVERLAPS = """(imageSelector) => {
  // Every visible label, button or toolbar that covers part of an image: none may.
  const images = [...document.querySelectorAll(imageSelector)];
  const boxes = images.map(e => e.getBoundingClientRect());
  const others = [...document.querySelectorAll('button, label, [data-testid="block-label"], .icon-button')]
    .filter(e => e.offsetParent !== null && !images.some(img => e.contains(img)))  // a thumbnail holds its image
    .map(e => [e, e.getBoundingClientRect()]);
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  return others.filter(([e, box]) => box.width > 0 && box.height > 0 && boxes.some(img => hit(img, box)))
               .map(([e]) => e.outerHTML.slice(0, 120));
}"""


def test_on_a_phone_nothing_covers_the_digits_and_the_model_picker_has_the_width(page, app_url: str):
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(app_url)
        page.wait_for_function("() => document.querySelectorAll('#digits .digit').length === 16", timeout=30_000)
        assert page.evaluate(OVERLAPS, "#grid img, #digits .digit") == []
        picker = page.get_by_label("Model", exact=True).bounding_box()
        models = page.locator("#model-list").bounding_box()
        assert picker["width"] >= 250 and models["y"] >= picker["y"] + picker["height"]  # one above the other
        page.get_by_role("tab", name="Interpolate").click()
        page.get_by_role("button", name="Interpolate", exact=True).click()
        page.wait_for_function("() => document.querySelector('#frames img')?.naturalWidth > 0", timeout=30_000)
        assert page.evaluate(OVERLAPS, "#frames img, #animation img") == []
        frames = page.locator("#frames img").bounding_box()
        assert frames["width"] / 8 >= 80  # 8 frames a row, each at least 80 px wide (the strip scrolls)
    finally:
        page.set_viewport_size({"width": 1280, "height": 1000})


def test_the_lab_shows_the_grid_change_while_it_trains_then_stops(page, app_url: str):
    page.goto(app_url)
    page.get_by_role("tab", name="Lab").click()
    page.get_by_label("ring").check()
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_function("() => document.querySelector('#lab-picture-a img')?.src", timeout=90_000)
    sources = set()
    for _ in range(120):
        source = page.evaluate("() => document.querySelector('#lab-picture-a img')?.src")
        if source:
            sources.add(source)
        if len(sources) >= 3:
            break
        page.wait_for_timeout(500)
    assert len(sources) >= 3, "the picture did not change at least twice"
    page.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_function("() => document.querySelector('#lab-status')?.innerText.includes('stopped')",
                           timeout=30_000)
