"""Keras callbacks used by `keras-gans train` (and usable with `fit()` directly).

They share a `RunState` that carries the global step across `fit` calls and
resumed runs: the first of them (`StepCounter`) advances it after each batch.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import pathlib
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import keras
import tensorflow as tf

from keras_gans import files

if TYPE_CHECKING:
    from keras_gans.training.checkpoints import CheckpointManager


@dataclasses.dataclass
class RunState:
    """What the callbacks of one run share: the global step and its bounds,
    where training diverged, the last sample grid and checkpoint."""

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
    """Advance `state.step` after every batch (the first of the callbacks)."""

    def __init__(self, state: RunState):
        super().__init__()
        self.state = state

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.state.step += 1


class DivergenceGuard(keras.callbacks.Callback):
    """Stop at the first non-finite loss or metric, and record where. Under
    mixed_float16 an overflowing *gradient* is not divergence: the loss-scale
    optimizer skips that step and lowers its scale; only a loss that is itself
    non-finite stops training."""

    def __init__(self, state: RunState):
        super().__init__()
        self.state = state

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for name, value in (logs or {}).items():
            value = _scalar(value)
            if not math.isfinite(value):
                self.state.diverged_at = self.state.step
                self.state.bad = (name, value)
                self.model.stop_training = True
                return


class StopAtStep(keras.callbacks.Callback):
    """Stop once the global step reaches `state.total_steps`."""

    def __init__(self, state: RunState):
        super().__init__()
        self.state = state

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.state.total_steps and self.state.step >= self.state.total_steps:
            self.model.stop_training = True


class StepCheckpoint(keras.callbacks.Callback):
    """Checkpoint every `every` global steps (0: only at epoch ends) and at each
    epoch end, never after a divergence (the last good one stays)."""

    def __init__(self, state: RunState, manager: CheckpointManager, every: int = 500):
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

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.every and self.state.step % self.every == 0:
            self._save()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._save()


class SampleGrid(keras.callbacks.Callback):
    """Write a PNG grid from fixed inputs (`model.sample_inputs(...)`: latents,
    or images for image-to-image models) after every `every` epochs, so one
    run's grids show the same inputs getting better."""

    def __init__(self, directory: str | pathlib.Path, inputs: Any, every: int = 1,
                 prefix: str = "epoch", state: RunState | None = None):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.inputs = inputs
        self.every = max(1, int(every))
        self.prefix = prefix
        self.state = state

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.state is not None and self.state.diverged_at:
            return
        if (epoch + 1) % self.every == 0:
            self.write(self.directory / f"{self.prefix}_{epoch + 1:04d}.png")

    def write(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the grid of `inputs` to `path`; returns the path."""
        grid = self.model.sample_grid(self.inputs)
        if self.state is not None:
            self.state.last_grid = grid
        return files.save_png(path, grid)


class Throughput(keras.callbacks.Callback):
    """Adds `images_per_sec` (training images per second over the epoch) to the
    epoch's logs, so the progress bar, logs.csv and TensorBoard show it."""

    def __init__(self, state: RunState):
        super().__init__()
        self.state = state

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = (time.perf_counter(), self.state.step)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seconds = time.perf_counter() - self.start[0]
        steps = self.state.step - self.start[1]
        if logs is not None and seconds > 0 and steps:
            logs["images_per_sec"] = steps * (self.state.batch_size or 0) / seconds


class EpochLog(keras.callbacks.Callback):
    """Per-epoch metric means to a CSV file (`logs.csv`), epochs counted from 1
    like the sample grids (`epoch_0001.png` and row 1 are the same epoch).

    Unlike `keras.callbacks.CSVLogger` it adds no `val_*` columns (a GAN's fit
    has no validation data, so they were always NA), and a metric that first
    appears in a later epoch (e.g. `eval_fd` with `eval_every` > 1) gets its
    column. With `append` (a resumed run) rows continue the file; rows past the
    restored step's last whole epoch (work lost with a crash) are dropped."""

    MISSING = "NA"

    def __init__(self, path: str | pathlib.Path, state: RunState | None = None,
                 append: bool = False):
        super().__init__()
        self.path = pathlib.Path(path)
        self.state = state
        self.append = append
        self.fields = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.append:  # a new run: start the file afresh, then append
            self.path.unlink(missing_ok=True)
            self.append = True
            self.fields = None
            return
        if self.fields is not None or not self.path.exists():
            return
        with open(self.path, newline="") as f:
            reader = csv.DictReader(f)
            rows, self.fields = list(reader), reader.fieldnames
        if not self.fields:
            self.fields = None
            return
        changed = False
        legacy = [k for k in self.fields if k.startswith("val_")]
        if legacy and all(r.get(k) in (self.MISSING, "", None) for r in rows for k in legacy):
            # Written by Keras's CSVLogger (before 1-based rows): renumber, drop val_*.
            self.fields = [k for k in self.fields if k not in legacy]
            rows = [{**{k: r.get(k) for k in self.fields}, "epoch": int(r["epoch"]) + 1}
                    for r in rows]
            changed = True
        if self.state is not None and self.state.steps_per_epoch:
            done = self.state.step // self.state.steps_per_epoch
            keep = [r for r in rows if int(r["epoch"]) <= done]
            changed, rows = changed or len(keep) != len(rows), keep
        if changed:
            self._rewrite(rows)

    def _rewrite(self, rows):
        def write(tmp):
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=self.fields, restval=self.MISSING,
                                   extrasaction="ignore")
                w.writeheader()
                w.writerows(rows)
        files.atomic_write_file(self.path, write)

    @staticmethod
    def _value(value):
        if isinstance(value, str):
            return value
        try:
            return _scalar(value)
        except (TypeError, ValueError):
            return str(value)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = {k: self._value(v) for k, v in (logs or {}).items()}
        row = {"epoch": epoch + 1, **values}
        new = [k for k in sorted(values) if self.fields is None or k not in self.fields]
        if self.fields is None or not self.path.exists():
            self.fields = ["epoch"] + sorted(values)
            self._rewrite([row])
            return
        if new:  # a new column: rewrite the file with it (NA in earlier rows)
            with open(self.path, newline="") as f:
                rows = list(csv.DictReader(f))
            self.fields += new
            self._rewrite(rows + [row])
            return
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=self.fields, restval=self.MISSING,
                           extrasaction="ignore").writerow(row)


class StepLog(keras.callbacks.Callback):
    """Per-step metrics by global step, to `steps.csv` and (optionally) TensorBoard,
    plus TensorBoard's epoch metrics, sample grids and learning rates.

    On a resumed run, rows past the restored step (work lost with the crash) are
    dropped, so the log continues from the checkpoint."""

    def __init__(self, state: RunState, path: str | pathlib.Path, every: int = 10,
                 tensorboard: str | pathlib.Path | None = None):
        super().__init__()
        self.state = state
        self.path = pathlib.Path(path)
        self.every = max(1, int(every))
        self.tb_dir = pathlib.Path(tensorboard) if tensorboard else None
        self.writer = None
        self.fields = None

    def on_train_begin(self, logs: dict | None = None) -> None:
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

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
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

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.writer is None:
            return
        step = self.state.step
        with self.writer.as_default(step=step):
            for k, v in (logs or {}).items():
                tf.summary.scalar(f"epoch/{k}", _scalar(v))
            named = getattr(self.model, "named_optimizers", dict)()
            for name, opt in named.items():
                if opt is not None:
                    tf.summary.scalar(f"learning_rate/{name}", _scalar(opt.learning_rate))
            if self.state.last_grid is not None:
                tf.summary.image("samples", self.state.last_grid[None], max_outputs=1)
        self.writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.writer is not None:
            self.writer.flush()


class EpochMetrics(keras.callbacks.Callback):
    """Add `compute()`'s {name: number} to each epoch's logs (every `every`
    epochs), so the progress bar, logs.csv and TensorBoard show them: e.g. the
    toy entry's modes covered, share of high-quality samples and reverse KL.
    Place it before the loggers (a model's `training_callbacks` are)."""

    def __init__(self, compute: Any, every: int = 1, state: RunState | None = None):
        super().__init__()
        self.compute = compute
        self.every = max(1, int(every))
        self.state = state

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (self.state is not None and self.state.diverged_at) or (epoch + 1) % self.every:
            return
        values = self.compute()
        if logs is not None:
            logs.update({k: float(v) for k, v in values.items()})
