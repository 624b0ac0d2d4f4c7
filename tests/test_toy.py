"""The toy entry and packing: mixtures and their mode scores, PacGAN's
packing in the GAN core (points and images), `keras-gans train toy` with its
pictures and metrics, and a toy GAN that learns the ring."""

import csv
import json

import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

from keras_gans import cli
from keras_gans.core.gan import pack_samples, packed_shape
from keras_gans.data import mixtures

SMALL = ["--g-hidden", "16,16", "--d-hidden", "16", "--seed", "0", "--no-tensorboard"]


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


# ----------------------------------------------------------------- mixtures
def test_mode_scores_of_true_collapsed_and_scattered_samples():
    ring = mixtures.get("ring")
    true = ring.mode_metrics(ring.sample(20_000, seed=1))
    assert true["modes"] == 8 and true["high_quality"] > 0.985  # 3 std in 2-D: 98.9%
    assert true["reverse_kl"] < 0.01
    one = ring.mode_metrics(np.tile(ring.means[3], (500, 1)))      # collapsed on one mode
    assert one["modes"] == 1 and one["high_quality"] == 1.0
    assert one["reverse_kl"] == pytest.approx(np.log(8))
    two = ring.mode_metrics(np.concatenate([np.tile(ring.means[0], (300, 1)),
                                            np.tile(ring.means[5], (100, 1)),
                                            np.zeros((100, 2))]))   # 100 far from every mode
    assert two["modes"] == 2 and two["high_quality"] == pytest.approx(0.8)
    assert two["counts"][0] == 300 and two["counts"][5] == 100
    assert two["reverse_kl"] == pytest.approx(0.75 * np.log(6) + 0.25 * np.log(2))
    none = ring.mode_metrics(np.full((10, 2), 5.0))
    assert none["modes"] == 0 and none["high_quality"] == 0 and np.isnan(none["reverse_kl"])
    grid = mixtures.get("grid")
    assert grid.num_modes == 25 and grid.mode_metrics(grid.sample(5000, seed=0))["modes"] == 25
    line = mixtures.get("1d")
    x = np.linspace(-8, 8, 4001)
    assert np.trapezoid(line.density(x[:, None]), x) == pytest.approx(1.0, abs=1e-6)


def test_unknown_mixture_and_image_options_are_clear_errors():
    with pytest.raises(mixtures.DataError, match="Unknown mixture 'moon'.*1d, ring, grid"):
        mixtures.get("moon")
    with pytest.raises(mixtures.DataError, match="not images"):
        mixtures.load("ring", image_size=28)


# ------------------------------------------------------------------ packing
def test_pack_samples_concatenates_consecutive_samples_along_the_last_axis():
    points = tf.reshape(tf.range(12, dtype=tf.float32), [6, 2])       # 6 points of 2-D
    packed = pack_samples(points, 3).numpy()
    assert packed.shape == (2, 6)
    np.testing.assert_array_equal(packed[0], [0, 1, 2, 3, 4, 5])     # points 0, 1, 2
    images = tf.random.normal([4, 5, 5, 3])
    packed = pack_samples(images, 2).numpy()
    assert packed.shape == (2, 5, 5, 6) == (2, *packed_shape((5, 5, 3), 2))
    np.testing.assert_array_equal(packed[1, ..., :3], images[2])       # channels of image 2 ...
    np.testing.assert_array_equal(packed[1, ..., 3:], images[3])       # ... then of image 3
    with pytest.raises(ValueError, match="multiple of 4"):
        pack_samples(tf.zeros([6, 2]), 4)


def test_packing_is_an_option_of_the_image_entries_too():
    import keras
    from keras_gans import DCGAN, ConditionalGAN
    gan = DCGAN(image_shape=(28, 28, 1), latent_dim=8, g_filters=4, d_filters=4, pack=2,
                seed=0)
    assert gan.discriminator.input.shape[1:] == (28, 28, 2) and gan.get_config()["pack"] == 2
    gan.compile()
    history = gan.fit(tf.random.uniform([16, 28, 28, 1], -1, 1), batch_size=8, epochs=1,
                      verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    with pytest.raises(ValueError, match="multiple of 3"):
        odd = DCGAN(image_shape=(28, 28, 1), latent_dim=8, g_filters=4, d_filters=4, pack=3)
        odd.compile()
        odd.fit(tf.random.uniform([8, 28, 28, 1], -1, 1), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="cannot pack"):
        ConditionalGAN(image_shape=(28, 28, 1), num_classes=10, latent_dim=8, g_filters=4,
                       d_filters=4, pack=2)
    from keras_gans.core import GAN
    from keras_gans.nets import mlp
    with pytest.raises(ValueError, match="packed_shape"):
        GAN(mlp.point_generator(2, 2, (8,)), mlp.maxout_discriminator((2,), (8,), 2, 0, 0),
            latent_dim=2, pack=2)
    with pytest.raises(ValueError, match="whole number >= 1"):
        GAN(mlp.point_generator(2, 2, (8,)), mlp.maxout_discriminator((2,), (8,), 2, 0, 0),
            latent_dim=2, pack=0)
    del keras


def test_batch_not_a_multiple_of_pack_stops_before_training(tmp_path):
    result = CliRunner().invoke(cli.main, ["train", "toy", "--pack", "3", "--steps", "2",
                                           "--out", str(tmp_path / "r"), *SMALL])
    assert result.exit_code == 1
    assert "batch_size 100 is not a multiple of pack=3" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r" / "checkpoints").exists()
    bad = CliRunner().invoke(cli.main, ["train", "toy", "--data", "moon", "--steps", "2",
                                        "--out", str(tmp_path / "m"), *SMALL])
    assert bad.exit_code == 1 and "Unknown mixture 'moon'" in bad.output
    assert len(bad.output.strip().splitlines()) == 1


# -------------------------------------------------------------- the entry
def test_train_toy_writes_scatters_mode_metrics_and_an_export(tmp_path):
    out = tmp_path / "run"
    result = run("train", "toy", "--steps", "20", "--steps-per-epoch", "10", "--samples", "300",
                 "--pack", "2", "--out", out, *SMALL)
    assert result.exit_code == 0, result.output
    assert ", precision float32," in result.output   # --precision auto: float32 for toy MLPs
    assert "modes:" in result.output and "reverse_kl:" in result.output  # the progress line
    assert json.loads((out / "recipe.json").read_text())["precision"] == "float32"
    pictures = sorted(p.name for p in (out / "samples").iterdir())
    assert pictures == ["epoch_0001.png", "epoch_0002.png"]
    picture = tf.io.decode_png((out / "samples" / "epoch_0002.png").read_bytes()).numpy()
    assert picture.shape[2] == 3 and picture.shape[0] > 300 and picture.std() > 10
    with open(out / "logs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and {"modes", "high_quality", "reverse_kl"} <= set(rows[0])
    assert all(0 <= float(r["modes"]) <= 8 for r in rows)
    meta = json.loads((out / "export" / "keras_gans.json").read_text())
    assert meta["mixture"] == "ring" and meta["image_shape"] == [2]
    loaded = tf.saved_model.load(str(out / "export"))                 # no keras-gans needed
    assert loaded.generate(tf.random.normal([5, 2])).shape == (5, 2)
    scored = run("evaluate", out, "-n", "400")
    assert scored.exit_code == 0, scored.output
    payload = json.loads((out / "evaluation.json").read_text())
    assert [s["name"] for s in payload["scores"]] == ["modes", "high_quality", "reverse_kl"]
    assert (out / "evaluation.png").exists()
    wrong = CliRunner().invoke(cli.main, ["evaluate", str(out), "--metrics", "fid"])
    assert wrong.exit_code != 0 and "--metrics modes" in wrong.output
    # Resuming goes on from the last checkpoint, like every entry.
    again = run("train", "toy", "--steps", "30", "--steps-per-epoch", "10", "--samples", "300",
                "--pack", "2", "--out", out, *SMALL)
    assert again.exit_code == 0 and "Resuming" in again.output, again.output
    assert (out / "samples" / "epoch_0003.png").exists()
    assert run("sample", out, "-n", "200", "-o", tmp_path / "s.png").exit_code == 0


def test_toy_tensorboard_has_the_mode_metrics_and_the_scatter(tmp_path):
    out = tmp_path / "run"
    small = [a for a in SMALL if a != "--no-tensorboard"]
    result = run("train", "toy", "--steps", "10", "--steps-per-epoch", "10", "--samples", "200",
                 "--out", out, *small)
    assert result.exit_code == 0, result.output
    tags, images = set(), 0
    for event_file in (out / "tensorboard").rglob("events.out.tfevents.*"):
        for raw in tf.data.TFRecordDataset(str(event_file)):
            event = tf.compat.v1.Event.FromString(raw.numpy())
            for value in event.summary.value:
                tags.add(value.tag)
                images += value.tag == "samples"
    assert {"epoch/modes", "epoch/high_quality", "epoch/reverse_kl"} <= tags, tags
    assert images >= 1, tags   # the scatter over D's shading


@pytest.mark.slow
def test_a_toy_gan_learns_the_ring_from_a_few_modes_to_most():
    """Algorithm 1 on the ring: its 8 modes go from barely any covered by
    the untrained G to most of them after a short training."""
    import keras
    from keras_gans.models.toy import ToyGAN
    keras.utils.set_random_seed(0)
    gan = ToyGAN(data="ring", g_hidden=(64, 64, 64), d_hidden=(64, 64), seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5))
    before = gan.mode_metrics()
    data = mixtures.load("ring", batch_size=100, seed=0)
    gan.fit(data.dataset.repeat(), steps_per_epoch=1500, epochs=1, verbose=0)
    after = gan.mode_metrics()
    assert before["modes"] <= 2, before
    assert after["modes"] >= 6 and after["high_quality"] > 0.05, after
