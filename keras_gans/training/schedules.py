"""Learning-rate schedules driven by the length of the `fit()` run."""

from __future__ import annotations

import keras
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keras_gans.training.callbacks import RunState


def linear_decay_factor(step: int, total: int, start: float = 0.5) -> float:
    """The multiplier of the base learning rate at `step` (0-based) of `total`:
    1 for the first `start` fraction of training, then falling linearly so that
    the step after the last would have rate 0 (CycleGAN: 100 epochs at the base
    rate, 100 epochs decaying to zero)."""
    total = max(int(total), 1)
    first = int(round(float(start) * total))
    if step < first:
        return 1.0
    decay_steps = total - first
    return max(0.0, (total - step) / decay_steps) if decay_steps > 0 else 0.0


class LinearDecay(keras.callbacks.Callback):
    """Keep each optimizer's base learning rate for the first `start` fraction
    of the `fit()` run, then decay it linearly to zero, updated every step.

    The run's length is `epochs x steps_per_epoch` as `fit()` was called, and
    the position counts from epoch 0, so a run resumed with `initial_epoch`
    continues the same schedule.

    Args:
        base_rates: {optimizer attribute name on the model: base rate}, e.g.
            `{"g_optimizer": 2e-4, "d_optimizer": 2e-4}`.
        start: fraction of training at the base rate (0.5 in the paper).
    """

    def __init__(self, base_rates: dict[str, float], start: float = 0.5,
                 state: RunState | None = None):
        super().__init__()
        # With a `keras_gans.training.callbacks.RunState` (as `keras-gans train` passes),
        # the position is its global step of its total steps, which stays right
        # across resumed runs that start in the middle of an epoch.
        self.state = state
        if not 0.0 <= float(start) <= 1.0:
            raise ValueError(f"The decay start is a fraction of training in [0, 1], not {start}.")
        self.base_rates = dict(base_rates)
        self.start = float(start)
        self.total = None
        self.epoch = 0
        self.factor = 1.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.steps = int(self.params.get("steps") or 1)
        self.total = int(self.params.get("epochs") or 1) * self.steps

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = int(epoch)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.state is not None and self.state.total_steps:
            step, total = self.state.step, self.state.total_steps
        else:
            step, total = self.epoch * self.steps + int(batch), self.total
        self.set_factor(linear_decay_factor(step, total, self.start))

    def set_factor(self, factor: float) -> None:
        """Set every optimizer's rate to its base rate times `factor`."""
        self.factor = factor
        for attr, base in self.base_rates.items():
            getattr(self.model, attr).learning_rate = base * factor
