"""The GAN paper's MNIST networks (Goodfellow et al. 2014): a ReLU MLP
generator and a maxout discriminator with dropout; and the toy mixtures'
generator of points (`point_generator`), which the toy entry pairs with the
same maxout discriminator, without dropout, as PacGAN's code does.

Final layers are float32 under any mixed-precision policy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import keras
from keras import layers

if TYPE_CHECKING:
    import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_gans")
class Maxout(layers.Layer):
    """Maxout units (Goodfellow et al. 2013): the max over `pieces` linear maps."""

    def __init__(self, units: int, pieces: int, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.pieces = int(pieces)
        self.dense = layers.Dense(self.units * self.pieces, dtype=self.dtype_policy)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.dense.build(input_shape)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        h = self.dense(x)
        h = keras.ops.reshape(h, (-1, self.units, self.pieces))
        return keras.ops.max(h, axis=-1)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[0], self.units)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "pieces": self.pieces}


def mlp_generator(latent_dim: int, image_shape: tuple[int, ...],
                  hidden: Sequence[int] = (1200, 1200), name: str = "generator") -> keras.Model:
    """The GAN paper's MNIST generator: ReLU MLP; tanh output in [-1, 1]."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation="relu", name=f"fc{i + 1}")(h)
    h = layers.Dense(math.prod(image_shape), name="out")(h)
    h = layers.Activation("tanh", dtype="float32", name="tanh")(h)
    img = layers.Reshape(image_shape, dtype="float32", name="image")(h)
    return keras.Model(z, img, name=name)


def maxout_discriminator(image_shape: tuple[int, ...], hidden: Sequence[int] = (240, 240),
                         pieces: int = 5, dropout: float = 0.5, input_dropout: float = 0.2,
                         name: str = "discriminator") -> keras.Model:
    """The GAN paper's MNIST discriminator: maxout layers with dropout."""
    x = keras.Input(image_shape, name="image")
    h = layers.Flatten()(x)
    if input_dropout:
        h = layers.Dropout(input_dropout)(h)
    for i, units in enumerate(hidden):
        h = Maxout(units, pieces, name=f"maxout{i + 1}")(h) if pieces > 1 else \
            layers.LeakyReLU(0.2)(layers.Dense(units, name=f"fc{i + 1}")(h))
        if dropout:
            h = layers.Dropout(dropout)(h)
    logits = layers.Dense(1, dtype="float32", name="logits")(h)
    return keras.Model(x, logits, name=name)


def point_generator(latent_dim: int, dim: int, hidden: Sequence[int] = (400, 400, 400, 400),
                    batch_norm: bool = True, name: str = "generator") -> keras.Model:
    """The PacGAN/VEEGAN toy generator: ReLU layers (each after batch norm
    when `batch_norm`), a linear output of `dim` coordinates (float32)."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i, units in enumerate(hidden):
        h = layers.Dense(units, use_bias=not batch_norm, name=f"fc{i + 1}")(h)
        if batch_norm:
            # synchronized: under a strategy the statistics cover the global batch
            h = layers.BatchNormalization(synchronized=True, name=f"bn{i + 1}")(h)
        h = layers.ReLU()(h)
    x = layers.Dense(dim, dtype="float32", name="points")(h)
    return keras.Model(z, x, name=name)
