"""Plain GAN against PacGAN (packing m = 2, 3, 4) on the ring of 8 and the
grid of 25 Gaussians: modes covered, share of high-quality samples and
reverse KL of 2,500 samples, over several seeds.

    python benchmarks/pacgan.py                       # all runs (skips those done)
    python benchmarks/pacgan.py --readme              # the README table from the JSONs

Each run trains `keras_gans.ToyGAN` with `fit()` (the zoo's Algorithm 1 and
its `pack` option, nothing written here) and writes one JSON to --out. As in
PacGAN's code, a packing D with m sees batches of 100 packed inputs, i.e.
100 m samples of each kind a step. The networks and the number of steps are
smaller than the paper's (400,000 steps of G 4x400 / D 3x200 maxout) so that
all 40 runs fit in well under an hour on 2 shared CPU cores: see --help and
the README for what was run.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import git_commit  # noqa: E402  (the benchmarks' one commit stamp)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Lin et al. (NeurIPS 2018), Table 1: not quoted here. The table is an image
# in the paper and its repository (synthetic_data_experiments/results/Table1.png),
# and no text copy of it could be read where this was written; see the README.
PAPER: dict = {}


def parse_ints(text: str) -> list[int]:
    """'1,2,3' -> [1, 2, 3]."""
    return [int(t) for t in text.split(",") if t.strip()]


def run_one(mixture: str, pack: int, seed: int, args: argparse.Namespace) -> dict:
    """Train one ToyGAN and score it; returns the JSON record."""
    import keras
    from keras_gans.data import mixtures
    from keras_gans.models.toy import ToyGAN
    keras.utils.set_random_seed(seed)
    batch = args.batch * pack
    model = ToyGAN(data=mixture, g_hidden=tuple(parse_ints(args.g_hidden)),
                   d_hidden=tuple(parse_ints(args.d_hidden)), maxout_pieces=args.pieces,
                   pack=pack, seed=seed, loss=args.loss)
    model.compile(d_optimizer=keras.optimizers.Adam(args.lr, beta_1=args.beta_1),
                  g_optimizer=keras.optimizers.Adam(args.lr, beta_1=args.beta_1))
    data = mixtures.load(mixture, batch_size=batch, seed=seed)
    start = time.perf_counter()
    model.fit(data.dataset.repeat(), steps_per_epoch=args.steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    scores = model.mixture.mode_metrics(model.generate(2500, seed=10_000 + seed))
    return {"mixture": mixture, "pack": pack, "seed": seed, "steps": args.steps,
            "batch_packed_inputs": args.batch, "batch_samples": batch,
            "g_hidden": args.g_hidden, "d_hidden": args.d_hidden, "maxout_pieces": args.pieces,
            "lr": args.lr, "beta_1": args.beta_1, "loss": args.loss, "samples_scored": 2500,
            **scores, "train_seconds": round(seconds, 1), "commit": git_commit(),
            "cpu": platform.processor() or platform.machine(),
            "load": round(os.getloadavg()[0], 2)}


def table(out: pathlib.Path) -> str:
    """The markdown table of every JSON in `out`: mean and std over seeds."""
    import numpy as np
    rows = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["mixture"], r["pack"]), []).append(r)
    lines = ["| data | D | seeds | steps | modes covered | high-quality samples | reverse KL |"
             " PacGAN paper (modes / high quality / reverse KL) |",
             "|---|---|---|---|---|---|---|---|"]
    order = {"ring": 0, "grid": 1}
    for (mixture, pack), rs in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 9),
                                                                      kv[0][1])):
        k = {"ring": 8, "grid": 25}.get(mixture, "?")
        modes = np.array([r["modes"] for r in rs], float)
        hq = np.array([r["high_quality"] for r in rs], float) * 100
        kl = np.array([r["reverse_kl"] for r in rs], float)
        name = "GAN" if pack == 1 else f"PacGAN{pack}"
        paper = PAPER.get((mixture, pack), "not quoted (see below)")
        lines.append(f"| {mixture} ({k} modes) | {name} | {len(rs)} | {rs[0]['steps']} | "
                     f"{modes.mean():.1f} ± {modes.std():.1f} | {hq.mean():.1f}% ± {hq.std():.1f} "
                     f"| {np.nanmean(kl):.3f} ± {np.nanstd(kl):.3f} | {paper} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the missing runs (or print the table with --readme)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mixtures", default="ring,grid")
    p.add_argument("--packs", default="1,2,3,4")
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--batch", type=int, default=100, help="packed inputs to D per step")
    p.add_argument("--g-hidden", default="128,128,128")
    p.add_argument("--d-hidden", default="128,128")
    p.add_argument("--pieces", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta-1", type=float, default=0.8)
    p.add_argument("--loss", default="non_saturating")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pacgan"))
    p.add_argument("--readme", action="store_true", help="print the table and exit")
    args = p.parse_args(argv)
    out = pathlib.Path(args.out)
    if args.readme:
        print(table(out))
        return
    out.mkdir(parents=True, exist_ok=True)
    for mixture in args.mixtures.split(","):
        for seed in parse_ints(args.seeds):
            for pack in parse_ints(args.packs):
                path = out / f"{mixture}-pack{pack}-seed{seed}.json"
                if path.exists():
                    continue
                record = run_one(mixture, pack, seed, args)
                path.write_text(json.dumps(record, indent=2))
                print(f"{path.name}: {record['modes']} modes, "
                      f"{100 * record['high_quality']:.1f}% high quality, reverse KL "
                      f"{record['reverse_kl']:.3f} ({record['train_seconds']} s)", flush=True)
    print(table(out))


if __name__ == "__main__":
    main()
