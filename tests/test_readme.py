"""The README's code runs as written."""

import os
import pathlib
import re

import numpy as np

import keras_gans
from keras_gans import export

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def snippet(marker):
    text = README.read_text()
    match = re.search(rf"<!-- {marker}[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert match, f"README lost its {marker} block"
    return match.group(1)


def test_readme_fit_snippet_runs_as_written():
    scope = {}
    exec(compile(snippet("readme-fit-snippet"), "README.md", "exec"), scope)
    history, samples, gan = scope["history"], scope["samples"], scope["gan"]
    assert set(history.history) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert samples.shape == (16, 28, 28, 1)
    assert int(gan.g_optimizer.iterations) == 4000 // 64  # the embedded digits' train split


def test_readme_load_snippet_runs_as_written(tmp_path):
    gan = keras_gans.DCGAN(latent_dim=12, g_filters=4, d_filters=4)
    export.export(gan, tmp_path / "runs" / "dcgan" / "export")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        scope = {}
        exec(compile(snippet("readme-load-snippet"), "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    images = scope["images"].numpy()
    assert images.shape == (16, 28, 28, 1) and images.dtype == np.float32


def test_readme_quick_start_commands_are_the_ci_ones():
    text = README.read_text()
    assert "pip install . && keras-gans train dcgan" in text
    ci = (README.parent / ".ci" / "run").read_text()
    command = "python -m pytest -q -n 2 --dist loadfile tests"
    assert f'pip install -q ".[test]" && {command}' in ci
    assert f'pip install ".[test]" && {command}' in text
