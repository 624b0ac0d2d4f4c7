"""The DCGAN networks (Radford, Metz & Chintala 2016) for 28, 32 and 64 pixel
images: strided convolutions, batch norm, ReLU/LeakyReLU, weights from N(0, 0.02).

Final layers are float32 under any mixed-precision policy, so images and logits
leave the networks in float32.
"""

from __future__ import annotations

import keras
from keras import layers
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf


def dcgan_init() -> keras.initializers.Initializer:
    """Weights drawn from N(0, 0.02), as in Radford et al. 2016."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def dcgan_bn() -> layers.BatchNormalization:
    """DCGAN's batch norm (momentum 0.9, gamma from N(1, 0.02))."""
    # synchronized: under a tf.distribute strategy the batch statistics cover the
    # global batch (as on one device); without one it is plain batch norm.
    return layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, synchronized=True,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))


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


def check_kernel_size(kernel_size: object) -> int:
    """A DCGAN kernel size: 5 (Radford's code) or 4 (dcgan.torch's), or any size >= 2."""
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 2:
        raise ValueError(f"kernel_size is a whole number >= 2 (5 as Radford's code, 4 as "
                         f"dcgan.torch), not {kernel_size!r}.")
    return kernel_size


def check_extra_layers(count: object) -> int:
    """G's extra 3x3 layers at its smallest size: a whole number >= 0."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"g_extra_layers is how many 3x3 convolutions G adds at its smallest "
                         f"size, a whole number >= 0 (0: the paper's G), not {count!r}.")
    return count


def check_dense(units: object, name: str) -> int:
    """A hidden fully connected layer's width: a whole number >= 0 (0: none)."""
    if isinstance(units, bool) or not isinstance(units, int) or units < 0:
        raise ValueError(f"{name} is the width of a fully connected hidden layer, a whole "
                         f"number >= 0 (1024 as the DCGAN authors' MNIST model; 0: none), "
                         f"not {units!r}.")
    return units


def dcgan_generator(latent_dim: int, image_shape: tuple[int, ...], filters: int = 64,
                    name: str = "generator", output: str = "tanh",
                    kernel_size: int = 5, extra_layers: int = 0,
                    dense: int = 0) -> keras.Model:
    """Radford et al.'s generator: project z, then fractionally-strided 5x5
    convolutions with batch norm and ReLU, halving filters as size doubles,
    and a tanh output layer without batch norm. `output="logits"` leaves the
    last layer linear (a VAE's decoder puts its likelihood's link on it).
    `kernel_size`: 5 as in Radford's code; 4 as in dcgan.torch, whose kernels
    the stride divides, so every output pixel gets the same number of taps
    (no checkerboard; Odena et al. 2016), at 0.64x the multiply-adds.
    `extra_layers`: that many 3x3 convolutions (batch norm, ReLU, same width)
    after the projection, at G's smallest size (7x7 for 28px), where the
    image's layout is decided (not the paper's; 0 for none).
    `dense`: a fully connected hidden layer of this width (batch norm, ReLU)
    between z and the projection, as in the DCGAN authors' MNIST model (their
    code's `ngfc = 1024`; the paper's guidelines for its larger images have
    none); 0 for none."""
    kernel_size = check_kernel_size(kernel_size)
    extra_layers = check_extra_layers(extra_layers)
    dense = check_dense(dense, "g_dense")
    if output not in ("tanh", "logits"):
        raise ValueError(f"output is 'tanh' (images in [-1, 1]) or 'logits', not {output!r}.")
    start, ups = _dcgan_plan(image_shape)
    z = keras.Input((latent_dim,), name="z")
    width = filters * 2 ** (ups - 1)
    h = z
    if dense:
        h = layers.Dense(dense, use_bias=False, kernel_initializer=dcgan_init(),
                         name="dense")(h)
        h = layers.ReLU()(dcgan_bn()(h))
    h = layers.Dense(start * start * width, use_bias=False,
                     kernel_initializer=dcgan_init(), name="project")(h)
    h = layers.Reshape((start, start, width))(h)
    h = layers.ReLU()(dcgan_bn()(h))
    for i in range(extra_layers):
        h = layers.Conv2D(width, 3, padding="same", use_bias=False,
                          kernel_initializer=dcgan_init(), name=f"extra{i + 1}")(h)
        h = layers.ReLU()(dcgan_bn()(h))
    for i in range(ups - 1):
        width //= 2
        h = layers.Conv2DTranspose(width, kernel_size, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=dcgan_init(), name=f"deconv{i + 1}")(h)
        h = layers.ReLU()(dcgan_bn()(h))
    h = layers.Conv2DTranspose(image_shape[-1], kernel_size, strides=2, padding="same",
                               kernel_initializer=dcgan_init(), name="to_image")(h)
    img = layers.Activation("tanh" if output == "tanh" else "linear", dtype="float32",
                            name="image" if output == "tanh" else "logits")(h)
    return keras.Model(z, img, name=name)


NORMS = ("batch", "layer", "none")


def check_norm(norm: str) -> str:
    """`norm` as one of `NORMS`, or a ValueError saying what it takes."""
    key = str(norm).strip().lower()
    if key not in NORMS:
        raise ValueError(f"norm is the discriminator's normalisation, one of {', '.join(NORMS)} "
                         f"(batch: DCGAN's; layer or none for a gradient penalty), not {norm!r}.")
    return key


def _norm_layer(norm: str, axis: int | tuple[int, ...] = (1, 2, 3)) -> layers.Layer | None:
    """D's normalisation layer; `axis`: what `layer` normalises over (each
    image's whole feature map; -1 for a fully connected layer's units)."""
    if norm == "batch":
        return dcgan_bn()
    if norm == "layer":
        # Over each image's whole feature map, as WGAN-GP's critics do: no
        # statistic is shared between the images of a batch.
        return layers.LayerNormalization(axis=axis, epsilon=1e-5)
    return None


def check_dropout(rate: object) -> float:
    """`rate` as a float in [0, 1), or a ValueError saying what it takes."""
    try:
        value = float(rate or 0.0)
    except (TypeError, ValueError):
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise ValueError(f"d_dropout is the rate of dropout after each of D's convolutions, a "
                         f"number in [0, 1) (e.g. 0.3; 0 for none), not {rate!r}.")
    return value


def maybe_spectral(layer: layers.Layer, spectral_norm: bool) -> layers.Layer:
    """`layer` wrapped in `keras.layers.SpectralNormalization` when
    `spectral_norm`, else `layer` itself."""
    # Miyato et al. 2018: each weight divided by its largest singular value,
    # estimated with one power iteration per training call.
    # The wrapper computes in the layer's dtype (float32 for the logits).
    return layers.SpectralNormalization(layer, dtype=layer.dtype_policy,
                                        name=f"sn_{layer.name}") if spectral_norm else layer


@keras.saving.register_keras_serializable(package="keras_gans")
class LabelMapConv2D(layers.Conv2D):
    """A Conv2D whose input ends in `label_channels` one-hot label maps, each
    constant over the image (a conditional D's class input, as
    `conditional.LabelMaps` makes it). Same weights and outputs as Conv2D on
    the whole input, at the cost of a convolution over the image channels
    alone: the label channels' part of the output depends only on the class,
    so it is convolved once per class (a batch of `label_channels` images,
    borders included) and each image adds its class's map. cgan's D pass is
    1.15x faster so in float32 on AVX2 kernels (benchmarks/label_maps.py)."""

    def __init__(self, *args, label_channels: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_channels = int(label_channels)
        if self.label_channels < 1:
            raise ValueError(f"label_channels must be >= 1, got {label_channels}.")

    def convolution_op(self, inputs: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
        # Conv2D.call adds the bias and the activation to what this returns.
        k = self.label_channels
        c = inputs.shape[-1] - k
        out = super().convolution_op(inputs[..., :c], kernel[:, :, :c, :])
        # Class j's maps are ones in channel j and zeros elsewhere, so their
        # convolution is a map of ones convolved with channel j's kernel: one
        # single-channel convolution gives every class's (k times fewer
        # multiply-adds than convolving the k one-hot maps).
        kh, kw, _, filters = kernel.shape
        ones = keras.ops.ones((1, *inputs.shape[1:3], 1), dtype=inputs.dtype)
        per_class = super().convolution_op(
            ones, keras.ops.reshape(kernel[:, :, c:, :], (kh, kw, 1, k * filters)))
        per_class = keras.ops.reshape(per_class, (*per_class.shape[1:3], k, filters))
        return out + keras.ops.einsum("bk,hwkf->bhwf", inputs[:, 0, 0, c:], per_class)

    def get_config(self) -> dict:
        return {**super().get_config(), "label_channels": self.label_channels}


# Keras's weight files name each layer's entry after its class: under Conv2D's
# name, the weights that runs saved before this class existed still load.
LabelMapConv2D.__name__ = "Conv2D"


def _dcgan_body(x, ups: int, filters: int, norm: str, spectral_norm: bool,
                dropout: float = 0.0, label_channels: int = 0, kernel_size: int = 5):
    """D's strided `kernel_size` (5x5) convolutions with LeakyReLU(0.2), normalised after the
    first, each followed by dropout at rate `dropout` (0: none), flattened.
    `label_channels`: the input's last channels are one-hot label maps (the
    first convolution is then a `LabelMapConv2D`)."""
    h, width = x, filters
    for i in range(ups):
        normed = i > 0 and norm != "none"
        options = dict(strides=2, padding="same", use_bias=not normed,
                       kernel_initializer=dcgan_init(), name=f"conv{i + 1}")
        conv = (LabelMapConv2D(width, kernel_size, label_channels=label_channels, **options)
                if i == 0 and label_channels else layers.Conv2D(width, kernel_size, **options))
        h = maybe_spectral(conv, spectral_norm)(h)
        if normed:
            h = _norm_layer(norm)(h)
        h = layers.LeakyReLU(0.2)(h)
        if dropout:
            h = layers.Dropout(dropout, name=f"dropout{i + 1}")(h)
        width *= 2
    return layers.Flatten()(h)


def dcgan_discriminator(image_shape: tuple[int, ...], filters: int = 64,
                        name: str = "discriminator", extra_channels: int = 0,
                        norm: str = "batch", spectral_norm: bool = False,
                        dropout: float = 0.0, label_channels: int = 0,
                        kernel_size: int = 5, rotation_head: bool = False,
                        dense: int = 0) -> keras.Model:
    """Radford et al.'s discriminator: strided 5x5 convolutions with
    LeakyReLU(0.2), batch norm on all but the first, one logit out.
    `extra_channels`: channels stacked on the image at the input (e.g. a
    conditional model's label maps). `norm`: "batch" (the paper's), "layer"
    (per image, over each layer's whole feature map) or "none";
    `spectral_norm`: wrap every convolution and the logit layer in
    `keras.layers.SpectralNormalization` (SN-GAN); `dropout`: a dropout
    layer at this rate after each convolution's activation (not the paper's;
    TensorFlow's DCGAN tutorial has 0.3), 0 for none; `label_channels`: the
    last this many of the extra channels are one-hot label maps, each constant
    over the image (computed cheaper: `LabelMapConv2D`); `kernel_size`: as
    `dcgan_generator`'s; `rotation_head`: a second output, 4 logits for how
    far the image was turned (0, 90, 180 or 270 degrees; SS-GAN's); `dense`:
    a fully connected hidden layer of this width (normalised as the
    convolutions, LeakyReLU) before the output, as in the DCGAN authors'
    MNIST model (`ndfc = 1024`), 0 for none."""
    if not 0 <= int(label_channels) <= int(extra_channels):
        raise ValueError(f"label_channels ({label_channels}) must be among the "
                         f"extra_channels ({extra_channels}).")
    _, ups = _dcgan_plan(image_shape)
    norm = check_norm(norm)
    dropout = check_dropout(dropout)
    x = keras.Input((*image_shape[:2], image_shape[2] + int(extra_channels)), name="image")
    h = _dcgan_body(x, ups, filters, norm, spectral_norm, dropout, int(label_channels),
                    check_kernel_size(kernel_size))
    if check_dense(dense, "d_dense"):
        fc = layers.Dense(dense, use_bias=norm == "none", kernel_initializer=dcgan_init(),
                          name="dense")
        h = maybe_spectral(fc, spectral_norm)(h)
        if norm != "none":
            h = _norm_layer(norm, axis=-1)(h)
        h = layers.LeakyReLU(0.2)(h)
    logits = maybe_spectral(layers.Dense(1, kernel_initializer=dcgan_init(), dtype="float32",
                                          name="logits"), spectral_norm)(h)
    if rotation_head:
        turns = maybe_spectral(layers.Dense(4, kernel_initializer=dcgan_init(), dtype="float32",
                                            name="rotation"), spectral_norm)(h)
        return keras.Model(x, [logits, turns], name=name)
    return keras.Model(x, logits, name=name)


def dcgan_encoder(image_shape: tuple[int, ...], latent_dim: int, filters: int = 64,
                  norm: str = "batch", name: str = "encoder") -> keras.Model:
    """A VAE's encoder on the discriminator's body: the same convolutions,
    then two linear float32 heads, the posterior's mean and log-variance
    (each `latent_dim` wide)."""
    _, ups = _dcgan_plan(image_shape)
    x = keras.Input(tuple(image_shape), name="image")
    h = _dcgan_body(x, ups, filters, check_norm(norm), False)
    mean = layers.Dense(latent_dim, kernel_initializer=dcgan_init(), dtype="float32",
                        name="mean")(h)
    log_var = layers.Dense(latent_dim, kernel_initializer="zeros", dtype="float32",
                           name="log_var")(h)
    return keras.Model(x, [mean, log_var], name=name)
