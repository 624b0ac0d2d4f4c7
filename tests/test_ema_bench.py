"""benchmarks/ema.py: several moving averages of G ride along one training
run; the one equal to the recipe's is the export's average, and each is scored."""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("keras_gans_benchmarks_ema",
                                               ROOT / "benchmarks" / "ema.py")
ema = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ema)


def test_variants_are_parsed_and_bad_ones_named():
    assert ema.parse_variants("0.999:0, 0.9995:0.5,0.999:0") == [(0.999, 0.0), (0.9995, 0.5)]
    assert ema.parse_variants("0.99") == [(0.99, 0.0)]
    with pytest.raises(SystemExit, match="0 < DECAY < 1"):
        ema.parse_variants("1.5:0")
    with pytest.raises(SystemExit, match="ema_rampup is the share"):
        ema.parse_variants("0.999:-1")


@pytest.mark.slow
def test_a_tiny_run_scores_each_average_and_the_recipes_twin_matches(tmp_path):
    env = dict(os.environ, KERAS_GANS_CACHE=str(tmp_path / "cache"),
               KERAS_GANS_CLASSIFIER_EPOCHS="1", KERAS_GANS_CLASSIFIER_LIMIT="500")
    cmd = [sys.executable, str(ROOT / "benchmarks" / "ema.py"), "--entry", "dcgan",
           "--n", "100", "--features", "classifier", "--precision", "float32",
           "--variants", "0.5:0,0.9:0.5", "--set", "steps=20", "--set", "g_filters=4",
           "--set", "d_filters=4", "--set", "latent_dim=8", "--set", "batch_size=32",
           "--set", "ema_decay=0.9", "--tag", "tiny", "--out", str(tmp_path / "e")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    # the recipe's own average (0.9, TF warm-up) is tracked too, and equals the export's
    assert "differs from it by at most 0.0e+00" in proc.stdout
    run = json.loads((tmp_path / "e" / "dcgan-tiny-s0.json").read_text())
    got = {(v["decay"], v["rampup"]): v for v in run["variants"]}
    assert set(got) == {(0.9, 0.0), (0.5, 0.0), (0.9, 0.5)} and got[0.9, 0.0]["recipe"]
    fids = [v["fid"] for v in run["variants"]]
    assert len(set(fids)) == 3 and all(f > 0 for f in fids)  # three different averages
    assert run["steps"] == 20 and run["fid_raw_g"] > 0
    table = (tmp_path / "e" / "table.md").read_text()
    assert "| 0.9, TF warm-up (the run's recipe) |" in table and "| 0.9, ramp-up 0.5 |" in table
    # the averages are drawn from the latents quality.py gives the export
    import numpy as np
    import tensorflow as tf
    from keras_gans import evaluation, export as export_lib, train as train_lib
    run_dir = tmp_path / "e" / "runs" / "dcgan-tiny-s0"
    model, _ = train_lib.load_run(run_dir)
    meta = json.loads((run_dir / "export" / export_lib.META_FILE).read_text())
    from_export, _ = evaluation.generate_from_export(
        tf.saved_model.load(str(run_dir / "export")), meta, 700, seed=0)
    np.testing.assert_allclose(ema.export_draw(model, 700, 0), from_export, atol=1e-5)
    # the trained run is kept: a second call scores it again without training
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "kept the trained run" in again.stdout
