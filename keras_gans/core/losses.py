"""Adversarial losses, computed from discriminator logits.

Every loss returns one value per example (all non-batch axes averaged, so a
PatchGAN's map of logits counts like a single logit). The two-player base class
averages these over the *global* batch, which keeps gradients right when a
`tf.distribute` strategy sums them across replicas.

Written with `softplus`, which is stable for large |logits|:
    -log(sigmoid(l))      = softplus(-l)
    -log(1 - sigmoid(l))  = softplus(l)
"""

import tensorflow as tf


def _per_example(x):
    x = tf.cast(x, tf.float32)
    if x.shape.rank is not None and x.shape.rank > 1:
        x = tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)
    return x


class AdversarialLoss:
    """A pair of per-example losses: one for D, one for G."""

    name = None
    # Which quantity `D(x)` means for this loss: "sigmoid" (a probability of
    # being real) or "raw" (the critic's output itself).
    output = "sigmoid"

    def discriminator(self, real_logits, fake_logits):
        raise NotImplementedError

    def generator(self, fake_logits):
        raise NotImplementedError

    def real_target(self, logits):
        """Per-example loss for D pushing `logits` towards 'real' (used by
        losses that see one side at a time, e.g. CycleGAN)."""
        raise NotImplementedError


class Minimax(AdversarialLoss):
    """The GAN paper's value function: G minimises log(1 - D(G(z))).

    It saturates: when D confidently rejects fakes early in training, the
    gradient for G vanishes (Goodfellow et al. 2014, section 3).
    """

    name = "minimax"

    def discriminator(self, real_logits, fake_logits):
        return _per_example(tf.nn.softplus(-tf.cast(real_logits, tf.float32))) + _per_example(
            tf.nn.softplus(tf.cast(fake_logits, tf.float32))
        )

    def generator(self, fake_logits):
        # log(1 - sigmoid(l)) = -softplus(l)
        return -_per_example(tf.nn.softplus(tf.cast(fake_logits, tf.float32)))

    def real_target(self, logits):
        return _per_example(tf.nn.softplus(-tf.cast(logits, tf.float32)))


class NonSaturating(Minimax):
    """The paper's practical variant: G maximises log D(G(z)) instead."""

    name = "non_saturating"

    def generator(self, fake_logits):
        return _per_example(tf.nn.softplus(-tf.cast(fake_logits, tf.float32)))


class LeastSquares(AdversarialLoss):
    """LSGAN (Mao et al. 2017) with targets a=0 (fake), b=c=1 (real)."""

    name = "least_squares"
    output = "raw"

    def discriminator(self, real_logits, fake_logits):
        real = tf.cast(real_logits, tf.float32)
        fake = tf.cast(fake_logits, tf.float32)
        return 0.5 * (_per_example(tf.square(real - 1.0)) + _per_example(tf.square(fake)))

    def generator(self, fake_logits):
        return 0.5 * _per_example(tf.square(tf.cast(fake_logits, tf.float32) - 1.0))

    def real_target(self, logits):
        return 0.5 * _per_example(tf.square(tf.cast(logits, tf.float32) - 1.0))


class Hinge(AdversarialLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018)."""

    name = "hinge"
    output = "raw"

    def discriminator(self, real_logits, fake_logits):
        real = tf.cast(real_logits, tf.float32)
        fake = tf.cast(fake_logits, tf.float32)
        return _per_example(tf.nn.relu(1.0 - real)) + _per_example(tf.nn.relu(1.0 + fake))

    def generator(self, fake_logits):
        return -_per_example(tf.cast(fake_logits, tf.float32))

    def real_target(self, logits):
        return _per_example(tf.nn.relu(1.0 - tf.cast(logits, tf.float32)))


LOSSES = {cls.name: cls for cls in (Minimax, NonSaturating, LeastSquares, Hinge)}


def get(name):
    """Return an `AdversarialLoss` by name (or pass one through)."""
    if isinstance(name, AdversarialLoss):
        return name
    key = str(name).lower().replace("-", "_")
    if key not in LOSSES:
        raise ValueError(
            f"Unknown adversarial loss {name!r}: choose one of {', '.join(sorted(LOSSES))}."
        )
    return LOSSES[key]()
