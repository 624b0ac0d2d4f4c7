"""Named sets: the embedded MNIST digits, Debian's Fashion-MNIST files, and
any tensorflow-datasets image set."""

from __future__ import annotations

import gzip
import os
import pathlib
from typing import Any

import numpy as np
import tensorflow as tf

from keras_gans.data import decode
from keras_gans.data.common import DataError, ImageData, finish

EMBEDDED = ("mnist5k", "mnist_5k", "embedded")
EMBEDDED_FILE = pathlib.Path(__file__).resolve().parent.parent / "datasets" / "mnist_5k.npz"
DEBIAN_FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")
EMBEDDED_SPLITS = {"train": 4000, "test": 1000}
EMBEDDED_SPLIT_SEED = 0


def embedded_split_indices(y: np.ndarray, split: str,
                           seed: int = EMBEDDED_SPLIT_SEED) -> np.ndarray:
    """Indices of `split` in the embedded digits: a fixed, seeded, stratified
    draw of a fifth of each class for "test", the rest for "train". (The file
    is stored sorted by class, so a plain head/tail cut would hold out whole
    digits.) Indices come back in file order."""
    if split not in EMBEDDED_SPLITS:
        names = " and ".join(map(repr, EMBEDDED_SPLITS))
        raise DataError(f"The embedded digits have splits {names}, not {split!r}: pass "
                        f"--split train or --split test.")
    frac = EMBEDDED_SPLITS["test"] / sum(EMBEDDED_SPLITS.values())
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        test.append(rng.permutation(members)[:int(round(len(members) * frac))])
    is_test = np.zeros(len(y), bool)
    is_test[np.concatenate(test)] = True
    return np.flatnonzero(is_test if split == "test" else ~is_test)


def embedded(split: str) -> tuple:
    """(uint8 images, labels, class names) of the embedded digits' `split`."""
    with np.load(EMBEDDED_FILE) as f:
        x, y = f["x"], f["y"].astype("int64")
    idx = embedded_split_indices(y, split)
    return x[idx][..., None], y[idx], [str(i) for i in range(10)]


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


FASHION_CLASSES = ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal",
                   "shirt", "sneaker", "bag", "ankle boot"]


def debian_fashion_mnist(split: str, root: str | pathlib.Path | None = None) -> tuple:
    """(uint8 images, labels, class names) of Debian's Fashion-MNIST files."""
    root = pathlib.Path(root or DEBIAN_FASHION_MNIST)
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise DataError(f"Fashion-MNIST files have splits 'train' and 'test', not {split!r}.")
    x = _read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
    y = _read_idx(root / f"{prefix}-labels-idx1-ubyte.gz")
    return x[..., None], y.astype("int64"), FASHION_CLASSES


TFDS_HOST = ("storage.googleapis.com", 443)


def _is_prepared(builder):
    try:
        return builder.is_prepared()
    except AttributeError:  # older tfds
        return os.path.exists(os.path.join(builder.data_dir, "dataset_info.json"))


def prepare_tfds(builder: Any, name: str) -> None:
    """`builder.download_and_prepare()`, failing at once (instead of after
    minutes of tfds retries) when the data is not on disk and the network is
    out of reach. Raises `OSError` naming the problem."""
    # (tfds.testing.mock_data swaps download_and_prepare for a no-op: no probe then.)
    mocked = "mock" in getattr(type(builder).download_and_prepare, "__qualname__", "")
    proxied = any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                                              "all_proxy"))
    if not (mocked or proxied or _is_prepared(builder)):
        import socket
        try:
            socket.create_connection(TFDS_HOST, timeout=10).close()
        except OSError as e:
            raise OSError(f"{name!r} is not downloaded yet and {TFDS_HOST[0]} is out of reach "
                          f"({e}): no network?") from None
    builder.download_and_prepare()


def tfds_images(name: str, split: str, batch_size: int, image_size: int | tuple[int, int] | None,
                channels: int | None, shuffle: bool, seed: int | None,
                data_dir: str | None = None) -> ImageData:
    """An `ImageData` of a tensorflow-datasets image set (downloaded on first use)."""
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataError(f"{name!r} is not a folder, .npz or embedded set, and "
                        f"tensorflow-datasets is not installed: pip install tensorflow-datasets."
                        ) from None
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as e:  # noqa: BLE001 - tfds raises many kinds
        raise DataError(f"Unknown dataset {name!r}: not a folder or .npz file, not embedded "
                        f"({', '.join(EMBEDDED)}), and tensorflow-datasets says: "
                        f"{str(e).splitlines()[0]}") from None
    try:
        prepare_tfds(builder, name)
        ds = builder.as_dataset(split=split)
    except Exception as e:  # noqa: BLE001 - network, disk, missing split
        raise DataError(f"Could not get {name!r} (split {split!r}) from tensorflow-datasets: "
                        f"{str(e).splitlines()[0][:200]}. Check the network, or pass a local "
                        f"folder/.npz with --data, or the embedded 'mnist5k'.") from None
    info = builder.info
    features = info.features
    image_key = "image" if "image" in features else None
    if image_key is None:
        raise DataError(f"tensorflow-datasets {name!r} has no 'image' feature "
                        f"(features: {', '.join(features)}); pick an image dataset.")
    label_feature = features["label"] if "label" in features else None
    num_classes = getattr(label_feature, "num_classes", None)
    class_names = list(getattr(label_feature, "names", []) or []) or None
    shape = features[image_key].shape
    size = decode.as_size(image_size) or tuple(shape[:2])
    if None in size:
        raise DataError(f"Images of {name!r} vary in size: give an image size (--image-size).")
    out_channels = channels or (3 if shape[-1] in (3, 4, None) else shape[-1])
    n = info.splits[split].num_examples if split in info.splits else None

    def prep(ex):
        img = tf.ensure_shape(decode.to_unit(ex[image_key], size, out_channels),
                              (*size, out_channels))
        if num_classes is not None:
            return img, tf.cast(ex["label"], tf.int64)
        return img

    ds = finish(ds, n, batch_size, shuffle, seed, f"tfds {name}")
    ds = ds.map(prep, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return ImageData(ds, (*size, out_channels), num_classes, n, batch_size,
                     f"tfds {name}", class_names)
