"""The GAN paper's MNIST networks (Goodfellow et al. 2014): a ReLU MLP
generator and a maxout discriminator with dropout.

Final layers are float32 under any mixed-precision policy.
"""

import math

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="keras_gans")
class Maxout(layers.Layer):
    """Maxout units (Goodfellow et al. 2013): the max over `pieces` linear maps."""

    def __init__(self, units, pieces, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.pieces = int(pieces)
        self.dense = layers.Dense(self.units * self.pieces, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x):
        h = self.dense(x)
        h = keras.ops.reshape(h, (-1, self.units, self.pieces))
        return keras.ops.max(h, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces}


def mlp_generator(latent_dim, image_shape, hidden=(1200, 1200), name="generator"):
    """The GAN paper's MNIST generator: ReLU MLP; tanh output in [-1, 1]."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation="relu", name=f"fc{i + 1}")(h)
    h = layers.Dense(math.prod(image_shape), name="out")(h)
    h = layers.Activation("tanh", dtype="float32", name="tanh")(h)
    img = layers.Reshape(image_shape, dtype="float32", name="image")(h)
    return keras.Model(z, img, name=name)


def maxout_discriminator(image_shape, hidden=(240, 240), pieces=5, dropout=0.5,
                         input_dropout=0.2, name="discriminator"):
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
