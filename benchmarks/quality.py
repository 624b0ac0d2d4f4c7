"""How good are the zoo's samples? Train each entry's recipe, score its export.

    python benchmarks/quality.py                                  # every target row, seed 0
    python benchmarks/quality.py --entries dcgan --seeds 0,1,2    # one entry, three seeds
    python benchmarks/quality.py --entries dcgan@fashion_mnist    # an entry on other data
    python benchmarks/quality.py --entries dcgan --set ema_decay=0 --tag no-ema   # an ablation
    python benchmarks/quality.py --table-only                     # re-make the table from JSON
    ONEDNN_MAX_CPU_ISA=AVX2 XLA_FLAGS=--xla_cpu_max_isa=AVX2 python benchmarks/quality.py --time-only   # as on AVX2

For each entry (`ENTRY` or `ENTRY@DATA`) and seed, this runs `keras-gans train` on
the recipe (plus any `--set` overrides) into `OUT/runs/NAME/`, then scores the
SavedModel export as a user would get it:

  - Inception FID and KID of N generated images against N real images of the
    data the entry trained on (its train split), with the same FID of two
    disjoint sets of N real images beside it: the floor that finite N leaves;
  - the domain classifier's histogram of the samples' classes (classes covered
    by >= 1% of samples, the smallest and largest share), and for conditional
    entries the share of samples it takes for the class they were asked for;
  - with an EMA generator (`ema_decay`), the same FID for the raw G.

Each run's result is one JSON file, `OUT/NAME.json`, with the commit, the CPU,
the precision and the wall time of training and scoring. A run whose JSON is
there is not trained again (delete it, or pass --force), so the table can be
built in parts. At the end every JSON under OUT is merged into `OUT/table.md`
(with `--readme`, also into README.md's block for that folder's name).
"""

import argparse
import datetime
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import readme_block  # noqa: E402
from run import cpu_name, git_commit  # noqa: E402  (the speed harness's facts, shared)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_ENTRIES = ("dcgan", "cgan", "acgan", "vanilla", "dcgan@fashion_mnist", "clustered",
                   "dcgan_plus")
# The targets: (FID at most, what else must hold).
TARGETS = {
    "dcgan": (10.0, "every class 5-15% of samples"),
    "cgan": (10.0, ">= 95% of samples of the requested class"),
    "acgan": (10.0, ">= 95% of samples of the requested class"),
    "vanilla": (30.0, "all 10 classes covered"),
    "dcgan@fashion_mnist": (20.0, ""),
    # Not the issue's: the unconditional entry that dcgan's bar is for, on cgan's networks.
    "clustered": (10.0, "every class 5-15% of samples"),
    # Nor this: dcgan with its networks changed (zoo/dcgan_plus.toml), held to dcgan's bar.
    "dcgan_plus": (10.0, "every class 5-15% of samples"),
}
def readme_markers(name):
    """The README's block for the table of results folder `name` (e.g. quality)."""
    return (f"<!-- quality-table {name}: benchmarks/quality.py --readme writes this block -->",
            f"<!-- /quality-table {name} -->")


def log(*parts):
    print(*parts, flush=True)


# ------------------------------------------------------------------ facts
def cpu_facts():
    try:
        flags = next((line for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("flags")), "")
    except OSError:
        flags = ""
    kind = "AVX512-BF16" if "avx512_bf16" in flags else ("AVX2" if "avx2" in flags else "other")
    # ONEDNN_MAX_CPU_ISA=AVX2 makes oneDNN (TensorFlow's CPU kernels for convolutions and
    # matrix products) use AVX2 code only: how an AVX512 machine stands in for an AVX2 one.
    from keras_gans.training import precision  # the same reading of the cap as `auto`'s
    cap, xla_cap = precision.onednn_isa_cap(), precision.xla_isa_cap()
    caps = ([f"oneDNN capped at {cap.upper()}"] if cap else []) + (
        [f"XLA capped at {xla_cap.upper()}"] if xla_cap else [])
    if caps:
        kind += f" ({', '.join(caps)})"
    return {"cpu": cpu_name(), "cpu_kind": kind, "cores": os.cpu_count()}


def run_name(entry, seed, tag):
    return f"{entry.replace('@', '-at-')}{'-' + tag if tag else ''}-s{seed}"


# ---------------------------------------------------------------- scoring
class Reals:
    """Real images and their Inception features, computed once per data set."""

    def __init__(self, extractor, n, cache_dir):
        self.extractor, self.n, self.cache_dir = extractor, n, pathlib.Path(cache_dir)
        self.memo = {}

    def get(self, data, shape):
        """(reals of the train split, their features, floor FID, floor sets' sizes)."""
        import numpy as np
        from keras_gans import data as data_lib, metrics
        key = f"{data}-{'x'.join(map(str, shape))}-n{self.n}-{self.extractor.name}".replace(
            ":", "_").replace("/", "_")
        if key in self.memo:
            return self.memo[key]
        h, w, c = shape
        x, y = data_lib.load_arrays(data, split="train", image_size=(h, w), channels=c)
        rng = np.random.default_rng(0)
        real = x[rng.permutation(len(x))[:self.n]]
        # The floor: two disjoint real sets of n each (from the train split when
        # it holds 2n images, else from all the splits the data has).
        pool = x
        if len(pool) < 2 * self.n:
            try:
                extra, _ = data_lib.load_arrays(data, split="test", image_size=(h, w),
                                                channels=c)
                pool = np.concatenate([x, extra])
            except (ValueError, OSError):
                pass
        pool = pool[np.random.default_rng(1).permutation(len(pool))]
        half = min(self.n, len(pool) // 2)
        path = self.cache_dir / f"{key}.npz"
        if path.exists():
            cached = np.load(path)
            f_real, f_a, f_b = cached["real"], cached["a"], cached["b"]
        else:
            log(f"  {self.extractor.name} features of {len(real)} + {2 * half} real images of "
                f"{data} ...")
            f_real = self.extractor(real)[0]
            f_a, f_b = self.extractor(pool[:half])[0], self.extractor(pool[half:2 * half])[0]
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, real=f_real, a=f_a, b=f_b)
        floor = metrics.frechet_distance(f_a, f_b)
        out = (real, f_real, floor, half)
        self.memo[key] = out
        return out


def class_stats(probs, num_classes, asked=None, real_frequencies=None):
    """Class histogram of samples (from classifier probabilities); with the real
    data's class frequencies, also coverage's KL(samples || real) in nats."""
    import numpy as np
    pred = probs.argmax(1)
    shares = np.bincount(pred, minlength=num_classes) / len(pred)
    out = {"class_shares": [round(float(s), 4) for s in shares],
           "classes_covered": int(np.sum(shares >= 0.01)),
           "min_share": float(shares.min()), "max_share": float(shares.max())}
    if real_frequencies is not None:
        from keras_gans.evaluation import metrics
        out["coverage_kl"] = metrics.class_coverage(probs, real_frequencies)["kl"]
        out["real_frequencies"] = [round(float(f), 4) for f in real_frequencies]
    if asked is not None:
        asked = np.asarray(asked)
        out["cond_accuracy"] = float(np.mean(pred == asked))
        out["cond_accuracy_per_class"] = [round(float(np.mean(pred[asked == k] == k)), 4)
                                          for k in range(num_classes)]
    return out


def score_run(run_dir, info, reals, extractor, n, seed, classifier=None):
    """The scores of one trained run (its export; the raw G from the checkpoint)."""
    import numpy as np
    import tensorflow as tf
    from keras_gans import evaluation, export as export_lib, metrics, train as train_lib
    started = time.perf_counter()
    shape = tuple(info.image_shape)
    real, f_real, floor, half = reals.get(info.recipe.data, shape)
    loaded = tf.saved_model.load(str(run_dir / "export"))
    meta = json.loads((run_dir / "export" / export_lib.META_FILE).read_text())
    fake, asked = evaluation.generate_from_export(loaded, meta, n, seed=seed)
    if not np.all(np.isfinite(fake)):
        raise RuntimeError(f"{run_dir}: the export made non-finite images")
    log(f"  {extractor.name} features of {len(fake)} samples ...")
    f_fake = extractor(fake)[0]
    kid, kid_std = metrics.kernel_distance(f_real, f_fake, seed=seed)
    out = {"fid": metrics.frechet_distance(f_real, f_fake), "kid": kid, "kid_std": kid_std,
           "fid_floor": floor, "n_fake": len(fake), "n_real": len(real),
           "n_floor": half, "features": extractor.name}
    classifier = classifier or evaluation.classifier_extractor(None, info.recipe.data, shape,
                                                               train_missing=True, log=log)
    num_classes = int(classifier.info["num_classes"])
    # the reference mix for coverage's KL: the classifier's view of the N real images
    real_freq = metrics.class_frequencies(classifier(real)[1].argmax(1), num_classes)
    out.update(class_stats(classifier(fake)[1], num_classes, asked, real_freq))
    out["classifier_accuracy"] = classifier.info.get("accuracy")
    model, _ = train_lib.load_run(run_dir)
    if getattr(model, "generator_ema", None) is not None:
        model.sample_with_ema = False
        raw = model.generate(n, seed=seed) if asked is None else model.generate(
            n, seed=seed, labels=asked)
        out["fid_raw_g"] = metrics.frechet_distance(f_real, extractor(raw)[0])
    out["score_wall_s"] = round(time.perf_counter() - started, 1)
    return out


def classifier_for(info):
    from keras_gans import evaluation
    return evaluation.classifier_extractor(None, info.recipe.data, tuple(info.image_shape),
                                           train_missing=True, log=log)


def trained_steps(run_dir):
    """The global step of the run's last checkpoint (the steps it trained)."""
    found = sorted(pathlib.Path(run_dir, "checkpoints").glob("step-*"))
    return int(found[-1].name.split("-")[1]) if found else None


# ------------------------------------------------------------------- runs
def recipe_for(entry, sets):
    """(ENTRY, its recipe, the overrides) for 'ENTRY' or 'ENTRY@DATA' and the
    --set KEY=VALUE strings: DATA and the --set values override the recipe."""
    from keras_gans import recipes
    base, _, data = entry.partition("@")
    overrides = dict(kv.split("=", 1) for kv in sets)
    if data:
        overrides["data"] = data
    return base, recipes.load(base).override(overrides), overrides


def train_and_score(entry, seed, args, reals, extractor):
    from keras_gans import precision as precision_lib, train as train_lib
    name = run_name(entry, seed, args.tag)
    result_path = args.out / f"{name}.json"
    if result_path.exists() and not args.force:
        log(f"{name}: kept {result_path} (--force to redo)")
        return json.loads(result_path.read_text())
    base, recipe, overrides = recipe_for(entry, args.set)
    run_dir = args.out / "runs" / name
    log(f"{name}: training {base} on {recipe.data}, seed {seed}, into {run_dir}")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    model, info, _ = train_lib.run(recipe, run_dir, precision=args.precision, seed=seed,
                                         log=log, restart=True, tensorboard=False)
    train_wall = time.perf_counter() - started
    precision_lib.apply("float32")  # score in float32, whatever the run trained in
    del model
    log(f"{name}: trained in {train_wall / 60:.1f} min; scoring ...")
    classifier = None
    if args.features == "classifier":
        classifier = extractor = classifier_for(info)
        reals.extractor = extractor
    scores = score_run(run_dir, info, reals, extractor, args.n, seed, classifier)
    t = recipe.train
    result = {
        "name": name, "entry": entry, "model": recipe.model, "data": recipe.data,
        "seed": seed, "tag": args.tag, "overrides": overrides,
        "steps": (t["steps"] or t["epochs"] * (t["steps_per_epoch"] or 0)) or None,
        "epochs": t["epochs"], "batch_size": t["batch_size"], "precision": info.policy,
        "train_wall_s": round(train_wall, 1),
        # Wall times on a shared machine are slower: the load says how shared.
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        **scores, "commit": git_commit(), **cpu_facts(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    result["steps"] = trained_steps(run_dir) or result["steps"]
    args.out.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(result, indent=2))
    log(f"{name}: FID {scores['fid']:.2f} (real-vs-real {scores['fid_floor']:.2f}), "
        f"classes covered {scores['classes_covered']}"
        + (f", requested class {scores['cond_accuracy']:.1%}" if "cond_accuracy" in scores
           else "") + f"; wrote {result_path}")
    return result


# ----------------------------------------------------------------- timing
def time_recipe(entry, args, k=300, rounds=1):
    """Seconds per step and fixed seconds (start-up, export) of ENTRY's recipe on
    this machine, from fresh short runs of k and 2k steps with the recipe's epoch
    length, sampling and checkpoints: the 20-minute budget checked on a machine
    without training the whole recipe (e.g. under ONEDNN_MAX_CPU_ISA=AVX2).

    With `rounds` > 1 the pair is timed that many times, the two lengths taking
    turns to go first, and the median round counts: a host whose speed jumps
    for a minute (as these shared ones do) spoils one round, not the result."""
    import statistics
    import tempfile
    from keras_gans import train as train_lib
    policy, batch, per_round, fixed_round = None, None, [], []
    for r in range(rounds):
        walls = {}
        for steps in ((k, 2 * k) if r % 2 == 0 else (2 * k, k)):
            recipe = recipe_for(entry, [*args.set, f"steps={steps}"])[1]
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                _, info, _ = train_lib.run(recipe, pathlib.Path(tmp) / "run",
                                           precision=args.precision, seed=0, log=lambda *a: None,
                                           verbose=0, restart=True, tensorboard=False)
                walls[steps] = time.perf_counter() - started
                policy, batch = info.policy, recipe.train["batch_size"]
        per_round.append((walls[2 * k] - walls[k]) / k)
        fixed_round.append(walls[k] - k * per_round[-1])
        if rounds > 1:
            log(f"{entry}: round {r + 1}/{rounds}: {1000 * per_round[-1]:.1f} ms/step")
    per_step = statistics.median(per_round)
    if per_step <= 0:
        raise SystemExit(f"{entry}: {2 * k} steps took no longer than {k} (the median of "
                         f"{rounds} round(s); the last: {walls[2 * k]:.0f} s and "
                         f"{walls[k]:.0f} s): something else used the CPU meanwhile; time "
                         f"again on a quiet machine (or with a larger --time-steps or more "
                         f"--time-rounds).")
    facts = cpu_facts()
    result = {"entry": entry, "tag": args.tag, "k": k, "rounds": rounds,
              "per_step_s": round(per_step, 4),
              "per_step_s_rounds": [round(v, 4) for v in per_round],
              "fixed_s": round(max(0.0, statistics.median(fixed_round)), 1), "precision": policy,
              "batch_size": batch, "commit": git_commit(), **facts,
              "load_after": round(os.getloadavg()[0], 2),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    slug = "".join(ch if ch.isalnum() else "-" for ch in facts["cpu_kind"].lower()).strip("-")
    path = args.out / "time" / f"{run_name(entry, 0, args.tag)[:-3]}-{slug}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    log(f"{entry}: {1000 * per_step:.1f} ms/step, {result['fixed_s']} s fixed, "
        f"{policy}, {facts['cpu_kind']}; wrote {path}")
    return result


def projected(rs, timings):
    """'M min on KIND (PRECISION)' for each timing of these runs' entry and tag
    (a timing made at another batch size is not this recipe's: left out)."""
    r = rs[0]
    found = [t for t in timings if t["entry"] == r["entry"] and t.get("tag", "") == r.get("tag", "")
             and t.get("batch_size") in (None, r.get("batch_size"))]
    return "; ".join(f"{(t['fixed_s'] + r['steps'] * t['per_step_s']) / 60:.1f} on "
                     f"{t['cpu_kind']}, {t['precision']}" for t in found) or "-"


# ------------------------------------------------------------------ table
def _mean_std(values, digits=1):
    import statistics
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def table(results, timings=()):
    """Markdown: one row per entry and tag (seeds pooled: mean ± std); `timings`
    (from --time-only elsewhere) add the projected training time there."""
    groups = {}
    for r in results:
        groups.setdefault((r["entry"], r.get("tag") or ""), []).append(r)
    head = ("| entry | data | variant | seeds | steps | FID (N) | real-vs-real FID | KID x1000 "
            "| raw-G FID | classes covered | class shares (min-max) | coverage KL | requested class "
            "| train min | precision, CPU | projected train min (--time-only) | target |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    features = sorted({r.get("features", "inception") for r in results})
    for (entry, tag), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: r["seed"])
        fid = [r["fid"] for r in rs]
        # The targets are for the recipes as they are; variants (tags) are studies.
        target, other = TARGETS.get(entry, (None, "")) if not tag else (None, "")
        ok = target is not None and max(fid) <= target and _other_ok(entry, rs)
        raw = [r["fid_raw_g"] for r in rs if r.get("fid_raw_g") is not None]
        cond = [r["cond_accuracy"] for r in rs if r.get("cond_accuracy") is not None]
        lines.append(
            f"| {entry.split('@')[0]} | {rs[0]['data']} | {tag or 'recipe'} "
            f"| {','.join(str(r['seed']) for r in rs)} | {rs[0]['steps']} "
            f"| {_mean_std(fid)} ({rs[0]['n_fake']}) | {_mean_std([r['fid_floor'] for r in rs])} "
            f"| {_mean_std([1000 * r['kid'] for r in rs])} "
            f"| {_mean_std(raw) if raw else '-'} "
            f"| {min(r['classes_covered'] for r in rs)} "
            f"| {min(r['min_share'] for r in rs):.1%}-{max(r['max_share'] for r in rs):.1%} "
            f"| {_mean_std_kl(rs)} "
            f"| {(f'{min(cond):.1%}' + (' (worst seed)' if len(cond) > 1 else '')) if cond else '-'} "
            f"| {_mean_std([r['train_wall_s'] / 60 for r in rs])}{_load(rs)} "
            f"| {rs[0]['precision']}, {rs[0]['cpu_kind']} "
            f"| {projected(rs, timings)} "
            f"| {'' if target is None else ('met' if ok else 'not met')}"
            f"{'' if target is None else f' (FID <= {target:g}' + (f'; {other})' if other else ')')} |")
    if features != ["inception"]:
        lines.append(f"\n(FID and KID on {', '.join(features)} features, not Inception's.)")
    return "\n".join(lines)


def _mean_std_kl(rs):
    """Coverage's KL (samples' class mix vs the real one), where the runs have it."""
    kl = [r["coverage_kl"] for r in rs if r.get("coverage_kl") is not None]
    return _mean_std(kl, digits=3) if kl else "-"


def _load(rs):
    """' (load L)' where the machine was busier than its cores during training."""
    loads = [max(r.get("load_before") or 0, r.get("load_after") or 0) for r in rs]
    worst = max(loads)
    return f" (load {worst:.1f})" if worst > (rs[0].get("cores") or 2) + 0.5 else ""


# Each TARGETS condition beside the FID, as a check of one run's JSON: an entry
# added to TARGETS with one of these needs nothing more here.
CONDITIONS = {
    "every class 5-15% of samples": lambda r: r["min_share"] >= 0.05 and r["max_share"] <= 0.15,
    ">= 95% of samples of the requested class": lambda r: r.get("cond_accuracy", 0) >= 0.95,
    "all 10 classes covered": lambda r: r["classes_covered"] >= 10,
    "": lambda r: True,
}


def _other_ok(entry, rs):
    check = CONDITIONS[TARGETS.get(entry, (None, ""))[1]]
    return all(check(r) for r in rs)


def write_table(out, readme=None):
    """Merge every run's JSON under `out` into `out/table.md` (and, with
    `readme`, a README path, into its Results block); returns the table."""
    results = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    timings = [json.loads(p.read_text()) for p in sorted(out.glob("time/*.json"))]
    text = table(results, timings) if results else "(no results yet)"
    notes = (f"\n\nFID and KID: Inception pool3 features (the FID network), N generated images "
             f"from the export against N real images of the train split; real-vs-real: two "
             f"disjoint real sets of the same N. Class shares, coverage KL (KL of the samples' "
             f"class mix from the real images' mix, both as the classifier sees them, in nats) "
             f"and requested-class accuracy: the domain classifier. Train min: the run's wall time, with the load average where "
             f"other work shared the machine. Projected train min: the recipe's steps at the "
             f"seconds per step (plus fixed seconds) that `--time-only` measured in short runs "
             f"of k and 2k steps on that CPU (the median of its rounds where the JSON has "
             f"several); \"oneDNN capped at AVX2\" is an AVX512 machine run with "
             f"ONEDNN_MAX_CPU_ISA=AVX2 (\"XLA capped\": and XLA_FLAGS=--xla_cpu_max_isa=AVX2), "
             f"standing in for an AVX2 one. "
             f"Made by `python benchmarks/quality.py` "
             f"({len(results)} run(s); each run's JSON is in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}).")
    (out / "table.md").write_text(text + notes + "\n")
    print(text + notes)
    if readme:
        path = pathlib.Path(readme)
        readme_block.splice(path, *readme_markers(out.name), text + notes)
        print(f"Updated the Results table in {path}")
    return text


# ------------------------------------------------------------------- main
def common_args(parser, results, set_help):
    """The flags quality.py and ema.py share; results: the folder's name under
    benchmarks/results."""
    parser.add_argument("--n", type=int, default=2500, help="samples per FID [%(default)s]")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"recipe override {set_help} (an ablation; give --tag)")
    parser.add_argument("--tag", default="", help="name of this variant in the table")
    parser.add_argument("--precision", default="auto", help="as `keras-gans train` [auto]")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks" / "results" /
                        results, help="results folder [%(default)s]")
    parser.add_argument("--force", action="store_true", help="redo runs that have a JSON")
    parser.add_argument("--table-only", action="store_true", help="only merge the JSON")
    parser.add_argument("--readme", action="store_const", const=ROOT / "README.md",
                        help="also paste the table into README.md's Results section")
    parser.add_argument("--features", choices=("inception", "classifier"), default="inception",
                        help="features of FID/KID [inception]; classifier: the domain "
                             "classifier's (a quick check that needs no Inception weights)")


def parse_common(parser, argv):
    """Parsed args, --set checked to come with --tag, --out made."""
    args = parser.parse_args(argv)
    if args.set and not args.tag:
        parser.error("--set changes the recipe: name the variant with --tag")
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", default=",".join(DEFAULT_ENTRIES),
                        help="ENTRY or ENTRY@DATA, comma-separated [%(default)s]")
    parser.add_argument("--seeds", default="0", help="comma-separated [%(default)s]")
    common_args(parser, "quality", "for every entry")
    parser.add_argument("--time-only", action="store_true",
                        help="only time each entry's recipe here (short runs) for the "
                             "projected-time column, e.g. under ONEDNN_MAX_CPU_ISA=AVX2")
    parser.add_argument("--time-steps", type=int, default=300,
                        help="steps of the shorter timing run (the other has twice) [%(default)s]")
    parser.add_argument("--time-rounds", type=int, default=3,
                        help="timing rounds, the two lengths taking turns to go first; the "
                             "median round counts [%(default)s]")
    args = parse_common(parser, argv)
    if args.time_only and (args.time_steps < 1 or args.time_rounds < 1):
        parser.error("--time-steps and --time-rounds must be at least 1")
    if args.time_only:
        entries = [e.strip() for e in args.entries.split(",") if e.strip()]
        for i, entry in enumerate(entries):
            log(f"[{i + 1}/{len(entries)}] timing {entry}")
            time_recipe(entry, args, k=args.time_steps, rounds=args.time_rounds)
    elif not args.table_only:
        from keras_gans import evaluation
        from keras_gans.evaluation.inception import InceptionError
        try:  # before any training: a run must not train for an hour and then fail to score
            extractor = (evaluation.inception_extractor() if args.features == "inception"
                         else None)
        except InceptionError as e:
            sys.exit(f"quality.py: {e}")
        reals = Reals(extractor, args.n, args.out / "cache")
        entries = [e.strip() for e in args.entries.split(",") if e.strip()]
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        for i, entry in enumerate(entries):
            for j, seed in enumerate(seeds):
                log(f"[{i * len(seeds) + j + 1}/{len(entries) * len(seeds)}] {entry} seed {seed}")
                train_and_score(entry, seed, args, reals, extractor)
    write_table(args.out, readme=args.readme)


if __name__ == "__main__":
    main()
