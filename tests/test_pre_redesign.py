"""Run directories written before the package's redesign (issue 14) still load.

`tests/fixtures/pre_redesign/` holds three tiny runs written by keras-gans at
c7158ed, before the code moved into subpackages: dcgan (checkpoint and export),
cgan (checkpoint) and cyclegan (checkpoint and export), trained at float32 for a
few steps with tiny networks. Today's code must resume, load and export them,
and read their exports, with the formats unchanged.
"""

import json
import pathlib
import shutil

import numpy as np
from click.testing import CliRunner

from keras_gans import cli

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "pre_redesign"
# What the code of before computed from these checkpoints (see test below).
EXPECTED = np.load(FIXTURES / "expected_outputs.npz")
TINY = ["--precision", "float32", "--batch-size", "8", "--set", "g_filters=4", "--set",
        "d_filters=4", "--set", "latent_dim=8", "--set", "samples=10", "--no-tensorboard"]


def copy(name, tmp_path):
    out = tmp_path / name
    shutil.copytree(FIXTURES / name, out)
    return out


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def test_old_dcgan_run_resumes_exports_and_samples(tmp_path):
    run_dir = copy("dcgan", tmp_path)
    result = run("train", "dcgan", "--steps", "6", "--out", run_dir, *TINY)
    assert result.exit_code == 0, result.output
    assert "Resuming" in result.output and "from step 4 of 6" in result.output
    assert (run_dir / "checkpoints" / "step-00000006").is_dir()
    # The export written before the change samples as it did.
    old = tmp_path / "old-export"
    shutil.copytree(FIXTURES / "dcgan" / "export", old)
    for source in (old, run_dir):
        grid = tmp_path / f"{source.name}.png"
        result = run("sample", source, "-n", "4", "-o", grid, "--seed", "1")
        assert result.exit_code == 0, result.output
        assert grid.exists()


def test_old_checkpoints_load_into_todays_models(tmp_path):
    from keras_gans import export as export_lib
    from keras_gans.training import train as train_lib
    for name in ("dcgan", "cgan", "cyclegan"):
        model, info = train_lib.load_run(copy(name, tmp_path))
        path = train_lib.export_run(model, info, tmp_path / f"{name}-export")
        loaded, meta = export_lib.load(path)
        old_meta_file = FIXTURES / name / "export" / export_lib.META_FILE
        if old_meta_file.exists():  # the same facts as the export of before
            old_meta = json.loads(old_meta_file.read_text())
            assert {k: meta.get(k) for k in old_meta} == old_meta
        # The restored weights give what the code of before computed from them.
        if name == "cyclegan":
            x = np.linspace(-1, 1, 2 * 32 * 32 * 3, dtype="float32").reshape(2, 32, 32, 3)
            got = np.concatenate([model.translate(x, "a2b"), model.translate(x, "b2a")])
            np.testing.assert_allclose(np.asarray(loaded.a2b(x)), got[:2], atol=1e-5)
        else:
            labels = np.array([0, 1]) if name == "cgan" else None
            got = model.generate(2, seed=0, **({"labels": labels} if name == "cgan" else {}))
            exported = export_lib.generate(loaded, 2, seed=0,
                                           **({"label": labels} if name == "cgan" else {}))
            np.testing.assert_allclose(exported, got, atol=1e-5)
        np.testing.assert_allclose(got, EXPECTED[name], atol=1e-5)


def test_old_cyclegan_export_translates(tmp_path):
    from keras_gans import files
    image = tmp_path / "in.png"
    files.save_png(image, np.zeros((40, 40, 3), "uint8"))
    old = tmp_path / "export"
    shutil.copytree(FIXTURES / "cyclegan" / "export", old)
    result = run("translate", old, image, "-o", tmp_path / "out", "--direction", "b2a")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "in.png").exists()


def test_exports_of_before_tell_their_kind_by_their_facts():
    from keras_gans import evaluation, export as export_lib
    old = {name: json.loads((FIXTURES / name / "export" / export_lib.META_FILE).read_text())
           for name in ("dcgan", "cyclegan")}
    assert all("kind" not in meta for meta in old.values())  # written before kinds
    assert export_lib.kind_of(old["dcgan"]) == "latent"
    assert export_lib.kind_of(old["cyclegan"]) == "translator"
    assert evaluation.is_translation(old["cyclegan"]) and not evaluation.is_translation(
        old["dcgan"])
    assert export_lib.kind_of({"latent_dim": 8, "num_classes": 10}) == "conditional"
