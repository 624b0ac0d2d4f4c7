"""The zoo's model classes, found by name.

`get("cycle_gan")`, `get("CycleGAN")` and `get("cyclegan")` all find `CycleGAN`:
names are compared with case, '-' and '_' ignored.
"""

MODELS = {}


def _key(name):
    return str(name).lower().replace("_", "").replace("-", "")


def register(cls):
    """Class decorator: make a model class findable by its name."""
    MODELS[_key(cls.__name__)] = cls
    return cls


def get(name):
    _load_all()
    key = _key(name)
    if key not in MODELS:
        raise ValueError(f"Unknown model class {name!r}: choose one of "
                         f"{', '.join(sorted(c.__name__ for c in MODELS.values()))}.")
    return MODELS[key]


def _load_all():
    # Importing the modules runs their @register decorators.
    from keras_gans.models import vanilla, dcgan  # noqa: F401
    from keras_gans.models import cgan, acgan  # noqa: F401
    from keras_gans.models import cyclegan  # noqa: F401
