"""Image data for GAN training: a name or a path in, a `tf.data.Dataset` out.

`load()` accepts
  - `"mnist5k"` (the default; also `"embedded"`): 5,000 real MNIST digits
    shipped inside the package, so training works with no network; split
    "train" holds 4,000 of them, "test" the other 1,000 (100 per digit, a
    fixed seeded draw);
  - `"fashion_mnist"`: Debian's `dataset-fashion-mnist` files when they are
    installed (`/usr/share/datasets/fashion-mnist/`), else tensorflow-datasets;
  - any other tensorflow-datasets name (`mnist`, `cifar10`, `celeb_a`, ...);
  - a folder of image files (PNG, JPEG, BMP, GIF); when every image sits in a
    sub-folder, the sub-folder names are the class labels;
  - an `.npz` file with images under `x` (or `images`, `x_train`) and,
    optionally, labels under `y` (or `labels`, `y_train`).

Images come out as float32 in [-1, 1], NHWC, batched (full batches only),
shuffled and prefetched; with labels the elements are `(images, labels)`.
Problems raise `DataError`, whose one-line message says what was tried and how
to fix it; that includes .npz images with NaN/inf or out-of-range values.
Unreadable files in an image folder are skipped with a `DataWarning` naming
them (see `readable_images`), and are an error only when none is left.
"""

import dataclasses
import gzip
import os
import pathlib
import warnings

import numpy as np
import tensorflow as tf

from keras_gans.data import decode

EMBEDDED = ("mnist5k", "mnist_5k", "embedded")
EMBEDDED_FILE = pathlib.Path(__file__).resolve().parent.parent / "datasets" / "mnist_5k.npz"
DEBIAN_FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
NPZ_IMAGE_KEYS = ("x", "images", "x_train", "image")
NPZ_LABEL_KEYS = ("y", "labels", "y_train", "label")
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
    def has_labels(self):
        return self.num_classes is not None

    @property
    def steps_per_epoch(self):
        if self.num_examples is None:
            return None
        return self.num_examples // self.batch_size


# ------------------------------------------------------------------ arrays
EMBEDDED_SPLITS = {"train": 4000, "test": 1000}
EMBEDDED_SPLIT_SEED = 0


def embedded_split_indices(y, split, seed=EMBEDDED_SPLIT_SEED):
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


def _embedded(split):
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


def _debian_fashion_mnist(split, root=None):
    root = pathlib.Path(root or DEBIAN_FASHION_MNIST)
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise DataError(f"Fashion-MNIST files have splits 'train' and 'test', not {split!r}.")
    x = _read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
    y = _read_idx(root / f"{prefix}-labels-idx1-ubyte.gz")
    return x[..., None], y.astype("int64"), FASHION_CLASSES


def _npz(path):
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


def _folder_files(root):
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


def readable_images(files, where, decode_limit=None):
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
                        f"JPEG, GIF or BMP ({_name_some(bad)}): replace or remove "
                        f"{'it' if len(bad) == 1 else 'them'}.")
    if bad:
        warnings.warn(f"{where}: skipping {len(bad)} unreadable image file(s) of {len(files)} "
                      f"({_name_some(bad)}); replace or remove them to use them.", DataWarning,
                      stacklevel=3)
    return good, decoded


def _name_some(paths, count=3):
    shown = ", ".join(paths[:count])
    return shown + (f" and {len(paths) - count} more" if len(paths) > count else "")


# --------------------------------------------------------------- pipeline
_size = decode._size


def _finish(ds, n, batch_size, shuffle, seed, source):
    if n is not None and n < batch_size:
        raise DataError(f"{source} has {n} images, fewer than one batch of {batch_size}: "
                        f"lower the batch size (--batch-size).")
    if shuffle:
        ds = ds.shuffle(min(n, 60000) if n else 10000, seed=seed, reshuffle_each_iteration=True)
    return ds


def from_arrays(x, y=None, batch_size=64, image_size=None, channels=None, shuffle=True,
                seed=None, source="arrays", class_names=None):
    """An `ImageData` from uint8 images (N, H, W, C) and optional int labels."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    size = _size(image_size) or tuple(x.shape[1:3])
    out_channels = channels or (3 if x.shape[-1] == 4 else x.shape[-1])
    n = len(x)
    elements = (x, np.asarray(y, dtype="int64")) if y is not None else x
    ds = tf.data.Dataset.from_tensor_slices(elements)
    ds = _finish(ds, n, batch_size, shuffle, seed, source)
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


def _from_files(files, labels, class_names, batch_size, image_size, channels, shuffle, seed,
                source):
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
    size = _size(image_size) or tuple(first.shape[:2])
    out_channels = channels or (3 if first.shape[-1] in (3, 4) else 1)

    def read(path):
        img = tf.io.decode_image(tf.io.read_file(path), channels=out_channels,
                                 expand_animations=False)
        return tf.ensure_shape(decode.to_unit(img, size), (*size, out_channels))

    n = len(files)
    ds = tf.data.Dataset.from_tensor_slices((files, labels) if labels else files)
    ds = _finish(ds, n, batch_size, shuffle, seed, source)
    if labels:
        ds = ds.map(lambda p, l: (read(p), l), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(read, num_parallel_calls=tf.data.AUTOTUNE)
    if not decoded:  # files only checked by their first bytes: drop any that fail
        ds = ds.ignore_errors()
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return ImageData(ds, (*size, out_channels), len(class_names) if class_names else None, n,
                     batch_size, source, class_names)


TFDS_HOST = ("storage.googleapis.com", 443)


def _is_prepared(builder):
    try:
        return builder.is_prepared()
    except AttributeError:  # older tfds
        return os.path.exists(os.path.join(builder.data_dir, "dataset_info.json"))


def prepare_tfds(builder, name):
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


def _tfds(name, split, batch_size, image_size, channels, shuffle, seed, data_dir=None):
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
    size = _size(image_size) or tuple(shape[:2])
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

    ds = _finish(ds, n, batch_size, shuffle, seed, f"tfds {name}")
    ds = ds.map(prep, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return ImageData(ds, (*size, out_channels), num_classes, n, batch_size,
                     f"tfds {name}", class_names)


def _looks_like_path(name):
    return os.sep in name or "/" in name or name.startswith(".") or name.endswith(".npz")


def load(name=None, batch_size=64, image_size=None, channels=None, split="train",
         labels=None, shuffle=True, seed=None, data_dir=None):
    """Load images as an `ImageData` (dataset of float32 images in [-1, 1]).

    Args:
        name: embedded name, tensorflow-datasets name, folder or .npz path
            (None: the embedded MNIST subset).
        batch_size: images per batch (incomplete batches are dropped).
        image_size: int or (height, width) to resize to (default: as stored).
        channels: 1 or 3 to convert to (default: as stored).
        split: dataset split ("train", "test", ...).
        labels: None to keep labels where the source has them, True to
            require them (a `DataError` if there are none), False to drop them.
        shuffle, seed: shuffle each epoch, reproducibly with `seed`.
        data_dir: tensorflow-datasets data directory.
    """
    name = str(name) if name is not None else EMBEDDED[0]
    if not name.strip():  # "" would be the working folder
        raise DataError("The data name is empty: pass a dataset name, a folder or an .npz "
                        "(--data mnist5k, --data path/to/images).")
    size = _size(image_size)
    path = pathlib.Path(os.path.expanduser(name))
    if path.is_dir():
        files, ys, class_names = _folder_files(path)
        data = _from_files(files, ys, class_names, batch_size, size, channels, shuffle, seed,
                           f"folder {path}")
    elif path.is_file():
        if path.suffix.lower() != ".npz":
            raise DataError(f"{path} is a file but not an .npz: pass a folder of images, "
                            f"an .npz, or a dataset name.")
        x, y, classes = _npz(path)
        data = from_arrays(x, y, batch_size, size, channels, shuffle, seed, f"{path}", classes)
    elif name.lower() in EMBEDDED:
        x, y, classes = _embedded(split)
        data = from_arrays(x, y, batch_size, size, channels, shuffle, seed,
                           f"embedded MNIST (5k, {split} split: {len(x)})", classes)
    elif _looks_like_path(name):
        raise DataError(f"No such folder or .npz file: {path}. Check the path.")
    elif name.lower().replace("-", "_") == "fashion_mnist" and (
            DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").exists():
        x, y, classes = _debian_fashion_mnist(split)
        data = from_arrays(x, y, batch_size, size, channels, shuffle, seed,
                           f"Fashion-MNIST ({DEBIAN_FASHION_MNIST})", classes)
    else:
        data = _tfds(name, split, batch_size, size, channels, shuffle, seed, data_dir)
    if labels is True and not data.has_labels:
        raise DataError(f"{data.source} has no labels, and this model needs them: use labelled "
                        f"data (a tfds set with labels, an .npz with 'y', or a folder with one "
                        f"sub-folder per class).")
    if labels is False and data.has_labels:
        data.dataset = data.dataset.map(lambda x, y: x)
        data.num_classes = None
        data.class_names = None
    return data


def load_arrays(name=None, split="train", image_size=None, channels=None, limit=None):
    """All images of a source as (float32 images in [-1, 1], labels or None) numpy
    arrays; for evaluation and tests. `limit` caps the number of images."""
    data = load(name, batch_size=1, image_size=image_size, channels=channels, split=split,
                shuffle=False)
    ds = data.dataset.unbatch()
    if limit:
        ds = ds.take(limit)
    xs, ys = [], []
    for el in ds.batch(1024).as_numpy_iterator():
        if data.has_labels:
            xs.append(el[0])
            ys.append(el[1])
        else:
            xs.append(el)
    x = np.concatenate(xs)
    return x, (np.concatenate(ys) if ys else None)
