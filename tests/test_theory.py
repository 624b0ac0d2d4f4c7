"""The GAN paper's propositions on the 1-D mixture (docs/theory.md): with G
frozen, D trained by the core's D update approaches D* = p_data / (p_data +
p_g), and V(D, G) at that D approaches -log 4 + 2 JSD(p_data || p_g)."""

import math

import numpy as np
import pytest

from keras_gans.evaluation import theory


def test_optimum_and_jsd_formulas():
    assert theory.optimal_discriminator([1.0, 0.0, 3.0], [1.0, 0.0, 1.0]).tolist() == \
        [0.5, 0.5, 0.75]
    x = np.linspace(-10, 10, 20001)
    p = theory.gaussian_density(x, 0.0, 1.0)
    assert theory.jensen_shannon(p, p, x) == pytest.approx(0.0, abs=1e-12)
    far = theory.gaussian_density(x, 8.0, 0.5)         # (almost) disjoint supports
    assert theory.jensen_shannon(p, far, x) == pytest.approx(math.log(2), abs=1e-4)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """D trained against the frozen G(z) = 1.5 z (p_g = N(0, 1.5^2))."""
    plot = tmp_path_factory.mktemp("theory") / "dstar.png"
    return theory.check_optimal_discriminator(steps=800, batch_size=512, hidden=(32, 32),
                                              value_samples=100_000, seed=0, plot=plot)


def test_trained_discriminator_is_close_to_the_optimal_one(trained):
    # An untrained D (1/2 everywhere) is 0.29 away from D* on average here.
    assert trained["gap_mean"] < 0.05, trained
    assert trained["gap_max"] < 0.25, trained
    from pathlib import Path
    assert Path(trained["plot"]).stat().st_size > 10_000


def test_value_at_the_trained_discriminator_is_minus_log4_plus_twice_the_jsd(trained):
    assert 0.15 < trained["jsd"] < 0.35          # p_g != p_data: V is above -log 4
    assert trained["value"] > -math.log(4) + 0.25
    # V(D, G) <= V(D*, G) = -log 4 + 2 JSD for every D; the trained D gets within 0.01.
    assert abs(trained["value_gap"]) < 0.01, trained
