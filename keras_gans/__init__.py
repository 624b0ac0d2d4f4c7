"""keras-gans: a GAN model zoo for Keras 3 on TensorFlow.

    import keras_gans
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1))
    gan.compile()
    gan.fit(keras_gans.data.load("mnist5k").dataset, epochs=5)

Attributes are imported on first use, so `keras-gans --help` does not pay for
importing TensorFlow.
"""

import importlib

__version__ = "0.1.0"

_LAZY = {
    "GAN": "keras_gans.base",
    "VanillaGAN": "keras_gans.models.vanilla",
    "DCGAN": "keras_gans.models.dcgan",
    "ConditionalGAN": "keras_gans.models.cgan",
    "ACGAN": "keras_gans.models.acgan",
    "CycleGAN": "keras_gans.models.cyclegan",
}
_MODULES = ("base", "callbacks", "data", "export", "files", "losses", "models", "networks",
            "precision", "recipes", "train", "networks_i2i", "schedules", "unpaired",
            "classifier", "evaluation", "inception", "latent", "metrics")

__all__ = sorted(_LAZY) + list(_MODULES)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        return importlib.import_module(f"keras_gans.{name}")
    raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")


def __dir__():
    return __all__
