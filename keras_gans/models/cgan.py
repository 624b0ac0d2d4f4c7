"""Conditional GAN: Mirza & Osindero, "Conditional Generative Adversarial
Nets", arXiv 2014.

Both players are given the class y: the minimax game becomes

    min_G max_D  E_x[log D(x | y)] + E_z[log(1 - D(G(z | y) | y))]

with y fed as an extra input to each network. Here:
  - G gets [z, one-hot(y)] as its input vector (the paper feeds z and y
    through separate hidden layers and joins them; a concatenation followed by
    G's first dense layer is a linear version of the same);
  - D gets the image with one-hot(y) stacked on as extra channels (one
    constant map per class), so its first convolution already sees both, as
    the paper's discriminator sees x and y together in its joint layer.
The networks are DCGAN-style convolutional ones (the paper used MLPs), so the
same model handles 28, 32 and 64 pixel images. Training is `GAN.train_step`;
each step's fakes carry the labels of its real batch.
"""

import keras
from keras import layers

from keras_gans import networks
from keras_gans.models import register
from keras_gans.models.conditional import (ConditionalBase, LabelMaps, conditional_generator,
                                           label_input)


def conditional_discriminator(image_shape, num_classes, filters, name="discriminator"):
    """D([image, label]) -> one logit: the DCGAN discriminator on the image with
    one-hot label maps stacked on as extra channels."""
    image = keras.Input(tuple(image_shape), name="image")
    label = label_input()
    maps = LabelMaps(num_classes, image_shape[0], image_shape[1], name="label_maps")(label)
    h = layers.Concatenate(name="image_and_label")([image, maps])
    body = networks.dcgan_discriminator(image_shape, filters, name="discriminator_body",
                                        extra_channels=num_classes)
    return keras.Model([image, label], body(h), name=name)


@register
@keras.saving.register_keras_serializable(package="keras_gans")
class ConditionalGAN(ConditionalBase):
    """Class-conditional GAN: both G and D see the label.

    Args:
        image_shape: (size, size, channels), size in 28, 32, 64.
        num_classes: number of classes (read from the data by `keras-gans train`).
        latent_dim: size of z.
        g_filters: filters of G's last hidden layer (doubling towards z).
        d_filters: filters of D's first layer (doubling with depth).
        d_steps, loss, seed, augment, ema_decay, lr_decay_start: see `keras_gans.GAN`.
    """

    def __init__(self, image_shape=(28, 28, 1), num_classes=10, latent_dim=100, g_filters=64,
                 d_filters=64, d_steps=1, loss="non_saturating", seed=None,
                 augment="", ema_decay=0.0,
                 lr_decay_start=1.0, **kwargs):
        image_shape = tuple(image_shape)
        num_classes = self.check_num_classes(num_classes)
        self.hparams = dict(image_shape=image_shape, g_filters=g_filters, d_filters=d_filters)
        generator = conditional_generator(latent_dim, num_classes, image_shape, g_filters)
        discriminator = conditional_discriminator(image_shape, num_classes, d_filters)
        super().__init__(generator, discriminator, num_classes=num_classes,
                         latent_dim=latent_dim, d_steps=d_steps, loss=loss, seed=seed, augment=augment, ema_decay=ema_decay,
                         lr_decay_start=lr_decay_start, **kwargs)

    def discriminate(self, images, labels, training=True):
        return self.discriminator([images, keras.ops.cast(labels, "int32")], training=training)

    def get_config(self):
        return {**super().get_config(), **self.hparams}
