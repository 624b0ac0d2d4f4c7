"""benchmarks/sweep.py: a finished run is read back from its logs.csv, not
trained again, and the table ranks the variants by their last fd."""

import importlib.util
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("keras_gans_benchmarks_sweep",
                                               ROOT / "benchmarks" / "sweep.py")
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)


def write_logs(run_dir, fds, epochs):
    run_dir.mkdir(parents=True)
    rows = ["epoch,d_loss,eval_fd"] + [
        f"{e},0.5,{fds.get(e, 'NA')}" for e in range(1, epochs + 1)]
    (run_dir / "logs.csv").write_text("\n".join(rows) + "\n")


def test_finished_runs_are_read_and_ranked(tmp_path, monkeypatch):
    write_logs(tmp_path / "runs" / "slow", {2: 90.0, 4: 70.0}, 4)
    write_logs(tmp_path / "runs" / "fast", {2: 80.0, 4: 40.0}, 4)
    monkeypatch.setattr(sweep, "train", lambda cmd: (_ for _ in ()).throw(
        AssertionError("a finished run was trained again")))
    sweep.main(["--epochs", "4", "--every", "2", "--images", "640", "--out", str(tmp_path),
                "--variant", "slow:d_lr=0.0002", "--variant", "fast:d_lr=0.0008,batch_size=32"])
    fast = json.loads((tmp_path / "fast.json").read_text())
    assert fast["fd"] == [[2, 80.0], [4, 40.0]] and fast["steps"] == 4 * 20
    assert fast["overrides"] == {"d_lr": "0.0008", "batch_size": "32"}
    rows = [l for l in (tmp_path / "table.md").read_text().splitlines() if l.startswith("| ")]
    assert rows[0].startswith("| variant |") and "fd @ epoch 4" in rows[0]
    assert rows[1].startswith("| fast |") and rows[1].endswith("| 80.0 | 40.0 |")
    assert rows[2].startswith("| slow |") and "| 64 | 40 |" in rows[2]


def test_an_unfinished_run_is_trained_with_the_budget_and_fd(tmp_path, monkeypatch):
    calls = []

    def fake_train(cmd):
        calls.append(cmd)
        write_logs(pathlib.Path(cmd[cmd.index("--out") + 1]), {3: 55.0}, 3)
    monkeypatch.setattr(sweep, "train", fake_train)
    sweep.main(["--epochs", "3", "--every", "3", "--images", "128", "--out", str(tmp_path),
                "--variant", "new:g_lr=0.001"])
    (cmd,) = calls
    assert cmd[:3] == ["keras-gans", "train", "dcgan"]
    sets = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--set"]
    assert {"steps=6", "steps_per_epoch=2", "eval_metric=fd", "eval_every=3",
            "g_lr=0.001"} <= set(sets)
    assert json.loads((tmp_path / "new.json").read_text())["fd"] == [[3, 55.0]]


def test_readme_block_takes_the_table(tmp_path, monkeypatch):
    write_logs(tmp_path / "runs" / "a", {1: 50.0}, 1)
    readme = tmp_path / "README.md"
    name = tmp_path.name
    readme.write_text(f"x\n<!-- sweep-table {name}: benchmarks/sweep.py --readme writes this "
                      f"block -->\nold\n<!-- /sweep-table {name} -->\ny\n")
    monkeypatch.setattr(sweep, "ROOT", tmp_path)
    monkeypatch.setattr(sweep, "train", lambda cmd: None)
    args = ["--epochs", "1", "--every", "1", "--out", str(tmp_path), "--variant", "a:g_lr=1"]
    sweep.main(args + ["--readme"])  # --readme: ROOT/README.md, read when main() runs
    body = readme.read_text()
    assert "old" not in body and "| a | g_lr=1 |" in body and body.endswith("-->\ny\n")
