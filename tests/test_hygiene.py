"""What a run leaves behind for other people and tools: file permissions, the
console output in a log file, logs.csv, recipe.json, the banner and the README."""

import csv
import json
import os
import pathlib
import re
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from keras_gans import cli, files

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = ["--g-filters", "4", "--d-filters", "4", "--latent-dim", "8", "--batch-size", "32",
        "--seed", "0", "--precision", "float32"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def run(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], indirect=True, ids=oct)
def test_atomic_writes_follow_the_umask(tmp_path, umask):
    def write_dir(tmp):
        (pathlib.Path(tmp) / "sub").mkdir()
        (pathlib.Path(tmp) / "sub" / "a.txt").write_text("a")
        (pathlib.Path(tmp) / "b.txt").write_text("b")
        os.chmod(pathlib.Path(tmp) / "b.txt", 0o600)  # a writer's own restrictive mode

    d = files.atomic_write_dir(tmp_path / "out", write_dir)
    f = files.atomic_write_file(tmp_path / "x.json", lambda tmp: pathlib.Path(tmp).write_text("{}"))
    assert files.current_umask() == umask
    for p in (d, d / "sub"):
        assert mode(p) == 0o777 & ~umask, (p, oct(mode(p)))
    for p in (d / "sub" / "a.txt", d / "b.txt", f):
        assert mode(p) == 0o666 & ~umask, (p, oct(mode(p)))


@pytest.mark.parametrize("umask", [0o027], indirect=True, ids=oct)
def test_umask_without_proc_is_read_and_left_as_it_was(monkeypatch, umask):
    def no_proc(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(files, "open", no_proc, raising=False)
    assert files.current_umask() == umask
    assert os.umask(umask) == umask  # restored


@pytest.mark.parametrize("umask", [0o022, 0o077], indirect=True, ids=oct)
def test_run_outputs_are_readable_as_the_umask_allows(tmp_path, umask):
    out = tmp_path / "run"
    result = run("train", "dcgan", "--steps", "3", "--steps-per-epoch", "3", "--out", str(out),
                 "--no-tensorboard", *TINY)
    assert result.exit_code == 0, result.output
    result = run("evaluate", str(out), "--metrics", "parzen", "-n", "10")
    assert result.exit_code == 0, result.output
    file_mode, dir_mode = 0o666 & ~umask, 0o777 & ~umask
    checkpoint = out / "checkpoints" / "step-00000003"
    export = out / "export"
    dirs = [checkpoint, export, export / "variables"]
    found = [p for p in [*checkpoint.rglob("*"), *export.rglob("*")] if p.is_file()]
    assert {"model.weights.h5", "saved_model.pb", "keras_gans.json"} <= {p.name for p in found}
    found += [out / "samples" / "epoch_0001.png", out / "recipe.json", out / "evaluation.json"]
    for p in dirs:
        assert mode(p) == dir_mode, (p, oct(mode(p)))
    for p in found:
        assert mode(p) == file_mode, (p, oct(mode(p)))


def train_args(out, *extra):
    return [sys.executable, "-m", "keras_gans.cli", "train", "dcgan", "--out", str(out),
            "--no-tensorboard", *TINY, *extra]


def test_log_file_gets_one_line_per_epoch_and_no_progress_bar(tmp_path):
    log = tmp_path / "train.log"
    with open(log, "wb") as f:  # as `keras-gans train ... > train.log` or nohup
        proc = subprocess.run(train_args(tmp_path / "run", "--steps", "9", "--steps-per-epoch",
                                         "3"), env=ENV, stdout=f, stderr=subprocess.PIPE,
                              timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    text = log.read_bytes().decode()  # not read_text, which turns "\r" into "\n"
    assert "\r" not in text and "\b" not in text and "\x1b[" not in text, repr(text[:500])
    epoch_lines = [line for line in text.splitlines() if "d_loss:" in line]
    assert len(epoch_lines) == 3, text
    assert all(line.startswith("3/3 ") and "images_per_sec:" in line for line in epoch_lines)
    # Keras's epoch headers stay, one per epoch.
    assert [line for line in text.splitlines() if line.startswith("Epoch ")] == [
        "Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]


def test_terminal_keeps_the_progress_bar(tmp_path):
    import pty
    leader, follower = pty.openpty()
    proc = subprocess.Popen(train_args(tmp_path / "run", "--steps", "3", "--steps-per-epoch", "3"),
                            env=ENV, stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    try:
        while True:  # read as it comes, so a full terminal buffer cannot stall the child
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child's side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.stderr.read()
        proc.wait(timeout=300)
    finally:
        proc.kill()
        os.close(leader)
    assert proc.returncode == 0
    text = b"".join(chunks).decode(errors="replace")
    # The bar, redrawn in place (a terminal also shows newlines as "\r\n").
    assert re.search("\r(?!\n)", text) and "1/3" in text and "3/3" in text, repr(text[-500:])
