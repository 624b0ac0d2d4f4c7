"""Differentiable augmentation of the discriminator's inputs (DiffAugment).

Zhao, Liu, Lin, Zhu & Han, "Differentiable Augmentation for Data-Efficient GAN
Training", NeurIPS 2020: with little data D memorises the real images and
stops teaching G. Augmenting *both* real and fake images, in both players'
steps, with transforms that gradients flow through, keeps D honest without
leaking the augmentations into G's samples (G never sees augmented reals; it
must make images whose augmentations look like augmented reals).

Policies (comma-separated, applied in this order):
    color        random brightness (+-0.5), saturation (x0..2, colour images
                 only) and contrast (x0.5..1.5) per image;
    translation  shift by up to 1/8 of the size each way, zero padding;
    cutout       zero a random square of half the size.
The paper's choice for small data is "translation,cutout" on grey images and
"color,translation,cutout" on colour ones. Images are NHWC in [-1, 1].
"""

from __future__ import annotations

import keras
import tensorflow as tf
from typing import Callable, Iterable

POLICIES = ("color", "translation", "cutout")


def parse(policy: str | Iterable[str] | None) -> tuple[str, ...]:
    """A tuple of policy names from "translation,cutout" (or a list); '' is off.
    Raises ValueError naming an unknown policy."""
    if not policy:
        return ()
    names = [p.strip().lower() for p in (policy.split(",") if isinstance(policy, str) else policy)]
    names = [n for n in names if n and n != "none"]
    bad = [n for n in names if n not in POLICIES]
    if bad:
        raise ValueError(f"Unknown augmentation {', '.join(bad)}: choose from "
                         f"{', '.join(POLICIES)} (comma-separated), or '' for none.")
    return tuple(n for n in POLICIES if n in names)


def seeded_uniform(seed: keras.random.SeedGenerator) -> Callable[..., tf.Tensor]:
    """`rand(n, tail, low, high)`: uniform draws of shape (n, *tail) from a
    `keras.random.SeedGenerator` (the transforms take such a function, so a
    model can slice one global draw per replica, as it does for latents)."""
    def rand(n, tail, low, high):
        return keras.random.uniform([n, *tail], minval=low, maxval=high, seed=seed)
    return rand


def color(x: tf.Tensor, rand: Callable[..., tf.Tensor]) -> tf.Tensor:
    """Random brightness, saturation and contrast per image (DiffAugment's `color`)."""
    n = tf.shape(x)[0]
    dtype = x.dtype
    x = x + tf.cast(rand(n, [1, 1, 1], -0.5, 0.5), dtype)
    if x.shape[-1] == 3:
        mean = tf.reduce_mean(x, axis=-1, keepdims=True)
        x = (x - mean) * tf.cast(rand(n, [1, 1, 1], 0.0, 2.0), dtype) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * tf.cast(rand(n, [1, 1, 1], 0.5, 1.5), dtype) + mean


def translation(x: tf.Tensor, rand: Callable[..., tf.Tensor], ratio: float = 0.125) -> tf.Tensor:
    """Shift each image by up to `ratio` of its size, zero-filled (`translation`)."""
    n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    ph, pw = max(1, int(h * ratio + 0.5)), max(1, int(w * ratio + 0.5))
    dy = tf.cast(tf.floor(rand(n, [1], 0.0, 2 * ph + 1)), tf.int32)  # 0..2ph
    dx = tf.cast(tf.floor(rand(n, [1], 0.0, 2 * pw + 1)), tf.int32)
    padded = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]])
    rows = tf.minimum(tf.range(h)[None, :] + dy, h + 2 * ph - 1)   # (n, h)
    cols = tf.minimum(tf.range(w)[None, :] + dx, w + 2 * pw - 1)   # (n, w)
    out = tf.gather(padded, rows, axis=1, batch_dims=1)            # (n, h, w + 2pw, c)
    return tf.gather(out, cols, axis=2, batch_dims=1)              # (n, h, w, c)


def cutout(x: tf.Tensor, rand: Callable[..., tf.Tensor], ratio: float = 0.5) -> tf.Tensor:
    """Zero one random square of `ratio` of the size in each image (`cutout`)."""
    n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    # The square's top-left corner, so that its centre falls anywhere in the image.
    top = tf.floor(rand(n, [1, 1], 0.0, h + (1 - ch % 2))) - ch // 2
    left = tf.floor(rand(n, [1, 1], 0.0, w + (1 - cw % 2))) - cw // 2
    r = tf.range(h, dtype=tf.float32)[None, :, None]
    c = tf.range(w, dtype=tf.float32)[None, None, :]
    inside = (r >= top) & (r < top + ch) & (c >= left) & (c < left + cw)
    return x * tf.cast(~inside, x.dtype)[..., None]


TRANSFORMS = {"color": color, "translation": translation, "cutout": cutout}


def check_probability(p: object) -> float:
    """`p` as a float in (0, 1], or a ValueError saying what it takes."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise ValueError(f"augment_p is the chance that each transform is applied to an image, "
                         f"a number in (0, 1] (1: always, as DiffAugment), not {p!r}.")
    return value


def diff_augment(x: tf.Tensor, policy: tuple[str, ...],
                 rand: Callable[..., tf.Tensor], p: float = 1.0) -> tf.Tensor:
    """`x` through each transform of `policy` (a `parse` result), with fresh
    randomness per image from `rand` (`seeded_uniform(seed_generator)`, or a
    function of the same signature). With `p` < 1 each image goes through
    each transform with probability p, else keeps it as it is (as ADA,
    Karras et al. 2020, applies its transforms, at a fixed p here)."""
    for name in policy:
        y = TRANSFORMS[name](x, rand)
        if p < 1.0:
            keep = rand(tf.shape(x)[0], [1, 1, 1], 0.0, 1.0) >= p
            y = tf.where(keep, x, y)
        x = y
    return x
