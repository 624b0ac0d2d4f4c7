"""A small domain classifier whose penultimate features stand in for Inception's.

Inception features of 28x28 grey digits are slow on a CPU and were learned on
other pictures. For digit and fashion data, a small convolutional classifier
trained on the real data (`keras-gans train-classifier --data mnist5k`) gives
fast, domain-aware features: the Frechet distance on them is the `fd` metric,
and its predictions give the class accuracy of conditional samples (`cacc`).
On two-domain data (a CycleGAN folder or dataset) its classes are the domains,
A and B, and `cacc` is the share of translations it takes for the target domain.
Its held-out accuracy is stored with it and reported next to every number it
produces.

    DIR/classifier.keras   the Keras model (logits)
    DIR/classifier.json    data, image shape, accuracy, sample counts
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import re
from typing import Callable

import numpy as np

from keras_gans import files
from keras_gans.evaluation import metrics

MODEL_FILE = "classifier.keras"
INFO_FILE = "classifier.json"
FEATURE_LAYER = "features"


def cache_dir() -> pathlib.Path:
    """Where keras-gans keeps downloaded or trained helper models."""
    root = os.environ.get("KERAS_GANS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "keras-gans")
    return pathlib.Path(root)


# Bumped when the classifier's network, training or data split change, so that
# a cache filled by an older keras-gans is not taken for today's classifier.
CACHE_VERSION = 2


def default_dir(data: str, image_shape: tuple[int, ...] | None = None) -> pathlib.Path:
    """The default classifier folder for a data source (and image shape)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", str(data)).strip("_").lower() or "data"
    if image_shape is not None:
        slug += "-" + "x".join(str(int(s)) for s in image_shape)
    return cache_dir() / "classifiers" / f"v{CACHE_VERSION}" / slug


def build(image_shape: tuple[int, ...], num_classes: int, filters: int = 32, feature_dim: int = 128,
          seed: int = 0) -> keras.Model:
    """[Conv(f)-Conv(f)-pool]-[Conv(2f)-Conv(2f)-pool]-Dense(feature_dim) -> logits,
    in float32 whatever the global dtype policy (a metric network)."""
    import keras
    from keras_gans.training import precision
    init = keras.initializers.GlorotUniform(seed)
    L = keras.layers
    with precision.float32_scope():
        inputs = keras.Input(image_shape, name="image")
        x = inputs
        for f in (filters, 2 * filters):
            x = L.Conv2D(f, 3, padding="same", activation="relu", kernel_initializer=init)(x)
            x = L.Conv2D(f, 3, padding="same", activation="relu", kernel_initializer=init)(x)
            x = L.MaxPooling2D()(x)
        x = L.Flatten()(x)
        x = L.Dense(feature_dim, activation="relu", kernel_initializer=init,
                    name=FEATURE_LAYER)(x)
        x = L.Dropout(0.3, seed=seed)(x)
        logits = L.Dense(num_classes, kernel_initializer=init, name="logits")(x)
        return keras.Model(inputs, logits, name="domain_classifier")


def augmenter(shift: float = 0.1, rotation_degrees: float = 10, seed: int = 0) -> keras.Sequential:
    """Light augmentation for training only: random shifts (a tenth of the
    image) and small rotations, borders filled from the nearest pixel."""
    import keras
    from keras_gans.training import precision
    with precision.float32_scope():
        return keras.Sequential([
            keras.layers.RandomTranslation(shift, shift, fill_mode="nearest", seed=seed),
            keras.layers.RandomRotation(rotation_degrees / 360.0, fill_mode="nearest",
                                        seed=seed + 1),
        ], name="augment")


def train(data: str = "mnist5k", out: str | pathlib.Path | None = None, epochs: int = 30,
          batch_size: int = 64, holdout: float = 0.2, limit: int | None = None,
          image_size: int | tuple[int, int] | None = None, channels: int | None = None,
          seed: int = 0, log: Callable[[str], None] = print, verbose: int | str = 0,
          augment: bool = True) -> tuple[pathlib.Path, dict]:
    """Train the classifier on labelled real images (or on the two domains of
    unpaired data, all splits, labelled A = 0 and B = 1) and save it with its
    accuracy on held-out images; returns (folder, info dict).

    Data with a "test" split (the embedded digits, tensorflow-datasets sets)
    trains on "train" and is tested on all of "test"; other sources hold out a
    random `holdout` fraction. `limit` trains on a random subset of that many
    training images (without a test split: trains and tests within that many).
    `augment` shifts and slightly rotates the training images; `verbose` is
    Keras's progress bar setting. Sets too small for 4 batches of
    `batch_size` per epoch get smaller batches (at least 8 images)."""
    import keras
    import tensorflow as tf
    from keras_gans import data as data_lib
    from keras_gans.data import unpaired
    labels = None
    test = None
    if unpaired.is_unpaired(data):  # two domains: the classes are A and B
        x, y = unpaired.domain_labelled(data, image_size, channels)
        labels = ["A", "B"]
    else:
        x, y = data_lib.load_arrays(data, split="train", image_size=image_size,
                                    channels=channels)
        if y is not None:
            from keras_gans import evaluation
            test = evaluation.test_split(data, image_size, channels)
    if y is None:
        raise data_lib.DataError(f"{data} has no labels: the domain classifier needs labelled "
                                 f"data (an .npz with 'y', a class-per-folder tree, or a tfds "
                                 f"set with labels).")
    if not 0 < holdout < 1:
        raise ValueError(f"holdout must be a fraction between 0 and 1, got {holdout}.")
    # A random draw: sources may be sorted by class (the embedded digits are).
    order = np.random.default_rng(seed).permutation(len(x))[:limit]
    x, y = x[order], y[order]
    if test is not None and test[1] is not None and len(test[0]):
        (x_train, y_train), (x_test, y_test) = (x, y), test
        held_out = "test split"
    else:
        n_test = max(1, int(round(len(x) * holdout)))
        x_test, y_test, x_train, y_train = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
        held_out = f"held-out {holdout:g} of the data"
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    keras.utils.set_random_seed(seed)
    model = build(x.shape[1:], num_classes, seed=seed)
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    # Small sets (a few dozen two-domain photos) get smaller batches, so that
    # an epoch is at least 4 steps: one step per epoch learned too little.
    batch_size = int(max(8, min(batch_size, len(x_train) // 4)))
    ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(
        len(x_train), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if augment:
        aug = augmenter(seed=seed)
        ds = ds.map(lambda a, b: (aug(a, training=True), b))
    # Cosine decay of the learning rate, epoch by epoch, from 1e-3 towards 0.
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: 1e-3 * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs)))
    model.fit(ds.prefetch(2), epochs=epochs, verbose=verbose, callbacks=[schedule])
    logits = model.predict(x_test, batch_size=512, verbose=0)
    accuracy = float(np.mean(logits.argmax(1) == y_test))
    info = {"data": str(data), "image_shape": [int(s) for s in x.shape[1:]],
            "num_classes": num_classes, "accuracy": accuracy, "n_train": int(len(x_train)),
            "n_test": int(len(x_test)), "held_out": held_out, "epochs": int(epochs),
            "augment": bool(augment), "batch_size": batch_size, "seed": int(seed),
            "feature_dim": int(model.get_layer(FEATURE_LAYER).units)}
    if labels:
        info["labels"] = labels
    out = pathlib.Path(out) if out else default_dir(data, x.shape[1:])

    def write(tmp):
        model.save(os.path.join(tmp, MODEL_FILE))
        pathlib.Path(tmp, INFO_FILE).write_text(json.dumps(info, indent=2))

    files.atomic_write_dir(out, write)
    log(f"Classifier for {data}: accuracy {accuracy:.4f} on {len(x_test)} held-out images "
        f"({held_out}; trained on {len(x_train)}); saved to {out}")
    return out, info


# Only to keep tests fast: fewer epochs / images for a classifier that
# `ensure` trains on first use (users get the defaults of `train`).
EPOCHS_ENV = "KERAS_GANS_CLASSIFIER_EPOCHS"
LIMIT_ENV = "KERAS_GANS_CLASSIFIER_LIMIT"


def ensure(data: str, image_shape: tuple[int, ...] | None = None,
           log: Callable[[str], None] = print) -> pathlib.Path:
    """The cached classifier folder for `data` at `image_shape`, trained now
    (once, with a progress bar) when the cache has none."""
    path = files.recover_dir(default_dir(data, image_shape))
    if (path / MODEL_FILE).exists():
        return path
    kwargs = {}
    if os.environ.get(EPOCHS_ENV):
        kwargs["epochs"] = int(os.environ[EPOCHS_ENV])
    if os.environ.get(LIMIT_ENV):
        kwargs["limit"] = int(os.environ[LIMIT_ENV])
    size = channels = None
    if image_shape is not None:
        size, channels = tuple(int(s) for s in image_shape[:2]), int(image_shape[2])
    log(f"No domain classifier for {data} in the cache yet: training one now, once "
        f"(about 2 minutes on a CPU); it is kept in {path} for later runs.")
    train(data, path, image_size=size, channels=channels, log=log, verbose=progress(),
          **kwargs)
    return path


def progress() -> int:
    """Keras's `verbose` for a training the user waits for: a live progress bar
    on a terminal, one line per epoch in a log file or pipe."""
    import sys
    return 1 if sys.stdout.isatty() else 2


class ClassifierFeatures(metrics.FeatureExtractor):
    """Penultimate features and class probabilities of a trained classifier.

    Images of another size or channel count are converted to the classifier's."""

    def __init__(self, path: str | pathlib.Path, batch_size: int = 500):
        import keras
        path = files.recover_dir(pathlib.Path(path))
        if not (path / MODEL_FILE).exists():
            raise FileNotFoundError(f"No domain classifier in {path}: train one with "
                                    f"`keras-gans train-classifier --data DATA -o {path}`.")
        self.path = path
        self.info = json.loads((path / INFO_FILE).read_text())
        self.name = f"classifier:{self.info['data']}"
        from keras_gans.training import precision
        with precision.float32_scope():  # a metric network: float32 whatever the policy
            model = keras.models.load_model(path / MODEL_FILE)
            self.model = keras.Model(model.inputs, [model.get_layer(FEATURE_LAYER).output,
                                                    model.output])
        self.image_shape = tuple(self.info["image_shape"])
        self.batch_size = batch_size

    def _convert(self, images):
        import tensorflow as tf
        from keras_gans.data import decode
        x = tf.convert_to_tensor(np.asarray(images, dtype="float32"))
        x = decode.fix_channels(x, self.image_shape[-1])
        return decode.resize(x, self.image_shape[:2])

    def __call__(self, images):
        feats, probs = [], []
        for i in range(0, len(images), self.batch_size):
            f, logits = self.model(self._convert(images[i:i + self.batch_size]), training=False)
            feats.append(np.asarray(f))
            logits = np.asarray(logits, dtype=np.float64)
            e = np.exp(logits - logits.max(1, keepdims=True))
            probs.append(e / e.sum(1, keepdims=True))
        return np.concatenate(feats), np.concatenate(probs)

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """The share of `images` classified as their `labels`."""
        return float(np.mean(self(images)[1].argmax(1) == np.asarray(labels).reshape(-1)))
