"""Zoo recipes: a small TOML file laid over in-code defaults.

A recipe names a model class and sets some of its constructor arguments and of
the training options below; everything it leaves out keeps the default declared
in code. A key that is neither fails loudly, listing the valid ones.

    model = "DCGAN"                # a class of keras_gans.models (case, _ and - ignored)
    paper = "Radford et al. 2016"  # shown by `keras-gans zoo`
    url = "https://arxiv.org/abs/1511.06434"
    data = "mnist5k"               # default --data

    [hparams]                      # constructor arguments of the class
    latent_dim = 100

    [train]                        # TRAIN_DEFAULTS below, and a learning rate
    batch_size = 128               # `<name>_lr` per optimizer the model declares
    d_lr = 0.0002                  # (d_lr and g_lr for the GANs)
"""

from __future__ import annotations

import copy
import dataclasses
import math
import pathlib
import tomllib
from typing import Any

from keras_gans import models

# Training options every entry has: name -> (default, help).
TRAIN_DEFAULTS = {
    "batch_size": (64, "images per training step"),
    "epochs": (5, "passes over the data"),
    "steps": (None, "total training steps (overrides epochs)"),
    "steps_per_epoch": (None, "steps between epoch ends (default: one pass over the data)"),
    "beta_1": (0.5, "Adam beta_1"),
    "beta_2": (0.999, "Adam beta_2"),
    "image_size": (None, "resize the data to this size (default: as stored)"),
    "channels": (None, "convert the data to 1 or 3 channels (default: as stored)"),
    "samples": (64, "images in each epoch's sample grid"),
    "keep_checkpoints": (3, "checkpoints kept in RUN_DIR/checkpoints"),
    "checkpoint_every": (500, "steps between checkpoints (also one at each epoch end; 0: only those)"),
    "log_every": (10, "steps between rows of steps.csv / TensorBoard step scalars"),
    "eval_metric": ("", "metric (fd, fid, kid, ...) that picks RUN_DIR/best/ (empty: off)"),
    "eval_every": (1, "epochs between evaluations of eval_metric"),
    "eval_samples": (1000, "generated (and real) images per evaluation"),
}
# Every optimizer a model declares (`optimizer_names`) gets a learning rate.
LEARNING_RATE = (2e-4, "learning rate of the {} optimizer (Adam)")
OPTIMIZER_ROLES = {"d": "discriminator", "g": "generator", "vae": "encoder and decoder"}
TOP_LEVEL = ("model", "paper", "url", "data", "description", "hparams", "train")
# Constructor arguments filled from the data, never from a recipe.
FROM_DATA = ("image_shape", "num_classes")
NOT_OPTIONS = models.NOT_OPTIONS


class RecipeError(ValueError):
    """A recipe or override is wrong; the message lists what is valid."""


def zoo_dir() -> pathlib.Path:
    """Folder of the zoo recipes: `zoo/` beside the package in a source
    checkout (the folder with setup.py), else the installed `keras_gans.zoo`."""
    root = pathlib.Path(__file__).resolve().parents[2]
    if (root / "setup.py").is_file() and (root / "zoo").is_dir():
        return root / "zoo"
    try:
        from importlib import resources
        return pathlib.Path(str(resources.files("keras_gans.zoo")))
    except (ModuleNotFoundError, TypeError):
        return root / "zoo"


def entries() -> list[str]:
    """Names of the zoo's entries."""
    return sorted(p.stem for p in zoo_dir().glob("*.toml"))


def train_options(model: str) -> dict:
    """{training option: (default, help)} for model class `model`: every
    entry's `TRAIN_DEFAULTS` and a `<name>_lr` per optimizer it declares."""
    rates = {f"{n}_lr": (LEARNING_RATE[0], LEARNING_RATE[1].format(OPTIMIZER_ROLES.get(n, n)))
             for n in models.optimizer_names(model)}
    return {**TRAIN_DEFAULTS, **rates}


def model_options(cls_or_name: type | str) -> dict:
    """{name: default} of a model class's constructor arguments a recipe can set
    (given the class, or its name: then without importing it)."""
    if isinstance(cls_or_name, str):
        return models.options(cls_or_name)
    return models.inspected_options(cls_or_name)


@dataclasses.dataclass
class Recipe:
    """A resolved recipe: the entry, its model class name, the paper, the
    default data, the constructor arguments and the training options."""

    entry: str
    model: str
    paper: str
    url: str
    data: str
    description: str
    model_kwargs: dict
    train: dict

    @property
    def model_class(self) -> type:
        """The model class (imports it, so TensorFlow)."""
        return models.get(self.model)

    def options(self) -> dict:
        """All settable names -> current values (model and train)."""
        return {**self.model_kwargs, **self.train, "data": self.data}

    def to_dict(self) -> dict:
        """The recipe as a JSON-able dict (recipe.json)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Recipe":
        """The recipe `to_dict` wrote."""
        return cls(**d)

    def override(self, overrides: dict) -> "Recipe":
        """A copy with `{name: value}` applied; values may be strings from the CLI."""
        new = copy.deepcopy(self)
        defaults_model = model_options(self.model)
        train = train_options(self.model)
        for name, value in overrides.items():
            key = name.replace("-", "_")
            if key == "data":
                new.data = str(value)
            elif key in defaults_model:
                new.model_kwargs[key] = parse_value(key, value, defaults_model[key])
            elif key in train:
                new.train[key] = check_train_option(
                    key, parse_value(key, value, train[key][0]), train[key][1])
            else:
                raise RecipeError(
                    f"Unknown option {name!r} for {self.entry} ({self.model}): valid options are "
                    f"{', '.join(sorted(set(defaults_model) | set(train) | {'data'}))}.")
        keys = {name.replace("-", "_") for name in overrides}
        if "epochs" in keys and "steps" not in keys:
            # `--epochs N` over a recipe that counts steps: the user's epochs decide
            new.train["steps"] = None
        return new


# What each training option may be: (test, description). A value outside it
# would fail later with a traceback (a division by zero for `samples = 0`) or
# silently train wrong (a negative learning rate), so it is a RecipeError.
def _whole(low, none_ok=False):
    def test(v):
        if v is None:
            return none_ok
        return isinstance(v, int) and not isinstance(v, bool) and v >= low
    return test, f"a whole number >= {low}" + (" (or none)" if none_ok else "")


def _number(test, text):
    return (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v) and test(v)), text


TRAIN_CHECKS = {
    "batch_size": _whole(1), "epochs": _whole(1), "steps": _whole(1, none_ok=True),
    "steps_per_epoch": _whole(1, none_ok=True), "samples": _whole(1),
    "keep_checkpoints": _whole(1), "checkpoint_every": _whole(0), "log_every": _whole(1),
    "eval_every": _whole(1), "eval_samples": _whole(2),
    "beta_1": _number(lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "beta_2": _number(lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "channels": (lambda v: v in (None, 1, 3) and not isinstance(v, bool), "1 or 3 (or none)"),
    "eval_metric": (lambda v: isinstance(v, str), "a metric name (or empty)"),
}


LEARNING_RATE_CHECK = _number(lambda v: v > 0, "a number > 0")


def check_train_option(key: str, value: Any, what: str | None = None) -> Any:
    """`value` for training option `key`, checked (`image_size` also accepts
    "H,W" or "HxW"; `<name>_lr` a number > 0); a `RecipeError` says what the
    option takes (`what` it is for)."""
    if key == "image_size":
        return _image_size(value)
    default = LEARNING_RATE_CHECK if key.endswith("_lr") else (lambda v: True, "")
    test, text = TRAIN_CHECKS.get(key, default)
    if not test(value):
        what = what or TRAIN_DEFAULTS.get(key, ("", key))[1]
        raise RecipeError(f"Option {key}: {value!r} is not valid; it takes {text} ({what}).")
    return value


def _image_size(value):
    parts = value
    if isinstance(value, str):
        text = value.lower().strip().strip("()[]").replace("x", ",")
        parts = [p.strip() for p in text.split(",")]
        parts = [int(p) for p in parts] if all(p.isdigit() for p in parts) else None
    if value is None:
        return None
    if isinstance(parts, int) and not isinstance(parts, bool):
        parts = [parts]
    ok = (isinstance(parts, (list, tuple)) and len(parts) in (1, 2)
          and all(isinstance(p, int) and not isinstance(p, bool) and p >= 1 for p in parts))
    if not ok:
        raise RecipeError(f"Option image_size: {value!r} is not valid; it takes a size in pixels "
                          f"(32) or height,width (32,48).")
    return parts[0] if len(parts) == 1 else tuple(parts)


def parse_value(key: str, value: Any, default: Any) -> Any:
    """Coerce `value` (often a CLI string) to the type of `default`."""
    if not isinstance(value, str):
        if isinstance(default, tuple) and isinstance(value, list):
            return tuple(value)
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, (tuple, list)):
            parts = [p for p in text.strip("()[] ").split(",") if p.strip()]
            return tuple(type(default[0])(p) if default else int(p) for p in parts)
        if default is None:
            if text.lower() in ("none", "null", ""):
                return None
            for conv in (int, float):
                try:
                    return conv(text)
                except ValueError:
                    pass
        return text
    except (ValueError, TypeError):
        raise RecipeError(f"Option {key}: {value!r} is not a valid "
                          f"{type(default).__name__} (default {default!r}).") from None


def load(name_or_path: str | pathlib.Path) -> Recipe:
    """A `Recipe` from a zoo entry name or a path to a .toml recipe."""
    path = pathlib.Path(str(name_or_path))
    if not (path.suffix == ".toml" and path.is_file()):
        key = str(name_or_path).lower().replace("-", "_")
        candidates = {e.replace("-", "_").replace("_", ""): e for e in entries()}
        entry = candidates.get(key.replace("_", ""))
        if entry is None:
            raise RecipeError(f"Unknown zoo entry {name_or_path!r}: choose one of "
                              f"{', '.join(entries())}, or pass a path to a .toml recipe.")
        path = zoo_dir() / f"{entry}.toml"
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise RecipeError(f"{path}: not valid TOML ({e}).") from None
    return from_mapping(raw, entry=path.stem, where=str(path))


def from_mapping(raw: dict, entry: str = "custom", where: str = "recipe") -> Recipe:
    """A `Recipe` from a parsed TOML mapping (unknown keys raise `RecipeError`)."""
    unknown = sorted(set(raw) - set(TOP_LEVEL))
    if unknown:
        raise RecipeError(f"{where}: unknown key(s) {', '.join(unknown)}; valid top-level keys "
                          f"are {', '.join(TOP_LEVEL)}.")
    if not isinstance(raw.get("model"), str):
        raise RecipeError(f"{where}: needs model = \"ClassName\" (one of "
                          f"{', '.join(models.names())}).")
    try:
        cls_name = models.class_name(raw["model"])
    except ValueError as e:
        raise RecipeError(f"{where}: {e}") from None
    for table in ("hparams", "train"):
        if not isinstance(raw.get(table, {}), dict):
            raise RecipeError(f"{where}: [{table}] must be a table.")
    recipe = Recipe(entry=entry, model=cls_name, paper=raw.get("paper", ""),
                    url=raw.get("url", ""), data=raw.get("data", "mnist5k"),
                    description=raw.get("description", ""),
                    model_kwargs=model_options(cls_name),
                    train={k: v[0] for k, v in train_options(cls_name).items()})
    recipe.train.update(models.train_defaults(cls_name))
    hparams, train = raw.get("hparams", {}), raw.get("train", {})
    bad = sorted(set(hparams) - set(recipe.model_kwargs))
    if bad:
        raise RecipeError(f"{where}: unknown [hparams] key(s) {', '.join(bad)} for {cls_name}; "
                          f"valid: {', '.join(sorted(recipe.model_kwargs))}.")
    bad = sorted(set(train) - set(recipe.train))
    if bad:
        raise RecipeError(f"{where}: unknown [train] key(s) {', '.join(bad)}; "
                          f"valid: {', '.join(sorted(recipe.train))}.")
    try:
        return recipe.override({**hparams, **train})
    except RecipeError as e:
        raise RecipeError(f"{where}: {e}") from None
