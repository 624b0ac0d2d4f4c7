"""`Adversarial`: a generator and a discriminator trained against each other.

The two-player part every GAN kind shares, latent or translating: the players,
their two optimizers ("d" and "g"), the adversarial loss (`keras_gans.core.losses`)
and what D(.) means for logging. How fakes are made and what the losses add is
the kind's (`GAN`, `Translator`) and the entry's.
"""

from __future__ import annotations

import tensorflow as tf
import keras
from typing import Any

from keras_gans.core import losses as losses_lib
from keras_gans.core.model import ZooModel


class Adversarial(ZooModel):
    """Two players: `generator` (trained by optimizer "g") and
    `discriminator` (optimizer "d").

    Args:
        generator: the Keras model that makes fakes.
        discriminator: the Keras model that scores images with logits.
        loss: adversarial loss, a name from `keras_gans.core.losses.LOSSES`
            ("non_saturating", "minimax", "least_squares", "hinge") or one of them.
        seed, lr_decay_start: see `ZooModel`.
    """

    optimizer_names = ("d", "g")

    def __init__(self, generator: keras.Model | None = None,
                 discriminator: keras.Model | None = None, loss: str = "non_saturating",
                 seed: int | None = None, lr_decay_start: float = 1.0,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, lr_decay_start=lr_decay_start, **kwargs)
        if generator is None or discriminator is None:
            raise ValueError(f"{type(self).__name__} needs both a `generator` and a "
                             f"`discriminator` model.")
        self.generator = generator
        self.discriminator = discriminator
        self.set_loss(loss)
        self.built = True  # the networks are built; nothing lazy is left

    def set_loss(self, loss: str | losses_lib.AdversarialLoss) -> None:
        """Use adversarial loss `loss` (a name or an `AdversarialLoss`)."""
        self.loss_name = loss if isinstance(loss, str) else loss.name
        self.adversarial_loss = losses_lib.get(loss)

    def get_config(self) -> dict:
        return {**super().get_config(), "loss": self.loss_name}

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None,
                loss: str | losses_lib.AdversarialLoss | None = None, **kwargs: Any) -> None:
        """Set both players' optimizers (Adam 2e-4, beta_1 0.5 when omitted)
        and, with `loss`, change the adversarial loss. See `ZooModel.compile`."""
        if loss is not None:
            self.set_loss(loss)
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)

    def variables_for(self, name: str) -> list:
        return {"d": self.discriminator_variables, "g": self.generator_variables}[name]()

    def generator_variables(self) -> list:
        """What the G optimizer trains (models with several generators return all)."""
        return self.generator.trainable_variables

    def discriminator_variables(self) -> list:
        """What the D optimizer trains (models with several discriminators
        return all of them)."""
        return self.discriminator.trainable_variables

    def probability(self, logits: tf.Tensor) -> tf.Tensor:
        """What to log as D(.) for a batch of logits."""
        logits = tf.cast(logits, tf.float32)
        if self.adversarial_loss.output == "sigmoid":
            return tf.reduce_mean(tf.sigmoid(logits))
        return tf.reduce_mean(logits)
