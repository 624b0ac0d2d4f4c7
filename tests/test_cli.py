"""The `keras-gans` command end to end on a tiny budget, and its errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from keras_gans import cli
from keras_gans.training import precision, recipes

TINY = ["--g-filters", "4", "--d-filters", "4", "--latent-dim", "8", "--batch-size", "32",
        "--seed", "0"]


def run(*args):
    result = CliRunner().invoke(cli.main, list(args), catch_exceptions=False)
    return result


def test_zoo_lists_entries_with_paper_and_data():
    result = run("zoo")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert {"dcgan", "vanilla"} <= set(lines)
    assert "Radford" in lines["dcgan"] and "data=mnist5k" in lines["dcgan"]
    assert "Goodfellow" in lines["vanilla"]


@pytest.mark.auto_precision
def test_train_sample_export_end_to_end(tmp_path):
    out = tmp_path / "run"
    result = run("train", "dcgan", "--steps", "6", "--steps-per-epoch", "3", "--out", str(out),
                 *TINY)
    assert result.exit_code == 0, result.output
    assert "Exported SavedModel" in result.output
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["recipe"]["model_kwargs"]["g_filters"] == 4
    # No --precision: `auto`, which is bf16 on a CPU with native bf16, float32 elsewhere.
    assert recipe["image_shape"] == [28, 28, 1]
    assert recipe["precision"] == precision.resolve("auto")
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_0001.png",
                                                                   "epoch_0002.png"]
    assert [p.name for p in sorted((out / "checkpoints").iterdir())] == [
        "step-00000003", "step-00000006"]
    logs = (out / "logs.csv").read_text().splitlines()
    assert logs[0].split(",")[:5] == ["epoch", "d_fake", "d_loss", "d_real", "g_loss"]
    assert len(logs) == 3
    assert (out / "export" / "saved_model.pb").exists()

    grid = tmp_path / "grid.png"
    result = run("sample", str(out), "-n", "9", "-o", str(grid), "--seed", "4")
    assert result.exit_code == 0, result.output
    import tensorflow as tf
    image = tf.io.decode_png(grid.read_bytes()).numpy()
    assert image.shape == (3 * 30 + 2, 3 * 30 + 2, 1)  # 3x3 tiles of 28px, 2px gaps
    # Same seed, same grid.
    run("sample", str(out / "export"), "-n", "9", "-o", str(tmp_path / "again.png"),
        "--seed", "4")
    assert (tmp_path / "again.png").read_bytes() == grid.read_bytes()

    result = run("export", str(out), "-o", str(tmp_path / "exp2"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "exp2" / "saved_model.pb").exists()

    # Training again with the same --out resumes: nothing left to do.
    result = run("train", "dcgan", "--steps", "6", "--steps-per-epoch", "3", "--out", str(out),
                 *TINY)
    assert result.exit_code == 0, result.output
    assert "Resuming" in result.output and "already finished 6 steps" in result.output


def test_resume_continues_from_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    args = ["train", "vanilla", "--steps-per-epoch", "2", "--out", str(out), "--batch-size",
            "16", "--g-hidden", "8", "--d-hidden", "8", "--latent-dim", "4", "--seed", "1"]
    assert run(*args, "--epochs", "1").exit_code == 0
    result = run(*args, "--epochs", "3")
    assert result.exit_code == 0, result.output
    assert "Resuming" in result.output and "from step 2 of 6" in result.output
    epochs = [line.split(",")[0] for line in (out / "logs.csv").read_text().splitlines()[1:]]
    assert epochs == ["1", "2", "3"]  # counted from 1, like samples/epoch_0001.png


def test_recipe_file_and_override_parsing(tmp_path):
    recipe = tmp_path / "mine.toml"
    recipe.write_text('model = "vanilla_gan"\ndata = "mnist5k"\n[hparams]\ng_hidden = [16]\n'
                      'd_hidden = [8]\nlatent_dim = 4\n[train]\nbatch_size = 25\n')
    r = recipes.load(str(recipe))
    assert r.model == "VanillaGAN" and r.model_kwargs["g_hidden"] == (16,)
    r2 = r.override({"g_hidden": "32,32", "dropout": "0.1", "d_lr": "1e-3"})
    assert r2.model_kwargs["g_hidden"] == (32, 32) and r2.train["d_lr"] == 0.001
    assert r.model_kwargs["g_hidden"] == (16,)  # overrides copy


def test_epochs_given_over_a_recipe_that_counts_steps_decide(tmp_path):
    recipe = tmp_path / "steps.toml"
    recipe.write_text('model = "DCGAN"\ndata = "mnist5k"\n[train]\nsteps = 10000\n')
    r = recipes.load(str(recipe))
    assert r.train["steps"] == 10000
    assert r.override({"epochs": "2"}).train["steps"] is None        # --epochs 2 is obeyed
    assert r.override({"epochs": "2"}).train["epochs"] == 2
    assert r.override({"epochs": "2", "steps": "7"}).train["steps"] == 7  # both: steps wins
    assert r.override({"batch_size": "8"}).train["steps"] == 10000   # others leave it


@pytest.mark.parametrize("text, message", [
    ('model = "DCGAN"\nlearning_rate = 1\n', "unknown key(s) learning_rate; valid top-level"),
    ('model = "DCGAN"\n[hparams]\nfilters = 3\n', "unknown [hparams] key(s) filters for DCGAN"),
    ('model = "DCGAN"\n[train]\nlr = 3\n', "unknown [train] key(s) lr; valid: batch_size"),
    ('model = "BigGAN"\n', "Unknown model class 'BigGAN': choose one of ACGAN"),
    ('model = "DCGAN"\n[hparams]\nlatent_dim = "many"\n', "latent_dim: 'many' is not a valid int"),
])
def test_bad_recipes_fail_loudly(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(recipes.RecipeError) as err:
        recipes.load(str(path))
    assert message in str(err.value)


@pytest.mark.parametrize("args, message", [
    (["train", "biggan"], "Unknown zoo entry 'biggan': choose one of"),
    (["train", "dcgan", "--learning-rate", "3"], "Unknown option 'learning_rate' for dcgan"),
    (["train", "dcgan", "--data", "/no/such/folder"], "No such folder or .npz file"),
    (["train", "dcgan", "--data", "tests/no_such.npz"], "No such folder or .npz file"),
    (["train", "dcgan", "--epochs", "2", "--steps", "3"], "Give --epochs or --steps, not both"),
    (["sample", "."], "is not a keras-gans run directory"),
])
def test_bad_input_is_one_clear_line(args, message):
    # catch_exceptions=False: anything but a clean `Error: ...` exit fails the test.
    result = CliRunner().invoke(cli.main, args, catch_exceptions=False)
    assert result.exit_code != 0
    assert message in result.output, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ") and message in lines[-1]  # one line says it all


def test_console_error_is_exactly_one_line():
    # As a user runs it: no TF_CPP_MIN_LOG_LEVEL of ours, TensorFlow's start-up
    # notices (oneDNN, CUDA probes) must not reach the terminal.
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL",
                                                            "KERAS_GANS_VERBOSE")}
    proc = subprocess.run([sys.executable, "-m", "keras_gans.cli", "train", "dcgan", "--data",
                           "/no/such/dir"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1
    assert proc.stderr == "Error: No such folder or .npz file: /no/such/dir. Check the path.\n"
    assert proc.stdout == ""


def test_wrong_image_size_for_the_model(tmp_path):
    x = np.random.default_rng(0).integers(0, 255, (64, 20, 20, 1), dtype=np.uint8)
    np.savez(tmp_path / "odd.npz", x=x)
    result = CliRunner().invoke(cli.main, ["train", "dcgan", "--data", str(tmp_path / "odd.npz"),
                                           "--out", str(tmp_path / "r"), "--steps", "1", *TINY])
    assert result.exit_code != 0
    assert "DCGAN makes square 28/32/64px images, not 20x20" in result.output
    assert "--image-size" in result.output


def test_divergence_stops_with_a_clear_message_and_keeps_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    common = ["--out", str(out), "--steps-per-epoch", "2", *TINY]
    assert run("train", "dcgan", "--epochs", "1", *common).exit_code == 0
    good = (out / "checkpoints" / "step-00000002" / "model.weights.h5").read_bytes()
    # An absurd learning rate blows the weights up to inf/NaN.
    result = CliRunner().invoke(cli.main, ["train", "dcgan", "--epochs", "3", "--d-lr", "1e30",
                                           "--g-lr", "1e30", "--beta-1", "0", *common])
    assert result.exit_code != 0
    assert "Training diverged at step" in result.output
    assert "last good checkpoint" in result.output
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step-00000002"]
    assert (out / "checkpoints" / "step-00000002" / "model.weights.h5").read_bytes() == good


def test_entry_points_installed_zoo_dir():
    assert set(recipes.entries()) >= {"dcgan", "vanilla"}
