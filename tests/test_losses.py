"""The Wasserstein loss, the gradient penalties (gp, r1, dragan), weight
clipping, spectral normalisation and the DCGAN discriminator's `norm`: their
arithmetic, that they act inside D's update, under mixed precision and under
MirroredStrategy, and that bad combinations are refused with one sentence."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.core import losses, penalties

TINY = dict(image_shape=(28, 28, 1), latent_dim=8, g_filters=4, d_filters=4, seed=0)


def batches(x, n=64, batch=16):
    return tf.data.Dataset.from_tensor_slices(x[:n]).batch(batch)


# --------------------------------------------------------------- arithmetic
def test_wasserstein_loss_is_the_critics_difference():
    loss = losses.get("wasserstein")
    real, fake = tf.constant([[2.0], [1.0]]), tf.constant([[0.5], [-1.0]])
    np.testing.assert_allclose(loss.discriminator(real, fake).numpy(), [-1.5, -2.0])
    np.testing.assert_allclose(loss.generator(fake).numpy(), [-0.5, 1.0])
    assert loss.output == "raw"


def test_gradient_norms_are_per_example_in_float32_and_scale_free():
    x = tf.random.stateless_normal((5, 4, 4, 1), seed=(1, 2))

    def critic(images):  # D(x) = sum x^2, so grad = 2x
        return tf.reduce_sum(tf.square(images), axis=[1, 2, 3])[:, None]

    expected = 4.0 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3]).numpy()
    got = penalties.squared_gradient_norms(critic, x)
    assert got.dtype == tf.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(penalties.squared_gradient_norms(critic, x, 1024.0).numpy(),
                               expected, rtol=1e-5)


def test_penalty_charges_and_points():
    sq = tf.constant([0.0, 1.0, 4.0])
    np.testing.assert_allclose(penalties.get("gp").charge(sq).numpy(), [1.0, 0.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(penalties.get("r1").charge(sq).numpy(), [0.0, 0.5, 2.0])
    assert penalties.get("") is None and penalties.get("none") is None
    with pytest.raises(ValueError, match="Unknown penalty 'wgan': choose one of dragan, gp, r1"):
        penalties.get("wgan")

    real = -tf.ones((64, 4, 4, 1))
    fake = tf.ones((64, 4, 4, 1))
    uniform = penalties.replica_uniform(keras.random.SeedGenerator(0))
    hat = penalties.get("gp").points(real, fake, uniform).numpy()
    # One interpolation factor per image, anywhere in [0, 1].
    assert np.ptp(hat.reshape(64, -1), axis=1).max() == 0
    assert hat.min() >= -1 and hat.max() <= 1 and np.ptp(hat[:, 0, 0, 0]) > 1.5
    assert penalties.get("r1").points(real, fake, uniform) is real
    digits = tf.random.stateless_uniform((64, 4, 4, 1), seed=(3, 4), minval=-1, maxval=1)
    near = penalties.get("dragan").points(digits, fake, uniform).numpy() - digits.numpy()
    std = digits.numpy().reshape(64, -1).std(axis=1)
    assert (near >= 0).all() and (near.reshape(64, -1).max(axis=1) <= 0.5 * std + 1e-6).all()


# ------------------------------------------------------------ in the model
@pytest.mark.parametrize("name", ["gp", "r1", "dragan"])
def test_penalty_is_added_to_d_loss_logged_and_reaches_d_weights(mnist, name):
    x, _ = mnist
    gan = keras_gans.DCGAN(**TINY, norm="none", penalty=name, penalty_weight=3.0)
    plain = keras_gans.DCGAN(**TINY, norm="none")
    plain.set_weights(gan.get_weights())
    assert name in gan.metric_names and name not in plain.metric_names
    real, z = tf.constant(x[:8]), gan.sample_latents(8)
    with tf.GradientTape() as tape:
        per_example, logs = gan.discriminator_loss(real, None, z)
        only_penalty = per_example - plain.discriminator_loss(real, None, z)[0]
    # The difference is 3 x the per-example penalty, whose mean is logged.
    np.testing.assert_allclose(tf.reduce_mean(only_penalty).numpy(), 3.0 * logs[name].numpy(),
                               rtol=1e-4, atol=1e-7)
    grads = tape.gradient(only_penalty, gan.discriminator.trainable_variables)
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
    assert sum(float(tf.reduce_sum(tf.abs(g))) for g in grads) > 0  # second order, through D
    gan.compile()
    history = gan.fit(batches(x), epochs=1, verbose=0).history
    assert np.isfinite(history[name][-1]) and history[name][-1] > 0


def test_penalties_with_batch_norm_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"penalty=gp .* batch norm .* norm=layer or norm=none"):
        keras_gans.DCGAN(**TINY, penalty="gp")
    with pytest.raises(ValueError, match="penalty_weight must be a number >= 0"):
        keras_gans.DCGAN(**TINY, norm="layer", penalty="r1", penalty_weight=-1)
    with pytest.raises(ValueError, match="norm is the discriminator's normalisation, one of "
                                         "batch, layer, none"):
        keras_gans.DCGAN(**TINY, norm="group")
    with pytest.raises(ValueError, match="weight_clip is the bound c"):
        keras_gans.DCGAN(**TINY, weight_clip=-0.01)


def test_norm_option_builds_the_discriminator_it_names():
    def kinds(gan):
        return {type(l).__name__ for l in gan.discriminator.layers}

    assert "BatchNormalization" in kinds(keras_gans.DCGAN(**TINY))
    layer = kinds(keras_gans.DCGAN(**TINY, norm="layer"))
    assert "LayerNormalization" in layer and "BatchNormalization" not in layer
    assert not {"LayerNormalization", "BatchNormalization"} & kinds(
        keras_gans.DCGAN(**TINY, norm="none"))
    config = keras_gans.DCGAN(**TINY, norm="layer", penalty="gp").get_config()
    assert config["norm"] == "layer" and config["penalty"] == "gp"
    assert config["penalty_weight"] == 10.0  # the papers' default


def test_weight_clipping_holds_after_every_d_update(mnist):
    x, _ = mnist
    gan = keras_gans.DCGAN(**TINY, loss="wasserstein", weight_clip=0.01)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(batches(x), epochs=1, verbose=0)
    bound = max(float(np.abs(v.numpy()).max()) for v in gan.discriminator.trainable_variables)
    assert bound == pytest.approx(0.01)  # clipped, and at the bound (lr 1e-2 pushes there)
    assert max(float(np.abs(v.numpy()).max()) for v in gan.generator.trainable_variables) > 0.01


def test_spectral_norm_keeps_each_d_weight_at_spectral_norm_one(mnist):
    x, _ = mnist
    gan = keras_gans.DCGAN(**TINY, norm="none", spectral_norm=True, loss="hinge")
    wrapped = [l for l in gan.discriminator.layers
               if isinstance(l, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 3  # two convolutions and the logit layer
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(batches(x, n=320), epochs=1, verbose=0)
    for layer in wrapped:
        kernel = layer.kernel.numpy()
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert sigma == pytest.approx(1.0, abs=0.05), layer.name
    assert gan.discriminator.layers[-1].compute_dtype == "float32"


def test_conditional_entries_take_the_options_too(mnist):
    x, y = mnist
    cgan = keras_gans.ConditionalGAN(**TINY, num_classes=10, norm="none", penalty="gp")
    labels = tf.constant(y[:8])
    _, logs = cgan.discriminator_loss(tf.constant(x[:8]), labels, cgan.sample_latents(8))
    assert np.isfinite(logs["gp"].numpy()) and logs["gp"].numpy() > 0
    acgan = keras_gans.ACGAN(**TINY, num_classes=10, norm="none", spectral_norm=True,
                             penalty="r1")
    assert sum(isinstance(l, keras.layers.SpectralNormalization)
               for l in keras_gans.core.model.all_layers(acgan.discriminator)) == 4  # 2 convs, 2 heads
    acgan.compile()
    history = acgan.fit(tf.data.Dataset.from_tensor_slices((x[:32], y[:32])).batch(16),
                        epochs=1, verbose=0).history
    assert np.isfinite(history["r1"][-1]) and np.isfinite(history["d_loss"][-1])


# --------------------------------------------------------- mixed precision
def test_penalty_under_mixed_float16_skips_overflowing_steps_instead_of_diverging(mnist):
    x, _ = mnist
    keras.mixed_precision.set_global_policy("mixed_float16")
    gan = keras_gans.DCGAN(**TINY, norm="layer", loss="wasserstein", penalty="gp")
    gan.compile()
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append({k: float(v) for k, v in logs.items()})

    gan.fit(batches(x, n=160), epochs=1, verbose=0, callbacks=[Watch()])
    assert all(np.isfinite(list(step.values())).all() for step in seen), seen
    assert seen[-1]["gp"] > 0
    weights = gan.discriminator.get_weights()
    assert all(np.isfinite(w).all() for w in weights)


def test_penalty_under_mixed_bfloat16_is_float32(mnist):
    x, _ = mnist
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    gan = keras_gans.DCGAN(**TINY, norm="none", penalty="r1")
    _, logs = gan.discriminator_loss(tf.constant(x[:8]), None, gan.sample_latents(8))
    assert logs["r1"].dtype == tf.float32 and np.isfinite(logs["r1"].numpy())


# ------------------------------------------------------------ distributed
def test_random_penalty_under_mirrored_strategy_matches_one_device(mirrored_check):
    """DRAGAN's perturbations are drawn per example from one global draw, and
    the penalty is averaged over the global batch like the loss: two logical
    CPUs reach the one-device weights."""
    overrides = {"g_filters": 4, "d_filters": 4, "latent_dim": 8, "norm": "none",
                 "penalty": "dragan", "d_steps": 2}
    config = {"entry": "dcgan", "steps": 2, "batch_size": 8, "overrides": overrides}
    result = mirrored_check(config)
    assert result["replicas"] == 2 and result["moved"] > 5e-4
    assert result["max_diff"] < 1e-4, result


def test_cyclegan_penalises_both_discriminators():
    kwargs = dict(image_shape=(32, 32, 3), g_filters=4, d_filters=4, residual_blocks=1,
                  d_layers=2, pool_size=0, seed=0)
    gan = keras_gans.CycleGAN(**kwargs, penalty="r1", penalty_weight=2.0)
    plain = keras_gans.CycleGAN(**kwargs)
    plain.set_weights(gan.get_weights())
    a, b, fa, fb = (tf.random.stateless_uniform((2, 32, 32, 3), seed=(i, 0), minval=-1, maxval=1)
                    for i in range(4))
    total, logs = gan.discriminator_terms(a, b, fa, fb)
    base, _ = plain.discriminator_terms(a, b, fa, fb)
    np.testing.assert_allclose(tf.reduce_mean(total - base).numpy(), 2.0 * logs["r1"].numpy(),
                               rtol=1e-4, atol=1e-7)
    assert logs["r1"].numpy() > 0 and "r1" in gan.metric_names
