"""How much of an unconditional run's FID comes from its class mix.

    python benchmarks/class_balance.py benchmarks/results/quality/runs/dcgan-s1

Draws --pool samples from the run's export (the export's latent scheme, seed
--seed), labels them with the domain classifier, and scores two sets of N
against the same N real images (quality.py's reals, features and cache): the
first N samples as drawn, and N samples taken class by class in the real
images' class counts (as the classifier sees those). If the two FIDs are close,
the run's uneven classes are not what keeps its FID up. Prints a table and
writes benchmarks/results/class-balance/RUN_NAME.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import quality  # noqa: E402  (its reals, classifier and cache)
from run import git_commit  # noqa: E402


def balanced_indices(pred, real_pred, num_classes):
    """Indices into `pred` taking, class by class in the order drawn, as many
    samples as the reals have of that class; None if a class runs short."""
    import numpy as np
    out = []
    for k in range(num_classes):
        want = int(np.sum(real_pred == k))
        have = np.flatnonzero(pred == k)
        if len(have) < want:
            return None
        out.extend(have[:want].tolist())
    return np.asarray(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=pathlib.Path, help="a run directory with an export")
    parser.add_argument("--n", type=int, default=2500, help="samples per FID [%(default)s]")
    parser.add_argument("--pool", type=int, default=12500,
                        help="samples drawn to pick the balanced set from [%(default)s]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=pathlib.Path,
                        default=ROOT / "benchmarks" / "results" / "quality" / "cache",
                        help="quality.py's real-feature cache [%(default)s]")
    parser.add_argument("--out", type=pathlib.Path,
                        default=ROOT / "benchmarks" / "results" / "class-balance",
                        help="folder for the JSON [%(default)s]")
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf
    from keras_gans import evaluation, export as export_lib, metrics
    from keras_gans.training import train as train_lib
    started = time.perf_counter()
    info = train_lib.RunInfo.load(args.run)
    extractor = evaluation.inception_extractor()
    real, f_real, floor, _ = quality.Reals(extractor, args.n, args.cache).get(
        info.recipe.data, tuple(info.image_shape))
    loaded = tf.saved_model.load(str(args.run / "export"))
    meta = json.loads((args.run / "export" / export_lib.META_FILE).read_text())
    if meta.get("kind") != "latent" or meta.get("num_classes"):
        sys.exit(f"class_balance.py: {args.run} is not an unconditional latent GAN: pass a "
                 f"dcgan or vanilla run.")
    fake, _ = evaluation.generate_from_export(loaded, meta, args.pool, seed=args.seed)
    classifier = quality.classifier_for(info)
    num_classes = int(classifier.info["num_classes"])
    pred = classifier(fake)[1].argmax(1)
    real_pred = classifier(real)[1].argmax(1)
    idx = balanced_indices(pred, real_pred, num_classes)
    if idx is None:
        sys.exit(f"class_balance.py: {args.pool} samples hold too few of some class: raise "
                 f"--pool.")
    f_fake = extractor(fake)[0]
    rows = {"as drawn": np.arange(args.n), "real class counts": idx}
    result = {"run": str(args.run), "n": args.n, "pool": args.pool, "seed": args.seed,
              "fid_floor": floor, "commit": git_commit(),
              "real_class_counts": np.bincount(real_pred, minlength=num_classes).tolist(),
              "pool_class_shares": [round(float(s), 4) for s in
                                    np.bincount(pred, minlength=num_classes) / len(pred)],
              "fid": {}}
    for name, rows_idx in rows.items():
        result["fid"][name] = metrics.frechet_distance(f_real, f_fake[rows_idx])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    print(f"| {args.run.name}: {args.n} samples | FID (real-vs-real {floor:.1f}) |")
    print("|---|---:|")
    for name, value in result["fid"].items():
        print(f"| {name} | {value:.1f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"{args.run.name}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
