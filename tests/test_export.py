"""SavedModel export: loads with plain TensorFlow, matches the model, atomic."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keras_gans
from keras_gans import export


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=6, g_filters=4, d_filters=4, seed=1)
    gan.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    gan.fit(x, batch_size=8, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("exp") / "export"
    export.export(gan, path, metadata={"entry": "test"})
    return gan, path


def test_export_loads_without_keras_gans(trained, tmp_path):
    gan, path = trained
    z = gan.latents(5, seed=3)
    np.save(tmp_path / "z.npy", z)
    # A fresh interpreter that cannot import keras_gans (it is blocked).
    code = textwrap.dedent(f"""
        import json, sys
        sys.modules["keras_gans"] = None  # any import of keras_gans now fails
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({str(path)!r})
        z = np.load({str(tmp_path / 'z.npy')!r})
        images = loaded.generate(tf.constant(z)).numpy()
        sig = loaded.signatures["generate"]
        spec = sig.structured_input_signature[1]["z"]
        np.save({str(tmp_path / 'out.npy')!r}, images)
        print(json.dumps({{"latent_dim": int(loaded.latent_dim.numpy()), "sig_dim": spec.shape[1],
                          "dtype": images.dtype.name, "mods": [m for m in sys.modules
                          if m.startswith("keras_gans")]}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info == {"latent_dim": 6, "sig_dim": 6, "dtype": "float32", "mods": ["keras_gans"]}
    images = np.load(tmp_path / "out.npy")
    assert images.shape == (5, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    np.testing.assert_allclose(images, gan.generate(5, seed=3), atol=1e-5)


def test_metadata_file_and_helpers(trained):
    gan, path = trained
    meta = json.loads((path / export.META_FILE).read_text())
    assert meta["latent_dim"] == 6 and meta["image_shape"] == [28, 28, 1]
    assert meta["entry"] == "test" and meta["model"] == "DCGAN"
    loaded, meta2 = export.load(path)
    assert meta2 == meta
    assert export.generate(loaded, 3, seed=0).shape == (3, 28, 28, 1)


def test_failed_export_leaves_the_previous_one_intact(trained, monkeypatch):
    gan, path = trained
    before = sorted(p.name for p in path.rglob("*"))
    pb = (path / "saved_model.pb").read_bytes()

    class Boom(RuntimeError):
        pass

    def crash(self, *args, **kwargs):
        raise Boom("disk full")

    # Fail after the SavedModel files are written, while writing the metadata.
    import pathlib
    monkeypatch.setattr(pathlib.Path, "write_text", crash)
    with pytest.raises(Boom):
        export.export(gan, path)
    assert sorted(p.name for p in path.rglob("*")) == before
    assert (path / "saved_model.pb").read_bytes() == pb
    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(".export")]
    assert leftovers == []


def test_half_swapped_export_is_recovered(trained, tmp_path):
    gan, _ = trained
    path = tmp_path / "export"
    export.export(gan, path)
    # Simulate a crash between the two renames of the swap.
    path.rename(tmp_path / ".export.old")
    assert export.is_export(path)  # recovered on first look
    assert (path / "saved_model.pb").exists()


def test_not_an_export_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not an exported SavedModel"):
        export.load(tmp_path)
