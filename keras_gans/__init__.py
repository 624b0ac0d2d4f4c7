"""keras-gans: a GAN model zoo for Keras 3 on TensorFlow.

    import keras_gans
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1))
    gan.compile()
    gan.fit(keras_gans.data.load("mnist5k").dataset, epochs=5)

The package, by what is inside (docs/architecture.md draws it):

    core/        the model kinds (ZooModel, GAN, ConditionalBase, Translator),
                 losses, DiffAugment, the latent convention
    models/      the zoo's entries, one file each, found by name
    nets/        layers and network builders
    data/        named sets, folders, .npz, unpaired domains, one decode helper
    training/    a recipe run into a run directory: recipes, callbacks,
                 schedules, checkpoints, precision, distribution
    evaluation/  metrics (numpy), feature networks, scoring, the best-checkpoint callback
    cli/         the `keras-gans` command, one module a command group
    export.py    the SavedModel export;  files.py  atomic writes, PNG grids

Attributes are imported on first use, so `keras-gans --help` does not pay for
importing TensorFlow: `keras_gans.DCGAN` (any zoo class by name, found in
`keras_gans.models`), `keras_gans.GAN` and the other kinds, and the modules.
Modules that moved in 0.1's redesign still import by their old names
(`keras_gans.train`, `keras_gans.unpaired`, ...; see `MOVED`).
"""

import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

_KINDS = ("ZooModel", "Adversarial", "GAN", "ConditionalBase", "Translator")
_SUBPACKAGES = ("cli", "core", "data", "evaluation", "export", "files", "models", "nets",
                "training")
# Old module paths (before the subpackages) -> where the module lives now.
MOVED = {
    "base": "keras_gans.core.gan",
    "losses": "keras_gans.core.losses",
    "augment": "keras_gans.core.augment",
    "latent": "keras_gans.core.latent",
    "networks": "keras_gans.nets.dcgan",
    "networks_i2i": "keras_gans.nets.image2image",
    "unpaired": "keras_gans.data.unpaired",
    "train": "keras_gans.training.train",
    "recipes": "keras_gans.training.recipes",
    "callbacks": "keras_gans.training.callbacks",
    "schedules": "keras_gans.training.schedules",
    "checkpoints": "keras_gans.training.checkpoints",
    "precision": "keras_gans.training.precision",
    "distribute": "keras_gans.training.distribute",
    "metrics": "keras_gans.evaluation.metrics",
    "classifier": "keras_gans.evaluation.classifier",
    "inception": "keras_gans.evaluation.inception",
    "commands": "keras_gans.cli",
    "models.conditional": "keras_gans.core.conditional",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports `keras_gans.<old name>` as the module it moved to (the same
    module object, so attributes set on one are set on the other)."""

    def find_spec(self, fullname, path=None, target=None):
        old = fullname[len(__name__) + 1:] if fullname.startswith(__name__ + ".") else None
        if old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name[len(__name__) + 1:]])

    def exec_module(self, module):
        pass


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())


def __getattr__(name):
    if name in _KINDS:
        return getattr(importlib.import_module("keras_gans.core"), name)
    if name in _SUBPACKAGES or name in MOVED:
        return importlib.import_module(f"keras_gans.{name}")
    from keras_gans import models
    if name in models.names():
        return models.get(name)
    raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")


def __dir__():
    from keras_gans import models
    return sorted({*_KINDS, *_SUBPACKAGES, *MOVED, *models.names()} - {"models.conditional"})
