"""Training at scale and without losing work: tf.distribute equivalence for every
zoo entry, multi-worker training, SIGKILL/Ctrl-C recovery, --restart,
divergence vs loss-scale skips, TensorBoard logs."""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.training import callbacks as cb
from keras_gans.training import recipes
from keras_gans.data import unpaired

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")

# Tiny settings per zoo entry for the distribution check (dropout off: its masks
# are per replica by nature). A new entry must be added here.
TINY = {
    "vanilla": {"overrides": {"g_hidden": "16", "d_hidden": "12", "maxout_pieces": "2",
                              "dropout": "0", "input_dropout": "0", "latent_dim": "4",
                              "d_steps": "2"}},
    # LeCam's averages of D's logits: all-reduced, the same on every replica.
    "dcgan": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4",
                            "lecam_weight": "0.3"}},
    # G's extra 3x3 layer (its batch norm synchronized across the replicas).
    "dcgan_plus": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4"}},
    "cgan": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4"}},
    # Clusters fitted by each model's fit() on the same 16 images: the same on both.
    "clustered": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4",
                                "clusters": "2", "cluster_components": "4"}},
    "acgan": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4"}},
    # The gradient penalty (random interpolates), spectral norm's power
    # iteration and the least-squares loss, each under the strategy.
    "wgan_gp": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4",
                              "d_steps": "2"}},
    "sngan": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4"}},
    "lsgan": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4"}},
    # The reparameterisation's eps: one global draw, sliced per replica.
    "vae": {"overrides": {"g_filters": "4", "d_filters": "4", "latent_dim": "4"}},
    # No image pool (each replica keeps its own) and no random crops/flips.
    "cyclegan": {"overrides": {"g_filters": "4", "d_filters": "4", "residual_blocks": "1",
                               "pool_size": "0", "d_layers": "2"},
                 "data": lambda tmp: str(unpaired.make_photo_domains(tmp / "photos", 32, 8, 2)),
                 "data_kwargs": {"image_size": 32, "augment_images": False}},
    "toy": {"overrides": {"g_hidden": "8,8", "d_hidden": "8", "maxout_pieces": "2",
                          "pack": "2"}},
    # The GAN phase (G's update is phase 1's with more terms; both players'
    # synchronized batch norm), on fixed crops: a seeded, unshuffled pipeline
    # gives the same pairs twice. Without the bicubic skip: with it an untrained G
    # draws the bicubic upscaling, so close to the real crops that D's gradients
    # from the real and the fake batch all but cancel, and Adam turns what is left
    # (round-off that differs between one device and two) into whole steps (1.5e-3
    # apart on an Intel AMX host; 2e-5 without the skip).
    "srgan": {"overrides": {"g_filters": "8", "d_filters": "8", "residual_blocks": "1",
                            "d_dense": "16", "pretrain_steps": "0",
                            "content_loss": "discriminator", "bicubic_skip": "false"},
              "data": "photos", "data_kwargs": {"image_size": 32, "seed": 0}},
}


@pytest.fixture(scope="module")
def mirrored_results(tmp_path_factory, dist_checks):
    """{entry: dist_check result} for every zoo entry in TINY, from one process."""
    entries = [e for e in recipes.entries() if e in TINY]
    configs = []
    for entry in entries:
        config = {"entry": entry, "steps": 2, "batch_size": 8, **TINY[entry]}
        if callable(config.get("data")):
            config["data"] = config["data"](tmp_path_factory.mktemp(entry))
        configs.append(config)
    return dict(zip(entries, dist_checks(configs, env=ENV)))


@pytest.mark.parametrize("entry", recipes.entries())
def test_mirrored_strategy_matches_one_device(entry, mirrored_results):
    """Two logical CPUs with MirroredStrategy reach the same weights after a few
    steps as one device on the same global batch; replicas draw their own latents."""
    assert entry in TINY, f"add tiny settings for the new zoo entry {entry!r} to TINY"
    result = mirrored_results[entry]
    assert "error" not in result, result.get("error", "")[-3000:]
    assert result["replicas"] == 2
    assert result["moved"] > 5e-4, "training did not change the weights"
    assert result["max_diff"] < 1e-4, result  # vs moved >= 5e-4: the same updates
    assert result["latents_differ"] in (True, None), result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TINY_TRAIN = ["--batch-size", "16", "--g-hidden", "8", "--d-hidden", "8", "--latent-dim", "4",
              "--seed", "0"]


def cli(*args):
    return [sys.executable, "-m", "keras_gans.cli", *args]


def test_multiworker_training_with_two_processes(tmp_path):
    """MultiWorkerMirroredStrategy over 2 worker processes on 127.0.0.1 trains to
    the end; only the chief writes the run directory."""
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = dict(ENV, TF_CONFIG=json.dumps({"cluster": cluster,
                                              "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            cli("train", "vanilla", "--strategy", "multiworker", "--steps", "4",
                "--steps-per-epoch", "2", "--out", str(tmp_path / f"run{index}"),
                "--no-tensorboard", *TINY_TRAIN),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=240)[0])
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-2000:] for o in outputs)
    assert "with 2 replicas" in outputs[0]
    assert (tmp_path / "run0" / "export" / "saved_model.pb").exists()
    assert (tmp_path / "run0" / "checkpoints" / "step-00000004").exists()
    assert not (tmp_path / "run1").exists()  # the non-chief worker wrote nothing


def read_steps(path):
    with open(path, newline="") as f:
        return [(int(r["step"]), r) for r in csv.DictReader(f)]


def last_logged_step(path):
    """The last step in a live run's steps.csv (0 while it has none or its last
    row is half written)."""
    try:
        rows = read_steps(path) if path.exists() else []
    except (ValueError, KeyError, TypeError):
        rows = []
    return rows[-1][0] if rows else 0


def wait_for_steps(path, at_least, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, "training ended before it could be interrupted"
        step = last_logged_step(path)
        if step >= at_least:
            return step
        time.sleep(0.05)
    raise AssertionError(f"no step {at_least} within {timeout}s")


SLOW_TRAIN = ["train", "dcgan", "--steps", "60", "--steps-per-epoch", "30",
              "--checkpoint-every", "8", "--log-every", "1", "--batch-size", "32",
              "--g-filters", "8", "--d-filters", "8", "--latent-dim", "8", "--seed", "0",
              "--no-tensorboard"]


def test_sigkill_then_rerun_resumes_and_loses_at_most_one_interval(tmp_path):
    out = tmp_path / "run"
    args = cli(*SLOW_TRAIN, "--out", str(out))
    proc = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        killed_after = wait_for_steps(out / "steps.csv", 37, proc)  # mid-way through epoch 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    saved = sorted(int(p.name.split("-")[1]) for p in (out / "checkpoints").iterdir()
                   if p.name.startswith("step-"))
    resumed_from = saved[-1]
    assert killed_after - resumed_from <= 8 + 2, (killed_after, saved)  # one interval (+ lag)
    again = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert f"Resuming {out} from step {resumed_from} of 60" in again.stdout
    steps = [s for s, _ in read_steps(out / "steps.csv")]
    assert steps == list(range(1, 61)), steps  # continues from the checkpoint, no gaps/repeats
    assert (out / "checkpoints" / "step-00000060").exists()
    assert (out / "export" / "saved_model.pb").exists()
    # The resumed model carries the optimizer's progress.
    from keras_gans.training import train
    model, _ = train.load_run(out)
    assert int(model.g_optimizer.iterations) == 60


def cli_with_ctrl_c(*args):
    """`cli(*args)` with Ctrl-C delivered as in a terminal. A child inherits an
    ignored or blocked SIGINT from its parent (POSIX), and late in the full suite
    this process had one: the run then trained to its end through the signal."""
    code = ("import runpy, signal, sys; "
            "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); "
            "signal.signal(signal.SIGINT, signal.default_int_handler); "
            "runpy.run_module('keras_gans.cli', run_name='__main__', alter_sys=True)")
    return [sys.executable, "-c", code, *args]


def interrupt(proc, steps_csv, tries=3):
    """Ctrl-C `proc` mid-training; its (stdout, stderr). Sent again only when
    training went on well past a SIGINT (once, on a loaded host, one was lost and
    the run trained to its end through it), never while the run is stopping: a
    run that stopped stepping is left to save and exit."""
    for _ in range(tries):
        sent_at = last_logged_step(steps_csv)
        proc.send_signal(signal.SIGINT)
        try:
            return proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            if last_logged_step(steps_csv) < sent_at + 100:  # stopped stepping: let it save
                break
    return proc.communicate(timeout=60)


EPOCH = 50_000  # steps an epoch in the Ctrl-C test: no epoch-end checkpoint comes first


def test_ctrl_c_saves_a_checkpoint_and_rerun_finishes(tmp_path):
    out = tmp_path / "run"
    # A run far longer than the test waits, so that Ctrl-C lands mid-training even
    # if this process stalls for a while; the rerun then shortens it (allowed on resume).
    slow = [*SLOW_TRAIN, "--checkpoint-every", "0", "--out", str(out)]
    slow[slow.index("--steps") + 1] = str(2 * EPOCH)
    slow[slow.index("--steps-per-epoch") + 1] = str(EPOCH)
    proc = subprocess.Popen(cli_with_ctrl_c(*slow), env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        at = wait_for_steps(out / "steps.csv", 12, proc)
        out_text, err = interrupt(proc, out / "steps.csv")
    finally:
        proc.kill()
    assert proc.returncode == 130, (at, out_text[-1000:], err[-2000:])
    assert "Interrupted at step" in err and "run the same command to resume" in err
    saved = [int(p.name.split("-")[1]) for p in (out / "checkpoints").iterdir()]
    assert len(saved) == 1 and at <= saved[0] < EPOCH  # saved mid-epoch, not at an epoch end
    end = saved[0] + 4
    slow[slow.index("--steps") + 1] = str(end)
    again = subprocess.run(cli(*slow), env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"from step {saved[0]} of {end}" in again.stdout
    assert [s for s, _ in read_steps(out / "steps.csv")][-1] == end


def test_restart_starts_over(tmp_path):
    from click.testing import CliRunner
    from keras_gans import cli as cli_mod
    out = tmp_path / "run"
    base = ["train", "vanilla", "--steps", "4", "--steps-per-epoch", "2", "--log-every", "1",
            "--out", str(out), *TINY_TRAIN]
    assert CliRunner().invoke(cli_mod.main, base).exit_code == 0
    result = CliRunner().invoke(cli_mod.main, [*base, "--restart", "--latent-dim", "6"])
    assert result.exit_code == 0, result.output
    assert "Resuming" not in result.output
    assert [s for s, _ in read_steps(out / "steps.csv")] == [1, 2, 3, 4]
    assert json.loads((out / "recipe.json").read_text())["recipe"]["model_kwargs"][
        "latent_dim"] == 6


def test_tensorboard_logs_metrics_samples_and_learning_rates(tmp_path):
    from click.testing import CliRunner
    from keras_gans import cli as cli_mod
    out = tmp_path / "run"
    result = CliRunner().invoke(cli_mod.main, [
        "train", "vanilla", "--steps", "4", "--steps-per-epoch", "2", "--log-every", "1",
        "--out", str(out), *TINY_TRAIN])
    assert result.exit_code == 0, result.output
    assert "images_per_sec" in result.output  # throughput at each epoch end
    tags, steps = set(), set()
    for event_file in (out / "tensorboard").glob("events.out.tfevents.*"):
        for record in tf.data.TFRecordDataset(str(event_file)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                tags.add(value.tag)
                if value.tag == "step/d_loss":
                    steps.add(event.step)
    assert {"step/d_loss", "step/g_loss", "epoch/d_loss", "epoch/images_per_sec",
            "learning_rate/d", "learning_rate/g", "samples"} <= tags, tags
    assert steps == {1, 2, 3, 4}
    result = CliRunner().invoke(cli_mod.main, [
        "train", "vanilla", "--steps", "2", "--out", str(tmp_path / "quiet"), "--no-tensorboard",
        *TINY_TRAIN])
    assert result.exit_code == 0 and not (tmp_path / "quiet" / "tensorboard").exists()


def test_float16_loss_scale_skips_are_not_divergence():
    """An absurd initial loss scale overflows float16 gradients: the optimizer
    skips those steps and lowers the scale; the guard does not call it divergence."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    gan = keras_gans.VanillaGAN(image_shape=(8, 8, 1), latent_dim=4, g_hidden=(8,),
                                d_hidden=(8,))
    opt = lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3),  # noqa: E731
                                                      initial_scale=2.0 ** 60)
    gan.compile(d_optimizer=opt(), g_optimizer=opt())
    state = cb.RunState(steps_per_epoch=6)
    x = np.random.default_rng(0).uniform(-1, 1, (48, 8, 8, 1)).astype("float32")
    history = gan.fit(x, batch_size=8, epochs=1, verbose=0,
                      callbacks=[cb.StepCounter(state), cb.DivergenceGuard(state)])
    assert state.step == 6 and state.diverged_at is None
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert float(gan.g_optimizer.dynamic_scale) < 2.0 ** 60  # overflow was seen and handled


def test_nan_loss_is_divergence():
    gan = keras_gans.VanillaGAN(image_shape=(8, 8, 1), latent_dim=4, g_hidden=(8,),
                                d_hidden=(8,))
    gan.compile()
    state = cb.RunState(steps_per_epoch=6)
    x = np.full((48, 8, 8, 1), np.nan, "float32")
    gan.fit(x, batch_size=8, epochs=1, verbose=0,
            callbacks=[cb.StepCounter(state), cb.DivergenceGuard(state)])
    assert state.diverged_at == 1 and state.bad[0] in ("d_loss", "d_real", "g_loss", "d_fake")


def test_xla_default_follows_the_measurements():
    """On a CPU, XLA only where it measured faster (CycleGAN, the vanilla MLPs),
    never under a multi-replica strategy; --xla/--no-xla overrides."""
    from keras_gans import models
    from keras_gans.training import train
    assert train.auto_xla(models.get("cyclegan")) is True
    assert train.auto_xla(models.get("VanillaGAN")) is True
    for name in ("DCGAN", "ConditionalGAN", "ACGAN"):
        assert train.auto_xla(models.get(name)) is False, name

    class TwoReplicas:
        num_replicas_in_sync = 2

    assert train.auto_xla(models.get("cyclegan"), TwoReplicas()) is False
