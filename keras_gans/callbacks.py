"""Keras callbacks used by `keras-gans train` (and usable with `fit()` directly)."""

import math
import pathlib
import re

import numpy as np
import keras

from keras_gans import files


class SampleGrid(keras.callbacks.Callback):
    """Write a PNG grid from fixed inputs (`model.sample_inputs(...)`: latents,
    or images for image-to-image models) after every `every` epochs, so one
    run's grids show the same inputs getting better."""

    def __init__(self, directory, inputs, every=1, prefix="epoch"):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.inputs = inputs
        self.every = max(1, int(every))
        self.prefix = prefix

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 and not getattr(self.model, "diverged_at", None):
            self.write(self.directory / f"{self.prefix}_{epoch + 1:04d}.png")

    def write(self, path):
        return files.save_png(path, self.model.sample_grid(self.inputs))


CKPT_RE = re.compile(r"ckpt-(\d+)\.weights\.h5$")


def checkpoints(directory):
    """[(epoch, path)] of the checkpoints in `directory`, oldest first."""
    directory = pathlib.Path(directory)
    found = []
    for p in directory.glob("ckpt-*.weights.h5"):
        m = CKPT_RE.search(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def latest_checkpoint(directory):
    found = checkpoints(directory)
    return found[-1] if found else (0, None)


class EpochCheckpoint(keras.callbacks.Callback):
    """Save the model's weights (networks, optimizers and the latent RNG state)
    at each epoch end, atomically, keeping the newest `keep`."""

    def __init__(self, directory, keep=3):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.keep = max(1, int(keep))

    def on_epoch_end(self, epoch, logs=None):
        if getattr(self.model, "diverged_at", None):
            return  # never overwrite the last good checkpoint with a diverged one
        path = self.directory / f"ckpt-{epoch + 1:04d}.weights.h5"
        files.atomic_write_file(path, self.model.save_weights)
        for _, old in checkpoints(self.directory)[:-self.keep]:
            old.unlink(missing_ok=True)


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training at the first non-finite loss and remember the step in
    `model.diverged_at` (the caller reports it; checkpoints are not written
    after it)."""

    def __init__(self):
        super().__init__()
        self.step = 0
        self.bad = None

    def on_train_begin(self, logs=None):
        self.model.diverged_at = None

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        for name, value in (logs or {}).items():
            value = float(np.mean(value))
            if not math.isfinite(value):
                self.bad = (name, value)
                self.model.diverged_at = self.step
                self.model.stop_training = True
                return


class StopAtStep(keras.callbacks.Callback):
    """Stop after exactly `steps` training steps (counting from `start`)."""

    def __init__(self, steps, start=0):
        super().__init__()
        self.steps = int(steps)
        self.seen = int(start)

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen >= self.steps:
            self.model.stop_training = True
