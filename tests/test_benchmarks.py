"""The benchmark harness runs end to end and writes the JSON it documents.

No timing asserts: the numbers depend on the machine; only their presence,
type and sign are checked.
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# benchmarks/ is not a package: load run.py under a name no one else uses.
_spec = importlib.util.spec_from_file_location("keras_gans_benchmarks_run",
                                               ROOT / "benchmarks" / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_harness_smoke_writes_documented_json(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    # The smallest entry, shrunk: a few steps of each row are enough to
    # exercise timing, the pipeline check, the baseline and the export.
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--entries", "vanilla",
           "--steps", "2", "--rounds", "1", "--warmup", "0", "--batch-size", "16",
           "--set", "g_hidden=32,32", "--set", "d_hidden=16,16", "--sample-batch", "8",
           "--json", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "vanilla" in proc.stdout and "baseline" in proc.stdout

    report = json.loads(out.read_text())
    for key in ("date", "commit", "device", "tensorflow", "keras", "host", "entries"):
        assert report[key], key
    assert report["commit"] != "unknown"
    [entry] = report["entries"]
    assert set(bench.ENTRY_FIELDS) <= set(entry)
    assert entry["entry"] == "vanilla" and entry["batch_size"] == 16
    assert entry["peak_memory_mb"] > 0
    assert entry["pipeline_ratio"] > 0 and entry["speedup_vs_baseline"] > 0
    assert entry["sampling_images_per_s"] > 0
    inputs = {(row["variant"] == "baseline", row["input"]) for row in entry["rows"]}
    assert inputs == {(False, "pipeline"), (False, "memory"), (True, "pipeline")}
    for row in entry["rows"]:
        assert set(bench.ROW_FIELDS) <= set(row)
        assert row["images_per_s"] > 0 and row["ms_per_step"] > 0
        assert row["first_step_s"] > 0 and row["timed_steps"] >= 2
        assert row["gflop_per_step"] > 0 and row["gflops_per_s"] > 0
        assert row["matmul_fraction"] > 0


def test_unknown_entry_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as e:
        bench.main(["--entries", "no_such_gan"])
    assert e.value.code == 2
    assert "unknown entries no_such_gan" in capsys.readouterr().err


def test_unavailable_data_falls_back_to_synthetic_batches():
    from keras_gans.training import recipes
    recipe = recipes.load("dcgan").override({"data": "/no/such/folder", "image_size": "32",
                                             "batch_size": "4"})
    data, shape, num_classes, note = bench.load_entry_data(recipe)
    assert data is None and "synthetic" in note and "/no/such/folder" in note
    assert shape == (32, 32, 1) and num_classes is None
    model = recipe.model_class(image_shape=shape, g_filters=4, d_filters=4, latent_dim=8)
    batch = bench.synthetic_batch(model, 4, shape, num_classes)
    assert tuple(batch.shape) == (4, 32, 32, 1)
    # The model trains on it: the same structure the real pipeline would give.
    model.compile()
    logs = model.train_on_batch(batch, return_dict=True)
    assert all(float(v) == float(v) for v in logs.values())


def test_step_flops_count_scales_with_batch_and_covers_every_forward_pass():
    import keras
    import tensorflow as tf
    from keras_gans.training import recipes, train
    recipe = recipes.load("vanilla").override({"g_hidden": "32,32", "d_hidden": "16,16"})
    model = train.compile_model(train.build_model(recipe, (28, 28, 1), None, 0), recipe)

    def macs(net):  # multiply-adds of one image through the net's Dense layers
        return sum(int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
                   for layer in net._flatten_layers() if isinstance(layer, keras.layers.Dense))

    counts = {b: bench.step_flops(model, tf.zeros((b, 28, 28, 1))) for b in (8, 16)}
    assert 1.9 < counts[16] / counts[8] < 2.1  # linear in the batch
    # at least the forward passes: G twice (D's step, G's step), D three times
    # (real and fake in D's step, fake in G's), 2 FLOPs a multiply-add
    forward = 2 * 8 * (2 * macs(model.generator) + 3 * macs(model.discriminator))
    assert counts[8] > forward
    peak, how = bench.cpu_peak_gflops("float32")
    assert peak is None or (peak > 0 and "FLOP/cycle" in how)
    assert bench.matmul_ceiling("float32", n=256, calls=2) > 0


def test_vector_pipes_follow_the_cpu_generation():
    """Zen/Zen+ and Zen 4's AVX-512 get one full-width FMA a cycle, other CPUs two."""
    zen1 = "vendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 1\n"
    zen2 = "vendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 49\n"
    zen4 = "vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n"
    intel = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
    assert bench.vector_pipes(zen1, wide=False)[0] == 1
    assert bench.vector_pipes(zen2, wide=False)[0] == 2
    assert bench.vector_pipes(zen4, wide=True)[0] == 1
    assert bench.vector_pipes(zen4, wide=False)[0] == 2
    assert bench.vector_pipes(intel, wide=True)[0] == 2
