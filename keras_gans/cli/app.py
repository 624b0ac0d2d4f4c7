"""The `keras-gans` command group: every command, gathered from its module.

    train.py      zoo, train, export
    generate.py   sample, interpolate, arithmetic
    translate.py  translate
    upscale.py    upscale
    evaluate.py   evaluate, train-classifier, convert-inception
    study.py      study
    tune.py       tune
"""

from __future__ import annotations

import os

import click

from keras_gans.cli import VERBOSE_ENV
from keras_gans.cli import evaluate, generate, study, train, translate, tune, upscale


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="keras-gans")
@click.option("-v", "--verbose", is_flag=True,
              help=f"Show TensorFlow's own start-up and runtime logging (also {VERBOSE_ENV}=1).")
def main(verbose: bool) -> None:
    """keras-gans: train, sample and export the GAN zoo's models."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"


for command in (train.zoo, train.train, generate.sample, train.export, translate.translate,
                upscale.upscale,
                evaluate.evaluate, evaluate.train_classifier, evaluate.convert_inception,
                generate.interpolate, generate.arithmetic, study.study, tune.tune):
    main.add_command(command)
