"""What convolving cgan's label maps once per class saves.

    python benchmarks/label_maps.py                                    # auto's precision
    ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/label_maps.py --precision float32

cgan's discriminator sees the image with one-hot label maps stacked on. Its
first convolution used to run over all 1 + 10 channels of every image; now it
is a `LabelMapConv2D`, which convolves the image alone and adds the label maps'
part, convolved once per class (the same weights and outputs). This times D's
pass of a D step on both forms, built side by side: logits of --batch images
and labels, and the gradients to D's weights and to the images (G's step needs
those), in interleaved rounds, so that a busy or throttled host slows both
alike. Prints a table and writes benchmarks/results/label-maps/PRECISION-CPU.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from quality import cpu_facts  # noqa: E402
from run import git_commit  # noqa: E402


def discriminator(label_channels, num_classes=10, shape=(28, 28, 1), filters=64):
    """cgan's D with its first convolution plain (0) or per class (num_classes)."""
    import keras
    from keras_gans.nets import conditional, dcgan
    image, label = keras.Input(shape), conditional.label_input()
    maps = conditional.LabelMaps(num_classes, *shape[:2])(label)
    body = dcgan.dcgan_discriminator(shape, filters, extra_channels=num_classes,
                                     label_channels=label_channels)
    return keras.Model([image, label], body(keras.layers.Concatenate()([image, maps])))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", default="auto",
                        help="auto (as keras-gans train picks it), float32 or mixed_bfloat16")
    parser.add_argument("--batch", type=int, default=128, help="images a pass (a D step's "
                        "real + fake at the recipe's 64) [%(default)s]")
    parser.add_argument("--rounds", type=int, default=6, help="[%(default)s]")
    parser.add_argument("--passes", type=int, default=40, help="timed passes a round [%(default)s]")
    parser.add_argument("--out", type=pathlib.Path,
                        default=ROOT / "benchmarks" / "results" / "label-maps")
    args = parser.parse_args(argv)
    import numpy as np
    import tensorflow as tf
    from keras_gans import precision as precision_lib
    policy = precision_lib.apply(args.precision)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (args.batch, 28, 28, 1)).astype("float32"))
    y = tf.constant(np.arange(args.batch) % 10)
    passes = {}
    for name, label_channels in (("plain Conv2D over image + maps", 0),
                                 ("LabelMapConv2D", 10)):
        d = discriminator(label_channels)

        @tf.function
        def one_pass(x, y, d=d):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.cast(d([x, y], training=True), tf.float32))
            return tape.gradient(loss, [x, *d.trainable_weights])

        one_pass(x, y)  # trace and warm up
        passes[name] = one_pass
    times = {name: [] for name in passes}
    for r in range(args.rounds):
        for name in (list(passes) if r % 2 == 0 else list(passes)[::-1]):
            started = time.perf_counter()
            for _ in range(args.passes):
                passes[name](x, y)
            times[name].append(1000 * (time.perf_counter() - started) / args.passes)
    ms = {name: statistics.median(t) for name, t in times.items()}
    plain, fast = ms.values()
    facts = cpu_facts()
    print(f"cgan's D, a pass of {args.batch} images (logits, gradients to weights and images); "
          f"{policy}, {facts['cpu_kind']}; median of {args.rounds} interleaved rounds")
    print(f"{'first convolution':34} {'ms a pass':>10}  rounds")
    for name, t in times.items():
        print(f"{name:34} {ms[name]:10.1f}  {' '.join(f'{v:.1f}' for v in t)}")
    print(f"speed-up: {plain / fast:.2f}x")
    result = {"batch": args.batch, "precision": policy, "rounds": args.rounds,
              "passes": args.passes, "ms_per_pass": ms,
              "rounds_ms": {k: [round(v, 2) for v in t] for k, t in times.items()},
              "speedup": round(plain / fast, 3), "commit": git_commit(), **facts,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    slug = "".join(ch if ch.isalnum() else "-" for ch in facts["cpu_kind"].lower()).strip("-")
    path = args.out / f"{policy}-{slug}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
