"""`Adversarial`: a generator and a discriminator trained against each other.

The two-player part every GAN kind shares, latent or translating: the players,
their two optimizers ("d" and "g"), the adversarial loss (`keras_gans.core.losses`),
what keeps D in check (a gradient penalty from `keras_gans.core.penalties`,
weight clipping) and what D(.) means for logging. How fakes are made and what
the losses add is the kind's (`GAN`, `Translator`) and the entry's; a kind's D
loss calls `add_penalty` with the batches D judged.
"""

from __future__ import annotations

import tensorflow as tf
import keras
from typing import Any

from keras_gans.core import losses as losses_lib
from keras_gans.core import penalties as penalties_lib
from keras_gans.core.model import ZooModel, first_batch_norm


def per_example_mean(values: tf.Tensor, per_example: tf.Tensor) -> tf.Tensor:
    """`values` (one or more per image D judged) averaged to one per entry of
    `per_example` (several images make one entry when D judges packs)."""
    return tf.reduce_mean(tf.reshape(values, [tf.shape(per_example)[0], -1]), axis=1)


class Adversarial(ZooModel):
    """Two players: `generator` (trained by optimizer "g") and
    `discriminator` (optimizer "d").

    Args:
        generator: the Keras model that makes fakes.
        discriminator: the Keras model that scores images with logits.
        loss: adversarial loss, a name from `keras_gans.core.losses.LOSSES`
            ("non_saturating", "non_saturating_smoothed", "minimax",
            "least_squares", "hinge", "wasserstein") or one of them.
        penalty: a gradient penalty on D, computed in D's tape and added to its
            per-example loss (`keras_gans.core.penalties`): "gp" (WGAN-GP,
            Gulrajani et al. 2017), "r1" (Mescheder et al. 2018), "dragan"
            (Kodali et al. 2017); "" for none. Logged under its name. Needs a
            discriminator without batch norm (DCGAN: `norm="layer"` or "none").
        penalty_weight: the penalty's weight (lambda; gamma for r1); None: the
            papers' 10.
        weight_clip: clip every D weight to [-c, c] after each D update (the
            WGAN paper's Lipschitz constraint, c = 0.01); 0 for none.
        seed, lr_decay_start: see `ZooModel`.
    """

    optimizer_names = ("d", "g")

    def __init__(self, generator: keras.Model | None = None,
                 discriminator: keras.Model | None = None, loss: str = "non_saturating",
                 seed: int | None = None, lr_decay_start: float = 1.0,
                 penalty: str = "", penalty_weight: float | None = None,
                 weight_clip: float = 0.0, **kwargs: Any) -> None:
        super().__init__(seed=seed, lr_decay_start=lr_decay_start, **kwargs)
        if generator is None or discriminator is None:
            raise ValueError(f"{type(self).__name__} needs both a `generator` and a "
                             f"`discriminator` model.")
        self.generator = generator
        self.discriminator = discriminator
        self.set_loss(loss)
        self.set_penalty(penalty, penalty_weight, seed)
        self.weight_clip = float(weight_clip or 0.0)
        if not self.weight_clip >= 0.0:
            raise ValueError(f"weight_clip is the bound c of D's weights, a number >= 0 (the WGAN "
                             f"paper's 0.01; 0 for none), not {weight_clip}.")
        self.built = True  # the networks are built; nothing lazy is left

    def set_penalty(self, penalty: str | penalties_lib.Penalty | None,
                    weight: float | None = None, seed: int | None = None) -> None:
        """Use gradient penalty `penalty` on D (a name, a `Penalty` or none)
        with `weight` (None: the penalty's default), and log it."""
        self.penalty = penalties_lib.get(penalty)
        self.penalty_weight = None if self.penalty is None else float(
            self.penalty.default_weight if weight is None else weight)
        if self.penalty is None:
            return
        if not self.penalty_weight >= 0.0:
            raise ValueError(f"penalty_weight must be a number >= 0, not {weight}.")
        batch_norm = first_batch_norm(self.discriminator)
        if batch_norm:
            raise ValueError(
                f"penalty={self.penalty.name} takes D's gradient at each image on its own, but "
                f"this discriminator has batch norm ({batch_norm}), which ties each image to "
                f"the rest of the batch: build D without it (DCGAN networks: norm=layer or "
                f"norm=none, e.g. --norm layer).")
        if self.penalty.random and not hasattr(self, "penalty_seed"):
            self.penalty_seed = keras.random.SeedGenerator(
                None if seed is None else int(seed) + 104729, name="penalty_seed")
        self.add_tracker(self.penalty.name)

    def add_penalty(self, per_example: tf.Tensor, logs: dict, real: tf.Tensor,
                    fake: tf.Tensor, critic: Any) -> tuple[tf.Tensor, dict]:
        """D's per-example loss with the gradient penalty added (weighted),
        and `logs` with the penalty's mean under its name; unchanged without
        a penalty. `real` and `fake` are the batches D judged (as D saw them),
        `critic(images)` D's logits for images. Call it inside D's tape."""
        if self.penalty is None:
            return per_example, logs
        uniform = (penalties_lib.replica_uniform(self.penalty_seed) if self.penalty.random
                   else None)
        points = self.penalty.points(tf.cast(real, tf.float32),
                                     tf.cast(tf.stop_gradient(fake), tf.float32), uniform)
        optimizer = getattr(self, "d_optimizer", None)
        scale = (optimizer.scale_loss(tf.constant(1.0))
                 if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else None)
        value = self.penalty.charge(
            penalties_lib.squared_gradient_norms(critic, points, scale))
        if scale is not None:
            value = penalties_lib.skip_if_overflowed(value)
        # One value per example D judged (per group of images, should D judge
        # several images at once): their mean keeps the batch's mean.
        value = per_example_mean(value, per_example)
        return (per_example + self.penalty_weight * value,
                {**logs, self.penalty.name: tf.reduce_mean(value)})

    def set_loss(self, loss: str | losses_lib.AdversarialLoss) -> None:
        """Use adversarial loss `loss` (a name or an `AdversarialLoss`)."""
        self.loss_name = loss if isinstance(loss, str) else loss.name
        self.adversarial_loss = losses_lib.get(loss)

    def get_config(self) -> dict:
        return {**super().get_config(), "loss": self.loss_name,
                "penalty": self.penalty.name if self.penalty else "",
                "penalty_weight": self.penalty_weight, "weight_clip": self.weight_clip}

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None,
                loss: str | losses_lib.AdversarialLoss | None = None, **kwargs: Any) -> None:
        """Set both players' optimizers (Adam 2e-4, beta_1 0.5 when omitted)
        and, with `loss`, change the adversarial loss. See `ZooModel.compile`."""
        if loss is not None:
            self.set_loss(loss)
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)
        if self.weight_clip:
            self.clip_discriminator()

    def clip_discriminator(self) -> None:
        """Clip D's weights to [-weight_clip, weight_clip] now, and after every
        D update from here on (as a constraint on each variable, which the
        optimizer applies after its step, on every replica alike)."""
        c = self.weight_clip

        def clip(w):
            return keras.ops.clip(w, -c, c)

        for variable in self.variables_for("d"):
            variable.constraint = clip
            variable.assign(clip(variable))

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
