"""The plots and numbers of docs/theory.md.

    python benchmarks/theory.py            # docs/img/dstar.png and the numbers
    python benchmarks/theory.py --steps 3000 --out /tmp/img

1. D against D* on the 1-D mixture, with G frozen (G(z) = 1.5 z, p_g = N(0, 1.5^2)),
   and V(D, G) against -log 4 + 2 JSD (`keras_gans.evaluation.theory`).
2. A toy GAN on the ring without and with packing: its scatter over D's shading
   at a few points of training (docs/img/ring-*.png), so collapse and recovery
   can be watched (`keras-gans train toy` writes the same each epoch).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def ring_pictures(out: pathlib.Path, steps: tuple[int, ...], pack: int, seed: int = 0) -> list:
    """Train a small ToyGAN on the ring and write its picture after each of `steps`."""
    import keras
    from keras_gans import files
    from keras_gans.data import mixtures
    from keras_gans.models.toy import ToyGAN
    keras.utils.set_random_seed(seed)
    gan = ToyGAN(data="ring", g_hidden=(64, 64, 64), d_hidden=(64, 64), pack=pack, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5))
    data = mixtures.load("ring", batch_size=100 * pack, seed=seed).dataset.repeat()
    z = gan.latents(2500, seed=1234)
    done, written = 0, []
    for target in steps:
        if target > done:
            gan.fit(data, steps_per_epoch=target - done, epochs=1, verbose=0)
            done = target
        path = out / f"ring-pack{pack}-step{target:05d}.png"
        files.save_png(path, gan.sample_grid(z))
        written.append({"step": target, "pack": pack, **gan.mode_metrics(), "png": path.name})
    return written


def main(argv: list[str] | None = None) -> None:
    """Write the pictures and print the numbers as JSON."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=1500, help="D's training steps")
    p.add_argument("--out", default=str(ROOT / "docs" / "img"))
    p.add_argument("--no-ring", action="store_true", help="only the D* picture")
    args = p.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from keras_gans.evaluation import theory
    result = theory.check_optimal_discriminator(steps=args.steps, batch_size=512,
                                                hidden=(64, 64), plot=out / "dstar.png")
    report = {"d_star": result}
    if not args.no_ring:
        report["ring"] = [r for pack in (1, 2) for r in ring_pictures(out, (100, 500, 1500),
                                                                      pack)]
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
