"""Paired low/high-resolution images for super-resolution (SRGAN), made on the
fly in `tf.data` from any source of photos:

    random HR crop (96 px by default)  ->  random flips  ->  colour transforms
    (optional)  ->  LR = the crop downsampled by the scale, bicubic with
    antialiasing (as MATLAB's imresize, which SR papers use)

The colour transforms (`color_augment`) are linear in the pixel values, as
the bicubic downsampling is, so each transformed crop and its LR are an exact
pair of another plausible photo: more to learn from where the photos are few.

The dataset yields `(lr, hr)` batches in [-1, 1], LR `crop/scale` px square.
Sources:

    "photos"   offline: photos that scikit-image ships (`skimage.data`, no
               download) and scikit-learn's two sample photos, with a fixed
               split: `PHOTOS_TRAIN` to train on, `PHOTOS_TEST` held out for
               evaluation (grey ones repeated to RGB)
    "div2k"    tensorflow-datasets' DIV2K (the standard SR training set: 800
               train, 100 validation 2K photos; downloads ~4 GB on first use);
               its HR images, with our own bicubic LR
    a folder   of image files: a `train/` and a `test/` (or `valid/`) sub-folder
               where it has them, else every 10th image (sorted) is held out

Held-out images are evaluated whole (`test_pairs`): the HR photo cut to a
multiple of the scale, and its bicubic LR.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
from typing import Callable

import numpy as np
import tensorflow as tf

from keras_gans.data.common import IMAGE_SUFFIXES, DataError, ImageData

# scikit-image's photos (`skimage.data.<name>()`, the left view of
# `stereo_motorcycle`) and scikit-learn's (`load_sample_image`: "china",
# "flower"), all shipped with the packages. Training: natural and
# microscope/astronomy photos, textures, documents.
PHOTOS_TRAIN = ("astronaut", "coffee", "hubble_deep_field", "immunohistochemistry", "retina",
                "moon", "brick", "grass", "gravel", "coins", "cell", "clock", "page", "text",
                "stereo_motorcycle", "china", "flower")
SKLEARN_PHOTOS = ("china", "flower")
# Held out: the cat (`chelsea`, also `skimage.data.cat`), the rocket launch and
# the cameraman (grey, repeated to RGB).
PHOTOS_TEST = ("chelsea", "rocket", "camera")
PHOTOS = "photos"
DIV2K = "div2k"
# Colour transforms of the HR crops (`color_augment`, comma-separated), each
# drawn anew for every crop:
#   permute   the RGB channels in a random order (so the luma sees other structure)
#   invert    x -> -x (in [-1, 1]), the negative photo, for half of the crops
#   mix       each channel a convex mixture of the three, at a random strength
COLOR_TRANSFORMS = ("permute", "invert", "mix")
# One "epoch" of a small source is this many crops (each photo gives several),
# so the offline photos and DIV2K's 800 images make epochs of the same length.
EPOCH_CROPS = 800


@dataclasses.dataclass
class PairedImageData(ImageData):
    """An `ImageData` whose dataset yields `(lr, hr)` batches; `image_shape`
    is the HR crop's. `test_images()` gives the held-out HR photos (uint8,
    whole, any size)."""

    scale: int = 4
    test_images: Callable[[], list] | None = None


def _skimage_photo(name: str) -> np.ndarray:
    """One offline photo by name (see `PHOTOS_TRAIN`) as uint8 HxWx3."""
    try:
        from skimage import data as skdata
        if name in SKLEARN_PHOTOS:
            from sklearn.datasets import load_sample_image
    except ImportError:
        raise DataError("The offline super-resolution photos come from scikit-image and "
                        "scikit-learn, which keras-gans does not install: pip install "
                        "scikit-image scikit-learn (or keras-gans[photos]), or pass "
                        "--data FOLDER.") from None
    if name in SKLEARN_PHOTOS:
        img = np.asarray(load_sample_image(f"{name}.jpg"))
    elif name == "stereo_motorcycle":
        img = np.asarray(skdata.stereo_motorcycle()[0])  # (left, right, disparity)
    else:
        img = np.asarray(getattr(skdata, name)())
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


def photo_arrays(split: str = "train") -> list[np.ndarray]:
    """The offline photos of `split` ("train" or "test") as uint8 HxWx3 arrays."""
    names = {"train": PHOTOS_TRAIN, "test": PHOTOS_TEST}[split]
    return [_skimage_photo(n) for n in names]


def _folder_split(root: pathlib.Path, split: str) -> list[str]:
    def images(folder):
        return sorted(str(p) for p in folder.rglob("*")
                      if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)

    test_dir = next((root / d for d in ("test", "valid", "val") if (root / d).is_dir()), None)
    if (root / "train").is_dir() and test_dir is not None:
        found = images(root / "train" if split == "train" else test_dir)
    else:
        every = images(root)
        found = [f for i, f in enumerate(every) if (i % 10 == 9) == (split == "test")]
        if split == "test" and not found and every:
            found = every[-1:]  # fewer than 10 images: evaluate on the last one
    if not found:
        raise DataError(f"No images (.png, .jpg, .bmp, .gif) for the {split} split in folder "
                        f"{root}: put image files in it (or in train/ and test/).")
    return found


def _read_files(paths: list[str]) -> list[np.ndarray]:
    out = []
    for p in paths:
        try:
            img = tf.io.decode_image(tf.io.read_file(p), channels=3, expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
            raise DataError(f"Cannot read {p} as an image: replace or remove it.") from None
        out.append(img.numpy())
    return out


def _div2k(split: str, data_dir: str | None = None) -> tf.data.Dataset:
    """DIV2K's HR images (uint8) of `split` from tensorflow-datasets."""
    from keras_gans.data.named import prepare_tfds
    import tensorflow_datasets as tfds
    tfds_split = "train" if split == "train" else "validation"
    try:
        builder = tfds.builder("div2k/bicubic_x4", data_dir=data_dir)
        prepare_tfds(builder, "div2k")
        ds = builder.as_dataset(split=tfds_split)
    except DataError:
        raise
    except Exception as e:  # no network, no space, ...: say what to do instead
        raise DataError(f"DIV2K could not be prepared by tensorflow-datasets "
                        f"({type(e).__name__}: {str(e).strip().splitlines()[0][:200]}): "
                        f"download it where you have network, or pass --data FOLDER "
                        f"(or --data photos for the offline photos).") from None
    return ds.map(lambda ex: ex["hr"])


def source_images(name: str, split: str = "train",
                  data_dir: str | None = None) -> tuple[tf.data.Dataset, int | None, str]:
    """(dataset of uint8 HxWx3 images, how many or None, a name for messages)."""
    key = str(name).lower()
    if key == PHOTOS:
        arrays = photo_arrays(split)
        return _array_dataset(arrays), len(arrays), f"photos ({split})"
    if key == DIV2K:
        return _div2k(split, data_dir), (800 if split == "train" else 100), f"div2k ({split})"
    root = pathlib.Path(os.path.expanduser(str(name)))
    if not root.is_dir():
        raise DataError(f"Unknown super-resolution data {name!r}: pass a folder of images, "
                        f"'photos' (offline, scikit-image's photos) or 'div2k' "
                        f"(tensorflow-datasets).")
    from keras_gans.data.folders import readable_images
    paths, _ = readable_images(_folder_split(root, split), root)
    ds = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: tf.ensure_shape(tf.io.decode_image(tf.io.read_file(p), channels=3,
                                                     expand_animations=False), [None, None, 3]),
        num_parallel_calls=tf.data.AUTOTUNE)
    return ds, len(paths), f"{root} ({split})"


def _array_dataset(arrays: list[np.ndarray]) -> tf.data.Dataset:
    def gen():
        yield from arrays
    return tf.data.Dataset.from_generator(
        gen, output_signature=tf.TensorSpec([None, None, 3], tf.uint8))


def test_images(name: str, data_dir: str | None = None) -> list[np.ndarray]:
    """The held-out HR images of `name` (uint8 HxWx3, whole)."""
    if str(name).lower() == PHOTOS:
        return photo_arrays("test")
    ds, _, _ = source_images(name, "test", data_dir)
    return [np.asarray(x) for x in ds]


# --------------------------------------------------------------- pairing
def downscale(hr: tf.Tensor, scale: int) -> tf.Tensor:
    """Bicubic, antialiased downsampling by `scale` of HWC or NHWC images in
    [-1, 1] (height and width multiples of `scale`), clipped to [-1, 1]."""
    shape = tf.shape(hr)
    size = tf.stack([shape[-3] // scale, shape[-2] // scale])
    lr = tf.image.resize(tf.cast(hr, tf.float32), size, method="bicubic", antialias=True)
    return tf.clip_by_value(lr, -1.0, 1.0)


def upscale_bicubic(lr: tf.Tensor, scale: int) -> tf.Tensor:
    """The bicubic baseline: LR images (HWC or NHWC, [-1, 1]) `scale` times larger."""
    shape = tf.shape(lr)
    size = tf.stack([shape[-3] * scale, shape[-2] * scale])
    up = tf.image.resize(tf.cast(lr, tf.float32), size, method="bicubic")
    return tf.clip_by_value(up, -1.0, 1.0)


def crop_to_scale(hr: np.ndarray, scale: int) -> np.ndarray:
    """`hr` (HWC) cut at the bottom/right to multiples of `scale`."""
    h, w = hr.shape[0] // scale * scale, hr.shape[1] // scale * scale
    return hr[:h, :w]


def test_pairs(name: str, scale: int, data_dir: str | None = None,
               limit: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(LR, HR)] of the held-out images of `name`, whole, float32 HWC in
    [-1, 1]: HR cut to multiples of `scale`, LR its bicubic downsampling."""
    out = []
    for img in test_images(name, data_dir)[:limit]:
        hr = crop_to_scale(img, scale).astype("float32") / 127.5 - 1.0
        out.append((downscale(hr, scale).numpy(), hr))
    return out


def check_color_augment(spec: str | None) -> tuple[str, ...]:
    """The transforms named in `spec` ("permute,invert", "" for none), checked."""
    names = tuple(n.strip().lower() for n in str(spec or "").split(",") if n.strip())
    unknown = [n for n in names if n not in COLOR_TRANSFORMS]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"color_augment takes comma-separated transforms of "
                         f"{', '.join(COLOR_TRANSFORMS)} (each once), or nothing; "
                         f"got {spec!r}.")
    return names


def color_transform(hr: tf.Tensor, transforms: tuple[str, ...], seed: tf.Tensor) -> tf.Tensor:
    """`hr` (HWC in [-1, 1]) through `transforms` (see `COLOR_TRANSFORMS`),
    drawn from the stateless `seed`; stays in [-1, 1]."""
    seeds = tf.random.experimental.stateless_split(seed, 4)
    if "permute" in transforms:
        order = tf.argsort(tf.random.stateless_uniform([3], seeds[0]))
        hr = tf.gather(hr, order, axis=-1)
    if "invert" in transforms:
        hr = tf.where(tf.random.stateless_uniform([], seeds[1]) < 0.5, -hr, hr)
    if "mix" in transforms:
        weights = tf.random.stateless_uniform([3, 3], seeds[2])
        weights = weights / tf.reduce_sum(weights, axis=1, keepdims=True)
        strength = tf.random.stateless_uniform([], seeds[3])
        mixing = (1.0 - strength) * tf.eye(3) + strength * weights  # rows sum to 1
        hr = tf.einsum("hwc,dc->hwd", hr, mixing)
    return hr


def random_pair(image: tf.Tensor, crop: int, scale: int, seed: tf.Tensor,
                flip: bool = True, color: tuple[str, ...] = ()) -> tuple[tf.Tensor, tf.Tensor]:
    """(LR, HR) from one uint8 image: a random `crop` px HR crop (images
    smaller than the crop are first enlarged to fit), random flips, the colour
    transforms `color` (see `COLOR_TRANSFORMS`), and its bicubic downsampling
    by `scale`. `seed` is a stateless seed (shape [2]): the same seed gives
    the same crop, flips and colours."""
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    img = tf.cast(image, tf.float32)
    shape = tf.shape(img)
    short = tf.cast(tf.minimum(shape[0], shape[1]), tf.float32)
    grow = tf.maximum(1.0, crop / short)
    size = tf.cast(tf.math.ceil(tf.cast(shape[:2], tf.float32) * grow), tf.int32)
    img = tf.cond(grow > 1.0, lambda: tf.image.resize(img, size, method="bicubic"),
                  lambda: img)
    hr = tf.image.stateless_random_crop(img, [crop, crop, 3], seeds[0])
    if flip:
        hr = tf.image.stateless_random_flip_left_right(hr, seeds[1])
        hr = tf.image.stateless_random_flip_up_down(hr, seeds[2])
    hr = tf.clip_by_value(hr / 127.5 - 1.0, -1.0, 1.0)
    if color:
        hr = color_transform(hr, color, seeds[2])
    return downscale(hr, scale), hr


def load_pairs(name: str = PHOTOS, batch_size: int = 16, crop: int = 96, scale: int = 4,
               seed: int | None = None, shuffle: bool = True, flip: bool = True,
               data_dir: str | None = None, color_augment: str = "") -> PairedImageData:
    """Training pairs of `name` (see the module docstring) as `(lr, hr)`
    batches: `PairedImageData`, one epoch `EPOCH_CROPS` crops for a small source.
    `color_augment`: comma-separated `COLOR_TRANSFORMS` for the HR crops."""
    try:
        color = check_color_augment(color_augment)
    except ValueError as e:
        raise DataError(str(e)) from None
    if crop % scale or crop < 16:
        raise DataError(f"The HR crop ({crop} px) must be a multiple of the scale ({scale}) "
                        f"and at least 16 px: pick another --image-size (e.g. 96).")
    ds, n, where = source_images(name, "train", data_dir)
    repeats = max(1, math.ceil(EPOCH_CROPS / n)) if n else 1
    if str(name).lower() == PHOTOS:
        ds = ds.cache()  # decoded once: the photos are few (folders are read as they go)
    ds = ds.repeat(repeats)
    examples = n * repeats if n else None
    if examples is not None and examples < batch_size:
        raise DataError(f"{where} gives {examples} crops, fewer than one batch of {batch_size}: "
                        f"lower the batch size (--batch-size).")
    if shuffle:
        ds = ds.shuffle(min(examples or 1000, 1000), seed=seed, reshuffle_each_iteration=True)
    # Each crop's stateless seed is (the run's seed, its place in the epoch):
    # a seeded, unshuffled pipeline gives the same pairs every time it is
    # read; shuffled, each epoch pairs other photos with those draws.
    base = int(np.random.default_rng(seed).integers(2 ** 31))
    ds = ds.enumerate().map(
        lambda i, img: random_pair(img, crop, scale, tf.stack([tf.constant(base, tf.int64), i]),
                                   flip, color), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return PairedImageData(ds, (crop, crop, 3), None, examples, batch_size, where, None,
                           scale=scale, test_images=lambda: test_images(name, data_dir))
