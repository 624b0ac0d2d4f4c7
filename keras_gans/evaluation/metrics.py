"""Sample-quality metrics for generators, on features or pixels.

The math works on numpy arrays and needs no network:

    frechet_distance(real_features, fake_features)        # FID on Inception pool3
    kernel_distance(real_features, fake_features)          # KID (unbiased MMD^2)
    inception_score(fake_class_probabilities)              # IS
    precision_recall(real_features, fake_features, k=3)    # Kynkaanniemi et al. 2019
    parzen(fake_pixels, valid_pixels, test_pixels)         # Goodfellow et al. 2014, Table 1

Features come from a `FeatureExtractor`: the FID Inception network
(`keras_gans.evaluation.inception`, weights converted once from the standard file) or a
small digit/fashion classifier trained on the real data by
`keras-gans train-classifier` (`keras_gans.evaluation.classifier`). `evaluate()` runs a
list of metric names on real and generated images and returns `Score`s that
each say how many real and fake samples they used.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

import numpy as np

METRICS = ("fid", "kid", "is", "pr", "parzen", "fd", "cacc", "coverage")
METRIC_HELP = {
    "fid": "Frechet distance of Inception pool3 features (lower is better)",
    "kid": "kernel distance, unbiased MMD^2 with a cubic polynomial kernel (lower is better)",
    "is": "Inception Score of the fakes (higher is better)",
    "pr": "improved precision and recall, k=3 nearest neighbours (higher is better)",
    "parzen": "Parzen-window log-likelihood of real test images, nats (higher is better)",
    "fd": "Frechet distance of the domain classifier's penultimate features",
    "cacc": "classifier accuracy on samples of each requested label (conditional models)",
    "coverage": "mode collapse by the domain classifier: KL of the samples' class histogram "
                "from the real class frequencies (lower is better), classes covered, "
                "largest class share",
}
# Which way is better, for choosing the best checkpoint.
HIGHER_IS_BETTER = {"fid": False, "kid": False, "is": True, "pr": True, "precision": True,
                    "recall": True, "parzen": True, "fd": False, "cacc": True,
                    "coverage": False}
# A class is covered when at least this share of the samples falls in it.
COVERAGE_THRESHOLD = 0.01


class MetricError(ValueError):
    """A metric cannot be computed on what it was given; the message says why."""


@dataclasses.dataclass
class Score:
    """One number and what it rests on."""

    name: str
    value: float
    n_real: int
    n_fake: int
    std: float | None = None      # spread over subsets/splits, or standard error
    features: str = ""            # "inception", "classifier:...", "pixels"
    extra: dict = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict:
        """The score as JSON-able values."""
        return dataclasses.asdict(self)

    def __str__(self):
        pm = f" +/- {self.std:.4g}" if self.std is not None else ""
        return (f"{self.name} = {self.value:.4g}{pm} ({self.n_real} real, {self.n_fake} fake, "
                f"{self.features})")


# --------------------------------------------------------------- helpers
def _features(x, name="features"):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise MetricError(f"{name} must be a 2-D array (samples x dimensions), got shape "
                          f"{x.shape}.")
    if not np.all(np.isfinite(x)):
        raise MetricError(f"{name} contain NaN or infinite values: check the generator output.")
    return x


def feature_statistics(features: np.ndarray) -> tuple:
    """(mean, covariance) of a set of feature vectors (rows)."""
    x = _features(features)
    if len(x) < 2:
        raise MetricError("Frechet distance needs at least 2 samples per set.")
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _sqrt_psd(a):
    """Symmetric square root of a positive semi-definite matrix."""
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(a: np.ndarray | tuple[np.ndarray, np.ndarray],
                     b: np.ndarray | tuple[np.ndarray, np.ndarray]) -> float:
    """Frechet distance between Gaussians fitted to two feature sets.

    d^2 = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)).

    `a` and `b` are feature arrays (samples x dims) or `(mean, covariance)`
    pairs. The trace of (S_a S_b)^(1/2) is computed as the sum of square roots
    of the eigenvalues of the symmetric S_a^(1/2) S_b S_a^(1/2), which has the
    same spectrum and avoids a complex-valued general matrix square root.
    """
    mu_a, s_a = a if isinstance(a, tuple) else feature_statistics(a)
    mu_b, s_b = b if isinstance(b, tuple) else feature_statistics(b)
    mu_a, mu_b = np.atleast_1d(mu_a), np.atleast_1d(mu_b)
    s_a, s_b = np.atleast_2d(s_a), np.atleast_2d(s_b)
    if mu_a.shape != mu_b.shape:
        raise MetricError(f"The two feature sets have different sizes: {mu_a.shape[0]} and "
                          f"{mu_b.shape[0]} dimensions.")
    root = _sqrt_psd(s_a)
    eig = np.linalg.eigvalsh(root @ s_b @ root)
    trace_sqrt = np.sum(np.sqrt(np.clip(eig, 0, None)))
    diff = mu_a - mu_b
    value = diff @ diff + np.trace(s_a) + np.trace(s_b) - 2.0 * trace_sqrt
    return float(max(value, 0.0))


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                      coef0: float = 1.0) -> np.ndarray:
    """k(x, y) = (gamma x.y + coef0)^degree with gamma = 1/dims by default."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef0) ** degree


def mmd2_unbiased(x: np.ndarray, y: np.ndarray,
                  kernel: Callable[[np.ndarray, np.ndarray], np.ndarray] = polynomial_kernel,
                  ) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy.

    The within-set kernel sums leave out the diagonal (k(x_i, x_i)), so the
    estimate's expectation is the population MMD^2: zero when both sets come
    from one distribution, and it can come out negative."""
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise MetricError("The kernel distance needs at least 2 samples per set.")
    k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    term_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    term_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(term_x + term_y - 2.0 * k_xy.mean())


def kernel_distance(real: np.ndarray, fake: np.ndarray, num_subsets: int = 100,
                    subset_size: int = 1000, seed: int = 0) -> tuple:
    """Kernel Inception Distance (Binkowski et al. 2018): the unbiased MMD^2
    with a cubic polynomial kernel, averaged over random subsets.

    Returns (mean, standard deviation over subsets). When neither set is
    larger than `subset_size`, every subset would be the whole of both sets:
    the MMD is computed once and the spread is None."""
    real, fake = _features(real, "real features"), _features(fake, "fake features")
    if real.shape[1] != fake.shape[1]:
        raise MetricError(f"The two feature sets have different sizes: {real.shape[1]} and "
                          f"{fake.shape[1]} dimensions.")
    m = min(int(subset_size), len(real), len(fake))
    if m == len(real) == len(fake):
        return float(mmd2_unbiased(real, fake)), None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(int(num_subsets)):
        xi = rng.choice(len(real), m, replace=False)
        yi = rng.choice(len(fake), m, replace=False)
        values.append(mmd2_unbiased(real[xi], fake[yi]))
    return float(np.mean(values)), float(np.std(values))


def inception_score(probs: np.ndarray, splits: int = 10) -> tuple:
    """exp(E_x KL(p(y|x) || p(y))) of class probabilities (rows sum to 1),
    as (mean, std) over `splits` equal parts (Salimans et al. 2016)."""
    p = _features(probs, "class probabilities")
    if np.any(p < -1e-6) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise MetricError("inception_score wants class probabilities (softmax outputs), "
                          "not logits.")
    p = np.clip(p, 1e-12, 1.0)
    splits = max(1, min(int(splits), len(p)))
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part) - np.log(marginal)), axis=1)
        scores.append(math.exp(float(np.mean(kl))))
    return float(np.mean(scores)), float(np.std(scores))


def _squared_distances(a, b):
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def _knn_radii(x, k, batch=1024):
    """Squared distance from each row of x to its k-th nearest other row."""
    radii = np.empty(len(x))
    for i in range(0, len(x), batch):
        d = _squared_distances(x[i:i + batch], x)
        # the row itself is at distance 0 and comes first: take index k
        radii[i:i + batch] = np.partition(d, k, axis=1)[:, k]
    return radii


def _coverage(manifold, radii, queries, batch=1024):
    """Fraction of `queries` inside at least one ball (centre, radius) of the manifold."""
    inside = 0
    for i in range(0, len(queries), batch):
        d = _squared_distances(queries[i:i + batch], manifold)
        inside += int(np.sum(np.any(d <= radii[None, :], axis=1)))
    return inside / len(queries)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple:
    """Improved precision and recall (Kynkaanniemi et al. 2019).

    Each set's manifold is the union of balls around its points reaching to
    the k-th nearest neighbour. Precision: the share of fakes inside the real
    manifold. Recall: the share of reals inside the fake manifold."""
    real, fake = _features(real, "real features"), _features(fake, "fake features")
    if min(len(real), len(fake)) <= k:
        raise MetricError(f"precision/recall with k={k} needs more than {k} samples per set.")
    precision = _coverage(real, _knn_radii(real, k), fake)
    recall = _coverage(fake, _knn_radii(fake, k), real)
    return precision, recall


# ---------------------------------------------------------------- Parzen
def parzen_log_likelihood(centres: np.ndarray, points: np.ndarray, sigma: float,
                          batch: int = 512) -> np.ndarray:
    """log p(x) of each row of `points` under an isotropic Gaussian kernel
    density with bandwidth `sigma` centred on the rows of `centres`:

        log p(x) = logsumexp_i(-|x - c_i|^2 / (2 sigma^2)) - log n - d/2 log(2 pi sigma^2)
    """
    c = _features(centres, "Parzen centres")
    x = _features(points, "Parzen points")
    n, d = c.shape
    const = -math.log(n) - 0.5 * d * math.log(2 * math.pi * sigma ** 2)
    out = np.empty(len(x))
    for i in range(0, len(x), batch):
        a = -_squared_distances(x[i:i + batch], c) / (2 * sigma ** 2)
        top = a.max(axis=1, keepdims=True)
        out[i:i + batch] = (top[:, 0] + np.log(np.exp(a - top).sum(axis=1))) + const
    return out


DEFAULT_SIGMAS = tuple(np.round(np.logspace(-1.3, 0, 14), 4))


def parzen(fake: np.ndarray, valid: np.ndarray, test: np.ndarray,
           sigmas: Sequence[float] = DEFAULT_SIGMAS) -> tuple[float, float, float]:
    """The Parzen-window estimate of Goodfellow et al. 2014 (Table 1).

    A Gaussian kernel density is fitted to the generated samples `fake`; its
    bandwidth is the one in `sigmas` that gives the real validation images the
    highest mean log-likelihood; the score is the mean log-likelihood of the
    real test images. Returns (mean, standard error, sigma). For MNIST the
    paper used pixels in [0, 1] (flattened)."""
    fake, valid, test = (_flat(a) for a in (fake, valid, test))
    if len(valid) == 0 or len(test) == 0:
        raise MetricError("Parzen needs real validation and test images.")
    best = max(sigmas, key=lambda s: parzen_log_likelihood(fake, valid, s).mean())
    ll = parzen_log_likelihood(fake, test, best)
    return float(ll.mean()), float(ll.std(ddof=1) / math.sqrt(len(ll))) if len(ll) > 1 else 0.0, \
        float(best)


def _flat(a):
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(len(a), -1)


def class_frequencies(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The share of each class 0 .. num_classes - 1 among integer `labels`."""
    labels = np.asarray(labels).reshape(-1).astype(int)
    if not len(labels):
        raise MetricError("class_frequencies needs at least one label.")
    return np.bincount(labels, minlength=int(num_classes))[:int(num_classes)] / len(labels)


def class_coverage(fake_probs: np.ndarray, real_frequencies: np.ndarray,
                   threshold: float = COVERAGE_THRESHOLD) -> dict:
    """Mode-collapse diagnostics of samples from their class probabilities
    `fake_probs` (n, k) (a domain classifier's softmax; each sample counts for
    its most likely class) against the real data's class frequencies (k,):

        shares           the samples' class histogram (k,), summing to 1
        classes_covered  classes with at least `threshold` (1%) of the samples
        max_share        the largest class share (1/k when balanced, 1 when collapsed)
        kl               KL(shares || real_frequencies) in nats (0: the real mix)
    """
    probs = _features(fake_probs, "class probabilities")
    ref = np.asarray(real_frequencies, np.float64).reshape(-1)
    if probs.shape[1] != len(ref):
        raise MetricError(f"The classifier has {probs.shape[1]} classes but the real data's "
                          f"frequencies have {len(ref)}.")
    shares = np.bincount(probs.argmax(axis=1), minlength=len(ref)) / len(probs)
    ref = ref / ref.sum()
    nz = shares > 0
    kl = float(np.sum(shares[nz] * np.log(shares[nz] / np.maximum(ref[nz], 1e-12))))
    return {"shares": shares.tolist(), "real_frequencies": ref.tolist(),
            "classes_covered": int(np.sum(shares >= threshold)), "num_classes": len(ref),
            "max_share": float(shares.max()), "kl": kl, "threshold": threshold}


# ----------------------------------------------------------- evaluation
class FeatureExtractor:
    """Maps images (NHWC, float in [-1, 1]) to features and class probabilities.

    Subclasses set `name` and implement `__call__(images) -> (features,
    probabilities or None)`."""

    name = "features"

    def __call__(self, images):  # pragma: no cover - interface
        raise NotImplementedError


def evaluate(real: np.ndarray, fake: np.ndarray, metrics: Sequence[str],
             extractor: FeatureExtractor | None = None, classifier: FeatureExtractor | None = None,
             fake_labels: np.ndarray | None = None, seed: int = 0, kid_subsets: int = 100,
             kid_subset_size: int = 1000, pr_k: int = 3, is_splits: int = 10,
             parzen_valid: np.ndarray | None = None,
             parzen_held_out: np.ndarray | None = None,
             real_labels: np.ndarray | None = None) -> list:
    """Scores of generated images `fake` against real images `real`.

    Args:
        real, fake: NHWC float arrays in [-1, 1].
        metrics: names from `METRICS`.
        extractor: `FeatureExtractor` for fid/kid/is/pr (usually Inception).
        classifier: the domain `FeatureExtractor` for fd and cacc.
        fake_labels: the label each fake was generated for (cacc).
        parzen_valid: how many of the real images choose the Parzen bandwidth
            (default: a fifth, at most 1,000); the others are its test set.
        parzen_held_out: real images the generator never trained on (a test
            split): when given, Parzen's validation and test images come from
            these instead of `real`.
        real_labels: the labels of `real`, whose frequencies coverage compares
            the samples' classes with (default: the classifier's classes of `real`).
    Returns a list of `Score`.
    """
    metrics = [m.strip().lower() for m in metrics if m.strip()]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise MetricError(f"Unknown metric(s) {', '.join(unknown)}: choose from "
                          f"{', '.join(METRICS)}.")
    real, fake = np.asarray(real), np.asarray(fake)
    nr, nf = len(real), len(fake)
    out = []
    cache = {}

    def feats(ext, which):
        key = (id(ext), which)
        if key not in cache:
            cache[key] = ext(real if which == "real" else fake)
        return cache[key]

    need_ext = [m for m in metrics if m in ("fid", "kid", "pr")]
    if "is" in metrics and classifier is None:
        need_ext.append("is")
    if need_ext and extractor is None:
        raise MetricError(f"{', '.join(need_ext)} need a feature extractor (the Inception "
                          f"network or a domain classifier).")
    if any(m in ("fd", "cacc", "coverage") for m in metrics) and classifier is None:
        raise MetricError("fd, cacc and coverage need the domain classifier: train one with "
                          "`keras-gans train-classifier --data DATA`.")
    for m in metrics:
        if m == "fid":
            fr, ff = feats(extractor, "real")[0], feats(extractor, "fake")[0]
            out.append(Score("fid", frechet_distance(fr, ff), nr, nf, features=extractor.name))
        elif m == "fd":
            fr, ff = feats(classifier, "real")[0], feats(classifier, "fake")[0]
            out.append(Score("fd", frechet_distance(fr, ff), nr, nf, features=classifier.name,
                             extra=dict(getattr(classifier, "info", {}))))
        elif m == "kid":
            fr, ff = feats(extractor, "real")[0], feats(extractor, "fake")[0]
            mean, std = kernel_distance(fr, ff, kid_subsets, kid_subset_size, seed)
            out.append(Score("kid", mean, nr, nf, std=std, features=extractor.name,
                             extra={"subsets": kid_subsets if std is not None else 1,
                                    "subset_size": min(kid_subset_size, nr, nf)}))
        elif m == "is":
            # The converted FID Inception has no class head: then the domain
            # classifier's probabilities give the score (named in `features`).
            source = extractor
            probs = feats(extractor, "fake")[1] if extractor is not None else None
            if probs is None and classifier is not None:
                source, probs = classifier, feats(classifier, "fake")[1]
            if probs is None:
                raise MetricError(f"The {extractor.name} network has no class probabilities "
                                  f"for the Inception Score: train the domain classifier "
                                  f"(`keras-gans train-classifier`) or use --features "
                                  f"classifier.")
            mean, std = inception_score(probs, is_splits)
            out.append(Score("is", mean, 0, nf, std=std, features=source.name,
                             extra={"splits": min(is_splits, nf),
                                    **getattr(source, "info", {})}))
        elif m == "pr":
            fr, ff = feats(extractor, "real")[0], feats(extractor, "fake")[0]
            p, r = precision_recall(fr, ff, pr_k)
            out.append(Score("precision", p, nr, nf, features=extractor.name, extra={"k": pr_k}))
            out.append(Score("recall", r, nr, nf, features=extractor.name, extra={"k": pr_k}))
        elif m == "parzen":
            pool = real if parzen_held_out is None else np.asarray(parzen_held_out)
            npool = len(pool)
            nv = parzen_valid if parzen_valid is not None else min(1000, max(1, npool // 5))
            if npool - nv < 1:
                raise MetricError(f"Parzen needs more than {nv} real images (validation + test).")
            to01 = lambda a: (np.asarray(a, np.float64) + 1.0) / 2.0  # noqa: E731
            mean, se, sigma = parzen(to01(fake), to01(pool[:nv]), to01(pool[nv:]))
            out.append(Score("parzen", mean, npool - nv, nf, std=se, features="pixels [0,1]",
                             extra={"sigma": sigma, "n_valid": nv,
                                    "held_out": parzen_held_out is not None}))
        elif m == "coverage":
            probs = feats(classifier, "fake")[1]
            if probs is None:
                raise MetricError(f"The {classifier.name} network has no class probabilities "
                                  f"for coverage: use the domain classifier.")
            if real_labels is not None:
                ref = class_frequencies(real_labels, probs.shape[1])
            else:
                ref = class_frequencies(feats(classifier, "real")[1].argmax(axis=1),
                                        probs.shape[1])
            c = class_coverage(probs, ref)
            out.append(Score("coverage", c.pop("kl"), nr, nf, features=classifier.name,
                             extra={**c, "reference": "labels" if real_labels is not None
                                    else "classifier", **getattr(classifier, "info", {})}))
        elif m == "cacc":
            if fake_labels is None:
                raise MetricError("cacc is for class-conditional models: the generator takes "
                                  "no labels.")
            probs = feats(classifier, "fake")[1]
            labels = np.asarray(fake_labels).reshape(-1)
            pred = probs.argmax(axis=1)
            per_class = {int(c): float(np.mean(pred[labels == c] == c))
                         for c in np.unique(labels)}
            out.append(Score("cacc", float(np.mean(pred == labels)), 0, nf,
                             features=classifier.name,
                             extra={"per_class": per_class, **getattr(classifier, "info", {})}))
    return out
