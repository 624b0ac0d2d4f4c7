"""The zoo's model classes, one module each, found by name with no list.

A zoo model class is any public class of a module in this package that stands
on a model kind of `keras_gans.core` (`GAN`, `ConditionalBase`, `Translator`,
... or another zoo class). Adding `models/mine.py` with `class Mine(GAN)` is
all it takes for `get("Mine")` and a recipe's `model = "Mine"` to find it.

`get("cycle_gan")`, `get("CycleGAN")` and `get("cyclegan")` all find `CycleGAN`:
names are compared with case, '-' and '_' ignored.

`options(name)` reads a class's constructor arguments from the sources without
importing them (so without importing TensorFlow): the CLI checks a recipe and
its overrides at once, before paying for the import. A constructor that passes
`**kwargs` on offers its base's arguments too (DCGAN's `d_steps`, `loss`, ...
are `GAN`'s).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pathlib
from typing import Any

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
CORE_DIR = PACKAGE_DIR.parent / "core"
# Constructor arguments that are not recipe options.
NOT_OPTIONS = ("self", "generator", "discriminator", "kwargs", "args", "image_shape",
               "num_classes", "data")


def _key(name: str) -> str:
    return str(name).lower().replace("_", "").replace("-", "")


def _modules(folder: pathlib.Path = PACKAGE_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


# ------------------------------------------------------ without importing
@functools.lru_cache(maxsize=None)
def _static_classes() -> tuple[dict[str, tuple[str, str]], dict[str, ast.ClassDef]]:
    """({key: (class name, module)} of the zoo's classes, {class name:
    ast.ClassDef} of every class of this package and of keras_gans.core),
    from the sources."""
    classes: dict[str, ast.ClassDef] = {}
    in_models: list[tuple[str, str]] = []
    for folder in (CORE_DIR, PACKAGE_DIR):
        for module in _modules(folder):
            tree = ast.parse((folder / f"{module}.py").read_text())
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    classes[node.name] = node
                    if folder == PACKAGE_DIR and not node.name.startswith("_"):
                        in_models.append((node.name, module))

    def is_model(name: str, seen: frozenset = frozenset()) -> bool:
        node = classes.get(name)
        if node is None or name in seen or len(node.bases) != 1 \
                or not isinstance(node.bases[0], ast.Name):
            return False
        base = node.bases[0].id
        return base == "ZooModel" or base in classes and is_model(base, seen | {name})

    zoo = {_key(name): (name, module) for name, module in in_models if is_model(name)}
    return zoo, classes


def names() -> list[str]:
    """Names of the zoo's model classes, sorted."""
    return sorted(name for name, _ in _static_classes()[0].values())


def class_name(name: str) -> str:
    """The zoo class name for `name` (case, '-', '_' ignored); raises
    ValueError listing the valid ones."""
    found = _static_classes()[0].get(_key(name))
    if found is None:
        raise ValueError(f"Unknown model class {name!r}: choose one of {', '.join(names())}.")
    return found[0]


def get(name: str) -> type:
    """The zoo's model class called `name` (imports its module, so TensorFlow)."""
    cls_name = class_name(name)
    module = _static_classes()[0][_key(cls_name)][1]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls_name)


class _NotStatic(Exception):
    """The source alone cannot answer: import the class instead."""


def _bases(name: str):
    """The class node of `name`, then of its bases defined in keras_gans (the
    way Python's lookup goes for these single-inheritance classes)."""
    classes = _static_classes()[1]
    node = classes.get(name)
    while node is not None:
        yield node
        if len(node.bases) != 1:
            raise _NotStatic(name)
        base = node.bases[0]
        node = classes.get(base.id) if isinstance(base, ast.Name) else None  # else: Keras's


def _literal(node: ast.AST, name: str):
    try:
        return ast.literal_eval(node)
    except ValueError:  # not a literal
        raise _NotStatic(name) from None


def _init_options(node: ast.ClassDef) -> tuple[dict | None, bool]:
    """({argument: default} of the class's own __init__ (None: it has none),
    whether it passes **kwargs on to its base)."""
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None)
    if init is None:
        return None, True
    args = init.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    own = {arg.arg: (None if default is None else _literal(default, node.name))
           for arg, default in pairs if arg.arg not in NOT_OPTIONS}
    return own, args.kwarg is not None


def _static_options(name: str) -> dict:
    out: dict = {}
    for node in _bases(name):
        own, passes_on = _init_options(node)
        for key, value in (own or {}).items():
            out.setdefault(key, value)
        if not passes_on:
            break
    return out


def class_attribute(name: str, attribute: str, default: Any = None) -> Any:
    """A class attribute of zoo class `name` that is a literal in its source
    or its bases' (e.g. `train_defaults`, `optimizer_names`, `kind`), read
    without importing; by import where the source cannot say."""
    cls_name = class_name(name)
    try:
        for node in _bases(cls_name):
            for n in node.body:
                targets = n.targets if isinstance(n, ast.Assign) else \
                    [n.target] if isinstance(n, ast.AnnAssign) and n.value is not None else []
                if any(isinstance(t, ast.Name) and t.id == attribute for t in targets):
                    if isinstance(n.value, ast.Name):  # e.g. kind = LATENT
                        raise _NotStatic(cls_name)
                    return _literal(n.value, cls_name)
        return default
    except _NotStatic:
        return getattr(get(cls_name), attribute, default)


def options(name: str) -> dict:
    """{argument: default} of model class `name`'s constructor that a recipe may
    set, read from its source (no import); by inspection where the source
    cannot say (e.g. a default that is not a literal)."""
    cls_name = class_name(name)
    try:
        return _static_options(cls_name)
    except _NotStatic:
        return inspected_options(get(cls_name))


def train_defaults(name: str) -> dict:
    """The training options model class `name` sets for its paper (its class
    attribute `train_defaults`, e.g. CycleGAN's batch of 1), read from its source."""
    return dict(class_attribute(name, "train_defaults", {}) or {})


def optimizer_names(name: str) -> tuple[str, ...]:
    """The names of model class `name`'s optimizers ("d", "g" for the GANs)."""
    return tuple(class_attribute(name, "optimizer_names", ()) or ())


def inspected_options(cls: type) -> dict:
    """{argument: default} of a model class's constructor, by `inspect`
    (following `**kwargs` up the bases, as `options` does)."""
    out: dict = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        if not klass.__module__.startswith("keras_gans") and klass is not cls:
            break
        params = inspect.signature(klass.__init__).parameters
        for n, p in params.items():
            if n not in NOT_OPTIONS and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                out.setdefault(n, p.default if p.default is not inspect.Parameter.empty
                               else None)
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            break
    return out
