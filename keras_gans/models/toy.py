"""The toy entry: small MLPs on low-dimensional Gaussian mixtures whose
densities are known, so that mode collapse can be counted and D compared
with the optimal discriminator D* (docs/theory.md).

The networks and the setting are those of the synthetic experiments of
PacGAN (Lin, Khetan, Fanti & Oh, NeurIPS 2018), which follow VEEGAN
(Srivastava et al., NeurIPS 2017): a 2-D standard normal z; G with four ReLU
layers of 400 units after batch norm and a linear output; D with three maxout
layers of 200 units (5 pieces) and a logit; Adam(1e-4, beta_1 0.8), batches of
100 (the constructor's defaults; `zoo/toy.toml` trains smaller networks faster,
and says how to ask for these). Training is `keras_gans.GAN`'s Algorithm 1 (k D-steps,
any adversarial loss), and `pack=m` is PacGAN: D judges m samples at once.

Each epoch the run scores 2,500 samples as those papers do (modes covered,
share of high-quality samples, reverse KL; `Mixture.mode_metrics`), into the
progress bar, logs.csv and TensorBoard, and draws them over the true modes
with D's output as the background (`samples/epoch_NNNN.png`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import tensorflow as tf

from keras_gans.core import GAN
from keras_gans.core.gan import packed_shape
from keras_gans.data import mixtures
from keras_gans.nets import mlp

if TYPE_CHECKING:
    from keras_gans.data import ImageData
    from keras_gans.training.callbacks import RunState

METRIC_SAMPLES = 2500  # as PacGAN's code scores its runs
METRIC_SEED = 4321


class ToyGAN(GAN):
    """A GAN of points on a 1-D or 2-D Gaussian mixture.

    Args:
        image_shape: (dim,) of the points (from the data).
        data: the mixture's name, "1d", "ring" or "grid" (from the data).
        latent_dim: size of z.
        g_hidden: widths of G's ReLU layers.
        g_batch_norm: batch norm before each of G's ReLUs.
        d_hidden: widths of D's maxout layers.
        maxout_pieces: linear pieces per maxout unit (1: LeakyReLU layers).
        **kwargs: d_steps, loss, seed, ema_decay, lr_decay_start, pack: see
            `keras_gans.GAN`.
    """

    # Tiny MLPs gain nothing from bf16, and its 8 bits of mantissa cannot
    # resolve a mode of std 0.01 at radius 1: float32 under --precision auto.
    auto_precision = "float32"
    train_defaults = {"batch_size": 100, "samples": 2500}

    def __init__(self, image_shape: tuple[int, ...] = (2,), data: str = "ring",
                 latent_dim: int = 2, g_hidden: Sequence[int] = (400, 400, 400, 400),
                 g_batch_norm: bool = True, d_hidden: Sequence[int] = (200, 200, 200),
                 maxout_pieces: int = 5, **kwargs: Any) -> None:
        self.mixture = mixtures.get(data)
        image_shape = tuple(int(s) for s in image_shape)
        if image_shape != (self.mixture.dim,):
            raise ValueError(f"The {self.mixture.name} mixture has {self.mixture.dim}-D points, "
                             f"not points of shape {image_shape}.")
        self.hparams = dict(image_shape=image_shape, data=self.mixture.name,
                            g_hidden=tuple(g_hidden), g_batch_norm=bool(g_batch_norm),
                            d_hidden=tuple(d_hidden), maxout_pieces=maxout_pieces)
        super().__init__(
            mlp.point_generator(latent_dim, self.mixture.dim, tuple(g_hidden), g_batch_norm),
            mlp.maxout_discriminator(packed_shape(image_shape, kwargs.get("pack", 1)),
                                     tuple(d_hidden), maxout_pieces, dropout=0.0,
                                     input_dropout=0.0),
            latent_dim=latent_dim, **kwargs)

    # ------------------------------------------------------------------ data
    @classmethod
    def load_data(cls, name: str, **kwargs: Any) -> ImageData:
        """The mixture `name` (`keras_gans.data.mixtures.load`)."""
        return mixtures.load(name, **kwargs)

    def check_images(self, real: tf.Tensor) -> None:
        got = tuple(real.shape[1:])
        if None not in got and got != self.image_shape:
            raise ValueError(f"The data's points have shape {got} but the model was built for "
                             f"{self.image_shape}: train it on the {self.mixture.name} mixture.")

    # --------------------------------------------------------------- scores
    def discriminator_output(self, points: np.ndarray) -> np.ndarray:
        """D's output at `points` (n, dim), as a float numpy array: the
        probability D(x) for the sigmoid losses, the raw critic value
        otherwise. A packing D sees each point `pack` times over."""
        x = np.repeat(np.asarray(points, "float32"), self.pack, axis=0)
        out = []
        for i in range(0, len(x), 8192 * self.pack):
            logits = tf.cast(self.discriminate(tf.constant(x[i:i + 8192 * self.pack]), None,
                                               training=False), tf.float32)
            if self.adversarial_loss.output == "sigmoid":
                logits = tf.sigmoid(logits)
            out.append(logits.numpy().reshape(-1))
        return np.concatenate(out)

    def mode_metrics(self, n: int = METRIC_SAMPLES, seed: int = METRIC_SEED) -> dict:
        """{modes, high_quality, reverse_kl} of `n` samples (the same
        latents each call): see `Mixture.mode_metrics`."""
        scores = self.mixture.mode_metrics(self.generate(n, seed=seed))
        return {k: scores[k] for k in ("modes", "high_quality", "reverse_kl")}

    def training_callbacks(self, state: RunState | None = None) -> list:
        """The base's (learning-rate decay) and the per-epoch mode metrics."""
        from keras_gans.training import callbacks as cb
        return [*super().training_callbacks(state), cb.EpochMetrics(self.mode_metrics,
                                                                     state=state)]

    # -------------------------------------------------------------- pictures
    def sample_inputs(self, data: ImageData, n: int, seed: int) -> np.ndarray:
        """Fixed latents for the per-epoch scatter (`samples` of them)."""
        return self.latents(n, seed)

    def sample_grid(self, inputs: np.ndarray) -> np.ndarray:
        """The samples of `inputs` over the true modes, D's output shaded
        behind them, with the mode metrics in the title (uint8 HxWx3)."""
        from keras_gans import plots
        points = self.predict_batches(inputs)
        s = self.mixture.mode_metrics(points)
        title = (f"{self.mixture.name}{f', pack {self.pack}' if self.pack > 1 else ''}: "
                 f"{s['modes']}/{self.mixture.num_modes} modes, "
                 f"{100 * s['high_quality']:.1f}% high quality, reverse KL "
                 f"{s['reverse_kl']:.3f} ({len(points)} samples)")
        return plots.mixture_scatter(points, self.mixture, self.discriminator_output, title)

    def export_metadata(self) -> dict:
        return {**super().export_metadata(), "mixture": self.mixture.name}
