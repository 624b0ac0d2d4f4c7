"""docs/architecture.md's worked example: a new zoo entry is two new files.

The test writes the example's model file and recipe, exactly as the page shows
them, into a copy of the package, and checks that `keras-gans zoo` lists the
entry and that it trains and exports, with nothing else touched."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def example_files():
    """{path: text} of the page's `<!-- new file: PATH -->` code blocks."""
    found = re.findall(r"<!-- new file: (\S+) -->\n```[a-z]*\n(.*?)```", DOC.read_text(), re.S)
    return dict(found)


def tree(root):
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_worked_example_adds_an_entry_in_two_new_files(tmp_path):
    files = example_files()
    assert sorted(files) == ["keras_gans/models/r1gan.py", "zoo/r1gan.toml"]
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "keras_gans", copy / "keras_gans", ignore=ignore)
    shutil.copytree(ROOT / "zoo", copy / "zoo", ignore=ignore)
    shutil.copy(ROOT / "setup.py", copy / "setup.py")
    before = tree(copy)
    for path, text in files.items():
        assert not (copy / path).exists(), path  # new files, not edits
        (copy / path).write_text(text)
    assert tree(copy) - before == set(files)

    env = {**os.environ, "PYTHONPATH": str(copy)}
    python = [sys.executable, "-m", "keras_gans"]
    zoo = subprocess.run(python + ["zoo"], cwd=copy, env=env, capture_output=True, text=True,
                         timeout=120)
    assert zoo.returncode == 0, zoo.stderr
    line = next(l for l in zoo.stdout.splitlines() if l.startswith("r1gan "))
    assert "R1GAN" in line and "Mescheder" in line

    run = tmp_path / "run"
    train = subprocess.run(
        python + ["train", "r1gan", "--steps", "2", "--batch-size", "8", "--precision",
                  "float32", "--latent-dim", "8", "--g-filters", "4", "--d-filters", "4",
                  "--r1-gamma", "5", "--samples", "4", "--no-tensorboard", "--out", str(run)],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stdout + train.stderr
    assert (run / "export" / "saved_model.pb").exists()
    recipe = json.loads((run / "recipe.json").read_text())["recipe"]
    assert recipe["model"] == "R1GAN" and recipe["model_kwargs"]["r1_gamma"] == 5.0
    assert json.loads((run / "export" / "keras_gans.json").read_text())["kind"] == "latent"
