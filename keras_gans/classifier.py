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

import json
import os
import pathlib
import re

import numpy as np

from keras_gans import files, metrics

MODEL_FILE = "classifier.keras"
INFO_FILE = "classifier.json"
FEATURE_LAYER = "features"


def cache_dir():
    """Where keras-gans keeps downloaded or trained helper models."""
    root = os.environ.get("KERAS_GANS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "keras-gans")
    return pathlib.Path(root)


def default_dir(data, image_shape=None):
    """The default classifier folder for a data source (and image shape)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", str(data)).strip("_").lower() or "data"
    if image_shape is not None:
        slug += "-" + "x".join(str(int(s)) for s in image_shape)
    return cache_dir() / "classifiers" / slug


def build(image_shape, num_classes, filters=32, feature_dim=128, seed=0):
    """Conv(f)-pool-Conv(2f)-pool-Dense(feature_dim) -> logits (float32)."""
    import keras
    init = keras.initializers.GlorotUniform(seed)
    inputs = keras.Input(image_shape, name="image")
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                            kernel_initializer=init)(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(2 * filters, 3, padding="same", activation="relu",
                            kernel_initializer=init)(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(feature_dim, activation="relu", kernel_initializer=init,
                           name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(0.3, seed=seed)(x)
    logits = keras.layers.Dense(num_classes, dtype="float32", kernel_initializer=init,
                                name="logits")(x)
    return keras.Model(inputs, logits, name="domain_classifier")


def train(data="mnist5k", out=None, epochs=5, batch_size=128, holdout=0.2, limit=None,
          image_size=None, channels=None, seed=0, log=print):
    """Train the classifier on labelled real images (or on the two domains of
    unpaired data, all splits, labelled A = 0 and B = 1) and save it with its
    accuracy on a held-out part of the data; returns (folder, info dict).

    `limit` trains and tests on a random subset of that many images."""
    import keras
    from keras_gans import data as data_lib, unpaired
    labels = None
    if unpaired.is_unpaired(data):  # two domains: the classes are A and B
        x, y = unpaired.domain_labelled(data, image_size, channels)
        labels = ["A", "B"]
    else:
        x, y = data_lib.load_arrays(data, image_size=image_size, channels=channels)
    if y is None:
        raise data_lib.DataError(f"{data} has no labels: the domain classifier needs labelled "
                                 f"data (an .npz with 'y', a class-per-folder tree, or a tfds "
                                 f"set with labels).")
    if not 0 < holdout < 1:
        raise ValueError(f"holdout must be a fraction between 0 and 1, got {holdout}.")
    # A random draw: sources may be sorted by class (the embedded digits are).
    order = np.random.default_rng(seed).permutation(len(x))[:limit]
    x, y = x[order], y[order]
    order = np.arange(len(x))
    n_test = max(1, int(round(len(x) * holdout)))
    test_idx, train_idx = order[:n_test], order[n_test:]
    num_classes = int(y.max()) + 1
    keras.utils.set_random_seed(seed)
    model = build(x.shape[1:], num_classes, seed=seed)
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x[train_idx], y[train_idx], batch_size=batch_size, epochs=epochs, verbose=0,
              shuffle=True)
    logits = model.predict(x[test_idx], batch_size=512, verbose=0)
    accuracy = float(np.mean(logits.argmax(1) == y[test_idx]))
    info = {"data": str(data), "image_shape": [int(s) for s in x.shape[1:]],
            "num_classes": num_classes, "accuracy": accuracy, "n_train": int(len(train_idx)),
            "n_test": int(n_test), "epochs": int(epochs), "seed": int(seed),
            "feature_dim": int(model.get_layer(FEATURE_LAYER).units)}
    if labels:
        info["labels"] = labels
    out = pathlib.Path(out) if out else default_dir(data, x.shape[1:])

    def write(tmp):
        model.save(os.path.join(tmp, MODEL_FILE))
        pathlib.Path(tmp, INFO_FILE).write_text(json.dumps(info, indent=2))

    files.atomic_write_dir(out, write)
    log(f"Classifier for {data}: accuracy {accuracy:.4f} on {n_test} held-out images "
        f"(trained on {len(train_idx)}); saved to {out}")
    return out, info


class ClassifierFeatures(metrics.FeatureExtractor):
    """Penultimate features and class probabilities of a trained classifier.

    Images of another size or channel count are converted to the classifier's."""

    def __init__(self, path, batch_size=500):
        import keras
        path = files.recover_dir(pathlib.Path(path))
        if not (path / MODEL_FILE).exists():
            raise FileNotFoundError(f"No domain classifier in {path}: train one with "
                                    f"`keras-gans train-classifier --data DATA -o {path}`.")
        self.path = path
        self.info = json.loads((path / INFO_FILE).read_text())
        self.name = f"classifier:{self.info['data']}"
        model = keras.models.load_model(path / MODEL_FILE)
        self.model = keras.Model(model.inputs, [model.get_layer(FEATURE_LAYER).output,
                                                model.output])
        self.image_shape = tuple(self.info["image_shape"])
        self.batch_size = batch_size

    def _convert(self, images):
        import tensorflow as tf
        x = tf.convert_to_tensor(np.asarray(images, dtype="float32"))
        want_c = self.image_shape[-1]
        if x.shape[-1] != want_c:
            if want_c == 1:
                x = tf.reduce_mean(x[..., :3], axis=-1, keepdims=True)
            else:
                x = tf.repeat(x[..., :1], want_c, axis=-1)
        if tuple(x.shape[1:3]) != self.image_shape[:2]:
            x = tf.image.resize(x, self.image_shape[:2], antialias=True)
        return x

    def __call__(self, images):
        feats, probs = [], []
        for i in range(0, len(images), self.batch_size):
            f, logits = self.model(self._convert(images[i:i + self.batch_size]), training=False)
            feats.append(np.asarray(f))
            logits = np.asarray(logits, dtype=np.float64)
            e = np.exp(logits - logits.max(1, keepdims=True))
            probs.append(e / e.sum(1, keepdims=True))
        return np.concatenate(feats), np.concatenate(probs)

    def accuracy(self, images, labels):
        return float(np.mean(self(images)[1].argmax(1) == np.asarray(labels).reshape(-1)))
