"""CycleGAN: networks, losses, image pool, learning-rate schedule, data, and
the training step under mixed precision and tf.distribute (tiny sizes)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

from keras_gans.core import losses
from keras_gans.nets import image2image as networks_i2i
from keras_gans.training import recipes, schedules
from keras_gans.data import unpaired
from keras_gans.data import DataError
from keras_gans.models import cyclegan as cg
from keras_gans.models.cyclegan import CycleGAN, ImagePool


@pytest.fixture(scope="module")
def cgan_domains(tmp_path_factory):
    return unpaired.make_photo_domains(tmp_path_factory.mktemp("domains"), image_size=40,
                                       train=6, test=3, seed=0)


def tiny(**kwargs):
    opts = dict(image_shape=(32, 32, 3), g_filters=4, d_filters=4, residual_blocks=1, seed=0)
    opts.update(kwargs)
    return CycleGAN(**opts)


# --------------------------------------------------------------- networks
def test_reflection_padding_mirrors_without_repeating_the_edge():
    x = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)
    got = keras.ops.convert_to_numpy(networks_i2i.ReflectionPadding2D(2)(x))
    want = np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(got, want)


def test_generator_has_the_papers_residual_blocks_and_keeps_the_shape():
    def blocks(size):
        g = networks_i2i.resnet_generator((size, size, 3), filters=2,
                                          blocks=networks_i2i.default_residual_blocks(size))
        return sum(layer.name.startswith("res") and layer.name.endswith("_a")
                   for layer in g.layers), g

    n256, g256 = blocks(256)
    n128, _ = blocks(128)
    assert (n256, n128) == (9, 6)
    assert g256.output.shape[1:] == (256, 256, 3)
    assert g256.get_layer("tanh").dtype_policy.compute_dtype == "float32"
    norm = [l for l in g256.layers if isinstance(l, keras.layers.GroupNormalization)]
    assert norm and all(l.groups == l.input.shape[-1] for l in norm)  # a group per channel


def test_the_full_size_networks_match_the_reference_parameter_counts():
    g = networks_i2i.resnet_generator((256, 256, 3), 64, 9)
    d = networks_i2i.patch_discriminator((256, 256, 3), 64, 3)
    # The reference ResNet-9 generator and 3-layer PatchGAN: 11.378M and 2.765M.
    assert g.count_params() == 11_378_179
    assert d.count_params() == 2_764_737
    assert d.output.shape[1:] == (30, 30, 1)


def test_patchgan_logits_each_see_a_70x70_patch():
    d = networks_i2i.patch_discriminator((128, 128, 1), filters=2, n_layers=3)
    x = tf.Variable(tf.random.normal([1, 128, 128, 1]))
    with tf.GradientTape() as tape:
        # The convolution path alone (instance norm mixes in image-wide statistics).
        out = x
        for layer in d.layers[1:]:
            if not isinstance(layer, keras.layers.GroupNormalization):
                out = layer(out)
        centre = out[0, out.shape[1] // 2, out.shape[2] // 2, 0]
    grad = np.abs(tape.gradient(centre, x).numpy()[0, :, :, 0])
    rows, cols = np.nonzero(grad.max(axis=1))[0], np.nonzero(grad.max(axis=0))[0]
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70


def test_bad_image_sizes_are_refused_clearly():
    with pytest.raises(ValueError, match="divisible by 4"):
        tiny(image_shape=(30, 30, 3))
    with pytest.raises(ValueError, match="at least 32"):
        tiny(image_shape=(16, 16, 3))


# ----------------------------------------------------------------- losses
def test_least_squares_objective_against_hand_computed_values():
    g_scale, d_scale = cg.objective_scales(losses.get("least_squares"))
    ls = losses.get("least_squares")
    real = tf.constant([[[[1.0], [3.0]]]])   # (D(b) - 1)^2: 0 and 4 -> mean 2
    fake = tf.constant([[[[0.0], [-2.0]]]])  # D(G(a))^2: 0 and 4 -> mean 2
    # G: mean (D(G(a)) - 1)^2 = (1 + 9) / 2 = 5, with no LSGAN 1/2.
    np.testing.assert_allclose(g_scale * ls.generator(fake).numpy(), [5.0])
    # D: the paper halves (2 + 2).
    np.testing.assert_allclose(d_scale * ls.discriminator(real, fake).numpy(), [2.0])
    # Other losses: G as in the zoo, D halved.
    ns = losses.get("non_saturating")
    g_scale, d_scale = cg.objective_scales(ns)
    assert g_scale == 1.0 and d_scale == 0.5


def test_generator_and_discriminator_losses_compose_as_the_paper():
    model = tiny()
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    b = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    G, F = model.generator, model.generator_b2a
    D_A, D_B = model.discriminator_a, model.discriminator
    n = lambda t: keras.ops.convert_to_numpy(t)  # noqa: E731
    fb, fa = n(G(a)), n(F(b))
    ra, rb = n(F(fb)), n(G(fa))
    per = lambda x: x.reshape(len(x), -1).mean(1)  # noqa: E731
    g_adv = per((n(D_B(fb)) - 1) ** 2)
    f_adv = per((n(D_A(fa)) - 1) ** 2)
    cycle = per(np.abs(ra - a)) + per(np.abs(rb - b))
    identity = per(np.abs(n(G(b)) - b)) + per(np.abs(n(F(a)) - a))
    want = g_adv + f_adv + 10.0 * cycle + 10.0 * 0.5 * identity
    total, logs = model.generator_terms(tf.constant(a), tf.constant(b))
    np.testing.assert_allclose(total.numpy(), want, rtol=1e-4)
    np.testing.assert_allclose(float(logs["cycle"]), cycle.mean() / 2, rtol=1e-4)

    d_want = (0.5 * (per((n(D_A(a)) - 1) ** 2) + per(n(D_A(fa)) ** 2))
              + 0.5 * (per((n(D_B(b)) - 1) ** 2) + per(n(D_B(fb)) ** 2)))
    d_total, _ = model.discriminator_terms(tf.constant(a), tf.constant(b),
                                           tf.constant(fa), tf.constant(fb))
    np.testing.assert_allclose(d_total.numpy(), d_want, rtol=1e-4)

    no_identity = tiny(identity_weight=0.0)
    no_identity.set_weights(model.get_weights())
    total0, logs0 = no_identity.generator_terms(tf.constant(a), tf.constant(b))
    np.testing.assert_allclose(total0.numpy(), want - 5.0 * identity, rtol=1e-4)
    assert "identity" not in logs0


# ------------------------------------------------------------------- pool
def ids(images):
    """The id each constant test image carries."""
    return np.round(np.asarray(images)[:, 0, 0, 0]).astype(int)


def run_pool(query, pool, batches, batch=5, start=0):
    """Feed `batches` batches of fresh constant images (ids from `start`)."""
    seen_out = []
    for i in range(batches):
        first = start + i * batch
        fakes = np.repeat(np.arange(first, first + batch, dtype="float32"), 4).reshape(
            batch, 2, 2, 1)
        seed = tf.constant([7, first], tf.int64)
        seen_out.append((np.arange(first, first + batch), ids(query(fakes, seed)),
                         ids(pool.images.numpy()[:pool.size])))
    return seen_out


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
def test_image_pool_returns_past_fakes_half_of_the_time(graph):
    pool = ImagePool(50, (2, 2, 1))
    query = tf.function(pool.query) if graph else pool.query
    # Filling: the first 50 fakes pass through and are all stored.
    for fed, out, _ in run_pool(query, pool, batches=10):
        np.testing.assert_array_equal(out, fed)
    assert int(pool.count.numpy()) == 50
    assert sorted(ids(pool.images.numpy()[:50])) == list(range(50))
    # Then each fake is swapped for a stored past one with probability 1/2.
    from_pool = total = 0
    before = ids(pool.images.numpy()[:50])
    for fed, out, stored in run_pool(query, pool, batches=60, start=50):
        swapped = out != fed
        assert np.all(out[swapped] < fed[swapped])  # an earlier fake came back instead
        # Nothing is lost or copied: what went in is what is stored or came out.
        assert sorted(np.r_[before, fed]) == sorted(np.r_[stored, out])
        before = stored
        from_pool += swapped.sum()
        total += len(fed)
    # 300 draws of p = 1/2: outside [0.40, 0.60] has odds below 1e-3.
    assert 0.40 < from_pool / total < 0.60
    assert int(pool.count.numpy()) == 50


def test_image_pool_of_size_zero_passes_fakes_through():
    pool = ImagePool(0, (2, 2, 1))
    x = tf.ones([3, 2, 2, 1])
    assert pool.query(x, tf.constant([1, 2])) is x


def test_image_pool_works_per_replica_under_tf_distribute():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        pool = ImagePool(4, (2, 2, 1))
    step = tf.function(lambda x, s: strategy.run(pool.query, args=(x, s)))
    outs = [ids(step(tf.fill([2, 2, 2, 1], float(i)), tf.constant([0, i], tf.int64)))
            for i in range(1, 12)]
    assert outs[0].tolist() == [1, 1] and outs[1].tolist() == [2, 2]
    assert any(o.min() < i + 1 for i, o in enumerate(outs[2:], start=2))  # pool answers
    assert int(pool.count.numpy()) == 4


# --------------------------------------------------------------- schedule
def test_linear_decay_factor_is_constant_then_falls_linearly_to_zero():
    f = [schedules.linear_decay_factor(s, 200, 0.5) for s in range(200)]
    assert f[:101] == [1.0] * 101
    np.testing.assert_allclose(f[150], 0.5)
    np.testing.assert_allclose(f[199], 0.01)
    assert all(x > y for x, y in zip(f[100:], f[101:]))


def test_linear_decay_callback_sets_both_rates_and_resumes_on_schedule():
    class Holder:
        g_optimizer = keras.optimizers.Adam(2e-4)
        d_optimizer = keras.optimizers.Adam(1e-4)

    def run(epochs, steps, initial=0):
        callback = schedules.LinearDecay({"g_optimizer": 2e-4, "d_optimizer": 1e-4}, start=0.5)
        callback._model = Holder  # what Callback.set_model stores
        callback.set_params({"epochs": epochs, "steps": steps})
        callback.on_train_begin()
        rates = []
        for epoch in range(initial, epochs):
            callback.on_epoch_begin(epoch)
            for batch in range(steps):
                callback.on_train_batch_begin(batch)
                rates.append((float(Holder.g_optimizer.learning_rate.numpy()),
                              float(Holder.d_optimizer.learning_rate.numpy())))
        return np.array(rates)

    full = run(4, 5)
    np.testing.assert_allclose(full[:11, 0], 2e-4)          # first half constant
    np.testing.assert_allclose(full[:, 1], full[:, 0] / 2)  # both optimizers follow
    np.testing.assert_allclose(full[-1, 0], 2e-4 / 10)      # 1/10 left on the last step
    resumed = run(4, 5, initial=2)
    np.testing.assert_allclose(resumed, full[10:])


def test_model_hands_its_schedule_to_training():
    model = tiny(lr_decay_start=0.25)
    model.compile(g_optimizer=keras.optimizers.Adam(3e-4), d_optimizer=keras.optimizers.Adam(1e-4))
    [callback] = model.training_callbacks()
    assert isinstance(callback, schedules.LinearDecay) and callback.start == 0.25
    assert callback.base_rates == pytest.approx({"g_optimizer": 3e-4, "d_optimizer": 1e-4})


# ------------------------------------------------------------------- data
def test_photo_domains_folder_loads_as_unpaired_batches(cgan_domains):
    for split, count in (("train", 6), ("test", 3)):
        for d in "AB":
            assert len(list((cgan_domains / f"{split}{d}").glob("*.png"))) == count
    # Make the domains unequal: an epoch covers the larger one.
    for p in sorted((cgan_domains / "trainB").glob("*.png"))[4:]:
        p.rename(cgan_domains / f"spare_{p.name}")
    try:
        data = CycleGAN.load_data(str(cgan_domains), batch_size=2, image_size=32, seed=0)
        assert data.domain_sizes == (6, 4) and data.num_examples == 6
        assert data.steps_per_epoch == 3 and data.image_shape == (32, 32, 3)
        batches = list(data.dataset.as_numpy_iterator())
    finally:
        for p in cgan_domains.glob("spare_*.png"):
            p.rename(cgan_domains / "trainB" / p.name[len("spare_"):])
    assert len(batches) == 3
    a = np.concatenate([x for x, _ in batches])
    b = np.concatenate([y for _, y in batches])
    assert a.shape == (6, 32, 32, 3) and a.dtype == np.float32
    assert -1.0 <= a.min() and a.max() <= 1.0
    # Domain A (the temple under a pale sky) is far brighter than B (dark leaves).
    assert a.mean() > b.mean() + 0.3


def test_training_images_are_resized_cropped_and_flipped_as_the_paper(cgan_domains):
    assert unpaired.load_size_for((256, 256)) == (286, 286)
    assert unpaired.load_size_for((64, 64)) == (72, 72)

    def first_a(augment, epochs=3):
        data = unpaired.load_unpaired(cgan_domains, batch_size=1, image_size=32, shuffle=False,
                                      augment_images=augment, seed=1)
        return [next(iter(data.dataset))[0].numpy()[0] for _ in range(epochs)]

    plain = first_a(False)
    assert all(np.array_equal(plain[0], x) for x in plain)
    augmented = first_a(True)
    # A random crop of the 36px resize, sometimes mirrored: not the plain resize.
    assert all(x.shape == (32, 32, 3) for x in augmented)
    assert not any(np.allclose(x, plain[0], atol=1e-3) for x in augmented)
    # The test split is only resized.
    test = unpaired.load_unpaired(cgan_domains, batch_size=1, image_size=32, split="test",
                                  shuffle=False, seed=1)
    t1 = next(iter(test.dataset))[0].numpy()
    t2 = next(iter(test.dataset))[0].numpy()
    np.testing.assert_array_equal(t1, t2)


def test_fixed_sample_images_come_from_the_test_split(cgan_domains):
    data = CycleGAN.load_data(str(cgan_domains), batch_size=2, image_size=32)
    a, b = data.fixed(2)
    assert a.shape == b.shape == (2, 32, 32, 3)
    a_again, _ = data.fixed(2)
    np.testing.assert_array_equal(a, a_again)
    model = tiny()
    grid = model.sample_grid(model.sample_inputs(data, 2, seed=0))
    # 2 rows x 6 columns (A, G(A), F(G(A)), B, F(B), G(F(B))) of 32px with 2px gaps.
    assert grid.shape == (2 * 34 + 2, 6 * 34 + 2, 3) and grid.dtype == np.uint8


def test_data_errors_say_what_to_do(tmp_path, cgan_domains):
    (tmp_path / "trainA").mkdir()
    with pytest.raises(DataError, match="trainA/ and trainB/"):
        unpaired.load_unpaired(tmp_path)
    with pytest.raises(DataError, match="horse2zebra"):
        unpaired.load_unpaired("zebra2unicorn")
    with pytest.raises(DataError, match="batch"):
        unpaired.load_unpaired(cgan_domains, batch_size=64, image_size=32)
    with pytest.raises(DataError, match="No such folder"):
        unpaired.load_unpaired(str(tmp_path / "missing" / "dir"))


def test_tfds_cycle_gan_sets_load_through_tensorflow_datasets():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=4):
        for name in ("horse2zebra", "cycle_gan/apple2orange"):
            data = CycleGAN.load_data(name, batch_size=2, image_size=32, seed=0)
            assert data.source.endswith(name.split("/")[-1])
            assert data.domain_sizes == (4, 4) and data.steps_per_epoch == 2
            a, b = next(iter(data.dataset))
            assert a.shape == b.shape == (2, 32, 32, 3)
            assert -1.0 <= float(tf.reduce_min(a)) and float(tf.reduce_max(b)) <= 1.0


def test_recipe_keeps_the_papers_settings():
    r = recipes.load("cyclegan")
    assert r.model_class is CycleGAN and r.data == "horse2zebra"
    assert (r.train["batch_size"], r.train["epochs"], r.train["image_size"]) == (1, 200, 256)
    assert (r.train["g_lr"], r.train["d_lr"], r.train["beta_1"]) == (2e-4, 2e-4, 0.5)
    hp = r.model_kwargs
    assert (hp["cycle_weight"], hp["identity_weight"], hp["pool_size"]) == (10.0, 0.5, 50)
    assert hp["loss"] == "least_squares" and hp["lr_decay_start"] == 0.5
    assert hp["residual_blocks"] is None  # 9 at 256px, chosen from the size
    assert r.override({"image_size": "64"}).train["image_size"] == 64


# ------------------------------------------------- precision, distribution
def pair(n=2, size=16):
    rng = np.random.default_rng(1)
    return (tf.constant(rng.uniform(-1, 1, (n, size, size, 3)), tf.float32),
            tf.constant(rng.uniform(-1, 1, (n, size, size, 3)), tf.float32))


def test_train_step_under_mixed_precision_scales_losses_and_stays_finite():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = tiny(image_shape=(16, 16, 3), d_layers=1)
        model.compile()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.generator.output.dtype == "float32"
    before = [w.numpy().copy() for w in model.generator_b2a.trainable_weights]
    batch = pair()
    step = tf.function(model.train_step)
    # Dynamic loss scaling skips the steps whose scaled gradients overflow
    # float16 and lowers the scale, until the updates go through.
    for _ in range(30):
        logs = step(batch)
        assert all(np.isfinite(float(v)) for v in logs.values())
        after = model.generator_b2a.trainable_weights
        if any(not np.array_equal(x, y.numpy()) for x, y in zip(before, after)):
            break
    else:
        pytest.fail("no update went through under mixed_float16")
    assert float(model.g_optimizer.dynamic_scale.numpy()) < 2.0 ** 15
    assert int(model.pool_b.count.numpy()) >= 2


def test_fit_under_a_distribution_strategy(cgan_domains):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        model = tiny()
        model.compile()
    data = CycleGAN.load_data(str(cgan_domains), batch_size=2, image_size=32, seed=0)
    history = model.fit(data.dataset.repeat(), epochs=1, steps_per_epoch=3, verbose=0)
    assert set(CycleGAN.metric_names) <= set(history.history)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert int(model.pool_a.count.numpy()) == 6
