"""A quick ranking of recipe variants: train each for a short, fixed budget and
follow the domain classifier's Frechet distance (`fd`, 2,500 samples) every few
epochs. Cheaper than benchmarks/quality.py's Inception FID (seconds per score,
not minutes), so it can try several learning rates or batch sizes in the time
of one full run; its winners then go through quality.py.

    python benchmarks/sweep.py                    # dcgan's learning-rate and batch rows
    python benchmarks/sweep.py --entry dcgan --variant "lr1e-3:d_lr=0.001,g_lr=0.001"

Each variant runs `keras-gans train ENTRY --seed 0 --set KEY=VALUE ...` into
OUT/runs/NAME/ with eval_metric=fd; the fd column of its logs.csv becomes one
JSON (OUT/NAME.json) and a row of OUT/table.md. A run whose logs.csv is complete
is not trained again.
"""

import argparse
import csv
import datetime
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import readme_block  # noqa: E402
from run import cpu_name, git_commit  # noqa: E402

# name: overrides. The same number of images for every row (60 passes over the
# 4,000 training digits); batch 32 therefore takes twice the steps of batch 64.
DEFAULT_VARIANTS = {
    "lr2e-4": "d_lr=0.0002,g_lr=0.0002",
    "ttur-d4e-4-g1e-4": "d_lr=0.0004,g_lr=0.0001",
    "lr2e-4-b32": "d_lr=0.0002,g_lr=0.0002,batch_size=32",
    "lr4e-4": "d_lr=0.0004,g_lr=0.0004",
    "g4e-4-d2e-4": "d_lr=0.0002,g_lr=0.0004",
    "lr8e-4": "d_lr=0.0008,g_lr=0.0008",
    "lr4e-4-b32": "d_lr=0.0004,g_lr=0.0004,batch_size=32",
}


def parse_variant(text):
    name, _, sets = text.partition(":")
    return name, dict(kv.split("=", 1) for kv in sets.split(",") if kv)


def read_fd(logs):
    """[(epoch, fd)] from a run's logs.csv (rows without a score skipped)."""
    with open(logs, newline="") as f:
        return [(int(r["epoch"]), float(r["eval_fd"])) for r in csv.DictReader(f)
                if r.get("eval_fd") not in (None, "", "NA")]


def train(cmd):
    subprocess.run(cmd, check=True)


def run_variant(entry, name, sets, args):
    run_dir = args.out / "runs" / name
    logs = run_dir / "logs.csv"
    batch = int(sets.get("batch_size", 64))
    steps_per_epoch = args.images // batch  # one pass, the last partial batch dropped
    steps = args.epochs * steps_per_epoch
    done = logs.exists() and sum(1 for _ in open(logs)) > args.epochs
    if not done:
        cmd = ["keras-gans", "train", entry, "--seed", "0", "--no-tensorboard", "--restart",
               "--out", str(run_dir), "--set", f"steps={steps}",
               "--set", f"steps_per_epoch={steps_per_epoch}",
               "--set", "eval_metric=fd", "--set", f"eval_every={args.every}",
               "--set", "eval_samples=2500"]
        for k, v in sets.items():
            cmd += ["--set", f"{k}={v}"]
        print(f"{name}: {' '.join(cmd)}", flush=True)
        train(cmd)
    result = {"name": name, "entry": entry, "overrides": sets, "steps": steps,
              "batch_size": batch, "fd": read_fd(logs), "n": 2500, "seed": 0,
              "commit": git_commit(), "cpu": cpu_name(), "cores": os.cpu_count(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2))
    return result


def table(results):
    epochs = sorted({e for r in results for e, _ in r["fd"]})
    head = "| variant | overrides | batch | steps | " + " | ".join(f"fd @ epoch {e}" for e in epochs) + " |"
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in sorted(results, key=lambda r: r["fd"][-1][1] if r["fd"] else float("inf")):
        fd = dict(r["fd"])
        lines.append(f"| {r['name']} | {', '.join(f'{k}={v}' for k, v in r['overrides'].items())} "
                     f"| {r['batch_size']} | {r['steps']} | "
                     + " | ".join(f"{fd[e]:.1f}" if e in fd else "-" for e in epochs) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--entry", default="dcgan")
    p.add_argument("--variant", action="append", default=[],
                   help="NAME:KEY=VALUE,KEY=VALUE (repeatable; default: the learning-rate rows)")
    p.add_argument("--epochs", type=int, default=60, help="passes over the data [60]")
    p.add_argument("--every", type=int, default=20, help="epochs between fd scores [20]")
    p.add_argument("--images", type=int, default=4000, help="training images [4000: mnist5k]")
    p.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks" / "results" / "sweep")
    p.add_argument("--readme", action="store_const", const=ROOT / "README.md",
                   help="also paste the table into README.md's block for OUT's folder name")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    variants = dict(parse_variant(v) for v in args.variant) if args.variant else {
        k: dict(kv.split("=", 1) for kv in v.split(",")) for k, v in DEFAULT_VARIANTS.items()}
    results = [run_variant(args.entry, name, sets, args) for name, sets in variants.items()]
    text = table(results) + (
        f"\n\nfd: Frechet distance of 2,500 samples of G (EMA where the recipe has one) to "
        f"2,500 real training images in the domain classifier's features, lower is better; "
        f"seed 0, {args.epochs} passes over the {args.images:,} training images. Made by "
        f"`python benchmarks/sweep.py`.")
    (args.out / "table.md").write_text(text + "\n")
    print(text)
    if args.readme:
        readme_block.splice(args.readme,
                            f"<!-- sweep-table {args.out.name}: benchmarks/sweep.py --readme writes this block -->",
                            f"<!-- /sweep-table {args.out.name} -->", text)
        print(f"Updated the sweep table in {args.readme}")


if __name__ == "__main__":
    main()
