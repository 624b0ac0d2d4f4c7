"""`keras-gans sample`, `interpolate` and `arithmetic`: pictures from a
generator's export (a latent or conditional model's)."""

from __future__ import annotations

import click
from typing import Callable

from keras_gans.cli import friendly_errors, open_export


def _indices(text, name):
    try:
        out = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{name} wants image numbers like 3,7,12, got {text!r}.")
    if not out:
        raise click.BadParameter(f"{name} names no images.")
    return out


def _generator(source):
    """(z -> images, latent_dim) of an unconditional export."""
    from keras_gans.core import UNCONDITIONAL
    path, loaded, meta, kind = open_export(source)
    if kind not in UNCONDITIONAL:
        raise click.UsageError("Latent tools work on unconditional generators only.")
    return (lambda z: loaded.generate(z).numpy()), meta["latent_dim"]


@click.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.option("-n", "num", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="samples.png",
              show_default=True, help="PNG grid to write.")
@click.option("--seed", type=int, help="Latent seed (same seed, same images).")
@click.option("--ncols", type=click.IntRange(min=1), help="Images per row.")
@click.option("--label", type=int, help="Class to draw (conditional models); without it, "
              "a conditional model's grid has one row per class.")
@friendly_errors
def sample(source: str, num: int, output: str, seed: int | None, ncols: int | None,
           label: int | None) -> None:
    """Write a PNG grid of N samples from a run directory or an export."""
    from keras_gans import export as export_lib, files
    from keras_gans.core import CONDITIONAL, GENERATIVE
    path, loaded, meta, kind = open_export(source)
    if kind not in GENERATIVE:
        raise click.ClickException(
            f"{path} holds a {meta.get('model', 'model')} that translates images rather than "
            f"sampling them: use `keras-gans translate {source} INPUT -o OUT_DIR`.")
    extra = {} if label is None else {"label": label}
    if label is None and kind == CONDITIONAL:  # one row of N / classes per class
        from keras_gans.core.conditional import per_class_labels
        ncols = ncols or max(1, num // meta["num_classes"])
        extra["label"] = per_class_labels(meta["num_classes"], ncols)
        num = len(extra["label"])
    images = export_lib.generate(loaded, num, seed=seed, latent_dim=meta.get("latent_dim"),
                                 **extra)
    if meta.get("mixture"):  # points of a toy mixture: a scatter over its modes
        from keras_gans import plots
        from keras_gans.data import mixtures
        files.save_png(output, plots.mixture_scatter(images, mixtures.get(meta["mixture"])))
        click.echo(f"Wrote {num} samples to {output}")
        return
    files.save_png(output, files.grid(images, ncols=ncols))
    click.echo(f"Wrote {num} samples to {output}")


def latent_picture(output: str, seed_help: str) -> Callable[[Callable[..., None]], click.Command]:
    """A latent-tool command: SOURCE, --seed of the sample grid its images
    come from, -o OUTPUT (default `output`), one-line errors."""
    def wrap(fn):
        fn = friendly_errors(fn)
        fn = click.option("-o", "--output", type=click.Path(dir_okay=False), default=output,
                          show_default=True)(fn)
        fn = click.option("--seed", type=int, default=0, show_default=True, help=seed_help)(fn)
        fn = click.argument("source", type=click.Path(exists=True, file_okay=False))(fn)
        return click.command()(fn)
    return wrap


@latent_picture("interpolation.png", "Seed of the sample grid the two images come from.")
@click.option("--start", "start", default=0, show_default=True, type=click.IntRange(min=0),
              help="Number of the first image in that grid.")
@click.option("--end", "end", default=1, show_default=True, type=click.IntRange(min=0),
              help="Number of the last image in that grid.")
@click.option("--steps", type=click.IntRange(min=2), default=10, show_default=True)
@click.option("--method", type=click.Choice(["slerp", "linear"]), default="slerp",
              show_default=True)
def interpolate(source: str, seed: int, start: int, end: int, steps: int, method: str,
                output: str) -> None:
    """Write a PNG strip walking from one sample to another.

    The two images are numbers START and END of `keras-gans sample --seed SEED`."""
    from keras_gans import files
    from keras_gans.core import latent
    generate, latent_dim = _generator(source)
    z_a, z_b = latent.latents_for(seed, [start, end], latent_dim)
    images = generate(latent.interpolate(z_a, z_b, steps, method))
    files.save_png(output, files.grid(images, ncols=steps))
    click.echo(f"Wrote a {steps}-step {method} strip to {output}")


@latent_picture("arithmetic.png", "Seed of the sample grid the images come from.")
@click.option("--a", "a", required=True, help="Image numbers whose latents are averaged: A.")
@click.option("--b", "b", required=True, help="... minus the average of these: B.")
@click.option("--c", "c", required=True, help="... plus the average of these: C.")
@click.option("--neighbours", type=click.IntRange(min=0), default=4, show_default=True,
              help="Extra results with small noise added to A - B + C.")
def arithmetic(source: str, seed: int, a: str, b: str, c: str, neighbours: int,
               output: str) -> None:
    """Latent vector arithmetic: mean(A) - mean(B) + mean(C).

    Writes a row: the three averaged latents' images, then the result (and
    neighbours of it)."""
    import numpy as np
    from keras_gans import files
    from keras_gans.core import latent
    generate, latent_dim = _generator(source)
    groups = [latent.latents_for(seed, _indices(v, n), latent_dim)
              for v, n in ((a, "--a"), (b, "--b"), (c, "--c"))]
    result = latent.arithmetic([(1, groups[0]), (-1, groups[1]), (1, groups[2])])
    means = [g.mean(axis=0) for g in groups]
    noise = 0.25 * np.random.default_rng(seed).standard_normal((neighbours, latent_dim))
    z = np.concatenate([np.stack(means), result[None], result[None] + noise]).astype("float32")
    images = generate(z)
    files.save_png(output, files.grid(images, ncols=len(z)))
    click.echo(f"Wrote mean(A), mean(B), mean(C), A - B + C and {neighbours} neighbours to "
               f"{output}")
