"""The yardstick: the zoo's networks trained by the plainest correct `train_step`.

This is what a Keras user would write from the tutorials, with no tuning: two
`GradientTape`s, binary cross-entropy on logits, `apply_gradients`, float32,
one step per `tf.function` call. It borrows the networks (and, for models that
need them, the label plumbing) of an already built zoo model, so the benchmark
compares training code, not architectures.

It is not a reimplementation of every paper: for conditional models it uses
the model's `generate_fake` / `discriminate` hooks with the plain adversarial
loss (ACGAN's auxiliary classifier loss is left out), and for image-to-image
models (two generators, `generator_b2a`) it runs a plain CycleGAN step
(least-squares GAN loss, L1 cycle and identity terms, no image pool).
"""

import tensorflow as tf
import keras


def _unpack(model, data):
    """(images, labels or None) the way the zoo model reads a batch."""
    return model.unpack(data)


class _TwoOptimizers(keras.Model):
    """A Keras model whose compile() takes the two players' optimizers."""

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer


class PlainGAN(_TwoOptimizers):
    """The tutorial two-player step on a zoo model's networks."""

    def __init__(self, gan, **kwargs):
        super().__init__(**kwargs)
        self.gan = gan
        self.latent_dim = gan.latent_dim
        self.seed_generator = keras.random.SeedGenerator(0)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def train_step(self, data):
        gan = self.gan
        real, labels = _unpack(gan, data)
        batch = tf.shape(real)[0]

        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake = gan.generate_fake(z, labels, training=True)
            real_logits = gan.discriminate(real, labels, training=True)
            fake_logits = gan.discriminate(fake, labels, training=True)
            d_loss = (self.bce(tf.ones_like(real_logits), real_logits)
                      + self.bce(tf.zeros_like(fake_logits), fake_logits))
        d_vars = gan.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = gan.discriminate(gan.generate_fake(z, labels, training=True), labels,
                                           training=True)
            g_loss = self.bce(tf.ones_like(fake_logits), fake_logits)
        g_vars = gan.generator_variables()
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
        return {"d_loss": d_loss, "g_loss": g_loss}


class PlainCycleGAN(_TwoOptimizers):
    """The tutorial CycleGAN step on a zoo CycleGAN's four networks."""

    def __init__(self, gan, cycle_weight=10.0, identity_weight=0.5, **kwargs):
        super().__init__(**kwargs)
        self.gan = gan
        self.cycle_weight = float(getattr(gan, "cycle_weight", cycle_weight))
        self.identity_weight = float(getattr(gan, "identity_weight", identity_weight))

    def train_step(self, data):
        gan = self.gan
        a, b = gan.unpack_pair(data) if hasattr(gan, "unpack_pair") else data
        g_ab, g_ba = gan.generator, gan.generator_b2a
        d_b, d_a = gan.discriminator, gan.discriminator_a
        mse = lambda x, target: tf.reduce_mean(tf.square(tf.cast(x, tf.float32) - target))  # noqa: E731
        l1 = lambda x, y: tf.reduce_mean(tf.abs(tf.cast(x, tf.float32) - tf.cast(y, tf.float32)))  # noqa: E731

        with tf.GradientTape(persistent=True) as tape:
            fake_b = g_ab(a, training=True)
            fake_a = g_ba(b, training=True)
            cycled_a = g_ba(fake_b, training=True)
            cycled_b = g_ab(fake_a, training=True)
            cycle = l1(cycled_a, a) + l1(cycled_b, b)
            identity = l1(g_ab(b, training=True), b) + l1(g_ba(a, training=True), a)
            g_loss = (mse(d_b(fake_b, training=True), 1.0) + mse(d_a(fake_a, training=True), 1.0)
                      + self.cycle_weight * cycle
                      + self.cycle_weight * self.identity_weight * identity)
            d_loss = 0.5 * (mse(d_b(b, training=True), 1.0)
                            + mse(d_b(tf.stop_gradient(fake_b), training=True), 0.0)
                            + mse(d_a(a, training=True), 1.0)
                            + mse(d_a(tf.stop_gradient(fake_a), training=True), 0.0))
        g_vars = g_ab.trainable_variables + g_ba.trainable_variables
        d_vars = d_b.trainable_variables + d_a.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
        del tape
        return {"d_loss": d_loss, "g_loss": g_loss}


def plain_model(gan, **compile_kwargs):
    """The plain baseline for a built zoo model (float32 policy expected)."""
    if hasattr(gan, "generator_b2a") and hasattr(gan, "discriminator_a"):
        model = PlainCycleGAN(gan)
    else:
        model = PlainGAN(gan)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), **compile_kwargs)
    return model
