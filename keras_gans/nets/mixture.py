"""A Gaussian-mixture latent prior behind a standard-normal latent.

`MixtureLatent` maps z ~ N(0, I) (latent_dim numbers, the zoo's latent
convention, so the export's `generate(z)` and every latent tool stay as they
are) to a draw from a mixture of K equally likely unit Gaussians: z's first
number picks the component (its normal CDF cut into K equal parts), the other
latent_dim - 1 are the draw around that component's centre. The centres are
fixed, standard-normal vectors made from `seed`, so the K components lie about
sqrt(2 (latent_dim - 1)) apart, each with a radius of about sqrt(latent_dim - 1):
G's input falls apart into K separate islands, which a generator can send to
separate modes of the data; a single Gaussian is connected, so G must also
make images between modes. Ben-Yosef & Weinshall, "Gaussian Mixture
Generative Adversarial Networks for Diverse Datasets" (2018), and DeLiGAN
(Gurumurthy et al., CVPR 2017) train GANs on such priors; here the centres
stay fixed and nothing is learnt in this layer.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers


def check_components(components: object) -> int:
    """`latent_mixture` as an int >= 0 (0 and 1: a plain Gaussian), or a
    ValueError saying what it takes."""
    if (isinstance(components, bool) or not isinstance(components, (int, np.integer))
            or int(components) < 0):
        raise ValueError(f"latent_mixture is the number of Gaussians in G's latent prior, a whole "
                         f"number >= 2 (0: the plain standard normal), not {components!r}.")
    return int(components)


def centres(components: int, dim: int, seed: int) -> np.ndarray:
    """The fixed component centres, (components, dim) standard normals from `seed`."""
    return np.random.default_rng(seed).standard_normal((components, dim)).astype("float32")


@keras.saving.register_keras_serializable(package="keras_gans")
class MixtureLatent(layers.Layer):
    """z (batch, d) ~ N(0, I) -> (batch, d - 1) from a mixture of
    `components` unit Gaussians around fixed centres (see the module)."""

    def __init__(self, components: int, seed: int = 0, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.components = check_components(components)
        self.seed = int(seed)

    def build(self, input_shape):
        dim = int(input_shape[-1]) - 1
        if dim < 1:
            raise ValueError("A mixture latent needs latent_dim >= 2 (one number picks the "
                             "component, the rest are the draw).")
        self.centres = self.add_weight(shape=(self.components, dim), initializer="zeros",
                                       trainable=False, name="centres")
        self.centres.assign(centres(self.components, dim, self.seed))

    def call(self, z):
        z = tf.cast(z, tf.float32)
        u = 0.5 * (1.0 + tf.math.erf(z[:, :1] / math.sqrt(2.0)))
        which = tf.clip_by_value(tf.cast(tf.floor(u[:, 0] * self.components), tf.int32), 0,
                                 self.components - 1)
        return tf.gather(self.centres, which) + z[:, 1:]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], None if input_shape[-1] is None else input_shape[-1] - 1)

    def get_config(self):
        return {**super().get_config(), "components": self.components, "seed": self.seed}


def mixed(z: keras.KerasTensor, components: int) -> keras.KerasTensor:
    """What G's first layer sees of its input `z`: z itself, or with
    `components` K >= 2 the `MixtureLatent` draw made from it."""
    if check_components(components) < 2:
        return z
    return MixtureLatent(components, name="mixture_latent")(z)
