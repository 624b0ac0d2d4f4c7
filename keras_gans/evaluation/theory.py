"""The GAN paper's two propositions, checked numerically on the 1-D mixture.

Goodfellow et al. (NeurIPS 2014), Proposition 1: for a fixed G the best
discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x)). Theorem 1: at D*,
V(D*, G) = -log 4 + 2 JSD(p_data || p_g), which is least (-log 4) exactly when
p_g = p_data.

`check_optimal_discriminator` freezes a generator whose density is known in
closed form (G(z) = scale z + shift, so p_g = N(shift, scale^2)), trains only
D against it with the GAN core's own D update (`ZooModel.update("d", ...)` on
`GAN.discriminator_loss`), and compares D with D* on a grid, and the Monte
Carlo value V(D, G) with the JSD integrated from the two densities. The
tests (tests/test_theory.py) and `python benchmarks/theory.py` (the plot of
docs/theory.md) call it.
"""

from __future__ import annotations

import math
import pathlib

import keras
import numpy as np
import tensorflow as tf

from keras_gans import files
from keras_gans.data import mixtures

LOG4 = math.log(4.0)


def linear_generator(scale: float, shift: float, name: str = "generator") -> keras.Model:
    """G(z) = scale * z + shift for a 1-D latent: with z ~ N(0, 1) its
    density is N(shift, scale^2). Frozen (not trainable)."""
    z = keras.Input((1,), name="z")
    x = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(scale),
                           bias_initializer=keras.initializers.Constant(shift),
                           dtype="float32", name="affine")(z)
    model = keras.Model(z, x, name=name)
    model.trainable = False
    return model


def gaussian_density(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The density of N(mean, std^2) at `x`."""
    x = np.asarray(x, np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g), pointwise (1/2 where both are 0)."""
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    total = p_data + p_g
    return np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)


def jensen_shannon(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """JSD(p || q) in nats of two densities given on the grid `x`
    (trapezoidal rule): 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2."""
    p, q, x = (np.asarray(a, np.float64) for a in (p, q, x))
    m = 0.5 * (p + q)

    def term(a):
        return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / np.where(m > 0, m, 1.0)),
                        0.0)

    f = 0.5 * term(p) + 0.5 * term(q)
    return float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(x)))


def value(model: keras.Model, real: np.ndarray, z: np.ndarray, batch: int = 65536) -> float:
    """Monte Carlo V(D, G) = E_x log D(x) + E_z log(1 - D(G(z))) of a GAN
    `model` (sigmoid D), on real points `real` and latents `z`."""
    def mean_of(inputs, fn):
        total = 0.0
        for i in range(0, len(inputs), batch):
            total += float(tf.reduce_sum(fn(tf.constant(inputs[i:i + batch]))))
        return total / len(inputs)

    def log_d(x):
        return -tf.nn.softplus(-tf.cast(model.discriminate(x, None, training=False),
                                        tf.float32))

    def log_1m_d_fake(zz):
        fake = model.generator(zz, training=False)
        return -tf.nn.softplus(tf.cast(model.discriminate(fake, None, training=False),
                                       tf.float32))

    return mean_of(np.asarray(real, "float32"), log_d) + mean_of(np.asarray(z, "float32"),
                                                                 log_1m_d_fake)


def fit_discriminator(model: keras.Model, mixture: mixtures.Mixture, steps: int,
                      batch_size: int = 512, seed: int = 0) -> float:
    """Train only D of GAN `model` for `steps` steps on fresh real batches
    (G stays as it is), each the GAN core's D update; returns the last loss."""
    points = mixture.sample(max(200_000, batch_size), seed=seed)
    ds = (tf.data.Dataset.from_tensor_slices(points).shuffle(len(points), seed=seed)
          .repeat().batch(batch_size, drop_remainder=True))

    @tf.function
    def step(real):
        z = model.sample_latents(tf.shape(real)[0])
        loss, _ = model.update("d", lambda: model.discriminator_loss(real, None, z))
        return loss

    loss = float("nan")
    for real in ds.take(int(steps)):
        loss = step(real)
    return float(loss)


def check_optimal_discriminator(steps: int = 3000, batch_size: int = 512,
                                hidden: tuple[int, ...] = (64, 64), pieces: int = 5,
                                scale: float = 1.5, shift: float = 0.0, lr: float = 3e-3,
                                seed: int = 0, value_samples: int = 200_000,
                                plot: str | pathlib.Path | None = None) -> dict:
    """Train D to convergence against the frozen G(z) = scale z + shift on
    the 1-D mixture; returns

        gap_mean, gap_max   mean and largest |D(x) - D*(x)| on 801 points of [-4, 4]
        value               V(D, G), Monte Carlo on `value_samples` of each
        jsd                 JSD(p_data || p_g), integrated on a fine grid
        value_at_optimum    -log 4 + 2 jsd, what V(D*, G) is
        value_gap           value - value_at_optimum (<= 0 up to sampling noise)

    and writes the plot of D against D* to `plot` when given."""
    from keras_gans.core import GAN
    from keras_gans.nets import mlp
    keras.utils.set_random_seed(seed)
    mixture = mixtures.get("1d")
    model = GAN(linear_generator(scale, shift), mlp.maxout_discriminator(
        (1,), hidden, pieces, dropout=0.0, input_dropout=0.0), latent_dim=1, seed=seed,
        loss="minimax")
    schedule = keras.optimizers.schedules.CosineDecay(lr, int(steps), alpha=0.05)
    model.compile(d_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(1e-4))
    fit_discriminator(model, mixture, steps, batch_size, seed)

    x = np.linspace(-4.0, 4.0, 801)
    p_data = mixture.density(x[:, None])
    p_g = gaussian_density(x, shift, scale)
    d_star = optimal_discriminator(p_data, p_g)
    logits = model.discriminate(tf.constant(x[:, None].astype("float32")), None, training=False)
    d = tf.sigmoid(tf.cast(logits, tf.float32)).numpy().ravel()
    fine = np.linspace(-12.0, 12.0, 48001)
    jsd = jensen_shannon(mixture.density(fine[:, None]), gaussian_density(fine, shift, scale),
                         fine)
    rng = np.random.default_rng(seed + 1)
    v = value(model, mixture.sample(value_samples, seed=seed + 2),
              rng.standard_normal((value_samples, 1)))
    gap = np.abs(d - d_star)
    result = {"gap_mean": float(gap.mean()), "gap_max": float(gap.max()), "value": v,
              "jsd": jsd, "value_at_optimum": 2 * jsd - LOG4, "value_gap": v - (2 * jsd - LOG4),
              "steps": int(steps), "batch_size": int(batch_size), "scale": scale, "shift": shift}
    if plot is not None:
        from keras_gans import plots
        title = (f"D trained {steps} steps against frozen G ~ N({shift:g}, {scale:g}^2): "
                 f"mean |D - D*| = {result['gap_mean']:.3f}\nV(D, G) = {v:.4f}, "
                 f"-log 4 + 2 JSD = {result['value_at_optimum']:.4f}")
        files.save_png(plot, plots.discriminator_vs_optimum(x, d, d_star, p_data, p_g, title))
        result["plot"] = str(plot)
    return result
