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
    page.wait_for_function("() => document.querySelectorAll('#digits img').length === 16", timeout=30_000)


def test_clicking_generate_shows_the_grid_then_the_digits(page, app_url: str):
    page.goto(app_url)
    page.get_by_role("button", name="Generate", exact=True).click()
    image = page.locator("#grid img")
    image.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelector('#grid img')?.naturalWidth > 0", timeout=30_000)
    # 16 digits by default: a 4 x 4 grid of 30-pixel cells (2-pixel borders), enlarged to at least 480 pixels
    assert image.evaluate("img => img.naturalWidth") >= 480
    # Then the gallery, from its own call: one image per digit.
    page.wait_for_function("() => document.querySelectorAll('#digits img').length === 16", timeout=30_000)
    assert page.locator(".toast-body.error").count() == 0


def test_on_a_phone_every_digit_of_the_gallery_is_in_view(page, app_url: str):
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(app_url)
        page.wait_for_function("() => document.querySelectorAll('#digits img').length === 16", timeout=30_000)
        gallery = page.locator("#digits").bounding_box()
        cells = [cell.bounding_box() for cell in page.locator("#digits .thumbnail-item").all()]
    finally:
        page.set_viewport_size({"width": 1280, "height": 1000})
    assert len(cells) == 16
    assert all(cell["x"] + cell["width"] <= gallery["x"] + gallery["width"] + 1 for cell in cells)
    assert all(abs(cell["width"] - cell["height"]) <= 1 for cell in cells)  # square, as the digits are


def test_a_grid_that_fails_leaves_no_digits_on_the_page(page, app_url: str):
    page.goto(app_url)
    page.wait_for_function("() => document.querySelectorAll('#digits img').length === 16", timeout=30_000)
    page.get_by_label("Seed", exact=True).first.fill("-5")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('#digits img').length === 0", timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('#grid img').length === 0", timeout=30_000)
