"""`ZooModel`: the shape every zoo model has, whatever it learns.

A zoo model is a `keras.Model` that declares

    kind             what it maps from what: `LATENT` (noise to images),
                     `CONDITIONAL` (noise and a class to images), `TRANSLATOR`
                     (images to images) or `LIKELIHOOD` (a model trained on a
                     likelihood bound, such as the VAE);
    optimizer_names  its optimizers, any number, by name: optimizer "g" is the
                     attribute `g_optimizer`, the `compile(g_optimizer=...)`
                     argument and the recipe's learning rate `g_lr`;
    metric_names     the `keras.metrics.Mean` trackers its `train_step` fills;

and answers what training, checkpoints, logging, evaluation, export and the CLI
ask of it (`variables_for`, `load_data`, `sample_inputs`, `sample_grid`,
`export_endpoints`, `export_metadata`). Nothing outside the model guesses what
it is: they read `kind` and `optimizer_names`.

What is the same for all of them lives here, once: compiling the optimizers
(loss scaling under float16, slots built under the strategy's scope), one
gradient step averaged over the global batch (`apply_update`), the trackers,
the learning-rate decay, and the image-shape check.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import keras
from typing import TYPE_CHECKING, Any, Callable

from keras_gans.core.kinds import CONDITIONAL, KINDS, LATENT, LIKELIHOOD, TRANSLATOR  # noqa: F401

if TYPE_CHECKING:
    from keras_gans.data import ImageData
    from keras_gans.training.callbacks import RunState


def replica_context() -> tuple[int, int]:
    """(replica index, replicas in sync); (0, 1) outside a strategy."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context: not inside a train step
        return 0, 1
    return ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync


def all_layers(model: keras.layers.Layer) -> list:
    """`model` and every layer inside it, through the public `Model.layers` of
    nested models."""
    found, stack, seen = [], [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        found.append(layer)
        if isinstance(layer, keras.Model):
            stack.extend(layer.layers)
    return found


def first_batch_norm(model: keras.layers.Layer) -> str | None:
    """The name of the first batch-norm layer in `model` (nested models too),
    or None: for options that need a network treating each image on its own."""
    return next((layer.name for layer in all_layers(model)
                 if isinstance(layer, keras.layers.BatchNormalization)), None)


def uses_float16(model: keras.layers.Layer) -> bool:
    """True when any layer of `model` computes in float16 (needs loss scaling)."""
    return any(getattr(layer.dtype_policy, "compute_dtype", None) == "float16"
               for layer in all_layers(model))


def default_optimizer() -> keras.optimizers.Optimizer:
    """Adam(2e-4, beta_1=0.5): the DCGAN paper's settings, every optimizer's default."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def optimizer_attribute(name: str) -> str:
    """The model attribute (and `compile` argument) of optimizer `name`: "g" -> "g_optimizer"."""
    return f"{name}_optimizer"


class ZooModel(keras.Model):
    """Base of every zoo model: named optimizers, updates, trackers, contracts.

    Args:
        seed: seed of the model's random draws (a `keras.random.SeedGenerator`).
        lr_decay_start: fraction of a `keras-gans train` run at the base
            learning rates, after which all decay linearly to zero by the last
            step (`keras_gans.training.schedules.LinearDecay`); 1 for constant rates.
    """

    kind: str = ""
    optimizer_names: tuple[str, ...] = ()
    metric_names: tuple[str, ...] = ()
    # Defaults of `keras-gans train` options for this model (e.g. CycleGAN's batch of 1).
    train_defaults: dict = {}
    # Whether XLA pays off for this model's step on a CPU (see training.train.auto_xla).
    xla_on_cpu = False
    # What `--precision auto` means for this model: None, by the device
    # (`keras_gans.training.precision.auto_policy`); or a policy name, e.g.
    # "float32" for models too small to gain from mixed precision.
    auto_precision: str | None = None
    # How `check_images` names the expected shape.
    image_shape_owner = "the model was built for"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("keras_gans."):  # serializable by name, no decorator
            keras.saving.register_keras_serializable(package="keras_gans")(cls)

    def __init__(self, seed: int | None = None, lr_decay_start: float = 1.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.kind not in KINDS:
            raise TypeError(f"{type(self).__name__}.kind must be one of {', '.join(KINDS)}, "
                            f"not {self.kind!r}.")
        self.seed = seed
        # (Named latent_seed for every kind: checkpoints store it under that name.)
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        if not 0.0 <= float(lr_decay_start) <= 1.0:
            raise ValueError(f"lr_decay_start is a fraction of training in [0, 1] (1: no "
                             f"decay), not {lr_decay_start}.")
        self.lr_decay_start = float(lr_decay_start)
        self.initial_learning_rates: dict[str, float] = {}
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        for name in self.optimizer_names:
            setattr(self, optimizer_attribute(name), None)

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        """Keras's config plus `seed`, `lr_decay_start` and the entry's
        `hparams` (the constructor arguments it records)."""
        return {**super().get_config(), "seed": self.seed,
                "lr_decay_start": self.lr_decay_start, **getattr(self, "hparams", {})}

    # ------------------------------------------------------------- optimizers
    def variables_for(self, name: str) -> list:
        """The variables optimizer `name` trains."""
        raise NotImplementedError(f"{type(self).__name__} must say what optimizer {name!r} "
                                  f"trains (variables_for).")

    def named_optimizers(self) -> dict[str, keras.optimizers.Optimizer | None]:
        """{optimizer name: the compiled optimizer (None before compile)}."""
        return {n: getattr(self, optimizer_attribute(n)) for n in self.optimizer_names}

    def compile(self, **kwargs: Any) -> None:
        """Set the optimizers, `<name>_optimizer=...` for each of
        `optimizer_names` (Adam 2e-4, beta_1 0.5 where omitted); other
        arguments go to `keras.Model.compile` (e.g. `jit_compile`).

        Under a `mixed_float16` policy each optimizer is wrapped in a
        `keras.optimizers.LossScaleOptimizer`. Create the model and call
        `compile` inside `strategy.scope()` when training distributed.
        """
        given = {n: kwargs.pop(optimizer_attribute(n), None) for n in self.optimizer_names}
        kwargs.pop("optimizer", None)
        super().compile(optimizer=None, **kwargs)
        scale = uses_float16(self)
        for name, optimizer in given.items():
            optimizer = optimizer or default_optimizer()
            if isinstance(optimizer, str):
                optimizer = keras.optimizers.get(optimizer)
            if scale and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            setattr(self, optimizer_attribute(name), optimizer)
            # Build the slots now, under whatever strategy scope is active.
            optimizer.build(self.variables_for(name))
        # The schedule's base rates: read now, before a checkpoint may restore
        # an already decayed rate.
        self.initial_learning_rates = {
            optimizer_attribute(n): float(keras.ops.convert_to_numpy(o.learning_rate))
            for n, o in self.named_optimizers().items()}

    def require_compiled(self) -> None:
        """Raise a RuntimeError naming `compile`'s arguments if it was not called."""
        if any(o is None for o in self.named_optimizers().values()):
            names = ", ".join(f"{optimizer_attribute(n)}=..." for n in self.optimizer_names)
            raise RuntimeError(f"Call compile({names}) before fit().")

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras builds an unbuilt model symbolically from a first batch, which it
        # first reduces across replicas: that reduction fails under
        # MultiWorkerMirroredStrategy. Our networks are built at construction and
        # the optimizers in compile(), so there is nothing to build.
        # (tests/test_base.py checks that Keras still calls this.)
        if all(layer.built for layer in all_layers(self)) and all(
                o is not None for o in self.named_optimizers().values()):
            return None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def training_callbacks(self, state: RunState | None = None) -> list:
        """Extra Keras callbacks `keras-gans train` adds to `fit()` for this
        model: the linear learning-rate decay of every optimizer when
        `lr_decay_start` < 1. `state` is the run's
        `keras_gans.training.callbacks.RunState` (global step, total steps)."""
        if self.lr_decay_start >= 1.0:
            return []
        from keras_gans.training import schedules
        return [schedules.LinearDecay(self.initial_learning_rates, start=self.lr_decay_start,
                                      state=state)]

    # ------------------------------------------------------------ the update
    def apply_update(self, optimizer: keras.optimizers.Optimizer, variables: list,
                     loss_fn: Callable[[], tuple[tf.Tensor, dict]],
                     tape: tf.GradientTape | None = None) -> tuple[tf.Tensor, dict]:
        """One gradient step on `variables`: the loss is averaged over the
        global batch, scaled under float16, and unscaled by the optimizer
        (which also skips steps with non-finite gradients).

        `loss_fn()` returns (per-example loss, {name: value to log});
        returns this replica's mean loss and those values. `tape`: a tape
        that already recorded part of the computation (e.g. G's forward pass
        shared with D's step), resumed for the loss; a new one by default."""
        tape = tape or tf.GradientTape()
        with tape:
            per_example, logs = loss_fn()
            loss = tf.nn.compute_average_loss(per_example)
            if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
                scaled = optimizer.scale_loss(loss)
            else:
                scaled = loss
        grads = tape.gradient(scaled, variables)
        optimizer.apply(grads, variables)
        # Log this replica's own mean (the averaged loss is 1/replicas of it).
        return tf.reduce_mean(per_example), logs

    def update(self, name: str, loss_fn: Callable[[], tuple[tf.Tensor, dict]],
               tape: tf.GradientTape | None = None) -> tuple[tf.Tensor, dict]:
        """`apply_update` with optimizer `name` on `variables_for(name)`."""
        return self.apply_update(getattr(self, optimizer_attribute(name)),
                                 self.variables_for(name), loss_fn, tape=tape)

    def replica_normal(self, batch_size: int | tf.Tensor, tail: list[int]) -> tf.Tensor:
        """Standard-normal draws of shape (batch_size, *tail) for this replica's
        part of the batch, from the model's seed generator.

        Every replica draws the whole global batch from the same seed and keeps
        its own slice, so replicas get different draws and a run on N replicas
        sees exactly the draws of a one-device run."""
        replica, replicas = replica_context()
        seed = self.seed_generator.next()
        draws = tf.random.stateless_normal([batch_size * replicas, *tail], seed=seed)
        if replicas == 1:
            return draws
        return draws[replica * batch_size:(replica + 1) * batch_size]

    @property
    def metrics(self) -> list:
        return list(self.trackers.values())

    def add_tracker(self, name: str) -> None:
        """Track `name` too (a `keras.metrics.Mean` in `metrics` and the progress
        bar), for a term an option switches on; a name already tracked is kept."""
        if name not in self.trackers:
            self.trackers[name] = keras.metrics.Mean(name=name)
            self.metric_names = (*self.metric_names, name)

    def record(self, logs: dict) -> dict:
        """Update the trackers named in `logs`; returns every tracker's result."""
        for name, value in logs.items():
            if name in self.trackers:
                self.trackers[name].update_state(value)
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Scalar logs break MultiWorkerMirroredStrategy (tensorflow#72388).
            results = {k: tf.reshape(v, [1]) for k, v in results.items()}
        return results

    def check_images(self, real: tf.Tensor) -> None:
        """Raise a ValueError when a batch's images are not `image_shape`."""
        expected = tuple(self.image_shape)
        got = tuple(real.shape[1:])
        if None not in got and got != expected:
            raise ValueError(
                f"The data's images have shape {got} but {self.image_shape_owner} {expected}: "
                f"load the data at the model's size (image_size/channels) or build the model "
                f"for image_shape={got}.")

    # -------------------------------------------------- what others ask of it
    @classmethod
    def load_data(cls, name: str, **kwargs: Any) -> ImageData:
        """The `ImageData` this model trains on (`keras_gans.data.load` kwargs)."""
        from keras_gans import data as data_lib
        return data_lib.load(name, **kwargs)

    def prepare(self, dataset: Any, log: Any = None) -> None:
        """What a model learns from its training data before training starts
        (`keras-gans train` calls it on a new run's data, one pass; nothing
        here; ClusteredGAN fits its clusters)."""

    def sample_inputs(self, data: ImageData, n: int, seed: int) -> Any:
        """Fixed inputs for the per-epoch sample grids."""
        raise NotImplementedError

    def sample_grid(self, inputs: Any) -> "np.ndarray":  # noqa: F821
        """One uint8 HxWxC picture of the model's output for `sample_inputs`."""
        raise NotImplementedError

    def predict_batches(self, inputs: np.ndarray | dict[str, np.ndarray],
                        batch_size: int = 256) -> np.ndarray:
        """`self(inputs)` in batches of `batch_size`, as one float32 numpy array;
        `inputs` is an array or a dict of arrays of equal length."""
        n = len(next(iter(inputs.values())) if isinstance(inputs, dict) else inputs)
        take = (lambda i: {k: v[i:i + batch_size] for k, v in inputs.items()}) \
            if isinstance(inputs, dict) else (lambda i: inputs[i:i + batch_size])
        out = [keras.ops.convert_to_numpy(self(take(i), training=False))
               for i in range(0, n, batch_size)]
        return np.concatenate(out).astype("float32")

    def export_endpoints(self) -> dict:
        """{name: (function, input_signature)} for the SavedModel export."""
        raise NotImplementedError

    def export_metadata(self) -> dict:
        """Facts a user of the export needs, stored with it (`keras_gans.json`)."""
        return {"image_shape": [int(s) for s in self.image_shape],
                "model": type(self).__name__, "kind": self.kind}
