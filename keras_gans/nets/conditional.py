"""Class-conditional networks (ConditionalGAN, ACGAN): the label layers and
the DCGAN networks with a class input or a class head.

    conditional_generator       G([z, label]): the DCGAN generator fed [z, one-hot(label)]
    conditional_discriminator   D([image, label]): the DCGAN discriminator on the image
                                with one-hot label maps stacked on as extra channels
    two_headed_discriminator    D(image) -> [source logit, class logits] (ACGAN), and
                                with `twin=True` a third head, twin class logits (TAC-GAN)
"""

from __future__ import annotations

import keras
from keras import layers
from typing import TYPE_CHECKING

from keras_gans.nets import dcgan

if TYPE_CHECKING:
    import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_gans")
class OneHot(layers.Layer):
    """Integer class labels (batch,) -> one-hot rows (batch, num_classes)."""

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def call(self, labels: tf.Tensor) -> tf.Tensor:
        labels = keras.ops.reshape(keras.ops.cast(labels, "int32"), (-1,))
        return keras.ops.one_hot(labels, self.num_classes, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[0], self.num_classes)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="keras_gans")
class LabelMaps(layers.Layer):
    """Integer class labels (batch,) -> one-hot maps (batch, height, width,
    num_classes): channel c is all ones for images of class c, zeros elsewhere."""

    def __init__(self, num_classes: int, height: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.height, self.width = int(num_classes), int(height), int(width)

    def call(self, labels: tf.Tensor) -> tf.Tensor:
        labels = keras.ops.reshape(keras.ops.cast(labels, "int32"), (-1,))
        one_hot = keras.ops.one_hot(labels, self.num_classes, dtype=self.compute_dtype)
        return keras.ops.tile(one_hot[:, None, None, :], (1, self.height, self.width, 1))

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[0], self.height, self.width, self.num_classes)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes,
                "height": self.height, "width": self.width}


def label_input() -> keras.KerasTensor:
    """The int32 (batch,) class-label input of a conditional network."""
    return keras.Input((), dtype="int32", name="label")


def conditional_generator(latent_dim: int, num_classes: int, image_shape: tuple[int, ...],
                          filters: int, name: str = "generator",
                          kernel_size: int = 5, extra_layers: int = 0) -> keras.Model:
    """DCGAN generator fed [z, one-hot(label)]; called as G([z, label])
    (`kernel_size`, `extra_layers`: see `dcgan.dcgan_generator`)."""
    body = dcgan.dcgan_generator(latent_dim + num_classes, image_shape, filters,
                                 name="generator_body", kernel_size=kernel_size,
                                 extra_layers=extra_layers)
    z = keras.Input((latent_dim,), name="z")
    label = label_input()
    one_hot = OneHot(num_classes, name="label_one_hot")(label)
    h = layers.Concatenate(name="z_and_label")([z, one_hot])
    return keras.Model([z, label], body(h), name=name)


def conditional_discriminator(image_shape: tuple[int, ...], num_classes: int, filters: int,
                              name: str = "discriminator", norm: str = "batch",
                              spectral_norm: bool = False, kernel_size: int = 5) -> keras.Model:
    """D([image, label]) -> one logit: the DCGAN discriminator on the image with
    one-hot label maps stacked on as extra channels (`norm`, `spectral_norm`,
    `kernel_size`: see `dcgan.dcgan_discriminator`)."""
    image = keras.Input(tuple(image_shape), name="image")
    label = label_input()
    maps = LabelMaps(num_classes, image_shape[0], image_shape[1], name="label_maps")(label)
    h = layers.Concatenate(name="image_and_label")([image, maps])
    body = dcgan.dcgan_discriminator(image_shape, filters, name="discriminator_body",
                                     extra_channels=num_classes,
                                     label_channels=num_classes, norm=norm,
                                     spectral_norm=spectral_norm, kernel_size=kernel_size)
    return keras.Model([image, label], body(h), name=name)


def dcgan_features(image_shape: tuple[int, ...], filters: int,
                   name: str = "features", norm: str = "batch",
                   spectral_norm: bool = False, kernel_size: int = 5) -> keras.Model:
    """The DCGAN discriminator's convolutional trunk: image -> flat features."""
    full = dcgan.dcgan_discriminator(image_shape, filters, norm=norm, spectral_norm=spectral_norm,
                                     kernel_size=kernel_size)
    return keras.Model(full.input, full.layers[-1].input, name=name)  # all but the logit


def two_headed_discriminator(image_shape: tuple[int, ...], num_classes: int, filters: int,
                             name: str = "discriminator", norm: str = "batch",
                             spectral_norm: bool = False, twin: bool = False,
                             kernel_size: int = 5) -> keras.Model:
    """D(image) -> [source logit (batch, 1), class logits (batch, num_classes)],
    and with `twin` a third output, the twin classifier's class logits (batch,
    num_classes) on the same features (`norm`, `spectral_norm`, `kernel_size`:
    see `dcgan.dcgan_discriminator`)."""
    image = keras.Input(tuple(image_shape), name="image")
    h = dcgan_features(image_shape, filters, norm=norm, spectral_norm=spectral_norm,
                       kernel_size=kernel_size)(image)
    source = dcgan.maybe_spectral(layers.Dense(1, dtype="float32", name="source_logits"),
                                   spectral_norm)(h)
    classes = dcgan.maybe_spectral(layers.Dense(num_classes, dtype="float32",
                                                 name="class_logits"), spectral_norm)(h)
    outputs = [source, classes]
    if twin:
        outputs.append(dcgan.maybe_spectral(layers.Dense(num_classes, dtype="float32",
                                                         name="twin_class_logits"),
                                            spectral_norm)(h))
    return keras.Model(image, outputs, name=name)
