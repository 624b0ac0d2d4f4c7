"""The VAE entry: its bound is the ELBO (KL in closed form, the Bernoulli and
Gaussian reconstruction terms by hand), it learns on the embedded digits (the
bound rises, its samples move towards the held-out digits, its codes carry
the image), and its export generates and encodes with plain TensorFlow.

Measured at the tiny size below (240 steps of 32, about 6 s of CPU): held-out
ELBO -543 -> -175 nats; samples' fd on 7x7 pooled pixels 37.0 -> 5.6; 11% of
200 held-out digits have their own reconstruction as nearest (chance: 0.5%)."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import data
from keras_gans.evaluation import metrics
from keras_gans.models.vae import VAE
from keras_gans.training import recipes, train

TINY = {"g_filters": 8, "d_filters": 8, "latent_dim": 8, "batch_size": 32}


def pooled(images):
    return tf.nn.avg_pool2d(images, 4, 4, "VALID").numpy().reshape(len(images), -1)


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    recipe = recipes.load("vae").override(TINY)
    digits = data.load("mnist5k", batch_size=32, seed=0)
    model = train.compile_model(train.build_model(recipe, digits.image_shape, seed=0), recipe)
    x_test, _ = data.load_arrays("mnist5k", split="test")
    before = {"fd": metrics.frechet_distance(pooled(model.generate(1000, seed=1)),
                                             pooled(x_test)),
              "elbo": model.evaluate(x_test[:512], batch_size=64, verbose=0,
                                     return_dict=True)["elbo"]}
    history = model.fit(digits.dataset.repeat(), steps_per_epoch=60, epochs=4, verbose=0).history
    return model, x_test, before, history


def test_recipe_is_the_vae_on_dcgan_networks():
    recipe = recipes.load("vae")
    assert recipe.model == "VAE" and recipe.model_kwargs["likelihood"] == "bernoulli"
    assert "vae_lr" in recipe.train and "d_lr" not in recipe.train  # one optimizer
    model = train.build_model(recipe.override({"g_filters": 4, "d_filters": 4}), (28, 28, 1))
    assert model.optimizer_names == ("vae",) and model.kind == "likelihood"
    # the encoder is D's body: DCGAN's strided convolutions, then the two heads
    convs = [l.name for l in model.encoder.layers if isinstance(l, keras.layers.Conv2D)]
    assert convs == ["conv1", "conv2"]
    assert [tuple(o.shape) for o in model.encoder.outputs] == [(None, 32), (None, 32)]
    assert tuple(model.decoder.output.shape) == (None, 28, 28, 1)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_the_bound_is_the_elbo_written_out(likelihood):
    """With the posterior's variance driven to ~0, z is the mean, so both terms
    can be computed by hand from the encoder's and decoder's outputs."""
    keras.utils.set_random_seed(1)
    model = VAE(latent_dim=3, g_filters=4, d_filters=4, likelihood=likelihood, sigma=0.3,
                seed=0)
    head = model.encoder.get_layer("log_var")
    head.bias.assign(np.full(3, -30.0, "float32"))  # sigma^2 = e^-30: z = mean
    x = np.random.default_rng(0).uniform(-1, 1, (5, 28, 28, 1)).astype("float32")
    per_image, logs = model.negative_elbo(tf.constant(x), training=False)
    mean, log_var = (t.numpy().astype("float64") for t in model.encode(x))
    logits = model.decoder(mean.astype("float32"), training=False).numpy().astype("float64")
    kl = 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1 - log_var, axis=1)
    if likelihood == "bernoulli":
        p = (x + 1) / 2
        # -[p log s + (1 - p) log(1 - s)], s = sigmoid(logit)
        nll = -(p * -np.logaddexp(0, -logits) + (1 - p) * -np.logaddexp(0, logits))
    else:
        nll = (x - np.tanh(logits)) ** 2 / (2 * 0.3 ** 2) + 0.5 * np.log(2 * np.pi * 0.3 ** 2)
    rec = nll.reshape(5, -1).sum(axis=1)
    np.testing.assert_allclose(per_image.numpy(), rec + kl, rtol=1e-4)
    np.testing.assert_allclose(float(logs["kl"]), kl.mean(), rtol=1e-4)
    np.testing.assert_allclose(float(logs["elbo"]), -(rec + kl).mean(), rtol=1e-4)


def test_vae_learns(trained):
    model, x_test, before, history = trained
    report = f"before {before}; history {({k: np.round(v, 1).tolist() for k, v in history.items()})}"
    # the bound on held-out digits rises (ELBO: higher is better)
    after = model.evaluate(x_test[:512], batch_size=64, verbose=0, return_dict=True)["elbo"]
    assert after > before["elbo"] + 150, report
    assert history["reconstruction"][-1] < history["reconstruction"][0], report
    # samples from the prior move towards the held-out digits
    fd = metrics.frechet_distance(pooled(model.generate(1000, seed=1)), pooled(x_test))
    assert fd < 0.6 * before["fd"], (fd, report)
    # the code carries the image: a digit's reconstruction is nearer to it than
    # to the other held-out digits far more often than chance (1 in 200)
    x = x_test[:200]
    recon = model(model.encode(x)[0]).numpy().reshape(200, -1)
    distances = ((recon[:, None, :] - x.reshape(200, -1)[None]) ** 2).mean(axis=-1)
    found = np.mean(distances.argmin(axis=1) == np.arange(200))
    assert found > 0.05, found
    assert np.mean(np.diag(distances)) < np.mean(distances), report

def test_bad_settings_are_clear():
    with pytest.raises(ValueError, match="likelihood is one of bernoulli, gaussian"):
        VAE(likelihood="poisson")
    with pytest.raises(ValueError, match="sigma"):
        VAE(likelihood="gaussian", sigma=0)
    with pytest.raises(recipes.RecipeError, match="d_lr"):
        recipes.load("vae").override({"d_lr": 1e-3})  # no discriminator here


def test_export_generates_and_encodes_without_keras_gans(trained, tmp_path):
    from keras_gans import export
    model, x_test, _, _ = trained
    path = export.export(model, tmp_path / "export")
    meta = json.loads((path / "keras_gans.json").read_text())
    assert meta["kind"] == "likelihood" and meta["latent_dim"] == 8
    np.save(tmp_path / "x.npy", x_test[:4])
    script = f"""
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load({str(path)!r})
z = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
images = loaded.generate(z).numpy()
codes = loaded.encode(np.load({str(tmp_path / 'x.npy')!r})).numpy()
assert "keras_gans" not in sys.modules
np.save({str(tmp_path / 'out.npy')!r}, images); np.save({str(tmp_path / 'codes.npy')!r}, codes)
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    z = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), model(z).numpy(), atol=1e-3)
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"),
                               model.encode(x_test[:4])[0].numpy(), atol=1e-3)
