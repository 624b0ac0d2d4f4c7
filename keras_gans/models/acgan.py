"""ACGAN: Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary
Classifier GANs", ICML 2017.

G makes X_fake = G(c, z) from a class c and noise z; D sees only the image and
outputs two things: P(S | X), whether X is real or fake, and P(C | X), a
distribution over the classes. With

    L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]
    L_C = E[log P(C = c | X_real)]    + E[log P(C = c | X_fake)]

D is trained to maximise L_S + L_C and G to maximise L_C - L_S. Here the
source term is the model's adversarial loss (non-saturating by default, any
of `keras_gans.losses`) and the class terms are cross-entropies weighted by
`class_weight` (1 in the paper), so per example

    D loss = adv_D(real, fake) + class_weight * (CE(real, c) + CE(fake, c))
    G loss = adv_G(fake)       + class_weight * CE(fake, c).

Networks: a DCGAN generator fed [z, one-hot(c)], and the DCGAN discriminator's
convolutional trunk with two heads (one source logit, `num_classes` class
logits).
"""

import tensorflow as tf
import keras
from keras import layers

from keras_gans import networks
from keras_gans.models import register
from keras_gans.models.conditional import ConditionalBase, conditional_generator


def dcgan_features(image_shape, filters, name="features"):
    """The DCGAN discriminator's convolutional trunk: image -> flat features."""
    full = networks.dcgan_discriminator(image_shape, filters)
    return keras.Model(full.input, full.get_layer("logits").input, name=name)


def two_headed_discriminator(image_shape, num_classes, filters, name="discriminator"):
    """D(image) -> [source logit (batch, 1), class logits (batch, num_classes)]."""
    image = keras.Input(tuple(image_shape), name="image")
    h = dcgan_features(image_shape, filters)(image)
    source = layers.Dense(1, dtype="float32", name="source_logits")(h)
    classes = layers.Dense(num_classes, dtype="float32", name="class_logits")(h)
    return keras.Model(image, [source, classes], name=name)


def class_cross_entropy(class_logits, labels):
    """Per-example -log P(C = label | X)."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(tf.reshape(labels, [-1]), tf.int32),
        logits=tf.cast(class_logits, tf.float32))


def class_accuracy(class_logits, labels):
    predicted = tf.argmax(tf.cast(class_logits, tf.float32), axis=-1, output_type=tf.int32)
    return tf.reduce_mean(tf.cast(
        tf.equal(predicted, tf.cast(tf.reshape(labels, [-1]), tf.int32)), tf.float32))


@register
@keras.saving.register_keras_serializable(package="keras_gans")
class ACGAN(ConditionalBase):
    """Auxiliary-classifier GAN: G sees the class, D predicts it.

    Args:
        image_shape: (size, size, channels), size in 28, 32, 64.
        num_classes: number of classes (read from the data by `keras-gans train`).
        latent_dim: size of z.
        g_filters: filters of G's last hidden layer (doubling towards z).
        d_filters: filters of D's first layer (doubling with depth).
        class_weight: weight of the class log-likelihood terms (1 in the paper).
        d_steps, loss, seed, augment, ema_decay, lr_decay_start: see `keras_gans.GAN`.

    Logged per step, besides the losses and D(x) / D(G(z)) means: `acc_real`
    and `acc_fake`, the auxiliary classifier's accuracy on the real batch and on
    the fakes (for the classes they were made for), and `class_loss`, its
    cross-entropy on the real batch.
    """

    metric_names = ConditionalBase.metric_names + ("class_loss", "acc_real", "acc_fake")

    def __init__(self, image_shape=(28, 28, 1), num_classes=10, latent_dim=100, g_filters=64,
                 d_filters=64, class_weight=1.0, d_steps=1, loss="non_saturating", seed=None,
                 augment="", ema_decay=0.0,
                 lr_decay_start=1.0, **kwargs):
        image_shape = tuple(image_shape)
        num_classes = self.check_num_classes(num_classes)
        if float(class_weight) < 0:
            raise ValueError(f"class_weight must be >= 0, got {class_weight}.")
        self.class_weight = float(class_weight)
        self.hparams = dict(image_shape=image_shape, g_filters=g_filters, d_filters=d_filters,
                            class_weight=self.class_weight)
        generator = conditional_generator(latent_dim, num_classes, image_shape, g_filters)
        discriminator = two_headed_discriminator(image_shape, num_classes, d_filters)
        super().__init__(generator, discriminator, num_classes=num_classes,
                         latent_dim=latent_dim, d_steps=d_steps, loss=loss, seed=seed, augment=augment, ema_decay=ema_decay,
                         lr_decay_start=lr_decay_start, **kwargs)

    def discriminate(self, images, labels, training=True):
        """Source logits only (the real/fake head); see `classify` for the other."""
        return self.discriminator(images, training=training)[0]

    def classify(self, images, training=False):
        """The auxiliary classifier's class logits for `images` in [-1, 1]."""
        return self.discriminator(images, training=training)[1]

    def discriminator_loss(self, real, labels, z, training=True):
        fake = tf.stop_gradient(self.generate_fake(z, labels, training=training))
        real_source, real_classes = self.discriminator(self.augment(real, training),
                                                       training=training)
        fake_source, fake_classes = self.discriminator(self.augment(fake, training),
                                                       training=training)
        real_ce = class_cross_entropy(real_classes, labels)
        fake_ce = class_cross_entropy(fake_classes, labels)
        per_example = (self.adversarial_loss.discriminator(real_source, fake_source)
                       + self.class_weight * (real_ce + fake_ce))
        return per_example, {"d_real": self.probability(real_source),
                             "d_fake": self.probability(fake_source),
                             "class_loss": tf.reduce_mean(real_ce),
                             "acc_real": class_accuracy(real_classes, labels),
                             "acc_fake": class_accuracy(fake_classes, labels)}

    def generator_loss(self, z, labels, training=True):
        fake = self.generate_fake(z, labels, training=training)
        fake_source, fake_classes = self.discriminator(self.augment(fake, training),
                                                       training=training)
        per_example = (self.adversarial_loss.generator(fake_source)
                       + self.class_weight * class_cross_entropy(fake_classes, labels))
        return per_example, {}

    def get_config(self):
        return {**super().get_config(), **self.hparams}
