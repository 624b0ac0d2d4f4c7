"""Image-to-image networks: the ResNet generator and the PatchGAN discriminator
(Johnson et al. 2016 as adapted by Zhu et al. 2017 for CycleGAN; Isola et al.
2017 for the 70x70 PatchGAN).

Both take and make images in [-1, 1]; the final layers are float32 under any
mixed-precision policy. Layer by layer, in the CycleGAN paper's notation:

    generator      c7s1-64, d128, d256, R256 x blocks, u128, u64, c7s1-3
    discriminator  C64, C128, C256, C512, then a 1-channel 4x4 convolution

c7s1-k: 7x7 convolution, stride 1, reflection padding, instance norm, ReLU;
dk: 3x3 convolution, stride 2; Rk: residual block of two reflection-padded 3x3
convolutions; uk: 3x3 fractionally-strided convolution, stride 1/2;
Ck: 4x4 convolution, stride 2 (stride 1 for the last one), instance norm
(none on C64), LeakyReLU 0.2. Weights are drawn from N(0, 0.02).
"""

from __future__ import annotations

import keras
from keras import layers
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf


def init() -> keras.initializers.Initializer:
    """Weights drawn from N(0, 0.02), as in the CycleGAN reference training."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def instance_norm(name: str | None = None) -> layers.Layer:
    """Instance normalisation without a learned scale/offset (a group norm with
    one group per channel), computed in float32 even under mixed precision."""
    return layers.GroupNormalization(groups=-1, epsilon=1e-5, center=False, scale=False,
                                     name=name)


@keras.saving.register_keras_serializable(package="keras_gans")
class ReflectionPadding2D(layers.Layer):
    """Pad height and width by mirroring the image at its borders (no repeated
    edge pixel), which avoids the dark frames zero padding gives generators."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        p = self.padding
        return keras.ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        b, h, w, c = input_shape
        grow = lambda s: None if s is None else s + 2 * self.padding  # noqa: E731
        return (b, grow(h), grow(w), c)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding}


def default_residual_blocks(size: int) -> int:
    """The paper's choice: 9 residual blocks for 256x256 images and larger,
    6 for 128x128 and smaller."""
    return 9 if size >= 256 else 6


def check_image_shape(image_shape: tuple[int, ...], d_layers: int = 3) -> None:
    """Raise a ValueError for sizes the ResNet generator / PatchGAN cannot take."""
    height, width, channels = (int(s) for s in image_shape)
    # The generator halves the size twice and doubles it back; the
    # discriminator halves it d_layers times and then needs room for two 4x4
    # convolutions.
    smallest = 2 ** d_layers * 4
    if height % 4 or width % 4 or min(height, width) < smallest:
        raise ValueError(
            f"Image-to-image models need height and width divisible by 4 and at least "
            f"{smallest}, not {height}x{width}: pick another image size (e.g. --image-size 64).")
    if channels not in (1, 3):
        raise ValueError(f"Image-to-image models take 1- or 3-channel images, not {channels}.")


def resnet_generator(image_shape: tuple[int, ...], filters: int = 64, blocks: int = 9,
                     name: str = "generator") -> keras.Model:
    """The ResNet generator: two stride-2 convolutions down, `blocks` residual
    blocks, two fractionally-strided convolutions up, tanh out."""
    check_image_shape(image_shape, d_layers=0)
    channels = image_shape[-1]
    x = keras.Input(tuple(image_shape), name="image")
    h = ReflectionPadding2D(3, name="pad_in")(x)
    h = layers.Conv2D(filters, 7, kernel_initializer=init(), name="c7s1")(h)
    h = layers.ReLU()(instance_norm("norm_in")(h))
    width = filters
    for i in range(2):
        width *= 2
        h = layers.ZeroPadding2D(1)(h)
        h = layers.Conv2D(width, 3, strides=2, kernel_initializer=init(), name=f"down{i + 1}")(h)
        h = layers.ReLU()(instance_norm(f"norm_down{i + 1}")(h))
    for i in range(int(blocks)):
        r = ReflectionPadding2D(1)(h)
        r = layers.Conv2D(width, 3, kernel_initializer=init(), name=f"res{i + 1}_a")(r)
        r = layers.ReLU()(instance_norm(f"norm_res{i + 1}_a")(r))
        r = ReflectionPadding2D(1)(r)
        r = layers.Conv2D(width, 3, kernel_initializer=init(), name=f"res{i + 1}_b")(r)
        r = instance_norm(f"norm_res{i + 1}_b")(r)
        h = layers.Add(name=f"res{i + 1}")([h, r])
    for i in range(2):
        width //= 2
        h = layers.Conv2DTranspose(width, 3, strides=2, padding="same", kernel_initializer=init(),
                                   name=f"up{i + 1}")(h)
        h = layers.ReLU()(instance_norm(f"norm_up{i + 1}")(h))
    h = ReflectionPadding2D(3, name="pad_out")(h)
    h = layers.Conv2D(channels, 7, kernel_initializer=init(), name="to_image")(h)
    img = layers.Activation("tanh", dtype="float32", name="tanh")(h)
    return keras.Model(x, img, name=name)


def patch_discriminator(image_shape: tuple[int, ...], filters: int = 64, n_layers: int = 3,
                        name: str = "discriminator") -> keras.Model:
    """The PatchGAN: a map of logits, each judging one overlapping patch (70x70
    pixels with the default three stride-2 layers)."""
    check_image_shape(image_shape, d_layers=n_layers)
    x = keras.Input(tuple(image_shape), name="image")
    h = x
    width = filters
    for i in range(n_layers + 1):
        stride = 2 if i < n_layers else 1
        h = layers.ZeroPadding2D(1)(h)
        h = layers.Conv2D(width, 4, strides=stride, kernel_initializer=init(),
                          name=f"conv{i + 1}")(h)
        if i > 0:
            h = instance_norm(f"norm{i + 1}")(h)
        h = layers.LeakyReLU(0.2)(h)
        width = min(width * 2, filters * 8)
    h = layers.ZeroPadding2D(1)(h)
    logits = layers.Conv2D(1, 4, kernel_initializer=init(), dtype="float32", name="logits")(h)
    return keras.Model(x, logits, name=name)
