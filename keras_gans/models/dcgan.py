"""DCGAN: Radford, Metz & Chintala, "Unsupervised Representation Learning with
Deep Convolutional Generative Adversarial Networks", ICLR 2016.

The paper's architecture guidelines, as built by `keras_gans.nets.dcgan`:
  - no pooling: strided convolutions in D, fractionally-strided ones in G;
  - batch norm in both players, except G's output layer and D's input layer;
  - no fully connected hidden layers (z is projected and reshaped), though
    the authors' MNIST model of the appendix has one of 1024 units in each
    player (`g_dense`, `d_dense`);
  - ReLU in G with a tanh output; LeakyReLU (slope 0.2) in D;
  - weights from N(0, 0.02); Adam with learning rate 2e-4 and beta_1 = 0.5.
Training is the two-player step of `keras_gans.GAN` (non-saturating loss).
"""

from __future__ import annotations

import tensorflow as tf

from keras_gans.core import GAN
from keras_gans.core.gan import non_negative, packed_shape
from keras_gans.models.acgan import class_accuracy, class_cross_entropy
from keras_gans.nets import dcgan


def rotations(images: tf.Tensor, share: int = 4) -> tuple[tf.Tensor, tf.Tensor]:
    """The first 1/`share` of `images` (at least one), each turned by 0, 90,
    180 and 270 degrees, and the turn of each (0-3): SS-GAN's pretext task."""
    n = tf.maximum(tf.shape(images)[0] // share, 1)
    some = images[:n]
    across = tf.transpose(some, [0, 2, 1, 3])  # square images: a quarter turn is a
    turned = tf.concat([some, tf.reverse(across, [1]),  # transpose and a flip
                        tf.reverse(some, [1, 2]), tf.reverse(across, [2])], axis=0)
    return turned, tf.repeat(tf.range(4), n)


class DCGAN(GAN):
    """Deep convolutional GAN for 28x28, 32x32 or 64x64 images, 1 or 3 channels.

    Args:
        image_shape: (size, size, channels), size in 28, 32, 64.
        latent_dim: size of z (100 in the paper).
        g_filters: filters of G's last hidden layer (doubling towards z).
        d_filters: filters of D's first layer (doubling with depth).
        norm: D's normalisation: "batch" (the paper's), "layer" (per image, for
            a gradient penalty such as WGAN-GP's) or "none".
        spectral_norm: spectrally normalise D's weights (Miyato et al. 2018).
        d_dropout: dropout at this rate after each of D's convolutions (not the
            paper's; against D memorising a small data set), 0 for none.
        kernel_size: both players' kernels: 5 (Radford's code) or 4 (dcgan.torch,
            by a co-author: no checkerboard, 0.64x the multiply-adds).
        g_extra_layers: 3x3 convolutions (batch norm, ReLU) G adds at its
            smallest size, after the projection (not the paper's; 0: none).
        g_dense, d_dense: fully connected hidden layers of these widths, G's
            between z and the projection, D's before its output, as in the
            paper's MNIST model (its appendix; 1024 each in the authors'
            code); 0: none, as the paper's guidelines for larger images.
        rotation_weight: SS-GAN's self-supervision (Chen et al., CVPR 2019;
            not the DCGAN paper's): D gets a second head that tells how far a
            real image was turned (0/90/180/270 degrees; a quarter of each
            batch, turned all four ways), at this weight in D's loss (the
            paper's beta, 1); 0 for off.
        g_rotation_weight: the same cross-entropy on turned fakes in G's loss
            (the paper's alpha, 0.2), when rotation_weight is on.
        **kwargs: d_steps, loss, seed, augment, ema_decay, lr_decay_start, pack:
            see `keras_gans.GAN` (with pack m, D takes m images stacked along
            the channels).
    """

    def __init__(self, image_shape: tuple[int, ...] = (28, 28, 1), latent_dim: int = 100,
                 g_filters: int = 64, d_filters: int = 64, norm: str = "batch",
                 spectral_norm: bool = False, d_dropout: float = 0.0, kernel_size: int = 5,
                 g_extra_layers: int = 0, g_dense: int = 0, d_dense: int = 0,
                 rotation_weight: float = 0.0,
                 g_rotation_weight: float = 0.2, **kwargs):
        image_shape = tuple(image_shape)
        self.rotation_weight = non_negative(rotation_weight, "rotation_weight is D's weight "
                                            "on SS-GAN's rotation loss (1 as the paper; 0: off)")
        self.g_rotation_weight = non_negative(
            g_rotation_weight, "g_rotation_weight is G's weight on SS-GAN's rotation loss "
            "(0.2 as the paper)")
        if self.rotation_weight and int(kwargs.get("pack", 1)) > 1:
            raise ValueError("rotation_weight needs D to judge single images: leave pack at 1.")
        self.hparams = dict(image_shape=image_shape, g_filters=g_filters, d_filters=d_filters,
                            norm=dcgan.check_norm(norm), spectral_norm=bool(spectral_norm),
                            d_dropout=dcgan.check_dropout(d_dropout),
                            kernel_size=dcgan.check_kernel_size(kernel_size),
                            g_extra_layers=dcgan.check_extra_layers(g_extra_layers),
                            g_dense=dcgan.check_dense(g_dense, "g_dense"),
                            d_dense=dcgan.check_dense(d_dense, "d_dense"),
                            rotation_weight=self.rotation_weight,
                            g_rotation_weight=self.g_rotation_weight)
        super().__init__(dcgan.dcgan_generator(latent_dim, image_shape, g_filters,
                                               kernel_size=kernel_size,
                                               extra_layers=g_extra_layers,
                                               dense=g_dense),
                         dcgan.dcgan_discriminator(image_shape, d_filters, norm=norm,
                                                   kernel_size=kernel_size,
                                                   spectral_norm=spectral_norm,
                                                   dropout=d_dropout,
                                                   rotation_head=bool(self.rotation_weight),
                                                   dense=d_dense,
                                                   extra_channels=(
                             packed_shape(image_shape, kwargs.get("pack", 1))[-1]
                             - image_shape[-1])),
                         latent_dim=latent_dim, **kwargs)
        if self.rotation_weight:
            self.add_tracker("rotation_loss")
            self.add_tracker("rotation_acc")

    # SS-GAN: with rotation_weight on, D's second head learns the turns of real
    # images (L_D += beta * CE), and G is asked for fakes whose turns that head
    # can tell (L_G += alpha * CE).
    def discriminate(self, images: tf.Tensor, labels: tf.Tensor | None,
                     training: bool = True) -> tf.Tensor:
        out = super().discriminate(images, labels, training)
        return out[0] if self.rotation_weight else out

    def rotation_loss(self, images: tf.Tensor, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """Mean cross-entropy of D's rotation head on turned `images`, and its accuracy."""
        turned, turns = rotations(images)
        logits = self.discriminator(turned, training=training)[1]
        return tf.reduce_mean(class_cross_entropy(logits, turns)), class_accuracy(logits, turns)

    def discriminator_loss(self, real: tf.Tensor, labels: tf.Tensor | None, z: tf.Tensor,
                           training: bool = True, fake: tf.Tensor | None = None
                           ) -> tuple[tf.Tensor, dict]:
        per_example, logs = super().discriminator_loss(real, labels, z, training, fake)
        if not self.rotation_weight:
            return per_example, logs
        ce, acc = self.rotation_loss(real, training)
        return (per_example + self.rotation_weight * ce,
                {**logs, "rotation_loss": ce, "rotation_acc": acc})

    def generator_loss(self, z: tf.Tensor, labels: tf.Tensor | None, training: bool = True,
                       fake: tf.Tensor | None = None) -> tuple[tf.Tensor, dict]:
        if not self.rotation_weight:
            return super().generator_loss(z, labels, training, fake)
        fake = self.fakes_for(z, labels, training, fake)
        per_example, logs = super().generator_loss(z, labels, training, fake=fake)
        ce, _ = self.rotation_loss(fake, training)
        return per_example + self.g_rotation_weight * ce, logs
