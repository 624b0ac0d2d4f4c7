"""Network builders shared by the zoo (functional Keras models).

Final layers are float32 under any mixed-precision policy, so images and logits
leave the networks in float32.
"""

import math

import keras
from keras import layers


def dcgan_init():
    """Weights drawn from N(0, 0.02), as in Radford et al. 2016."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def dcgan_bn():
    # synchronized: under a tf.distribute strategy the batch statistics cover the
    # global batch (as on one device); without one it is plain batch norm.
    return layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, synchronized=True,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))


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


DCGAN_SIZES = (28, 32, 64)


def _dcgan_plan(image_shape):
    height, width, channels = image_shape
    if height != width or height not in DCGAN_SIZES:
        raise ValueError(
            f"DCGAN makes square {'/'.join(map(str, DCGAN_SIZES))}px images, not "
            f"{height}x{width}: resize the data (e.g. --image-size 32).")
    if channels not in (1, 3):
        raise ValueError(f"DCGAN makes 1- or 3-channel images, not {channels}.")
    # (starting spatial size, number of 2x upsamplings)
    return {28: (7, 2), 32: (4, 3), 64: (4, 4)}[height]


def dcgan_generator(latent_dim, image_shape, filters=64, name="generator"):
    """Radford et al.'s generator: project z, then fractionally-strided 5x5
    convolutions with batch norm and ReLU, halving filters as size doubles,
    and a tanh output layer without batch norm."""
    start, ups = _dcgan_plan(image_shape)
    z = keras.Input((latent_dim,), name="z")
    width = filters * 2 ** (ups - 1)
    h = layers.Dense(start * start * width, use_bias=False,
                     kernel_initializer=dcgan_init(), name="project")(z)
    h = layers.Reshape((start, start, width))(h)
    h = layers.ReLU()(dcgan_bn()(h))
    for i in range(ups - 1):
        width //= 2
        h = layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=dcgan_init(), name=f"deconv{i + 1}")(h)
        h = layers.ReLU()(dcgan_bn()(h))
    h = layers.Conv2DTranspose(image_shape[-1], 5, strides=2, padding="same",
                               kernel_initializer=dcgan_init(), name="to_image")(h)
    img = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model(z, img, name=name)


def dcgan_discriminator(image_shape, filters=64, name="discriminator", extra_channels=0):
    """Radford et al.'s discriminator: strided 5x5 convolutions with
    LeakyReLU(0.2), batch norm on all but the first, one logit out.
    `extra_channels`: channels stacked on the image at the input (e.g. a
    conditional model's label maps)."""
    _, ups = _dcgan_plan(image_shape)
    x = keras.Input((*image_shape[:2], image_shape[2] + int(extra_channels)), name="image")
    h = x
    width = filters
    for i in range(ups):
        h = layers.Conv2D(width, 5, strides=2, padding="same", use_bias=i == 0,
                          kernel_initializer=dcgan_init(), name=f"conv{i + 1}")(h)
        if i > 0:
            h = dcgan_bn()(h)
        h = layers.LeakyReLU(0.2)(h)
        width *= 2
    h = layers.Flatten()(h)
    logits = layers.Dense(1, kernel_initializer=dcgan_init(), dtype="float32", name="logits")(h)
    return keras.Model(x, logits, name=name)
