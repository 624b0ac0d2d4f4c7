import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _float32_policy():
    """Every test starts and ends on the float32 policy and a fixed seed."""
    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(0)
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture(scope="session")
def mnist():
    """The embedded MNIST subset as float32 images in [-1, 1] and labels."""
    from keras_gans import data
    return data.load_arrays("mnist5k")


def pytest_collection_modifyitems(items):
    # Slow learning tests last, so quick failures show first.
    items.sort(key=lambda item: 1 if item.get_closest_marker("slow") else 0)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: trains a model for a while (CI runs it)")
