"""Evaluating models: metrics, the networks behind their features, scoring.

    metrics.py     the metrics as pure numpy: FID, KID, IS, precision/recall,
                   Parzen window, Frechet distance, class accuracy
    inception.py   the FID Inception network (converted once from TorchScript)
    classifier.py  the small domain classifier behind fd, cacc and is
    scoring.py     real images, fakes from an export, translations, tables, JSON
    callback.py    EvaluateEvery: keep the best checkpoint by a metric during fit()
    superres.py    super-resolution: PSNR/SSIM on Y, sharpness, bicubic baseline

The names of `scoring` and `callback` are this package's too
(`keras_gans.evaluation.EvaluateEvery`, `keras_gans.evaluation.table`, ...).
"""

import importlib


_SUBMODULES = ("metrics", "inception", "classifier", "scoring", "callback", "superres")


def __getattr__(name):
    # scoring's and callback's names, imported on first use (metrics stays numpy only)
    if name in _SUBMODULES:
        return importlib.import_module(f"keras_gans.evaluation.{name}")
    if name.startswith("__"):
        raise AttributeError(name)
    for module in ("scoring", "callback"):
        found = importlib.import_module(f"keras_gans.evaluation.{module}")
        if hasattr(found, name) and not name.startswith("__"):
            return getattr(found, name)
    raise AttributeError(f"module 'keras_gans.evaluation' has no attribute {name!r}")
