"""SRGAN (issue 17): the networks, the paired data, SRResNet learning past
bicubic, the two phases across a resume, `keras-gans upscale` (tiled and
untiled), `keras-gans evaluate`, the export without keras-gans, the content
loss choices and the one-line errors. Tiny networks throughout."""

import csv
import json
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

import keras_gans
from keras_gans import export as export_lib
from keras_gans import files
from keras_gans.cli import main
from keras_gans.cli.upscale import tile_starts, tiled_upscale
from keras_gans.data import paired
from keras_gans.evaluation import superres
from keras_gans.models.srgan import SRGAN, ContentLossWarning
from keras_gans.nets import srresnet
from keras_gans.training import recipes
from keras_gans.training import train as train_lib

from conftest import one_error_line

TINY = {"residual_blocks": "1", "g_filters": "8", "d_filters": "8", "d_dense": "16",
        "content_loss": "auto", "bicubic_skip": "true", "pretrain_steps": "3",
        "batch_size": "4", "image_size": "32", "steps_per_epoch": "1", "log_every": "1",
        "samples": "2", "checkpoint_every": "1"}


# ----------------------------------------------------------------- networks
@pytest.mark.parametrize("scale", [2, 4])
def test_generator_upscales_any_size_by_its_scale(scale):
    for skip in (False, True):
        g = srresnet.srresnet(scale, filters=8, blocks=2, bicubic_skip=skip)
        for h, w in ((7, 11), (24, 24), (13, 30)):
            out = g(np.zeros((2, h, w, 3), "float32"))
            assert tuple(out.shape) == (2, h * scale, w * scale, 3)
    with pytest.raises(ValueError, match="2 or 4"):
        srresnet.srresnet(3)


def test_bicubic_skip_starts_as_bicubic_and_discriminator_judges_any_size():
    lr = np.random.default_rng(0).uniform(-1, 1, (1, 9, 10, 3)).astype("float32")
    g = srresnet.srresnet(4, filters=8, blocks=1, bicubic_skip=True)
    np.testing.assert_allclose(np.clip(g(lr), -1, 1), paired.upscale_bicubic(lr, 4), atol=1e-5)
    d = srresnet.discriminator(filters=8, dense=16)
    assert len([l for l in d.layers if isinstance(l, keras.layers.Conv2D)]) == 8
    for size in (32, 48, 40):
        assert tuple(d(np.zeros((3, size, size + 8, 3), "float32")).shape) == (3, 1)


def test_final_layers_are_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = SRGAN(image_shape=(32, 32, 3), residual_blocks=1, g_filters=8, d_filters=8,
                  d_dense=16, content_loss="mse")
    assert model.generator(np.zeros((1, 8, 8, 3), "float32")).dtype == "float32"
    assert model.discriminator(np.zeros((1, 32, 32, 3), "float32")).dtype == "float32"


# --------------------------------------------------------------------- data
def test_pairs_are_random_hr_crops_and_their_bicubic_downscaling():
    data = SRGAN.load_data("photos", batch_size=4, image_size=32, scale=4, seed=0)
    lr, hr = next(iter(data.dataset))
    assert tuple(lr.shape) == (4, 8, 8, 3) and tuple(hr.shape) == (4, 32, 32, 3)
    assert data.image_shape == (32, 32, 3) and data.steps_per_epoch >= 50
    np.testing.assert_allclose(lr, paired.downscale(hr, 4), atol=1e-5)
    assert float(tf.reduce_max(tf.abs(hr[0] - hr[1]))) > 0.1  # different crops
    assert -1.0 <= float(tf.reduce_min(hr)) and float(tf.reduce_max(hr)) <= 1.0
    # Held-out photos are whole, cut to the scale, and none is trained on.
    assert not set(paired.PHOTOS_TRAIN) & set(paired.PHOTOS_TEST)
    train = paired.photo_arrays("train")
    assert len(train) == len(paired.PHOTOS_TRAIN)
    assert all(a.dtype == np.uint8 and a.ndim == 3 and a.shape[-1] == 3 for a in train)
    for held_out in paired.photo_arrays("test"):  # (by content too: chelsea is also `cat`)
        assert not any(a.shape == held_out.shape and np.array_equal(a, held_out) for a in train)
    pairs = paired.test_pairs("photos", 4)
    assert len(pairs) == len(paired.PHOTOS_TEST)
    for (lo, hi), img in zip(pairs, paired.photo_arrays("test")):
        assert hi.shape[0] == img.shape[0] // 4 * 4 and hi.shape[:2] == (lo.shape[0] * 4,
                                                                       lo.shape[1] * 4)


def test_color_augment_transforms_hr_crops_into_exact_pairs():
    """The colour transforms act on the HR crops before the downsampling: the
    crops are the plain ones' pixels permuted, negated or mixed per pixel (the
    same crop positions), LR stays their bicubic downscaling, and a bad name
    is one line."""
    plain = next(iter(SRGAN.load_data("photos", batch_size=8, image_size=32, seed=0,
                                      shuffle=False).dataset))[1].numpy()
    for spec in ("permute", "invert", "mix", "permute,invert,mix"):
        data = SRGAN.load_data("photos", batch_size=8, image_size=32, seed=0, shuffle=False,
                               color_augment=spec)
        lr, hr = (t.numpy() for t in next(iter(data.dataset)))
        np.testing.assert_allclose(lr, paired.downscale(hr, 4), atol=1e-5)
        assert -1.0 <= hr.min() and hr.max() <= 1.0
        assert not np.allclose(hr, plain, atol=1e-3), spec  # some crop changed
        for got, was in zip(hr, plain):
            # Each crop is a per-pixel linear map of the plain crop's colours:
            # least squares from the plain colours (and their negatives) fits it.
            x, y = was.reshape(-1, 3), got.reshape(-1, 3)
            m, *_ = np.linalg.lstsq(x, y, rcond=None)
            np.testing.assert_allclose(x @ m, y, atol=1e-4)
            if spec == "invert":
                assert np.allclose(got, was) or np.allclose(got, -was)
            if spec == "permute":
                assert any(np.allclose(got, was[..., list(p)]) for p in
                           ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)))
    model = SRGAN(image_shape=(32, 32, 3), residual_blocks=1, g_filters=8, d_filters=8,
                  d_dense=16, content_loss="mse", color_augment="invert, permute")
    assert model.get_config()["color_augment"] == "invert,permute"
    with pytest.raises(ValueError, match="color_augment takes comma-separated"):
        SRGAN(color_augment="hue")
    with pytest.raises(keras_gans.data.DataError, match="color_augment takes"):
        SRGAN.load_data("photos", color_augment="permute,permute")

def test_a_folder_source_holds_out_every_tenth_image(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(12):
        files.save_png(tmp_path / f"im{i:02d}.png", rng.integers(0, 255, (40, 50, 3), np.uint8))
    data = SRGAN.load_data(str(tmp_path), batch_size=2, image_size=16, scale=2, seed=0)
    lr, hr = next(iter(data.dataset))
    assert tuple(lr.shape) == (2, 8, 8, 3)
    assert len(paired.test_images(str(tmp_path))) == 1


# ----------------------------------------------------------------- learning
def test_srresnet_beats_bicubic_on_held_out_photos_after_short_training():
    keras.utils.set_random_seed(0)
    model = SRGAN(image_shape=(32, 32, 3), scale=4, residual_blocks=2, g_filters=16,
                  d_filters=8, d_dense=16, pretrain_steps=10 ** 6, content_loss="mse",
                  bicubic_skip=True, seed=0)
    model.compile(g_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.9))
    data = SRGAN.load_data("photos", batch_size=16, image_size=32, scale=4, seed=0)
    # 400 steps: +0.42 dB here with AVX512 kernels, +0.38 with
    # ONEDNN_MAX_CPU_ISA=AVX2 (+0.40 at 300). At 2e-3 this tiny G stalled at
    # bicubic on the 17 training photos (+0.00 dB), at 1e-3 it gave +0.36.
    model.fit(data.dataset.repeat(), steps_per_epoch=400, epochs=1, verbose=0)
    pairs = paired.test_pairs("photos", 4)
    sr = superres.measure(model.upscale, pairs, 4)
    bicubic = superres.measure(superres.bicubic(4), pairs, 4)
    assert sr["psnr"] > bicubic["psnr"] + 0.15, (sr["psnr"], bicubic["psnr"])
    assert int(model.sr_step.numpy()) == 400


def test_phase_one_schedule_sets_g_rate_by_the_step_counter_across_fits():
    """G's rate in phase 1 is `pretrain_lr`, decays linearly from
    `pretrain_decay_start`, and is G's compiled rate again in phase 2; a second
    `fit()` (as after a resume) goes on from the step counter."""
    model = SRGAN(image_shape=(16, 16, 3), scale=2, residual_blocks=1, g_filters=4,
                  d_filters=4, d_dense=8, pretrain_steps=4, content_loss="mse",
                  pretrain_lr=1e-2, pretrain_decay_start=0.5, seed=0)
    model.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-4))
    rates = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: rates.append(
        float(keras.ops.convert_to_numpy(model.g_optimizer.learning_rate))))
    hr = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    data = tf.data.Dataset.from_tensors((paired.downscale(hr, 2), hr)).repeat()
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0, callbacks=[record])
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0, callbacks=[record])
    # Steps 0-1 at the full rate, 2-3 decaying (4 would be zero), 4-5 phase 2.
    np.testing.assert_allclose(rates, [1e-2, 1e-2, 1e-2, 5e-3, 1e-3, 1e-3], rtol=1e-5)
    assert int(model.sr_step.numpy()) == 6
    with pytest.raises(ValueError, match="set one of them to 1"):
        SRGAN(image_shape=(16, 16, 3), scale=2, residual_blocks=1, g_filters=4, d_filters=4,
              d_dense=8, content_loss="mse", pretrain_decay_start=0.5, lr_decay_start=0.5)


# ------------------------------------------- a tiny run, resumed over phases
@pytest.fixture(scope="module")
def sr_run(tmp_path_factory):
    """A tiny x2 SRGAN run: `keras-gans train` for 2 steps (phase 1 lasts 3),
    then resumed to step 5 with a best checkpoint by PSNR."""
    base_dir = tmp_path_factory.mktemp("srgan")
    run = base_dir / "run"
    args = [a for k, v in TINY.items() for a in (f"--{k.replace('_', '-')}", v)]
    result = CliRunner().invoke(main, ["train", "srgan", "--steps", "2", "--scale", "2",
                                       "--out", str(run), "--precision", "float32",
                                       "--seed", "0", "--no-tensorboard", *args],
                                env={"KERAS_HOME": str(base_dir / "keras")})  # no VGG19 there
    assert result.exit_code == 0, result.output
    first = json.loads((run / "export" / export_lib.META_FILE).read_text())
    recipe = recipes.load("srgan").override({**TINY, "scale": "2", "steps": 5})
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        warnings.simplefilter("ignore")
        mp.setenv("KERAS_HOME", str(base_dir / "keras"))
        model, _, _ = train_lib.run(recipe, run, precision="float32", seed=0, verbose=0,
                                    tensorboard=False, log=lambda *a: None)
    return run, model, result.output, first


def test_phases_continue_across_a_resume(sr_run):
    run, model, _, _ = sr_run
    assert int(model.sr_step.numpy()) == 5 and model.scale == 2
    rows = list(csv.DictReader(open(run / "steps.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]
    assert [float(r["pretraining"]) for r in rows] == [1, 1, 1, 0, 0]
    pre, gan = rows[:3], rows[3:]
    assert all(float(r["d_loss"]) == 0 and float(r["g_adv"]) == 0 for r in pre)
    assert all(float(r["d_loss"]) > 0 and float(r["g_adv"]) > 0 for r in gan)
    assert all(float(r["content"]) > 0 and float(r["pixel"]) > 0 for r in rows)
    restored, _ = train_lib.load_run(run)
    assert int(restored.sr_step.numpy()) == 5 and not restored.pretraining()
    assert (run / "samples" / "epoch_0005.png").exists()


def test_best_checkpoint_callback_scores_sr_metrics(sr_run):
    _, model, _, _ = sr_run
    from keras_gans.evaluation import EvaluateEvery
    pairs = paired.test_pairs("photos", 2, limit=1)
    logs = {}
    for metric in ("psnr", "sharpness"):
        callback = EvaluateEvery(metric, pairs, super_resolution=True)
        callback.set_model(model)
        callback.on_epoch_end(0, logs)
        assert callback.best == logs[f"eval_{metric}"] > 0
    assert callback.better(1.0) and not callback.better(1e-6)  # sharpness: nearest 1 wins
    with pytest.raises(ValueError, match="psnr"):
        EvaluateEvery("fid", pairs, super_resolution=True)


def test_train_cli_takes_scale_and_reports_the_content_loss(sr_run):
    _, _, output, first = sr_run
    warning = [l for l in output.splitlines() if "content_loss=auto" in l]
    assert len(warning) == 1 and warning[0].startswith("Warning: "), output
    assert "discriminator's own features" in warning[0] and "--vgg-weights" in warning[0]
    assert first["scale"] == 2 and first["content_loss"] == "discriminator"


# ------------------------------------------------------------ content loss
def test_vgg_without_weights_fails_in_one_line_naming_the_fix(tmp_path, monkeypatch):
    missing = tmp_path / "no-vgg.h5"
    with pytest.raises(ValueError) as e:
        SRGAN(image_shape=(32, 32, 3), residual_blocks=1, g_filters=8, d_filters=8,
              d_dense=16, content_loss="vgg", vgg_weights=str(missing))
    message = str(e.value)
    assert "\n" not in message and str(missing) in message
    assert "--vgg-weights" in message and "--content-loss discriminator" in message
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.warns(ContentLossWarning, match="not in Keras's cache"):
        model = SRGAN(image_shape=(32, 32, 3), residual_blocks=1, g_filters=8, d_filters=8,
                      d_dense=16, content_loss="auto")
    assert model.content_loss == "discriminator" and model.vgg is None
    result = CliRunner().invoke(main, ["train", "srgan", "--steps", "1", "--content-loss",
                                       "vgg", "--vgg-weights", str(missing), "--out",
                                       str(tmp_path / "r"), "--residual-blocks", "1",
                                       "--g-filters", "8", "--d-filters", "8"])
    one_error_line(result, "--vgg-weights", "--content-loss discriminator")


def test_vgg_content_loss_uses_a_local_weights_file(tmp_path, monkeypatch):
    # A VGG19 with random weights saved locally stands in for the ImageNet file.
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg19_notop.weights.h5"
    vgg.save_weights(str(path))
    model = SRGAN(image_shape=(32, 32, 3), residual_blocks=1, g_filters=8, d_filters=8,
                  d_dense=16, content_loss="vgg", vgg_weights=str(path))
    assert model.content_loss == "vgg" and model.vgg.output.shape[-1] == 512
    hr = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    same = model.content_terms(tf.constant(hr), tf.constant(hr)).numpy()
    other = model.content_terms(tf.constant(hr[::-1]), tf.constant(hr)).numpy()
    assert np.allclose(same, 0) and (other > 0).all()


# ---------------------------------------------------------------- upscale
def test_tiled_upscaling_equals_untiled(sr_run):
    _, model, _, _ = sr_run
    lr = np.random.default_rng(1).uniform(-1, 1, (70, 90, 3)).astype("float32")
    whole = model.upscale(lr[None])[0]
    assert len(tile_starts(70, 48, 32)) > 1 and len(tile_starts(90, 48, 32)) > 2
    tiled = tiled_upscale(model.upscale, lr, model.scale, tile=48, overlap=32)
    assert tiled.shape == whole.shape == (140, 180, 3)
    assert np.abs(tiled - whole).max() < 1e-3
    # Tiles that do not overlap show their seams: the test can tell.
    naive = tiled_upscale(model.upscale, lr, model.scale, tile=48, overlap=0)
    assert np.abs(naive - whole).max() > 1e-2


def test_upscale_cli_on_a_file_and_a_folder(sr_run, tmp_path):
    run, model, _, _ = sr_run
    rng = np.random.default_rng(2)
    folder = tmp_path / "in"
    files.save_png(folder / "a.png", rng.integers(0, 255, (20, 28, 3), np.uint8))
    files.save_png(folder / "sub" / "b.png", rng.integers(0, 255, (70, 50, 1), np.uint8))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["upscale", str(run), str(folder), "-o", str(out),
                                       "--tile", "32", "--overlap", "24"])
    assert result.exit_code == 0, result.output
    assert "Upscaled 2 image(s) x2" in result.output
    a = tf.io.decode_png(tf.io.read_file(str(out / "a.png"))).numpy()
    b = tf.io.decode_png(tf.io.read_file(str(out / "sub" / "b.png"))).numpy()
    assert a.shape == (40, 56, 3) and b.shape == (140, 100, 3)
    lr = tf.io.decode_png(tf.io.read_file(str(folder / "a.png"))).numpy() / 127.5 - 1
    expected = files.to_uint8(model.upscale(lr[None].astype("float32"))[0])
    assert np.abs(a.astype(int) - expected.astype(int)).max() <= 1
    single = tmp_path / "one"
    result = CliRunner().invoke(main, ["upscale", str(run / "export"), str(folder / "a.png"),
                                       "-o", str(single)])
    assert result.exit_code == 0, result.output
    assert np.array_equal(tf.io.decode_png(tf.io.read_file(str(single / "a.png"))).numpy(), a)


def test_upscale_bad_input_is_one_line(sr_run, tmp_path):
    run, _, _, _ = sr_run
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    cases = [([str(run), str(tmp_path / "missing.png")], ["missing.png", "does not exist"]),
             ([str(run), str(text)], ["notes.png", "Cannot read"]),
             ([str(tmp_path / "no-run"), str(text)], ["no-run", "does not exist"]),
             ([str(run), str(text), "--tile", "16", "--overlap", "16"], ["--tile"])]
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=4, g_filters=4, d_filters=4)
    export_lib.export(gan, tmp_path / "dcgan-export")
    good = files.save_png(tmp_path / "good.png", np.zeros((8, 8, 3), np.uint8))
    cases.append(([str(tmp_path / "dcgan-export"), str(good)], ["not a super-resolution",
                                                                 "DCGAN"]))
    for args, words in cases:
        result = CliRunner().invoke(main, ["upscale", *args, "-o", str(tmp_path / "o")])
        one_error_line(result, *words)
    assert not (tmp_path / "o").exists()


def test_evaluate_cli_scores_psnr_ssim_sharpness_beside_bicubic(sr_run):
    run, _, _, _ = sr_run
    result = CliRunner().invoke(main, ["evaluate", str(run)])
    assert result.exit_code == 0, result.output
    for word in ("psnr", "ssim", "sharpness", "bicubic"):
        assert word in result.output
    scores = {s["name"]: s for s in json.loads((run / "evaluation.json").read_text())["scores"]}
    assert set(scores) == {"psnr", "ssim", "sharpness"}
    assert scores["psnr"]["n_real"] == len(paired.PHOTOS_TEST)
    assert 20 < scores["psnr"]["extra"]["bicubic"] < 40
    assert 0 < scores["sharpness"]["extra"]["bicubic"] < 1  # bicubic is blurrier than HR
    result = CliRunner().invoke(main, ["evaluate", str(run), "--metrics", "fid"])
    one_error_line(result, "fid", "super-resolution")


def test_sharpness_ratio_tells_blur_from_detail():
    hr = paired.test_pairs("photos", 4)[0][1]
    blurred = paired.upscale_bicubic(paired.downscale(hr, 4), 4).numpy()
    assert superres.image_scores(hr, hr, 4)["sharpness"] == pytest.approx(1.0)
    assert superres.image_scores(blurred, hr, 4)["sharpness"] < 0.5
    assert superres.image_scores(hr, hr, 4)["psnr"] == float("inf") or \
        superres.image_scores(hr, hr, 4)["psnr"] > 90


def test_self_ensemble_turns_each_output_back_and_averages():
    rng = np.random.default_rng(5)
    lr = rng.uniform(-1, 1, (2, 9, 14, 3)).astype("float32")  # not square: a wrong turn shows
    up = superres.bicubic(2)
    ensembled = superres.self_ensemble(up)(lr)
    assert ensembled.shape == (2, 18, 28, 3)
    # Bicubic commutes with flips and quarter turns, so its ensemble is itself...
    np.testing.assert_allclose(ensembled, up(lr), atol=1e-4)
    # ... while an error tied to orientation (a left-to-right ramp) averages away.
    ramp = np.linspace(-0.5, 0.5, 28, dtype="float32")[None, None, :, None]

    def tilted(x):
        y = up(x)
        return y + np.linspace(-0.5, 0.5, y.shape[2], dtype="float32")[None, None, :, None]
    assert np.abs(tilted(lr) - up(lr) - ramp).max() < 1e-5
    np.testing.assert_allclose(superres.self_ensemble(tilted)(lr), up(lr), atol=1e-4)
    # Eight calls, one per symmetry.
    calls = []
    superres.self_ensemble(lambda x: calls.append(x.shape) or up(x))(lr)
    assert sorted(calls) == sorted([(2, 9, 14, 3), (2, 14, 9, 3)] * 4)


def test_upscale_and_evaluate_take_the_self_ensemble(tmp_path):
    # An untrained G without the bicubic skip: its output depends on orientation,
    # so the ensemble is far from the single pass and the test can tell them apart.
    model = SRGAN(image_shape=(16, 16, 3), scale=2, residual_blocks=1, g_filters=8,
                  d_filters=8, d_dense=16, content_loss="mse", seed=0)
    export_lib.export(model, tmp_path / "export")
    lr_u8 = np.random.default_rng(6).integers(0, 255, (20, 26, 3), np.uint8)
    files.save_png(tmp_path / "in" / "a.png", lr_u8)
    result = CliRunner().invoke(main, ["upscale", str(tmp_path / "export"),
                                       str(tmp_path / "in" / "a.png"), "-o", str(tmp_path / "out"),
                                       "--self-ensemble"])
    assert result.exit_code == 0, result.output
    assert "x8 self-ensemble" in result.output
    got = tf.io.decode_png(tf.io.read_file(str(tmp_path / "out" / "a.png"))).numpy().astype(int)
    lr = (lr_u8 / 127.5 - 1).astype("float32")[None]
    ensembled = files.to_uint8(superres.self_ensemble(model.upscale)(lr)[0]).astype(int)
    single = files.to_uint8(model.upscale(lr)[0]).astype(int)
    assert np.abs(got - ensembled).max() <= 1
    assert np.abs(got - single).mean() > 5 * max(np.abs(got - ensembled).mean(), 0.1)
    out = tmp_path / "ens.json"
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "export"), "--data", "photos",
                                       "--self-ensemble", "--metrics", "psnr", "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    pairs = paired.test_pairs("photos", 2)
    want = superres.measure(superres.self_ensemble(model.upscale), pairs, 2)["psnr"]
    alone = superres.measure(model.upscale, pairs, 2)["psnr"]
    assert written["self_ensemble"] is True and abs(want - alone) > 0.05
    assert written["scores"][0]["value"] == pytest.approx(want, abs=0.005)
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "export"), "--data", "photos",
                                       "--metrics", "psnr", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["scores"][0]["value"] == pytest.approx(alone, abs=0.005)
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=4, g_filters=4, d_filters=4)
    export_lib.export(gan, tmp_path / "dcgan-export")
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "dcgan-export"),
                                       "--self-ensemble"])
    one_error_line(result, "--self-ensemble", "super-resolution")


# ------------------------------------------------------------------ export
def test_export_upscales_any_size_without_keras_gans(sr_run, tmp_path):
    run, model, _, _ = sr_run
    meta = json.loads((run / "export" / export_lib.META_FILE).read_text())
    assert meta["scale"] == 2 and meta["task"] == "super_resolution" and meta["kind"] == "translator"
    lr = np.random.default_rng(3).uniform(-1, 1, (2, 13, 17, 3)).astype("float32")
    np.save(tmp_path / "lr.npy", lr)
    code = textwrap.dedent(f"""
        import json, sys
        sys.modules["keras_gans"] = None  # any import of keras_gans now fails
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({str(run / 'export')!r})
        out = loaded.upscale(tf.constant(np.load({str(tmp_path / 'lr.npy')!r}))).numpy()
        np.save({str(tmp_path / 'sr.npy')!r}, out)
        print(json.dumps({{"scale": int(loaded.scale.numpy()), "dtype": out.dtype.name}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"scale": 2, "dtype": "float32"}
    sr = np.load(tmp_path / "sr.npy")
    assert sr.shape == (2, 26, 34, 3) and sr.min() >= -1 and sr.max() <= 1
    np.testing.assert_allclose(sr, model.upscale(lr), atol=1e-5)
