"""Latent-space maths: sampling noise, truncation, and interpolation. Pure functions."""

import math
import numbers

import torch

MAX_SEED = 2**32 - 1  # seeds run from 0 to this in the app, the command lines and generate()


def whole(value: int, name: str, low: int, high: int | None = None) -> int:
    """`value` as an int (NumPy's integers too), or a ValueError naming `name` and its range when it is
    not a whole number from `low` (to `high`)."""
    if (not isinstance(value, bool) and isinstance(value, numbers.Integral) and low <= value
            and (high is None or value <= high)):
        return int(value)
    bound = f" from {low} to {high:,}" if high is not None else f", at least {low}"
    raise ValueError(f"{name} must be a whole number{bound}; got {value!r}")


def check_seed(seed: int) -> int:
    """`seed` as an int, or a ValueError saying the range when it is not a whole number from 0 to MAX_SEED."""
    return whole(seed, "seed", 0, MAX_SEED)


def sample_latents(n: int, dim: int, seed: int, truncation: float | None = None,
                   device: torch.device | str = "cpu") -> torch.Tensor:
    """`n` standard-normal latents from `seed`; with `truncation`, values beyond ±truncation are redrawn.

    Seeded on the CPU so the same seed gives the same latents on every device, and the first `k` of
    `n` latents are those of `n = k`: asking for more digits keeps the ones already drawn.
    """
    if truncation is not None and not (isinstance(truncation, numbers.Real) and truncation > 0):  # NaN fails too
        raise ValueError("truncation must be positive (try 0.5 to 2; leave it unset for none)")
    z = _normal(n * dim, seed).view(n, dim)
    if truncation is not None:
        # Redraw out-of-range values (the "truncation trick" of BigGAN) until none remain; round `i`
        # offers every position a fresh value of its own, so no latent's redraws depend on the others.
        for i in range(1000):
            outside = z.abs() > truncation
            if not outside.any():
                break
            redraw_seed = (2**62 + seed * 1000 + i) % 2**63  # streams no plain seed below 2**62 uses
            z[outside] = _normal(n * dim, redraw_seed).view(n, dim)[outside]
        else:  # a tiny truncation could loop for ever: clamp what is left
            z = z.clamp(-truncation, truncation)
    return z.to(device)


def _normal(size: int, seed: int) -> torch.Tensor:
    """`size` standard-normal values from `seed`, each the same whatever `size` is.

    torch's CPU randn makes its values 16 at a time and remakes the last 16 of a draw whose size is
    not a multiple of 16, so the draw is rounded up to whole 16s."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(-(-size // 16) * 16, generator=gen)[:size]


def latent_code(z: torch.Tensor, codes: int) -> torch.Tensor:
    """The categorical code a latent carries: the index of the largest of its first `codes` values.

    Uniform over the `codes` categories for Gaussian z, so a generator can read a discrete choice out
    of the one latent vector that sampling, truncation and interpolation already handle."""
    return z[:, :codes].argmax(1)


def continuous_codes(z: torch.Tensor, start: int, k: int) -> torch.Tensor:
    """The `k` continuous codes a latent carries, uniform in [-1, 1]: 2Φ(z) − 1 of its values from
    `start` on (Φ the Gaussian CDF), so sampling, truncation and interpolation handle them as they are."""
    return torch.erf(z[:, start:start + k] / math.sqrt(2))


def with_continuous(z: torch.Tensor, start: int, values) -> torch.Tensor:
    """`z` with its continuous codes from `start` on set to `values` (each in [-1, 1]) in every row."""
    c = torch.as_tensor(values, dtype=z.dtype, device=z.device).clamp(-0.9999, 0.9999)  # ±1 is z = ±inf
    z = z.clone()
    z[:, start:start + len(c)] = math.sqrt(2) * torch.erfinv(c)
    return z


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Linear interpolation between latent vectors `a` and `b`: shape (D,) for a scalar `t`, (T, D) for T values."""
    _check_pair(a, b)
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    out = a + (b - a) * t.reshape(-1, 1)
    return out[0] if t.dim() == 0 else out


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float, eps: float = 1e-6) -> torch.Tensor:
    """Spherical interpolation between latent vectors `a` and `b`; shapes as for `lerp`.

    Gaussian latents concentrate near a sphere; slerp keeps intermediate points at a typical
    norm where lerp would pass through the low-density region near the origin.
    """
    _check_pair(a, b)
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    scalar = t.dim() == 0
    t = t.reshape(-1, 1)
    # The angle in float64: in float32 the cosine of opposite vectors lands a few steps short of -1,
    # an angle up to 1e-3 short of pi, and they would not be told apart from merely distant ones.
    a64, b64 = a.detach().cpu().double(), b.detach().cpu().double()  # on the CPU: Apple GPUs have no float64
    norms = a64.norm() * b64.norm()
    omega = torch.arccos((a64.dot(b64) / norms).clamp(-1.0, 1.0)) if norms > 0 else torch.zeros((), dtype=a64.dtype)
    if torch.sin(omega).abs() < eps:  # parallel, opposite or zero vectors: no one great circle joins them, so a line
        out = a + (b - a) * t
    else:
        omega = omega.to(a.device, a.dtype)
        so = torch.sin(omega)
        out = (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
    return out[0] if scalar else out


def _check_pair(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.dim() != 1 or a.shape != b.shape:  # a batch of pairs would have its rows mixed up, not blended
        raise ValueError(f"interpolation takes two latent vectors of one shape (D,); got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
