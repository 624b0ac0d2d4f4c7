"""What every reader shares: the errors, `ImageData`, and arrays to a batched,
shuffled dataset (`from_arrays`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from keras_gans.data import decode

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
# Labels are class indices; the classes are 0 .. the largest label.
MAX_CLASSES = 100_000


class DataError(ValueError):
    """Data could not be found or read; the message says how to fix it."""


class DataWarning(UserWarning):
    """Some of the data was skipped (e.g. unreadable image files)."""


@dataclasses.dataclass
class ImageData:
    """A batched dataset and what a model needs to know about it."""

    dataset: tf.data.Dataset
    image_shape: tuple
    num_classes: int | None
    num_examples: int | None
    batch_size: int
    source: str
    class_names: list | None = None

    @property
    def has_labels(self) -> bool:
        """Whether the dataset's elements carry labels."""
        return self.num_classes is not None

    @property
    def steps_per_epoch(self) -> int | None:
        """Full batches in one pass over the data (None: unknown)."""
        if self.num_examples is None:
            return None
        return self.num_examples // self.batch_size


def finish(ds: tf.data.Dataset, n: int | None, batch_size: int, shuffle: bool,
           seed: int | None, source: str) -> tf.data.Dataset:
    """`ds` shuffled (when asked), after checking it holds one batch at least."""
    if n is not None and n < batch_size:
        raise DataError(f"{source} has {n} images, fewer than one batch of {batch_size}: "
                        f"lower the batch size (--batch-size).")
    if shuffle:
        ds = ds.shuffle(min(n, 60000) if n else 10000, seed=seed, reshuffle_each_iteration=True)
    return ds


def from_arrays(x: np.ndarray, y: np.ndarray | None = None, batch_size: int = 64,
                image_size: int | tuple[int, int] | None = None, channels: int | None = None,
                shuffle: bool = True, seed: int | None = None, source: str = "arrays",
                class_names: list | None = None) -> ImageData:
    """An `ImageData` from uint8 images (N, H, W, C) and optional int labels."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    size = decode.as_size(image_size) or tuple(x.shape[1:3])
    out_channels = channels or (3 if x.shape[-1] == 4 else x.shape[-1])
    n = len(x)
    elements = (x, np.asarray(y, dtype="int64")) if y is not None else x
    ds = tf.data.Dataset.from_tensor_slices(elements)
    ds = finish(ds, n, batch_size, shuffle, seed, source)
    ds = ds.batch(batch_size, drop_remainder=True)
    if y is not None:
        ds = ds.map(lambda a, b: (decode.to_unit(a, size, out_channels), b),
                    num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda a: decode.to_unit(a, size, out_channels),
                    num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    num_classes = None
    if y is not None:
        num_classes = len(class_names) if class_names else int(np.max(y)) + 1
    return ImageData(ds, (*size, out_channels), num_classes, n, batch_size, source, class_names)


def name_some(paths: list, count: int = 3) -> str:
    """A few of `paths` for a message ("a, b, c and 4 more")."""
    shown = ", ".join(paths[:count])
    return shown + (f" and {len(paths) - count} more" if len(paths) > count else "")
