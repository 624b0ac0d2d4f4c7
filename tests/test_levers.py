"""The small-budget levers: an exponential moving average of G's weights
(Yazici et al. 2019) and differentiable augmentation of D's inputs (Zhao et
al. 2020), each an option of every latent GAN."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.core import augment

TINY = dict(image_shape=(28, 28, 1), latent_dim=8, g_filters=4, d_filters=4, seed=0)


def rand(seed=0):
    return augment.seeded_uniform(keras.random.SeedGenerator(seed))


# ---------------------------------------------------------------- DiffAugment
def test_translation_moves_content_by_at_most_an_eighth_with_zero_padding():
    x = np.full((64, 16, 16, 1), -1.0, "float32")
    x[:, 8, 8, 0] = 1.0  # one bright pixel
    y = augment.translation(tf.constant(x), rand()).numpy()
    where = [np.argwhere(img[..., 0] == 1.0) for img in y]
    shifts = np.array([w[0] - 8 for w in where])
    assert all(len(w) == 1 for w in where)  # moved, never lost or doubled (2px < 8px)
    assert np.abs(shifts).max() <= 2 and len({tuple(s) for s in shifts}) > 5
    # What came in from outside is zero (the paper pads with zeros).
    assert set(np.unique(y)) <= {-1.0, 0.0, 1.0} and (y == 0.0).any()


def test_cutout_zeroes_one_square_of_half_the_size():
    x = tf.ones((32, 16, 16, 1))
    y = augment.cutout(x, rand()).numpy()[..., 0]
    for img in y:
        rows, cols = np.nonzero(img == 0)
        assert rows.max() - rows.min() < 8 and cols.max() - cols.min() < 8
        assert (img == 0).sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    full = [(img == 0).sum() == 64 for img in y]
    assert any(full) and not all(full)  # inside, and sometimes cut by the border


def test_color_changes_brightness_and_contrast_per_image():
    x = tf.random.stateless_uniform((16, 8, 8, 3), seed=(1, 2), minval=-1, maxval=1)
    y = augment.color(x, rand()).numpy()
    means = y.mean(axis=(1, 2, 3)) - x.numpy().mean(axis=(1, 2, 3))
    assert np.std(means) > 0.05


def test_augmentations_pass_gradients_and_policies_are_checked():
    x = tf.Variable(tf.random.normal((4, 16, 16, 3)))
    with tf.GradientTape() as tape:
        y = augment.diff_augment(x, augment.parse("color,translation,cutout"), rand())
        total = tf.reduce_sum(y * y)
    grad = tape.gradient(total, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0
    assert augment.parse("cutout, translation") == ("translation", "cutout")
    assert augment.parse("") == () and augment.parse("none") == ()
    with pytest.raises(ValueError, match="Unknown augmentation flip: choose from"):
        augment.parse("flip")


def test_d_sees_augmented_images_only_in_training():
    gan = keras_gans.DCGAN(**TINY, augment="translation,cutout")
    real = tf.ones((8, 28, 28, 1))
    assert not np.allclose(gan.augment(real, training=True).numpy(), 1.0)
    np.testing.assert_array_equal(gan.augment(real, training=False).numpy(), real.numpy())
    plain = keras_gans.DCGAN(**TINY)
    np.testing.assert_array_equal(plain.augment(real).numpy(), real.numpy())


# ------------------------------------------------------------------------ EMA
def test_ema_moves_towards_g_by_the_warmed_up_decay():
    gan = keras_gans.DCGAN(**TINY, ema_decay=0.999)
    gan.compile()
    before = [w.numpy() for w in gan.generator_ema.weights]
    for w in gan.generator.weights:  # pretend G took a step
        w.assign(w.numpy() + 1.0)
    gan.g_optimizer.iterations.assign(5)
    gan.update_ema()
    decay = min(0.999, 6 / 15)  # (1 + t) / (10 + t) at t = 5
    for b, w, e in zip(before, gan.generator.weights, gan.generator_ema.weights):
        np.testing.assert_allclose(e.numpy(), decay * b + (1 - decay) * w.numpy(), atol=1e-5)


def test_ema_generator_samples_and_exports_and_survives_a_checkpoint(tmp_path, mnist):
    x, _ = mnist
    gan = keras_gans.DCGAN(**TINY, ema_decay=0.9)
    gan.compile()
    gan.fit(tf.data.Dataset.from_tensor_slices(x[:256]).batch(32), epochs=1, verbose=0)
    ema = gan.generate(8, seed=3)
    gan.sample_with_ema = False
    raw = gan.generate(8, seed=3)
    gan.sample_with_ema = True
    assert not np.allclose(ema, raw, atol=1e-3)  # they are different networks
    z = gan.latents(8, seed=3)
    np.testing.assert_allclose(gan.generator_ema(z, training=False).numpy(), ema, atol=1e-6)

    from keras_gans import export as export_lib
    path = export_lib.export(gan, tmp_path / "export")
    loaded = tf.saved_model.load(str(path))
    np.testing.assert_allclose(loaded.generate(z).numpy(), ema, atol=1e-5)

    gan.save_weights(str(tmp_path / "w.weights.h5"))
    again = keras_gans.DCGAN(**TINY, ema_decay=0.9)
    again.compile()
    again.load_weights(str(tmp_path / "w.weights.h5"))
    np.testing.assert_allclose(again.generate(8, seed=3), ema, atol=1e-6)


def test_conditional_models_sample_from_the_average_too(mnist):
    x, y = mnist
    for cls in (keras_gans.ConditionalGAN, keras_gans.ACGAN):
        gan = cls(**TINY, num_classes=10, ema_decay=0.9, augment="translation")
        gan.compile()
        gan.fit(tf.data.Dataset.from_tensor_slices((x[:128], y[:128])).batch(32), epochs=1,
                verbose=0)
        z, labels = gan.latents(4, seed=1), np.array([0, 1, 2, 3], "int32")
        np.testing.assert_allclose(gan.generate(4, seed=1, labels=labels),
                                   gan.generator_ema([z, labels], training=False).numpy(),
                                   atol=1e-6)


def test_ema_rampup_lets_a_long_average_take_hold():
    """TF's warm-up caps the window near t / 9 steps, so after 2,000 steps
    0.9995 and 0.999 are the same average; a ramp-up of r caps it at r * t."""
    from keras_gans.core.gan import ema_decay_at
    at = lambda t, d, r=0.0: float(ema_decay_at(t, d, r))  # noqa: E731
    assert at(2000, 0.9995) == pytest.approx(at(2000, 0.999)) == pytest.approx(2001 / 2010)
    assert at(2000, 0.9995, 0.5) == pytest.approx(1 - 1 / 1000)      # window 0.5 * t
    assert at(8000, 0.9995, 0.5) == pytest.approx(0.9995)             # the decay, once ramped
    assert at(0, 0.999, 0.5) == 0.0                                   # starts as a copy of G
    gan = keras_gans.DCGAN(**TINY, ema_decay=0.9995, ema_rampup=0.5)
    assert gan.get_config()["ema_rampup"] == 0.5
    gan.compile()
    before = [w.numpy() for w in gan.generator_ema.weights]
    for w in gan.generator.weights:
        w.assign(w.numpy() + 1.0)
    gan.g_optimizer.iterations.assign(2000)
    gan.update_ema()
    for b, w, e in zip(before, gan.generator.weights, gan.generator_ema.weights):
        np.testing.assert_allclose(e.numpy(), 0.999 * b + 0.001 * w.numpy(), atol=1e-5)


@pytest.mark.parametrize("bad", [-0.5, "soon"])
def test_ema_rampup_is_checked(bad):
    with pytest.raises(ValueError, match="ema_rampup is the share of G's steps"):
        keras_gans.DCGAN(**TINY, ema_decay=0.999, ema_rampup=bad)


def test_ema_decay_is_checked():
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\)"):
        keras_gans.DCGAN(**TINY, ema_decay=1.5)


@pytest.mark.parametrize("entry", ["dcgan", "acgan"])
def test_levers_under_mirrored_strategy_match_one_device(entry, mirrored_check):
    """Replicas augment their slice of one global draw and average G alike, so
    two logical CPUs reach the one-device weights (EMA copy included)."""
    overrides = {"g_filters": 4, "d_filters": 4, "latent_dim": 8, "ema_decay": 0.9,
                 "augment": "translation,cutout"}
    config = {"entry": entry, "steps": 2, "batch_size": 8, "overrides": overrides}
    result = mirrored_check(config)
    assert result["replicas"] == 2 and result["moved"] > 5e-4
    assert result["max_diff"] < 1e-4, result


def test_linear_lr_decay_for_latent_gans_in_a_training_run(tmp_path):
    from keras_gans.training import recipes, train as train_lib
    recipe = recipes.load("dcgan").override({
        "g_filters": 4, "d_filters": 4, "latent_dim": 8, "batch_size": 32, "steps": 4,
        "lr_decay_start": 0.5, "g_lr": 2e-4, "d_lr": 4e-4})
    model, _, _ = train_lib.run(recipe, tmp_path / "run", precision="float32", seed=0,
                                verbose=0, log=lambda *a: None, tensorboard=False)
    # Constant for steps 0-1, then base * 2/2 and base * 1/2 at steps 2 and 3.
    assert float(model.g_optimizer.learning_rate.numpy()) == pytest.approx(1e-4)
    assert float(model.d_optimizer.learning_rate.numpy()) == pytest.approx(2e-4)
    constant, _, _ = train_lib.run(recipe.override({"lr_decay_start": 1.0}), tmp_path / "flat",
                                   precision="float32", seed=0, verbose=0, log=lambda *a: None,
                                   tensorboard=False)
    assert float(constant.g_optimizer.learning_rate.numpy()) == pytest.approx(2e-4)
    with pytest.raises(ValueError, match=r"lr_decay_start is a fraction of training"):
        keras_gans.DCGAN(**TINY, lr_decay_start=2)


# ------------------------------------------------------------------ D dropout
def test_d_dropout_drops_only_in_training_and_is_checked():
    gan = keras_gans.DCGAN(**TINY, d_dropout=0.3)
    assert gan.get_config()["d_dropout"] == 0.3
    assert [l.rate for l in gan.discriminator.layers
            if isinstance(l, keras.layers.Dropout)] == [0.3, 0.3]   # after each convolution
    x = tf.random.uniform((16, 28, 28, 1), -1.0, 1.0, seed=2)
    a, b = (gan.discriminator(x, training=True).numpy() for _ in range(2))
    assert not np.allclose(a, b)                                     # a fresh mask each call
    np.testing.assert_array_equal(gan.discriminator(x, training=False).numpy(),
                                  gan.discriminator(x, training=False).numpy())
    assert not any(isinstance(l, keras.layers.Dropout)
                   for l in keras_gans.DCGAN(**TINY).discriminator.layers)  # off by default
    with pytest.raises(ValueError, match=r"d_dropout is the rate .* not 1.0"):
        keras_gans.DCGAN(**TINY, d_dropout=1.0)


def test_augment_p_leaves_the_other_images_as_they_are():
    x = tf.random.uniform((200, 28, 28, 1), -1.0, 1.0, seed=4)
    gan = keras_gans.DCGAN(**TINY, augment="translation", augment_p=0.3)
    assert gan.get_config()["augment_p"] == 0.3
    changed = np.any(gan.augment(x).numpy() != x.numpy(), axis=(1, 2, 3))
    assert 0.15 < changed.mean() < 0.45                   # about p of the images, not all
    always = keras_gans.DCGAN(**TINY, augment="translation")
    assert np.any(always.augment(x).numpy() != x.numpy(), axis=(1, 2, 3)).mean() > 0.9
    with pytest.raises(ValueError, match=r"augment_p is the chance .* not 0"):
        keras_gans.DCGAN(**TINY, augment="translation", augment_p=0)


# ------------------------------------------------------------------------ bCR
def test_bcr_adds_the_weighted_squared_logit_gaps_of_real_and_shifted_images():
    # Two models with the same seed draw the same shifts: one adds the term,
    # the other's draws rebuild it by hand.
    x = tf.random.uniform((8, 28, 28, 1), -1.0, 1.0, seed=5)
    f = tf.random.uniform((8, 28, 28, 1), -1.0, 1.0, seed=6)
    critic = lambda img: tf.reduce_sum(img[:, :14] * 0.1, axis=[1, 2, 3])[:, None]  # noqa: E731
    a, b = (keras_gans.DCGAN(**TINY, bcr_weight=2.5) for _ in range(2))
    base = tf.fill([8], 0.7)
    got, logs = a.add_consistency(base, {}, x, f, critic(x), critic(f), critic)
    shift = lambda img: augment.diff_augment(img, ("translation",), b._replica_uniform)  # noqa
    x_t, f_t = shift(x), shift(f)
    want = 0.7 + 2.5 * (tf.square(critic(x) - critic(x_t))[:, 0]
                        + tf.square(critic(f) - critic(f_t))[:, 0])
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5)
    assert float(logs["bcr"]) == pytest.approx(float(tf.reduce_mean((want - 0.7) / 2.5)),
                                               rel=1e-5)
    assert a.get_config()["bcr_weight"] == 2.5 and "bcr" in a.metric_names
    plain = keras_gans.DCGAN(**TINY)
    same, logs = plain.add_consistency(base, {}, x, f, critic(x), critic(f), critic)
    assert same is base and logs == {} and "bcr" not in plain.metric_names   # off by default
    with pytest.raises(ValueError, match=r"bcr_weight is the weight .* not -1"):
        keras_gans.DCGAN(**TINY, bcr_weight=-1)
    with pytest.raises(ValueError, match=r"needs transforms .* set bcr_augment"):
        keras_gans.DCGAN(**TINY, bcr_weight=10, bcr_augment="")


# ---------------------------------------------------------------------- LeCam
def test_lecam_moves_its_averages_and_adds_the_weighted_hinged_gaps():
    gan = keras_gans.DCGAN(**TINY, lecam_weight=0.5, lecam_decay=0.9)
    real, fake = tf.constant([[2.0], [4.0]]), tf.constant([[-1.0], [1.0]])
    base = tf.fill([2], 0.7)
    got, logs = gan.add_lecam(base, {}, real, fake)
    a_real, a_fake = 0.1 * 3.0, 0.1 * 0.0           # from 0, towards the means 3 and 0
    assert [float(a) for a in gan.lecam_averages] == pytest.approx([a_real, a_fake])
    want = 0.7 + 0.5 * (np.maximum(np.array([2.0, 4.0]) - a_fake, 0) ** 2
                        + np.maximum(a_real - np.array([-1.0, 1.0]), 0) ** 2)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    assert float(logs["lecam"]) == pytest.approx(np.mean((want - 0.7) / 0.5), rel=1e-5)
    gan.add_lecam(base, {}, real, fake)              # a second step moves them on
    assert float(gan.lecam_averages[0]) == pytest.approx(0.9 * a_real + 0.1 * 3.0)
    same, _ = gan.add_lecam(base, {}, real, fake, training=False)   # evaluation: no term
    assert same is base
    assert gan.get_config()["lecam_weight"] == 0.5 and "lecam" in gan.metric_names
    plain = keras_gans.DCGAN(**TINY)
    assert plain.add_lecam(base, {}, real, fake)[0] is base and "lecam" not in plain.metric_names
    with pytest.raises(ValueError, match=r"lecam_weight is the weight .* not -1"):
        keras_gans.DCGAN(**TINY, lecam_weight=-1)
    with pytest.raises(ValueError, match=r"lecam_decay is the decay .* not 1"):
        keras_gans.DCGAN(**TINY, lecam_weight=0.3, lecam_decay=1)


def test_lecam_keeps_d_closer_to_its_averages_in_training(mnist):
    """On real digits D learns to give the reals logits far above the fakes';
    LeCam's term keeps the reals' logits nearer the fakes' average."""
    from keras_gans import data
    gaps = {}
    for weight in (0.0, 3.0):
        keras.utils.set_random_seed(0)
        # The averages exist only where LeCam is on: "off" is a weight of 1e-9,
        # whose term (~1e-9 x a logit gap squared) cannot move D, so that both
        # runs read the gap off the same moving averages.
        gan = keras_gans.DCGAN(**TINY, lecam_weight=weight or 1e-9)
        gan.compile(d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5))
        digits = data.load("mnist5k", batch_size=32, seed=0)
        history = gan.fit(digits.dataset.repeat(), steps_per_epoch=60, epochs=1, verbose=0)
        gaps[weight] = float(gan.lecam_averages[0] - gan.lecam_averages[1])
        assert np.isfinite(history.history["lecam"][-1])
    assert gaps[3.0] < 0.7 * gaps[0.0], gaps
    # ACGAN: on its real/fake head.
    acgan = keras_gans.ACGAN(num_classes=10, lecam_weight=0.3, **TINY)
    acgan.compile()
    x, y = digits.dataset.take(1).get_single_element()
    logs = acgan.train_on_batch(x, y, return_dict=True)
    assert logs["lecam"] > 0 and float(acgan.lecam_averages[0]) != 0.0


def shift_gap(gan, x, shifts=((2, 0), (0, -2), (-2, 2))):
    """Mean squared change of D's logit (inference mode) when the images move by a few
    pixels, zero-padded as DiffAugment's translation pads."""
    d = gan.discriminator
    base = d(x, training=False).numpy()
    gaps = []
    for dy, dx in shifts:
        moved = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))[:, 2 - dy:30 - dy, 2 - dx:30 - dx]
        gaps.append(np.mean((d(moved, training=False).numpy() - base) ** 2))
    return float(np.mean(gaps))


def test_bcr_trains_a_discriminator_that_answers_alike_for_shifted_digits(mnist):
    from keras_gans import data
    x = mnist[0][:256]
    digits = data.load("mnist5k", batch_size=32, seed=0)
    gaps = {}
    for weight in (0.0, 10.0):
        gan = keras_gans.DCGAN(**{**TINY, "g_filters": 8, "d_filters": 8}, bcr_weight=weight)
        gan.compile(d_optimizer=keras.optimizers.Adam(8e-4, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(8e-4, beta_1=0.5))
        history = gan.fit(digits.dataset.repeat(), steps_per_epoch=60, epochs=2, verbose=0)
        gaps[weight] = shift_gap(gan, x)
        if weight:
            bcr = history.history["bcr"]
            assert bcr[-1] < bcr[0]                     # the term it pays falls as it learns
    # D's answer moves with a 2-pixel shift several times less under bCR.
    assert gaps[10.0] < gaps[0.0] / 3, gaps


def test_acgan_applies_bcr_to_its_source_head():
    gan = keras_gans.ACGAN(image_shape=(28, 28, 1), num_classes=10, latent_dim=8, g_filters=4,
                           d_filters=4, seed=0, bcr_weight=10)
    gan.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (32, 28, 28, 1)).astype("float32")
    y = np.arange(32) % 10
    logs = gan.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16), epochs=1,
                   verbose=0).history
    assert logs["bcr"][0] > 0.0 and np.isfinite(logs["d_loss"][0])


# ---------------------------------------------------------------------- top-k
def test_topk_share_decays_an_epoch_at_a_time_to_its_floor():
    from keras_gans.core.gan import topk_share
    shares = [float(topk_share(step, 0.5, 0.9, 10)) for step in (0, 10, 20, 50, 70, 1000)]
    np.testing.assert_allclose(shares, [1.0, 0.9, 0.81, 0.9 ** 5, 0.5, 0.5], rtol=1e-5)


def test_topk_leaves_g_only_the_losses_of_the_fakes_d_finds_most_real():
    gan = keras_gans.DCGAN(**TINY, topk=0.5, topk_gamma=0.01, topk_epoch_steps=1)
    gan.compile()
    gan.g_optimizer.iterations.assign(5)          # past the first epoch: share = 0.5
    z = tf.random.normal((16, 8), seed=1)
    per_example, logs = gan.generator_loss(z, None)
    logits = gan.discriminator(gan.generator(z, training=True), training=True).numpy()[:, 0]
    top = sorted(np.argsort(-logits)[:8])
    assert float(logs["topk"]) == pytest.approx(0.5)
    kept = np.flatnonzero(per_example.numpy())
    assert list(kept) == top, (per_example, logits)
    # The kept eight count twice, so the batch mean is their mean.
    full = gan.adversarial_loss.generator(logits[:, None]).numpy()
    np.testing.assert_allclose(per_example.numpy()[top], 2 * full[top], rtol=1e-4)
    # And no gradient reaches G's loss through the other eight.
    losses = tf.Variable(tf.ones(16))
    with tf.GradientTape() as tape:
        mean = tf.reduce_mean(gan.keep_top_k(losses, tf.constant(logits), {})[0])
    np.testing.assert_allclose(tape.gradient(mean, losses).numpy(),
                               [1 / 8 if i in top else 0.0 for i in range(16)], rtol=1e-6)
    plain = keras_gans.DCGAN(**TINY)
    plain.compile()
    same, logs = plain.keep_top_k(tf.ones(4), tf.zeros((4, 1)), {})
    assert logs == {} and "topk" not in plain.metric_names       # off by default


def test_topk_takes_its_epoch_from_the_run_or_says_what_it_needs():
    from keras_gans.training.callbacks import RunState
    gan = keras_gans.DCGAN(**TINY, topk=0.5)
    gan.training_callbacks(RunState(step=0, total_steps=100, steps_per_epoch=7, batch_size=8))
    assert gan.topk_epoch_steps == 7 and gan.get_config()["topk_epoch_steps"] == 7
    bare = keras_gans.DCGAN(**TINY, topk=0.5)
    bare.compile()
    x = np.zeros((16, 28, 28, 1), "float32")
    with pytest.raises(ValueError, match="pass topk_epoch_steps"):
        bare.fit(x, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"topk is the least share .* not 0"):
        keras_gans.DCGAN(**TINY, topk=0)
    with pytest.raises(ValueError, match=r"topk_gamma is .* not 1.5"):
        keras_gans.DCGAN(**TINY, topk=0.5, topk_gamma=1.5)


def test_acgan_keeps_the_fakes_its_source_head_scores_highest():
    gan = keras_gans.ACGAN(image_shape=(28, 28, 1), num_classes=10, latent_dim=8, g_filters=4,
                           d_filters=4, seed=0, topk=0.25, topk_gamma=0.01, topk_epoch_steps=1)
    gan.compile()
    gan.g_optimizer.iterations.assign(3)
    z, y = tf.random.normal((16, 8), seed=2), tf.constant(np.arange(16) % 10)
    per_example, _ = gan.generator_loss(z, y)
    source, _ = gan.discriminator(gan.generate_fake(z, y), training=True)
    assert list(np.flatnonzero(per_example.numpy())) == sorted(
        np.argsort(-source.numpy()[:, 0])[:4])


def _deconv_taps(kernel_size: int) -> np.ndarray:
    """How many kernel taps reach each output pixel of one of G's stride-2
    transposed convolutions (an all-ones kernel on an all-ones input)."""
    g = keras_gans.DCGAN(**TINY, kernel_size=kernel_size).generator
    deconv = g.get_layer("deconv1")
    deconv.kernel.assign(tf.ones_like(deconv.kernel))
    ones = tf.ones((1, 7, 7, deconv.kernel.shape[-1]))
    return deconv(ones).numpy()[0, 2:-2, 2:-2, 0] / deconv.kernel.shape[-1]


def test_kernel_size_4_spreads_taps_evenly_and_builds_every_size():
    # Stride 2 divides 4 but not 5: with 5x5 kernels the outputs alternate 9, 6
    # and 4 taps (the checkerboard of Odena et al. 2016), with 4x4 all get 4.
    assert np.unique(_deconv_taps(5)).tolist() == [4.0, 6.0, 9.0]
    assert np.unique(_deconv_taps(4)).tolist() == [4.0]
    for size in (28, 32, 64):
        gan = keras_gans.DCGAN(**{**TINY, "image_shape": (size, size, 3)}, kernel_size=4)
        assert gan.get_config()["kernel_size"] == 4
        assert {l.kernel.shape[0] for l in gan.generator.layers + gan.discriminator.layers
                if isinstance(l, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))} == {4}
        images = gan.generator(tf.zeros((2, 8)))
        assert images.shape == (2, size, size, 3)
        assert gan.discriminator(images).shape == (2, 1)
    rebuilt = keras_gans.DCGAN.from_config(keras_gans.DCGAN(**TINY, kernel_size=4).get_config())
    assert rebuilt.generator.get_layer("deconv1").kernel.shape[0] == 4
    with pytest.raises(ValueError, match=r"kernel_size is a whole number >= 2 .* not 1"):
        keras_gans.DCGAN(**TINY, kernel_size=1)


@pytest.mark.parametrize("entry", ["ConditionalGAN", "ACGAN"])
def test_kernel_size_reaches_both_conditional_players(entry):
    gan = getattr(keras_gans, entry)(**TINY, kernel_size=4)
    assert gan.get_config()["kernel_size"] == 4
    layers = [l for net in (gan.generator, gan.discriminator)
              for l in net._flatten_layers(include_self=False)
              if isinstance(l, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    assert len(layers) == 4 and {l.kernel.shape[0] for l in layers} == {4}
    images = gan.generator([tf.zeros((2, 8)), tf.constant([1, 2])])
    assert images.shape == (2, 28, 28, 1)


# ------------------------------------------------------- SS-GAN and G's depth
def test_rotations_turn_the_first_quarter_of_a_batch_all_four_ways():
    from keras_gans.models.dcgan import rotations
    x = np.random.default_rng(0).normal(size=(8, 28, 28, 1)).astype("float32")
    turned, turns = rotations(tf.constant(x))
    want = np.concatenate([np.rot90(x[:2], k, axes=(1, 2)) for k in range(4)])
    np.testing.assert_array_equal(turned.numpy(), want)
    assert turns.numpy().tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    one, _ = rotations(tf.constant(x[:3]))          # fewer than four: still one image
    assert one.shape[0] == 4


def test_ss_gan_d_learns_the_turns_of_real_digits_and_g_is_scored_on_them(mnist):
    from keras_gans import data
    keras.utils.set_random_seed(0)
    gan = keras_gans.DCGAN(**{**TINY, "d_filters": 8}, rotation_weight=1.0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    digits = data.load("mnist5k", batch_size=32, seed=0)
    history = gan.fit(digits.dataset.repeat(), steps_per_epoch=40, epochs=2, verbose=0).history
    # Chance is 1 in 4; digits have an up, so D learns to tell it.
    assert history["rotation_acc"][-1] > 0.8 and history["rotation_loss"][-1] < 0.7
    x, _ = digits.dataset.take(1).get_single_element()
    assert gan.discriminate(x, None, training=False).shape == (32, 1)   # the real/fake logit
    z = gan.sample_latents(32)
    g_loss, _ = gan.generator_loss(z, None, training=False)
    plain = keras_gans.GAN.generator_loss(gan, z, None, training=False)[0]
    ce, _ = gan.rotation_loss(gan.generate_fake(z, None, training=False), training=False)
    # G's loss is the adversarial one plus alpha (0.2) times the turns' cross-entropy.
    np.testing.assert_allclose(g_loss.numpy(), plain.numpy() + 0.2 * float(ce), rtol=1e-4)
    rebuilt = keras_gans.DCGAN.from_config(gan.get_config())
    assert len(rebuilt.discriminator.outputs) == 2 and "rotation_acc" in rebuilt.metric_names
    assert "rotation_acc" not in keras_gans.DCGAN(**TINY).metric_names
    with pytest.raises(ValueError, match=r"rotation_weight is D's weight .* not -1"):
        keras_gans.DCGAN(**TINY, rotation_weight=-1)
    with pytest.raises(ValueError, match="leave pack at 1"):
        keras_gans.DCGAN(**TINY, rotation_weight=1, pack=2)


def test_g_extra_layers_adds_3x3_layers_at_gs_smallest_size():
    gan = keras_gans.DCGAN(**TINY, g_extra_layers=2)
    extra = [l for l in gan.generator.layers if l.name.startswith("extra")]
    assert [l.name for l in extra] == ["extra1", "extra2"]
    assert all(l.kernel.shape[:2] == (3, 3) and l.output.shape[1:3] == (7, 7) for l in extra)
    assert gan.generator(tf.zeros((2, 8))).shape == (2, 28, 28, 1)
    rebuilt = keras_gans.DCGAN.from_config(gan.get_config())
    assert rebuilt.generator.count_params() == gan.generator.count_params()
    assert not [l for l in keras_gans.DCGAN(**TINY).generator.layers
                if l.name.startswith("extra")]
    with pytest.raises(ValueError, match=r"g_extra_layers is how many .* not 1.5"):
        keras_gans.DCGAN(**TINY, g_extra_layers=1.5)


@pytest.mark.parametrize("entry", ["ConditionalGAN", "ACGAN", "ClusteredGAN"])
def test_g_extra_layers_reach_the_conditional_generators(entry):
    options = dict(TINY, clusters=3) if entry == "ClusteredGAN" else TINY
    gan = getattr(keras_gans, entry)(**options, g_extra_layers=1)
    assert gan.get_config()["g_extra_layers"] == 1
    names = [l.name for l in gan.generator._flatten_layers(include_self=False)]
    assert "extra1" in names and "extra2" not in names


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_dense_layers_are_the_paper_mnist_models_hidden_layers(norm):
    gan = keras_gans.DCGAN(**TINY, g_dense=16, d_dense=12, norm=norm)
    g = {l.name: l for l in gan.generator.layers}
    d = {l.name: l for l in gan.discriminator.layers}
    # G: z -> 16 units -> the 7x7 projection; D: the flattened features -> 12 -> logit.
    assert g["dense"].kernel.shape == (8, 16) and g["project"].kernel.shape[0] == 16
    assert d["dense"].kernel.shape[1] == 12 and d["logits"].kernel.shape == (12, 1)
    normed = [l for l in gan.discriminator.layers if "normalization" in l.name]
    assert len(normed) == {"batch": 2, "layer": 2, "none": 0}[norm]  # conv2's and dense's
    assert d["dense"].use_bias == (norm == "none")
    assert gan.generator(tf.zeros((2, 8))).shape == (2, 28, 28, 1)
    assert gan.discriminator(tf.zeros((2, 28, 28, 1))).shape == (2, 1)
    rebuilt = keras_gans.DCGAN.from_config(gan.get_config())
    assert rebuilt.discriminator.count_params() == gan.discriminator.count_params()
    plain = keras_gans.DCGAN(**TINY)
    assert "dense" not in {l.name for l in plain.generator.layers + plain.discriminator.layers}
    with pytest.raises(ValueError, match=r"d_dense is the width .* not -1"):
        keras_gans.DCGAN(**TINY, d_dense=-1)
