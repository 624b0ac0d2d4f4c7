"""The README's loss study: `keras-gans study` at the size stated below, its
table and plots copied where the README shows them.

    python benchmarks/study.py                   # run (or resume) it, print the table
    python benchmarks/study.py --readme          # also paste the table into README.md
    python benchmarks/study.py --report-only     # the report of the trials finished so far

Runs `keras-gans study` with SETTINGS into --out (resumable: the same command
goes on where it stopped), then copies study.md and study.json to
benchmarks/results/study/ and the two plots to docs/img/. Every FID is
Inception FID at N=500 (the study's -n) against as many real images.
"""

import argparse
import pathlib
import shutil
import subprocess
import sys

from readme_block import splice

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The study shown in the README: every default model, 3 hyper-parameter
# samples each (the recipe's, then 2 from the wide range), 600 steps of 64,
# FID at N=500 after 200, 400 and 600 steps, DCGAN nets of 32 filters.
SETTINGS = ["--trials", "3", "--steps", "600", "--evals", "3", "--metric", "fid", "-n", "500",
            "--filters", "32", "--batch-size", "64"]
BEGIN, END = "<!-- study-table:begin -->", "<!-- study-table:end -->"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "study-readme"),
                        help="study folder (the trials' runs; resumable) [runs/study-readme]")
    parser.add_argument("--readme", action="store_true", help="paste the table into README.md")
    parser.add_argument("--report-only", action="store_true",
                        help="report the trials finished so far, train none")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    done = subprocess.run([sys.executable, "-m", "keras_gans", "study", "-o", str(out),
                           *SETTINGS, *(["--report-only"] if args.report_only else [])])
    if done.returncode:
        raise SystemExit(done.returncode)
    results = ROOT / "benchmarks" / "results" / "study"
    results.mkdir(parents=True, exist_ok=True)
    for name in ("study.md", "study.json"):
        shutil.copyfile(out / name, results / name)
    for name in ("study_best.png", "study_budget.png"):
        shutil.copyfile(out / name, ROOT / "docs" / "img" / name)
    print(f"Copied the report to {results} and the plots to docs/img/")
    if args.readme:
        splice(ROOT / "README.md", BEGIN, END, (out / "study.md").read_text().rstrip())
        print("Pasted the table into README.md")


if __name__ == "__main__":
    main()
