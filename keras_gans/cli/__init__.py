"""The `keras-gans` command line, and what every command shares: one-line
errors, a quiet TensorFlow start-up, and finding the export of a run directory.

The commands live one module a group (`train`, `generate`, `translate`,
`evaluate`), which import these helpers and never each other; `app` gathers
them into the `main` group (`keras_gans.cli.main`, imported from there on
first use, so this package imports no command). Nothing here imports
TensorFlow at import time, so `keras-gans --help`, `zoo` and argument errors
answer at once.
"""

from __future__ import annotations

import functools
import os
import pathlib
import sys
import tempfile
import warnings
from typing import TYPE_CHECKING, Any, Callable

import click

if TYPE_CHECKING:
    from types import ModuleType

VERBOSE_ENV = "KERAS_GANS_VERBOSE"


def verbose() -> bool:
    """Whether the user asked to see TensorFlow's own logging (`keras-gans
    --verbose`, or KERAS_GANS_VERBOSE=1)."""
    return os.environ.get(VERBOSE_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def import_tensorflow() -> ModuleType:
    """Import TensorFlow (and find its devices) once, keeping its start-up
    logging off the terminal unless `verbose()`.

    TensorFlow prints some lines (oneDNN notices, CUDA probes on a machine
    without a GPU) from C++ before it reads TF_CPP_MIN_LOG_LEVEL, so the only
    way to keep them off the terminal is to point file descriptor 2 elsewhere
    while it starts. What it printed is shown after all if the import fails."""
    try:
        return _import_tensorflow()
    except ImportError as e:
        raise click.ClickException(
            f"TensorFlow cannot be imported ({str(e).strip().splitlines()[0]}): install it with "
            f"`pip install tensorflow` (or tensorflow-cpu).") from None


def _import_tensorflow():
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    if verbose():
        import tensorflow as tf
        return tf
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import tensorflow as tf
            tf.config.list_physical_devices("GPU")  # CUDA probes print here
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return tf


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # The library's own warnings (e.g. skipped unreadable images) are meant for
    # the user: one line, like errors. Others keep Python's format.
    if getattr(category, "__module__", "").startswith("keras_gans"):
        click.echo(f"Warning: {message}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def friendly_errors(fn: Callable[..., Any] | None = None, *,
                    tensorflow: bool = True) -> Callable[..., Any]:
    """Decorator for a command: expected failures become one line `Error: ...`
    (KERAS_GANS_DEBUG=1 shows the traceback); with `tensorflow`, TensorFlow is
    imported quietly before the command runs (after click has parsed and
    checked the arguments, so `--help` and usage errors never wait for it)."""
    if fn is None:
        return functools.partial(friendly_errors, tensorflow=tensorflow)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        warnings.showwarning = _show_warning
        if tensorflow:
            import_tensorflow()
        if os.environ.get("KERAS_GANS_DEBUG"):
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except (ValueError, FileNotFoundError, RuntimeError, OSError) as e:
            message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise click.ClickException(message) from None

    return wrapper


def resolve_export(source: str | pathlib.Path) -> pathlib.Path:
    """An export directory for a run directory or export directory (a run
    without an export is exported from its latest checkpoint first)."""
    from keras_gans import export as export_lib
    from keras_gans.training import train as train_lib
    source = pathlib.Path(source)
    if export_lib.is_export(source):
        return source
    if export_lib.is_export(source / "export"):
        return source / "export"
    model, info = train_lib.load_run(source)
    return train_lib.export_run(model, info)


def open_export(source: str | pathlib.Path) -> tuple:
    """(export path, loaded SavedModel, metadata, model kind) for a run
    directory or an export directory."""
    from keras_gans import export as export_lib
    path = resolve_export(source)
    loaded, meta = export_lib.load(path)
    return path, loaded, meta, meta["kind"]


def __getattr__(name):
    if name == "main":  # the command group, gathered from the command modules
        from keras_gans.cli.app import main
        return main
    raise AttributeError(f"module 'keras_gans.cli' has no attribute {name!r}")
