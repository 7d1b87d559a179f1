"""Latent-space maths: sampling noise, truncation, and interpolation. Pure functions."""

import torch


def sample_latents(n: int, dim: int, seed: int, truncation: float | None = None,
                   device: torch.device | str = "cpu") -> torch.Tensor:
    """`n` standard-normal latents from `seed`; with `truncation`, values beyond ±truncation are redrawn.

    Seeded on the CPU so the same seed gives the same latents on every device.
    """
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, dim, generator=gen)
    if truncation is not None:
        if truncation <= 0:
            raise ValueError("truncation must be positive (try 0.5 to 2; leave it unset for none)")
        # Redraw out-of-range values (the "truncation trick" of BigGAN) until none remain.
        for _ in range(1000):
            outside = z.abs() > truncation
            if not outside.any():
                break
            z[outside] = torch.randn(int(outside.sum()), generator=gen)
        else:  # a tiny truncation could loop for ever: clamp what is left
            z = z.clamp(-truncation, truncation)
    return z.to(device)


def latent_code(z: torch.Tensor, codes: int) -> torch.Tensor:
    """The categorical code a latent carries: the index of the largest of its first `codes` values.

    Uniform over the `codes` categories for Gaussian z, so a generator can read a discrete choice out
    of the one latent vector that sampling, truncation and interpolation already handle."""
    return z[:, :codes].argmax(1)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Linear interpolation between latent vectors `a` and `b`: shape (D,) for a scalar `t`, (T, D) for T values."""
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    out = a + (b - a) * t.reshape(-1, 1)
    return out[0] if t.dim() == 0 else out


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation between latent vectors `a` and `b`; shapes as for `lerp`.

    Gaussian latents concentrate near a sphere; slerp keeps intermediate points at a typical
    norm where lerp would pass through the low-density region near the origin.
    """
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    scalar = t.dim() == 0
    t = t.reshape(-1, 1)
    norms = a.norm() * b.norm()
    omega = torch.arccos((a.dot(b) / norms).clamp(-1.0, 1.0)) if norms > 0 else torch.zeros((), dtype=a.dtype)
    so = torch.sin(omega)
    if so.abs() < eps:  # parallel, opposite or zero vectors: no one great circle joins them, so a straight line
        out = a + (b - a) * t
    else:
        out = (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
    return out[0] if scalar else out
