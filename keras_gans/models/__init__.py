"""The zoo's model classes, found by name.

`get("cycle_gan")`, `get("CycleGAN")` and `get("cyclegan")` all find `CycleGAN`:
names are compared with case, '-' and '_' ignored. A model class is any class
decorated with `@register` in a module of this package: modules are found by
listing the package, with no hand-kept list.

`options(name)` reads a registered class's constructor arguments from its
source without importing it (so without importing TensorFlow): the CLI checks
a recipe and its overrides at once, before paying for the import.
"""

import ast
import functools
import importlib
import inspect
import pathlib

MODELS = {}
PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
# Constructor arguments that are not recipe options.
NOT_OPTIONS = ("self", "generator", "discriminator", "kwargs", "args", "image_shape",
               "num_classes")


def _key(name):
    return str(name).lower().replace("_", "").replace("-", "")


def register(cls):
    """Class decorator: make a model class findable by its name."""
    MODELS[_key(cls.__name__)] = cls
    return cls


def _modules():
    return sorted(p.stem for p in PACKAGE_DIR.glob("*.py") if not p.stem.startswith("_"))


def _load_all():
    # Importing the modules runs their @register decorators.
    for module in _modules():
        importlib.import_module(f"{__name__}.{module}")


def get(name):
    """The registered model class called `name` (imports TensorFlow)."""
    _load_all()
    key = _key(name)
    if key not in MODELS:
        raise ValueError(f"Unknown model class {name!r}: choose one of "
                         f"{', '.join(names())}.")
    return MODELS[key]


# ------------------------------------------------------ without importing
@functools.lru_cache(maxsize=None)
def _static_classes():
    """({key: class name} of the @register classes, {class name: ast.ClassDef}
    of every class defined in this package), from the sources."""
    registered, classes = {}, {}
    for module in _modules():
        tree = ast.parse((PACKAGE_DIR / f"{module}.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                classes[node.name] = node
                if any(isinstance(d, ast.Name) and d.id == "register"
                       for d in node.decorator_list):
                    registered[_key(node.name)] = node.name
    return registered, classes


def names():
    """Names of the registered model classes, sorted."""
    return sorted(_static_classes()[0].values())


def class_name(name):
    """The registered class name for `name` (case, '-', '_' ignored); raises
    ValueError listing the valid ones."""
    found = _static_classes()[0].get(_key(name))
    if found is None:
        raise ValueError(f"Unknown model class {name!r}: choose one of {', '.join(names())}.")
    return found


class _NotStatic(Exception):
    """The source alone cannot answer: import the class instead."""


def _find(name, pick):
    """`pick(class node)` for the class or, where it returns None, its first
    base defined in this package (the way Python's lookup would go for these
    single-inheritance classes); None past the package's classes."""
    classes = _static_classes()[1]
    node = classes.get(name)
    while node is not None:
        found = pick(node)
        if found is not None:
            return found
        if len(node.bases) != 1 or not isinstance(node.bases[0], ast.Name):
            raise _NotStatic(name)
        node = classes.get(node.bases[0].id)
    return None


def _init_options(node):
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None)
    if init is None:
        return None
    args = init.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    try:
        return {arg.arg: (None if default is None else ast.literal_eval(default))
                for arg, default in pairs if arg.arg not in NOT_OPTIONS}
    except ValueError:  # a default that is not a literal
        raise _NotStatic(node.name) from None


def _train_defaults(node):
    for n in node.body:
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "train_defaults"
                                             for t in n.targets):
            try:
                return dict(ast.literal_eval(n.value))
            except ValueError:
                raise _NotStatic(node.name) from None
    return None


def options(name):
    """{argument: default} of model class `name`'s constructor that a recipe may
    set, read from its source (no import); by inspection where the source
    cannot say (e.g. a default that is not a literal)."""
    cls_name = class_name(name)
    try:
        found = _find(cls_name, _init_options)
    except _NotStatic:
        found = None
    return found if found is not None else inspected_options(get(cls_name))


def train_defaults(name):
    """The training options model class `name` sets for its paper (its class
    attribute `train_defaults`, e.g. CycleGAN's batch of 1), read from its source."""
    cls_name = class_name(name)
    try:
        return _find(cls_name, _train_defaults) or {}
    except _NotStatic:
        return dict(getattr(get(cls_name), "train_defaults", {}))


def inspected_options(cls):
    """{argument: default} of a model class's constructor, by `inspect`."""
    params = inspect.signature(cls.__init__).parameters
    return {n: (p.default if p.default is not inspect.Parameter.empty else None)
            for n, p in params.items()
            if n not in NOT_OPTIONS and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
