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
The networks are DCGAN-style convolutional ones (the paper used MLPs;
`keras_gans.nets.conditional`), so the same model handles 28, 32 and 64 pixel
images. Training is `GAN.train_step`; each step's fakes carry the labels of
its real batch.
"""

from __future__ import annotations

import keras
from typing import TYPE_CHECKING

from keras_gans.core import ConditionalBase
from keras_gans.nets import conditional, dcgan

if TYPE_CHECKING:
    import tensorflow as tf


class ConditionalGAN(ConditionalBase):
    """Class-conditional GAN: both G and D see the label.

    Args:
        image_shape: (size, size, channels), size in 28, 32, 64.
        num_classes: number of classes (read from the data by `keras-gans train`).
        latent_dim: size of z.
        g_filters: filters of G's last hidden layer (doubling towards z).
        d_filters: filters of D's first layer (doubling with depth).
        norm: D's normalisation, "batch", "layer" or "none" (see `DCGAN`).
        spectral_norm: spectrally normalise D's weights (Miyato et al. 2018).
        kernel_size: both players' kernels, 5 or 4 (see `DCGAN`).
        g_extra_layers: 3x3 layers G adds at its smallest size (see `DCGAN`).
        **kwargs: d_steps, loss, seed, augment, ema_decay, lr_decay_start: see
            `keras_gans.GAN`.
    """

    # D(image, label) -> logit; a subclass may judge otherwise (ACGAN: D(image) -> classes).
    discriminator_network = staticmethod(conditional.conditional_discriminator)

    def __init__(self, image_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10,
                 latent_dim: int = 100, g_filters: int = 64, d_filters: int = 64,
                 norm: str = "batch", spectral_norm: bool = False, kernel_size: int = 5,
                 g_extra_layers: int = 0, **kwargs):
        image_shape = tuple(image_shape)
        num_classes = self.check_num_classes(num_classes)
        self.hparams = dict(image_shape=image_shape, g_filters=g_filters, d_filters=d_filters,
                            norm=dcgan.check_norm(norm), spectral_norm=bool(spectral_norm),
                            kernel_size=dcgan.check_kernel_size(kernel_size),
                            g_extra_layers=dcgan.check_extra_layers(g_extra_layers))
        super().__init__(
            conditional.conditional_generator(latent_dim, num_classes, image_shape, g_filters,
                                              kernel_size=kernel_size,
                                              extra_layers=g_extra_layers),
            self.discriminator_network(image_shape, num_classes, d_filters, norm=norm,
                                       spectral_norm=spectral_norm, kernel_size=kernel_size),
            num_classes=num_classes, latent_dim=latent_dim, **kwargs)

    def discriminate(self, images: tf.Tensor, labels: tf.Tensor,
                     training: bool = True) -> tf.Tensor:
        return self.discriminator([images, keras.ops.cast(labels, "int32")], training=training)
