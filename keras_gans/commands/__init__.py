"""Extra `keras-gans` commands, one module per topic, registered in keras_gans.cli."""

import functools


def friendly_errors(fn):
    """`keras_gans.cli.friendly_errors`, looked up when the command runs (the
    command modules are imported by cli.py, so they cannot import it first)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from keras_gans.cli import friendly_errors as wrap
        return wrap(fn)(*args, **kwargs)

    return wrapper
