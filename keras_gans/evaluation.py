"""Running the metrics on a trained generator: real images, fakes, feature
extractors, the results table and JSON, and the `EvaluateEvery` callback that
keeps the best checkpoint by a metric during `fit()`.

The CLI (`keras-gans evaluate`) and the callback share these pieces.
"""

import json
import os
import pathlib

import numpy as np
import keras

from keras_gans import files, metrics


# ----------------------------------------------------------------- inputs
def real_images(data, image_shape, n, seed=0, split="train"):
    """Up to `n` real images (float [-1, 1]) of `data` at `image_shape`, drawn
    at random (seeded) from the whole source, with their labels or None."""
    from keras_gans import data as data_lib
    h, w, c = image_shape
    x, y = data_lib.load_arrays(data, split=split, image_size=(h, w), channels=c)
    idx = np.random.default_rng(seed).permutation(len(x))[:int(n)]
    return x[idx], (y[idx] if y is not None else None)


def test_split(data, image_size=None, channels=None):
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


def held_out_images(data, image_shape, n=None, seed=0):
    """Up to `n` images of the data's test split at `image_shape` (random,
    seeded), or None where it has none: real images a model never trained on."""
    h, w, c = image_shape
    test = test_split(data, (h, w), c)
    if test is None or not len(test[0]):
        return None
    x = test[0]
    return x[np.random.default_rng(seed).permutation(len(x))[:n]]


def generate_from_export(loaded, meta, n, seed=0, batch_size=500):
    """(n fakes from an export, the labels they were asked for or None).

    Conditional exports (metadata `num_classes`) get labels 0, 1, 2, ... in turn."""
    from keras_gans import export as export_lib
    num_classes = meta.get("num_classes")
    labels = np.arange(n) % int(num_classes) if num_classes else None
    latent_dim = meta.get("latent_dim")
    out = []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        kwargs = {"label": labels[i:i + m].astype("int32")} if labels is not None else {}
        out.append(export_lib.generate(loaded, m, seed=seed * 100003 + i,
                                       latent_dim=latent_dim, **kwargs))
    return np.concatenate(out).astype("float32"), labels


# ------------------------------------------------------------ translation
# Image-to-image models (CycleGAN) are scored per direction: G(A) against real
# B ("a2b") and F(B) against real A ("b2a"), each beside the same metric for
# the untranslated images, which is where a model that learned nothing stays.
TRANSLATION_METRICS = ("fid", "kid", "pr")          # the default set
TRANSLATION_ALLOWED = TRANSLATION_METRICS + ("fd", "cacc")
DIRECTIONS = ("a2b", "b2a")


def is_translation(meta_or_model):
    """Whether an export's metadata (or a model) is an image-to-image translator."""
    if isinstance(meta_or_model, dict):
        return "a2b" in str(meta_or_model.get("endpoints", "")).split(",")
    return callable(getattr(meta_or_model, "translate", None))


def check_translation_metrics(names):
    bad = [m for m in names if m not in TRANSLATION_ALLOWED]
    if bad:
        raise metrics.MetricError(
            f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not defined for image-to-image "
            f"translation: use {', '.join(TRANSLATION_ALLOWED)} (scored per direction).")


def check_domain_classifier(classifier):
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


def translate_export(loaded, batch_size=32):
    """`translate(images, direction)` for a loaded translation export."""
    def translate(images, direction):
        fn = getattr(loaded, direction)
        out = [np.asarray(fn(images[i:i + batch_size]))
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out).astype("float32")

    return translate


def translation_scores(translate, a, b, names, extractor=None, classifier=None, seed=0,
                       kid_subsets=100, reference=True):
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


def mean_over_directions(scores, metric):
    """One Score for `metric` ('pr': precision): the mean of both directions."""
    wanted = {"pr": "precision"}.get(metric, metric)
    parts = {d: pick(scores, f"{wanted}_{d}") for d in DIRECTIONS}
    first = parts["a2b"]
    return metrics.Score(wanted, float(np.mean([p.value for p in parts.values()])),
                         first.n_real, first.n_fake, features=first.features,
                         extra={d: p.value for d, p in parts.items()})


def inception_extractor(weights=None):
    """The FID Inception network as a FeatureExtractor (weights from the cache
    that `keras-gans convert-inception` fills, or `weights`)."""
    try:
        from keras_gans import inception
    except ImportError:  # pragma: no cover - optional module
        raise metrics.MetricError("The Inception network is not available in this install: "
                                  "use --features classifier.") from None
    return inception.InceptionFeatures(weights)


def _shape_options(image_shape):
    if image_shape is None or image_shape[0] != image_shape[1]:
        return ""
    return f" --image-size {image_shape[0]} --channels {image_shape[2]}"


def classifier_extractor(path=None, data=None, image_shape=None, train_missing=False,
                         log=print):
    """The domain classifier at `path`, or the cache's for `data` at
    `image_shape`; with `train_missing`, the cache's is trained now (once)
    when missing, else a missing classifier is an error saying how to train it."""
    from keras_gans import classifier
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
def table(scores):
    """The scores as an aligned text table."""
    rows = [("metric", "value", "+/-", "real", "fake", "features", "notes")]
    for s in scores:
        notes = []
        for key in ("sigma", "k", "subsets", "splits", "accuracy"):
            if key in s.extra:
                value = s.extra[key]
                label = "classifier acc" if key == "accuracy" else key
                notes.append(f"{label}={value:.4g}" if isinstance(value, float)
                             else f"{label}={value}")
        rows.append((s.name, f"{s.value:.4f}", "" if s.std is None else f"{s.std:.4f}",
                     str(s.n_real), str(s.n_fake), s.features, " ".join(notes)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                     for r in rows)


def write_json(path, scores, **context):
    payload = dict(context, scores=[s.to_dict() for s in scores])
    text = json.dumps(payload, indent=2, default=str)
    files.atomic_write_file(path, lambda tmp: pathlib.Path(tmp).write_text(text))
    return pathlib.Path(path)


def pick(scores, metric):
    """The Score that stands for `metric` ('pr' means precision)."""
    wanted = {"pr": "precision"}.get(metric, metric)
    for s in scores:
        if s.name == wanted:
            return s
    raise metrics.MetricError(f"No {metric} among {[s.name for s in scores]}.")


# --------------------------------------------------------------- callback
class EvaluateEvery(keras.callbacks.Callback):
    """Compute `metric` on `n` samples every `every` epochs, log it as
    `eval_<metric>` (place this callback before the epoch log, `callbacks.EpochLog`, to
    get it in logs.csv), and keep the best checkpoint and export under `directory`:

        directory/ckpt.weights.h5   weights of the best epoch so far
        directory/export/           its SavedModel
        directory/best.json         the epoch and the score (with sample counts)

    StudioGAN found that DCGAN-like runs reach their best FID early and then
    collapse; this keeps that best model.

    For an image-to-image model (CycleGAN) pass `real=(a, b)`, real images of
    both domains: the metric is computed for each direction (logged as
    `eval_<metric>_a2b` and `_b2a`) and their mean picks the best epoch.

    A resumed run goes on from `best.json` only when it holds the same metric,
    sample count and feature network; otherwise the old best is moved aside
    to `best.<metric>-n<samples>/` beside `directory` (not deleted, not
    compared) and a log line says so. `state` (the run's `RunState`) stops it
    scoring once training has diverged. `held_out` are real images the model
    never saw, for the Parzen window's validation and test sets.
    """

    def __init__(self, metric, real, every=1, n=1000, directory=None, extractor=None,
                 classifier=None, seed=0, export_metadata=None, log=None, state=None,
                 held_out=None):
        super().__init__()
        metric = metric.lower()
        if metric not in metrics.METRICS or metric == "cacc":
            raise metrics.MetricError(f"Cannot select checkpoints by {metric!r}: choose one of "
                                      f"fid, kid, is, pr, parzen, fd.")
        self.translation = isinstance(real, (tuple, list))
        if self.translation:
            check_translation_metrics([metric])
        self.metric = metric
        self.real = real
        self.every = max(1, int(every))
        self.n = int(n)
        self.directory = pathlib.Path(directory) if directory else None
        self.extractor = extractor
        self.classifier = classifier
        self.seed = seed
        self.export_metadata = export_metadata
        self.log = log
        self.state = state
        self.held_out = held_out
        self.higher = metrics.HIGHER_IS_BETTER[metric]
        self.best = None
        self.best_epoch = None
        self.previous = None
        self.history = []

    def on_train_begin(self, logs=None):
        self.previous = None
        if self.directory is not None and (self.directory / "best.json").exists():
            self.previous = json.loads((self.directory / "best.json").read_text())

    @staticmethod
    def _key(record):
        """What a best score depends on: metric, fake sample count, feature network."""
        score = record.get("score") or {}
        return record.get("metric"), score.get("n_fake"), score.get("features")

    def _adopt_previous(self, score):
        """On the first score of this run: go on from the stored best if it was
        scored the same way, else move it aside and start fresh."""
        previous, self.previous = self.previous, None
        if previous is None:
            return
        now = {"metric": self.metric, "score": score.to_dict()}
        if self._key(previous) == self._key(now):
            self.best, self.best_epoch = previous["value"], previous["epoch"]
            return
        old_metric, old_n, old_features = self._key(previous)
        aside = self._aside_dir(old_metric, old_n)
        os.rename(self.directory, aside)
        if self.log:
            self.log(f"{self.directory}/best.json holds the best {old_metric} on {old_n} "
                     f"samples ({old_features}), not {self.metric} on {score.n_fake} "
                     f"({score.features}): starting a fresh best for {self.metric}; the old "
                     f"one is kept, uncompared, in {aside}.")

    def _aside_dir(self, metric, n):
        base = self.directory.with_name(f"{self.directory.name}.{metric}-n{n}")
        aside, i = base, 1
        while aside.exists():
            i += 1
            aside = base.with_name(f"{base.name}.{i}")
        return aside

    def better(self, value):
        if self.best is None:
            return True
        return value > self.best if self.higher else value < self.best

    def on_epoch_end(self, epoch, logs=None):
        diverged = self.state.diverged_at if self.state is not None else \
            getattr(self.model, "diverged_at", None)
        if (epoch + 1) % self.every or diverged:
            return  # after a divergence the generator is NaN: nothing to score
        if self.translation:
            a, b = self.real
            scores = translation_scores(self.model.translate, a[:self.n], b[:self.n],
                                        [self.metric], self.extractor, self.classifier,
                                        seed=self.seed, reference=False)
            score = mean_over_directions(scores, self.metric)
            if logs is not None:
                for d in DIRECTIONS:
                    logs[f"eval_{self.metric}_{d}"] = score.extra[d]
        else:
            fake = self.model.generate(self.n, seed=self.seed)
            score = pick(metrics.evaluate(self.real, fake, [self.metric],
                                          extractor=self.extractor, classifier=self.classifier,
                                          seed=self.seed, parzen_held_out=self.held_out),
                         self.metric)
        if self.previous is not None:
            self._adopt_previous(score)
        self.history.append((epoch + 1, score.value))
        if logs is not None:
            logs[f"eval_{self.metric}"] = score.value
        improved = self.better(score.value)
        if improved:
            self.best, self.best_epoch = score.value, epoch + 1
            if self.directory is not None:
                self.save(epoch + 1, score)
        if self.log:
            self.log(f"epoch {epoch + 1}: {score}{'  (best so far)' if improved else ''}")

    def save(self, epoch, score):
        from keras_gans import export as export_lib
        d = self.directory
        files.atomic_write_file(d / "ckpt.weights.h5", self.model.save_weights)
        export_lib.export(self.model, d / "export", metadata=self.export_metadata)
        text = json.dumps({"epoch": epoch, "metric": self.metric, "value": score.value,
                           "score": score.to_dict()}, indent=2)
        files.atomic_write_file(d / "best.json", lambda tmp: pathlib.Path(tmp).write_text(text))


def for_run(model, info, data=None, log=None, state=None):
    """The `EvaluateEvery` callback of a training run (recipe options
    eval_metric, eval_every, eval_samples); the best model goes to RUN_DIR/best/.
    `state` is the run's `RunState` (no scoring after a divergence). A domain
    classifier that the metric needs is trained first if the cache has none."""
    t = info.recipe.train
    metric = str(t["eval_metric"]).lower()
    n = int(t.get("eval_samples") or 1000)
    if is_translation(model):
        from keras_gans import unpaired
        check_translation_metrics([metric])
        h, w, c = info.image_shape
        a, b, _ = unpaired.domain_arrays(info.recipe.data, (h, w), c, n=n)
        real = (a, b)
    else:
        real, _ = real_images(info.recipe.data, info.image_shape, n)
    held_out = held_out_images(info.recipe.data, info.image_shape, n) \
        if metric == "parzen" else None
    extractor = classifier = None
    if metric in ("fd", "is"):  # `is` too: the FID Inception weights have no class head
        classifier = classifier_extractor(None, info.recipe.data, info.image_shape,
                                          train_missing=True, log=log or print)
    elif metric in ("fid", "kid", "pr"):
        extractor = inception_extractor()
    meta = {"entry": info.recipe.entry, "paper": info.recipe.paper, "precision": info.policy,
            "data": info.recipe.data}
    return EvaluateEvery(metric, real, every=t.get("eval_every") or 1, n=n,
                         directory=info.run_dir / "best", extractor=extractor,
                         classifier=classifier, export_metadata=meta, log=log, state=state,
                         held_out=held_out)
