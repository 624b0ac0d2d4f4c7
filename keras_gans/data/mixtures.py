"""Low-dimensional Gaussian mixtures with known densities: the toy entry's data.

    1d    two Gaussians on a line, N(-2, 0.5^2) and N(2, 0.5^2), equal weights
          (the D* and JSD checks of docs/theory.md)
    ring  8 Gaussians evenly spaced on the unit circle, std 0.01
    grid  25 Gaussians on the 5 x 5 grid {-4, -2, 0, 2, 4}^2, std 0.05

The ring and the grid are the 2-D benchmarks of VEEGAN (Srivastava et al.,
NeurIPS 2017) in the form the PacGAN code uses them (Lin et al., NeurIPS 2018:
`synthetic_data_experiments/*/config.py` of github.com/fjxmlzn/PacGAN): equal
weights, isotropic modes of the std above, 100,000 training points.

A `Mixture` samples, evaluates its density and scores samples as those papers
do (`mode_metrics`): a sample is of high quality when it lies within 3 standard
deviations of its nearest mode; a mode is covered when at least one
high-quality sample is nearest to it; the reverse KL is KL(sample mode
histogram || the mixture's weights).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from keras_gans.data.common import DataError, ImageData

TRAIN_POINTS = 100_000


@dataclasses.dataclass(frozen=True)
class Mixture:
    """An isotropic Gaussian mixture: `means` (k, d), one `std` for all
    modes, `weights` (k,) summing to 1, and the square [-`extent`, `extent`]^d
    that its pictures show."""

    name: str
    means: np.ndarray
    std: float
    weights: np.ndarray
    extent: float

    @property
    def dim(self) -> int:
        """Dimension of the points (1 or 2)."""
        return int(self.means.shape[1])

    @property
    def num_modes(self) -> int:
        """Number of Gaussians."""
        return int(self.means.shape[0])

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """`n` float32 points (n, dim); the same `seed` gives the same points."""
        rng = np.random.default_rng(seed)
        modes = rng.choice(self.num_modes, size=int(n), p=self.weights)
        return (self.means[modes] + self.std * rng.standard_normal((int(n), self.dim))) \
            .astype("float32")

    def density(self, x: np.ndarray) -> np.ndarray:
        """The mixture's density at points `x` (n, dim), float64."""
        x = np.asarray(x, np.float64).reshape(-1, self.dim)
        d2 = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)          # (n, k)
        norm = (2 * math.pi * self.std ** 2) ** (-self.dim / 2)
        return (self.weights[None] * norm * np.exp(-0.5 * d2 / self.std ** 2)).sum(-1)

    def nearest(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index of the nearest mode, distance to it in standard deviations)
        for points `x` (n, dim)."""
        x = np.asarray(x, np.float64).reshape(-1, self.dim)
        out_i, out_d = [], []
        for start in range(0, len(x), 8192):
            chunk = x[start:start + 8192]
            d2 = ((chunk[:, None, :] - self.means[None]) ** 2).sum(-1)
            i = d2.argmin(axis=1)
            out_i.append(i)
            out_d.append(np.sqrt(d2[np.arange(len(chunk)), i]) / self.std)
        if not out_i:
            return np.zeros(0, int), np.zeros(0)
        return np.concatenate(out_i), np.concatenate(out_d)

    def mode_metrics(self, samples: np.ndarray, threshold: float = 3.0) -> dict:
        """The VEEGAN/PacGAN scores of `samples` (n, dim):

            modes         modes with at least one high-quality sample (of num_modes)
            high_quality  share of samples within `threshold` stds of their nearest mode
            reverse_kl    KL(histogram of the high-quality samples over the modes ||
                          weights), in nats; NaN when no sample is of high quality
            counts        high-quality samples per mode
        """
        samples = np.asarray(samples, np.float64).reshape(-1, self.dim)
        if not len(samples):
            raise ValueError("mode_metrics needs at least one sample.")
        if not np.all(np.isfinite(samples)):
            raise ValueError("The samples hold NaN or infinite values: the generator diverged.")
        index, dist = self.nearest(samples)
        good = dist < threshold
        counts = np.bincount(index[good], minlength=self.num_modes)
        total = int(counts.sum())
        if total:
            hist = counts / total
            nz = hist > 0
            reverse_kl = float(np.sum(hist[nz] * np.log(hist[nz] / self.weights[nz])))
        else:
            reverse_kl = float("nan")
        return {"modes": int(np.count_nonzero(counts)), "high_quality": total / len(samples),
                "reverse_kl": reverse_kl, "counts": counts.tolist()}


def _ring() -> Mixture:
    angles = 2 * np.pi * np.arange(8) / 8
    means = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return Mixture("ring", means, 0.01, np.full(8, 1 / 8), 1.5)


def _grid() -> Mixture:
    axis = np.arange(-4.0, 5.0, 2.0)
    means = np.array([(a, b) for a in axis for b in axis])
    return Mixture("grid", means, 0.05, np.full(25, 1 / 25), 6.0)


def _line() -> Mixture:
    return Mixture("1d", np.array([[-2.0], [2.0]]), 0.5, np.array([0.5, 0.5]), 5.0)


MIXTURES = {"1d": _line, "ring": _ring, "grid": _grid}


def get(name: str) -> Mixture:
    """The mixture called `name`; a `DataError` naming the valid ones otherwise."""
    key = str(name).strip().lower()
    if key not in MIXTURES:
        raise DataError(f"Unknown mixture {name!r}: the toy entry trains on one of "
                        f"{', '.join(MIXTURES)} (--data ring).")
    return MIXTURES[key]()


def is_mixture(name: str | None) -> bool:
    """Whether `name` names one of the toy mixtures."""
    return str(name or "").strip().lower() in MIXTURES


def load(name: str, batch_size: int = 100, seed: int | None = None,
         num_points: int = TRAIN_POINTS, image_size: object = None,
         channels: object = None, shuffle: bool = True, **kwargs: object) -> ImageData:
    """`num_points` fixed training points of mixture `name` as an `ImageData`
    (full batches of float32 points, shape (batch, dim); shuffled unless not
    `shuffle`).

    `image_size` and `channels` make no sense for points: giving one is a
    `DataError`; `split` and the like are ignored."""
    import tensorflow as tf
    mixture = get(name)
    if image_size is not None or channels is not None:
        raise DataError(f"The {mixture.name} mixture holds {mixture.dim}-D points, not images: "
                        f"drop --image-size/--channels.")
    if batch_size > num_points:
        raise DataError(f"The {mixture.name} mixture has {num_points} training points, fewer "
                        f"than one batch of {batch_size}: lower the batch size (--batch-size).")
    points = mixture.sample(num_points, seed=0 if seed is None else seed)
    ds = tf.data.Dataset.from_tensor_slices(points)
    if shuffle:
        ds = ds.shuffle(num_points, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return ImageData(ds, (mixture.dim,), None, num_points, batch_size,
                     f"the {mixture.name} mixture ({mixture.num_modes} Gaussians, std "
                     f"{mixture.std:g}, {num_points:,} points)")
