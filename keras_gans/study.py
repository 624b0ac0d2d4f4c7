"""`keras-gans study`: Lucic et al.'s protocol ("Are GANs Created Equal? A
Large-Scale Study", NeurIPS 2018) at a size that fits, on KerasTuner.

For every chosen model, N hyper-parameter samples are trained for the same
budget on the same networks (the DCGAN pair, at one width and latent size for
all); each is scored by FID (or another metric) at every evaluation point and
its best score is kept. The study's question is not "which model's single
run is best" but "what does each model reach for a given search budget":
the table, a box plot of every trial's best score per model, and the curve of
the minimum score reached against the number of hyper-parameter samples tried
(bootstrap mean and 90% band).

The search space is the paper's wide range (as in its code, compare_gan):
Adam's learning rate log-uniform in [1e-5, 1e-2] (both players alike),
beta_1 uniform in [0, 1), D steps per G step in {1, 5}, D with or without
batch norm (layer norm or none where a penalty forbids batch norm), and the
penalty weight lambda log-uniform in [0.1, 100] (WGAN-GP, DRAGAN). The VAE
draws its learning rate and beta_1 only. A model's first trial is its zoo
recipe's own setting, as the paper's first sample is the authors' defaults.

The engine is KerasTuner: `StudyOracle` (a random search that visits the
models in turn and draws each one's own space) and `StudyTuner` (its
`run_trial` trains one trial with `keras_gans.training.train.run` and returns
the best score as the minimised, or maximised, objective). KerasTuner keeps
the oracle's state under the study directory, so a study run again with the
same options goes on where it stopped: finished trials are kept, an
interrupted one resumes from its last checkpoint. Its distributed mode (a
chief serving the oracle, workers running trials) is set by the environment:
KERASTUNER_TUNER_ID ("chief" or "tuner1", ...), KERASTUNER_ORACLE_IP and
KERASTUNER_ORACLE_PORT.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import random
import time
from typing import Any, Callable

import numpy as np

from keras_gans import files
from keras_gans.training import recipes


class StudyError(ValueError):
    """A study's options are wrong, or its folder holds another study."""


# name: (zoo entry, fixed overrides, label). The names follow the paper's.
MODELS = {
    "mm": ("dcgan", {"loss": "minimax"}, "MM GAN"),
    "ns": ("dcgan", {}, "NS GAN"),
    "lsgan": ("lsgan", {}, "LSGAN"),
    "wgan": ("dcgan", {"loss": "wasserstein", "weight_clip": 0.01, "d_steps": 5}, "WGAN"),
    "wgan_gp": ("wgan_gp", {}, "WGAN-GP"),
    "dragan": ("dcgan", {"penalty": "dragan", "penalty_weight": 10.0, "norm": "layer"},
               "DRAGAN"),
    "sngan": ("sngan", {}, "hinge + SN"),
    "vae": ("vae", {}, "VAE"),
}
DEFAULT_MODELS = ("mm", "ns", "lsgan", "wgan_gp", "dragan", "sngan", "vae")
# Models whose D takes no batch norm (a per-example penalty, or spectral norm).
NO_BATCH_NORM = ("wgan_gp", "dragan")
FIXED_NORM = ("sngan",)
WITH_PENALTY = ("wgan_gp", "dragan")

# The wide range of the paper's code: (low, high) of log10 or of the value.
LOG10_LR = (-5.0, -2.0)
BETA_1 = (0.0, 1.0)
D_STEPS = (1, 5)
LOG10_PENALTY = (-1.0, 2.0)

# Options of the study that must match when a study folder is resumed.
SETTINGS = ("models", "data", "steps", "evals", "metric", "eval_samples", "batch_size",
            "filters", "latent_dim", "seed")


def check_models(names: str | list[str]) -> list[str]:
    """Model names of a study ("ns,lsgan" or a list), checked."""
    if isinstance(names, str):
        names = [n.strip().lower().replace("-", "_") for n in names.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        raise StudyError(f"Unknown study model(s) {', '.join(unknown) or '(none given)'}: "
                         f"choose from {', '.join(MODELS)}.")
    if len(set(names)) != len(names):
        raise StudyError(f"A model is named twice in {','.join(names)}.")
    return list(names)


def objective_of(metric: str) -> tuple[str, str]:
    """(objective name, "min" or "max") of a study scored by `metric`."""
    from keras_gans.evaluation import metrics
    metric = metric.lower()
    if metric not in ("fid", "kid", "fd", "parzen", "is"):
        raise StudyError(f"A study scores trials by fid, kid, fd, parzen or is, not {metric!r}.")
    return f"best_{metric}", ("max" if metrics.HIGHER_IS_BETTER[metric] else "min")


@dataclasses.dataclass
class Study:
    """The settings of a study and what it does with one trial."""

    out: pathlib.Path
    models: list[str] = dataclasses.field(default_factory=lambda: list(DEFAULT_MODELS))
    trials: int = 10
    data: str = "mnist5k"
    steps: int = 2000
    evals: int = 4
    metric: str = "fid"
    eval_samples: int = 1000
    batch_size: int = 64
    filters: int = 64
    latent_dim: int = 64
    seed: int = 0
    precision: str = "auto"

    def __post_init__(self):
        self.out = pathlib.Path(self.out)
        self.models = check_models(self.models)
        self.objective, self.direction = objective_of(self.metric)
        self.metric = self.metric.lower()
        for name in ("trials", "steps", "evals", "eval_samples", "batch_size", "filters",
                     "latent_dim"):
            if int(getattr(self, name)) < 1:
                raise StudyError(f"--{name.replace('_', '-')} must be at least 1, not "
                                 f"{getattr(self, name)}.")
        if self.steps % self.evals:
            raise StudyError(f"--steps {self.steps} is not a multiple of --evals {self.evals}: "
                             f"each trial is scored every steps / evals steps.")

    # ------------------------------------------------------------ settings
    def settings(self) -> dict:
        return {name: getattr(self, name) for name in SETTINGS}

    def check_folder(self) -> None:
        """Refuse a folder that holds a study with other settings; record ours."""
        path = self.out / "study_settings.json"
        mine = self.settings()
        if path.exists():
            theirs = json.loads(path.read_text())
            changed = [k for k in SETTINGS if theirs.get(k) != mine[k]]
            if changed:
                raise StudyError(
                    f"{self.out} holds a study with other settings ("
                    f"{'; '.join(f'{k}: {theirs.get(k)!r} then, {mine[k]!r} now' for k in changed)}"
                    f"): run it with the same options (--trials may grow), or use another --out.")
            return
        self.out.mkdir(parents=True, exist_ok=True)
        files.atomic_write_file(path, lambda tmp: pathlib.Path(tmp).write_text(
            json.dumps(mine, indent=1)))

    # --------------------------------------------------------------- space
    def trial_plan(self, index: int) -> dict:
        """The values of trial `index`: models in turn (trial i trains model
        i mod M), each model's k-th draw from its own space; k = 0 is the zoo
        recipe's setting. The same study seed gives the same plan on any
        machine, whichever worker asks first."""
        model = self.models[index % len(self.models)]
        k = index // len(self.models)
        entry, fixed, _ = MODELS[model]
        recipe = recipes.load(entry).override(fixed)
        lr_key = "vae_lr" if model == "vae" else "d_lr"
        values = {"model": model, "draw": k, "lr": float(recipe.train[lr_key]),
                  "beta_1": float(recipe.train["beta_1"])}
        gan = model != "vae"
        if gan:
            values["d_steps"] = int(recipe.model_kwargs.get("d_steps", 1))
            values["norm"] = str(recipe.model_kwargs.get("norm", "batch"))
        if model in WITH_PENALTY:
            values["penalty_weight"] = float(recipe.model_kwargs.get("penalty_weight") or 10.0)
        if k == 0:
            return values
        rng = random.Random(f"{self.seed}/{model}/{k}")
        values["lr"] = 10 ** rng.uniform(*LOG10_LR)
        values["beta_1"] = min(rng.uniform(*BETA_1), 0.999)
        if gan:
            values["d_steps"] = rng.choice(D_STEPS)
            if model not in FIXED_NORM:
                values["norm"] = rng.choice(("layer", "none") if model in NO_BATCH_NORM
                                            else ("batch", "none"))
        if model in WITH_PENALTY:
            values["penalty_weight"] = 10 ** rng.uniform(*LOG10_PENALTY)
        return values

    def recipe_for(self, values: dict) -> recipes.Recipe:
        """The zoo recipe a trial trains: the model's entry with its fixed
        options, the trial's values, and the study's budget and networks."""
        model = values["model"]
        entry, fixed, _ = MODELS[model]
        every = self.steps // self.evals
        train = {"batch_size": self.batch_size, "steps": self.steps, "steps_per_epoch": every,
                 "beta_1": values["beta_1"], "eval_metric": self.metric, "eval_every": 1,
                 "eval_samples": self.eval_samples, "checkpoint_every": 0,
                 "keep_checkpoints": 1, "samples": 64, "data": self.data}
        if model == "vae":
            train["vae_lr"] = values["lr"]
        else:
            train.update(d_lr=values["lr"], g_lr=values["lr"], d_steps=values["d_steps"],
                         norm=values["norm"])
            if model in WITH_PENALTY:
                train["penalty_weight"] = values["penalty_weight"]
        nets = {"g_filters": self.filters, "d_filters": self.filters,
                "latent_dim": self.latent_dim}
        return recipes.load(entry).override({**fixed, **nets, **train})

    def check(self) -> None:
        """Build every model's first two recipes, so a bad option fails now."""
        for index in range(min(2 * len(self.models), len(self.models) * self.trials)):
            try:
                self.recipe_for(self.trial_plan(index))
            except recipes.RecipeError as e:
                raise StudyError(str(e)) from None

    # --------------------------------------------------------------- a trial
    def trial_dir(self, trial_id: str) -> pathlib.Path:
        return self.out / "trials" / f"trial_{trial_id}"

    def run_trial(self, trial_id: str, values: dict,
                  log: Callable[[str], None] = print) -> dict:
        """Train one trial (resuming its run if it was interrupted) and
        return its record, also written to TRIAL_DIR/result.json."""
        from keras_gans.training import train
        run_dir = self.trial_dir(trial_id)
        recipe = self.recipe_for(values)
        seed = self.seed * 1000 + int(trial_id)
        started = time.time()
        diverged = ""
        try:
            train.run(recipe, run_dir, precision=self.precision, seed=seed, verbose=0,
                      log=lambda *_: None, tensorboard=False)
        except train.TrainingDiverged as e:
            diverged = str(e).splitlines()[0]
        scores = read_scores(run_dir, self.metric, self.steps // self.evals)
        finite = [s for s in scores if s["value"] is not None and math.isfinite(s["value"])]
        pick = min if self.direction == "min" else max
        best = pick(finite, key=lambda s: s["value"]) if finite else None
        record = {"trial": trial_id, "model": values["model"], "label": MODELS[values["model"]][2],
                  "values": values, "metric": self.metric, "n": self.eval_samples,
                  "scores": scores, "best": None if best is None else best["value"],
                  "best_step": None if best is None else best["step"],
                  "diverged": diverged, "minutes": round((time.time() - started) / 60, 2),
                  "entry": recipe.entry, "run_dir": str(run_dir)}
        files.atomic_write_file(run_dir / "result.json", lambda tmp: pathlib.Path(tmp).write_text(
            json.dumps(record, indent=1)))
        return record

    def worst(self) -> float:
        """The objective reported for a trial without a finite score (it
        diverged before its first evaluation)."""
        return 1e6 if self.direction == "min" else -1e6


def read_scores(run_dir: pathlib.Path, metric: str, steps_per_epoch: int) -> list[dict]:
    """[{"step", "value"}] of a run's evaluations (logs.csv's eval_<metric>,
    one row an epoch of `steps_per_epoch`)."""
    import csv
    path = run_dir / "logs.csv"
    if not path.exists():
        return []
    out = []
    with path.open() as f:
        for row in csv.DictReader(f):
            text = row.get(f"eval_{metric}", "")
            if text in ("", None):
                continue
            value = float(text)
            out.append({"step": int(float(row.get("epoch") or 0)) * steps_per_epoch,
                        "value": value if math.isfinite(value) else None})
    return out


# ----------------------------------------------------------- KerasTuner
def make_tuner(study: Study) -> Any:
    """The KerasTuner tuner of `study` (its oracle under STUDY_DIR/tuner/)."""
    import keras_tuner as kt

    class StudyOracle(kt.Oracle):
        """Random search over the study's models in turn (`Study.trial_plan`)."""

        def populate_space(self, trial_id):
            values = study.trial_plan(len(self.trials))
            return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}

    class StudyTuner(kt.engine.base_tuner.BaseTuner):
        """One trial = one `keras-gans train` run of the trial's recipe."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.records: list[dict] = []

        def run_trial(self, trial, *args, **kwargs):
            index = int(trial.trial_id)
            # The oracle's values for this model's own options (KerasTuner
            # also fills the options other models have: not used here).
            plan = study.trial_plan(index)
            values = {k: v for k, v in trial.hyperparameters.values.items() if k in plan}
            total = len(study.models) * study.trials
            say(f"{progress_bar(index, total)} trial {trial.trial_id} {describe(values)}")
            record = study.run_trial(trial.trial_id, values)
            self.records.append(record)
            best = record["best"]
            say(f"{progress_bar(index + 1, total)} trial {trial.trial_id} {values['model']}: "
                f"best {study.metric} "
                f"{'-' if best is None else f'{best:.2f}'} (N={study.eval_samples}) at step "
                f"{record['best_step']}, {record['minutes']:.1f} min"
                + (f"; diverged: {record['diverged']}" if record["diverged"] else ""))
            return {study.objective: best if best is not None else study.worst()}

    space = kt.HyperParameters()
    space.Choice("model", study.models)
    space.Int("draw", 0, 10 ** 6)
    space.Float("lr", 10 ** LOG10_LR[0], 10 ** LOG10_LR[1], sampling="log")
    space.Float("beta_1", *BETA_1)
    space.Choice("d_steps", list(D_STEPS))
    space.Choice("norm", ["batch", "layer", "none"])
    space.Float("penalty_weight", 10 ** LOG10_PENALTY[0], 10 ** LOG10_PENALTY[1], sampling="log")
    oracle = StudyOracle(objective=kt.Objective(study.objective, study.direction),
                         max_trials=len(study.models) * study.trials, hyperparameters=space,
                         tune_new_entries=False, allow_new_entries=False, seed=study.seed + 1,
                         max_consecutive_failed_trials=3)
    return StudyTuner(oracle=oracle, directory=str(study.out), project_name="tuner")


def say(text: str) -> None:
    """Print a study line at once (workers' logs are often files)."""
    print(text, flush=True)


def progress_bar(done: int, total: int, width: int = 20) -> str:
    """A text progress bar over the study's trials: "[####......] 3/21"."""
    filled = int(round(width * done / max(total, 1)))
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def describe(values: dict) -> str:
    """A trial's values in one line ("ns, lr 0.0008, beta_1 0.50, ...")."""
    parts = [values["model"], f"lr {values['lr']:.2g}", f"beta_1 {values['beta_1']:.2f}"]
    if "d_steps" in values:
        parts += [f"d_steps {values['d_steps']}", f"norm {values['norm']}"]
    if "penalty_weight" in values:
        parts.append(f"lambda {values['penalty_weight']:.3g}")
    return ", ".join(parts) + (" (the recipe's)" if values.get("draw") == 0 else "")


def role() -> str:
    """"chief", "worker" or "local", from KerasTuner's environment variables."""
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return "local"
    for name in ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
        if name not in os.environ:
            raise StudyError(f"KERASTUNER_ORACLE_IP is set but {name} is not: a distributed "
                             f"study needs KERASTUNER_TUNER_ID (chief, tuner1, ...), "
                             f"KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT.")
    return "chief" if "chief" in os.environ["KERASTUNER_TUNER_ID"] else "worker"


def run(study: Study) -> list[dict]:
    """Run (or resume) the study here; returns the records of the trials
    this process trained (none on a distributed study's chief)."""
    study.check()
    study.check_folder()
    tuner = make_tuner(study)
    tuner.search(verbose=0)
    return tuner.records


# -------------------------------------------------------------- the report
def load_records(out: pathlib.Path) -> list[dict]:
    """Every finished trial's record under a study folder, in trial order."""
    return [json.loads(p.read_text())
            for p in sorted(pathlib.Path(out).glob("trials/trial_*/result.json"))]


def bootstrap_minimum(scores: list[float], k: int, draws: int = 1000, seed: int = 0,
                      direction: str = "min") -> tuple[float, float, float]:
    """The best of k trials drawn with replacement from `scores`, over
    `draws` bootstrap draws: (mean, 5th percentile, 95th percentile)."""
    values = np.asarray(scores, dtype="float64")
    picks = np.random.default_rng(seed).choice(values, size=(draws, k), replace=True)
    best = picks.min(axis=1) if direction == "min" else picks.max(axis=1)
    return float(best.mean()), float(np.percentile(best, 5)), float(np.percentile(best, 95))


def summarize(out: pathlib.Path, study: Study | None = None) -> dict:
    """study.json (every trial), study.md (the table) and two PNGs (box plot
    of best scores per model; best score against trials tried) in `out`."""
    out = pathlib.Path(out)
    settings = json.loads((out / "study_settings.json").read_text()) \
        if (out / "study_settings.json").exists() else (study.settings() if study else {})
    records = load_records(out)
    if not records:
        raise StudyError(f"{out} has no finished trial yet: run the study first.")
    metric = records[0]["metric"]
    _, direction = objective_of(metric)
    models = [m for m in settings.get("models", MODELS) if any(r["model"] == m for r in records)]
    rows, curves, boxes = [], {}, {}
    for model in models:
        mine = [r for r in records if r["model"] == model]
        scored = [r["best"] for r in mine if r["best"] is not None]
        # A trial that never scored counts as the worst possible in the curve.
        worst = float("inf") if direction == "min" else float("-inf")
        pool = [r["best"] if r["best"] is not None else worst for r in mine]
        best = (min if direction == "min" else max)(mine, key=lambda r: (
            r["best"] if r["best"] is not None else worst))
        curves[model] = [bootstrap_minimum(pool, k, direction=direction)
                         for k in range(1, len(pool) + 1)] if scored else []
        boxes[model] = scored
        rows.append({"model": model, "label": MODELS[model][2], "trials": len(mine),
                     "scored": len(scored), "best": best["best"],
                     "median": float(np.median(scored)) if scored else None,
                     "recipe": next((r["best"] for r in mine if r["values"].get("draw") == 0),
                                    None),
                     "best_values": best["values"], "best_trial": best["trial"],
                     "minutes": round(sum(r["minutes"] for r in mine), 1)})
    summary = {"settings": settings, "metric": metric, "direction": direction, "rows": rows,
               "curves": {m: [[_finite(x) for x in c] for c in v] for m, v in curves.items()},
               "trials": records}
    files.atomic_write_file(out / "study.json", lambda tmp: pathlib.Path(tmp).write_text(
        json.dumps(summary, indent=1)))
    table = markdown(summary)
    files.atomic_write_file(out / "study.md", lambda tmp: pathlib.Path(tmp).write_text(table))
    from keras_gans import plots
    n = records[0]["n"]
    files.save_png(out / "study_best.png", plots.box_plot(
        {MODELS[m][2]: v for m, v in boxes.items()},
        ylabel=f"best {metric.upper()} of a trial (N={n})"))
    files.save_png(out / "study_budget.png", plots.budget_curves(
        {MODELS[m][2]: v for m, v in curves.items()},
        ylabel=f"best {metric.upper()} reached (N={n})"))
    return summary


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _fmt(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.1f}"


def markdown(summary: dict) -> str:
    """The study's table: per model, trials, the best and median of the
    trials' best scores, the recipe's own, the expected best of 1, 3 and all
    trials (bootstrap), and the best trial's setting."""
    metric = summary["metric"].upper()
    s = summary["settings"]
    lines = [f"| model | trials (scored) | best {metric} | median | recipe's | "
             f"expected best of 1 / 3 / all | best trial's setting | train min |",
             "|---|---|---|---|---|---|---|---|"]
    for row in summary["rows"]:
        curve = summary["curves"].get(row["model"]) or []
        at = [curve[k - 1][0] if len(curve) >= k else None for k in (1, 3)] + \
             [curve[-1][0] if curve else None]
        v = row["best_values"]
        setting = f"lr {v['lr']:.2g}, beta_1 {v['beta_1']:.2f}" + (
            f", d_steps {v['d_steps']}, norm {v['norm']}" if "d_steps" in v else "") + (
            f", lambda {v['penalty_weight']:.3g}" if "penalty_weight" in v else "")
        lines.append(f"| {row['label']} | {row['trials']} ({row['scored']}) | "
                     f"{_fmt(row['best'])} | {_fmt(row['median'])} | {_fmt(row['recipe'])} | "
                     f"{' / '.join(_fmt(a) for a in at)} | {setting} | {row['minutes']} |")
    n = summary["trials"][0]["n"]
    lines.append("")
    lines.append(f"{metric} at N={n} generated vs {n} real images of {s.get('data', '?')} after "
                 f"every {s.get('steps', 0) // max(s.get('evals', 1), 1)} of "
                 f"{s.get('steps', '?')} steps (batch {s.get('batch_size', '?')}); a trial's "
                 f"score is its best evaluation. DCGAN networks with {s.get('filters', '?')} "
                 f"filters and z of {s.get('latent_dim', '?')} for every model; each model's "
                 f"first trial is its zoo recipe's setting, the others draw from the paper's "
                 f"wide range. Expected best of k: the mean over 1,000 bootstrap draws of k "
                 f"trials. Made by `keras-gans study`.")
    return "\n".join(lines) + "\n"
