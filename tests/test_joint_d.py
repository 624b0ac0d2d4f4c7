"""`joint_d`: D's step scores real and fake in one call on their concatenation.

For a discriminator that treats each image on its own the step is the two-call
step exactly (checked weight for weight after a few updates, with packing and
with labels too); a discriminator with batch norm is refused with one line, and
a spectrally normalised DCGAN trained that way learns."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

from conftest import one_error_line, pooled_fd_before_after
from keras_gans.cli.app import main
from keras_gans.models.cgan import ConditionalGAN
from keras_gans.models.dcgan import DCGAN
from keras_gans.models.vanilla import VanillaGAN


def build(kind, joint):
    keras.utils.set_random_seed(0)
    if kind == "vanilla":
        model = VanillaGAN(latent_dim=4, g_hidden=(8,), d_hidden=(6,), maxout_pieces=2,
                           dropout=0.0, input_dropout=0.0, joint_d=joint, seed=3)
    elif kind == "dcgan-layer-pack2":
        model = DCGAN(g_filters=4, d_filters=4, latent_dim=8, norm="layer", pack=2,
                      joint_d=joint, seed=3)
    else:  # spectral norm: the power iteration's vector differs (once a step, not twice)
        model = DCGAN(g_filters=4, d_filters=4, latent_dim=8, norm="none", loss="hinge",
                      joint_d=joint, seed=3)
    model.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.05))
    return model


@pytest.mark.parametrize("kind", ["vanilla", "dcgan-layer-pack2", "dcgan-none-hinge"])
def test_one_call_on_the_concatenation_is_the_two_call_step(kind):
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)), tf.float32)
    two, one = build(kind, False), build(kind, True)
    one.set_weights(two.get_weights())
    for _ in range(3):
        logs_two, logs_one = two.train_step(real), one.train_step(real)
    # One call on 16 images and two on 8 sum in different orders (oneDNN picks
    # its kernels by batch size): 1.2e-5 apart on an Intel AMX host, where the
    # weights moved by up to 0.9 and every layer by at least 1e-3.
    for a, b in zip(two.get_weights(), one.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-4)
    for name in ("d_loss", "g_loss", "d_real", "d_fake"):
        np.testing.assert_allclose(float(logs_two[name]), float(logs_one[name]), atol=1e-5)
    moved = max(np.abs(a - b).max() for a, b in zip(one.get_weights(),
                                                     build(kind, True).get_weights()))
    assert moved > 1e-4  # the steps did move the networks


def test_labels_are_scored_with_both_halves():
    """A conditional D (no batch norm in its label path here: the MLP-free
    check is on the split): the logits of the joint call are the two calls'."""
    keras.utils.set_random_seed(0)
    model = ConditionalGAN(num_classes=3, image_shape=(28, 28, 1), latent_dim=8, g_filters=4,
                           d_filters=4, seed=0)
    model.joint_d = True  # bypass the batch-norm refusal: inference mode is per image
    rng = np.random.default_rng(0)
    real = tf.constant(rng.uniform(-1, 1, (6, 28, 28, 1)), tf.float32)
    fake = tf.constant(rng.uniform(-1, 1, (6, 28, 28, 1)), tf.float32)
    labels = tf.constant([0, 1, 2, 2, 1, 0])
    joint_real, joint_fake = model.discriminate_both(real, fake, labels, training=False)
    np.testing.assert_allclose(joint_real, model.discriminate(real, labels, training=False),
                               atol=1e-5)
    np.testing.assert_allclose(joint_fake, model.discriminate(fake, labels, training=False),
                               atol=1e-5)


def test_batch_norm_discriminator_is_refused(tmp_path):
    with pytest.raises(ValueError, match="batch norm"):
        DCGAN(g_filters=4, d_filters=4, joint_d=True)
    result = CliRunner().invoke(main, ["train", "dcgan", "--steps", "1", "--set", "joint_d=true",
                                       "--out", str(tmp_path / "r")])
    one_error_line(result, "joint_d", "batch norm")


def test_spectral_norm_dcgan_with_joint_d_learns():
    """160 steps of a small SN-DCGAN (norm none, hinge loss) with joint_d: the
    Frechet distance of its samples to held-out digits (7x7-pooled pixels)
    falls below 0.7x the untrained generator's."""
    keras.utils.set_random_seed(0)
    model = DCGAN(g_filters=8, d_filters=8, latent_dim=16, norm="none", spectral_norm=True,
                  loss="hinge", joint_d=True, seed=0)
    before, after = pooled_fd_before_after(model)
    assert after < 0.7 * before, (before, after)


class Counting(VanillaGAN):
    """Counts D's calls and the batch sizes they see."""

    seen = []

    def discriminate(self, images, labels, training=True):
        type(self).seen.append(int(images.shape[0]))
        return super().discriminate(images, labels, training=training)


@pytest.mark.parametrize("joint, expected", [(False, [8, 8, 8]), (True, [16, 8])])
def test_d_step_is_one_call_on_both_batches(joint, expected):
    """D's step: one call on 16 images with joint_d, else two on 8 (then G's
    step, one call on its 8 fakes)."""
    keras.utils.set_random_seed(0)
    model = Counting(latent_dim=4, g_hidden=(8,), d_hidden=(6,), maxout_pieces=2, dropout=0.0,
                     input_dropout=0.0, joint_d=joint, seed=3)
    model.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    Counting.seen = []
    model.train_step(tf.constant(np.zeros((8, 28, 28, 1), np.float32)))
    assert Counting.seen == expected
