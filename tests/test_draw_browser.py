"""The Draw tab in a real browser: a stroke drawn with the mouse on the sketchpad comes back reconstructed."""

from test_app_browser import OVERLAPS, page  # noqa: F401 (page is a fixture); skips this module too without the browser


def test_a_drawn_stroke_comes_back_as_a_reconstruction(page, app_url: str):
    page.goto(app_url)
    page.get_by_role("tab", name="Draw").click()
    canvas = page.locator("#draw-canvas")
    canvas.get_by_role("button", name="Brush", exact=True).click()
    box = canvas.locator("canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2  # the drawing area sits in the middle
    page.mouse.move(x - 50, y - 80)
    page.mouse.down()
    page.mouse.move(x + 50, y - 80, steps=4)  # a 7: across the top, then down and to the left
    page.mouse.move(x - 10, y + 80, steps=6)
    page.mouse.up()
    page.get_by_role("button", name="Find it in the model").click()
    page.wait_for_function("() => document.querySelector('#draw-reconstruction img')?.naturalWidth > 0",
                           timeout=60_000)
    page.wait_for_function("() => /step (\\d+) of \\1,/.test(document.querySelector('#draw-reading').innerText)",
                           timeout=60_000)  # the search ran to its last step
    assert page.locator("#draw-digit img").evaluate("img => img.naturalWidth") == 224
    assert page.evaluate(OVERLAPS, "#draw-digit img, #draw-reconstruction img") == []
    assert page.locator(".toast-body.error").count() == 0
