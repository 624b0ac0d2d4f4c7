"""benchmarks/ttq.py's arithmetic: which score first reaches a threshold, and the
table of each arm's time to it (with the speed-up a baseline that never got
there only bounds), rebuilt from a report's JSON by `--report`."""

import importlib.util
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("keras_gans_benchmarks_ttq",
                                               ROOT / "benchmarks" / "ttq.py")
ttq = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ttq)


def arm(name, scores, **settings):
    base = dict(precision="float32", xla=False, batch_size=64, d_lr=8e-4, g_lr=8e-4,
                ema_decay=0.999)
    return {"name": name, "settings": {**base, **settings},
            "scores": [{"step": s, "train_s": t, "fid": f} for s, t, f in scores],
            "trained_steps": scores[-1][0], "trained_s": scores[-1][1],
            "best_fid": min(f for _, _, f in scores)}


def report(threshold=20.0):
    # The recipe reaches FID 30 at 120 s and 20 at 240 s; the baseline reaches 30
    # at 480 s and never 20 (it stops after 600 s).
    recipe = arm("recipe", [(500, 60.0, 45.0), (1000, 120.0, 30.0), (1500, 180.0, 24.0),
                            (2000, 240.0, 19.5)], precision="mixed_bfloat16")
    baseline = arm("baseline", [(1000, 240.0, 50.0), (2000, 480.0, 29.0), (2500, 600.0, 26.0)],
                   batch_size=128, d_lr=2e-4, g_lr=2e-4, ema_decay=0.0)
    return {"arms": [recipe, baseline], "threshold": threshold, "onednn_max_cpu_isa": "AVX2",
            "entry": "dcgan", "data": "mnist5k", "n": 1000, "real_vs_real_fid": 9.4,
            "cpu": "Test CPU", "cores": 2, "date": "2026-12-03T08:00:00+00:00",
            "commit": "0123456789abcdef", "eval_every": 500, "baseline_eval_every": 1000,
            "max_minutes": 10.0, "command": "python benchmarks/ttq.py --max-minutes 10"}


def test_first_reaching_is_the_earliest_score_at_or_under_the_threshold():
    scores = report()["arms"][0]["scores"]
    assert ttq.first_reaching(scores, 30.0)["step"] == 1000  # "at or under": 30.0 counts
    assert ttq.first_reaching(scores, 25.0)["step"] == 1500
    assert ttq.first_reaching(scores, 45.0)["step"] == 500
    assert ttq.first_reaching(scores, 19.0) is None


def test_markdown_times_each_arm_and_bounds_the_speedup_where_the_baseline_never_got_there():
    text = ttq.markdown(report(), also=(30.0,))
    rows = {line.split("|")[1].strip(): line for line in text.splitlines()
            if line.startswith("| ")}
    # One column per threshold, the loosest first.
    assert rows["arm"].index("to FID <= 30") < rows["arm"].index("to FID <= 20")
    assert "2.0 min (1000 steps, FID 30.0)" in rows["recipe"]
    assert "4.0 min (2000 steps, FID 19.5)" in rows["recipe"]
    assert "mixed_bfloat16, XLA off, batch 64, lr 0.0008/0.0008, EMA 0.999" in rows["recipe"]
    assert "EMA off" in rows["baseline"] and "batch 128" in rows["baseline"]
    assert "8.0 min (2000 steps, FID 29.0)" in rows["baseline"]
    assert "not in 10.0 min (2500 steps; best 26.0)" in rows["baseline"]
    # 480 s / 120 s where both got there; at 20 only a bound (600 s / 240 s).
    cells = [c.strip() for c in rows["recipe sooner by"].split("|")[3:-1]]
    assert cells == ["4.0x", ">= 2.5x"]
    assert "oneDNN capped at AVX2" in text and "real-vs-real 9.4" in text
    assert "`python benchmarks/ttq.py --max-minutes 10`" in text


def test_markdown_says_nothing_is_sooner_when_the_recipe_never_got_there():
    text = ttq.markdown(report(threshold=10.0))
    sooner = next(l for l in text.splitlines() if l.startswith("| recipe sooner by"))
    assert [c.strip() for c in sooner.split("|")[3:-1]] == ["-"]
    assert "not in 4.0 min (2000 steps; best 19.5)" in text


def test_report_flag_rewrites_the_markdown_from_the_json_without_training(tmp_path, capsys):
    path = tmp_path / "dcgan-fid20-n1000.json"
    path.write_text(json.dumps(report()))
    assert ttq.main(["--report", str(path), "--also", "30"]) == 0
    md = path.with_suffix(".md").read_text()
    assert md.strip() == capsys.readouterr().out.strip()
    assert "to FID <= 30" in md and ">= 2.5x" in md
