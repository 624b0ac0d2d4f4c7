"""Training checkpoints that survive crashes.

A checkpoint is a folder `step-NNNNNNNN/` holding
    model.weights.h5   every weight of the model and of its compiled optimizers
    extra.npz          the other model state Keras leaves out of weights files
                       (the random-number generators' states, e.g. the latents')
    state.json         the global step and epoch it was taken at
written to a temporary folder and renamed into place, so a crash (even SIGKILL)
leaves either the whole checkpoint or none of it.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
from typing import TYPE_CHECKING

import numpy as np

from keras_gans import files

if TYPE_CHECKING:
    import keras

PATTERN = re.compile(r"^step-(\d+)$")


def _extra_variables(model):
    """Variables of the model that `save_weights` does not store, by path."""
    in_weights = {id(v) for v in model.weights}
    out = {}
    for v in model.variables:
        if id(v) not in in_weights:
            out[v.path] = v
    return out


class CheckpointManager:
    """The checkpoints of one run in `directory`: save (keeping the newest
    `keep`), find and restore them."""

    def __init__(self, directory: str | pathlib.Path, model: keras.Model, keep: int = 3):
        self.directory = pathlib.Path(directory)
        self.model = model
        self.keep = max(1, int(keep))

    def all(self) -> list[tuple[int, pathlib.Path]]:
        """[(step, path)] oldest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for p in self.directory.iterdir():
            m = PATTERN.match(p.name)
            if m and (p / "state.json").exists():
                found.append((int(m.group(1)), p))
        return sorted(found)

    def latest(self) -> tuple[int, pathlib.Path | None]:
        """(step, path) of the newest checkpoint, or (0, None)."""
        found = self.all()
        return found[-1] if found else (0, None)

    def save(self, step: int, epoch: int, **info) -> pathlib.Path:
        """Write a checkpoint for global `step`; returns its path."""
        model = self.model
        state = {"step": int(step), "epoch": int(epoch), **info}

        def write(tmp):
            tmp = pathlib.Path(tmp)
            model.save_weights(str(tmp / "model.weights.h5"))
            extra = {k: np.asarray(v.numpy()) for k, v in _extra_variables(model).items()}
            np.savez(tmp / "extra.npz", **{k.replace("/", "|"): v for k, v in extra.items()})
            (tmp / "state.json").write_text(json.dumps(state, indent=2))

        path = files.atomic_write_dir(self.directory / f"step-{int(step):08d}", write)
        for _, old in self.all()[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return path

    def restore(self, path: str | pathlib.Path | None = None) -> dict | None:
        """Load a checkpoint (the latest by default) into the model; returns its
        state dict, or None when there is none."""
        if path is None:
            _, path = self.latest()
            if path is None:
                return None
        path = pathlib.Path(path)
        self.model.load_weights(str(path / "model.weights.h5"))
        extra_file = path / "extra.npz"
        if extra_file.exists():
            variables = _extra_variables(self.model)
            with np.load(extra_file) as saved:
                for key in saved.files:
                    name = key.replace("|", "/")
                    if name in variables:
                        variables[name].assign(saved[key])
        return json.loads((path / "state.json").read_text())
