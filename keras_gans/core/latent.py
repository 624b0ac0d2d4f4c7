"""The latent convention, written once, and walks through the latent space.

`draw(n, latent_dim, seed)` is how every part of keras-gans turns a seed into
latents: `GAN.generate`, the export's `keras_gans.export.generate` (so
`keras-gans sample --seed S`) and the latent tools. The images of a sample grid
are numbered from 0, row by row, so `latents_for(S, [3, 7], latent_dim)` gives
the latents of images 3 and 7 of that grid; `interpolate` and `arithmetic` walk
between such latents.
"""

from __future__ import annotations

import numpy as np
from typing import Iterable, Sequence

# Grid image numbers go below this: drawing the latents of image N draws all N
# before it, so a typo such as 99999999999 would otherwise ask for terabytes.
MAX_INDEX = 100_000


def draw(n: int, latent_dim: int, seed: int | None = None) -> np.ndarray:
    """`n` standard-normal latents (float32, (n, latent_dim)) from `seed`: the
    same seed gives the same latents everywhere (None: fresh ones)."""
    return np.random.default_rng(seed).standard_normal((int(n), int(latent_dim))).astype(
        "float32")


def latents_for(seed: int | None, indices: Sequence[int], latent_dim: int) -> np.ndarray:
    """The latents of grid images `indices` of `keras-gans sample --seed seed`."""
    indices = [int(i) for i in indices]
    if not indices or min(indices) < 0:
        raise ValueError(f"Latent indices must be 0 or more, got {indices}.")
    if max(indices) >= MAX_INDEX:
        raise ValueError(f"Image number {max(indices)} is out of reach: sample grids are "
                         f"numbered from 0 to {MAX_INDEX - 1}; pick a number in that range.")
    return draw(max(indices) + 1, latent_dim, seed)[indices]


def interpolate(z_a: np.ndarray, z_b: np.ndarray, steps: int = 8,
                method: str = "slerp") -> np.ndarray:
    """`steps` latents from z_a to z_b (both included).

    "slerp" follows the great circle (latents of a Gaussian prior live near a
    sphere, so the straight line passes through unlikely, low-norm points);
    "linear" follows the straight line."""
    z_a, z_b = np.asarray(z_a, np.float64).ravel(), np.asarray(z_b, np.float64).ravel()
    if z_a.shape != z_b.shape:
        raise ValueError(f"The two latents differ in size: {z_a.size} and {z_b.size}.")
    if int(steps) < 2:
        raise ValueError(f"An interpolation needs at least 2 steps, got {steps}.")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    if method == "linear":
        return ((1 - t) * z_a + t * z_b).astype("float32")
    if method != "slerp":
        raise ValueError(f"Unknown interpolation {method!r}: choose slerp or linear.")
    na, nb = np.linalg.norm(z_a), np.linalg.norm(z_b)
    cos = np.clip(z_a @ z_b / max(na * nb, 1e-12), -1.0, 1.0)
    omega = np.arccos(cos)
    if omega < 1e-6:  # (nearly) parallel: the line is the arc
        return ((1 - t) * z_a + t * z_b).astype("float32")
    out = (np.sin((1 - t) * omega) * z_a + np.sin(t * omega) * z_b) / np.sin(omega)
    return out.astype("float32")


def arithmetic(terms: Iterable[tuple[int, np.ndarray]]) -> np.ndarray:
    """sum(sign * mean(latents)) over `terms`, a list of (sign, latents array).

    Radford et al. 2016 averaged three exemplars per concept before adding and
    subtracting ("smiling woman - neutral woman + neutral man"): averages are
    steadier than single latents."""
    if not terms:
        raise ValueError("Vector arithmetic needs at least one group of latents.")
    total = 0.0
    for sign, z in terms:
        z = np.asarray(z, np.float64)
        if z.ndim != 2 or len(z) == 0:
            raise ValueError("Each group must hold one or more latent vectors (rows).")
        total = total + float(sign) * z.mean(axis=0)
    return np.asarray(total, "float32")
