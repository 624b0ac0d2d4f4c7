"""Vanilla GAN: Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.

Algorithm 1 of the paper, as `GAN.train_step` runs it:

    for each training iteration:
        for k steps (d_steps):
            sample m latents z ~ p_g(z) and m examples x ~ p_data
            ascend the gradient of  mean[ log D(x) + log(1 - D(G(z))) ]  in D
        sample m latents z
        descend the gradient of  mean[ log(1 - D(G(z))) ]  in G   (loss="minimax")
        or ascend  mean[ log D(G(z)) ]                            (loss="non_saturating")

The k D steps reuse the iteration's batch of real images with fresh latents.
Networks: an MLP generator (ReLU) and a maxout discriminator with dropout, as in
the paper's MNIST model (`keras_gans.nets.mlp`).
"""

from __future__ import annotations

from keras_gans.core import GAN
from keras_gans.core.gan import packed_shape
from keras_gans.nets import mlp
from typing import Sequence


class VanillaGAN(GAN):
    """The original GAN with the paper's MLP networks.

    Args:
        image_shape: (height, width, channels) of the images.
        latent_dim: size of z.
        g_hidden: widths of the generator's ReLU layers.
        d_hidden: widths of the discriminator's maxout layers.
        maxout_pieces: linear pieces per maxout unit (1: LeakyReLU instead).
        dropout: dropout rate after each discriminator layer.
        input_dropout: dropout rate on the discriminator's input.
        **kwargs: d_steps, loss, seed, augment, ema_decay, lr_decay_start, pack:
            see `keras_gans.GAN`.
    """

    # Measured with `keras-gans tune vanilla --steps 300 --rounds 5` (batch 32), on an
    # AVX512-BF16 CPU and with its kernels capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2,
    # XLA_FLAGS=--xla_cpu_max_isa=AVX2): bf16 is no faster than float32 for these
    # MLPs (18.8 vs 18.5 ms a step) and is not shown equal in quality, while XLA
    # makes the float32 step 1.3x faster on both kinds (14.2 vs 18.5 ms; 16.5 vs 21.3).
    auto_precision = "float32"
    xla_on_cpu = True

    def __init__(self, image_shape: tuple[int, ...] = (28, 28, 1), latent_dim: int = 100,
                 g_hidden: Sequence[int] = (1200, 1200), d_hidden: Sequence[int] = (240, 240),
                 maxout_pieces: int = 5, dropout: float = 0.5, input_dropout: float = 0.2,
                 **kwargs):
        image_shape = tuple(image_shape)
        self.hparams = dict(image_shape=image_shape, g_hidden=tuple(g_hidden),
                            d_hidden=tuple(d_hidden), maxout_pieces=maxout_pieces,
                            dropout=dropout, input_dropout=input_dropout)
        super().__init__(
            mlp.mlp_generator(latent_dim, image_shape, tuple(g_hidden)),
            mlp.maxout_discriminator(packed_shape(image_shape, kwargs.get("pack", 1)),
                                     tuple(d_hidden), maxout_pieces, dropout,
                                     input_dropout),
            latent_dim=latent_dim, **kwargs)
