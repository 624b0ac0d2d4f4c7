"""Training a zoo recipe into a run directory (what `keras-gans train` runs).

RUN_DIR/
    recipe.json        the resolved recipe, data facts and precision
    checkpoints/       ckpt-EPOCH.weights.h5 (networks, optimizers, RNG state)
    samples/           epoch_NNNN.png grids from one fixed batch of latents
    logs.csv           per-epoch metric means
    export/            the SavedModel (see keras_gans.export)
"""

import dataclasses
import inspect
import json
import math
import pathlib
import time

import keras

from keras_gans import callbacks as cb
from keras_gans import data as data_lib
from keras_gans import export as export_lib
from keras_gans import files, precision as precision_lib, recipes

SAMPLE_SEED = 1234  # the fixed latents of the per-epoch grids


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


@dataclasses.dataclass
class RunInfo:
    run_dir: pathlib.Path
    recipe: recipes.Recipe
    image_shape: tuple
    num_classes: int | None
    policy: str
    seed: int | None

    def to_json(self):
        return {"recipe": self.recipe.to_dict(), "image_shape": list(self.image_shape),
                "num_classes": self.num_classes, "precision": self.policy, "seed": self.seed}

    def save(self):
        text = json.dumps(self.to_json(), indent=2)
        files.atomic_write_file(self.run_dir / "recipe.json",
                                lambda tmp: pathlib.Path(tmp).write_text(text))

    @classmethod
    def load(cls, run_dir):
        run_dir = pathlib.Path(run_dir)
        path = run_dir / "recipe.json"
        if not path.exists():
            raise FileNotFoundError(f"{run_dir} is not a keras-gans run directory (no recipe.json):"
                                    f" pass the --out folder of `keras-gans train`.")
        raw = json.loads(path.read_text())
        return cls(run_dir, recipes.Recipe.from_dict(raw["recipe"]), tuple(raw["image_shape"]),
                   raw.get("num_classes"), raw.get("precision", "float32"), raw.get("seed"))


def build_model(recipe, image_shape, num_classes=None, seed=None):
    """The recipe's model for data of `image_shape` (and `num_classes`)."""
    cls = recipe.model_class
    kwargs = dict(recipe.model_kwargs)
    params = inspect.signature(cls.__init__).parameters
    kwargs["image_shape"] = tuple(image_shape)
    if "num_classes" in params:
        if num_classes is None:
            raise data_lib.DataError(f"{cls.__name__} needs labelled data.")
        kwargs["num_classes"] = int(num_classes)
    if seed is not None and kwargs.get("seed") is None:
        kwargs["seed"] = seed
    return cls(**kwargs)


def compile_model(model, recipe):
    t = recipe.train
    model.compile(
        d_optimizer=keras.optimizers.Adam(t["d_lr"], beta_1=t["beta_1"], beta_2=t["beta_2"]),
        g_optimizer=keras.optimizers.Adam(t["g_lr"], beta_1=t["beta_1"], beta_2=t["beta_2"]))
    return model


def load_run(run_dir, checkpoint=None):
    """(model with the latest checkpoint's weights, RunInfo) for a run directory."""
    info = RunInfo.load(run_dir)
    precision_lib.apply(info.policy)
    model = compile_model(build_model(info.recipe, info.image_shape, info.num_classes),
                          info.recipe)
    epoch, path = (None, checkpoint) if checkpoint else cb.latest_checkpoint(
        info.run_dir / "checkpoints")
    if path is None:
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet: train it first.")
    model.load_weights(str(path))
    return model, info


def export_run(model, info, out=None):
    out = pathlib.Path(out) if out else info.run_dir / "export"
    return export_lib.export(model, out, metadata={
        "entry": info.recipe.entry, "paper": info.recipe.paper, "precision": info.policy,
        "data": info.recipe.data})


def run(recipe, out, precision="auto", seed=None, verbose="auto", log=print):
    """Train `recipe` into run directory `out`; returns (model, RunInfo, History).

    A run directory that already has checkpoints is resumed from the latest.
    """
    out = pathlib.Path(out)
    t = recipe.train
    policy = precision_lib.apply(precision)
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    cls = recipe.model_class
    data = cls.load_data(recipe.data, batch_size=t["batch_size"], image_size=t["image_size"],
                         channels=t["channels"], seed=seed)
    info = RunInfo(out, recipe, data.image_shape, data.num_classes, policy, seed)
    ckpt_dir = out / "checkpoints"
    start_epoch, ckpt = cb.latest_checkpoint(ckpt_dir)
    if ckpt is not None:
        old = RunInfo.load(out)
        if old.recipe.to_dict() != recipe.to_dict() or tuple(old.image_shape) != data.image_shape:
            raise RuntimeError(f"{out} holds a run of a different recipe or data; resume it "
                               f"with its own options or pass a new --out.")
    model = compile_model(build_model(recipe, data.image_shape, data.num_classes, seed), recipe)
    out.mkdir(parents=True, exist_ok=True)
    info.save()

    spe = t["steps_per_epoch"] or data.steps_per_epoch
    if t["steps"]:
        spe = min(spe, t["steps"])
        epochs = math.ceil(t["steps"] / spe)
    else:
        epochs = t["epochs"]
    if ckpt is not None:
        model.load_weights(str(ckpt))
        log(f"Resuming {out} from {ckpt.name} (epoch {start_epoch} of {epochs}).")
    log(f"Training {recipe.entry} ({cls.__name__}) on {data.source}: images "
        f"{'x'.join(map(str, data.image_shape))}"
        f"{f', {data.num_classes} classes' if data.num_classes else ''}, batch {t['batch_size']}, "
        f"{epochs} epochs x {spe} steps, precision {policy}; run dir {out}")

    guard = cb.DivergenceGuard()
    callbacks = [
        guard,
        cb.EpochCheckpoint(ckpt_dir, keep=t["keep_checkpoints"]),
        cb.SampleGrid(out / "samples", model.sample_inputs(data, t["samples"], SAMPLE_SEED)),
        keras.callbacks.CSVLogger(str(out / "logs.csv"), append=ckpt is not None),
    ]
    if t.get("eval_metric"):  # before the CSVLogger, so its value is logged
        from keras_gans import evaluation
        callbacks.insert(1, evaluation.for_run(model, info, data, log=log))
    if t["steps"]:
        callbacks.append(cb.StopAtStep(t["steps"], start=start_epoch * spe))
    history = None
    if start_epoch < epochs:
        started = time.time()
        history = model.fit(data.dataset.repeat(), epochs=epochs, steps_per_epoch=spe,
                            initial_epoch=start_epoch, callbacks=callbacks, verbose=verbose,
                            shuffle=False)
        if getattr(model, "diverged_at", None):
            name, value = guard.bad
            kept = cb.latest_checkpoint(ckpt_dir)[1]
            raise TrainingDiverged(
                f"Training diverged at step {model.diverged_at} ({name}={value}); "
                f"the last good checkpoint is {kept or 'none (no epoch finished)'}. "
                f"Lower the learning rates (--g-lr/--d-lr) or use --precision float32.")
        log(f"Trained in {time.time() - started:.1f}s.")
    else:
        log(f"{out} already finished {start_epoch} epochs; exporting.")
    path = export_run(model, info)
    log(f"Exported SavedModel to {path}")
    return model, info, history
