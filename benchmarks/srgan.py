"""Bicubic vs SRResNet vs SRGAN at x4 on the offline test photos (scikit-image's
chelsea, rocket and camera, never trained on): PSNR and SSIM on the Y channel
(SRResNet also as its x8 geometric self-ensemble) and the sharpness ratio
(high-frequency energy of SR over HR; 1 = as sharp as HR).

    python benchmarks/srgan.py                 # train (or reuse) the recipe, score, write
    python benchmarks/srgan.py --readme        # ... and splice the table into README.md
    python benchmarks/srgan.py --train-photos  # ... and SRResNet's gain on each training photo

It trains the zoo's `srgan` recipe with `keras_gans.training.train.run` (what
`keras-gans train srgan` runs) into --run: first up to the recipe's
`pretrain_steps` (phase 1, SRResNet), whose weights are kept as
RUN/srresnet.weights.h5, then on to the recipe's `steps` (phase 2, SRGAN) by
resuming the same run. A run directory that already went that far is reused.
Writes benchmarks/results/srgan/x4.json (scores per image and their means,
timings, the machine), benchmarks/results/srgan/table.md and the picture
docs/img/srgan-x4.png (rows: test photos; columns: LR, bicubic, SRResNet,
SRGAN, HR crops).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import git_commit  # noqa: E402  (the benchmarks' one commit stamp)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import readme_block  # noqa: E402

BEGIN = "<!-- srgan-table: python benchmarks/srgan.py --readme writes this block -->"
END = "<!-- /srgan-table -->"
CROP = 96  # HR side of each picture crop


def train_to(recipe, run_dir, steps, args):
    """Train (or resume) `recipe` into `run_dir` up to `steps`; (model, seconds)."""
    from keras_gans.training import train as train_lib
    start = time.perf_counter()
    model, info, _ = train_lib.run(recipe.override({"steps": steps}), run_dir,
                                   precision=args.precision, seed=args.seed, verbose=2,
                                   tensorboard=False)
    return model, time.perf_counter() - start


def picture(rows, path):
    """LR (nearest, enlarged), bicubic, SRResNet, SRGAN, HR crops, one row a photo."""
    import numpy as np
    from keras_gans import files
    tiles = []
    for row in rows:
        tiles.extend(row)
    return files.save_png(path, files.grid(np.stack(tiles), ncols=5, pad=4))


def crops(lr, hr, outs, scale):
    """The picture's crops of one photo: a CROP px square at the centre."""
    import numpy as np
    h, w = hr.shape[:2]
    y = (h // 2 - CROP // 2) // scale * scale
    x = (w // 2 - CROP // 2) // scale * scale
    cut = lambda im: im[y:y + CROP, x:x + CROP]  # noqa: E731
    small = lr[y // scale:(y + CROP) // scale, x // scale:(x + CROP) // scale]
    nearest = np.repeat(np.repeat(small, scale, axis=0), scale, axis=1)
    return [nearest] + [cut(o) for o in outs] + [cut(hr)]


def markdown(result):
    rows = ["| x4, offline test photos (3) | PSNR-Y (dB) | SSIM-Y | sharpness (1 = HR) |",
            "|---|---:|---:|---:|"]
    for name in ("bicubic", "srresnet", "srresnet_x8", "srgan"):
        if name not in result["methods"]:
            continue
        m = result["methods"][name]
        label = {"bicubic": "bicubic", "srresnet": f"SRResNet ({result['pretrain_steps']} steps)",
                 "srresnet_x8": "SRResNet, x8 self-ensemble",
                 "srgan": f"SRGAN (+{result['gan_steps']} GAN steps)"}[name]
        rows.append(f"| {label} | {m['psnr']:.2f} | {m['ssim']:.4f} | {m['sharpness']:.3f} |")
    gain = result["methods"]["srresnet"]["psnr"] - result["methods"]["bicubic"]["psnr"]
    sharper = (result["methods"]["srgan"]["sharpness"]
               / result["methods"]["srresnet"]["sharpness"])
    ensemble = ""
    if "srresnet_x8" in result["methods"]:
        x8 = result["methods"]["srresnet_x8"]["psnr"] - result["methods"]["bicubic"]["psnr"]
        ensemble = f"; its x8 self-ensemble gains {x8:+.2f} dB"
    notes = (f"\nSRResNet over bicubic: {gain:+.2f} dB PSNR-Y in a single pass (target: at "
             f"least +1.0 dB: {'met' if gain >= 1.0 else 'NOT met'}){ensemble}; SRGAN's "
             f"sharpness is {sharper:.2f}x SRResNet's (target: above 1: "
             f"{'met' if sharper > 1 else 'NOT met'}). "
             f"{result['content_loss']} content loss; {result['precision']} on "
             f"{result['host']}; training took {result['train_seconds']['srresnet']:.0f} s + "
             f"{result['train_seconds']['srgan']:.0f} s. Made by `{result['command']}` "
             f"(commit {result['commit']}).")
    return "\n".join(rows) + "\n" + notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=str(ROOT / "runs" / "bench-srgan"),
                        help="run directory to train into or reuse [runs/bench-srgan]")
    parser.add_argument("--entry", default="srgan", help="zoo recipe [srgan]")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="recipe overrides (e.g. pretrain_steps=200 steps=300)")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "srgan"))
    parser.add_argument("--picture", default=str(ROOT / "docs" / "img" / "srgan-x4.png"))
    parser.add_argument("--readme", action="store_true",
                        help="splice the table into README.md between its srgan-table markers")
    parser.add_argument("--train-photos", action="store_true",
                        help="also score SRResNet on each offline training photo (its top-left "
                             "512 px), to set what it learnt beside what it generalises")
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf
    from keras_gans.data import paired
    from keras_gans.evaluation import superres
    from keras_gans.training import recipes
    from keras_gans.training import train as train_lib

    recipe = recipes.load(args.entry).override(dict(s.split("=", 1) for s in args.sets))
    hp, t = recipe.model_kwargs, recipe.train
    scale, pre, total = hp["scale"], hp["pretrain_steps"], t["steps"]
    run_dir = pathlib.Path(args.run)
    keep = run_dir / "srresnet.weights.h5"
    pairs = paired.test_pairs(recipe.data, scale)
    seconds = {"srresnet": 0.0, "srgan": 0.0}
    timing_file = run_dir / "bench-seconds.json"
    if timing_file.exists():
        seconds.update(json.loads(timing_file.read_text()))

    def save_seconds():
        timing_file.write_text(json.dumps(seconds))

    if keep.exists():
        model, info = train_lib.load_run(run_dir)
        model.load_weights(str(keep))
        print(f"Reusing the SRResNet weights of {keep}")
    else:
        model, took = train_to(recipe, run_dir, pre, args)
        seconds["srresnet"] = took
        if int(model.sr_step.numpy()) != pre:
            raise SystemExit(f"{run_dir} is past step {pre} but has no {keep.name}: pass "
                             f"another --run (or delete it) to train the SRResNet phase again.")
        model.save_weights(str(keep))
        save_seconds()
    train_gains = None
    if args.train_photos and recipe.data == paired.PHOTOS:
        train_gains = {}
        for name, img in zip(paired.PHOTOS_TRAIN, paired.photo_arrays("train")):
            hr = paired.crop_to_scale(img[:512, :512], scale).astype("float32") / 127.5 - 1.0
            pair = [(paired.downscale(hr, scale).numpy(), hr)]
            train_gains[name] = (superres.measure(model.upscale, pair, scale)["psnr"]
                                 - superres.measure(superres.bicubic(scale), pair, scale)["psnr"])
        print("SRResNet over bicubic on the training photos (PSNR-Y, dB): "
              + ", ".join(f"{k} {v:+.2f}" for k, v in train_gains.items()))
    outputs = {"bicubic": superres.bicubic(scale), "srresnet": model.upscale,
               "srresnet_x8": superres.self_ensemble(model.upscale)}
    methods = {}
    images = {}
    for name, fn in outputs.items():
        methods[name] = superres.measure(fn, pairs, scale)
        if name != "srresnet_x8":  # the picture's columns (the ensemble is not one)
            images[name] = [np.asarray(fn(lr[None]))[0] for lr, _ in pairs]
    model, took = train_to(recipe, run_dir, total, args)
    if took > 5 and not seconds["srgan"]:
        seconds["srgan"] = took
    elif took > 5:
        seconds["srgan"] += took
    save_seconds()
    methods["srgan"] = superres.measure(model.upscale, pairs, scale)
    images["srgan"] = [np.asarray(model.upscale(lr[None]))[0] for lr, _ in pairs]

    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": git_commit(),
        "command": "python benchmarks/srgan.py" + "".join(f" --set {s}" for s in args.sets)
                   + (" --train-photos" if args.train_photos else "")
                   + (" --readme" if args.readme else ""),
        "entry": recipe.entry, "data": recipe.data, "test_photos": list(paired.PHOTOS_TEST),
        "scale": scale, "pretrain_steps": pre, "gan_steps": total - pre,
        "content_loss": model.content_loss, "precision": train_lib.RunInfo.load(run_dir).policy,
        "hparams": {k: v for k, v in hp.items() if k != "seed"},
        "batch_size": t["batch_size"], "crop": t["image_size"],
        "train_seconds": seconds, "host": f"{platform.machine()} {os.cpu_count()} CPUs",
        "tensorflow": tf.__version__, "methods": methods,
    }
    if train_gains is not None:
        result["srresnet_gain_on_training_photos"] = train_gains
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"x{scale}.json").write_text(json.dumps(result, indent=2))
    text = markdown(result)
    (out / "table.md").write_text(text + "\n")
    rows = [crops(lr, hr, [images[n][i] for n in ("bicubic", "srresnet", "srgan")], scale)
            for i, (lr, hr) in enumerate(pairs)]
    path = picture(rows, args.picture)
    print(text)
    print(f"Wrote {out / f'x{scale}.json'}, {out / 'table.md'} and {path}")
    if args.readme:
        readme_block.splice(ROOT / "README.md", BEGIN, END, text)
        print("Spliced the table into README.md")


if __name__ == "__main__":
    main()
