"""What the class-conditional entries (ConditionalGAN, ACGAN) share.

A conditional model's generator maps (z, label) to an image, so everything that
feeds the generator takes labels too: training batches are (images, labels),
`generate()` and `predict()` take class indices, the per-epoch grid has one row
per class, and the SavedModel's `generate` endpoint takes {"z", "label"} and
checks the labels itself. The two-player step itself is `GAN.train_step`'s: the
fakes of a step carry the labels of that step's real batch, so G is asked for
the classes in the proportions the data has them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import tensorflow as tf
import keras

from keras_gans.core.gan import GAN
from keras_gans.core.model import CONDITIONAL

if TYPE_CHECKING:
    from keras_gans.data import ImageData


class LabelError(ValueError):
    """Class labels that a conditional model cannot take (wrong type or range)."""


def check_labels(labels: int | Sequence[int] | np.ndarray | None, num_classes: int,
                 n: int | None = None) -> np.ndarray:
    """`labels` as an int32 numpy vector of class indices in [0, num_classes).

    A single int is repeated `n` times. Raises `LabelError` naming the problem.
    """
    num_classes = int(num_classes)
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise LabelError(f"Class labels must be integers from 0 to {num_classes - 1}, got "
                         f"{arr.dtype} values ({_show(arr)}): pass class indices, not "
                         f"{'booleans' if arr.dtype.kind == 'b' else 'floats or names'}.")
    if arr.ndim == 0:
        arr = np.full(int(n if n is not None else 1), arr)
    if arr.ndim != 1:
        raise LabelError(f"Class labels must be one int or a 1-D list of ints, got shape "
                         f"{arr.shape}.")
    if n is not None and len(arr) != int(n):
        raise LabelError(f"Got {len(arr)} labels for {n} images: give one label per image "
                         f"(or a single int for all).")
    bad = arr[(arr < 0) | (arr >= num_classes)]
    if bad.size:
        raise LabelError(f"Class label {int(bad[0])} is out of range: this model has "
                         f"{num_classes} classes, labels 0 to {num_classes - 1}.")
    return arr.astype("int32")


def _show(arr):
    flat = arr.reshape(-1)[:3].tolist()
    return ", ".join(map(str, flat)) + (", ..." if arr.size > 3 else "")


def per_class_labels(num_classes: int, per_class: int) -> np.ndarray:
    """[0]*per_class + [1]*per_class + ...: a grid with one row per class."""
    return np.repeat(np.arange(int(num_classes)), int(per_class)).astype("int32")


# -------------------------------------------------------------- the model
class ConditionalBase(GAN):
    """Base of the label-conditioned models: their generator is G([z, label]).

    Subclasses build `generator` (inputs [z, label]) and `discriminator`, and
    pass `num_classes`; see `ConditionalGAN` and `ACGAN`. `keras-gans train`
    reads `num_classes` from the data for every model of this kind.
    """

    kind = CONDITIONAL

    def __init__(self, generator: keras.Model | None = None,
                 discriminator: keras.Model | None = None, num_classes: int | None = None,
                 **kwargs):
        self.num_classes = self.check_num_classes(num_classes)
        if kwargs.get("pack", 1) != 1:
            raise ValueError(f"{type(self).__name__} cannot pack samples (pack="
                             f"{kwargs['pack']}): its discriminator judges each image with its "
                             f"label; packing is for the unconditional entries.")
        super().__init__(generator, discriminator, **kwargs)

    @classmethod
    def check_num_classes(cls, num_classes: Any) -> int:
        """`num_classes` as an int >= 2, or a ValueError saying what is wrong."""
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
                or num_classes < 2:
            raise ValueError(f"{cls.__name__} needs num_classes, an int >= 2 (the number of "
                             f"classes in the data), got {num_classes!r}.")
        return int(num_classes)

    # ------------------------------------------------------------- labels
    @classmethod
    def load_data(cls, name: str, **kwargs) -> ImageData:
        """Like `GAN.load_data`, but the data must have labels (a `DataError`
        says how to get labelled data otherwise)."""
        return super().load_data(name, **{**kwargs, "labels": True})

    def unpack(self, data: Any) -> tuple:
        images, labels = super().unpack(data)
        if labels is None:
            raise ValueError(f"{type(self).__name__} trains on (images, labels) batches, but the "
                             f"data has no labels: load it with keras_gans.data.load(..., "
                             f"labels=True).")
        return images, labels

    def split_inputs(self, inputs: dict | tuple | list) -> tuple:
        """(z, labels) from {"z", "label"} or (z, label)."""
        if isinstance(inputs, dict):
            return inputs["z"], inputs["label"]
        if isinstance(inputs, (tuple, list)) and len(inputs) == 2:
            return inputs[0], inputs[1]
        raise ValueError(f"{type(self).__name__} generates from (z, label) or "
                         f"{{'z': z, 'label': label}}, not latents alone.")

    # -------------------------------------------------------------- hooks
    def generate_fake(self, z: tf.Tensor, labels: tf.Tensor, training: bool = True) -> tf.Tensor:
        return self.generator([z, tf.cast(labels, tf.int32)], training=training)

    def call(self, inputs: dict | tuple | list, training: bool = False) -> tf.Tensor:
        z, labels = self.split_inputs(inputs)
        return self.sampler([z, tf.cast(labels, tf.int32)], training=training)

    def generate(self, n: int, seed: int | None = None,
                 labels: int | Sequence[int] | np.ndarray | None = None,
                 batch_size: int = 256) -> np.ndarray:
        """`n` images in [-1, 1] (float32 NHWC numpy) of classes `labels`: one
        int for all, one per image, or None to cycle through the classes. The
        same `seed` gives the same latents."""
        n = int(n)
        labels = np.arange(n) % self.num_classes if labels is None else labels
        labels = check_labels(labels, self.num_classes, n)
        return self.predict_batches({"z": self.latents(n, seed), "label": labels}, batch_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes}

    # ------------------------------------------------------------- export
    def export_endpoints(self) -> dict:
        """`generate({"z": float32 (n, latent_dim), "label": int32 (n,)})`;
        labels outside [0, num_classes) fail with an InvalidArgumentError."""
        spec = {"z": tf.TensorSpec([None, self.latent_dim], tf.float32, name="z"),
                "label": tf.TensorSpec([None], tf.int32, name="label")}
        num_classes = self.num_classes

        def generate(inputs):
            z, label = inputs["z"], inputs["label"]
            checks = [
                tf.debugging.assert_non_negative(
                    label, message=f"label out of range: labels run from 0 to {num_classes - 1}"),
                tf.debugging.assert_less(
                    label, num_classes,
                    message=f"label out of range: labels run from 0 to {num_classes - 1}"),
                tf.debugging.assert_equal(
                    tf.shape(label)[0], tf.shape(z)[0],
                    message="give one label per latent (z and label differ in length)"),
            ]
            with tf.control_dependencies(checks):
                label = tf.identity(label)
            return tf.cast(self.sampler([z, label], training=False), tf.float32)

        return {"generate": (generate, [spec])}

    def export_metadata(self) -> dict:
        return {**super().export_metadata(), "num_classes": self.num_classes}

    # ------------------------------------------------------ sample grids
    def sample_inputs(self, data: ImageData, n: int, seed: int) -> dict[str, np.ndarray]:
        """Latents and labels for a grid with one row per class (n / classes
        images each, at least one)."""
        per_class = max(1, int(n) // self.num_classes)
        labels = per_class_labels(self.num_classes, per_class)
        return {"z": self.latents(len(labels), seed), "label": labels}

    def sample_grid(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        from keras_gans import files
        per_class = math.ceil(len(inputs["label"]) / self.num_classes)
        images = keras.ops.convert_to_numpy(self(inputs, training=False))
        return files.grid(images, ncols=per_class)


def export_labels(loaded: Any, n: int,
                  labels: int | Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """Checked int32 labels for `n` images from a loaded conditional export
    (None: cycle through its classes)."""
    if not hasattr(loaded, "num_classes"):
        raise LabelError("This export is not class-conditional, so it takes no label: "
                         "drop --label (or train a conditional entry such as cgan or acgan).")
    num_classes = int(np.asarray(loaded.num_classes))
    if labels is None:
        labels = np.arange(int(n)) % num_classes
    return check_labels(labels, num_classes, n)
