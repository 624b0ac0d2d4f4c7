"""`keras-gans zoo`, `keras-gans train` and `keras-gans export`."""

from __future__ import annotations

import pathlib
import sys
from typing import Iterable

import click

from keras_gans.cli import friendly_errors, import_tensorflow


def parse_overrides(pairs: Iterable[str], extra: Iterable[str]) -> dict[str, str]:
    """`--set k=v` pairs and leftover `--key value` / `--key=value` words."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.UsageError(f"--set wants KEY=VALUE, got {pair!r}.")
        k, v = pair.split("=", 1)
        out[k.strip()] = v
    words = list(extra)
    while words:
        word = words.pop(0)
        if not word.startswith("--"):
            raise click.UsageError(f"Unexpected argument {word!r}: options look like --key value.")
        key = word[2:]
        if "=" in key:
            key, value = key.split("=", 1)
        elif words and not words[0].startswith("--"):
            value = words.pop(0)
        else:
            value = "true"
        out[key.replace("-", "_")] = value
    return out


@click.command()
@friendly_errors(tensorflow=False)
def zoo() -> None:
    """List the zoo's entries with their paper and default data."""
    from keras_gans.training import recipes
    rows = [recipes.load(name) for name in recipes.entries()]
    width = max(len(r.entry) for r in rows)
    for r in rows:
        click.echo(f"{r.entry:<{width}}  {r.model:<14} data={r.data:<12} {r.paper}")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("entry")
@click.option("--data", help="Dataset name (embedded, tfds) or a folder/.npz path.")
@click.option("--epochs", type=click.IntRange(min=1), help="Passes over the data.")
@click.option("--steps", type=click.IntRange(min=1), help="Total training steps (instead of epochs).")
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per step.")
@click.option("--precision", type=click.Choice(["auto", "float32", "mixed_bfloat16", "mixed_float16"]),
              default="auto", show_default=True,
              help="auto: what `keras-gans tune` measured fastest here; untuned, mixed precision "
                   "on a GPU, bf16 on a CPU with native bf16, else float32.")
@click.option("--seed", type=int, help="Seed for weights, data order and latents.")
@click.option("--out", "out", type=click.Path(file_okay=False), help="Run directory [runs/ENTRY].")
@click.option("--strategy", type=click.Choice(["auto", "mirrored", "multiworker", "tpu", "none"]),
              default="auto", show_default=True,
              help="tf.distribute strategy (auto: mirrored on several GPUs).")
@click.option("--xla/--no-xla", default=None,
              help="Compile steps with XLA (default: as `keras-gans tune` measured here, else "
                   "on a CPU only for CycleGAN and vanilla).")
@click.option("--tune", is_flag=True,
              help="First time each precision and XLA setting here (`keras-gans tune`), then "
                   "train with the fastest.")
@click.option("--tensorboard/--no-tensorboard", default=True, show_default=True,
              help="Write TensorBoard logs to RUN_DIR/tensorboard.")
@click.option("--restart", is_flag=True, help="Start over instead of resuming RUN_DIR.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Recipe override (also accepted as --key value).")
@click.pass_context
@friendly_errors(tensorflow=False)  # the recipe is checked before TensorFlow is imported
def train(ctx: click.Context, entry: str, data: str | None, epochs: int | None, steps: int | None,
          batch_size: int | None, precision: str | None, seed: int | None, out: str | None,
          strategy: str | None, xla: bool | None, tune: bool, tensorboard: bool, restart: bool,
          sets: tuple[str, ...]) -> None:
    """Train zoo ENTRY (a name from `keras-gans zoo` or a .toml recipe).

    Any recipe option can be overridden: `--latent-dim 64` or `--set latent_dim=64`.
    Running again with the same --out resumes from the latest checkpoint.
    """
    from keras_gans.training import recipes
    if out is not None and not str(out).strip():
        raise click.UsageError("--out is empty: give a run directory, or leave it out for "
                               "runs/ENTRY.")
    if epochs and steps:
        raise click.UsageError("Give --epochs or --steps, not both.")
    overrides = parse_overrides(sets, ctx.args)
    for key, value in (("data", data), ("epochs", epochs), ("steps", steps),
                       ("batch_size", batch_size)):
        if value is not None:
            overrides[key] = value
    if epochs:
        overrides["steps"] = "none"
    recipe = recipes.load(entry).override(overrides)
    out = pathlib.Path(out or pathlib.Path("runs") / recipe.entry)
    import_tensorflow()
    from keras_gans.training import train as train_lib
    try:
        train_lib.run(recipe, out, precision=precision, seed=seed, log=click.echo,
                      strategy=strategy, xla=xla, tensorboard=tensorboard, restart=restart,
                      tune=tune)
    except train_lib.TrainingInterrupted as e:
        click.echo(f"\n{e}", err=True)
        sys.exit(130)
    click.echo(f"Samples in {out / 'samples'}; checkpoints in {out / 'checkpoints'}.")


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Export directory [RUN_DIR/export].")
@friendly_errors
def export(run_dir: str, output: str | None) -> None:
    """Export RUN_DIR's latest checkpoint as a SavedModel."""
    from keras_gans.training import train as train_lib
    model, info = train_lib.load_run(run_dir)
    path = train_lib.export_run(model, info, output)
    click.echo(f"Exported SavedModel to {path}")
