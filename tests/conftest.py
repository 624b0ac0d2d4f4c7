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


def pytest_addoption(parser):
    parser.addoption(
        "--cpu-bf16", choices=("auto", "on", "off", "other"), default="auto",
        help="Run as if the CPU had (on) or lacked (off) native bfloat16, so `--precision auto` "
             "takes that path on any machine (sets KERAS_GANS_CPU_BF16 for the tests and the "
             "processes they start); other: the path this CPU does not take; auto: what the "
             "CPU has.")


def pytest_configure(config):
    # A `keras-gans tune` cache of the developer's own would change what `auto`
    # picks: the tests (and the processes they start) get an empty one.
    import atexit
    import shutil
    import tempfile
    from keras_gans.training import tuning
    cache = tempfile.mkdtemp(prefix="keras-gans-test-cache-")
    os.environ[tuning.CACHE_ENV] = cache
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    config.addinivalue_line("markers", "slow: trains a model for a while (CI runs it)")
    config.addinivalue_line(
        "markers", "auto_precision: trains with `--precision auto`, so it takes the bf16 path "
                   "on a CPU with native bf16 (CI runs these with --cpu-bf16 on and off)")
    choice = config.getoption("--cpu-bf16")
    if choice == "other":
        from keras_gans.training import precision
        os.environ.pop(precision.CPU_BF16_ENV, None)
        choice = "off" if precision.cpu_has_native_bf16() else "on"
    if choice != "auto":
        os.environ["KERAS_GANS_CPU_BF16"] = "1" if choice == "on" else "0"


def pytest_report_header(config):
    from keras_gans.training import precision
    return (f"precision auto -> {precision.resolve('auto')} "
            f"({precision.auto_policy()[1]})")


# How far two computations of the same network may differ in each policy
# (bfloat16 keeps 8 bits of mantissa: a relative step of 2**-8 per op).
ATOL = {"float32": 1e-5, "mixed_float16": 5e-3, "mixed_bfloat16": 5e-2}


@pytest.fixture
def atol():
    """`atol(policy)`: the tolerance for outputs computed under `policy`."""
    return lambda policy: ATOL[policy]


def run_dist_checks(configs, env=None):
    """The JSON results of tests/dist_check.py for `configs`, one TensorFlow
    start-up for all (a fresh process, since TF must configure the devices
    first); fails if the process does."""
    import json
    import pathlib
    import subprocess
    import sys

    script = pathlib.Path(__file__).resolve().parent / "dist_check.py"
    out = subprocess.run([sys.executable, str(script), json.dumps(configs)],
                         capture_output=True, text=True, timeout=300 + 60 * len(configs),
                         env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    results = [json.loads(line) for line in out.stdout.strip().splitlines()[-len(configs):]]
    assert len(results) == len(configs), out.stdout[-3000:]
    return results


@pytest.fixture(scope="session")
def dist_checks():
    """`run_dist_checks(configs, env=None)`: several mirrored checks, one process."""
    return run_dist_checks


@pytest.fixture
def mirrored_check():
    """run(config, env=None) -> the result of tests/dist_check.py: the same
    updates on one device and on MirroredStrategy over 2 logical CPUs; fails
    on its error."""

    def run(config, env=None):
        result, = run_dist_checks([config], env)
        assert "error" not in result, result["error"][-3000:]
        return result

    return run


def one_error_line(result, *words):
    """Assert that a CliRunner `result` failed with exactly one `Error: ...`
    line, no traceback, naming each of `words`."""
    assert result.exit_code not in (0, None), result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "Error" in line]
    assert len(errors) == 1 and errors[0].startswith("Error: "), result.output
    for word in words:
        assert word in errors[0], errors[0]


def pooled_fd_before_after(model, steps=160, batch_size=32):
    """Train `model` (uncompiled) with Adam 8e-4 / beta_1 0.5 on the embedded
    digits for `steps`, and return the Frechet distance of its samples to the
    held-out digits (7x7-pooled pixels) before and after."""
    import tensorflow as tf
    from keras_gans import data
    from keras_gans.evaluation import metrics
    pooled = (lambda x: tf.nn.avg_pool2d(x, 4, 4, "VALID").numpy().reshape(len(x), -1))
    x_test, _ = data.load_arrays("mnist5k", split="test")
    digits = data.load("mnist5k", batch_size=batch_size, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(8e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(8e-4, beta_1=0.5))
    before = metrics.frechet_distance(pooled(model.generate(1000, seed=1)), pooled(x_test))
    model.fit(digits.dataset.repeat(), steps_per_epoch=40, epochs=steps // 40, verbose=0)
    after = metrics.frechet_distance(pooled(model.generate(1000, seed=1)), pooled(x_test))
    return before, after
