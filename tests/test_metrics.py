"""The metric math on toy data where the answer is known."""

import math

import numpy as np
import pytest

from keras_gans.evaluation import metrics


def gaussian(n, dims=8, shift=0.0, scale=1.0, seed=0):
    return np.random.default_rng(seed).normal(shift, scale, (n, dims))


# ------------------------------------------------------------------ FID
def test_fid_of_a_set_with_itself_is_zero():
    x = gaussian(500, 16)
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fid_matches_the_closed_form_for_gaussians():
    # For commuting (diagonal) covariances tr((S_a S_b)^1/2) = sum sqrt(a_i b_i).
    rng = np.random.default_rng(1)
    mu_a, mu_b = rng.normal(size=5), rng.normal(size=5)
    var_a, var_b = rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 5)
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    got = metrics.frechet_distance((mu_a, np.diag(var_a)), (mu_b, np.diag(var_b)))
    assert got == pytest.approx(expected, rel=1e-9)


def test_fid_agrees_with_scipy_matrix_square_root():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a, b = gaussian(300, 6, seed=2), gaussian(300, 6, seed=3) @ np.triu(np.ones((6, 6)))
    mu_a, s_a = a.mean(0), np.cov(a, rowvar=False)
    mu_b, s_b = b.mean(0), np.cov(b, rowvar=False)
    covmean = scipy_linalg.sqrtm(s_a @ s_b).real
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b - 2 * covmean)
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_fid_grows_as_noise_is_added():
    x = gaussian(1000, 16, seed=4)
    noise = gaussian(1000, 16, seed=5)
    values = [metrics.frechet_distance(x, x + level * noise) for level in (0, 0.1, 0.3, 1, 3)]
    assert values[0] == pytest.approx(0, abs=1e-8)
    assert all(b > a for a, b in zip(values, values[1:])), values


def test_fid_rejects_mismatched_or_bad_features():
    with pytest.raises(metrics.MetricError, match="different sizes"):
        metrics.frechet_distance(gaussian(10, 3), gaussian(10, 4))
    with pytest.raises(metrics.MetricError, match="NaN"):
        metrics.frechet_distance(np.full((10, 3), np.nan), gaussian(10, 3))


# ------------------------------------------------------------------ KID
def test_kid_is_unbiased_on_small_sets():
    # Many pairs of 20-sample sets from ONE distribution: the unbiased estimate
    # averages to zero, while keeping the kernel diagonal (the biased V-statistic)
    # is clearly positive.
    rng = np.random.default_rng(6)
    unbiased, biased = [], []
    for _ in range(400):
        x, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
        unbiased.append(metrics.mmd2_unbiased(x, y))
        k = metrics.polynomial_kernel
        biased.append(k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean())
    unbiased, biased = np.array(unbiased), np.array(biased)
    se = unbiased.std() / math.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 3 * se
    assert biased.mean() > 10 * biased.std() / math.sqrt(len(biased))
    assert np.any(unbiased < 0)  # an unbiased estimate of 0 must go below it


def test_kid_separates_different_distributions_and_reports_spread():
    real = gaussian(300, 8, seed=7)
    same, _ = metrics.kernel_distance(real, gaussian(300, 8, seed=8), 20, 100)
    far, spread = metrics.kernel_distance(real, gaussian(300, 8, shift=1.0, seed=9), 20, 100)
    assert far > 10 * abs(same)
    assert spread > 0
    # Sets no larger than a subset: one MMD of the whole sets, and no made-up spread.
    small, fake = real[:100], gaussian(100, 8, shift=1.0, seed=9)
    whole, none = metrics.kernel_distance(small, fake, 20, 100)
    assert none is None and whole == pytest.approx(metrics.mmd2_unbiased(small, fake))


# ------------------------------------------------------------------- IS
def test_inception_score_ranges_from_one_to_the_number_of_classes():
    classes = 10
    confident_diverse = np.eye(classes)[np.arange(1000) % classes]
    assert metrics.inception_score(confident_diverse, splits=5)[0] == pytest.approx(classes)
    collapsed = np.tile(np.eye(classes)[3], (1000, 1))
    assert metrics.inception_score(collapsed)[0] == pytest.approx(1.0)
    unsure = np.full((1000, classes), 1 / classes)
    assert metrics.inception_score(unsure)[0] == pytest.approx(1.0)
    with pytest.raises(metrics.MetricError, match="probabilities"):
        metrics.inception_score(np.random.default_rng(0).normal(size=(10, 3)))


# ---------------------------------------------------------- prec/recall
def test_precision_recall_see_fidelity_and_mode_collapse():
    real = gaussian(600, 2, seed=10)
    p, r = metrics.precision_recall(real, gaussian(600, 2, seed=11))
    assert p > 0.9 and r > 0.9
    p, r = metrics.precision_recall(real, gaussian(600, 2, shift=8.0, seed=12))
    assert p == 0.0 and r == 0.0
    # Mode collapse: fakes only near one point of the real cloud -> high
    # precision (they look real) but low recall (most reals are not covered).
    collapsed = gaussian(600, 2, scale=0.1, seed=13)
    p, r = metrics.precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.2


# --------------------------------------------------------------- Parzen
def test_parzen_matches_a_hand_computed_value():
    centres = np.array([[0.0, 0.0], [1.0, 0.0]])
    point = np.array([[0.0, 1.0]])
    sigma = 0.5
    # p(x) = 1/2 sum_i N(x; c_i, sigma^2 I) in 2-D; distances^2 are 1 and 2.
    norm = 1 / (2 * math.pi * sigma ** 2)
    expected = math.log(0.5 * norm * (math.exp(-1 / (2 * sigma ** 2)) +
                                      math.exp(-2 / (2 * sigma ** 2))))
    got = metrics.parzen_log_likelihood(centres, point, sigma)
    assert got.shape == (1,) and got[0] == pytest.approx(expected, rel=1e-12)


def test_parzen_chooses_sigma_on_validation_and_prefers_the_true_distribution():
    fake = gaussian(400, 5, scale=0.3, seed=14)
    valid, test = gaussian(100, 5, scale=0.3, seed=15), gaussian(100, 5, scale=0.3, seed=16)
    sigmas = (0.01, 0.05, 0.1, 0.2, 0.4, 1.0, 3.0)
    mean, se, sigma = metrics.parzen(fake, valid, test, sigmas)
    by_sigma = {s: metrics.parzen_log_likelihood(fake, valid, s).mean() for s in sigmas}
    assert sigma == max(by_sigma, key=by_sigma.get)
    assert sigma not in (sigmas[0], sigmas[-1])
    assert se > 0
    worse, _, _ = metrics.parzen(gaussian(400, 5, scale=0.3, shift=0.5, seed=17), valid, test,
                                 sigmas)
    assert worse < mean


# ------------------------------------------------------------- evaluate
class PixelFeatures(metrics.FeatureExtractor):
    """Flattened pixels as features; a softmax over 4 pixel sums as 'classes'."""
    name = "toy-pixels"

    def __call__(self, images):
        flat = images.reshape(len(images), -1)
        logits = flat[:, :4] * 5
        probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        return flat, probs


def test_evaluate_reports_sample_counts_for_every_number():
    rng = np.random.default_rng(18)
    real = np.tanh(rng.normal(size=(300, 4, 4, 1)))
    fake = np.tanh(rng.normal(size=(200, 4, 4, 1)))
    scores = metrics.evaluate(real, fake, ["fid", "kid", "is", "pr", "parzen"],
                              extractor=PixelFeatures(), kid_subsets=5, kid_subset_size=50)
    names = [s.name for s in scores]
    assert names == ["fid", "kid", "is", "precision", "recall", "parzen"]
    for s in scores:
        assert s.n_fake == 200 and math.isfinite(s.value)
        assert s.n_real == {"is": 0, "parzen": 240}.get(s.name, 300)
        assert str(s)  # printable
    parzen = scores[-1]
    assert parzen.extra["n_valid"] == 60 and parzen.extra["sigma"] > 0
    with pytest.raises(metrics.MetricError, match="Unknown metric"):
        metrics.evaluate(real, fake, ["fidd"], extractor=PixelFeatures())
    with pytest.raises(metrics.MetricError, match="train-classifier"):
        metrics.evaluate(real, fake, ["fd"])


class ToyClassifier(metrics.FeatureExtractor):
    """'Classifies' an image by which of 4 pixels is brightest."""
    name = "toy-classifier"
    info = {"accuracy": 1.0}

    def __call__(self, images):
        flat = images.reshape(len(images), -1)[:, :4]
        return flat, np.eye(4)[flat.argmax(1)]


def test_conditional_accuracy_and_classifier_inception_score():
    labels = np.arange(400) % 4
    fake = np.full((400, 2, 2, 1), -1.0)
    fake.reshape(400, -1)[np.arange(400), labels] = 1.0   # every sample shows its label
    wrong = np.arange(100)
    fake.reshape(400, -1)[wrong, labels[wrong]] = -1.0    # ... except the first 100
    fake.reshape(400, -1)[wrong, (labels[wrong] + 1) % 4] = 1.0
    real = fake.copy()
    cacc, is_score = metrics.evaluate(real, fake, ["cacc", "is"], classifier=ToyClassifier(),
                                      fake_labels=labels)
    assert cacc.value == pytest.approx(0.75) and cacc.n_fake == 400
    assert cacc.extra["per_class"] == {c: pytest.approx(0.75) for c in range(4)}
    # Balanced confident predictions over 4 classes: IS = 4, from the classifier.
    assert is_score.value == pytest.approx(4.0, rel=0.02) and is_score.features == "toy-classifier"
    with pytest.raises(metrics.MetricError, match="conditional"):
        metrics.evaluate(real, fake, ["cacc"], classifier=ToyClassifier())
