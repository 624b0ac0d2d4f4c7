"""Which moving average of G? One training run, several averages, each scored.

    python benchmarks/ema.py --entry dcgan                     # the default variants
    python benchmarks/ema.py --entry vanilla --variants 0.999:0,0.9999:0.5
    python benchmarks/ema.py --table-only --readme             # re-make the table from JSON

The moving average of G's weights (`ema_decay`, `ema_rampup`; Yazici et al.,
ICLR 2019) does not change training: G, D and their optimizers follow the
same path whatever average rides along. So one run of ENTRY's recipe (seed
0, `keras-gans train`'s code path) keeps, beside the recipe's own average,
one more average per variant DECAY:RAMPUP (decay, and the ramp-up of
`keras_gans.core.gan.ema_decay_at`; RAMPUP 0 is TensorFlow's warm-up). After
training, each average is scored as `quality.py` scores an export: Inception
FID and KID of N samples (the export's latents) against N real images of the
train split, beside the real-vs-real floor, and the domain classifier's class
shares (and the requested-class accuracy of a conditional entry). The
recipe's own average (the export) is checked against its tracked twin, so a
variant equal to the recipe's scores as the recipe does.

One JSON per run in OUT (`ENTRY[-TAG]-sSEED.json`); all of them merge into
`OUT/table.md` (and with --readme, README.md's block for OUT's name).
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import quality  # noqa: E402  (scoring, reals, CPU facts: shared)
import readme_block  # noqa: E402
from run import git_commit  # noqa: E402

DEFAULT_VARIANTS = "0.999:0,0.998:0.5,0.999:0.5,0.9995:0.5,0.9997:0.5,0.9998:0.5,0.9995:0.2"


def parse_variants(text):
    """'D:R,D:R' -> [(decay, rampup)], each checked as the model checks them."""
    from keras_gans.core.gan import check_rampup
    out = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        decay, _, rampup = item.partition(":")
        try:
            d = float(decay)
        except ValueError:
            d = -1.0
        if not 0.0 < d < 1.0:
            raise SystemExit(f"ema.py: a variant is DECAY:RAMPUP with 0 < DECAY < 1, not {item!r} "
                             f"(e.g. 0.9995:0.5).")
        try:
            r = check_rampup(rampup or 0)
        except ValueError as e:
            raise SystemExit(f"ema.py: {item!r}: {e}")
        if (d, r) not in out:
            out.append((d, r))
    if not out:
        raise SystemExit("ema.py: --variants names no variant (e.g. 0.999:0,0.9995:0.5).")
    return out


def label(decay, rampup):
    return f"{decay:g}, ramp-up {rampup:g}" if rampup else f"{decay:g}, TF warm-up"


class Averages:
    """Extra moving averages of G, updated inside the train step right after the
    model's own (`GAN.update_ema` is wrapped while this benchmark trains)."""

    def __init__(self, variants):
        self.variants = variants
        self.weights = None

    def attach(self, model):
        import tensorflow as tf
        self.model = model
        self.weights = [[tf.Variable(w.numpy(), trainable=False) for w in model.generator.weights]
                        for _ in self.variants]

    def update(self, model):
        import tensorflow as tf
        from keras_gans.core.gan import ema_decay_at
        if self.weights is None or model is not self.model:
            return
        step = model.g_optimizer.iterations
        for (decay, rampup), averages in zip(self.variants, self.weights):
            d = ema_decay_at(step, decay, rampup)
            for average, w in zip(averages, model.generator.weights):
                v = tf.cast(w.value, tf.float32)
                average.assign(average * d + v * (1.0 - d))

    def numpy(self):
        return [[w.numpy() for w in ws] for ws in self.weights]


def train(entry, seed, args, variants):
    import keras
    import numpy as np
    import keras_gans
    from keras_gans import train as train_lib
    from keras_gans import precision as precision_lib
    name = quality.run_name(entry, seed, args.tag)
    run_dir = args.out / "runs" / name
    saved = run_dir / "ema-variants.npz"
    base, recipe, overrides = quality.recipe_for(entry, args.set)
    if not recipe.model_kwargs.get("ema_decay"):
        raise SystemExit(f"ema.py: {entry}'s recipe has no moving average (ema_decay 0): "
                         f"compare averages of an entry that keeps one, or --set ema_decay=0.999.")
    if saved.exists() and not args.force:
        log(f"{name}: kept the trained run in {run_dir} (--force to train again)")
        return recipe, run_dir, overrides, None
    averages = Averages(variants)
    own_update = keras_gans.GAN.update_ema
    own_callbacks = keras_gans.GAN.training_callbacks

    class Attach(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            averages.attach(self.model)

    def update_ema(model):
        own_update(model)
        averages.update(model)

    keras_gans.GAN.update_ema = update_ema
    keras_gans.GAN.training_callbacks = lambda model, state=None: [
        Attach(), *own_callbacks(model, state)]
    log(f"{name}: training {base} on {recipe.data}, seed {seed}, with {len(variants)} extra "
        f"average(s) of G, into {run_dir}")
    started = time.perf_counter()
    try:
        train_lib.run(recipe, run_dir, precision=args.precision, seed=seed, log=log,
                      restart=True, tensorboard=False)
    finally:
        keras_gans.GAN.update_ema = own_update
        keras_gans.GAN.training_callbacks = own_callbacks
    wall = time.perf_counter() - started
    precision_lib.apply("float32")
    flat = {f"v{i}_w{j}": w for i, ws in enumerate(averages.numpy()) for j, w in enumerate(ws)}
    np.savez(saved, variants=np.array(variants), train_wall_s=wall, **flat)
    log(f"{name}: trained in {wall / 60:.1f} min; scoring {len(variants)} averages ...")
    return recipe, run_dir, overrides, wall


def score(entry, seed, args, variants, reals, extractor):
    import numpy as np
    from keras_gans import metrics, train as train_lib
    name = quality.run_name(entry, seed, args.tag)
    recipe, run_dir, overrides, wall = train(entry, seed, args, variants)
    saved = np.load(run_dir / "ema-variants.npz")
    kept = [tuple(float(x) for x in v) for v in saved["variants"]]
    wall = float(saved["train_wall_s"]) if wall is None else wall
    model, info = train_lib.load_run(run_dir)
    classifier = quality.classifier_for(info)
    if extractor is None:  # --features classifier
        extractor = reals.extractor = classifier
    real, f_real, floor, half = reals.get(info.recipe.data, tuple(info.image_shape))
    num_classes = int(classifier.info["num_classes"])
    real_freq = metrics.class_frequencies(classifier(real)[1].argmax(1), num_classes)
    conditional = hasattr(model, "num_classes")
    asked = (np.arange(args.n) % model.num_classes).astype("int32") if conditional else None
    own = [w.numpy() for w in model.generator_ema.weights]
    own_key = (float(model.ema_decay), float(model.ema_rampup))
    rows = []
    for i, (decay, rampup) in enumerate(variants):
        if (decay, rampup) not in kept:
            raise SystemExit(f"ema.py: {run_dir} was trained without the variant "
                             f"{decay}:{rampup}: run again with --force.")
        k = kept.index((decay, rampup))
        weights = [saved[f"v{k}_w{j}"] for j in range(len(own))]
        if (decay, rampup) == own_key:
            gap = max(float(np.max(np.abs(a - b))) for a, b in zip(weights, own))
            log(f"  the tracked twin of the recipe's own average differs from it by at most "
                f"{gap:.1e}")
        model.generator_ema.set_weights([w.astype(o.dtype) for w, o in zip(weights, own)])
        model.sample_with_ema = True
        fake = export_draw(model, args.n, seed, asked)
        log(f"  {label(decay, rampup)}: {extractor.name} features of {len(fake)} samples ...")
        f_fake = extractor(fake)[0]
        kid, kid_std = metrics.kernel_distance(f_real, f_fake, seed=seed)
        row = {"decay": decay, "rampup": rampup, "recipe": (decay, rampup) == own_key,
               "fid": metrics.frechet_distance(f_real, f_fake), "kid": kid, "kid_std": kid_std,
               **quality.class_stats(classifier(fake)[1], num_classes, asked, real_freq)}
        log(f"  {label(decay, rampup)}: FID {row['fid']:.2f}")
        rows.append(row)
    model.sample_with_ema = False
    raw = (model.generate(args.n, seed=seed) if asked is None
           else model.generate(args.n, seed=seed, labels=asked))
    result = {"name": name, "entry": entry, "data": info.recipe.data, "seed": seed,
              "tag": args.tag, "overrides": overrides, "steps": quality.trained_steps(run_dir),
              "batch_size": recipe.train["batch_size"], "precision": info.policy,
              "train_wall_s": round(wall, 1), "fid_floor": floor, "n": args.n, "n_floor": half,
              "fid_raw_g": metrics.frechet_distance(f_real, extractor(raw)[0]),
              "features": extractor.name, "variants": rows, "commit": git_commit(),
              **quality.cpu_facts(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    path = args.out / f"{name}.json"
    path.write_text(json.dumps(result, indent=2))
    log(f"{name}: wrote {path}")
    return result


def export_draw(model, n, seed, asked=None, batch=500):
    """`n` samples from the latents (and labels) that quality.py gives the
    export (`evaluation.scoring.export_batches`), so the recipe's own average
    scores here exactly as its export scores there."""
    import numpy as np
    from keras_gans.core import latent as latent_lib
    from keras_gans.evaluation.scoring import export_batches
    out = []
    for i, m, batch_seed in export_batches(n, seed, batch):
        z = latent_lib.draw(m, model.latent_dim, batch_seed)
        inputs = z if asked is None else {"z": z, "label": asked[i:i + m]}
        out.append(model.predict_batches(inputs, batch))
    return np.concatenate(out).astype("float32")


def log(*parts):
    print(*parts, flush=True)


RECIPE_MARK = " (the run's recipe)"  # the entry's recipe when the run was made


def table(results):
    head = ("| entry | data | seed | steps | average of G (decay, warm-up) | window at the end "
            "(G steps) | FID (N) | real-vs-real FID | KID x1000 | class shares (min-max) "
            "| coverage KL | requested class | raw-G FID |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in sorted(results, key=lambda r: (r["entry"], r.get("tag") or "", r["seed"])):
        for v in sorted(r["variants"], key=lambda v: v["fid"]):
            steps = r["steps"] or 0
            window = 1.0 / (1.0 - v["decay"])
            window = min(window, v["rampup"] * steps) if v["rampup"] else min(
                window, (10.0 + steps) / 9.0)
            entry = r["entry"].split("@")[0] + (f" ({r['tag']})" if r.get("tag") else "")
            lines.append(
                f"| {entry} | {r['data']} | {r['seed']} | {steps} "
                f"| {label(v['decay'], v['rampup'])}{RECIPE_MARK if v['recipe'] else ''} "
                f"| {window:.0f} | {v['fid']:.1f} ({r['n']}) | {r['fid_floor']:.1f} "
                f"| {1000 * v['kid']:.1f} | {v['min_share']:.1%}-{v['max_share']:.1%} "
                f"| {v.get('coverage_kl', float('nan')):.3f} "
                f"| {format(v['cond_accuracy'], '.1%') if 'cond_accuracy' in v else '-'} "
                f"| {r['fid_raw_g']:.1f} |")
    return "\n".join(lines)


def write_table(out, readme=None):
    results = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    text = table(results) if results else "(no results yet)"
    notes = (f"\n\nOne training run per row group (seed as shown); every average of G rode along "
             f"the same run, so they differ only in how G's weights were averaged. Window: "
             f"1 / (1 - decay) capped by the warm-up at the last step (TF warm-up: (10 + t) / 9; "
             f"ramp-up r: r * t). FID and KID: Inception features of N samples against N real "
             f"images of the train split; class shares, coverage KL and requested class: the "
             f"domain classifier. Made by `python benchmarks/ema.py` ({len(results)} run(s); "
             f"JSON in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}).")
    (out / "table.md").write_text(text + notes + "\n")
    print(text + notes)
    if readme:
        begin = f"<!-- ema-table {out.name}: benchmarks/ema.py --readme writes this block -->"
        readme_block.splice(pathlib.Path(readme), begin, f"<!-- /ema-table {out.name} -->",
                            text + notes)
        print(f"Updated the table in {readme}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entry", default="dcgan", help="ENTRY or ENTRY@DATA [%(default)s]")
    parser.add_argument("--seed", type=int, default=0, help="[%(default)s]")
    parser.add_argument("--variants", default=DEFAULT_VARIANTS,
                        help="DECAY:RAMPUP, comma-separated [%(default)s]")
    quality.common_args(parser, "ema", "of the entry")
    args = quality.parse_common(parser, argv)
    if not args.table_only:
        variants = parse_variants(args.variants)
        from keras_gans import evaluation
        from keras_gans.evaluation.inception import InceptionError
        recipe = quality.recipe_for(args.entry, args.set)[1]
        own = (float(recipe.model_kwargs.get("ema_decay") or 0),
               float(recipe.model_kwargs.get("ema_rampup") or 0))
        if own[0] and own not in variants:
            variants.insert(0, own)  # the recipe's own average, as a check and a baseline
        try:
            extractor = (evaluation.inception_extractor() if args.features == "inception"
                         else None)  # the classifier's: made for the run's data, below
        except InceptionError as e:
            sys.exit(f"ema.py: {e}")
        reals = quality.Reals(extractor, args.n, args.out / "cache")
        score(args.entry, args.seed, args, variants, reals, extractor)
    write_table(args.out, readme=args.readme)


if __name__ == "__main__":
    main()
