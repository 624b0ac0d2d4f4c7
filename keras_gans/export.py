"""Exporting a trained generator as a SavedModel that needs no keras-gans.

    loaded = tf.saved_model.load("run/export")
    images = loaded.generate(tf.random.normal([16, loaded.latent_dim]))  # [-1, 1], NHWC

The `generate` endpoint is also a named signature (`loaded.signatures["generate"]`,
input `z`, output `images`), whose input shape `(None, latent_dim)` tells the
latent size. Every model says what its export holds (`export_endpoints()`,
`export_metadata()`); the metadata names the model's kind ("latent",
"conditional", "translator"), and `load` works it out for exports written
before kinds were recorded.
"""

from __future__ import annotations

import json
import pathlib
from typing import TYPE_CHECKING, Any

import numpy as np
import tensorflow as tf
import keras

from keras_gans import files
from keras_gans.core import latent as latent_lib
from keras_gans.core.model import CONDITIONAL, LATENT, TRANSLATOR

if TYPE_CHECKING:
    from keras_gans.core.model import ZooModel

META_FILE = "keras_gans.json"


def export(model: ZooModel, path: str | pathlib.Path, metadata: dict | None = None) -> pathlib.Path:
    """Write `model`'s endpoints to `path` atomically; returns the path.

    `metadata` (a JSON-able dict) is stored beside the SavedModel as
    `keras_gans.json`, and its int/float/str entries also as constants on the
    loaded object (e.g. `loaded.latent_dim`).
    """
    metadata = dict(metadata or {})
    metadata.update(model.export_metadata())

    def write(tmp):
        archive = keras.export.ExportArchive()
        archive.track(model)
        for name, (fn, signature) in model.export_endpoints().items():
            archive.add_endpoint(name, fn, input_signature=signature)
        # Constants live on the saved root object (ExportArchive keeps it there).
        root = getattr(archive, "_tf_trackable", archive)
        for key, value in metadata.items():
            if isinstance(value, (bool, int, float, str)):
                setattr(root, key, tf.Variable(value, trainable=False))
            elif isinstance(value, (list, tuple)) and value and all(
                    isinstance(v, int) for v in value):
                setattr(root, key, tf.Variable(value, dtype=tf.int32, trainable=False))
        archive.write_out(tmp, verbose=False)
        (pathlib.Path(tmp) / META_FILE).write_text(json.dumps(metadata, indent=2))

    return files.atomic_write_dir(path, write)


def is_export(path: str | pathlib.Path) -> bool:
    """Whether `path` holds a SavedModel (after undoing a half-done swap)."""
    path = files.recover_dir(path)
    return (pathlib.Path(path) / "saved_model.pb").exists()


def kind_of(meta: dict, loaded: Any = None) -> str:
    """The model kind of an export: its metadata's "kind" or, for an export
    written before kinds were recorded, what its endpoints and facts say."""
    if meta.get("kind"):
        return meta["kind"]
    has = (lambda name: name in meta or (loaded is not None and hasattr(loaded, name)))
    if "a2b" in str(meta.get("endpoints", "")).split(",") or (
            loaded is not None and hasattr(loaded, "a2b")):
        return TRANSLATOR
    if has("num_classes"):
        return CONDITIONAL
    if has("latent_dim"):
        return LATENT
    raise ValueError("This SavedModel was not exported by keras-gans (its metadata names no "
                     "model kind): export a run with `keras-gans export RUN_DIR`.")


def load(path: str | pathlib.Path) -> tuple:
    """(loaded SavedModel, metadata dict) for an export directory; the
    metadata always holds "kind" (and, for generators, "latent_dim")."""
    path = files.recover_dir(path)
    if not is_export(path):
        raise FileNotFoundError(f"{path} is not an exported SavedModel (no saved_model.pb): "
                                f"run `keras-gans export RUN_DIR` first.")
    meta_file = pathlib.Path(path) / META_FILE
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    loaded = tf.saved_model.load(str(path))
    meta.setdefault("kind", kind_of(meta, loaded))
    for fact in ("latent_dim", "num_classes"):
        if fact not in meta and hasattr(loaded, fact):
            meta[fact] = int(np.asarray(getattr(loaded, fact)))
    return loaded, meta


def generate(loaded: Any, n: int, seed: int | None = None, latent_dim: int | None = None,
             **inputs) -> np.ndarray:
    """Images from a loaded export's `generate` endpoint, as numpy [-1, 1].

    Class-conditional exports (with `num_classes`) take `label=`: one int for
    all images or one per image (default: cycling through the classes); bad
    labels raise a `LabelError` (a ValueError) saying what is wrong."""
    latent_dim = latent_dim or int(loaded.latent_dim.numpy())
    z = latent_lib.draw(n, latent_dim, seed)
    if hasattr(loaded, "num_classes") or "label" in inputs:
        from keras_gans.core.conditional import export_labels
        inputs["label"] = export_labels(loaded, n, inputs.get("label"))
    if inputs:
        return loaded.generate({"z": z, **inputs}).numpy()
    return loaded.generate(z).numpy()
