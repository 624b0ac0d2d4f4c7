"""Gradient penalties on the discriminator, computed inside D's own tape.

A penalty is a small object: where to take D's gradient (`points`, from the
real and fake batches D just judged) and what to charge for the gradient's
squared norm there (`charge`), one value per example. `Adversarial` adds
`penalty_weight` times it to D's per-example loss, so it is averaged over the
global batch like the loss itself and its second-order gradient flows through
the same update (loss-scaled under mixed_float16).

    gp      WGAN-GP (Gulrajani et al. 2017): (|grad D(x_hat)| - 1)^2 at
            x_hat = x + eps (G(z) - x), eps ~ U[0, 1] per example; lambda 10.
    r1      R1 (Mescheder, Geiger & Nowozin 2018): 1/2 |grad D(x)|^2 at the real
            images, so the weight is the paper's gamma (10).
    dragan  DRAGAN (Kodali et al. 2017): (|grad D(x_hat)| - 1)^2 at real images
            pushed a random part of the way towards x + 0.5 std(x) u, u ~ U[0, 1]
            per pixel, as in the authors' code; lambda 10.

Gradient norms are computed in float32 whatever D computes in. Each example's
penalty depends on that example alone, which is why a discriminator with batch
norm is refused (`Adversarial` says so): batch norm ties each image's
gradient to the rest of the (replica's) batch.
"""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

from keras_gans.core.model import replica_context

# (n, tail shape, low, high) -> a uniform tensor of shape (n, *tail) for this replica.
Uniform = Callable[[int, list, float, float], tf.Tensor]


class Penalty:
    """A per-example penalty on D's input gradient.

    `points(real, fake, uniform)` says where to take the gradient;
    `charge(squared_norms)` what each example pays for it."""

    name = ""
    default_weight = 10.0
    # Whether `points` draws random numbers (then the model keeps a seed for it).
    random = False

    def points(self, real: tf.Tensor, fake: tf.Tensor, uniform: Uniform) -> tf.Tensor:
        """The images at which D's gradient is taken (float32, real's shape)."""
        raise NotImplementedError

    def charge(self, squared_norms: tf.Tensor) -> tf.Tensor:
        """The per-example penalty for float32 squared gradient norms."""
        raise NotImplementedError


def one_centred(squared_norms: tf.Tensor) -> tf.Tensor:
    """(|g| - 1)^2 from |g|^2, with a floor under the square root so that its
    gradient stays finite where g = 0."""
    return tf.square(tf.sqrt(squared_norms + 1e-12) - 1.0)


class GradientPenalty(Penalty):
    """WGAN-GP's two-sided penalty on random interpolates of real and fake."""

    name = "gp"
    random = True

    def points(self, real: tf.Tensor, fake: tf.Tensor, uniform: Uniform) -> tf.Tensor:
        n = tf.shape(real)[0]
        eps = uniform(n, [1] * (real.shape.rank - 1), 0.0, 1.0)
        return real + eps * (fake - real)

    def charge(self, squared_norms: tf.Tensor) -> tf.Tensor:
        return one_centred(squared_norms)


class R1(Penalty):
    """R1: zero-centred, at the real images; charged gamma/2 |g|^2."""

    name = "r1"

    def points(self, real: tf.Tensor, fake: tf.Tensor, uniform: Uniform) -> tf.Tensor:
        return real

    def charge(self, squared_norms: tf.Tensor) -> tf.Tensor:
        return 0.5 * squared_norms


class DRAGAN(Penalty):
    """DRAGAN: one-centred, in a noisy neighbourhood of the real images.

    The authors' code perturbs a batch by 0.5 times the batch's standard
    deviation; here each image's own standard deviation is used, so that an
    example's penalty does not depend on the others (nor on how the batch is
    split across replicas)."""

    name = "dragan"
    random = True

    def points(self, real: tf.Tensor, fake: tf.Tensor, uniform: Uniform) -> tf.Tensor:
        n = tf.shape(real)[0]
        axes = list(range(1, real.shape.rank))
        std = tf.math.reduce_std(real, axis=axes, keepdims=True)
        noise = uniform(n, list(real.shape[1:]), 0.0, 1.0)
        alpha = uniform(n, [1] * len(axes), 0.0, 1.0)
        return real + alpha * (0.5 * std * noise)

    def charge(self, squared_norms: tf.Tensor) -> tf.Tensor:
        return one_centred(squared_norms)


PENALTIES = {cls.name: cls for cls in (GradientPenalty, R1, DRAGAN)}


def get(name: str | Penalty | None) -> Penalty | None:
    """A `Penalty` by name ("gp", "r1", "dragan"), passed through, or None for
    "" / "none" / None; a ValueError lists the names."""
    if name is None or isinstance(name, Penalty):
        return name
    key = str(name).strip().lower().replace("-", "_")
    if key in ("", "none"):
        return None
    if key not in PENALTIES:
        raise ValueError(f"Unknown penalty {name!r}: choose one of {', '.join(sorted(PENALTIES))} "
                         f"(or none).")
    return PENALTIES[key]()


def squared_gradient_norms(critic: Callable[[tf.Tensor], tf.Tensor], points: tf.Tensor,
                           scale: tf.Tensor | None = None) -> tf.Tensor:
    """|d critic(x_i) / d x_i|^2 for each example i, in float32.

    Taken as the gradient of the sum of the critic's outputs, which is each
    example's own gradient when examples do not interact (no batch norm). With
    `scale` (the loss scale under mixed_float16) the sum is multiplied before
    and the gradient divided after, so that float16 backward passes do not
    underflow; an overflow shows as a non-finite loss, and the loss-scale
    optimizer skips that step and lowers its scale. Call it inside the tape of
    the update: the outer tape then differentiates through this gradient."""
    points = tf.convert_to_tensor(points)
    with tf.GradientTape() as tape:
        tape.watch(points)
        out = tf.cast(critic(points), tf.float32)
        total = tf.reduce_sum(out)
        if scale is not None:
            total = total * tf.cast(scale, tf.float32)
    grads = tf.cast(tape.gradient(total, points), tf.float32)
    if scale is not None:
        grads = grads / tf.cast(scale, tf.float32)
    return tf.reduce_sum(tf.reshape(tf.square(grads), [tf.shape(points)[0], -1]), axis=1)


@tf.custom_gradient
def skip_if_overflowed(value: tf.Tensor) -> tuple[tf.Tensor, Callable]:
    """`value` with non-finite entries shown as 0, whose gradient is NaN
    everywhere when any entry was not finite.

    For a penalty computed under loss scaling: a float16 overflow in its
    inner gradient is then not a diverged loss (the logs stay finite) but a
    non-finite gradient, which the loss-scale optimizer skips (lowering its
    scale) as it does any other."""
    finite = tf.reduce_all(tf.math.is_finite(value))
    shown = tf.where(tf.math.is_finite(value), value, tf.zeros_like(value))

    def grad(upstream):
        return upstream + tf.where(finite, 0.0, float("nan"))

    return shown, grad


def replica_uniform(seed_generator: keras.random.SeedGenerator) -> Uniform:
    """A `Uniform` that draws for the whole global batch from the next seed of
    `seed_generator` and keeps this replica's slice, so N replicas draw what
    one device would."""

    def draw(n, tail, low, high):
        replica, replicas = replica_context()
        u = tf.random.stateless_uniform([n * replicas, *tail], seed=seed_generator.next(),
                                        minval=low, maxval=high)
        return u if replicas == 1 else u[replica * n:(replica + 1) * n]

    return draw
