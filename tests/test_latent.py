"""Latent maths: interpolation and truncated sampling."""

import pytest
import torch

from gan_models import latent_code, lerp, sample_latents, slerp


def test_lerp_endpoints_and_midpoint():
    a, b = torch.zeros(4), torch.ones(4)
    assert torch.equal(lerp(a, b, 0.0), a) and torch.equal(lerp(a, b, 1.0), b)
    assert torch.allclose(lerp(a, b, 0.5), torch.full((4,), 0.5))
    assert lerp(a, b, torch.linspace(0, 1, 7)).shape == (7, 4)


def test_slerp_endpoints_and_constant_norm():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(100, generator=gen)
    b = torch.randn(100, generator=gen)
    b = b / b.norm() * a.norm()
    path = slerp(a, b, torch.linspace(0, 1, 9))
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    # Between equal-norm endpoints slerp stays on the sphere; lerp cuts inside it.
    assert torch.allclose(path.norm(dim=1), a.norm().expand(9), rtol=1e-4)
    assert lerp(a, b, 0.5).norm() < a.norm() * 0.9


def test_slerp_of_parallel_opposite_or_zero_vectors_falls_back_to_lerp():
    a = torch.ones(3)
    assert torch.allclose(slerp(a, 2 * a, 0.5), torch.full((3,), 1.5))
    t = torch.linspace(0, 1, 5)
    z = torch.randn(100)
    for start, end in ((z, -z), (torch.zeros(100), z), (z, torch.zeros(100))):
        assert torch.allclose(slerp(start, end, t), lerp(start, end, t))  # finite: no division by sin(0) or sin(pi)


def test_interpolation_takes_two_vectors_not_batches():
    z = torch.randn(2, 16)
    for interpolate in (lerp, slerp):
        with pytest.raises(ValueError, match=r"two latent vectors of one shape \(D,\); got \(2, 16\)"):
            interpolate(z, z.flip(0), 0.5)


def test_sample_latents_is_seeded_and_truncated():
    assert torch.equal(sample_latents(8, 16, seed=3), sample_latents(8, 16, seed=3))
    assert not torch.equal(sample_latents(8, 16, seed=3), sample_latents(8, 16, seed=4))
    z = sample_latents(1000, 16, seed=0, truncation=0.5)
    assert z.abs().max() <= 0.5
    with pytest.raises(ValueError, match="truncation must be positive"):
        sample_latents(2, 2, seed=0, truncation=0)


@pytest.mark.parametrize("truncation", [None, 1.0])
def test_more_latents_keep_the_first_ones(truncation):
    # Asking for more digits in the app must not redraw the ones on screen.
    many = sample_latents(16, 100, seed=5, truncation=truncation)
    for n in (1, 3, 9, 15):
        assert torch.equal(sample_latents(n, 100, seed=5, truncation=truncation), many[:n])


def test_latent_code_is_a_uniform_category_read_from_the_first_values():
    z = sample_latents(20_000, 100, seed=0)
    codes = latent_code(z, 10)
    assert torch.equal(codes, z[:, :10].argmax(1))
    shares = torch.bincount(codes, minlength=10) / len(codes)
    assert (shares - 0.1).abs().max() < 0.01
    changed = z.clone()
    changed[:, 10:] = 0  # values past the first ten do not choose the category
    assert torch.equal(latent_code(changed, 10), codes)
