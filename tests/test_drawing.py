"""Free drawings made MNIST digits: placement, size, polarity, stroke width, and blank canvases."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFilter

from gan_models.drawing import THICK, THIN, read_digits, scribble_warning, stroke_width, to_mnist


@pytest.fixture(scope="module")
def digits(mnist_dir) -> np.ndarray:
    from training.data import load_mnist

    return load_mnist(mnist_dir, train=False)[0][:6].numpy()


def centre_of_mass(digit: np.ndarray) -> np.ndarray:
    ys, xs = np.indices(digit.shape)
    return np.array([(ys * digit).sum(), (xs * digit).sum()]) / digit.sum()


def box_size(digit: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(digit.any(1)), np.flatnonzero(digit.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def correlation(a: np.ndarray, b: np.ndarray, blur: int = 1) -> float:
    """Pearson correlation, after averaging blur x blur cells: a stroke a little wider still matches."""
    a, b = (F.avg_pool2d(torch.tensor(v, dtype=torch.float64)[None, None], blur).flatten().numpy() for v in (a, b))
    return float(np.corrcoef(a, b)[0, 1])


def big(digit: np.ndarray, size: int = 280) -> Image.Image:
    return Image.fromarray(digit).resize((size, size), Image.BILINEAR)


def drawings(digit: np.ndarray) -> dict:
    """The digit drawn in the ways a person might: moved, enlarged, dark on light, thick, thin, on a
    transparent canvas."""
    shifted = np.zeros((64, 90), np.uint8)
    shifted[30:58, 3:31] = digit
    large = big(digit)
    canvas = np.zeros((500, 400), np.uint8)
    canvas[40:320, 100:380] = np.asarray(large)
    transparent = np.zeros((280, 280, 4), np.uint8)
    transparent[..., :3] = (200, 30, 30)  # a red pen: its colour must not matter, only where it painted
    transparent[..., 3] = np.asarray(large)
    return {
        "as is": digit, "shifted": shifted, "off-centre on a big canvas": canvas,
        "dark on light": Image.fromarray(255 - canvas), "float grey": digit / 255.0,
        "RGB": np.repeat(255 - digit[..., None], 3, axis=2), "transparent RGBA": transparent,
        "grey and alpha": np.dstack([np.zeros_like(digit), digit]),
        "thick": large.filter(ImageFilter.MaxFilter(31)),
        "thin": large.point(lambda v: 255 * (v > 128)).filter(ImageFilter.MinFilter(11)),
    }


def test_drawings_become_mnist_digits(digits):
    for digit in digits:
        for name, drawing in drawings(digit).items():
            out = to_mnist(drawing)
            assert out.shape == (28, 28) and out.dtype == np.uint8, name
            assert np.abs(centre_of_mass(out.astype(float)) - 14).max() <= 0.6, name
            assert max(box_size(out)) == 20 and min(box_size(out)) <= 20, name
            assert out.max() == 255, name
            assert THIN <= stroke_width(out / 255) <= THICK, name
            assert correlation(out, digit, blur=2) > 0.7, name
            if name in {"as is", "shifted", "dark on light", "RGB", "transparent RGBA", "grey and alpha"}:
                assert correlation(out, digit) > 0.9, name


def test_an_mnist_digit_stays_itself(digits):
    assert all(correlation(to_mnist(d), d) > 0.97 for d in digits)


def test_thick_and_thin_strokes_are_brought_to_mnist_width(digits):
    drawn = drawings(digits[0])
    assert stroke_width(to_mnist(drawn["thick"]) / 255) < stroke_width(np.asarray(drawn["thick"]) / 255) / 10
    one_pixel = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(one_pixel).line([(100, 60), (300, 60), (180, 340)], fill=0, width=1)  # a 7 with a fine pen
    out = to_mnist(one_pixel)
    assert THIN <= stroke_width(out / 255) <= THICK and (out > 127).sum() > 30


@pytest.mark.parametrize("canvas", [
    np.full((200, 200), 255, np.uint8), np.zeros((50, 80), np.uint8), np.zeros((64, 64, 4), np.uint8),
    Image.new("RGB", (100, 100), (240, 240, 240)), np.full((30, 30), 0.5),
])
def test_a_blank_canvas_is_a_sentence(canvas):
    with pytest.raises(ValueError, match="the drawing is blank"):
        to_mnist(canvas)
    with pytest.raises(ValueError, match="the drawing is blank"):
        scribble_warning(canvas)


def test_faint_marks_on_paper_are_not_a_digit():
    paper = np.random.default_rng(0).integers(235, 256, (120, 120)).astype(np.uint8)
    with pytest.raises(ValueError, match="blank"):
        to_mnist(paper)


@pytest.mark.parametrize("bad", [np.zeros((28,)), np.zeros((28, 28, 5)), np.zeros((1, 28)), np.array([["a"]])])
def test_what_is_no_image_is_a_sentence(bad):
    with pytest.raises(ValueError, match="a drawing must be"):
        to_mnist(bad)


def test_a_scribble_is_told_apart_from_digits(digits):
    blob = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(blob).ellipse((40, 60, 260, 240), fill=0)
    scrawl = Image.new("L", (300, 300), 255)
    rng = np.random.default_rng(0)
    for _ in range(60):
        ImageDraw.Draw(scrawl).line([tuple(rng.integers(40, 260, 2)), tuple(rng.integers(40, 260, 2))], fill=0, width=12)
    for scribble in (blob, scrawl):
        assert "scribble" in scribble_warning(scribble)
    for digit in digits:
        assert all(scribble_warning(d) is None for name, d in drawings(digit).items() if name != "thick")


def test_read_digits(digits, tmp_path):
    np.save(tmp_path / "many.npy", digits)
    np.save(tmp_path / "one.npy", digits[0])
    Image.fromarray(255 - digits[1]).resize((100, 100)).save(tmp_path / "drawn.png")
    assert np.array_equal(read_digits(tmp_path / "many.npy"), digits)
    assert read_digits(tmp_path / "one.npy").shape == (1, 28, 28)
    assert correlation(read_digits(tmp_path / "drawn.png")[0], digits[1]) > 0.9
    np.save(tmp_path / "float.npy", digits / 255.0)
    (tmp_path / "text.png").write_text("not an image")
    for name, message in [("float.npy", "must hold uint8"), ("text.png", "cannot read"), ("none.png", "cannot read")]:
        with pytest.raises(ValueError, match=message):
            read_digits(tmp_path / name)
