"""`.npz` files of images (uint8, or numbers in [0, 255], [0, 1], [-1, 1])
and optional integer labels, checked before any training starts."""

from __future__ import annotations

import numpy as np
from typing import TYPE_CHECKING

from keras_gans.data.common import MAX_CLASSES, DataError

if TYPE_CHECKING:
    import pathlib

NPZ_IMAGE_KEYS = ("x", "images", "x_train", "image")
NPZ_LABEL_KEYS = ("y", "labels", "y_train", "label")


def read_npz(path: str | pathlib.Path) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """(uint8 images, int64 labels or None, class names or None) from an .npz.

    Images may be uint8, or numbers in [0, 255], [0, 1] or [-1, 1]; labels
    integers from 0. Anything else (no images, NaN or infinite values, values
    in none of those ranges, non-integer labels) is a `DataError` naming the
    file and the problem, before any training starts."""
    try:
        f = np.load(path)
    except Exception as e:  # noqa: BLE001 - any unreadable file
        raise DataError(f"Cannot read {path} as .npz ({e}): save it with numpy.savez.") from None
    if not hasattr(f, "files"):  # a plain .npy saved under an .npz name
        raise DataError(f"{path} holds a single array, not an .npz archive: save it with "
                        f"numpy.savez(path, x=images).")
    with f:
        xkey = next((k for k in NPZ_IMAGE_KEYS if k in f.files), None)
        if xkey is None:
            raise DataError(f"{path} has no images: store them under one of "
                            f"{', '.join(NPZ_IMAGE_KEYS)} (it has {', '.join(f.files) or 'nothing'}).")
        try:
            x = f[xkey]
            ykey = next((k for k in NPZ_LABEL_KEYS if k in f.files), None)
            y = f[ykey] if ykey else None
        except Exception as e:  # noqa: BLE001 - pickled objects, truncated members
            raise DataError(f"Cannot read the arrays of {path} ({str(e).splitlines()[0]}): "
                            f"save plain numeric arrays with numpy.savez.") from None
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise DataError(f"{path}: images must be N x H x W (x C with C in 1, 3, 4), "
                        f"got shape {x.shape}.")
    if len(x) == 0:
        raise DataError(f"{path}: its {xkey!r} array holds no images (shape {x.shape}).")
    x = _npz_images(path, xkey, x)
    classes = None
    if y is not None:
        y = _npz_labels(path, ykey, y)
        if len(y) != len(x):
            raise DataError(f"{path}: {len(x)} images but {len(y)} labels.")
        classes = [str(i) for i in range(int(y.max()) + 1)]
    return x, y, classes


def _npz_images(path, key, x):
    """`x` as uint8 0..255, from uint8 or numbers in [0, 255], [0, 1] or [-1, 1]."""
    if x.dtype == np.uint8:
        return x
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)
            or x.dtype == np.bool_):
        raise DataError(f"{path}: images {key!r} are of type {x.dtype}, not real numbers: store "
                        f"uint8 (0..255) or floats in [0, 1] or [-1, 1].")
    x = x.astype("float32")
    finite = np.isfinite(x)
    if not finite.all():
        bad = int(x.size - np.count_nonzero(finite))
        first = int(np.argmin(finite.reshape(len(x), -1).all(axis=1)))
        raise DataError(f"{path}: images {key!r} hold {bad} NaN or infinite value(s) (first in "
                        f"image {first}): replace them with numbers in [0, 255], [0, 1] or "
                        f"[-1, 1].")
    lo, hi = float(x.min()), float(x.max())
    eps = 1e-6
    if lo >= -1.0 - eps and hi <= 1.0 + eps and lo < 0:
        x = (x + 1.0) * 127.5  # in [-1, 1]
    elif lo >= -eps and hi <= 1.0 + eps:
        x = x * 255.0  # in [0, 1]
    elif not (lo >= -eps and hi <= 255.0 + eps):
        raise DataError(f"{path}: image values of {key!r} run from {lo:g} to {hi:g}, outside "
                        f"[0, 255], [0, 1] and [-1, 1]: rescale them into one of those ranges.")
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _npz_labels(path, key, y):
    """`y` as a flat int64 array of class indices from 0."""
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)
            or y.dtype == np.bool_):
        raise DataError(f"{path}: labels {key!r} are of type {y.dtype}: store integer class "
                        f"indices 0, 1, 2, ... (map names to numbers first).")
    y = y.reshape(-1)
    if len(y) == 0:
        raise DataError(f"{path}: its {key!r} array holds no labels.")
    if np.issubdtype(y.dtype, np.floating) and not (np.isfinite(y).all() and
                                                      (y == np.round(y)).all()):
        raise DataError(f"{path}: labels {key!r} must be whole numbers, found "
                        f"{float(y[~(np.isfinite(y) & (y == np.round(y)))][0]):g}.")
    y = y.astype("int64")
    if y.min() < 0:
        raise DataError(f"{path}: labels must be integers from 0, found {y.min()}.")
    if y.max() >= MAX_CLASSES:  # one class per number up to the largest label
        raise DataError(f"{path}: labels go up to {y.max()}, which would make {y.max() + 1} "
                        f"classes: number the classes 0, 1, 2, ... (fewer than {MAX_CLASSES}).")
    return y
