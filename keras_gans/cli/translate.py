"""`keras-gans translate`: run an image-to-image export (CycleGAN) on files."""

from __future__ import annotations

import pathlib
from typing import Any

import click

from keras_gans.cli import friendly_errors, open_export


def input_files(path: str | pathlib.Path) -> list[tuple[pathlib.Path, pathlib.Path]]:
    """[(image file, its path relative to the input)] for a file or a folder."""
    from keras_gans.data import IMAGE_SUFFIXES
    path = pathlib.Path(path)
    if path.is_file():
        return [(path, pathlib.Path(path.name))]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not found:
        raise ValueError(f"No images (.png, .jpg, .bmp, .gif) in {path}: pass an image file or a "
                         f"folder of them.")
    return [(p, p.relative_to(path)) for p in found]


def translate_files(loaded: Any, direction: str, items: list[tuple[pathlib.Path, pathlib.Path]],
                    image_shape: tuple[int, ...], out_dir: str | pathlib.Path, batch_size: int = 8,
                    original_size: bool = False) -> list[pathlib.Path]:
    """Translate image files with a loaded export's `direction` endpoint and
    write PNGs under `out_dir` (same relative paths, .png); returns them."""
    import numpy as np
    import tensorflow as tf
    from keras_gans import files
    from keras_gans.data import decode

    fn = getattr(loaded, direction)
    height, width, channels = image_shape
    written = []
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        images, sizes = [], []
        for path, _ in chunk:
            try:
                raw = tf.io.decode_image(tf.io.read_file(str(path)), channels=channels,
                                         expand_animations=False)
            except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
                raise ValueError(f"Cannot read {path} as an image: pass PNG, JPEG, BMP or GIF "
                                 f"files.") from None
            sizes.append(tuple(int(s) for s in raw.shape[:2]))
            images.append(decode.to_unit(raw, (height, width), method="bicubic"))
        out = fn(tf.stack(images)).numpy()
        for (path, rel), img, size in zip(chunk, out, sizes):
            if original_size and size != (height, width):
                img = tf.clip_by_value(tf.image.resize(img, size, method="bicubic"),
                                       -1.0, 1.0).numpy()  # back to the input's size
            target = pathlib.Path(out_dir) / rel.with_suffix(".png")
            files.save_png(target, files.to_uint8(np.asarray(img)))
            written.append(target)
    return written


@click.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@click.option("--direction", type=click.Choice(["a2b", "b2a"]), default="a2b", show_default=True,
              help="a2b: domain A to B (e.g. horse to zebra); b2a: back.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), default="translated",
              show_default=True, help="Folder for the translated PNGs.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--original-size", is_flag=True,
              help="Resize each result back to its input's size (default: the trained size).")
@friendly_errors
def translate(source: str, input_path: str, direction: str, out_dir: str, batch_size: int,
              original_size: bool) -> None:
    """Translate INPUT (an image or a folder of images) with SOURCE, a CycleGAN
    run directory or export; PNGs go to the output folder."""
    from keras_gans.core import TRANSLATOR
    path, loaded, meta, kind = open_export(source)
    if kind != TRANSLATOR or not hasattr(loaded, direction):
        raise ValueError(f"{path} has no {direction!r} endpoint: translate needs an "
                         f"image-to-image export such as CycleGAN's (this one is "
                         f"{meta.get('model', 'another model')}).")
    image_shape = meta.get("image_shape") or [int(s) for s in loaded.image_shape.numpy()]
    items = input_files(input_path)
    written = translate_files(loaded, direction, items, tuple(image_shape), out_dir, batch_size,
                              original_size)
    click.echo(f"Translated {len(written)} image(s) {direction} into {out_dir}")
