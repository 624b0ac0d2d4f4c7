"""Scoring translation models (CycleGAN): the two-domain classifier, scores per
direction beside the untranslated reference, `keras-gans evaluate` on a
CycleGAN run, and the best-checkpoint callback during `keras-gans train`."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from keras_gans.evaluation import classifier, metrics
from keras_gans import evaluation
from keras_gans.data import unpaired
from keras_gans.cli import main

TINY = ["--image-size", "32", "--batch-size", "2", "--g-filters", "4", "--d-filters", "4",
        "--residual-blocks", "1", "--seed", "0"]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    base = tmp_path_factory.mktemp("cyclegan_eval")
    mp = pytest.MonkeyPatch()
    mp.setenv("KERAS_GANS_CACHE", str(base / "cache"))
    root = unpaired.make_photo_domains(base / "photos", image_size=40, train=16, test=20, seed=1)
    yield base, root
    mp.undo()


@pytest.fixture(scope="module")
def domain_classifier(photos):
    """The classifier of the two domains at 32x32, trained by the CLI into the cache."""
    _, root = photos
    result = CliRunner().invoke(main, ["train-classifier", "--data", str(root), "--image-size",
                                       "32", "--epochs", "8", "--seed", "0"])
    assert result.exit_code == 0, result.output
    return classifier.ClassifierFeatures(classifier.default_dir(root, (32, 32, 3)))


@pytest.fixture(scope="module")
def tiny_run(photos, domain_classifier):
    """A tiny CycleGAN, 2 epochs of 3 steps, scored by fd after each epoch."""
    base, root = photos
    run = base / "run"
    result = CliRunner().invoke(main, [
        "train", "cyclegan", "--data", str(root), "--epochs", "2", "--steps-per-epoch", "3",
        "--eval-metric", "fd", "--eval-samples", "12", "--out", str(run), *TINY])
    assert result.exit_code == 0, result.output
    return run


def test_domain_arrays_default_to_the_test_split_and_a_seeded_draw(photos):
    _, root = photos
    a, b, split = unpaired.domain_arrays(root, 32, 3, n=12, seed=0)
    assert split == "test" and a.shape == b.shape == (12, 32, 32, 3)
    assert a.min() >= -1 and a.max() <= 1
    again = unpaired.domain_arrays(root, 32, 3, n=12, seed=0)[0]
    other = unpaired.domain_arrays(root, 32, 3, n=12, seed=5)[0]
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, other)
    every, _, _ = unpaired.domain_arrays(root, 32, 3, split="train")
    assert len(every) == 16


def test_domain_classifier_learns_the_two_domains(domain_classifier):
    info = domain_classifier.info
    assert info["labels"] == ["A", "B"] and info["num_classes"] == 2
    assert info["n_train"] + info["n_test"] == 2 * (16 + 20)  # both splits of both domains
    assert info["accuracy"] >= 0.9


def test_translation_scores_reward_reaching_the_target_domain(photos, domain_classifier):
    _, root = photos
    a, b, _ = unpaired.domain_arrays(root, 32, 3, n=20)
    train_a, train_b, _ = unpaired.domain_arrays(root, 32, 3, split="train")

    def oracle(images, direction):  # "translates" into other images of the target domain
        pool = train_b if direction == "a2b" else train_a
        return pool[np.arange(len(images)) % len(pool)]

    def unchanged(images, direction):
        return images

    good = {s.name: s for s in evaluation.translation_scores(
        oracle, a, b, ["fd", "cacc"], classifier=domain_classifier)}
    same = {s.name: s for s in evaluation.translation_scores(
        unchanged, a, b, ["fd", "cacc"], classifier=domain_classifier)}
    assert set(good) == {f"{m}_{d}{r}" for m in ("fd", "cacc") for d in ("a2b", "b2a")
                         for r in ("", "_untranslated")}
    for d in ("a2b", "b2a"):
        assert good[f"cacc_{d}"].value >= 0.9 and good[f"cacc_{d}_untranslated"].value <= 0.1
        assert good[f"fd_{d}"].value < good[f"fd_{d}_untranslated"].value / 3
        assert same[f"fd_{d}"].value == pytest.approx(same[f"fd_{d}_untranslated"].value)
        assert good[f"fd_{d}"].n_real == good[f"fd_{d}"].n_fake == 20
        assert good[f"fd_{d}"].extra["direction"] == d
    mean = evaluation.mean_over_directions(list(good.values()), "fd")
    assert mean.value == pytest.approx((good["fd_a2b"].value + good["fd_b2a"].value) / 2)


def test_translation_rejects_metrics_and_classifiers_that_do_not_apply(domain_classifier):
    x = np.zeros((4, 32, 32, 3), "float32")
    with pytest.raises(metrics.MetricError, match="not defined for image-to-image"):
        evaluation.translation_scores(lambda i, d: i, x, x, ["parzen"])
    domain_classifier_copy = classifier.ClassifierFeatures(domain_classifier.path)
    domain_classifier_copy.info = dict(domain_classifier.info, labels=None)
    with pytest.raises(metrics.MetricError, match="not trained on two domains"):
        evaluation.translation_scores(lambda i, d: i, x, x, ["fd"],
                                      classifier=domain_classifier_copy)


def test_training_keeps_the_best_translation_model(tiny_run):
    with open(tiny_run / "logs.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for r in rows:  # both directions logged, and their mean picks the best epoch
        assert float(r["eval_fd"]) == pytest.approx(
            (float(r["eval_fd_a2b"]) + float(r["eval_fd_b2a"])) / 2, rel=1e-5)
    values = [float(r["eval_fd"]) for r in rows]
    best = json.loads((tiny_run / "best" / "best.json").read_text())
    assert best["epoch"] == int(np.argmin(values)) + 1
    assert best["score"]["n_real"] == best["score"]["n_fake"] == 12
    import tensorflow as tf
    loaded = tf.saved_model.load(str(tiny_run / "best" / "export"))
    assert loaded.a2b(tf.zeros([1, 32, 32, 3])).shape == (1, 32, 32, 3)


def test_evaluate_command_scores_both_directions(tiny_run, tmp_path):
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(main, [
        "evaluate", str(tiny_run), "--metrics", "fd,cacc,kid", "--features", "classifier",
        "-n", "15", "--kid-subsets", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "test split: 15 A and 15 B images" in result.output
    payload = json.loads(out.read_text())
    assert payload["split"] == "test"
    scores = {s["name"]: s for s in payload["scores"]}
    assert {"fd_a2b", "fd_b2a", "kid_a2b_untranslated", "cacc_b2a"} <= set(scores)
    for s in scores.values():
        assert s["n_fake"] == 15 and np.isfinite(s["value"])
    # The untranslated images are recognised as their own domain, not the target.
    assert scores["cacc_a2b_untranslated"]["value"] <= 0.2


def test_evaluate_on_a_translation_model_explains_bad_requests(tiny_run, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["evaluate", str(tiny_run), "--metrics", "is"])
    assert bad.exit_code == 1 and "not defined for image-to-image translation" in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(main, ["evaluate", str(tiny_run), "--metrics", "fd",
                                   "--classifier", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "train-classifier" in missing.output
