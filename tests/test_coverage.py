"""The `coverage` metric: the domain classifier's class histogram of the
samples, classes covered, the largest share and the KL from the real class
frequencies, and the best-checkpoint callback selecting by it. (`evaluate
--metrics coverage` and its bar chart: tests/test_evaluate.py, which has a
trained run and classifier at hand.)"""

import json
import math

import numpy as np
import pytest
from keras_gans.evaluation import metrics, scoring


def one_hot(classes, k=10):
    return np.eye(k)[np.asarray(classes)]


def test_coverage_of_balanced_collapsed_and_partial_samples():
    uniform = np.full(10, 0.1)
    balanced = metrics.class_coverage(one_hot(np.arange(1000) % 10), uniform)
    assert balanced["classes_covered"] == 10 and balanced["max_share"] == pytest.approx(0.1)
    assert balanced["kl"] == pytest.approx(0.0, abs=1e-12)
    collapsed = metrics.class_coverage(one_hot(np.full(500, 7)), uniform)
    assert collapsed["classes_covered"] == 1 and collapsed["max_share"] == 1.0
    assert collapsed["kl"] == pytest.approx(math.log(10))
    assert collapsed["shares"][7] == 1.0
    # 995 samples of class 0 and 5 of class 1: class 1 holds 0.5%, under the 1% bar.
    partial = metrics.class_coverage(one_hot([0] * 995 + [1] * 5), uniform)
    assert partial["classes_covered"] == 1
    freq = metrics.class_frequencies([0, 0, 1, 3], 4)
    assert freq.tolist() == [0.5, 0.25, 0.0, 0.25]
    with pytest.raises(metrics.MetricError, match="classes"):
        metrics.class_coverage(one_hot([0, 1], 3), uniform)


class FixedClassifier(metrics.FeatureExtractor):
    """Calls every image with a mean above 0 class 1, else class 0."""

    name = "classifier:fixed"
    info = {"accuracy": 1.0}

    def __call__(self, images):
        classes = (np.asarray(images).reshape(len(images), -1).mean(1) > 0).astype(int)
        return one_hot(classes, 2), one_hot(classes, 2)


def test_sample_coverage_and_its_bar_chart(tmp_path):
    fake = np.concatenate([np.full((30, 4, 4, 1), 0.5), np.full((10, 4, 4, 1), -0.5)])
    score = scoring.sample_coverage(fake, FixedClassifier(), real_labels=[0, 1] * 50)
    assert score.name == "coverage" and score.n_real == 100 and score.n_fake == 40
    assert score.extra["shares"] == [0.25, 0.75] and score.extra["max_share"] == 0.75
    assert score.value == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    assert not metrics.HIGHER_IS_BETTER["coverage"]
    assert "covered=2" in scoring.table([score])
    chart = scoring.coverage_chart(score, tmp_path / "c.png")
    assert chart.stat().st_size > 5000


def test_the_best_checkpoint_callback_can_select_by_coverage(tmp_path):
    from keras_gans.evaluation.callback import EvaluateEvery
    from keras_gans import DCGAN
    gan = DCGAN(image_shape=(28, 28, 1), latent_dim=8, g_filters=4, d_filters=4, seed=0)
    gan.compile()
    real = np.random.default_rng(0).uniform(-1, 1, (40, 28, 28, 1)).astype("float32")
    cb = EvaluateEvery("coverage", real, n=40, directory=tmp_path / "best",
                       classifier=FixedClassifier(), real_labels=np.arange(40) % 2)
    cb.set_model(gan)
    cb.on_train_begin()
    logs = {}
    cb.on_epoch_end(0, logs)
    assert "eval_coverage" in logs and np.isfinite(logs["eval_coverage"])
    assert (tmp_path / "best" / "coverage.png").exists()
    assert json.loads((tmp_path / "best" / "best.json").read_text())["metric"] == "coverage"
