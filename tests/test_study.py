"""`keras-gans study`: the hyper-parameter plan (models in turn, the recipe
first, then the paper's wide ranges), the bootstrap of the best score against
trials tried, a local study that resumes and reports, and KerasTuner's
distributed mode with a chief and two workers on 127.0.0.1, every trial run
exactly once."""

import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

from keras_gans import study as study_lib
from keras_gans.training import recipes

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
# Tiny trials: 4 steps, scored twice by the Parzen window (no feature network).
TINY = ["--steps", "4", "--evals", "2", "--metric", "parzen", "-n", "20", "--filters", "4",
        "--latent-dim", "4", "--batch-size", "8", "--precision", "float32"]


def test_plan_visits_models_in_turn_recipe_first_then_the_wide_range(tmp_path):
    s = study_lib.Study(out=tmp_path, models="ns,wgan_gp,sngan,vae", trials=25, seed=3)
    plans = [s.trial_plan(i) for i in range(100)]
    assert [p["model"] for p in plans[:8]] == ["ns", "wgan_gp", "sngan", "vae"] * 2
    assert plans == [s.trial_plan(i) for i in range(100)]  # the same on any machine
    assert plans[5] != study_lib.Study(out=tmp_path, models="ns,wgan_gp,sngan,vae",
                                       seed=4).trial_plan(5)
    # trial 0 of each model is its zoo recipe's setting
    gp = recipes.load("wgan_gp")
    assert plans[1] == {"model": "wgan_gp", "draw": 0, "lr": gp.train["d_lr"],
                        "beta_1": gp.train["beta_1"], "d_steps": 5, "norm": "layer",
                        "penalty_weight": 10.0}
    drawn = plans[4:]
    assert all(1e-5 <= p["lr"] <= 1e-2 and 0 <= p["beta_1"] < 1 for p in drawn)
    lrs = np.log10([p["lr"] for p in drawn])
    assert lrs.min() < -4.3 and lrs.max() > -2.7  # log-uniform over the whole range
    gans = [p for p in drawn if p["model"] != "vae"]
    assert {p["d_steps"] for p in gans} == {1, 5}
    assert {p["norm"] for p in drawn if p["model"] == "ns"} == {"batch", "none"}
    assert {p["norm"] for p in drawn if p["model"] == "wgan_gp"} <= {"layer", "none"}
    assert {p["norm"] for p in drawn if p["model"] == "sngan"} == {"none"}
    assert all(0.1 <= p["penalty_weight"] <= 100 for p in drawn if p["model"] == "wgan_gp")
    assert all("d_steps" not in p for p in drawn if p["model"] == "vae")
    # a trial's recipe: the entry, the trial's values, the study's budget and networks
    p = next(p for p in drawn if p["model"] == "wgan_gp")
    r = s.recipe_for(p)
    assert (r.entry, r.model_kwargs["loss"], r.model_kwargs["penalty"]) == \
        ("wgan_gp", "wasserstein", "gp")
    assert r.train["d_lr"] == r.train["g_lr"] == p["lr"]
    assert r.model_kwargs["penalty_weight"] == p["penalty_weight"]
    assert r.model_kwargs["g_filters"] == r.model_kwargs["d_filters"] == 64
    assert r.train["steps"] == 2000 and r.train["eval_metric"] == "fid"
    mm = s.recipe_for({**plans[0], "model": "mm"})
    assert mm.model_kwargs["loss"] == "minimax"


def test_bootstrap_of_the_best_of_k_trials():
    # the best of 2 draws from {1, 2, 3}: 1 w.p. 5/9, 2 w.p. 3/9, 3 w.p. 1/9
    mean, low, high = study_lib.bootstrap_minimum([3.0, 1.0, 2.0], 2, draws=20000)
    assert mean == pytest.approx(14 / 9, abs=0.03) and (low, high) == (1.0, 3.0)
    assert study_lib.bootstrap_minimum([3.0, 1.0, 2.0], 40)[0] == pytest.approx(1.0, abs=1e-3)
    mean, _, _ = study_lib.bootstrap_minimum([3.0, 1.0, 2.0], 2, draws=20000, direction="max")
    assert mean == pytest.approx(4 - 14 / 9, abs=0.03)


def test_bad_options_are_one_clear_line(tmp_path):
    with pytest.raises(study_lib.StudyError, match="Unknown study model.*began.*choose from"):
        study_lib.Study(out=tmp_path, models="ns,began")
    with pytest.raises(study_lib.StudyError, match="not a multiple of --evals"):
        study_lib.Study(out=tmp_path, steps=10, evals=3)


def run_study(out, *extra, env=ENV, timeout=600):
    return subprocess.run([sys.executable, "-m", "keras_gans", "study", "-o", str(out), *TINY,
                           *extra], capture_output=True, text=True, env=env, timeout=timeout)


def trials_trained(output):
    """Trial ids a study process reports it finished."""
    return re.findall(r"\] \d+/\d+ trial (\d+) \w+: best", output)


def tiny_study(out, **kwargs):
    return study_lib.Study(out=out, steps=4, evals=2, metric="parzen", eval_samples=20,
                           filters=4, latent_dim=4, batch_size=8, precision="float32", **kwargs)


def test_local_study_resumes_and_reports(tmp_path, capsys):
    out = tmp_path / "study"
    records = study_lib.run(tiny_study(out, models="vae", trials=1))
    assert [r["trial"] for r in records] == ["0"]
    # more trials, from the command line: the finished one is kept (KerasTuner
    # reloads it), one more runs, and the report covers both
    second = run_study(out, "--models", "vae", "--trials", "2")
    assert second.returncode == 0, second.stdout + second.stderr
    assert trials_trained(second.stdout) == ["1"], second.stdout
    summary = json.loads((out / "study.json").read_text())
    assert [t["trial"] for t in summary["trials"]] == ["0", "1"]
    assert all(len(t["scores"]) == 2 and t["best"] is not None for t in summary["trials"])
    assert [s["step"] for s in summary["trials"][0]["scores"]] == [2, 4]
    assert summary["trials"][0]["values"]["draw"] == 0  # the recipe's setting first
    row, = summary["rows"]
    assert row["trials"] == 2 and len(summary["curves"]["vae"]) == 2
    assert row["best"] == max(t["best"] for t in summary["trials"])  # parzen: higher is better
    assert "| VAE | 2 (2) |" in (out / "study.md").read_text()
    for png in ("study_best.png", "study_budget.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # another budget in the same folder: a message naming the option and the fix
    with pytest.raises(study_lib.StudyError, match="steps: 4 then, 8 now.*another --out"):
        study_lib.Study(out=out, models="vae", trials=2, steps=8, evals=2, metric="parzen",
                        eval_samples=20, filters=4, latent_dim=4, batch_size=8).check_folder()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_distributed_study_chief_and_two_workers_run_every_trial_once(tmp_path):
    out = tmp_path / "study"
    port = str(free_port())
    args = [sys.executable, "-m", "keras_gans", "study", "-o", str(out), *TINY,
            "--models", "ns,vae", "--trials", "2"]

    def start(tuner_id):
        env = dict(ENV, KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP="127.0.0.1",
                   KERASTUNER_ORACLE_PORT=port)
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    chief = start("chief")
    workers = [start("tuner1"), start("tuner2")]
    try:
        outputs = [w.communicate(timeout=600) for w in workers]
        chief_out = chief.communicate(timeout=120)
    finally:
        for p in [chief, *workers]:
            if p.poll() is None:
                p.kill()
    assert chief.returncode == 0 and all(w.returncode == 0 for w in workers), \
        (chief_out, outputs)
    ran = [t for stdout, _ in outputs for t in trials_trained(stdout)]
    assert sorted(ran) == ["0", "1", "2", "3"], outputs  # each trial exactly once
    assert trials_trained(chief_out[0]) == []  # the chief serves the oracle only
    summary = json.loads((out / "study.json").read_text())  # the chief's report
    assert sorted(t["trial"] for t in summary["trials"]) == ["0", "1", "2", "3"]
    assert [r["model"] for r in summary["rows"]] == ["ns", "vae"]
