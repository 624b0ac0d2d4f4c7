"""Unpaired two-domain image data, for image-to-image translation (CycleGAN).

`load_unpaired()` accepts
  - a name of the CycleGAN datasets (`horse2zebra`, `apple2orange`,
    `summer2winter_yosemite`, `monet2photo`, ...; also `cycle_gan/horse2zebra`),
    fetched through tensorflow-datasets;
  - a folder laid out as those datasets are distributed: `trainA/`, `trainB/`
    (and optionally `testA/`, `testB/`) holding image files.

Training images get the CycleGAN paper's augmentation: resized (aspect ratio
ignored) to 286/256 of the training size, randomly cropped to the training
size and randomly flipped left-right; 286 -> 256 at the paper's size. Other
splits are only resized. The dataset yields `(a, b)` batches of float32 images
in [-1, 1], one from each domain, drawn independently (the domains are
unpaired); an epoch is as many images as the larger domain holds, as in the
reference training.

`make_photo_domains()` writes a small two-domain folder cut from the photos
scikit-learn ships (a Chinese temple vs. a dahlia), for offline demos and tests.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np
import tensorflow as tf

from keras_gans import data as data_lib
from keras_gans.data import IMAGE_SUFFIXES, DataError, ImageData, decode

CYCLE_GAN_SETS = ("apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo",
                  "cezanne2photo", "ukiyoe2photo", "vangogh2photo", "maps", "cityscapes",
                  "facades", "iphone2dslr_flower")
PAPER_SIZE, PAPER_LOAD_SIZE = 256, 286


@dataclasses.dataclass
class UnpairedImageData(ImageData):
    """An `ImageData` whose dataset yields `(a, b)` batches from two domains."""

    domain_sizes: tuple = (0, 0)
    # fixed(n) -> (a, b): n un-augmented images of each domain (test split
    # when there is one), always the same ones; for sample grids.
    fixed: object = None


def load_size_for(size: int | tuple[int, int]) -> tuple:
    """The size images are resized to before the random crop: 286/256 of it."""
    return tuple(int(round(s * PAPER_LOAD_SIZE / PAPER_SIZE)) for s in size)


def _as_size(image_size):
    if image_size is None:
        return (PAPER_SIZE, PAPER_SIZE)
    if isinstance(image_size, int):
        return (image_size, image_size)
    return tuple(int(s) for s in image_size)


# ----------------------------------------------------------------- sources
def _domain_files(folder):
    files = sorted(str(p) for p in pathlib.Path(folder).rglob("*")
                   if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return files


class _FolderSource:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.name = f"folder {self.root}"
        self._readable = {}

    def has(self, split):
        return all(_domain_files(self.root / f"{split}{d}") for d in "AB")

    def readable(self, split, d):
        """(readable image files of `<split><d>/`, whether each was decoded to
        tell); unreadable ones are skipped with a warning, once per source
        (see `keras_gans.data.readable_images`)."""
        key = f"{split}{d}"
        if key not in self._readable:
            files = _domain_files(self.root / key)
            if not files:
                raise DataError(
                    f"{self.root} has no images in {key}/: lay the folder out as the CycleGAN "
                    f"datasets are, with trainA/ and trainB/ (testA/, testB/ optional) of image "
                    f"files.")
            self._readable[key] = data_lib.readable_images(files, f"{self.root / key}")
        return self._readable[key]

    def domain(self, split, d, channels, shuffle_files=False):
        files, decoded = self.readable(split, d)

        def read(path):
            img = tf.io.decode_image(tf.io.read_file(path), channels=channels,
                                     expand_animations=False)
            return tf.ensure_shape(img, (None, None, channels))

        ds = tf.data.Dataset.from_tensor_slices(files).map(
            read, num_parallel_calls=tf.data.AUTOTUNE)
        if not decoded:  # only checked by their first bytes: drop any that fail
            ds = ds.ignore_errors()
        return ds, len(files)


class _TfdsSource:
    def __init__(self, config, data_dir=None):
        try:
            import tensorflow_datasets as tfds
        except ImportError:
            raise DataError(f"{config!r} is not a folder, and tensorflow-datasets is not "
                            f"installed to fetch it: pip install tensorflow-datasets, or pass a "
                            f"folder with trainA/ and trainB/.") from None
        self.name = f"tfds cycle_gan/{config}"
        try:
            self.builder = tfds.builder(f"cycle_gan/{config}", data_dir=data_dir)
            data_lib.prepare_tfds(self.builder, f"cycle_gan/{config}")
        except Exception as e:  # noqa: BLE001 - network, disk, tfds errors
            raise DataError(f"Could not get cycle_gan/{config} from tensorflow-datasets: "
                            f"{str(e).strip().splitlines()[0][:200] if str(e).strip() else e!r}. "
                            f"Check the network, or pass a folder with trainA/ and trainB/ "
                            f"(keras_gans.unpaired.make_photo_domains writes a small one).") from None

    def has(self, split):
        splits = self.builder.info.splits
        try:
            return all(f"{split}{d}" in splits for d in "AB") or not list(splits)
        except Exception:  # noqa: BLE001
            return False

    def domain(self, split, d, channels, shuffle_files=False):
        name = f"{split}{d}"
        ds = self.builder.as_dataset(split=name, shuffle_files=shuffle_files)

        def image(ex):
            return tf.ensure_shape(decode.fix_channels(ex["image"], channels),
                                   (None, None, channels))

        ds = ds.map(image, num_parallel_calls=tf.data.AUTOTUNE)
        n = None
        try:
            n = self.builder.info.splits[name].num_examples
        except Exception:  # noqa: BLE001 - unknown split metadata
            pass
        if not n:  # metadata without counts: count once
            n = int(ds.reduce(0, lambda c, _: c + 1).numpy())
        if not n:
            raise DataError(f"{self.name} split {name!r} is empty.")
        return ds, n


def _config_name(text):
    """The tfds cycle_gan config a name stands for (`cycle_gan/` prefix optional)."""
    return text[len("cycle_gan/"):] if text.startswith("cycle_gan/") else text


def _source(name, data_dir=None):
    text = str(name)
    path = pathlib.Path(os.path.expanduser(text))
    if path.is_dir():
        return _FolderSource(path)
    if path.exists():
        raise DataError(f"{path} is a file: unpaired data is a folder with trainA/ and trainB/ "
                        f"sub-folders, or a CycleGAN dataset name ({', '.join(CYCLE_GAN_SETS)}).")
    config = _config_name(text)
    if os.sep in config or "/" in config or config.startswith("."):
        raise DataError(f"No such folder: {path}. Check the path.")
    if config not in CYCLE_GAN_SETS:
        raise DataError(f"Unknown unpaired dataset {name!r}: pass a folder with trainA/ and "
                        f"trainB/, or one of {', '.join(CYCLE_GAN_SETS)}.")
    return _TfdsSource(config, data_dir)


# ---------------------------------------------------------------- pipeline
def augment(img: tf.Tensor, size: tuple[int, int], load_size: tuple[int, int],
            seed: tf.Tensor) -> tf.Tensor:
    """The paper's training preprocessing for one uint8 HxWxC image: resize to
    `load_size`, random crop to `size`, random left-right flip; [-1, 1] out.
    `seed` is a stateless seed (shape [2] int)."""
    channels = img.shape[-1]
    img = decode.resize(tf.cast(img, tf.float32), load_size, "bicubic")
    seeds = tf.random.experimental.stateless_split(seed, 2)
    img = tf.image.stateless_random_crop(img, (*size, channels), seed=seeds[0])
    img = tf.image.stateless_random_flip_left_right(img, seed=seeds[1])
    return decode.to_unit(img)


def _plain(img, size):
    return decode.to_unit(img, size, method="bicubic")


def load_unpaired(name: str, batch_size: int = 1, image_size: int | tuple[int, int] | None = None,
                  channels: int | None = None, split: str = "train", shuffle: bool = True,
                  augment_images: bool | None = None, seed: int | None = None,
                  data_dir: str | None = None,
                  load_size: int | tuple[int, int] | None = None) -> UnpairedImageData:
    """Two unpaired image domains as an `UnpairedImageData` of `(a, b)` batches.

    Args:
        name: a folder with `trainA/`, `trainB/` (`testA/`, `testB/`), or a
            CycleGAN dataset name for tensorflow-datasets.
        batch_size: image pairs per batch (incomplete batches dropped).
        image_size: int or (height, width) of the images out (default 256).
        channels: 3 (default) or 1.
        split: "train" or "test" (the folders/tfds splits `<split>A`, `<split>B`).
        shuffle: draw each domain in a new random order every epoch.
        augment_images: resize-crop-flip (default: for the train split only).
        seed: makes the order and the augmentation reproducible.
        data_dir: tensorflow-datasets data directory.
        load_size: size before the random crop (default: 286/256 of image_size).
    """
    size = _as_size(image_size)
    channels = int(channels or 3)
    if channels not in (1, 3):
        raise DataError(f"Unpaired image data has 1 or 3 channels, not {channels}.")
    load = _as_size(load_size) if load_size else load_size_for(size)
    if load[0] < size[0] or load[1] < size[1]:
        raise DataError(f"load_size {load} is smaller than the image size {size}.")
    augment_images = split == "train" if augment_images is None else bool(augment_images)
    source = _source(name, data_dir)
    if not source.has(split):
        raise DataError(f"{source.name} has no images in {split}A/ and {split}B/: lay it out as "
                        f"the CycleGAN datasets are, with trainA/ and trainB/ (testA/, testB/ "
                        f"optional) of image files.")
    base_seed = 0 if seed is None else int(seed)
    streams, sizes = [], []
    for k, d in enumerate("AB"):
        ds, n = source.domain(split, d, channels, shuffle_files=shuffle)
        sizes.append(n)
        if shuffle:
            ds = ds.shuffle(min(n, 1000), seed=None if seed is None else base_seed + k,
                            reshuffle_each_iteration=True)
        ds = ds.repeat()
        if augment_images:
            # One stateless seed per image, from a counter: reproducible with
            # `seed`, different for every image and epoch.
            rng = tf.data.Dataset.random(seed=None if seed is None else base_seed + 10 + k)
            rng = rng.batch(2).map(lambda s: tf.cast(s, tf.int64))
            ds = tf.data.Dataset.zip(ds, rng).map(
                lambda img, s: augment(img, size, load, s), num_parallel_calls=tf.data.AUTOTUNE)
        else:
            ds = ds.map(lambda img: _plain(img, size), num_parallel_calls=tf.data.AUTOTUNE)
        streams.append(ds)
    n = max(sizes)
    if n < batch_size:
        raise DataError(f"{source.name} has at most {n} images per domain, fewer than one batch "
                        f"of {batch_size}: lower the batch size (--batch-size).")
    ds = tf.data.Dataset.zip(*streams).take(n)
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

    def fixed(count):
        fixed_split = "test" if source.has("test") else split
        # Evenly spread over each domain, always the same images.
        return tuple(_plain_images(source, fixed_split, d, channels, size,
                                   lambda m: np.linspace(0, m - 1, min(int(count), m)))
                     for d in "AB")

    return UnpairedImageData(ds, (*size, channels), None, n, batch_size, source.name, None,
                             domain_sizes=tuple(sizes), fixed=fixed)


def _plain_images(source, split, d, channels, size, choose):
    """Domain `d`'s images at `choose(count)` positions (sorted), un-augmented."""
    dom, m = source.domain(split, d, channels)
    keep = np.unique(np.asarray(choose(m)).round().astype(int))
    dom = dom.take(int(keep[-1]) + 1).map(lambda img: _plain(img, size),
                                          num_parallel_calls=tf.data.AUTOTUNE)
    images = np.concatenate([np.asarray(x) for x in dom.batch(64)])
    return images[keep].astype("float32")


def is_unpaired(name: str | pathlib.Path | None) -> bool:
    """Whether `name` is two-domain data: a folder with trainA/ and trainB/, or
    one of the CycleGAN dataset names."""
    text = str(name)
    path = pathlib.Path(os.path.expanduser(text))
    if path.is_dir():
        return (path / "trainA").is_dir() and (path / "trainB").is_dir()
    return _config_name(text) in CYCLE_GAN_SETS


def domain_labelled(name: str, image_size: int | tuple[int, int] | None = None,
                    channels: int | None = None, data_dir: str | None = None) -> tuple:
    """Every image of both domains (train and test splits) with its domain as
    the label, A = 0 and B = 1: data for the domain classifier."""
    xs, ys = [], []
    for split in ("train", "test"):
        if split == "test" and not _source(name, data_dir).has("test"):
            continue
        a, b, _ = domain_arrays(name, image_size, channels, split=split, data_dir=data_dir)
        xs += [a, b]
        ys += [np.zeros(len(a), "int64"), np.ones(len(b), "int64")]
    return np.concatenate(xs), np.concatenate(ys)


def domain_arrays(name: str, image_size: int | tuple[int, int] | None = None,
                  channels: int | None = None, split: str | None = None, n: int | None = None,
                  seed: int = 0, data_dir: str | None = None) -> tuple:
    """Un-augmented images of both domains, for evaluation: `(a, b, split)`.

    Each domain gives up to `n` images (all of them when `n` is None), a
    seeded random choice, resized to `image_size` with values in [-1, 1].
    `split` defaults to "test" when the source has one, else "train"."""
    size = _as_size(image_size)
    channels = int(channels or 3)
    source = _source(name, data_dir)
    if split is None:
        split = "test" if source.has("test") else "train"
    if not source.has(split):
        raise DataError(f"{source.name} has no images in {split}A/ and {split}B/: pass a split "
                        f"it has (train or test).")
    a, b = (_plain_images(source, split, d, channels, size,
                          lambda m, k=k: np.random.default_rng(int(seed) + k).permutation(m)[
                              :m if n is None else min(int(n), m)])
            for k, d in enumerate("AB"))
    return a, b, split


# ------------------------------------------------------------ offline data
def make_photo_domains(path: str | pathlib.Path, image_size: int = 64, train: int = 60,
                       test: int = 8, seed: int = 0) -> pathlib.Path:
    """Write a two-domain folder cut from scikit-learn's sample photos: domain
    A from `china.jpg` (a temple under a pale sky), domain B from `flower.jpg`
    (an orange dahlia on dark green). Each image is a random square crop
    (a fifth to a half of the photo's height) resized to `image_size`.

    Creates PATH/trainA, trainB, testA, testB with `train`/`test` PNGs each and
    returns PATH. Needs scikit-learn (its sample photos ship with it), which
    keras-gans does not install (`pip install scikit-learn`, or the `photos`
    extra); without it, a `DataError` says so."""
    try:
        from sklearn.datasets import load_sample_images
    except ImportError:
        raise DataError("make_photo_domains needs scikit-learn (not a keras-gans "
                        "dependency) for its sample photos: pip install scikit-learn (or "
                        "keras-gans[photos]).") from None
    path = pathlib.Path(path)
    photos = load_sample_images()
    by_name = {pathlib.Path(f).stem: img for f, img in zip(photos.filenames, photos.images)}
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("test", test)):
        for d, photo in (("A", by_name["china"]), ("B", by_name["flower"])):
            folder = path / f"{split}{d}"
            folder.mkdir(parents=True, exist_ok=True)
            h, w = photo.shape[:2]
            for i in range(int(count)):
                side = int(rng.integers(h // 5, h // 2 + 1))
                y = int(rng.integers(0, h - side + 1))
                x = int(rng.integers(0, w - side + 1))
                crop = decode.resize(tf.cast(photo[y:y + side, x:x + side], tf.float32),
                                     (image_size, image_size), "bicubic")
                crop = tf.clip_by_value(tf.round(crop), 0, 255)
                png = tf.io.encode_png(tf.cast(crop, tf.uint8)).numpy()
                (folder / f"{d.lower()}{i:04d}.png").write_bytes(png)
    return path
