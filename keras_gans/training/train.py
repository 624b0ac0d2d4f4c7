"""Training a zoo recipe into a run directory (what `keras-gans train` runs).

RUN_DIR/
    recipe.json        the resolved recipe, data facts and precision
    checkpoints/       step-NNNNNNNN/ every `checkpoint_every` steps and at each epoch
                       end (weights, optimizer states, RNG states, step), atomic
    samples/           epoch_NNNN.png grids from fixed inputs
    logs.csv           per-epoch metric means (epoch 1 = samples/epoch_0001.png)
    steps.csv          per-step metrics (running epoch means) by global step
    tensorboard/       the same for TensorBoard, with sample grids and learning rates
    export/            the SavedModel (see keras_gans.export)

Running again into the same RUN_DIR resumes from the latest checkpoint, mid-epoch
included; Ctrl-C saves a checkpoint before stopping.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import pathlib
import shutil
import sys
from typing import TYPE_CHECKING, Callable, TextIO

import keras
import tensorflow as tf

from keras_gans import data as data_lib
from keras_gans import export as export_lib
from keras_gans import files
from keras_gans.core import CONDITIONAL
from keras_gans.core.model import optimizer_attribute
from keras_gans.training import callbacks as cb
from keras_gans.training import checkpoints as ckpt_lib
from keras_gans.training import distribute, recipes
from keras_gans.training import precision as precision_lib

if TYPE_CHECKING:
    from keras_gans.core.model import ZooModel

SAMPLE_SEED = 1234  # the fixed latents of the per-epoch grids


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


class TrainingInterrupted(RuntimeError):
    """Ctrl-C: a checkpoint was saved; running again resumes."""


@dataclasses.dataclass
class RunInfo:
    """What a run directory's recipe.json records: the recipe, the data's
    image shape and classes, the precision and the seed."""

    run_dir: pathlib.Path
    recipe: recipes.Recipe
    image_shape: tuple
    num_classes: int | None
    policy: str
    seed: int | None

    def to_json(self) -> dict:
        """The record as recipe.json holds it."""
        return {"recipe": self.recipe.to_dict(), "image_shape": list(self.image_shape),
                "num_classes": self.num_classes, "precision": self.policy, "seed": self.seed}

    def save(self) -> None:
        """Write RUN_DIR/recipe.json atomically."""
        text = json.dumps(self.to_json(), indent=2)
        files.atomic_write_file(self.run_dir / "recipe.json",
                                lambda tmp: pathlib.Path(tmp).write_text(text))

    @classmethod
    def load(cls, run_dir: str | pathlib.Path) -> "RunInfo":
        """The record of `run_dir`; a clear error where it has none or a damaged one."""
        run_dir = pathlib.Path(run_dir)
        path = run_dir / "recipe.json"
        if not path.exists():
            raise FileNotFoundError(f"{run_dir} is not a keras-gans run directory (no recipe.json):"
                                    f" pass the --out folder of `keras-gans train`.")
        try:
            raw = json.loads(path.read_text())
            return cls(run_dir, recipes.Recipe.from_dict(raw["recipe"]),
                       tuple(raw["image_shape"]), raw.get("num_classes"),
                       raw.get("precision", "float32"), raw.get("seed"))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"{path} is damaged or not written by keras-gans ({type(e).__name__}: "
                             f"{str(e).splitlines()[0] if str(e) else e!r}): pass the --out folder "
                             f"of `keras-gans train`, or train it again.") from None


# Options that may change between a run and its resumption: how long to train,
# and the optimizers' settings (e.g. a lower learning rate after a divergence;
# every optimizer's `<name>_lr` too).
RESUMABLE = ("epochs", "steps", "keep_checkpoints", "checkpoint_every", "log_every", "samples",
             "beta_1", "beta_2", "eval_metric", "eval_every", "eval_samples")


def resumable(option: str) -> bool:
    """Whether `option` may change when a run is resumed."""
    return option in RESUMABLE or option.endswith("_lr")


def check_resumable(old: RunInfo, recipe: recipes.Recipe, image_shape: tuple[int, ...]) -> None:
    """Raise if `recipe` cannot continue the run recorded in `old`."""
    before = json.loads(json.dumps(old.recipe.options()))
    now = json.loads(json.dumps(recipe.options()))  # tuples -> lists, as stored
    # An option added after the run was recorded (e.g. `pack`) is no change
    # when the run now asks for its default, which is what the old run had.
    defaults = recipes.model_options(recipe.model)
    changed = sorted(k for k in set(before) | set(now)
                     if not resumable(k) and before.get(k) != now.get(k)
                     and not (k not in before and k in defaults
                              and json.loads(json.dumps(defaults[k])) == now.get(k)))
    if old.recipe.model != recipe.model:
        changed.insert(0, "model")
    if not changed and tuple(old.image_shape) != tuple(image_shape):
        changed = ["image shape"]
    if changed:
        raise RuntimeError(
            f"{old.run_dir} holds a run with other settings ("
            f"{'; '.join(f'{k}: {before.get(k)!r} then, {now.get(k)!r} now' for k in changed)}); "
            f"resume it with the same options, or start a new run with another --out.")


def build_model(recipe: recipes.Recipe, image_shape: tuple[int, ...],
                num_classes: int | None = None, seed: int | None = None) -> ZooModel:
    """The recipe's model for data of `image_shape` (and `num_classes`, which
    models of the conditional kind are built for; and the data's name, for a
    model whose constructor takes `data`, such as the toy mixtures')."""
    cls = recipe.model_class
    kwargs = dict(recipe.model_kwargs)
    kwargs["image_shape"] = tuple(image_shape)
    if "data" in inspect.signature(cls.__init__).parameters:
        kwargs["data"] = recipe.data
    if cls.kind == CONDITIONAL:
        if num_classes is None:
            raise data_lib.DataError(f"{cls.__name__} needs labelled data.")
        kwargs["num_classes"] = int(num_classes)
    if seed is not None and kwargs.get("seed") is None:
        kwargs["seed"] = seed
    return cls(**kwargs)


def data_options(recipe: recipes.Recipe) -> dict:
    """The recipe's model options that its class's `load_data` also takes
    (SRGAN's `scale`: the data pairs LR and HR images by it)."""
    params = inspect.signature(recipe.model_class.load_data).parameters
    given = ("name", "batch_size", "image_size", "channels", "seed")  # passed by `run`
    return {k: v for k, v in recipe.model_kwargs.items() if k in params and k not in given}


def compile_model(model: ZooModel, recipe: recipes.Recipe, xla: bool = False) -> ZooModel:
    """`model` compiled with one Adam per optimizer it declares, at the
    recipe's `<name>_lr`, `beta_1` and `beta_2`."""
    t = recipe.train
    model.compile(
        **{optimizer_attribute(n): keras.optimizers.Adam(t[f"{n}_lr"], beta_1=t["beta_1"],
                                                         beta_2=t["beta_2"])
           for n in model.optimizer_names},
        jit_compile=bool(xla))
    return model


def load_run(run_dir: str | pathlib.Path, checkpoint: str | pathlib.Path | None = None) -> tuple:
    """(model with the latest checkpoint's weights, RunInfo) for a run directory."""
    info = RunInfo.load(run_dir)
    precision_lib.apply(info.policy)
    model = compile_model(build_model(info.recipe, info.image_shape, info.num_classes),
                          info.recipe)
    manager = ckpt_lib.CheckpointManager(info.run_dir / "checkpoints", model)
    if manager.restore(checkpoint) is None:
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet: train it first.")
    return model, info


def export_run(model: ZooModel, info: RunInfo,
               out: str | pathlib.Path | None = None) -> pathlib.Path:
    """Export `model` of run `info` to `out` (default RUN_DIR/export) with the
    run's facts (entry, paper, precision, data) in its metadata."""
    out = pathlib.Path(out) if out else info.run_dir / "export"
    return export_lib.export(model, out, metadata={
        "entry": info.recipe.entry, "paper": info.recipe.paper, "precision": info.policy,
        "data": info.recipe.data})


def auto_xla(model_class: type, strategy: tf.distribute.Strategy | None = None) -> bool:
    """XLA default, by measurement (benchmarks/README.md), per device and model:

    - CPU: off, except for models that set `xla_on_cpu = True`. Plain graph mode
      beat jit_compile for DCGAN here (XLA 1.7x slower per step), while CycleGAN's
      step was 1.3x faster with XLA (1107 vs 1443 ms at 64x64; the first step
      takes ~15 s longer to compile), which pays off over any real run, and the
      vanilla MLPs' 1.3x (14.2 vs 18.5 ms; the first step ~2 s longer).
    - GPU and multi-replica strategies: off until measured there.
    """
    if tf.config.list_physical_devices("GPU"):
        return False
    if strategy is not None and strategy.num_replicas_in_sync > 1:
        return False
    return bool(model_class.xla_on_cpu)


def tuned_settings(recipe: recipes.Recipe, image_shape: tuple, strategy: tf.distribute.Strategy,
                   precision: str | None, xla: bool | None, tune: bool = False,
                   seed: int | None = None, log: Callable[[str], None] = print) -> tuple:
    """(precision, xla) with what `keras-gans tune` measured here filled in for
    those the user left to auto; unchanged when nothing was measured."""
    from keras_gans.training import tuning
    open_precision = (precision or "auto") == "auto"
    if not (open_precision or xla is None):
        if tune:
            log("--tune skipped: --precision and --xla are both given.")
        return precision, xla
    if strategy.num_replicas_in_sync > 1:
        if tune:
            log(f"--tune skipped: it times one device, and this run has "
                f"{strategy.num_replicas_in_sync} replicas.")
        return precision, xla
    batch = recipe.train["batch_size"]
    if tune:
        log(f"Tuning {recipe.entry} on this device (batch {batch}): timing each precision "
            f"and XLA setting ...")
        result = tuning.tune(recipe, seed=seed or 0, progress=lambda m: log(f"  {m}"))
        log(tuning.table(result))
        log(f"Stored in {result['stored']}.")
        if seed is not None:
            keras.utils.set_random_seed(int(seed))  # tuning drew numbers; start as untuned
    else:
        result = tuning.lookup(recipe.entry, image_shape, batch, warn=log)
    pick = result and tuning.choose(result, precision, xla)
    if not pick:
        return precision, xla
    chosen = []
    if open_precision:
        precision = pick["precision"]
        chosen.append(f"precision {precision}")
    if xla is None:
        xla = pick["xla"]
        chosen.append(f"XLA {'on' if xla else 'off'}")
    log(f"Using {' and '.join(chosen)}: the fastest that `keras-gans tune` measured on this "
        f"device ({pick['ms_per_step']:.1f} ms/step, {pick['date'][:10]}).")
    return precision, xla


def plural(n: int, word: str) -> str:
    """'1 epoch', '2 epochs'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def run(recipe: recipes.Recipe, out: str | pathlib.Path, precision: str = "auto",
        seed: int | None = None, verbose: int | str = "auto", log: Callable[[str], None] = print,
        strategy: str | tf.distribute.Strategy = "auto", xla: bool | None = None,
        tensorboard: bool = True, restart: bool = False, tune: bool = False) -> tuple:
    """Train `recipe` into run directory `out`; returns (model, RunInfo, History).

    Where `precision` is "auto" or `xla` None, a `keras-gans tune` result
    stored for this device, entry, image shape and batch decides them (`tune`:
    measure first); else the static defaults (`precision.auto_policy`,
    `auto_xla`) do.

    A run directory with checkpoints is resumed from the latest (unless
    `restart`). Raises `TrainingDiverged` on a NaN/inf loss and
    `TrainingInterrupted` on Ctrl-C (after saving a checkpoint).
    """
    out = pathlib.Path(out)
    t = recipe.train
    cls = recipe.model_class
    pack = recipe.model_kwargs.get("pack") or 1
    if isinstance(pack, int) and pack > 1 and t["batch_size"] % pack:
        raise recipes.RecipeError(
            f"batch_size {t['batch_size']} is not a multiple of pack={pack} (D judges groups of "
            f"{pack} samples): use --batch-size {t['batch_size'] // pack * pack or pack} or "
            f"another pack.")
    if (precision or "auto") == "auto" and cls.auto_precision:
        precision = cls.auto_precision  # e.g. float32 for tiny MLPs (ZooModel.auto_precision)
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    strat = distribute.make(strategy) if isinstance(strategy, str) else strategy
    chief = distribute.is_chief()
    data = cls.load_data(recipe.data, batch_size=t["batch_size"], image_size=t["image_size"],
                         channels=t["channels"], seed=seed, **data_options(recipe))
    precision, xla = tuned_settings(recipe, data.image_shape, strat, precision, xla, tune, seed,
                                    log)
    policy = precision_lib.apply(precision)
    xla = auto_xla(cls, strat) if xla is None else bool(xla)
    # The classes the model was built for: none for a model that ignores labels.
    info = RunInfo(out, recipe, data.image_shape,
                   data.num_classes if cls.kind == CONDITIONAL else None, policy, seed)
    if restart and chief:
        # Everything the old run left that a new one would read or extend: its
        # best model by the eval metric (and bests moved aside from earlier
        # metrics) and the scores of its export go too.
        old = [out / n for n in ("checkpoints", "samples", "tensorboard", "logs.csv",
                                 "steps.csv", "best", "evaluation.json")]
        old += sorted(out.glob("best.*")) if out.is_dir() else []
        for target in old:
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(
                missing_ok=True)
    with strat.scope():
        model = compile_model(build_model(recipe, data.image_shape, data.num_classes, seed),
                              recipe, xla)
    manager = ckpt_lib.CheckpointManager(out / "checkpoints", model, keep=t["keep_checkpoints"])
    start_step, latest = manager.latest()
    if latest is not None:
        check_resumable(RunInfo.load(out), recipe, data.image_shape)
    if chief:
        out.mkdir(parents=True, exist_ok=True)
        info.save()

    spe = t["steps_per_epoch"] or data.steps_per_epoch
    total = t["steps"] or t["epochs"] * spe
    if t["steps"]:
        spe = min(spe, total)
    epochs = math.ceil(total / spe)
    if latest is None:
        model.prepare(data.dataset, log=log)
    else:
        manager.restore(latest)
        # The checkpoint restored the old learning rates; the recipe's win.
        for name, optimizer in model.named_optimizers().items():
            optimizer.learning_rate = t[f"{name}_lr"]
        log(f"Resuming {out} from step {start_step} of {total} ({latest.name}).")
    log(f"Training {recipe.entry} ({cls.__name__}) on {data.source}: images "
        f"{'x'.join(map(str, data.image_shape))}"
        f"{f', {data.num_classes} classes' if data.num_classes else ''}, batch {t['batch_size']}, "
        f"{plural(epochs, 'epoch')} x {plural(spe, 'step')}, precision {policy}, "
        f"{distribute.describe(strat)}"
        f"{', XLA' if xla else ''}; run dir {out}")

    state = cb.RunState(step=start_step, total_steps=total, steps_per_epoch=spe,
                        batch_size=t["batch_size"])
    callbacks = [cb.StepCounter(state), cb.DivergenceGuard(state), cb.StopAtStep(state),
                 cb.Throughput(state)]
    if chief:
        callbacks += [
            cb.StepCheckpoint(state, manager, every=t["checkpoint_every"]),
            cb.SampleGrid(out / "samples", model.sample_inputs(data, t["samples"], SAMPLE_SEED),
                          state=state),
            cb.EpochLog(out / "logs.csv", state, append=latest is not None),
            cb.StepLog(state, out / "steps.csv", every=t["log_every"],
                       tensorboard=(out / "tensorboard") if tensorboard else None),
        ]
        if t.get("eval_metric"):  # before the EpochLog, so its value is logged
            from keras_gans import evaluation
            callbacks.insert(-2, evaluation.for_run(model, info, log=log, state=state))

    # The model's own callbacks (e.g. a schedule) run before the loggers see the step.
    callbacks[1:1] = model.training_callbacks(state)

    history = None
    dataset = data.dataset.repeat()
    try:
        if state.step < total:
            history = fit_from_step(model, dataset, state, epochs, callbacks, verbose)
        else:
            log(f"{out} already finished {state.step} steps; exporting.")
    except KeyboardInterrupt:
        if chief and state.step > start_step and not state.diverged_at:
            path = manager.save(state.step, state.step // spe, reason="interrupted")
            raise TrainingInterrupted(f"Interrupted at step {state.step}: saved {path}; run the "
                                      f"same command to resume.") from None
        raise TrainingInterrupted(f"Interrupted at step {state.step}; nothing new to save.") \
            from None
    if state.diverged_at:
        name, value = state.bad
        kept = manager.latest()[1]
        raise TrainingDiverged(
            f"Training diverged at step {state.diverged_at} ({name}={value}); "
            f"the last good checkpoint is {kept or 'none (none was written yet)'}"
            f"{' and the export was left as it was' if (out / 'export').exists() else ''}. "
            f"Lower the learning rates (--g-lr/--d-lr) or use --precision float32, then run "
            f"again to resume from it.")
    path = None
    if chief:
        path = export_run(model, info)
        log(f"Exported SavedModel to {path}")
    return model, info, history


def fit_verbosity(verbose: int | str = "auto", stream: TextIO | None = None) -> int:
    """Keras's `verbose` for `fit`: "auto" is the progress bar (1) on a terminal
    and one line per epoch (2) elsewhere (a log file, a pipe, CI, nohup), where
    the bar's carriage-return updates would pile up in the log."""
    if verbose != "auto":
        return verbose
    stream = sys.stdout if stream is None else stream
    try:
        return 1 if stream.isatty() else 2
    except (AttributeError, ValueError):  # no stdout, or a closed one
        return 2


def fit_from_step(model: ZooModel, dataset: tf.data.Dataset, state: cb.RunState, epochs: int,
                  callbacks: list, verbose: int | str = "auto") -> keras.callbacks.History:
    """`fit` from global step `state.step`: first the rest of a cut-off epoch,
    then whole epochs (Keras cannot start an epoch in its middle)."""
    verbose = fit_verbosity(verbose)
    spe = state.steps_per_epoch
    epoch, done = divmod(state.step, spe)
    history = None
    if done:
        history = model.fit(dataset, epochs=epoch + 1, initial_epoch=epoch,
                            steps_per_epoch=spe - done, callbacks=callbacks, verbose=verbose,
                            shuffle=False)
        epoch += 1
        if model.stop_training or state.step >= state.total_steps:
            return history
    if epoch < epochs:
        history = model.fit(dataset, epochs=epochs, initial_epoch=epoch, steps_per_epoch=spe,
                            callbacks=callbacks, verbose=verbose, shuffle=False)
    return history
