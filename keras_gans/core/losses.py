"""Adversarial losses, computed from discriminator logits.

Every loss returns one value per example (all non-batch axes averaged, so a
PatchGAN's map of logits counts like a single logit). The two-player base class
averages these over the *global* batch, which keeps gradients right when a
`tf.distribute` strategy sums them across replicas.

Written with `softplus`, which is stable for large |logits|:
    -log(sigmoid(l))      = softplus(-l)
    -log(1 - sigmoid(l))  = softplus(l)
"""

from __future__ import annotations

import tensorflow as tf


def _per_example(x: tf.Tensor) -> tf.Tensor:
    x = tf.cast(x, tf.float32)
    if x.shape.rank is not None and x.shape.rank > 1:
        x = tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)
    return x


class AdversarialLoss:
    """A pair of per-example losses, one for D and one for G, from three
    element-wise terms on float32 logits: D's on real logits (`d_real`), D's
    on fake ones (`d_fake`) and G's on fake ones (`g_fake`)."""

    name: str | None = None
    # Which quantity `D(x)` means for this loss: "sigmoid" (a probability of
    # being real) or "raw" (the critic's output itself).
    output = "sigmoid"

    def d_real(self, logits: tf.Tensor) -> tf.Tensor:
        """D's element-wise loss on the logits of real images."""
        raise NotImplementedError

    def d_fake(self, logits: tf.Tensor) -> tf.Tensor:
        """D's element-wise loss on the logits of fakes."""
        raise NotImplementedError

    def g_fake(self, logits: tf.Tensor) -> tf.Tensor:
        """G's element-wise loss on the logits of its fakes."""
        raise NotImplementedError

    def discriminator(self, real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
        """D's per-example loss for a batch of real and of fake logits."""
        return (_per_example(self.d_real(tf.cast(real_logits, tf.float32)))
                + _per_example(self.d_fake(tf.cast(fake_logits, tf.float32))))

    def generator(self, fake_logits: tf.Tensor) -> tf.Tensor:
        """G's per-example loss for the logits of its fakes."""
        return _per_example(self.g_fake(tf.cast(fake_logits, tf.float32)))


class Minimax(AdversarialLoss):
    """The GAN paper's value function: G minimises log(1 - D(G(z))).

    It saturates: when D confidently rejects fakes early in training, the
    gradient for G vanishes (Goodfellow et al. 2014, section 3).
    """

    name = "minimax"

    def d_real(self, logits: tf.Tensor) -> tf.Tensor:
        return tf.nn.softplus(-logits)      # -log D(x)

    def d_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return tf.nn.softplus(logits)       # -log(1 - D(G(z)))

    def g_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return -tf.nn.softplus(logits)      # log(1 - D(G(z)))


class NonSaturating(Minimax):
    """The paper's practical variant: G maximises log D(G(z)) instead."""

    name = "non_saturating"

    def g_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return tf.nn.softplus(-logits)      # -log D(G(z))


class SmoothedNonSaturating(NonSaturating):
    """The non-saturating loss with one-sided label smoothing (Salimans et al.,
    "Improved Techniques for Training GANs", NeurIPS 2016): D's target for
    real images is 0.9 instead of 1, so D gains nothing from ever more
    confident answers on the images it has learnt; fakes keep the target 0."""

    name = "non_saturating_smoothed"
    real_target = 0.9

    def d_real(self, logits: tf.Tensor) -> tf.Tensor:
        # Cross-entropy against the target t: -t log D(x) - (1 - t) log(1 - D(x)).
        return (self.real_target * tf.nn.softplus(-logits)
                + (1.0 - self.real_target) * tf.nn.softplus(logits))


class LeastSquares(AdversarialLoss):
    """LSGAN (Mao et al. 2017) with targets a=0 (fake), b=c=1 (real)."""

    name = "least_squares"
    output = "raw"

    def d_real(self, logits: tf.Tensor) -> tf.Tensor:
        return 0.5 * tf.square(logits - 1.0)

    def d_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return 0.5 * tf.square(logits)

    g_fake = d_real


class Hinge(AdversarialLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018)."""

    name = "hinge"
    output = "raw"

    def d_real(self, logits: tf.Tensor) -> tf.Tensor:
        return tf.nn.relu(1.0 - logits)

    def d_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return tf.nn.relu(1.0 + logits)

    def g_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return -logits


class Wasserstein(AdversarialLoss):
    """WGAN (Arjovsky, Chintala & Bottou 2017): the critic maximises
    D(x) - D(G(z)), an estimate of the Wasserstein-1 distance when D is
    1-Lipschitz, and G maximises D(G(z)).

    The loss alone does not keep D Lipschitz: pair it with the model's
    `weight_clip` (the WGAN paper's clipping, c = 0.01) or `penalty="gp"`
    (WGAN-GP). -d_loss is then the critic's distance estimate."""

    name = "wasserstein"
    output = "raw"

    def d_real(self, logits: tf.Tensor) -> tf.Tensor:
        return -logits

    def d_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return logits

    def g_fake(self, logits: tf.Tensor) -> tf.Tensor:
        return -logits


LOSSES = {cls.name: cls for cls in (Minimax, NonSaturating, SmoothedNonSaturating, LeastSquares,
                                    Hinge, Wasserstein)}


def get(name: str | AdversarialLoss) -> AdversarialLoss:
    """Return an `AdversarialLoss` by name (or pass one through)."""
    if isinstance(name, AdversarialLoss):
        return name
    key = str(name).lower().replace("-", "_")
    if key not in LOSSES:
        raise ValueError(
            f"Unknown adversarial loss {name!r}: choose one of {', '.join(sorted(LOSSES))}."
        )
    return LOSSES[key]()
