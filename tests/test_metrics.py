"""The shape measures that benchmarks/codes.py reads an InfoGAN's continuous codes with."""

import torch

from training.metrics import ink_area, slant, spearman, stroke_width


def bar(shear: float, width: int = 2) -> torch.Tensor:
    """A uint8 28x28 vertical stroke `width` pixels wide, its x moving `shear` pixels per row down."""
    image = torch.zeros(28, 28, dtype=torch.uint8)
    for row in range(4, 24):
        x = round(14 + shear * (row - 14))
        image[row, x:x + width] = 255
    return image


def test_slant_orders_sheared_strokes_and_reads_an_upright_one_as_zero():
    shears = [-0.4, -0.2, 0.0, 0.2, 0.4]
    measured = slant(torch.stack([bar(s) for s in shears]))
    assert abs(measured[2].item()) < 1e-6
    assert torch.all(measured[1:] > measured[:-1])
    assert abs(measured[4].item() - 0.4) < 0.05  # mu11 / mu02 is the shear itself


def test_ink_area_grows_with_stroke_width_and_reads_a_channel_axis():
    widths = torch.stack([bar(0.0, w) for w in (1, 2, 3)])
    assert ink_area(widths).tolist() == [20.0, 40.0, 60.0]
    assert ink_area(widths[:, None]).tolist() == [20.0, 40.0, 60.0]


def test_spearman_is_rank_correlation_and_zero_for_a_constant():
    x = torch.arange(10.0)
    assert abs(spearman(x, x ** 3) - 1) < 1e-6 and abs(spearman(x, -x) + 1) < 1e-6
    assert spearman(x, torch.ones(10)) == 0.0  # ties share a rank: no order is made up
    assert abs(spearman(x, torch.tensor([1.0, 0, 3, 2, 5, 4, 7, 6, 9, 8])) - 0.939) < 1e-3


def test_stroke_width_reads_the_width_of_a_stroke_whatever_its_length():
    widths = stroke_width(torch.stack([bar(0.0, w) for w in (1, 2, 3, 4)]))
    assert torch.all(widths[1:] > widths[:-1])
    assert abs(widths[2].item() - 3) < 0.5  # 20 rows of 3 pixels: ink 60, outline 2 * 20 + 2 * 3
    short = torch.zeros(28, 28, dtype=torch.uint8)
    short[10:16, 14:17] = 255
    assert abs(stroke_width(short[None])[0].item() - widths[2].item()) < 1.0
