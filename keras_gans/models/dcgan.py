"""DCGAN: Radford, Metz & Chintala, "Unsupervised Representation Learning with
Deep Convolutional Generative Adversarial Networks", ICLR 2016.

The paper's architecture guidelines, as built by `keras_gans.nets.dcgan`:
  - no pooling: strided convolutions in D, fractionally-strided ones in G;
  - batch norm in both players, except G's output layer and D's input layer;
  - no fully connected hidden layers (z is projected and reshaped);
  - ReLU in G with a tanh output; LeakyReLU (slope 0.2) in D;
  - weights from N(0, 0.02); Adam with learning rate 2e-4 and beta_1 = 0.5.
Training is the two-player step of `keras_gans.GAN` (non-saturating loss).
"""

from __future__ import annotations

from keras_gans.core import GAN
from keras_gans.core.gan import packed_shape
from keras_gans.nets import dcgan


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
        **kwargs: d_steps, loss, seed, augment, ema_decay, lr_decay_start, pack:
            see `keras_gans.GAN` (with pack m, D takes m images stacked along
            the channels).
    """

    def __init__(self, image_shape: tuple[int, ...] = (28, 28, 1), latent_dim: int = 100,
                 g_filters: int = 64, d_filters: int = 64, norm: str = "batch",
                 spectral_norm: bool = False, d_dropout: float = 0.0, kernel_size: int = 5,
                 **kwargs):
        image_shape = tuple(image_shape)
        self.hparams = dict(image_shape=image_shape, g_filters=g_filters, d_filters=d_filters,
                            norm=dcgan.check_norm(norm), spectral_norm=bool(spectral_norm),
                            d_dropout=dcgan.check_dropout(d_dropout),
                            kernel_size=dcgan.check_kernel_size(kernel_size))
        super().__init__(dcgan.dcgan_generator(latent_dim, image_shape, g_filters,
                                               kernel_size=kernel_size),
                         dcgan.dcgan_discriminator(image_shape, d_filters, norm=norm,
                                                   kernel_size=kernel_size,
                                                   spectral_norm=spectral_norm,
                                                   dropout=d_dropout, extra_channels=(
                             packed_shape(image_shape, kwargs.get("pack", 1))[-1]
                             - image_shape[-1])),
                         latent_dim=latent_dim, **kwargs)
