"""ACGAN: Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary
Classifier GANs", ICML 2017.

G makes X_fake = G(c, z) from a class c and noise z; D sees only the image and
outputs two things: P(S | X), whether X is real or fake, and P(C | X), a
distribution over the classes. With

    L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]
    L_C = E[log P(C = c | X_real)]    + E[log P(C = c | X_fake)]

D is trained to maximise L_S + L_C and G to maximise L_C - L_S. Here the
source term is the model's adversarial loss (non-saturating by default, any
of `keras_gans.core.losses`) and the class terms are cross-entropies weighted by
`class_weight` (1 in the paper), so per example

    D loss = adv_D(real, fake) + class_weight * (CE(real, c) + CE(fake, c))
    G loss = adv_G(fake)       + g_class_weight * CE(fake, c),

where `g_class_weight` is `class_weight` unless set apart (not the paper's: a
smaller one pulls G less towards the images D's classifier finds easiest).

`classify_fakes=False` (not the paper's) drops D's class term on the fakes
and counts the real one twice, so D's classifier learns from real images only
and the class term keeps its weight; G's loss is unchanged. The Keras ACGAN
example trains its D this way, so that D is not also rewarded for making G's
images easy to classify.

`twin_classifier=True` (not the paper's: TAC-GAN, Gong et al., "Twin
Auxiliary Classifiers GAN", NeurIPS 2019) gives D a third head, a twin
classifier C_mi that learns the classes of the fakes only, while the first
classifier C learns from the real images only. G then minimises

    adv_G(fake) + g_class_weight * (CE_C(fake, c) - CE_Cmi(fake, c)):

it still makes images C takes for class c, but is also pushed away from what
tells its own class-c images apart from its other ones. ACGAN's class term
alone rewards G for the images of a class that are easiest to classify (less
varied ones); the twin's term cancels that pull, so that G matches each class's
whole distribution. D's class term is then CE_C(real, c) + CE_Cmi(fake, c).

Networks: ConditionalGAN's generator, a DCGAN generator fed [z, one-hot(c)],
and the DCGAN discriminator's convolutional trunk with two heads (one source
logit, `num_classes` class logits; `keras_gans.nets.conditional`).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from keras_gans.models.cgan import ConditionalGAN
from keras_gans.nets import conditional


def class_cross_entropy(class_logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """Per-example -log P(C = label | X)."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(tf.reshape(labels, [-1]), tf.int32),
        logits=tf.cast(class_logits, tf.float32))


def class_accuracy(class_logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """The share of images whose most likely class is their label."""
    predicted = tf.argmax(tf.cast(class_logits, tf.float32), axis=-1, output_type=tf.int32)
    return tf.reduce_mean(tf.cast(
        tf.equal(predicted, tf.cast(tf.reshape(labels, [-1]), tf.int32)), tf.float32))


class ACGAN(ConditionalGAN):
    """Auxiliary-classifier GAN: G sees the class, D predicts it.

    Args:
        class_weight: weight of the class log-likelihood terms (1 in the paper).
        g_class_weight: G's own weight of its class term; None (the paper's)
            takes `class_weight`.
        classify_fakes: D's class term covers the fakes as well as the real
            images (the paper's L_C, True), or only the real ones, counted
            twice (False).
        twin_classifier: TAC-GAN's twin classifier (see above); the first
            classifier then learns from real images only, whatever
            `classify_fakes` says.
        **kwargs: image_shape, num_classes, latent_dim, g_filters, d_filters,
            kernel_size, g_extra_layers: see `ConditionalGAN`; d_steps, loss,
            seed, augment, ema_decay, lr_decay_start: see `keras_gans.GAN`.

    Logged per step, besides the losses and D(x) / D(G(z)) means: `acc_real`
    and `acc_fake`, the auxiliary classifier's accuracy on the real batch and on
    the fakes (for the classes they were made for), and `class_loss`, its
    cross-entropy on the real batch.
    """

    metric_names = ConditionalGAN.metric_names + ("class_loss", "acc_real", "acc_fake")

    def __init__(self, class_weight: float = 1.0, classify_fakes: bool = True,
                 g_class_weight: float | None = None, twin_classifier: bool = False,
                 **kwargs):
        for name, value in (("class_weight", class_weight), ("g_class_weight", g_class_weight)):
            if value is not None and float(value) < 0:
                raise ValueError(f"{name} must be >= 0, got {value}.")
        if not isinstance(classify_fakes, bool):
            raise ValueError(f"classify_fakes is true (the paper's: D's class term covers the "
                             f"fakes too) or false (real images only), not {classify_fakes!r}.")
        if not isinstance(twin_classifier, bool):
            raise ValueError(f"twin_classifier is true (TAC-GAN's twin classifier) or false "
                             f"(the paper's ACGAN), not {twin_classifier!r}.")
        self.twin_classifier = twin_classifier
        self.class_weight = float(class_weight)
        self.g_class_weight = None if g_class_weight is None else float(g_class_weight)
        self.classify_fakes = classify_fakes
        if kwargs.get("joint_d"):
            raise ValueError("joint_d is not available for ACGAN: its D step scores the real "
                             "and the fake batch in two calls of its two-headed discriminator; "
                             "leave joint_d off.")
        super().__init__(**kwargs)
        self.hparams = {**self.hparams, "class_weight": self.class_weight,
                        "g_class_weight": self.g_class_weight,
                        "classify_fakes": self.classify_fakes,
                        "twin_classifier": self.twin_classifier}

    def discriminator_network(self, *args: Any, **kwargs: Any) -> keras.Model:
        """The two-headed D (`conditional.two_headed_discriminator`), with the
        twin head when `twin_classifier` is on."""
        return conditional.two_headed_discriminator(*args, twin=self.twin_classifier, **kwargs)

    def discriminate(self, images: tf.Tensor, labels: tf.Tensor | None,
                     training: bool = True) -> tf.Tensor:
        """Source logits only (the real/fake head); see `classify` for the other."""
        return self.discriminator(images, training=training)[0]

    def classify(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The auxiliary classifier's class logits for `images` in [-1, 1]."""
        return self.discriminator(images, training=training)[1]

    def discriminator_loss(self, real: tf.Tensor, labels: tf.Tensor, z: tf.Tensor,
                           training: bool = True,
                           fake: tf.Tensor | None = None) -> tuple[tf.Tensor, dict]:
        fake = tf.stop_gradient(self.fakes_for(z, labels, training, fake))
        real, fake = self.augment(real, training), self.augment(fake, training)
        real_source, real_classes = self.discriminator(real, training=training)[:2]
        fake_out = self.discriminator(fake, training=training)
        fake_source, fake_classes = fake_out[:2]
        real_ce = class_cross_entropy(real_classes, labels)
        if self.twin_classifier:  # C on the real images, C_mi on the fakes
            class_term = real_ce + class_cross_entropy(fake_out[2], labels)
        elif self.classify_fakes:
            class_term = real_ce + class_cross_entropy(fake_classes, labels)
        else:
            class_term = 2.0 * real_ce
        per_example = (self.adversarial_loss.discriminator(real_source, fake_source)
                       + self.class_weight * class_term)
        # A penalty, bCR and LeCam are on the source head (the real/fake critic) alone.
        critic = lambda x: self.discriminate(x, labels, training)  # noqa: E731
        per_example, logs = self.add_consistency(per_example, {
            "d_real": self.probability(real_source), "d_fake": self.probability(fake_source),
            "class_loss": tf.reduce_mean(real_ce),
            "acc_real": class_accuracy(real_classes, labels),
            "acc_fake": class_accuracy(fake_classes, labels)},
            real, fake, real_source, fake_source, critic)
        per_example, logs = self.add_lecam(per_example, logs, real_source, fake_source, training)
        return self.add_penalty(per_example, logs, real, fake, critic)

    def generator_loss(self, z: tf.Tensor, labels: tf.Tensor, training: bool = True,
                       fake: tf.Tensor | None = None) -> tuple[tf.Tensor, dict]:
        fake = self.fakes_for(z, labels, training, fake)
        fake_out = self.discriminator(self.augment(fake, training), training=training)
        fake_source, fake_classes = fake_out[:2]
        weight = self.class_weight if self.g_class_weight is None else self.g_class_weight
        class_term = class_cross_entropy(fake_classes, labels)
        if self.twin_classifier:
            class_term = class_term - class_cross_entropy(fake_out[2], labels)
        per_example = self.adversarial_loss.generator(fake_source) + weight * class_term
        return self.keep_top_k(per_example, fake_source, {})

