"""DCGAN learns digits: trained briefly on the embedded MNIST, its samples are
recognised as digits, of most classes, by a classifier trained on the same data."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import data

STEPS = 1500


NOT_A_DIGIT = 10


def junk(n, rng):
    """Images that are not digits: uniform noise and blurred noise blobs."""
    noise = rng.uniform(-1, 1, (n, 28, 28, 1)).astype("float32")
    blobs = tf.nn.avg_pool2d(rng.uniform(-1, 1, (n, 34, 34, 1)).astype("float32"), 7, 1,
                             "VALID").numpy() * 3.0
    return np.concatenate([noise, np.clip(blobs, -1, 1)])


def digit_classifier(x, y, x_test, y_test):
    """A small CNN judge with an 11th class, "not a digit" (noise and blobs), so
    that it cannot call noise a confident digit; its accuracy is measured on the
    held-out digits."""
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    clf = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(11)])
    clf.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    bad = junk(500, rng)
    xs = np.concatenate([x, bad])
    ys = np.concatenate([y, np.full(len(bad), NOT_A_DIGIT)])
    clf.fit(xs, ys, epochs=4, batch_size=64, verbose=0, shuffle=True)
    accuracy = clf.evaluate(x_test, y_test, verbose=0)[1]
    return clf, accuracy


def confident(clf, images, threshold=0.9):
    """Fraction of images the judge calls one digit with p > threshold, and the
    digits those are."""
    p = tf.nn.softmax(clf.predict(images, verbose=0)).numpy()
    keep = (p.max(axis=1) > threshold) & (p.argmax(axis=1) != NOT_A_DIGIT)
    return keep.mean(), np.bincount(p.argmax(axis=1)[keep], minlength=11)[:10]


@pytest.mark.slow
def test_dcgan_samples_are_recognisable_digits_of_most_classes(mnist):
    x, y = mnist  # the embedded digits' train split
    clf, accuracy = digit_classifier(x, y, *data.load_arrays("mnist5k", split="test"))
    assert accuracy > 0.9, f"the judge itself is weak: held-out accuracy {accuracy:.3f}"

    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=64, g_filters=16, d_filters=16,
                           seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5))
    before, _ = confident(clf, gan.generate(500, seed=1))
    ds = data.load("mnist5k", batch_size=64, seed=0).dataset.repeat()
    gan.fit(ds, steps_per_epoch=STEPS, epochs=1, verbose=0)

    rate, per_class = confident(clf, gan.generate(500, seed=1))
    noise_rate, _ = confident(clf, junk(250, np.random.default_rng(2)))
    report = (f"after {STEPS} steps {rate:.1%} of 500 samples are classified with p>0.9 "
              f"(untrained G: {before:.1%}, fresh noise and blobs: {noise_rate:.1%}); classes of the "
              f"confident ones: {per_class.tolist()}; judge accuracy {accuracy:.3f}")
    print(report)
    assert rate > 0.2 and rate > 4 * max(noise_rate, before, 0.01), report
    assert (per_class > 0).sum() >= 7, report
