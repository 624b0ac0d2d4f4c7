"""The model kinds every zoo entry stands on, and the machinery they share.

    model.py        ZooModel: kind, named optimizers, one update, trackers, contracts
    adversarial.py  Adversarial: generator + discriminator, adversarial loss, DiffAugment
    gan.py          GAN: the latent kind (z -> image), k D-steps, moving average of G
    conditional.py  ConditionalBase: the conditional kind (z, label -> image), labels
    translator.py   Translator: the image-to-image kind (a -> b), one endpoint a direction
    losses.py       the adversarial losses, from logits
    augment.py      DiffAugment
    latent.py       the latent convention (seed -> z) and latent-space walks
    kinds.py        the kinds' names (LATENT, CONDITIONAL, TRANSLATOR, LIKELIHOOD)

A likelihood model (the VAE, `keras_gans.models.vae`) stands on `ZooModel`
directly, with `kind = LIKELIHOOD` and one optimizer: no generator/discriminator pair.
"""

import importlib

from keras_gans.core.kinds import (CONDITIONAL, GENERATIVE, KINDS, LATENT, LIKELIHOOD,
                                   TRANSLATOR, UNCONDITIONAL)

# The classes import TensorFlow: on first use only.
_CLASSES = {"ZooModel": "model", "Adversarial": "adversarial", "GAN": "gan",
            "ConditionalBase": "conditional", "Translator": "translator"}

__all__ = [*_CLASSES, "KINDS", "LATENT", "CONDITIONAL", "TRANSLATOR", "LIKELIHOOD",
           "GENERATIVE", "UNCONDITIONAL"]


def __getattr__(name):
    if name in _CLASSES:
        return getattr(importlib.import_module(f"keras_gans.core.{_CLASSES[name]}"), name)
    raise AttributeError(f"module 'keras_gans.core' has no attribute {name!r}")
