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

One module a kind of source, all decoding through `decode`:

    named.py     the embedded digits, Debian's Fashion-MNIST, tensorflow-datasets
    npz.py       .npz files, checked before training
    folders.py   folders of image files, unreadable ones skipped
    unpaired.py  two unpaired domains (CycleGAN's trainA/ trainB/, tfds cycle_gan)
    paired.py    LR/HR pairs for super-resolution (SRGAN): crops, bicubic LR, photos
    common.py    DataError, ImageData, arrays to a batched dataset
    decode.py    uint8 -> [-1, 1], resize, channels: the one helper
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from keras_gans.data import decode  # noqa: F401
from keras_gans.data.common import (IMAGE_SUFFIXES, MAX_CLASSES, DataError,  # noqa: F401
                                    DataWarning, ImageData, from_arrays)
from keras_gans.data.folders import (DECODE_CHECK_LIMIT, folder_files, from_files,  # noqa: F401
                                     readable_images)
from keras_gans.data.named import (DEBIAN_FASHION_MNIST, EMBEDDED, EMBEDDED_FILE,  # noqa: F401
                                   TFDS_HOST, debian_fashion_mnist, embedded,
                                   embedded_split_indices, prepare_tfds, tfds_images)
from keras_gans.data.npz import NPZ_IMAGE_KEYS, NPZ_LABEL_KEYS, read_npz  # noqa: F401

_npz = read_npz  # (the name of before)


def _looks_like_path(name):
    return os.sep in name or "/" in name or name.startswith(".") or name.endswith(".npz")


def load(name: str | None = None, batch_size: int = 64,
         image_size: int | tuple[int, int] | None = None, channels: int | None = None,
         split: str = "train", labels: bool | None = None, shuffle: bool = True,
         seed: int | None = None, data_dir: str | None = None) -> ImageData:
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
    size = decode.as_size(image_size)
    path = pathlib.Path(os.path.expanduser(name))
    if path.is_dir():
        files, ys, class_names = folder_files(path)
        data = from_files(files, ys, class_names, batch_size, size, channels, shuffle, seed,
                           f"folder {path}")
    elif path.is_file():
        if path.suffix.lower() != ".npz":
            raise DataError(f"{path} is a file but not an .npz: pass a folder of images, "
                            f"an .npz, or a dataset name.")
        x, y, classes = read_npz(path)
        data = from_arrays(x, y, batch_size, size, channels, shuffle, seed, f"{path}", classes)
    elif name.lower() in EMBEDDED:
        x, y, classes = embedded(split)
        data = from_arrays(x, y, batch_size, size, channels, shuffle, seed,
                           f"embedded MNIST (5k, {split} split: {len(x)})", classes)
    elif _looks_like_path(name):
        raise DataError(f"No such folder or .npz file: {path}. Check the path.")
    elif name.lower().replace("-", "_") == "fashion_mnist" and (
            DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").exists():
        x, y, classes = debian_fashion_mnist(split)
        data = from_arrays(x, y, batch_size, size, channels, shuffle, seed,
                           f"Fashion-MNIST ({DEBIAN_FASHION_MNIST})", classes)
    else:
        data = tfds_images(name, split, batch_size, size, channels, shuffle, seed, data_dir)
    if labels is True and not data.has_labels:
        raise DataError(f"{data.source} has no labels, and this model needs them: use labelled "
                        f"data (a tfds set with labels, an .npz with 'y', or a folder with one "
                        f"sub-folder per class).")
    if labels is False and data.has_labels:
        data.dataset = data.dataset.map(lambda x, y: x)
        data.num_classes = None
        data.class_names = None
    return data


def load_arrays(name: str | None = None, split: str = "train",
                image_size: int | tuple[int, int] | None = None, channels: int | None = None,
                limit: int | None = None) -> tuple:
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
