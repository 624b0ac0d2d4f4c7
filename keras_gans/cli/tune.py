"""`keras-gans tune`: time each precision and XLA setting of an entry on this
device and store the fastest for `train`'s `auto`."""

from __future__ import annotations

import click

from keras_gans.cli import friendly_errors, import_tensorflow
from keras_gans.cli.train import parse_overrides


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("entry", required=False)
@click.option("--data", help="Dataset name (embedded, tfds) or a folder/.npz path.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per step [the recipe's].")
@click.option("--image-size", type=click.IntRange(min=1), help="Resize the images [the recipe's].")
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True,
              help="Timed steps per candidate (after 2 warm-up steps).")
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Interleaved rounds the timed steps are split into.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Recipe override (also accepted as --key value).")
@click.option("--show", is_flag=True, help="Print what is stored for this device; time nothing.")
@click.pass_context
@friendly_errors(tensorflow=False)
def tune(ctx: click.Context, entry: str | None, data: str | None, batch_size: int | None,
         image_size: int | None, steps: int, rounds: int, sets: tuple[str, ...],
         show: bool) -> None:
    """Time each precision and XLA setting of zoo ENTRY here; store the fastest.

    `keras-gans train ENTRY` then uses the stored result where --precision is
    auto and --xla not given (and says so), for the same image shape and batch
    size on this device. A reduced precision is only picked for entries where
    the quality benchmark showed it equal to float32; the others are timed and
    shown as not eligible. Results: $KERAS_GANS_CACHE_DIR/tune.json or
    ~/.cache/keras-gans/tune.json.
    """
    from keras_gans.training import recipes
    if show:
        import_tensorflow()
        from keras_gans.training import tuning
        stored = tuning.read_cache(warn=lambda m: click.echo(m, err=True)).get(
            tuning.device_key(), {})
        if entry:
            stored = {k: v for k, v in stored.items() if k.split("|")[0] == entry}
        if not stored:
            click.echo(f"Nothing tuned{f' for {entry}' if entry else ''} on this device "
                       f"({tuning.device_key()}) in {tuning.cache_path()}.")
            return
        for key, result in sorted(stored.items()):
            click.echo(f"{key}: {tuning.describe(result)}")
        return
    if not entry:
        raise click.UsageError("Give an ENTRY to tune (see `keras-gans zoo`), or --show.")
    overrides = parse_overrides(sets, ctx.args)
    for key, value in (("data", data), ("batch_size", batch_size), ("image_size", image_size)):
        if value is not None:
            overrides[key] = value
    recipe = recipes.load(entry).override(overrides)
    import_tensorflow()
    from keras_gans.training import tuning
    click.echo(f"Timing {recipe.entry} on {tuning.device_key()}, batch "
               f"{recipe.train['batch_size']}: {steps} steps per candidate in {rounds} rounds.")
    result = tuning.tune(recipe, steps=steps, rounds=rounds,
                         progress=lambda m: click.echo(f"  {m}", err=True))
    click.echo(tuning.table(result))
    click.echo(f"Fastest eligible: {tuning.describe(result)}. Stored in {result['stored']}; "
               f"`keras-gans train {recipe.entry}` will use it.")
