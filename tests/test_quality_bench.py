"""benchmarks/quality.py: one JSON per run, merged into the Results table, and
a tiny end-to-end run (train, export, score) on the classifier's features."""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("keras_gans_benchmarks_quality",
                                               ROOT / "benchmarks" / "quality.py")
quality = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quality)


def result(entry="dcgan", seed=0, fid=8.0, tag="", **extra):
    base = {"name": f"{entry}-s{seed}", "entry": entry, "model": "DCGAN", "data": "mnist5k",
            "seed": seed, "tag": tag, "steps": 100, "precision": "float32", "cpu_kind": "AVX2",
            "train_wall_s": 600.0, "fid": fid, "fid_floor": 5.0, "kid": 0.004, "n_fake": 2500,
            "classes_covered": 10, "min_share": 0.08, "max_share": 0.12}
    return {**base, **extra}


def test_table_pools_seeds_and_checks_every_target(tmp_path):
    rows = [result(seed=0, fid=8.0), result(seed=1, fid=10.0), result(seed=2, fid=9.0),
            result("dcgan@fashion_mnist", fid=21.0, data="fashion_mnist"),
            result("cgan", fid=7.0, cond_accuracy=0.93, model="ConditionalGAN"),
            result("vanilla", fid=25.0, classes_covered=10, fid_raw_g=40.0),
            result("dcgan", tag="no-ema", fid=30.0, min_share=0.01)]
    for i, r in enumerate(rows):
        (tmp_path / f"r{i}.json").write_text(json.dumps(r))
    text = quality.write_table(tmp_path)
    assert (tmp_path / "table.md").read_text().startswith(text)
    lines = {(l.split("|")[1].strip(), l.split("|")[3].strip()): l for l in text.splitlines()
             if l.startswith("| ") and "entry" not in l and "fashion" not in l}
    assert "| 0,1,2 |" in lines["dcgan", "recipe"] and "9.0 ± 1.0 (2500)" in lines["dcgan", "recipe"]
    assert "| met (FID <= 10" in lines["dcgan", "recipe"]          # worst seed 10.0 <= 10
    assert "met" not in lines["dcgan", "no-ema"]     # a variant (--tag) is a study, not judged
    assert "93.0%" in lines["cgan", "recipe"] and "not met" in lines["cgan", "recipe"]
    fashion = [l for l in text.splitlines() if "| fashion_mnist |" in l]
    assert len(fashion) == 1 and "not met (FID <= 20)" in fashion[0]
    assert "| 40.0 |" in lines["vanilla", "recipe"] and "| met (FID <= 30" in lines[
        "vanilla", "recipe"]


def test_timings_from_another_cpu_project_the_recipe_time(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps(result(steps=1200, cpu_kind="AVX512-BF16",
                                                       precision="mixed_bfloat16")))
    (tmp_path / "time").mkdir()
    for i, (kind, per_step) in enumerate([("AVX2", 0.1), ("AVX512-BF16", 0.05)]):
        (tmp_path / "time" / f"t{i}.json").write_text(json.dumps(
            {"entry": "dcgan", "tag": "", "per_step_s": per_step, "fixed_s": 30.0,
             "cpu_kind": kind, "precision": "float32"}))
    # another tag's timing is not this row's
    (tmp_path / "time" / "t9.json").write_text(json.dumps(
        {"entry": "dcgan", "tag": "wide", "per_step_s": 9.0, "fixed_s": 0.0,
         "cpu_kind": "AVX2", "precision": "float32"}))
    # nor is a timing made at another batch size (a recipe changed since)
    (tmp_path / "time" / "t8.json").write_text(json.dumps(
        {"entry": "dcgan", "tag": "", "per_step_s": 9.0, "fixed_s": 0.0, "batch_size": 7,
         "cpu_kind": "AVX2", "precision": "float32"}))
    row = [l for l in quality.write_table(tmp_path).splitlines() if l.startswith("| dcgan")][0]
    # (30 s + 1200 steps x 0.1 s) / 60 = 2.5 min; a clean timing of the run's own CPU too
    assert "| 2.5 on AVX2, float32; 1.5 on AVX512-BF16, float32 |" in row
    assert "| 10.0 |" in row  # train_wall_s 600, no load recorded


def test_a_loaded_machine_is_named_beside_the_wall_time(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps(result(load_before=1.8, load_after=3.9, cores=2)))
    (tmp_path / "q.json").write_text(json.dumps(result("cgan", load_before=1.0, load_after=2.2,
                                                       cores=2)))
    text = quality.write_table(tmp_path)
    assert "| 10.0 (load 3.9) |" in [l for l in text.splitlines() if l.startswith("| dcgan")][0]
    assert "| 10.0 |" in [l for l in text.splitlines() if l.startswith("| cgan")][0]


def test_readme_block_is_replaced_by_the_table(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps(result()))
    readme = tmp_path / "README.md"
    begin, end = quality.readme_markers(tmp_path.name)
    other = quality.readme_markers("elsewhere")
    readme.write_text(f"# x\n\n{begin}\nold numbers\n{end}\n{other[0]}\nkept\n{other[1]}\n")
    text = quality.write_table(tmp_path, readme=readme)
    body = readme.read_text()
    assert "old numbers" not in body and text in body and "kept" in body
    assert body.endswith(f"{end}\n{other[0]}\nkept\n{other[1]}\n")


@pytest.mark.slow
def test_a_tiny_run_trains_exports_and_scores(tmp_path):
    env = dict(os.environ, KERAS_GANS_CACHE=str(tmp_path / "cache"),
               KERAS_GANS_CLASSIFIER_EPOCHS="1", KERAS_GANS_CLASSIFIER_LIMIT="500")
    cmd = [sys.executable, str(ROOT / "benchmarks" / "quality.py"), "--entries", "dcgan",
           "--n", "100", "--features", "classifier", "--precision", "float32",
           "--set", "steps=4", "--set", "g_filters=4", "--set", "d_filters=4",
           "--set", "latent_dim=8", "--set", "batch_size=32", "--set", "ema_decay=0.9",
           "--tag", "tiny", "--out", str(tmp_path / "q")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    run = json.loads((tmp_path / "q" / "dcgan-tiny-s0.json").read_text())
    assert run["steps"] == 4 and run["n_fake"] == 100 and run["features"].startswith("classifier")
    assert run["fid"] > run["fid_floor"] >= 0 and run["fid_raw_g"] > 0
    assert len(run["class_shares"]) == 10 and abs(sum(run["class_shares"]) - 1) < 1e-3
    assert run["precision"] == "float32" and run["commit"] and run["cpu_kind"]
    assert "| dcgan | mnist5k | tiny |" in (tmp_path / "q" / "table.md").read_text()
    # Its JSON is there: a second call keeps it instead of training again.
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "kept" in again.stdout



def test_time_only_projects_from_two_runs_and_refuses_a_busy_timing(tmp_path, monkeypatch):
    """--time-only: seconds per step from a k- and a 2k-step run (faked: a clock that
    advances 5 s fixed + 0.25 s a step), and a clear refusal when the longer run was not."""
    import types
    from keras_gans.training import train as train_lib
    clock = {"t": 0.0}
    per_step = {"s": 0.25}

    def fake_run(recipe, out, **kw):
        clock["t"] += 5.0 + per_step["s"] * recipe.train["steps"]
        return None, types.SimpleNamespace(policy="float32"), None
    monkeypatch.setattr(train_lib, "run", fake_run)
    monkeypatch.setattr(quality.time, "perf_counter", lambda: clock["t"])
    args = types.SimpleNamespace(set=[], tag="", precision="float32", out=tmp_path)
    t = quality.time_recipe("dcgan", args, k=100)
    assert t["per_step_s"] == 0.25 and t["fixed_s"] == 5.0 and t["precision"] == "float32"
    (path,) = (tmp_path / "time").glob("dcgan-*.json")
    assert json.loads(path.read_text())["per_step_s"] == 0.25
    per_step["s"] = 0.0  # the 2k-step run no longer than the k-step one: a busy machine
    with pytest.raises(SystemExit, match="something else used the CPU"):
        quality.time_recipe("dcgan", args, k=100)


def test_time_only_rounds_alternate_and_the_median_round_counts(tmp_path, monkeypatch):
    """--time-rounds: the k- and 2k-step runs take turns to go first, and a round in
    which the host slowed down (here: 60 s lost in one run) does not move the result."""
    import types
    from keras_gans.training import train as train_lib
    clock, lengths = {"t": 0.0}, []

    def fake_run(recipe, out, **kw):
        steps = recipe.train["steps"]
        lengths.append(steps)
        clock["t"] += 5.0 + 0.25 * steps + (60.0 if len(lengths) == 4 else 0.0)
        return None, types.SimpleNamespace(policy="float32"), None
    monkeypatch.setattr(train_lib, "run", fake_run)
    monkeypatch.setattr(quality.time, "perf_counter", lambda: clock["t"])
    args = types.SimpleNamespace(set=[], tag="", precision="float32", out=tmp_path)
    t = quality.time_recipe("dcgan", args, k=100, rounds=3)
    assert lengths == [100, 200, 200, 100, 100, 200]
    assert t["per_step_s"] == 0.25 and t["fixed_s"] == 5.0 and t["rounds"] == 3
    assert t["per_step_s_rounds"] == [0.25, -0.35, 0.25]


def test_coverage_kl_is_scored_from_the_real_mix_and_shown(tmp_path):
    import numpy as np
    real = np.array([0.5, 0.5])
    balanced = quality.class_stats(np.array([[0.9, 0.1], [0.2, 0.8]] * 50), 2, None, real)
    collapsed = quality.class_stats(np.array([[0.9, 0.1]] * 99 + [[0.1, 0.9]]), 2, None, real)
    assert balanced["coverage_kl"] == pytest.approx(0.0, abs=1e-9)
    # KL((0.99, 0.01) || (0.5, 0.5)) = 0.99 ln 1.98 + 0.01 ln 0.02
    assert collapsed["coverage_kl"] == pytest.approx(0.99 * np.log(1.98) + 0.01 * np.log(0.02))
    (tmp_path / "r.json").write_text(json.dumps(result(coverage_kl=0.0123)))
    (tmp_path / "s.json").write_text(json.dumps(result("cgan")))     # scored before the column
    text = quality.write_table(tmp_path)
    assert "| 0.012 |" in [l for l in text.splitlines() if l.startswith("| dcgan")][0]
    assert "coverage KL" in text.splitlines()[0]
