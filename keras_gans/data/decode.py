"""The one way keras-gans turns stored pixels into a model's input.

    to_unit(images, size, channels)   uint8 (or 0..255 floats) -> float32 in [-1, 1],
                                      resized and with the wanted channel count
    fix_channels(x, channels)         RGBA -> RGB; grey <-> RGB (luma weights)
    resize(x, size, method)           antialiased resize, only when the size differs

Every reader (named sets, folders, .npz, tensorflow-datasets, unpaired domains,
`keras-gans translate`'s files) and the domain classifier use these, so an image
becomes the same tensor whichever way it came in. `fix_channels` and `resize`
are linear, so they work on [-1, 1] images as well as on 0..255 ones.
"""

from __future__ import annotations

import tensorflow as tf
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def as_size(size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    """(height, width) for an int or a pair (None: None)."""
    if size is None:
        return None
    if isinstance(size, int):
        return (size, size)
    return tuple(int(s) for s in size)


def fix_channels(x: tf.Tensor, channels: int | None) -> tf.Tensor:
    """`x` (HWC or NHWC) with `channels` channels (None: as it is, but RGBA
    loses its alpha): an alpha channel is dropped, grey is repeated into RGB,
    RGB becomes grey by the luma weights of `tf.image.rgb_to_grayscale`."""
    have = x.shape[-1]
    if have == 4 and channels != 4:
        x, have = x[..., :3], 3
    if channels is None or have == channels:
        return x
    if have == 1 and channels == 3:
        return tf.repeat(x, 3, axis=-1)
    if have == 3 and channels == 1:
        return tf.cast(tf.image.rgb_to_grayscale(x), x.dtype)
    raise ValueError(f"Cannot turn {have}-channel images into {channels}-channel ones.")


def resize(x: tf.Tensor, size: int | tuple[int, int] | None, method: str = "bilinear") -> tf.Tensor:
    """`x` (HWC or NHWC, float) at `size` (int or (height, width); None: as it
    is), antialiased; unchanged when it already has that size."""
    size = as_size(size)
    if size is None or tuple(x.shape[-3:-1]) == size:
        return x
    return tf.image.resize(tf.cast(x, tf.float32), size, method=method, antialias=True)


def to_unit(images: tf.Tensor | np.ndarray, size: int | tuple[int, int] | None = None,
            channels: int | None = None, method: str = "bilinear") -> tf.Tensor:
    """uint8 (or float 0..255) images, HWC or NHWC, as float32 in [-1, 1] with
    `channels` channels at `size` (None: as stored)."""
    x = fix_channels(tf.cast(images, tf.float32), channels)
    x = resize(x, size, method)
    return tf.clip_by_value(x / 127.5 - 1.0, -1.0, 1.0)
