"""DCGAN learns digits: trained briefly on the embedded MNIST, its samples are
recognised as digits, of most classes, by a classifier trained on the same data."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import data

STEPS = 1500


def digit_classifier(x, y):
    keras.utils.set_random_seed(1)
    clf = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(10)])
    clf.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    order = np.random.default_rng(0).permutation(len(x))
    train, held_out = order[:4500], order[4500:]
    clf.fit(x[train], y[train], epochs=4, batch_size=64, verbose=0)
    accuracy = clf.evaluate(x[held_out], y[held_out], verbose=0)[1]
    return clf, accuracy


def confident(clf, images, threshold=0.9):
    p = tf.nn.softmax(clf.predict(images, verbose=0)).numpy()
    keep = p.max(axis=1) > threshold
    return keep.mean(), np.bincount(p.argmax(axis=1)[keep], minlength=10)


@pytest.mark.slow
def test_dcgan_samples_are_recognisable_digits_of_most_classes(mnist):
    x, y = mnist
    clf, accuracy = digit_classifier(x, y)
    assert accuracy > 0.9, f"the judge itself is weak: held-out accuracy {accuracy:.3f}"

    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=64, g_filters=16, d_filters=16,
                           seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5))
    before, _ = confident(clf, gan.generate(500, seed=1))
    ds = data.load("mnist5k", batch_size=64, seed=0).dataset.repeat()
    gan.fit(ds, steps_per_epoch=STEPS, epochs=1, verbose=0)

    rate, per_class = confident(clf, gan.generate(500, seed=1))
    noise_rate, _ = confident(clf, np.random.default_rng(2).uniform(-1, 1, (500, 28, 28, 1)))
    report = (f"after {STEPS} steps {rate:.1%} of 500 samples are classified with p>0.9 "
              f"(untrained G: {before:.1%}, uniform noise: {noise_rate:.1%}); classes of the "
              f"confident ones: {per_class.tolist()}; judge accuracy {accuracy:.3f}")
    print(report)
    assert rate > 0.2 and rate > 4 * max(noise_rate, before, 0.01), report
    assert (per_class > 0).sum() >= 7, report
