"""`keras-gans study`: compare losses as Lucic et al. (NeurIPS 2018) did,
by the best score each reaches over a budget of hyper-parameter samples."""

from __future__ import annotations

import pathlib

import click

from keras_gans.cli import friendly_errors


@click.command()
@click.option("--models", default="mm,ns,lsgan,wgan_gp,dragan,sngan,vae", show_default=True,
              help="Comma-separated, from mm, ns, lsgan, wgan, wgan_gp, dragan, sngan "
                   "(hinge + spectral norm), vae.")
@click.option("--data", default="mnist5k", show_default=True,
              help="Data set of every trial (a zoo data name, e.g. fashion_mnist, or a folder).")
@click.option("--trials", type=click.IntRange(min=1), default=10, show_default=True,
              help="Hyper-parameter samples per model (the first is the zoo recipe's setting).")
@click.option("--steps", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Training steps of every trial (the same budget for all).")
@click.option("--evals", type=click.IntRange(min=1), default=4, show_default=True,
              help="Evaluations per trial, evenly spaced; a trial's score is its best.")
@click.option("--metric", type=click.Choice(["fid", "kid", "fd", "parzen", "is"]),
              default="fid", show_default=True,
              help="Score of an evaluation: fid/kid on Inception features (converted weights "
                   "needed: keras-gans convert-inception), fd on the domain classifier's.")
@click.option("-n", "--eval-samples", type=click.IntRange(min=2), default=1000, show_default=True,
              help="Generated (and real) images per evaluation.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--filters", type=click.IntRange(min=1), default=64, show_default=True,
              help="g_filters and d_filters of the DCGAN networks, the same for every model.")
@click.option("--latent-dim", type=click.IntRange(min=1), default=64, show_default=True,
              help="z size, the same for every model (64 as in the paper).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the hyper-parameter draws and of the trials' runs.")
@click.option("--precision", default="auto", show_default=True,
              help="As `keras-gans train --precision`.")
@click.option("-o", "--out", type=click.Path(file_okay=False), default="runs/study",
              show_default=True, help="Study folder: the tuner's state, one run per trial, "
                                      "the report. Run the same command again to resume.")
@click.option("--report-only", is_flag=True,
              help="Only write the report (table, JSON, plots) from the finished trials.")
@friendly_errors
def study(models: str, data: str, trials: int, steps: int, evals: int, metric: str,
          eval_samples: int, batch_size: int, filters: int, latent_dim: int, seed: int,
          precision: str, out: str, report_only: bool) -> None:
    """Train N hyper-parameter samples of each model on one data set for the
    same budget, and report the best score each reaches (Lucic et al.'s
    "Are GANs Created Equal?" protocol, at a size that fits).

    Writes OUT/study.json (every trial), OUT/study.md (the table),
    OUT/study_best.png (box plot of each trial's best score per model) and
    OUT/study_budget.png (best score reached against samples tried, with
    bootstrap bands).

    KerasTuner runs the search: OUT/tuner/ keeps its state, so the same
    command resumes an interrupted study. To spread a study over machines,
    start the same command on each, with KERASTUNER_ORACLE_IP and
    KERASTUNER_ORACLE_PORT naming the chief and KERASTUNER_TUNER_ID set to
    "chief" on one machine (it serves the oracle and writes the report) and
    tuner1, tuner2, ... on the workers (they train the trials)."""
    from keras_gans import study as study_lib
    from keras_gans.evaluation import inception
    s = study_lib.Study(out=pathlib.Path(out), models=models, trials=trials, data=data,
                        steps=steps, evals=evals, metric=metric, eval_samples=eval_samples,
                        batch_size=batch_size, filters=filters, latent_dim=latent_dim,
                        seed=seed, precision=precision)
    if report_only:
        return _report(s)
    if metric in ("fid", "kid") and not inception.available():
        raise inception.InceptionError(inception.missing_message() +
                                       " (or use --metric fd: the domain classifier's features)")
    role = study_lib.role()
    total = len(s.models) * s.trials
    click.echo(f"Study in {s.out}: {', '.join(s.models)} on {s.data}, {s.trials} trial(s) each "
               f"({total} in all), {s.steps} steps, {s.metric} at N={s.eval_samples} every "
               f"{s.steps // s.evals} steps" + ({"chief": "; chief: serving the oracle",
                                                  "worker": "; worker: training trials"}.get(
                                                     role, "")))
    records = study_lib.run(s)
    if role == "worker":
        click.echo(f"Worker done: trained {len(records)} trial(s); the chief writes the report.")
        return
    _report(s)


def _report(s) -> None:
    from keras_gans import study as study_lib
    summary = study_lib.summarize(s.out, s)
    click.echo(study_lib.markdown(summary).rstrip())
    click.echo(f"Wrote {s.out / 'study.json'}, {s.out / 'study.md'}, "
               f"{s.out / 'study_best.png'}, {s.out / 'study_budget.png'}")
