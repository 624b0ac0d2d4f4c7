"""Exporting a trained generator as a SavedModel that needs no keras-gans.

    loaded = tf.saved_model.load("run/export")
    images = loaded.generate(tf.random.normal([16, loaded.latent_dim]))  # [-1, 1], NHWC

The `generate` endpoint is also a named signature (`loaded.signatures["generate"]`,
input `z`, output `images`), whose input shape `(None, latent_dim)` tells the
latent size. Models with their own endpoints (conditional, image-to-image)
provide `export_endpoints()`; see `GAN.export_endpoints`.
"""

import json
import pathlib

import numpy as np
import tensorflow as tf
import keras

from keras_gans import files

META_FILE = "keras_gans.json"


def export(model, path, metadata=None):
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


def is_export(path):
    path = files.recover_dir(path)
    return (pathlib.Path(path) / "saved_model.pb").exists()


def load(path):
    """(loaded SavedModel, metadata dict) for an export directory."""
    path = files.recover_dir(path)
    if not is_export(path):
        raise FileNotFoundError(f"{path} is not an exported SavedModel (no saved_model.pb): "
                                f"run `keras-gans export RUN_DIR` first.")
    meta_file = pathlib.Path(path) / META_FILE
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    return tf.saved_model.load(str(path)), meta


def generate(loaded, n, seed=None, latent_dim=None, **inputs):
    """Images from a loaded export's `generate` endpoint, as numpy [-1, 1].

    Class-conditional exports (with `num_classes`) take `label=`: one int for
    all images or one per image (default: cycling through the classes); bad
    labels raise a `LabelError` (a ValueError) saying what is wrong."""
    latent_dim = latent_dim or int(loaded.latent_dim.numpy())
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    if hasattr(loaded, "num_classes") or "label" in inputs:
        from keras_gans.models.conditional import export_labels
        inputs["label"] = export_labels(loaded, n, inputs.get("label"))
    if inputs:
        return loaded.generate({"z": z, **inputs}).numpy()
    return loaded.generate(z).numpy()
