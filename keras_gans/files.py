"""Files: atomic writes, PNG grids."""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import numpy as np
import tensorflow as tf
from typing import Any, Callable


def current_umask() -> int:
    """The process's umask, read without changing it where the OS can tell
    (Linux's /proc/self/status); elsewhere set and restored at once."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)  # the window only ever narrows permissions
    os.umask(mask)
    return mask


def apply_umask(path: str | pathlib.Path, umask: int | None = None) -> None:
    """Give `path` (and, for a folder, everything inside it) the permissions a
    plain `open`/`mkdir` would: 0666 / 0777 less the umask. `tempfile` makes
    0600 / 0700 files and folders, which other users (a teammate, a serving
    container) could not read once renamed into place."""
    umask = current_umask() if umask is None else umask
    file_mode, dir_mode = 0o666 & ~umask, 0o777 & ~umask
    path = pathlib.Path(path)
    if path.is_dir() and not path.is_symlink():
        for root, dirs, names in os.walk(path):
            for name in dirs:
                if not os.path.islink(os.path.join(root, name)):
                    os.chmod(os.path.join(root, name), dir_mode)
            for name in names:
                if not os.path.islink(os.path.join(root, name)):
                    os.chmod(os.path.join(root, name), file_mode)
        os.chmod(path, dir_mode)
    else:
        os.chmod(path, file_mode)


def atomic_write_dir(path: str | pathlib.Path, write: Callable[[str], Any]) -> pathlib.Path:
    """Call `write(tmp_dir)`, then swap `tmp_dir` in place of `path`.

    A crash while writing leaves any earlier `path` untouched. The swap is two
    renames; if a crash falls between them the old copy stays as `.NAME.old`,
    and `recover_dir(path)` puts it back."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        write(str(tmp))
        apply_umask(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = path.parent / f".{path.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.rename(path, old)
    os.rename(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def recover_dir(path: str | pathlib.Path) -> pathlib.Path:
    """Undo a swap that a crash cut in half (see `atomic_write_dir`)."""
    path = pathlib.Path(path)
    old = path.parent / f".{path.name}.old"
    if not path.exists() and old.exists():
        os.rename(old, path)
    return path


def atomic_write_file(path: str | pathlib.Path, write: Callable[[str], Any]) -> pathlib.Path:
    """Call `write(tmp_path)` then rename it over `path` (atomic on POSIX)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix="".join(path.suffixes) or ".tmp",
                               dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        apply_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def to_uint8(images: np.ndarray | tf.Tensor) -> np.ndarray:
    """[-1, 1] floats -> uint8."""
    images = np.asarray(images, dtype="float32")
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid(images: np.ndarray | tf.Tensor, ncols: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile NHWC images in [-1, 1] into one uint8 HxWxC image."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), 255, np.uint8)
    for i, img in enumerate(images):
        r, q = divmod(i, ncols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h,
            pad + q * (w + pad): pad + q * (w + pad) + w] = img
    return out


def save_png(path: str | pathlib.Path, image: np.ndarray) -> pathlib.Path:
    """Write a uint8 HxWxC image (or NHWC floats in [-1, 1], tiled) as PNG."""
    image = np.asarray(image)
    if image.ndim == 4:
        image = grid(image)
    elif image.dtype != np.uint8:
        image = to_uint8(image)
    data = tf.io.encode_png(image).numpy()
    atomic_write_file(path, lambda tmp: pathlib.Path(tmp).write_bytes(data))
    return pathlib.Path(path)
