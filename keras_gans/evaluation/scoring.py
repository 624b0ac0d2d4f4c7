"""Scoring a trained model: real images, fakes from an export, translations,
feature extractors, the results table and JSON.

`keras-gans evaluate` and the `EvaluateEvery` callback share these pieces.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from keras_gans import files
from keras_gans.core import CONDITIONAL, TRANSLATOR
from keras_gans.evaluation import metrics

if TYPE_CHECKING:
    from keras_gans.core.model import ZooModel


# ----------------------------------------------------------------- inputs
def real_images(data: str, image_shape: tuple[int, ...], n: int, seed: int = 0,
                split: str = "train") -> tuple[np.ndarray, np.ndarray | None]:
    """Up to `n` real images (float [-1, 1]) of `data` at `image_shape`, drawn
    at random (seeded) from the whole source, with their labels or None."""
    from keras_gans import data as data_lib
    h, w, c = image_shape
    x, y = data_lib.load_arrays(data, split=split, image_size=(h, w), channels=c)
    idx = np.random.default_rng(seed).permutation(len(x))[:int(n)]
    return x[idx], (y[idx] if y is not None else None)


def test_split(data: str, image_size: int | tuple[int, int] | None = None,
               channels: int | None = None) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(images, labels or None) of the source's own held-out "test" split, or
    None where it has none (folders and .npz files have no splits)."""
    from keras_gans import data as data_lib
    if pathlib.Path(os.path.expanduser(str(data))).exists():
        return None
    try:
        return data_lib.load_arrays(data, split="test", image_size=image_size,
                                    channels=channels)
    except data_lib.DataError:
        return None


def held_out_images(data: str, image_shape: tuple[int, ...], n: int | None = None,
                    seed: int = 0) -> np.ndarray | None:
    """Up to `n` images of the data's test split at `image_shape` (random,
    seeded), or None where it has none: real images a model never trained on."""
    h, w, c = image_shape
    test = test_split(data, (h, w), c)
    if test is None or not len(test[0]):
        return None
    x = test[0]
    return x[np.random.default_rng(seed).permutation(len(x))[:n]]


def generate_from_export(loaded: Any, meta: dict, n: int, seed: int = 0,
                         batch_size: int = 500) -> tuple[np.ndarray, np.ndarray | None]:
    """(n fakes from an export, the labels they were asked for or None).

    Conditional exports get labels 0, 1, 2, ... in turn."""
    from keras_gans import export as export_lib
    conditional = export_lib.kind_of(meta, loaded) == CONDITIONAL
    labels = np.arange(n) % int(meta["num_classes"]) if conditional else None
    latent_dim = meta.get("latent_dim")
    out = []
    for i, m, batch_seed in export_batches(n, seed, batch_size):
        kwargs = {"label": labels[i:i + m].astype("int32")} if labels is not None else {}
        out.append(export_lib.generate(loaded, m, seed=batch_seed,
                                       latent_dim=latent_dim, **kwargs))
    return np.concatenate(out).astype("float32"), labels


def export_batches(n: int, seed: int = 0,
                   batch_size: int = 500) -> list[tuple[int, int, int]]:
    """(first index, size, latent seed) of each batch that `generate_from_export`
    draws: the latent scheme every FID of an export uses, so that anything
    scored on the same latents (benchmarks/ema.py's averages) scores alike."""
    return [(i, min(batch_size, n - i), seed * 100003 + i) for i in range(0, n, batch_size)]


# ------------------------------------------------------------ translation
# Image-to-image models (CycleGAN) are scored per direction: G(A) against real
# B ("a2b") and F(B) against real A ("b2a"), each beside the same metric for
# the untranslated images, which is where a model that learned nothing stays.
TRANSLATION_METRICS = ("fid", "kid", "pr")          # the default set
TRANSLATION_ALLOWED = TRANSLATION_METRICS + ("fd", "cacc")
DIRECTIONS = ("a2b", "b2a")


def is_translation(meta_or_model: dict | ZooModel) -> bool:
    """Whether an export's metadata (keras_gans.json) or a model is of the
    image-to-image kind."""
    if isinstance(meta_or_model, dict):
        from keras_gans import export as export_lib
        return export_lib.kind_of(meta_or_model) == TRANSLATOR
    return meta_or_model.kind == TRANSLATOR


def check_translation_metrics(names: Iterable[str]) -> None:
    """Raise a MetricError for metrics translators are not scored by."""
    bad = [m for m in names if m not in TRANSLATION_ALLOWED]
    if bad:
        raise metrics.MetricError(
            f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not defined for image-to-image "
            f"translation: use {', '.join(TRANSLATION_ALLOWED)} (scored per direction).")


def check_domain_classifier(classifier: metrics.FeatureExtractor | None) -> None:
    """A classifier for translation scores must have been trained on the two domains."""
    if classifier is not None and classifier.info.get("labels") != ["A", "B"]:
        raise metrics.MetricError(
            f"The classifier at {getattr(classifier, 'path', '?')} was not trained on two "
            f"domains: train one on the translation data with `keras-gans train-classifier "
            f"--data DATA --image-size SIZE` (its classes are then A and B).")


class _MemoFeatures:
    """An extractor that computes each array's features once (keyed by the
    array object), since each domain is scored twice."""

    def __init__(self, extractor):
        self.extractor = extractor
        self.name = extractor.name
        self.info = getattr(extractor, "info", {})
        self._cache = {}

    def __call__(self, images):
        key = id(images)
        if key not in self._cache:
            self._cache[key] = (images, self.extractor(images))
        return self._cache[key][1]


def translate_export(loaded: Any, batch_size: int = 32) -> Callable[[np.ndarray, str], np.ndarray]:
    """`translate(images, direction)` for a loaded translation export."""
    def translate(images, direction):
        fn = getattr(loaded, direction)
        out = [np.asarray(fn(images[i:i + batch_size]))
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out).astype("float32")

    return translate


def translation_scores(translate: Callable[[np.ndarray, str], np.ndarray], a: np.ndarray,
                       b: np.ndarray, names: Sequence[str],
                       extractor: metrics.FeatureExtractor | None = None,
                       classifier: metrics.FeatureExtractor | None = None, seed: int = 0,
                       kid_subsets: int = 100, reference: bool = True) -> list[metrics.Score]:
    """Scores of a translator on real images `a` and `b` of the two domains.

    `translate(images, direction)` is a model's `translate` or
    `translate_export(loaded)`. `extractor` gives the features of fid, kid and
    pr; `classifier`, a domain classifier trained on the two domains, those of
    fd and the target-domain accuracy cacc. Each score is named
    `<metric>_<direction>`; with `reference`, `<metric>_<direction>_untranslated`
    scores the source images themselves against the target domain."""
    check_translation_metrics(names)
    check_domain_classifier(classifier)
    memo = {}  # one per network, so a classifier used for both roles runs once per set
    extractor, classifier = (None if ext is None else memo.setdefault(id(ext), _MemoFeatures(ext))
                             for ext in (extractor, classifier))
    a, b = np.asarray(a, "float32"), np.asarray(b, "float32")
    out = []
    for direction, source, target, label in (("a2b", a, b, 1), ("b2a", b, a, 0)):
        sets = [("", translate(source, direction))]
        if reference:
            sets.append(("_untranslated", source))
        for suffix, fake in sets:
            for s in metrics.evaluate(target, fake, names, extractor=extractor,
                                      classifier=classifier, seed=seed, kid_subsets=kid_subsets,
                                      fake_labels=np.full(len(fake), label)):
                s.name = f"{s.name}_{direction}{suffix}"
                s.extra["direction"] = direction
                out.append(s)
    return out


def mean_over_directions(scores: list[metrics.Score], metric: str) -> metrics.Score:
    """One Score for `metric` ('pr': precision): the mean of both directions."""
    wanted = {"pr": "precision"}.get(metric, metric)
    parts = {d: pick(scores, f"{wanted}_{d}") for d in DIRECTIONS}
    first = parts["a2b"]
    return metrics.Score(wanted, float(np.mean([p.value for p in parts.values()])),
                         first.n_real, first.n_fake, features=first.features,
                         extra={d: p.value for d, p in parts.items()})


def inception_extractor(weights: str | pathlib.Path | None = None) -> metrics.FeatureExtractor:
    """The FID Inception network as a FeatureExtractor (weights from the cache
    that `keras-gans convert-inception` fills, or `weights`)."""
    try:
        from keras_gans.evaluation import inception
    except ImportError:  # pragma: no cover - optional module
        raise metrics.MetricError("The Inception network is not available in this install: "
                                  "use --features classifier.") from None
    return inception.InceptionFeatures(weights)


def _shape_options(image_shape):
    if image_shape is None or image_shape[0] != image_shape[1]:
        return ""
    return f" --image-size {image_shape[0]} --channels {image_shape[2]}"


def classifier_extractor(path: str | pathlib.Path | None = None, data: str | None = None,
                         image_shape: tuple[int, ...] | None = None, train_missing: bool = False,
                         log: Callable[[str], None] = print) -> metrics.FeatureExtractor:
    """The domain classifier at `path`, or the cache's for `data` at
    `image_shape`; with `train_missing`, the cache's is trained now (once)
    when missing, else a missing classifier is an error saying how to train it."""
    from keras_gans.evaluation import classifier
    if path is None and train_missing:
        return classifier.ClassifierFeatures(classifier.ensure(data, image_shape, log=log))
    path = pathlib.Path(path) if path else classifier.default_dir(data, image_shape)
    if not (path / classifier.MODEL_FILE).exists():
        raise FileNotFoundError(
            f"No domain classifier for {data} at {path}: train it once with "
            f"`keras-gans train-classifier --data {data}{_shape_options(image_shape)}` (or pass "
            f"--classifier DIR).")
    return classifier.ClassifierFeatures(path)


# ---------------------------------------------------------------- outputs
def table(scores: list[metrics.Score]) -> str:
    """The scores as an aligned text table."""
    rows = [("metric", "value", "+/-", "real", "fake", "features", "notes")]
    for s in scores:
        notes = []
        for key in ("classes_covered", "max_share", "sigma", "k", "subsets", "splits",
                    "accuracy"):
            if key in s.extra:
                value = s.extra[key]
                label = {"accuracy": "classifier acc", "classes_covered": "covered"}.get(key, key)
                notes.append(f"{label}={value:.4g}" if isinstance(value, float)
                             else f"{label}={value}")
        rows.append((s.name, f"{s.value:.4f}", "" if s.std is None else f"{s.std:.4f}",
                     str(s.n_real), str(s.n_fake), s.features, " ".join(notes)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                     for r in rows)


def write_json(path: str | pathlib.Path, scores: list[metrics.Score], **context) -> pathlib.Path:
    """Write the scores (and `context`) as JSON, atomically."""
    payload = dict(context, scores=[s.to_dict() for s in scores])
    text = json.dumps(payload, indent=2, default=str)
    files.atomic_write_file(path, lambda tmp: pathlib.Path(tmp).write_text(text))
    return pathlib.Path(path)


def sample_coverage(fake: np.ndarray, classifier: metrics.FeatureExtractor,
                    real_labels: np.ndarray) -> metrics.Score:
    """The `coverage` Score of generated images `fake` (NHWC in [-1, 1]): the
    domain `classifier`'s class histogram of the samples against the class
    frequencies of `real_labels` (classes covered at >= 1%, largest share,
    KL; `metrics.class_coverage`)."""
    score = pick(metrics.evaluate(fake[:1], fake, ["coverage"], classifier=classifier,
                                  real_labels=real_labels), "coverage")
    score.n_real = len(np.asarray(real_labels).reshape(-1))
    return score


def coverage_chart(score: metrics.Score, path: str | pathlib.Path,
                   names: Sequence[str] | None = None) -> pathlib.Path:
    """Write the bar chart of a `coverage` Score (samples' class shares beside
    the real frequencies) as a PNG."""
    from keras_gans import plots
    e = score.extra
    title = (f"{e['classes_covered']}/{e['num_classes']} classes covered, largest share "
             f"{100 * e['max_share']:.1f}%, KL {score.value:.3f} ({score.n_fake} samples)")
    return files.save_png(path, plots.class_bars(e["shares"], e["real_frequencies"], names,
                                                 title))


def pick(scores: list[metrics.Score], metric: str) -> metrics.Score:
    """The Score that stands for `metric` ('pr' means precision)."""
    wanted = {"pr": "precision"}.get(metric, metric)
    for s in scores:
        if s.name == wanted:
            return s
    raise metrics.MetricError(f"No {metric} among {[s.name for s in scores]}.")
