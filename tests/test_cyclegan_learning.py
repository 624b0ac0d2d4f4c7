"""CycleGAN learns to translate between two real photo domains.

Domain A: crops of scikit-learn's temple photo (pale sky, bright roofs);
domain B: crops of its dahlia photo (orange petals on dark green). A small
CycleGAN trains for a short while on 32x32 crops; on held-out test crops the
cycle reconstruction error must fall far below its starting value, and G(A)
must look like B to a colour-histogram domain classifier fitted on real
images (and to a plain colour-mean distance).
"""

import numpy as np
import pytest
import keras

from keras_gans.data import unpaired
from keras_gans.models.cyclegan import CycleGAN

STEPS = 120


def colour_features(x):
    """Per-channel 8-bin histograms, means and spreads of images in [-1, 1]."""
    x = (np.asarray(x) + 1.0) / 2.0
    hist = [np.concatenate([np.histogram(img[..., c], bins=8, range=(0, 1))[0] for c in range(3)])
            / img[..., 0].size for img in x]
    return np.concatenate([np.array(hist), x.mean(axis=(1, 2)), x.std(axis=(1, 2))], axis=1)


def mean_colour_distance(x, y):
    return float(np.abs(np.mean(x, axis=(0, 1, 2)) - np.mean(y, axis=(0, 1, 2))).sum())


def test_cyclegan_learns_to_translate_temple_crops_into_flower_crops(tmp_path):
    linear_model = pytest.importorskip("sklearn.linear_model")
    root = unpaired.make_photo_domains(tmp_path / "photos", image_size=36, train=48, test=16,
                                       seed=0)
    data = CycleGAN.load_data(str(root), batch_size=4, image_size=32, seed=1)
    test_a, test_b = data.fixed(16)
    train = unpaired.load_unpaired(root, batch_size=48, image_size=32, shuffle=False,
                                   augment_images=False)
    train_a, train_b = (np.asarray(x) for x in next(iter(train.dataset)))
    judge = linear_model.LogisticRegression(max_iter=2000).fit(
        colour_features(np.concatenate([train_a, train_b])), np.r_[np.zeros(48), np.ones(48)])
    p_b = lambda x: float(judge.predict_proba(colour_features(x))[:, 1].mean())  # noqa: E731
    assert p_b(test_a) < 0.3 < 0.7 < p_b(test_b)  # the judge tells the domains apart

    keras.utils.set_random_seed(0)
    model = CycleGAN(image_shape=data.image_shape, g_filters=8, d_filters=8, residual_blocks=2,
                     seed=0)
    model.compile()

    def cycle_error():
        rec_a = model.translate(model.translate(test_a, "a2b"), "b2a")
        rec_b = model.translate(model.translate(test_b, "b2a"), "a2b")
        return 0.5 * float(np.abs(rec_a - test_a).mean() + np.abs(rec_b - test_b).mean())

    before = cycle_error()
    history = model.fit(data.dataset.repeat(), epochs=1, steps_per_epoch=STEPS, verbose=0)
    after = cycle_error()
    fake_b = model.translate(test_a, "a2b")
    fake_a = model.translate(test_b, "b2a")
    report = dict(cycle_before=before, cycle_after=after, p_b_real_a=p_b(test_a),
                  p_b_fake_b=p_b(fake_b), p_b_fake_a=p_b(fake_a),
                  colour_a_b=mean_colour_distance(test_a, test_b),
                  colour_fake_b_b=mean_colour_distance(fake_b, test_b),
                  colour_fake_a_a=mean_colour_distance(fake_a, test_a),
                  logs={k: v[-1] for k, v in history.history.items()})
    print(report)
    assert after < 0.7 * before, report
    # G(A) is judged to be B, and its colours moved most of the way to B's.
    assert p_b(fake_b) > 0.5 and p_b(fake_b) > p_b(test_a) + 0.3, report
    assert report["colour_fake_b_b"] < 0.5 * report["colour_a_b"], report
    # F(B) went the other way.
    assert report["colour_fake_a_a"] < report["colour_a_b"], report
