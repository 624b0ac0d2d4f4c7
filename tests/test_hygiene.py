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


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def test_logs_csv_has_no_val_columns_and_counts_epochs_like_the_samples(tmp_path):
    out = tmp_path / "run"
    args = ["train", "dcgan", "--steps-per-epoch", "3", "--out", str(out), "--no-tensorboard",
            *TINY]
    result = run(*args, "--steps", "6")
    assert result.exit_code == 0, result.output
    fields, rows = read_csv(out / "logs.csv")
    assert fields == ["epoch", "d_fake", "d_loss", "d_real", "g_loss", "images_per_sec"]
    assert all(v != "NA" for r in rows for v in r.values())
    assert [r["epoch"] for r in rows] == ["1", "2"]
    # Resuming appends: the numbering continues, still in step with the sample grids.
    result = run(*args, "--steps", "9")
    assert result.exit_code == 0 and "Resuming" in result.output, result.output
    fields_again, rows_again = read_csv(out / "logs.csv")
    assert fields_again == fields and rows_again[:2] == rows
    epochs = [int(r["epoch"]) for r in rows_again]
    assert epochs == [1, 2, 3]
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        f"epoch_{e:04d}.png" for e in epochs]


def test_epoch_log_adds_late_columns_and_drops_rows_lost_with_a_crash(tmp_path):
    from keras_gans.training import callbacks as cb
    path = tmp_path / "logs.csv"
    state = cb.RunState(step=0, steps_per_epoch=2)
    log = cb.EpochLog(path, state)
    log.on_train_begin()
    log.on_epoch_end(0, {"d_loss": 1.5, "g_loss": 0.5})
    log.on_epoch_end(1, {"d_loss": 1.25, "g_loss": 0.75, "eval_fd": 3.0})  # eval_every=2
    log.on_epoch_end(2, {"d_loss": 1.0, "g_loss": 1.0})
    fields, rows = read_csv(path)
    assert fields == ["epoch", "d_loss", "g_loss", "eval_fd"]
    assert [(r["epoch"], r["eval_fd"]) for r in rows] == [("1", "NA"), ("2", "3.0"), ("3", "NA")]
    assert float(rows[2]["d_loss"]) == 1.0
    # A crash after epoch 3's row but before its checkpoint: resumed from step 4
    # (2 whole epochs), the run redoes epoch 3 and its row is written once.
    resumed = cb.EpochLog(path, cb.RunState(step=4, steps_per_epoch=2), append=True)
    resumed.on_train_begin()
    assert [r["epoch"] for r in read_csv(path)[1]] == ["1", "2"]
    resumed.on_epoch_end(2, {"d_loss": 0.5, "g_loss": 2.0})
    fields, rows = read_csv(path)
    assert fields == ["epoch", "d_loss", "g_loss", "eval_fd"]
    assert [r["epoch"] for r in rows] == ["1", "2", "3"] and float(rows[2]["d_loss"]) == 0.5
    # A new run (no append) starts the file afresh.
    fresh = cb.EpochLog(path, cb.RunState(step=0, steps_per_epoch=2))
    fresh.on_train_begin()
    fresh.on_epoch_end(0, {"d_loss": 9.0})
    assert read_csv(path) == (["epoch", "d_loss"], [{"epoch": "1", "d_loss": "9.0"}])


def test_epoch_log_resumes_a_file_keras_csvlogger_wrote(tmp_path):
    from keras_gans.training import callbacks as cb
    path = tmp_path / "logs.csv"
    path.write_text("epoch,d_loss,g_loss,val_d_loss,val_g_loss\n"
                    "0,1.5,0.5,NA,NA\n1,1.25,0.75,NA,NA\n")
    log = cb.EpochLog(path, cb.RunState(step=4, steps_per_epoch=2), append=True)
    log.on_train_begin()
    log.on_epoch_end(2, {"d_loss": 1.0, "g_loss": 1.0})
    fields, rows = read_csv(path)
    assert fields == ["epoch", "d_loss", "g_loss"]
    assert [(r["epoch"], r["d_loss"]) for r in rows] == [("1", "1.5"), ("2", "1.25"),
                                                        ("3", "1.0")]


def test_banner_counts_and_unconditional_recipe_has_no_classes(tmp_path):
    out = tmp_path / "run"
    result = run("train", "dcgan", "--steps", "3", "--steps-per-epoch", "3", "--out", str(out),
                 "--no-tensorboard", *TINY)
    assert result.exit_code == 0, result.output
    assert ", 1 epoch x 3 steps, " in result.output, result.output
    # DCGAN ignores MNIST's labels: it was built for no classes, and says so.
    assert json.loads((out / "recipe.json").read_text())["num_classes"] is None
    meta = json.loads((out / "export" / "keras_gans.json").read_text())
    assert "num_classes" not in meta
    from keras_gans.training import train
    model, info = train.load_run(out)
    assert info.num_classes is None and model.generate(2).shape == (2, 28, 28, 1)
    for source in (out, out / "export"):
        result = run("sample", str(source), "-n", "4", "-o", str(tmp_path / "s.png"))
        assert result.exit_code == 0, result.output

    result = run("train", "dcgan", "--steps", "2", "--steps-per-epoch", "1", "--out",
                 str(tmp_path / "two"), "--no-tensorboard", *TINY)
    assert result.exit_code == 0, result.output
    assert ", 2 epochs x 1 step, " in result.output, result.output


def readme_synopsis():
    """{command: the words of its lines} from the README's "Command line" block."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Command line\s*```\n(.*?)```", text, re.S)
    assert block, "README lost its command synopsis"
    out, name = {}, None
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0]
        m = re.match(r"keras-gans ([\w-]+)", line)
        if m:
            name = m.group(1)
            out.setdefault(name, [])
        if name and line.strip():
            out[name] += line.split()
    return out


def test_readme_synopsis_lists_every_command_with_real_options():
    import click
    synopsis = readme_synopsis()
    ctx = click.Context(cli.main)
    assert sorted(synopsis) == sorted(cli.main.list_commands(ctx))
    for name, words in synopsis.items():
        command = cli.main.get_command(ctx, name)
        known = {opt for p in command.params for opt in [*p.opts, *p.secondary_opts]}
        for word in words:
            # Lower case: `--KEY VALUE` stands for recipe overrides.
            for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", word):
                assert option in known, (name, option)


def test_every_module_and_public_function_and_class_says_what_it_is():
    """Issue 14: public functions and classes get a docstring (methods that
    override Keras's keep Keras's), and every module opens with one."""
    import ast
    package = pathlib.Path(__file__).resolve().parent.parent / "keras_gans"
    missing = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        where = path.relative_to(package.parent).as_posix()
        if ast.get_docstring(tree) is None:
            missing.append(where)
        missing += [f"{where}: {node.name}" for node in tree.body
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                    and not node.name.startswith("_") and ast.get_docstring(node) is None]
    assert not missing, missing


def _unannotated(fn):
    """The parameters (besides self/cls, *args, **kwargs) and the return of a
    function definition that have no annotation (`__init__` needs no return)."""
    import ast
    a = fn.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    missing = [p.arg for i, p in enumerate(params)
               if p.annotation is None and not (i == 0 and p.arg in ("self", "cls"))]
    if fn.returns is None and fn.name != "__init__":
        missing.append("return")
    return missing


def test_every_public_function_and_method_has_type_hints():
    """Issue 14: public functions, methods (Keras overrides too) and classes'
    `__init__` say their parameters' and return's types, in every module that
    is not private."""
    import ast
    package = pathlib.Path(__file__).resolve().parent.parent / "keras_gans"

    def walk(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith("_") and node.name != "__init__":
                    continue
                missing = _unannotated(node)
                if missing:
                    yield f"{prefix}{node.name} (line {node.lineno}): {', '.join(missing)}"
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                yield from walk(node.body, f"{prefix}{node.name}.")

    found = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if any(p.startswith("_") and p != "__init__" for p in parts):
            continue  # a private module (or __main__)
        where = path.relative_to(package.parent).as_posix()
        found += [f"{where}: {item}" for item in walk(ast.parse(path.read_text()).body, "")]
    assert not found, "no type hints on:\n" + "\n".join(found)
