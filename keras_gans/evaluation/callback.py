"""`EvaluateEvery`: score a metric during `fit()` and keep the best checkpoint
and export by it; `for_run` builds it for a `keras-gans train` run."""

from __future__ import annotations

import json
import os
import pathlib
from typing import TYPE_CHECKING, Callable

import keras

from keras_gans import files
from keras_gans.evaluation import metrics, superres
from keras_gans.evaluation.scoring import (DIRECTIONS, check_translation_metrics,
                                           classifier_extractor, held_out_images,
                                           inception_extractor, is_translation,
                                           mean_over_directions, pick, real_images,
                                           translation_scores)

if TYPE_CHECKING:
    import numpy as np
    from keras_gans.core.model import ZooModel
    from keras_gans.data import ImageData
    from keras_gans.training.callbacks import RunState
    from keras_gans.training.train import RunInfo


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
    never saw, for the Parzen window's validation and test sets;
    `real_labels` the labels of `real`, whose class frequencies `coverage`
    compares the samples' classes with (its bar chart is written beside
    best.json as coverage.png).
    """

    def __init__(self, metric: str, real: np.ndarray | tuple[np.ndarray, np.ndarray],
                 every: int = 1, n: int = 1000, directory: str | pathlib.Path | None = None,
                 extractor: metrics.FeatureExtractor | None = None,
                 classifier: metrics.FeatureExtractor | None = None, seed: int = 0,
                 export_metadata: dict | None = None, log: Callable[[str], None] | None = None,
                 state: RunState | None = None, held_out: np.ndarray | None = None,
                 real_labels: np.ndarray | None = None, super_resolution: bool = False):
        super().__init__()
        metric = metric.lower()
        # Super-resolution (SRGAN): `real` is [(LR, HR)] held-out image pairs.
        self.super_resolution = bool(super_resolution)
        if self.super_resolution:
            superres.check([metric])
        elif metric not in metrics.METRICS or metric == "cacc":
            raise metrics.MetricError(f"Cannot select checkpoints by {metric!r}: choose one of "
                                      f"fid, kid, is, pr, parzen, fd, coverage (SRGAN: "
                                      f"{', '.join(superres.SR_METRICS)}).")
        self.translation = isinstance(real, (tuple, list)) and not self.super_resolution
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
        self.real_labels = real_labels
        self.higher = True if self.super_resolution else metrics.HIGHER_IS_BETTER[metric]
        self.best = None
        self.best_epoch = None
        self.previous = None
        self.history = []

    def on_train_begin(self, logs: dict | None = None) -> None:
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

    def better(self, value: float) -> bool:
        """Whether `value` beats the best score so far."""
        if self.best is None:
            return True
        if self.super_resolution:  # psnr, ssim: higher; sharpness: nearer 1
            return (superres.selection_key(self.metric, value)
                    > superres.selection_key(self.metric, self.best))
        return value > self.best if self.higher else value < self.best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        diverged = self.state.diverged_at if self.state is not None else \
            getattr(self.model, "diverged_at", None)
        if (epoch + 1) % self.every or diverged:
            return  # after a divergence the generator is NaN: nothing to score
        if self.super_resolution:
            score = superres.scores(self.model.upscale, self.real, self.model.scale,
                                    [self.metric], baseline=False)[0]
        elif is_translation(self.model):
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
                                          seed=self.seed, parzen_held_out=self.held_out,
                                          real_labels=self.real_labels),
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

    def save(self, epoch: int, score: metrics.Score) -> None:
        """Keep the model of `epoch` as the best: weights, export, best.json."""
        from keras_gans import export as export_lib
        d = self.directory
        files.atomic_write_file(d / "ckpt.weights.h5", self.model.save_weights)
        export_lib.export(self.model, d / "export", metadata=self.export_metadata)
        text = json.dumps({"epoch": epoch, "metric": self.metric, "value": score.value,
                           "score": score.to_dict()}, indent=2)
        files.atomic_write_file(d / "best.json", lambda tmp: pathlib.Path(tmp).write_text(text))
        if score.name == "coverage":
            from keras_gans.evaluation.scoring import coverage_chart
            coverage_chart(score, d / "coverage.png")


def for_run(model: ZooModel, info: RunInfo, data: ImageData | None = None,
            log: Callable[[str], None] | None = None,
            state: RunState | None = None) -> EvaluateEvery:
    """The `EvaluateEvery` callback of a training run (recipe options
    eval_metric, eval_every, eval_samples); the best model goes to RUN_DIR/best/.
    `state` is the run's `RunState` (no scoring after a divergence). A domain
    classifier that the metric needs is trained first if the cache has none."""
    t = info.recipe.train
    metric = str(t["eval_metric"]).lower()
    from keras_gans.data import mixtures
    if mixtures.is_mixture(info.recipe.data):
        raise metrics.MetricError(f"eval_metric {metric!r} is for image entries: a toy mixture "
                                  f"run scores its modes every epoch already (logs.csv).")
    real_labels = None
    n = int(t.get("eval_samples") or 1000)
    meta = {"entry": info.recipe.entry, "paper": info.recipe.paper, "precision": info.policy,
            "data": info.recipe.data}
    if getattr(model, "task", None) == "super_resolution":
        from keras_gans.data import paired
        superres.check([metric])
        pairs = paired.test_pairs(info.recipe.data, model.scale, limit=n)
        return EvaluateEvery(metric, pairs, every=t.get("eval_every") or 1, n=len(pairs),
                             directory=info.run_dir / "best", export_metadata=meta, log=log,
                             state=state, super_resolution=True)
    if is_translation(model):
        from keras_gans.data import unpaired
        check_translation_metrics([metric])
        h, w, c = info.image_shape
        a, b, _ = unpaired.domain_arrays(info.recipe.data, (h, w), c, n=n)
        real = (a, b)
    else:
        real, real_labels = real_images(info.recipe.data, info.image_shape, n)
    held_out = held_out_images(info.recipe.data, info.image_shape, n) \
        if metric == "parzen" else None
    extractor = classifier = None
    if metric in ("fd", "is", "coverage"):  # `is` too: the FID Inception weights have no class head
        classifier = classifier_extractor(None, info.recipe.data, info.image_shape,
                                          train_missing=True, log=log or print)
    elif metric in ("fid", "kid", "pr"):
        extractor = inception_extractor()
    meta = {"entry": info.recipe.entry, "paper": info.recipe.paper, "precision": info.policy,
            "data": info.recipe.data}
    return EvaluateEvery(metric, real, every=t.get("eval_every") or 1, n=n,
                         directory=info.run_dir / "best", extractor=extractor,
                         classifier=classifier, export_metadata=meta, log=log, state=state,
                         held_out=held_out, real_labels=real_labels)
