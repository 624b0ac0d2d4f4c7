"""`keras-gans upscale`: run a super-resolution export (SRGAN) on image files of
any size, tiled where they are large."""

from __future__ import annotations

import pathlib
from typing import Any, Callable

import click

from keras_gans.cli import friendly_errors, open_export


def tile_starts(n: int, tile: int, overlap: int) -> list[int]:
    """Where tiles of `tile` px, overlapping by at least `overlap`, start along
    a side of `n` px (one tile when it fits)."""
    if n <= tile:
        return [0]
    step = tile - overlap
    return list(range(0, n - tile, step)) + [n - tile]


def _ramp(length: int, start_edge: bool, end_edge: bool, blend: int, dead: int) -> Any:
    """Per-pixel weights along one side of a tile's output: 0 within `dead`
    px of an edge that lies inside the image, rising linearly over `blend` px
    to 1 (edges on the image's border keep weight 1)."""
    import numpy as np
    w = np.ones(length, "float32")
    ramp = (np.arange(blend, dtype="float32") + 0.5) / max(blend, 1)
    if start_edge:
        w[:dead] = 0.0
        w[dead:dead + blend] = np.minimum(w[dead:dead + blend], ramp[:len(w[dead:dead + blend])])
    if end_edge:
        w[length - dead:] = 0.0
        part = w[max(0, length - dead - blend):length - dead]
        w[max(0, length - dead - blend):length - dead] = np.minimum(part, ramp[::-1][-len(part):])
    return w


def tiled_upscale(upscale: Callable[[Any], Any], lr: Any, scale: int, tile: int = 128,
                  overlap: int = 32) -> Any:
    """`upscale` (LR NHWC [-1, 1] -> HR) applied to one LR image (HWC) in
    overlapping `tile` px tiles (LR pixels), blended without seams.

    Neighbouring tiles overlap by `overlap` px. Inside an overlap, each tile's
    output is ignored within `overlap`/4 px of its own edge (where it lacked
    the context the whole image would give) and the two are cross-faded over
    the middle half; so for a fully convolutional network whose receptive
    field reaches less than `overlap`/4 px, the result equals the untiled one."""
    import numpy as np
    lr = np.asarray(lr, "float32")
    h, w = lr.shape[:2]
    if overlap < 0 or tile <= overlap:
        raise ValueError(f"--tile ({tile}) must be larger than --overlap ({overlap}), and the "
                         f"overlap 0 or more.")
    if h <= tile and w <= tile:
        return np.asarray(upscale(lr[None]))[0]
    dead, blend = overlap // 4, max(1, overlap - 2 * (overlap // 4))
    out = np.zeros((h * scale, w * scale, lr.shape[2]), "float64")
    weight = np.zeros((h * scale, w * scale, 1), "float64")
    for y in tile_starts(h, tile, overlap):
        for x in tile_starts(w, tile, overlap):
            th, tw = min(tile, h - y), min(tile, w - x)
            sr = np.asarray(upscale(lr[None, y:y + th, x:x + tw]))[0]
            wy = _ramp(th * scale, y > 0, y + th < h, blend * scale, dead * scale)
            wx = _ramp(tw * scale, x > 0, x + tw < w, blend * scale, dead * scale)
            mask = (wy[:, None] * wx[None, :])[..., None]
            out[y * scale:(y + th) * scale, x * scale:(x + tw) * scale] += sr * mask
            weight[y * scale:(y + th) * scale, x * scale:(x + tw) * scale] += mask
    return (out / np.maximum(weight, 1e-12)).astype("float32")


def read_image(path: pathlib.Path) -> Any:
    """An image file as float32 HWC RGB in [-1, 1] (grey repeated, alpha dropped)."""
    import tensorflow as tf
    from keras_gans.data import decode
    try:
        raw = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
        raise ValueError(f"Cannot read {path} as an image: pass PNG, JPEG, BMP or GIF "
                         f"files.") from None
    return decode.to_unit(raw).numpy()


def upscale_files(upscale: Callable[[Any], Any], items: list[tuple[pathlib.Path, pathlib.Path]],
                  scale: int, out_dir: str | pathlib.Path, tile: int = 128,
                  overlap: int = 32) -> list[pathlib.Path]:
    """Upscale image files and write PNGs under `out_dir` (same relative
    paths, .png); returns them."""
    from keras_gans import files
    written = []
    for path, rel in items:
        sr = tiled_upscale(upscale, read_image(path), scale, tile, overlap)
        target = pathlib.Path(out_dir) / rel.with_suffix(".png")
        files.save_png(target, files.to_uint8(sr))
        written.append(target)
    return written


@click.command()
@click.argument("source", type=click.Path(file_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), default="upscaled",
              show_default=True, help="Folder for the upscaled PNGs.")
@click.option("--tile", type=click.IntRange(min=8), default=128, show_default=True,
              help="Largest LR tile (px) run at once; larger images are tiled.")
@click.option("--overlap", type=click.IntRange(min=0), default=32, show_default=True,
              help="LR pixels neighbouring tiles share (blended, so no seams).")
@click.option("--self-ensemble", is_flag=True,
              help="Average the upscalings of the 8 flips and quarter turns of each image "
                   "(turned back): 8x the time, a little more accuracy.")
@friendly_errors
def upscale(source: str, input_path: str, out_dir: str, tile: int, overlap: int,
            self_ensemble: bool) -> None:
    """Upscale INPUT (an image or a folder of images, any size) with SOURCE, an
    SRGAN run directory or export; PNGs `scale` times larger go to the output folder."""
    from keras_gans.cli.translate import input_files
    for what, p in (("SOURCE", source), ("INPUT", input_path)):
        if not pathlib.Path(p).exists():
            raise FileNotFoundError(f"{what} {p} does not exist: pass "
                                    f"{'an SRGAN run directory or export' if what == 'SOURCE' else 'an image file or a folder of images'}.")
    if tile <= overlap:
        raise ValueError(f"--tile ({tile}) must be larger than --overlap ({overlap}).")
    items = input_files(input_path)
    from keras_gans.data.folders import _has_image_signature
    for p, _ in items:  # before the export is loaded: a wrong file fails at once
        if not _has_image_signature(p):
            raise ValueError(f"Cannot read {p} as an image: pass PNG, JPEG, BMP or GIF files.")
    path, loaded, meta, _ = open_export(source)
    if meta.get("task") != "super_resolution" or not hasattr(loaded, "upscale"):
        raise ValueError(f"{path} is not a super-resolution export (it has no 'upscale' "
                         f"endpoint; this one is {meta.get('model', 'another model')}'s): pass "
                         f"an SRGAN run directory or export.")
    scale = int(meta["scale"])
    from keras_gans.evaluation import superres
    written = upscale_files(superres.export_upscaler(loaded, self_ensemble), items, scale,
                            out_dir, tile, overlap)
    click.echo(f"Upscaled {len(written)} image(s) x{scale}"
               f"{' (x8 self-ensemble)' if self_ensemble else ''} into {out_dir}")
