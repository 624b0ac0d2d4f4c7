"""ClusteredGAN: k-means finds the data's groups, z's last coordinate draws them
in their shares, G learns to draw the cluster z picks, and the entry trains,
resumes and exports from the CLI like the others."""

import json
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.models.clustered import (ClusterError, ClusteredGAN, hog_size, kmeans,
                                         orientation_histograms, principal_components)
from keras_gans.training import recipes, train

TINY = dict(cluster_components=8, latent_dim=9, g_filters=8, d_filters=8)


def three_shapes(n=600, seed=0):
    """(images in [-1, 1], group) of three made shapes on a dark 28x28 ground,
    each drawn with a random shift and noise: a horizontal bar, a vertical bar
    and a hollow square, in shares 1/2, 1/3, 1/6."""
    rng = np.random.default_rng(seed)
    group = rng.choice(3, n, p=[1 / 2, 1 / 3, 1 / 6])
    x = np.full((n, 28, 28, 1), -1.0, "float32")
    for i, g in enumerate(group):
        dy, dx = rng.integers(-2, 3, 2)
        if g == 0:
            x[i, 12 + dy:16 + dy, 4:24] = 1
        elif g == 1:
            x[i, 4:24, 12 + dx:16 + dx] = 1
        else:
            x[i, 7 + dy:21 + dy, 7 + dx:21 + dx] = 1
            x[i, 10 + dy:18 + dy, 10 + dx:18 + dx] = -1
    x += 0.1 * rng.standard_normal(x.shape).astype("float32")
    return np.clip(x, -1, 1), group


def purity(assign, group):
    return sum(np.bincount(group[assign == j]).max() for j in np.unique(assign)) / len(group)


def compiled(**kwargs):
    model = ClusteredGAN(**{**TINY, "clusters": 3, "seed": 0, **kwargs})
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    return model


def test_kmeans_and_pca_find_the_groups():
    x, group = three_shapes()
    flat = x.reshape(len(x), -1)
    mean, projection = principal_components(flat, 8)
    assert projection.shape == (784, 8)
    np.testing.assert_allclose(projection.T @ projection, np.eye(8), atol=1e-4)  # orthonormal
    centres, assign = kmeans((flat - mean) @ projection, 3)
    assert centres.shape == (3, 8)
    assert purity(assign, group) == 1.0


def test_fit_clusters_keeps_assignments_and_shares_in_the_weights():
    x, group = three_shapes()
    model = compiled()
    assert not model.clusters_fitted
    assign = model.fit_clusters(x)
    assert model.clusters_fitted
    assert purity(assign, group) == 1.0
    # The step's assignment (nearest centre, in TF) is k-means's own.
    np.testing.assert_array_equal(model.cluster_of_images(x).numpy(), assign)
    shares = np.sort(model.cluster_shares.numpy())
    np.testing.assert_allclose(shares, np.sort(np.bincount(group) / len(group)), atol=1e-6)


def bars(n=400, seed=0):
    """(images, group): a horizontal bar (group 0) or a vertical one (group 1),
    shifted by up to 2 pixels, on a flat ground whose grey level varies from
    image to image over half the range. The ground fills most of the pixels, so
    pixel distances are mostly its level: only the strokes' direction tells the
    groups apart."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    ground = rng.uniform(-1, 0, n).astype("float32")
    x = np.broadcast_to(ground[:, None, None, None], (n, 28, 28, 1)).copy()
    for i, (g, at) in enumerate(zip(group, rng.integers(11, 16, n))):
        if g == 0:
            x[i, at:at + 3, 4:24] += 1
        else:
            x[i, 4:24, at:at + 3] += 1
    return x, group


def test_orientation_histograms_see_a_strokes_direction_not_its_contrast():
    x, group = bars(8)
    f = orientation_histograms(x).numpy()
    assert f.shape == (8, hog_size((28, 28, 1))) == (8, 6 * 6 * 4 * 9)
    # A horizontal bar's edges change vertically (orientation 90 degrees, bin 4
    # of 9), a vertical bar's horizontally (bin 0).
    by_bin = f.reshape(8, -1, 9).sum(1)
    np.testing.assert_array_equal(by_bin.argmax(1), np.where(group == 0, 4, 0))
    # Each block is normalised: a fainter copy of the image has the same features.
    fainter = orientation_histograms(0.3 * (x + 1) - 1).numpy()
    np.testing.assert_allclose(fainter, f, atol=1e-4)


@pytest.mark.parametrize("features", ["pixels", "hog"])
def test_hog_clusters_group_by_stroke_where_pixels_cannot(features):
    x, group = bars()
    model = compiled(clusters=2, cluster_features=features)
    assign = model.fit_clusters(x)
    np.testing.assert_array_equal(model.cluster_of_images(x).numpy(), assign)
    if features == "hog":
        assert model.cluster_projection.shape == (hog_size((28, 28, 1)), 8)
        assert purity(assign, group) == 1.0
    else:
        assert purity(assign, group) < 0.8


def test_the_last_latent_coordinate_draws_clusters_in_their_shares():
    x, group = three_shapes()
    model = compiled()
    model.fit_clusters(x)
    z = np.random.default_rng(1).standard_normal((20000, 9)).astype("float32")
    drawn = model.cluster_of_latents(z).numpy()
    np.testing.assert_allclose(np.bincount(drawn, minlength=3) / len(z),
                               model.cluster_shares.numpy(), atol=0.015)
    # G sees all of z but its last coordinate: moving it within one cluster's
    # slice leaves the image as it was; moving it to another cluster's does not.
    a, b = z[:4].copy(), z[:4].copy()
    a[:, -1], b[:, -1] = 5.0, 6.0     # both in the last cluster's slice
    c = z[:4].copy()
    c[:, -1] = -6.0                   # the first cluster's
    assert model.cluster_of_latents(a).numpy().tolist() == [2] * 4
    np.testing.assert_allclose(model(a).numpy(), model(b).numpy(), atol=1e-6)
    assert np.abs(model(a).numpy() - model(c).numpy()).max() > 1e-3


def test_it_learns_to_draw_the_cluster_z_picks():
    """After a short training, samples drawn for each cluster fall in that
    cluster (nearest centre) far more often than chance."""
    x, _ = three_shapes(960)
    keras.utils.set_random_seed(0)
    model = compiled()
    data = tf.data.Dataset.from_tensor_slices(x).shuffle(960, seed=0).batch(32, drop_remainder=True)
    z = np.random.default_rng(2).standard_normal((600, 9)).astype("float32")
    model.fit_clusters(data)
    before = np.mean(model.cluster_of_images(model(z)).numpy() == model.cluster_of_latents(z).numpy())
    history = model.fit(data.repeat(), steps_per_epoch=100, epochs=4, verbose=0)
    after = np.mean(model.cluster_of_images(model(z)).numpy() == model.cluster_of_latents(z).numpy())
    assert np.all(np.isfinite(history.history["g_loss"]))
    assert after >= 0.9 and after > before + 0.3, (before, after)


def test_fit_clusters_itself_and_says_when_the_data_is_too_small():
    x, _ = three_shapes(64)
    model = compiled()
    model.fit(tf.data.Dataset.from_tensor_slices(x).batch(32), epochs=1, verbose=0)
    assert model.clusters_fitted  # fit() clustered the data first
    with pytest.raises(ClusterError, match="too few for 3 clusters.*fewer clusters"):
        compiled().fit_clusters(x[:5])
    with pytest.raises(ValueError, match="clusters must be a whole number >= 2"):
        ClusteredGAN(clusters=1)
    with pytest.raises(ValueError, match="cluster_features must be one of pixels, hog, got 'edges'"):
        ClusteredGAN(cluster_features="edges")


def test_cli_recipe_trains_resumes_and_exports(tmp_path):
    """`keras-gans train clustered` clusters once, a resumed run keeps its
    clusters, and the export generates from z alone in plain TensorFlow."""
    recipe = recipes.load("clustered").override(
        {"steps": "4", "steps_per_epoch": "2", "batch_size": "16", "g_filters": "4",
         "d_filters": "4", "latent_dim": "8", "clusters": "4", "cluster_components": "6",
         "samples": "4"})
    lines = []
    out = tmp_path / "run"
    train.run(recipe.override({"steps": "2"}), out, verbose=0, log=lines.append,
              tensorboard=False, precision="float32")
    assert any(re.match(r"Clustered [\d,]+ training images into 4 clusters", line)
               for line in lines), lines
    shares = train.load_run(out)[0].cluster_shares.numpy()
    lines.clear()
    model, _, _ = train.run(recipe, out, verbose=0, log=lines.append, tensorboard=False,
                            precision="float32")
    assert not any(line.startswith("Clustered") for line in lines)  # resumed: kept its own
    np.testing.assert_array_equal(model.cluster_shares.numpy(), shares)
    meta = json.loads((out / "export" / "keras_gans.json").read_text())
    assert meta["clusters"] == 4 and meta["latent_dim"] == 8
    code = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf
        m = tf.saved_model.load({str(out / 'export')!r})
        z = np.random.default_rng(0).standard_normal((5, 8)).astype("float32")
        x = m.generate(tf.constant(z)).numpy()
        assert x.shape == (5, 28, 28, 1) and np.isfinite(x).all() and np.abs(x).max() <= 1
        np.save(sys.argv[1], x)
        print("keras_gans" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.npy")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"
    z = np.random.default_rng(0).standard_normal((5, 8)).astype("float32")
    np.testing.assert_allclose(np.load(tmp_path / "x.npy"), model(z).numpy(), atol=1e-5)
