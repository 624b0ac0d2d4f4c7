"""Keras callbacks used by `keras-gans train` (and usable with `fit()` directly).

They share a `RunState` that carries the global step across `fit` calls and
resumed runs: the first of them (`StepCounter`) advances it after each batch.
"""

import csv
import dataclasses
import math
import pathlib
import time

import numpy as np
import keras
import tensorflow as tf

from keras_gans import files


@dataclasses.dataclass
class RunState:
    step: int = 0                 # global training steps done
    total_steps: int | None = None
    steps_per_epoch: int | None = None
    batch_size: int | None = None
    diverged_at: int | None = None
    bad: tuple | None = None      # (metric, value) that diverged
    last_grid: np.ndarray | None = None
    last_saved: int | None = None


def _scalar(value):
    return float(np.mean(keras.ops.convert_to_numpy(value)))


class StepCounter(keras.callbacks.Callback):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_train_batch_end(self, batch, logs=None):
        self.state.step += 1


class DivergenceGuard(keras.callbacks.Callback):
    """Stop at the first non-finite loss or metric, and record where. Under
    mixed_float16 an overflowing *gradient* is not divergence: the loss-scale
    optimizer skips that step and lowers its scale; only a loss that is itself
    non-finite stops training."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            value = _scalar(value)
            if not math.isfinite(value):
                self.state.diverged_at = self.state.step
                self.state.bad = (name, value)
                self.model.stop_training = True
                return


class StopAtStep(keras.callbacks.Callback):
    """Stop once the global step reaches `state.total_steps`."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_train_batch_end(self, batch, logs=None):
        if self.state.total_steps and self.state.step >= self.state.total_steps:
            self.model.stop_training = True


class StepCheckpoint(keras.callbacks.Callback):
    """Checkpoint every `every` global steps (0: only at epoch ends) and at each
    epoch end, never after a divergence (the last good one stays)."""

    def __init__(self, state, manager, every=500):
        super().__init__()
        self.state = state
        self.manager = manager
        self.every = int(every or 0)

    def _save(self):
        if self.state.diverged_at or self.state.last_saved == self.state.step:
            return
        spe = self.state.steps_per_epoch or 1
        self.manager.save(self.state.step, self.state.step // spe)
        self.state.last_saved = self.state.step

    def on_train_batch_end(self, batch, logs=None):
        if self.every and self.state.step % self.every == 0:
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        self._save()


class SampleGrid(keras.callbacks.Callback):
    """Write a PNG grid from fixed inputs (`model.sample_inputs(...)`: latents,
    or images for image-to-image models) after every `every` epochs, so one
    run's grids show the same inputs getting better."""

    def __init__(self, directory, inputs, every=1, prefix="epoch", state=None):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.inputs = inputs
        self.every = max(1, int(every))
        self.prefix = prefix
        self.state = state

    def on_epoch_end(self, epoch, logs=None):
        if self.state is not None and self.state.diverged_at:
            return
        if (epoch + 1) % self.every == 0:
            self.write(self.directory / f"{self.prefix}_{epoch + 1:04d}.png")

    def write(self, path):
        grid = self.model.sample_grid(self.inputs)
        if self.state is not None:
            self.state.last_grid = grid
        return files.save_png(path, grid)


class Throughput(keras.callbacks.Callback):
    """Adds `images_per_sec` (training images per second over the epoch) to the
    epoch's logs, so the progress bar, logs.csv and TensorBoard show it."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_epoch_begin(self, epoch, logs=None):
        self.start = (time.perf_counter(), self.state.step)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start[0]
        steps = self.state.step - self.start[1]
        if logs is not None and seconds > 0 and steps:
            logs["images_per_sec"] = steps * (self.state.batch_size or 0) / seconds


class StepLog(keras.callbacks.Callback):
    """Per-step metrics by global step, to `steps.csv` and (optionally) TensorBoard,
    plus TensorBoard's epoch metrics, sample grids and learning rates.

    On a resumed run, rows past the restored step (work lost with the crash) are
    dropped, so the log continues from the checkpoint."""

    def __init__(self, state, path, every=10, tensorboard=None):
        super().__init__()
        self.state = state
        self.path = pathlib.Path(path)
        self.every = max(1, int(every))
        self.tb_dir = pathlib.Path(tensorboard) if tensorboard else None
        self.writer = None
        self.fields = None

    def on_train_begin(self, logs=None):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            with open(self.path, newline="") as f:
                rows = list(csv.DictReader(f))
            keep = [r for r in rows if int(r["step"]) <= self.state.step]
            if rows:
                self.fields = list(rows[0].keys())
            if len(keep) != len(rows):
                self._rewrite(keep)
        if self.tb_dir is not None and self.writer is None:
            self.writer = tf.summary.create_file_writer(str(self.tb_dir))

    def _rewrite(self, rows):
        def write(tmp):
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=self.fields)
                w.writeheader()
                w.writerows(rows)
        files.atomic_write_file(self.path, write)

    def on_train_batch_end(self, batch, logs=None):
        step = self.state.step
        if step % self.every or not logs:
            return
        values = {k: _scalar(v) for k, v in logs.items()}
        new = not self.path.exists() or self.fields is None
        if self.fields is None:
            self.fields = ["step"] + sorted(values)
        with open(self.path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.fields, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow({"step": step, **values})
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for k, v in values.items():
                    tf.summary.scalar(f"step/{k}", v)

    def on_epoch_end(self, epoch, logs=None):
        if self.writer is None:
            return
        step = self.state.step
        with self.writer.as_default(step=step):
            for k, v in (logs or {}).items():
                tf.summary.scalar(f"epoch/{k}", _scalar(v))
            for name in ("d_optimizer", "g_optimizer"):
                opt = getattr(self.model, name, None)
                if opt is not None:
                    tf.summary.scalar(f"learning_rate/{name[0]}",
                                      _scalar(opt.learning_rate))
            if self.state.last_grid is not None:
                tf.summary.image("samples", self.state.last_grid[None], max_outputs=1)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.flush()
