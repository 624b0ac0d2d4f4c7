"""End to end: `keras-gans train cyclegan` on a tiny photo folder, the
per-epoch grid, the LR schedule, `keras-gans translate`, and the SavedModel's
two endpoints loaded by plain TensorFlow in a fresh process."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

from keras_gans import files
from keras_gans.training import train as train_lib
from keras_gans.data import unpaired
from keras_gans.cli import main

# These runs take `--precision auto` (bf16 on a CPU with native bf16), so
# outputs are compared within the tolerance of the precision the run used.
pytestmark = pytest.mark.auto_precision

TINY = ["--image-size", "32", "--batch-size", "2", "--g-filters", "4", "--d-filters", "4",
        "--residual-blocks", "1", "--seed", "0"]


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("cyclegan_cli")
    root = unpaired.make_photo_domains(base / "photos", image_size=40, train=4, test=3, seed=0)
    run = base / "run"
    result = CliRunner().invoke(main, ["train", "cyclegan", "--data", str(root), "--steps", "4",
                                       "--out", str(run), *TINY])
    assert result.exit_code == 0, result.output
    return root, run, result.output


def run_atol(run, atol):
    return atol(json.loads((run / "recipe.json").read_text())["precision"])


def same_outputs(actual, desired, tol, bf16_tol):
    """The export's translations are the model's. In bfloat16 (tol is bf16_tol) the
    export and the in-process model (XLA here) round differently, and the
    differences add up along the ResNet: on an Intel AMX host 1.2% of one image's
    values were 0.05-0.14 apart. So there: close on average and nowhere far
    apart; in float32, value by value."""
    if tol < bf16_tol:
        np.testing.assert_allclose(actual, desired, atol=tol)
        return
    diff = np.abs(np.asarray(actual) - np.asarray(desired))
    assert diff.mean() < tol / 2 and diff.max() < 6 * tol, (diff.mean(), diff.max())


def read_png(path):
    return tf.io.decode_png(tf.io.read_file(str(path))).numpy()


def test_train_writes_grid_logs_checkpoint_and_export(cgan_run):
    root, run, output = cgan_run
    assert "Training cyclegan (CycleGAN) on folder" in output and "Exported" in output
    assert ", XLA;" in output  # the measured default for CycleGAN on a CPU
    grid = read_png(run / "samples" / "epoch_0001.png")
    # The 3 test images of each domain, in rows of A, G(A), F(G(A)), B, F(B), G(F(B)).
    assert grid.shape == (3 * 34 + 2, 6 * 34 + 2, 3)
    with open(run / "logs.csv") as f:
        header = next(csv.reader(f))
    assert {"g_adv", "f_adv", "cycle", "identity", "d_a", "d_b"} <= set(header)
    assert (run / "checkpoints" / "step-00000004" / "model.weights.h5").exists()
    recipe = json.loads((run / "recipe.json").read_text())["recipe"]
    assert recipe["model_kwargs"]["residual_blocks"] == 1 and recipe["train"]["image_size"] == 32
    # The linear decay ran: 4 steps, constant for 2, then 2e-4 * 2/2 and 2e-4 * 1/2.
    model, _ = train_lib.load_run(run)
    assert float(model.g_optimizer.learning_rate.numpy()) == pytest.approx(1e-4)
    assert float(model.d_optimizer.learning_rate.numpy()) == pytest.approx(1e-4)


def test_export_has_a2b_and_b2a_for_plain_tensorflow(cgan_run, tmp_path, atol):
    root, run, _ = cgan_run
    tol = run_atol(run, atol)
    model, _ = train_lib.load_run(run)
    a, b = unpaired.load_unpaired(root, image_size=32).fixed(3)
    np.savez(tmp_path / "inputs.npz", a=a, b=b)
    script = f"""
import sys
import numpy as np
import tensorflow as tf
x = np.load({str(tmp_path / "inputs.npz")!r})
loaded = tf.saved_model.load({str(run / "export")!r})
out = dict(a2b=loaded.a2b(x["a"]).numpy(), b2a=loaded.b2a(x["b"]).numpy(),
           a2b_one=loaded.a2b(x["a"][:1]).numpy(),
           b2a_sig=loaded.signatures["b2a"](images=tf.constant(x["b"]))["output_0"].numpy())
assert "keras_gans" not in sys.modules
np.savez({str(tmp_path / "outputs.npz")!r}, **out)
"""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = np.load(tmp_path / "outputs.npz")
    for direction, x in (("a2b", a), ("b2a", b)):
        same_outputs(out[direction], model.translate(x, direction), tol,
                     atol("mixed_bfloat16"))
    np.testing.assert_allclose(out["a2b_one"], out["a2b"][:1], atol=tol)
    np.testing.assert_allclose(out["b2a_sig"], out["b2a"], atol=tol)
    assert not np.allclose(out["a2b"], a, atol=0.05)  # it did translate


def test_translate_command_writes_one_png_per_input(cgan_run, tmp_path, atol):
    root, run, _ = cgan_run
    runner = CliRunner()
    out = tmp_path / "zebras"
    result = runner.invoke(main, ["translate", str(run), "--direction", "a2b",
                                  str(root / "testA"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(out.glob("*.png"))
    assert [p.name for p in written] == sorted(p.name for p in (root / "testA").glob("*.png"))
    model, _ = train_lib.load_run(run)
    a, _ = unpaired.load_unpaired(root, image_size=32).fixed(3)
    want = files.to_uint8(model.translate(a, "a2b"))
    got = np.stack([read_png(p) for p in written])
    assert got.shape == (3, 32, 32, 3)
    # One grey level of rounding, plus the precision's tolerance in [-1, 1] units.
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1 + run_atol(run, atol) * 127.5

    # One file the other way, back at the input's own size, from the export.
    one = root / "testB" / "b0000.png"
    result = runner.invoke(main, ["translate", str(run / "export"), "--direction", "b2a", str(one),
                                  "-o", str(tmp_path / "horses"), "--original-size"])
    assert result.exit_code == 0, result.output
    assert read_png(tmp_path / "horses" / "b0000.png").shape == (40, 40, 3)

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "note.png").write_text("not an image")
    result = runner.invoke(main, ["translate", str(run), str(bad), "-o", str(tmp_path / "x")])
    assert result.exit_code != 0 and "Error: Cannot read" in result.output


def test_sample_on_a_translation_model_points_to_translate(cgan_run, tmp_path):
    _, run, _ = cgan_run
    result = CliRunner().invoke(main, ["sample", str(run), "-o", str(tmp_path / "g.png")],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "translates images rather than sampling them: use `keras-gans translate" in \
        result.output


def test_train_refuses_a_folder_without_the_two_domains(tmp_path):
    (tmp_path / "trainA").mkdir()
    result = CliRunner().invoke(main, ["train", "cyclegan", "--data", str(tmp_path),
                                       "--out", str(tmp_path / "run"), *TINY])
    assert result.exit_code != 0
    assert "Error:" in result.output and "trainA/ and trainB/" in result.output
