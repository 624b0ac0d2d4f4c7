"""`keras-gans tune`: every precision x XLA candidate timed on this device, the
fastest eligible one stored per device, entry, shape and batch, and `train`'s
auto settings taken from it (saying so); reduced precision only where the
quality benchmark showed it equal to float32."""

import json

import pytest
import tensorflow as tf
from click.testing import CliRunner

from keras_gans.cli import main
from keras_gans.training import recipes, train as train_lib, tuning

TINY = ["--g-filters", "4", "--d-filters", "4", "--latent-dim", "8", "--batch-size", "8"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(tuning.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "tune.json"


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_candidates_follow_the_cpu_and_the_quality_gate(monkeypatch):
    monkeypatch.setenv("KERAS_GANS_CPU_BF16", "1")
    dcgan = tuning.candidates("dcgan")
    assert [(c["precision"], c["xla"]) for c in dcgan] == [
        ("float32", False), ("float32", True), ("mixed_bfloat16", False),
        ("mixed_bfloat16", True)]
    assert all(c["eligible"] for c in dcgan)
    assert "21.5" in dcgan[2]["why"]  # the evidence travels with the candidate
    cgan = {(c["precision"], c["xla"]): c for c in tuning.candidates("cgan")}
    assert cgan[("float32", True)]["eligible"]
    assert not cgan[("mixed_bfloat16", False)]["eligible"]
    assert "not yet shown equal" in cgan[("mixed_bfloat16", False)]["why"]
    monkeypatch.setenv("KERAS_GANS_CPU_BF16", "0")  # bf16 emulated: not worth timing
    assert {c["precision"] for c in tuning.candidates("dcgan")} == {"float32"}
    assert "bf16|" in tuning.device_key() or "no-bf16|" in tuning.device_key()


def test_device_key_tells_isa_caps_apart(monkeypatch):
    # A timing made with oneDNN or XLA capped at AVX2 (standing in for an AVX2
    # CPU) must not be reused for the uncapped machine, nor the other way round.
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("the ISA caps name CPU keys only")
    for name in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "XLA_FLAGS"):
        monkeypatch.delenv(name, raising=False)
    plain = tuning.device_key()
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_max_isa=AVX2")
    xla_capped = tuning.device_key()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    both_capped = tuning.device_key()
    assert len({plain, xla_capped, both_capped}) == 3, (plain, xla_capped, both_capped)
    assert "xla-isa=AVX2" in xla_capped and "|isa=AVX2|" in both_capped


def test_interleaved_timing_tells_a_heavier_step_from_a_lighter(mnist):
    recipe = recipes.load("dcgan").override({"batch_size": 16})
    data = recipe.model_class.load_data("mnist5k", batch_size=16, image_size=None, channels=None,
                                        seed=0)
    variants = []
    for filters in (4, 64):  # G's convolutions: ~200x the multiply-adds at 64
        r = recipe.override({"g_filters": filters, "d_filters": filters})
        model = train_lib.compile_model(train_lib.build_model(r, data.image_shape, None, 0), r)
        variants.append({"name": filters, "model": model, "dataset": data.dataset.repeat()})
    light, heavy = tuning.time_interleaved(variants, steps=4, rounds=2, warmup=1)
    assert len(light["samples"]) == len(heavy["samples"]) == 4
    assert heavy["s_per_step"] > 2 * light["s_per_step"], (heavy["s_per_step"],
                                                            light["s_per_step"])
    assert light["first_step_s"] > 0


def test_tune_stores_the_fastest_eligible_and_train_uses_it(cache, tmp_path, monkeypatch):
    # Two candidates (float32, XLA off and on) keep the test short; which
    # candidates a CPU gets is test_candidates_follow_the_cpu_and_the_quality_gate.
    monkeypatch.setenv("KERAS_GANS_CPU_BF16", "0")
    out = invoke("tune", "dcgan", *TINY, "--steps", "2", "--rounds", "1")
    stored = json.loads(cache.read_text())
    (device, per_device), = stored["results"].items()
    assert device == tuning.device_key()
    result = per_device["dcgan|28x28x1|b8"]
    rows = result["candidates"]
    assert len(rows) == len(tuning.candidates("dcgan")) and all(r["timed_steps"] == 2
                                                               for r in rows)
    best = min((r for r in rows if r["eligible"]), key=lambda r: r["ms_per_step"])
    assert (result["precision"], result["xla"]) == (best["precision"], best["xla"])
    assert "<- fastest eligible" in out and str(cache) in out
    assert "dcgan|28x28x1|b8" in invoke("tune", "--show")

    # train takes both settings from the store and says so
    run = tmp_path / "run"
    log = invoke("train", "dcgan", *TINY, "--steps", "2", "--out", str(run))
    xla = "on" if result["xla"] else "off"
    assert f"Using precision {result['precision']} and XLA {xla}" in log
    assert json.loads((run / "recipe.json").read_text())["precision"] == result["precision"]
    assert (", XLA;" in log) == result["xla"]
    # what the user fixes stays fixed; the rest comes from the rows that agree
    log = invoke("train", "dcgan", *TINY, "--steps", "2", "--precision", "float32",
                 "--out", str(tmp_path / "run32"))
    f32 = min((r for r in rows if r["precision"] == "float32"), key=lambda r: r["ms_per_step"])
    assert f"Using XLA {'on' if f32['xla'] else 'off'}: the fastest" in log
    assert "precision float32" in log
    # another batch size is another key: nothing measured, the static defaults
    log = invoke("train", "dcgan", *TINY, "--batch-size", "4", "--steps", "2",
                 "--out", str(tmp_path / "run4"))
    assert "keras-gans tune" not in log


def test_train_follows_a_stored_result_that_differs_from_the_static_defaults(cache, tmp_path):
    # float32 with XLA on, which the static table never picks for DCGAN on a CPU
    tuning.store("dcgan", (28, 28, 1), 8, {
        "precision": "float32", "xla": True, "ms_per_step": 1.0, "date": "2026-12-02T00:00:00",
        "candidates": [{"precision": "float32", "xla": True, "eligible": True, "why": "",
                        "ms_per_step": 1.0, "first_step_s": 1.0, "timed_steps": 2}]})
    log = invoke("train", "dcgan", *TINY, "--steps", "2", "--out", str(tmp_path / "run"))
    assert "Using precision float32 and XLA on" in log and ", XLA;" in log
    log = invoke("train", "dcgan", *TINY, "--steps", "2", "--no-xla",
                 "--out", str(tmp_path / "run2"))
    assert ", XLA;" not in log


def test_train_tune_measures_first_then_trains(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_CPU_BF16", "0")
    log = invoke("train", "dcgan", *TINY, "--steps", "2", "--tune", "--no-xla",
                 "--out", str(tmp_path / "run"))
    assert "Tuning dcgan on this device" in log and "<- fastest eligible" in log
    assert "Using precision float32: the fastest that `keras-gans tune` measured" in log
    assert cache.exists() and (tmp_path / "run" / "export").is_dir()


def test_an_unreadable_cache_is_one_line_and_gets_rewritten(cache, tmp_path):
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    log = invoke("train", "dcgan", *TINY, "--steps", "1", "--out", str(tmp_path / "run"))
    assert "Ignoring the tuning cache" in log and "will write a new one" in log
    tuning.store("dcgan", (28, 28, 1), 8, {"precision": "float32", "xla": False,
                                           "ms_per_step": 1.0, "date": "2026-12-02",
                                           "candidates": []})
    assert json.loads(cache.read_text())["version"] == tuning.CACHE_VERSION


def test_tune_without_an_entry_is_one_line(cache):
    result = CliRunner().invoke(main, ["tune"])
    assert result.exit_code == 2 and "Give an ENTRY to tune" in result.output
