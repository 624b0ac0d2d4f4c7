"""Super-resolution networks of SRGAN (Ledig et al., CVPR 2017): the SRResNet
generator and the paper's discriminator.

Both take and make images in [-1, 1]; the final layers are float32 under any
mixed-precision policy. In the paper's notation (k: kernel, n: filters, s: stride):

    generator      k9n64s1 PReLU; B residual blocks (k3n64s1 BN PReLU k3n64s1 BN,
                   + skip); k3n64s1 BN + long skip from the first layer;
                   (k3n256s1, pixel shuffle x2, PReLU) once per factor of 2; k9n3s1
    discriminator  k3n64s1 LReLU; k3n64s2, k3n128s1, k3n128s2, k3n256s1, k3n256s2,
                   k3n512s1, k3n512s2 each with BN and LReLU 0.2; dense 1024,
                   LReLU 0.2, dense 1 (a logit)

The generator is fully convolutional (PReLU slopes are shared over height and
width), so one trained on 24x24 inputs upscales an image of any size. The
discriminator averages its last feature map over the image (global average
pooling) before the dense layers where the paper flattens a fixed 6x6 map of
its 96 px crops: the same layers, but it judges any crop size.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

SCALES = (2, 4)
# The discriminator's conv layers: (filters as a multiple of the first, stride).
D_LAYERS = ((1, 1), (1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2))
# The layer of D whose activations the "discriminator" content loss compares.
D_FEATURE_LAYER = "d_act6"


@keras.saving.register_keras_serializable(package="keras_gans")
class PixelShuffle(layers.Layer):
    """Sub-pixel convolution's rearrangement (Shi et al. 2016): channels
    `factor**2 * C` at HxW become C at (factor H)x(factor W)
    (`tf.nn.depth_to_space`)."""

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return tf.nn.depth_to_space(x, self.factor)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, h, w, c = input_shape
        grow = lambda s: None if s is None else s * self.factor  # noqa: E731
        return (b, grow(h), grow(w), None if c is None else c // self.factor ** 2)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


def check_scale(scale: int) -> int:
    """`scale` as an int; a ValueError unless it is 2 or 4."""
    if isinstance(scale, bool) or int(scale) not in SCALES or int(scale) != scale:
        raise ValueError(f"SRGAN upscales by 2 or 4 (scale=2 or scale=4), not {scale!r}.")
    return int(scale)


def batch_norm(name: str) -> layers.Layer:
    """Batch norm whose statistics cover the global batch under a
    tf.distribute strategy (synchronized), so N replicas train as one device."""
    return layers.BatchNormalization(momentum=0.9, synchronized=True, name=name)


def prelu(name: str) -> layers.Layer:
    """PReLU with one slope per channel (shared over height and width, so the
    network takes any image size)."""
    return layers.PReLU(shared_axes=[1, 2], name=name)


@keras.saving.register_keras_serializable(package="keras_gans")
class BicubicUpsample(layers.Layer):
    """Bicubic upsampling by `factor` (`tf.image.resize`), in float32."""

    def __init__(self, factor: int = 4, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        shape = tf.shape(x)
        size = tf.stack([shape[1] * self.factor, shape[2] * self.factor])
        return tf.image.resize(tf.cast(x, tf.float32), size, method="bicubic")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, h, w, c = input_shape
        grow = lambda s: None if s is None else s * self.factor  # noqa: E731
        return (b, grow(h), grow(w), c)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


def srresnet(scale: int = 4, filters: int = 64, blocks: int = 16, channels: int = 3,
             bicubic_skip: bool = False, name: str = "generator") -> keras.Model:
    """The SRResNet generator: LR images (any height and width) in [-1, 1] to
    `scale` times larger HR images in [-1, 1] (tanh out).

    With `bicubic_skip` (not in the paper) the network's last convolution,
    initialised to zero, is added to the bicubic upscaling of its input
    instead of going through tanh: G starts as bicubic interpolation and
    learns what it lacks (the global residual of VDSR, Kim et al. 2016),
    which a short CPU training needs to get past bicubic at all."""
    scale = check_scale(scale)
    x = keras.Input((None, None, channels), name="lr")
    h = layers.Conv2D(filters, 9, padding="same", name="conv_in")(x)
    h = skip = prelu("prelu_in")(h)
    for i in range(int(blocks)):
        r = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                          name=f"res{i + 1}_conv_a")(h)
        r = batch_norm(name=f"res{i + 1}_bn_a")(r)
        r = prelu(f"res{i + 1}_prelu")(r)
        r = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                          name=f"res{i + 1}_conv_b")(r)
        r = batch_norm(name=f"res{i + 1}_bn_b")(r)
        h = layers.Add(name=f"res{i + 1}")([h, r])
    h = layers.Conv2D(filters, 3, padding="same", use_bias=False, name="conv_body")(h)
    h = batch_norm(name="bn_body")(h)
    h = layers.Add(name="long_skip")([h, skip])
    for i in range({2: 1, 4: 2}[scale]):
        h = layers.Conv2D(filters * 4, 3, padding="same", name=f"up{i + 1}_conv")(h)
        h = PixelShuffle(2, name=f"up{i + 1}_shuffle")(h)
        h = prelu(f"up{i + 1}_prelu")(h)
    if bicubic_skip:
        h = layers.Conv2D(channels, 9, padding="same", dtype="float32", name="conv_out",
                          kernel_initializer="zeros")(h)
        img = layers.Add(dtype="float32", name="plus_bicubic")(
            [BicubicUpsample(scale, name="bicubic")(x), h])
    else:
        h = layers.Conv2D(channels, 9, padding="same", dtype="float32", name="conv_out")(h)
        img = layers.Activation("tanh", dtype="float32", name="tanh")(h)
    return keras.Model(x, img, name=name)


def discriminator(filters: int = 64, dense: int = 1024, channels: int = 3,
                  name: str = "discriminator") -> keras.Model:
    """The SRGAN discriminator: HR images (any size of at least 16 px) in
    [-1, 1] to one logit each ("is this a real HR image?")."""
    x = keras.Input((None, None, channels), name="hr")
    h = x
    for i, (mult, stride) in enumerate(D_LAYERS):
        # (No bias where batch norm follows: it would be removed with the mean.)
        h = layers.Conv2D(filters * mult, 3, strides=stride, padding="same", use_bias=i == 0,
                          name=f"d_conv{i + 1}")(h)
        if i > 0:
            h = batch_norm(name=f"d_bn{i + 1}")(h)
        h = layers.LeakyReLU(0.2, name=f"d_act{i + 1}")(h)
    h = layers.GlobalAveragePooling2D(name="d_pool")(h)
    h = layers.Dense(int(dense), name="d_dense")(h)
    h = layers.LeakyReLU(0.2, name="d_dense_act")(h)
    logit = layers.Dense(1, dtype="float32", name="logit")(h)
    return keras.Model(x, logit, name=name)


def feature_model(d: keras.Model, layer: str = D_FEATURE_LAYER) -> keras.Model:
    """A model giving discriminator `d`'s activations at `layer` (sharing its
    weights): the features of the "discriminator" content loss."""
    return keras.Model(d.inputs, d.get_layer(layer).output, name=f"{d.name}_features")


# ----------------------------------------------------------------- VGG54
# VGG19's ImageNet preprocessing ("caffe" mode): BGR, means subtracted, 0..255.
VGG_MEAN_BGR = (103.939, 116.779, 123.68)
VGG_LAYER = "block5_conv4"   # phi_5,4: after the 4th conv (and ReLU) before the 5th pool
VGG_SCALE = 1.0 / 12.75      # the paper's rescaling of the VGG feature maps


def vgg_input(images: tf.Tensor) -> tf.Tensor:
    """RGB images in [-1, 1] as VGG19 expects them (BGR, 0..255, less the means)."""
    x = (tf.cast(images, tf.float32) + 1.0) * 127.5
    return x[..., ::-1] - tf.constant(VGG_MEAN_BGR, tf.float32)


def vgg54(weights: str) -> keras.Model:
    """VGG19 up to block5_conv4, frozen, with `weights` ("imagenet": Keras
    downloads them once to ~/.keras/models; or a local .h5 weights file of
    `keras.applications.VGG19(include_top=False)`)."""
    vgg = keras.applications.VGG19(include_top=False, weights=weights,
                                   input_shape=(None, None, 3))
    vgg.trainable = False
    return keras.Model(vgg.input, vgg.get_layer(VGG_LAYER).output, name="vgg54")
