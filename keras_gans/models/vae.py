"""VAE: Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.

The zoo's likelihood model, beside the GANs on the same DCGAN-shaped networks:
the encoder q(z|x) is the DCGAN discriminator's body with two heads (the
posterior's mean and log-variance), the decoder p(x|z) is the DCGAN generator
with a linear last layer. One optimizer ("vae") maximises the evidence lower
bound with the reparameterisation trick:

    z = mean(x) + exp(log_var(x) / 2) * eps,         eps ~ N(0, I)
    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))
            = -reconstruction                - kl        (nats per image)

The expectation uses one draw of z per image, as the paper's MNIST runs do;
the KL term is the closed form for two Gaussians (the paper's appendix B).

Likelihoods (`likelihood`):
  "bernoulli"  each pixel a Bernoulli of probability sigmoid(logit); the
               targets are the pixels mapped from [-1, 1] to [0, 1] (as is usual
               for grey digits, though they are not binary); the image is the
               mean, 2 sigmoid(logit) - 1.
  "gaussian"   each pixel N(tanh(logit), sigma^2) with a fixed `sigma` on the
               [-1, 1] scale; the image is the mean, tanh(logit).

Samples (`generate`, the export's `generate(z)`, every evaluation) decode the
mean image of z ~ N(0, I), so the VAE is scored by the same FID as the GANs.

Code names: `encoder` is q_phi(z|x), `decoder` p_theta(x|z), `mean` and
`log_var` the paper's mu and log sigma^2.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import tensorflow as tf
import keras

from keras_gans.core import LIKELIHOOD, ZooModel
from keras_gans.core import latent as latent_lib
from keras_gans.nets import dcgan

if TYPE_CHECKING:
    from keras_gans.data import ImageData

LIKELIHOODS = ("bernoulli", "gaussian")


class VAE(ZooModel):
    """Variational autoencoder on the DCGAN networks (28, 32 or 64 px, 1 or 3 channels).

    Args:
        image_shape: (size, size, channels), size in 28, 32, 64.
        latent_dim: size of z.
        g_filters: filters of the decoder's last hidden layer (DCGAN's G).
        d_filters: filters of the encoder's first layer (DCGAN's D).
        likelihood: "bernoulli" or "gaussian" (see the module's docstring).
        sigma: the Gaussian likelihood's standard deviation, on the [-1, 1]
            pixel scale.
        beta: weight of the KL term (1: the ELBO; Higgins et al.'s beta-VAE
            weighs it more).
        norm: the encoder's normalisation: "batch" (as DCGAN's D), "layer" or "none".
        seed: seed of the draws of eps.
        lr_decay_start: see `keras_gans.core.ZooModel`.
    """

    kind = LIKELIHOOD
    optimizer_names = ("vae",)
    metric_names = ("elbo", "reconstruction", "kl")
    image_shape_owner = "the decoder makes"

    def __init__(self, image_shape: tuple[int, ...] = (28, 28, 1), latent_dim: int = 32,
                 g_filters: int = 64, d_filters: int = 64, likelihood: str = "bernoulli",
                 sigma: float = 0.1, beta: float = 1.0, norm: str = "batch",
                 seed: int | None = None, lr_decay_start: float = 1.0, **kwargs: Any) -> None:
        likelihood = str(likelihood).strip().lower()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood is one of {', '.join(LIKELIHOODS)}, not {likelihood!r}.")
        if int(latent_dim) < 1:
            raise ValueError(f"latent_dim must be at least 1, got {latent_dim}.")
        if not float(sigma) > 0:
            raise ValueError(f"sigma is the Gaussian likelihood's standard deviation, a number "
                             f"> 0, not {sigma}.")
        if not float(beta) >= 0:
            raise ValueError(f"beta weighs the KL term, a number >= 0 (1: the ELBO), not {beta}.")
        super().__init__(seed=seed, lr_decay_start=lr_decay_start, **kwargs)
        image_shape = tuple(int(s) for s in image_shape)
        self.image_shape = image_shape
        self.latent_dim = int(latent_dim)
        self.likelihood = likelihood
        self.sigma = float(sigma)
        self.beta = float(beta)
        self.hparams = dict(image_shape=image_shape, latent_dim=self.latent_dim,
                            g_filters=g_filters, d_filters=d_filters, likelihood=likelihood,
                            sigma=self.sigma, beta=self.beta, norm=dcgan.check_norm(norm))
        self.encoder = dcgan.dcgan_encoder(image_shape, self.latent_dim, d_filters, norm=norm)
        self.decoder = dcgan.dcgan_generator(self.latent_dim, image_shape, g_filters,
                                             name="decoder", output="logits")
        self.built = True  # the networks are built; nothing lazy is left

    def variables_for(self, name: str) -> list:
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    # ------------------------------------------------------------- inference
    def mean_image(self, logits: tf.Tensor) -> tf.Tensor:
        """The likelihood's mean as an image in [-1, 1]."""
        logits = tf.cast(logits, tf.float32)
        # 2 sigmoid(l) - 1 = tanh(l / 2)
        return tf.tanh(logits / 2.0) if self.likelihood == "bernoulli" else tf.tanh(logits)

    def call(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Mean images for latents `z` (so `predict(z)` works)."""
        return self.mean_image(self.decoder(z, training=training))

    def encode(self, images: tf.Tensor, training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """The posterior q(z|x): (mean, log-variance), float32."""
        mean, log_var = self.encoder(images, training=training)
        return tf.cast(mean, tf.float32), tf.cast(log_var, tf.float32)

    def latents(self, n: int, seed: int | None = None) -> np.ndarray:
        """`n` latents of the prior N(0, I), as `keras-gans sample --seed` draws them."""
        return latent_lib.draw(n, self.latent_dim, seed)

    def generate(self, n: int, seed: int | None = None, batch_size: int = 256) -> np.ndarray:
        """`n` images in [-1, 1] (float32 NHWC) decoded from the prior; the same
        `seed` gives the same images."""
        return self.predict_batches(self.latents(n, seed), batch_size)

    # ------------------------------------------------------------ the bound
    def negative_elbo(self, images: tf.Tensor, training: bool = True) -> tuple[tf.Tensor, dict]:
        """Per-image -ELBO (reconstruction + beta * kl, in nats) and its terms to log."""
        x = tf.cast(images, tf.float32)
        mean, log_var = self.encode(images, training=training)
        eps = self.replica_normal(tf.shape(x)[0], [self.latent_dim])
        z = mean + tf.exp(0.5 * log_var) * eps
        logits = tf.cast(self.decoder(z, training=training), tf.float32)
        per_pixel = (tf.nn.sigmoid_cross_entropy_with_logits(labels=(x + 1.0) / 2.0,
                                                             logits=logits)
                     if self.likelihood == "bernoulli" else
                     tf.square(x - tf.tanh(logits)) / (2.0 * self.sigma ** 2)
                     + 0.5 * math.log(2.0 * math.pi * self.sigma ** 2))
        reconstruction = tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(x)[0], -1]), axis=1)
        kl = 0.5 * tf.reduce_sum(tf.exp(log_var) + tf.square(mean) - 1.0 - log_var, axis=1)
        logs = {"elbo": -tf.reduce_mean(reconstruction + kl),
                "reconstruction": tf.reduce_mean(reconstruction), "kl": tf.reduce_mean(kl)}
        return reconstruction + self.beta * kl, logs

    @staticmethod
    def images_of(data: Any) -> tf.Tensor:
        """The images of a dataset element (labels, if any, are not used)."""
        if isinstance(data, dict):
            return data["image"]
        return data[0] if isinstance(data, (tuple, list)) else data

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        self.require_compiled()
        real = self.images_of(data)
        self.check_images(real)
        # One step of Algorithm 1 (AEVB): gradient of the minibatch's -ELBO
        # with respect to both phi (encoder) and theta (decoder).
        _, logs = self.update("vae", lambda: self.negative_elbo(real))
        return self.record(logs)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        _, logs = self.negative_elbo(self.images_of(data), training=False)
        return self.record(logs)

    # ---------------------------------------------------------------- export
    def export_endpoints(self) -> dict:
        """`generate(z)`: float32 (n, latent_dim) latents to mean images in
        [-1, 1]; `encode(images)`: images in [-1, 1] to the posterior's mean
        (the latent of an image, for the latent-space tools)."""
        z_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")
        image_spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name="images")

        def generate(z):
            return self(z, training=False)

        def encode(images):
            return self.encode(images, training=False)[0]

        return {"generate": (generate, [z_spec]), "encode": (encode, [image_spec])}

    def export_metadata(self) -> dict:
        return {"latent_dim": self.latent_dim, "likelihood": self.likelihood,
                **super().export_metadata()}

    # ------------------------------------------------------ data and grids
    def sample_inputs(self, data: ImageData, n: int, seed: int) -> np.ndarray:
        """Fixed latents for the per-epoch sample grids."""
        return self.latents(n, seed)

    def sample_grid(self, inputs: np.ndarray) -> np.ndarray:
        from keras_gans import files
        return files.grid(keras.ops.convert_to_numpy(self(inputs, training=False)))
