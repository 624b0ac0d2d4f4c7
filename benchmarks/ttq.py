"""Time to quality: training seconds until the FID first reaches a threshold,
for a zoo recipe against the plain baseline on the same networks, in one run.

    python benchmarks/ttq.py                      # dcgan on mnist5k, FID <= 20 at N=1,000
    python benchmarks/ttq.py --threshold 25 --max-minutes 20 --eval-every 500

Two arms, trained in alternating chunks (`--eval-every`, `--baseline-eval-every` steps) in this one
process (so a busy machine slows both alike):

  - recipe:   `keras-gans train ENTRY` as a user gets it: the recipe's settings,
              `--precision auto` and the XLA default (as `keras-gans tune` stored
              them, else the static table), sampled from the moving-average G
              where the recipe keeps one;
  - baseline: the same networks trained the plain way (`benchmarks/baseline.py`:
              the tutorial `train_step`, Adam 2e-4 with beta_1 0.5, float32, no
              XLA, no moving average) at the DCGAN paper's batch of 128.

After each chunk the arm's generator makes N images, scored by Inception FID
against the same N real training images (the real-vs-real FID of two disjoint
real sets of N is printed beside). Only training counts towards an arm's
time; scoring does not. An arm stops when it reaches the threshold or has
trained `--max-minutes`. JSON and a markdown table go to
benchmarks/results/ttq/.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from run import cpu_name, git_commit  # noqa: E402


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--entry", default="dcgan", help="zoo entry [%(default)s]")
    p.add_argument("--data", default=None, help="data [the recipe's]")
    p.add_argument("--threshold", type=float, default=20.0, help="FID to reach [%(default)s]")
    p.add_argument("--n", type=int, default=1000, help="images per FID [%(default)s]")
    p.add_argument("--eval-every", type=int, default=500,
                   help="steps between scores, each arm [%(default)s]")
    p.add_argument("--baseline-eval-every", type=int, default=1000,
                   help="steps between the baseline's scores [%(default)s: its batch is twice "
                        "the recipe's and its step slower, so about as often in time]")
    p.add_argument("--max-minutes", type=float, default=30.0,
                   help="training minutes after which an arm gives up [%(default)s]")
    p.add_argument("--baseline-batch", type=int, default=128,
                   help="the baseline's batch size [%(default)s, the DCGAN paper's]")
    p.add_argument("--also", default="40,30,25",
                   help="more FID thresholds whose times are read off the same scores "
                        "[%(default)s]")
    p.add_argument("--report", type=pathlib.Path, metavar="JSON",
                   help="only print (and rewrite the .md of) an earlier run's JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="recipe override for the recipe arm")
    p.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks" / "results" / "ttq")
    return p.parse_args(argv)


class Arm:
    """One contender: a compiled model, its data and how it makes images."""

    def __init__(self, name, model, dataset, make_images, batch_size, settings, eval_every):
        self.name, self.model, self.make_images = name, model, make_images
        self.eval_every = eval_every
        self.batch_size, self.settings = batch_size, settings
        self.iterator = dataset
        self.train_s, self.steps, self.scores, self.reached = 0.0, 0, [], None
        self.first_call_s = None

    def train(self, steps):
        start = time.perf_counter()
        self.model.fit(self.iterator, epochs=1, steps_per_epoch=steps, verbose=0)
        took = time.perf_counter() - start
        if self.first_call_s is None:
            self.first_call_s = took  # compilation included: it is part of the time to quality
        self.train_s += took
        self.steps += steps

    def done(self, max_s):
        return self.reached is not None or self.train_s >= max_s


def build_arms(args):
    import keras
    import baseline as baseline_lib
    from keras_gans.training import precision as precision_lib, recipes, train as train_lib

    recipe = recipes.load(args.entry).override(
        {**dict(kv.split("=", 1) for kv in args.set), **({"data": args.data} if args.data else {})})
    t = recipe.train
    cls = recipe.model_class
    data = cls.load_data(recipe.data, batch_size=t["batch_size"], image_size=t["image_size"],
                         channels=t["channels"], seed=args.seed)
    strategy = __import__("tensorflow").distribute.get_strategy()
    precision, xla = train_lib.tuned_settings(recipe, data.image_shape, strategy, "auto", None,
                                              log=lambda m: print(m, file=sys.stderr))
    policy = precision_lib.apply(cls.auto_precision or precision)
    xla = train_lib.auto_xla(cls) if xla is None else xla
    keras.utils.set_random_seed(args.seed)
    model = train_lib.compile_model(
        train_lib.build_model(recipe, data.image_shape, data.num_classes, args.seed), recipe, xla)
    recipe_arm = Arm("recipe", model, data.dataset.repeat(),
                     lambda n: model.generate(n, seed=args.seed + 1), t["batch_size"],
                     {"precision": policy, "xla": bool(xla), "batch_size": t["batch_size"],
                      "d_lr": t.get("d_lr"), "g_lr": t.get("g_lr"),
                      "ema_decay": recipe.model_kwargs.get("ema_decay", 0.0)}, args.eval_every)

    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(args.seed)
    plain = recipe.override({"ema_decay": 0.0}) if "ema_decay" in recipe.model_kwargs else recipe
    base_data = cls.load_data(recipe.data, batch_size=args.baseline_batch,
                              image_size=t["image_size"], channels=t["channels"], seed=args.seed)
    nets = train_lib.build_model(plain, data.image_shape, data.num_classes, args.seed)
    base = baseline_lib.plain_model(nets, jit_compile=False)
    baseline_arm = Arm("baseline", base, base_data.dataset.repeat(),
                       lambda n: nets.generate(n, seed=args.seed + 1), args.baseline_batch,
                       {"precision": "float32", "xla": False, "batch_size": args.baseline_batch,
                        "d_lr": 2e-4, "g_lr": 2e-4, "ema_decay": 0.0}, args.baseline_eval_every)
    return recipe, data, [recipe_arm, baseline_arm]


def main(argv=None):
    args = parse(argv)
    also = [float(t) for t in args.also.split(",") if t.strip()]
    if args.report:
        report = json.loads(args.report.read_text())
        md = markdown(report, also)
        args.report.with_suffix(".md").write_text(md + "\n")
        print(md)
        return 0
    import numpy as np
    import tensorflow as tf
    import keras
    from keras_gans.evaluation import metrics, scoring

    started = time.time()
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    from keras_gans.evaluation.inception import InceptionError
    try:  # before building or training anything
        extractor = scoring.inception_extractor()
    except InceptionError as e:
        sys.exit(f"ttq.py: {e}")
    recipe, data, arms = build_arms(args)
    reals, _ = scoring.real_images(recipe.data, data.image_shape, 2 * args.n, seed=args.seed)
    real_a, real_b = reals[:args.n], reals[args.n:2 * args.n]
    stats = metrics.feature_statistics(extractor(real_a)[0])
    floor = float(metrics.frechet_distance(stats, metrics.feature_statistics(
        extractor(real_b)[0])))
    print(f"{recipe.entry} on {recipe.data}: FID <= {args.threshold:g} at N={args.n} "
          f"(real-vs-real {floor:.1f}); scored every {args.eval_every} recipe and "
          f"{args.baseline_eval_every} baseline steps, "
          f"for at most {args.max_minutes:g} training minutes", flush=True)
    max_s = args.max_minutes * 60
    while not all(arm.done(max_s) for arm in arms):
        for arm in arms:
            if arm.done(max_s):
                continue
            arm.train(arm.eval_every)
            fid = float(metrics.frechet_distance(
                stats, metrics.feature_statistics(extractor(arm.make_images(args.n))[0])))
            arm.scores.append({"step": arm.steps, "train_s": round(arm.train_s, 1),
                               "fid": round(fid, 2)})
            if fid <= args.threshold:
                arm.reached = {"step": arm.steps, "train_s": round(arm.train_s, 1),
                               "fid": round(fid, 2)}
            print(f"  {arm.name:<8} step {arm.steps:>6}  {arm.train_s / 60:6.1f} min  "
                  f"FID {fid:6.1f}{'  reached' if arm.reached else ''}", flush=True)
    r, b = arms
    if r.reached and b.reached:
        speedup, verdict = round(b.reached["train_s"] / r.reached["train_s"], 2), "measured"
    elif r.reached:
        speedup, verdict = round(b.train_s / r.reached["train_s"], 2), "lower bound"
    else:
        speedup, verdict = None, "recipe did not reach the threshold"
    report = {
        "date": date, "commit": git_commit(),
        "command": " ".join(["python", "benchmarks/ttq.py"] + (sys.argv[1:] if argv is None
                                                              else list(argv))),
        "cpu": cpu_name(), "cores": os.cpu_count(), "platform": platform.platform(),
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", ""),
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "entry": recipe.entry, "data": recipe.data, "threshold": args.threshold, "n": args.n,
        "real_vs_real_fid": round(floor, 2), "eval_every": args.eval_every,
        "baseline_eval_every": args.baseline_eval_every,
        "max_minutes": args.max_minutes, "load_avg_end": list(os.getloadavg()),
        "arms": [{"name": a.name, "settings": a.settings, "reached": a.reached,
                  "trained_steps": a.steps, "trained_s": round(a.train_s, 1),
                  "first_call_s": round(a.first_call_s or 0.0, 1),
                  "best_fid": min(s["fid"] for s in a.scores), "scores": a.scores}
                 for a in arms],
        "speedup": speedup, "speedup_kind": verdict,
        "wall_s": round(time.time() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    tag = f"{recipe.entry}-fid{args.threshold:g}-n{args.n}" + (
        f"-{os.environ['ONEDNN_MAX_CPU_ISA'].lower()}" if os.environ.get("ONEDNN_MAX_CPU_ISA")
        else "")
    (args.out / f"{tag}.json").write_text(json.dumps(report, indent=2))
    md = markdown(report, also)
    (args.out / f"{tag}.md").write_text(md + "\n")
    print(md)
    print(f"JSON: {args.out / (tag + '.json')}")
    return 0


def first_reaching(scores, threshold):
    """The first score at or under `threshold`, or None."""
    return next((s for s in scores if s["fid"] <= threshold), None)


def markdown(report, also=()):
    """The arms' times to the threshold (and to the `also` thresholds, read off
    the same scores) as a markdown table and a sentence."""
    thresholds = sorted({float(report["threshold"]), *also}, reverse=True)

    def cell(arm, threshold):
        hit = first_reaching(arm["scores"], threshold)
        if hit:
            return f"{hit['train_s'] / 60:.1f} min ({hit['step']} steps, FID {hit['fid']:.1f})"
        return (f"not in {arm['trained_s'] / 60:.1f} min ({arm['trained_steps']} steps; best "
                f"{arm['best_fid']:.1f})")

    def ratio(threshold):
        r, b = report["arms"]
        hr, hb = first_reaching(r["scores"], threshold), first_reaching(b["scores"], threshold)
        if hr and hb:
            return f"{hb['train_s'] / hr['train_s']:.1f}x"
        if hr:
            return f">= {b['trained_s'] / hr['train_s']:.1f}x"
        return "-"

    lines = ["| arm | settings | " + " | ".join(
        f"to FID <= {t:g}" for t in thresholds) + " |",
        "|---|---|" + "---|" * len(thresholds)]
    for arm in report["arms"]:
        s = arm["settings"]
        lines.append(f"| {arm['name']} | {s['precision']}, XLA {'on' if s['xla'] else 'off'}, "
                     f"batch {s['batch_size']}, lr {s['d_lr']:g}/{s['g_lr']:g}, EMA "
                     f"{s['ema_decay'] or 'off'} | "
                     + " | ".join(cell(arm, t) for t in thresholds) + " |")
    lines.append("| recipe sooner by | | " + " | ".join(ratio(t) for t in thresholds) + " |")
    isa = f", oneDNN capped at {report['onednn_max_cpu_isa']}" if report["onednn_max_cpu_isa"] \
        else ""
    lines.append("")
    lines.append(f"{report['entry']} on {report['data']}, Inception FID at N={report['n']} "
                 f"(real-vs-real {report['real_vs_real_fid']:.1f}), {report['cpu']} "
                 f"({report['cores']} cores{isa}), {report['date'][:10]}, commit "
                 f"{report['commit'][:12]}. Minutes of training only (scoring excluded, "
                 f"compilation included), at the first score at or under each threshold "
                 f"(scores every {report['eval_every']} recipe and "
                 f"{report.get('baseline_eval_every', report['eval_every'])} baseline steps); "
                 f"each arm stopped at FID <= {report['threshold']:g} or after "
                 f"{report['max_minutes']:g} minutes. \">=\": the baseline never got there, so "
                 f"its whole time is a lower bound. Made by `{report['command']}`.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
