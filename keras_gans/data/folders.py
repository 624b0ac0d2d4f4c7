"""Folders of image files (one sub-folder per class gives labels), with the
unreadable files found and skipped before training."""

from __future__ import annotations

import pathlib
import warnings
from typing import Sequence

import tensorflow as tf

from keras_gans.data import decode
from keras_gans.data.common import (IMAGE_SUFFIXES, DataError, DataWarning, ImageData, finish,
                                    name_some)

def folder_files(root: str | pathlib.Path) -> tuple:
    """(image files, labels or None, class names or None) of a folder: labels
    when every image sits in a sub-folder (one a class)."""
    root = pathlib.Path(root)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"No images (.png, .jpg, .bmp, .gif) found in folder {root}: "
                        f"put image files in it or in one sub-folder per class.")
    parents = {p.parent for p in files}
    if all(p.parent != root for p in files) and all(par.parent == root for par in parents):
        class_names = sorted(par.name for par in parents)
        index = {name: i for i, name in enumerate(class_names)}
        labels = [index[p.parent.name] for p in files]
        return [str(p) for p in files], labels, class_names
    return [str(p) for p in files], None, None


# Folders of up to this many image files are checked by decoding every file
# once before training; larger ones only by their first bytes (see
# `readable_images`).
DECODE_CHECK_LIMIT = 10_000
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def _has_image_signature(path):
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return head.startswith(IMAGE_SIGNATURES)


def readable_images(files: Sequence[pathlib.Path], where: str | pathlib.Path,
                    decode_limit: int | None = None) -> tuple[list[pathlib.Path], bool]:
    """The image files of `files` that can be read, and whether every one of
    them was decoded to tell (`(readable, decoded)`).

    A folder's images are read again every epoch, so one corrupt file would
    stop a run mid-training with a TensorFlow traceback. Instead, before
    training: every file's first bytes must be a PNG, JPEG, GIF or BMP
    signature (one small read per file: cheap for any folder), and folders of
    up to `decode_limit` (default `DECODE_CHECK_LIMIT`) files are also decoded
    once, in parallel through tf.data, which catches truncated or damaged
    bodies too (0.9 s per thousand 256x256 JPEGs on 2 CPU cores). Larger folders skip that
    pass (it would cost minutes at every start); their pipeline drops images
    that still fail to decode (`tf.data` `ignore_errors`) instead of stopping
    (`decoded` is False then, to tell the pipeline).

    Unreadable files are skipped with a `DataWarning` naming them and their
    count; when none is left, a `DataError` names the files."""
    files = [str(f) for f in files]
    limit = DECODE_CHECK_LIMIT if decode_limit is None else decode_limit
    good = [f for f in files if _has_image_signature(f)]
    decoded = len(files) <= limit
    if decoded and good:
        def check(path):
            img = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
            return path, tf.shape(img)

        ds = tf.data.Dataset.from_tensor_slices(good).map(
            check, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
        ok = {p.decode() for p, _ in ds.as_numpy_iterator()}
        good = [f for f in good if f in ok]
    kept = set(good)
    bad = [f for f in files if f not in kept]
    if not good:
        raise DataError(f"{where}: none of its {len(files)} image file(s) can be read as PNG, "
                        f"JPEG, GIF or BMP ({name_some(bad)}): replace or remove "
                        f"{'it' if len(bad) == 1 else 'them'}.")
    if bad:
        warnings.warn(f"{where}: skipping {len(bad)} unreadable image file(s) of {len(files)} "
                      f"({name_some(bad)}); replace or remove them to use them.", DataWarning,
                      stacklevel=3)
    return good, decoded


def from_files(files: Sequence[pathlib.Path], labels: Sequence[int] | None,
               class_names: list[str] | None, batch_size: int,
               image_size: int | tuple[int, int] | None, channels: int | None, shuffle: bool,
               seed: int | None, source: str) -> ImageData:
    """An `ImageData` decoding image `files` (with `labels`) batch by batch;
    unreadable files are skipped as `readable_images` says."""
    readable, decoded = readable_images(files, source)
    if labels:
        label_of = dict(zip(files, labels))
        labels = [label_of[f] for f in readable]
    files = readable
    first = None
    while first is None:  # (only files not decoded yet can fail here)
        try:
            first = tf.io.decode_image(tf.io.read_file(files[0]), expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
            if len(files) == 1:
                raise DataError(f"{source}: no image file can be read ({files[0]} is the last "
                                f"one and is damaged): replace or remove it.") from None
            warnings.warn(f"{source}: skipping unreadable image file {files[0]}.", DataWarning,
                          stacklevel=2)
            files, labels = files[1:], (labels[1:] if labels else labels)
    size = decode.as_size(image_size) or tuple(first.shape[:2])
    out_channels = channels or (3 if first.shape[-1] in (3, 4) else 1)

    def read(path):
        img = tf.io.decode_image(tf.io.read_file(path), channels=out_channels,
                                 expand_animations=False)
        return tf.ensure_shape(decode.to_unit(img, size), (*size, out_channels))

    n = len(files)
    ds = tf.data.Dataset.from_tensor_slices((files, labels) if labels else files)
    ds = finish(ds, n, batch_size, shuffle, seed, source)
    if labels:
        ds = ds.map(lambda p, l: (read(p), l), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(read, num_parallel_calls=tf.data.AUTOTUNE)
    if not decoded:  # files only checked by their first bytes: drop any that fail
        ds = ds.ignore_errors()
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return ImageData(ds, (*size, out_channels), len(class_names) if class_names else None, n,
                     batch_size, source, class_names)
