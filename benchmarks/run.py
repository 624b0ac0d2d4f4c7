"""Benchmark the zoo: training throughput, time to first step, peak memory,
input-pipeline headroom and exported-SavedModel sampling speed, per entry.

    python benchmarks/run.py                          # every entry, library defaults
    python benchmarks/run.py --entries dcgan --precision float32,mixed_bfloat16 \
        --xla off,on --spe 1,8 --steps 60

Each entry is measured in its own worker process (so peak memory is that
entry's, and global settings cannot leak between entries). Inside a worker
all variants of the entry are built side by side and timed in interleaved
rounds (A, B, C, C, B, A, ...), so a busy machine slows them alike; the
reported ms/step is the median over every timed execution. Per entry the rows
are:

  - one row per variant (precision x XLA x steps_per_execution), fed by the
    entry's real `tf.data` pipeline (`Model.load_data`, as `keras-gans train`);
  - `memory`: the first variant fed one in-memory batch repeated, which gives
    the input-pipeline ratio (pipeline images/s / in-memory images/s; near 1
    means the pipeline is not the bottleneck);
  - `baseline`: the same networks trained by the plain tutorial train_step in
    `benchmarks/baseline.py` (float32, graph, one step per call), which gives
    the speed-up column (images/s over the baseline's).

When an entry's data cannot be loaded here (e.g. a tensorflow-datasets set on
an offline machine), the entry runs on synthetic tensors of the right
structure and the pipeline check is skipped (said in the notes).
JSON goes to `--json` (default benchmarks/results/latest.json).
"""

import argparse
import datetime
import inspect
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROW_FIELDS = ("entry", "variant", "precision", "xla", "spe", "input", "batch_size",
              "images_per_s", "ms_per_step", "first_step_s", "timed_steps", "gflop_per_step",
              "gflops_per_s", "peak_gflops", "peak_how", "peak_fraction", "matmul_gflops",
              "matmul_fraction")
ENTRY_FIELDS = ("entry", "model", "data", "synthetic", "batch_size", "image_shape",
                "peak_memory_mb", "memory_kind", "pipeline_ratio", "speedup_vs_baseline",
                "sampling_images_per_s", "sampling_batch", "rows", "notes")


# ------------------------------------------------------------------ parent
def split_list(text):
    return [p.strip() for p in str(text).split(",") if p.strip()]


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_load():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_name():
    """The CPU's model name (keras_gans.training.tuning's, which imports no TensorFlow)."""
    sys.path.insert(0, str(ROOT))
    from keras_gans.training import tuning
    return tuning.cpu_name()


def all_entries():
    sys.path.insert(0, str(ROOT))
    from keras_gans import recipes  # no TensorFlow import
    return recipes.entries()


def run_worker(entry, args):
    """Measure one entry in a fresh process; returns its result dict."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "result.json"
        cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", entry,
               "--worker-out", str(out), *args.passthrough]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        proc = subprocess.run(cmd, env=env, capture_output=not args.verbose, text=True)
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or "").strip().splitlines()[-5:] if not args.verbose else []
            return {"entry": entry, "error": f"worker exited with {proc.returncode}",
                    "stderr_tail": tail, "rows": []}
        return json.loads(out.read_text())


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def table(results):
    """The human-readable table (one line per measured row)."""
    head = (f"{'entry':<10} {'variant':<28} {'input':<8} {'batch':>5} {'img/s':>9} "
            f"{'ms/step':>9} {'1st step s':>10} {'vs base':>7} {'peak MB':>8} "
            f"{'GFLOP/step':>10} {'GFLOP/s':>8} {'of peak':>7} {'of matmul':>9}")
    lines = [head, "-" * len(head)]
    for res in results:
        if res.get("error"):
            lines.append(f"{res['entry']:<10} ERROR: {res['error']} {' | '.join(res['stderr_tail'])}")
            continue
        base = next((r for r in res["rows"] if r["variant"] == "baseline"), None)
        for row in res["rows"]:
            ratio = (row["images_per_s"] / base["images_per_s"]
                     if base and row["variant"] != "baseline" else None)
            lines.append(
                f"{res['entry']:<10} {row['variant']:<28} {row['input']:<8} {row['batch_size']:>5} "
                f"{fmt(row['images_per_s'], '9.1f')} {fmt(row['ms_per_step'], '9.2f')} "
                f"{fmt(row['first_step_s'], '10.2f')} "
                f"{(fmt(ratio, '6.2f') + 'x') if ratio else '      -':>7} "
                f"{fmt(res['peak_memory_mb'], '8.0f')} "
                f"{fmt(row.get('gflop_per_step'), '10.2f')} {fmt(row.get('gflops_per_s'), '8.1f')} "
                f"{fmt(row.get('peak_fraction') and 100 * row['peak_fraction'], '6.0f') + '%':>7} "
                f"{fmt(row.get('matmul_fraction') and 100 * row['matmul_fraction'], '8.0f') + '%':>9}")
        extra = [f"pipeline/in-memory {res['pipeline_ratio']:.2f}" if res["pipeline_ratio"]
                 else "pipeline check skipped"]
        if res.get("sampling_images_per_s"):
            extra.append(f"SavedModel sampling {res['sampling_images_per_s']:.0f} img/s "
                         f"(batch {res['sampling_batch']})")
        peaks = dict.fromkeys(r.get("peak_how") for r in res["rows"] if r.get("peak_how"))
        extra += [f"peak: {h}" for h in peaks]
        mm = dict.fromkeys((r["precision"], r.get("matmul_gflops")) for r in res["rows"]
                           if r.get("matmul_gflops"))
        extra += [f"matmul ceiling {p}: {g:.0f} GFLOP/s" for p, g in mm]
        extra += res.get("notes", [])
        lines.append(f"{'':<10} " + "; ".join(extra))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entries", default="all", help="comma-separated zoo entries (default: all)")
    p.add_argument("--precision", default="default",
                   help="comma list of default, auto, float32, mixed_bfloat16, mixed_float16")
    p.add_argument("--xla", default="default",
                   help="comma list of default (the library's choice), off, on")
    p.add_argument("--spe", default="default",
                   help="comma list of steps_per_execution values (default: the library's)")
    p.add_argument("--variants",
                   help="explicit PRECISION:XLA:SPE list instead of the product of the three "
                        "options, e.g. float32:off:1,mixed_bfloat16:on:1")
    p.add_argument("--batch-size", type=int, help="images per step (default: the recipe's)")
    p.add_argument("--image-size", type=int, help="resize the data (default: the recipe's)")
    p.add_argument("--data", help="data name or path (default: the recipe's)")
    p.add_argument("--synthetic", action="store_true",
                   help="train on random batches of the right structure; skip loading data")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe option, e.g. --set g_filters=32 (repeatable)")
    p.add_argument("--steps", type=int, default=30, help="timed steps per variant")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds the steps split into")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps after the first")
    p.add_argument("--sample-batch", type=int, default=64, help="batch of the sampling check")
    p.add_argument("--no-baseline", action="store_true", help="skip the plain baseline")
    p.add_argument("--no-pipeline-check", action="store_true", help="skip the in-memory row")
    p.add_argument("--no-sampling", action="store_true", help="skip the SavedModel check")
    p.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "latest.json"),
                   help="where to write the results")
    p.add_argument("--verbose", action="store_true", help="show the workers' output")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker:
        result = measure_entry(args.worker, args)
        pathlib.Path(args.worker_out).write_text(json.dumps(result, indent=2))
        return 0

    entries = all_entries() if args.entries == "all" else split_list(args.entries)
    unknown = sorted(set(entries) - set(all_entries()))
    if unknown:
        p.error(f"unknown entries {', '.join(unknown)}; choose from {', '.join(all_entries())}")
    skip = {"--entries", "--json", "--verbose"}
    args.passthrough = []
    words = list(sys.argv[1:] if argv is None else argv)
    while words:
        word = words.pop(0)
        key = word.split("=", 1)[0]
        takes_value = "=" not in word and key not in {"--no-baseline", "--no-pipeline-check",
                                                      "--no-sampling", "--verbose",
                                                      "--synthetic"}
        value = words.pop(0) if takes_value and words else None
        if key in skip:
            continue
        args.passthrough += [word] + ([value] if value is not None else [])

    load_before = machine_load()
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    started = time.time()
    results = []
    for entry in entries:
        print(f"measuring {entry} ...", file=sys.stderr, flush=True)
        results.append(run_worker(entry, args))
    env = next((r["environment"] for r in results if r.get("environment")), {})
    report = {
        "date": date,
        "commit": git_commit(),
        "command": " ".join(["python", "benchmarks/run.py"] + list(
            sys.argv[1:] if argv is None else argv)),
        "host": {"cpu": cpu_name(), "cores": os.cpu_count(), "platform": platform.platform(),
                 "load_avg_before": load_before, "load_avg_after": machine_load()},
        "device": env.get("device"),
        "tensorflow": env.get("tensorflow"),
        "keras": env.get("keras"),
        "python": platform.python_version(),
        "settings": {k: getattr(args, k) for k in (
            "precision", "xla", "spe", "batch_size", "image_size", "data", "set", "steps",
            "rounds", "warmup", "sample_batch")},
        "wall_s": round(time.time() - started, 1),
        "entries": results,
    }
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"{report['date']}  commit {report['commit'][:12]}  device {report['device']}  "
          f"TF {report['tensorflow']}  Keras {report['keras']}  "
          f"load {load_before} -> {report['host']['load_avg_after']} on {os.cpu_count()} cores")
    print(table(results))
    print(f"JSON: {out}")
    return 1 if any(r.get("error") for r in results) else 0


# ------------------------------------------------------------------ worker
def peak_memory():
    """(MB, kind): device peak on a GPU, else the process's peak RSS."""
    import tensorflow as tf
    if tf.config.list_logical_devices("GPU"):
        try:
            info = tf.config.experimental.get_memory_info("GPU:0")
            return info["peak"] / 2 ** 20, "gpu_peak"
        except (ValueError, RuntimeError):
            pass
    import resource
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / 1024, "rss_peak"


def describe_device():
    import tensorflow as tf
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU {details.get('device_name', gpus[0].name)} x{len(gpus)}"
    return f"CPU {cpu_name()} ({os.cpu_count()} cores)"


def library_defaults():
    """(precision, xla, steps_per_execution) that `keras-gans train` uses: the
    `auto` precision policy, Keras's own `jit_compile="auto"` (XLA on GPUs, off
    on CPU-only machines) and one step per execution."""
    from keras_gans import precision as precision_lib
    return precision_lib.resolve("auto"), "auto", 1


def synthetic_batch(model, batch_size, image_shape, num_classes):
    """One batch of the structure `model.train_step` reads, from random numbers."""
    import numpy as np
    import tensorflow as tf
    rng = np.random.default_rng(0)

    def images():
        return tf.constant(rng.uniform(-1, 1, (batch_size, *image_shape)).astype("float32"))

    if hasattr(model, "unpack_pair"):
        return (images(), images())
    if num_classes:
        return (images(), tf.constant(rng.integers(0, num_classes, batch_size), tf.int64))
    return images()


def load_entry_data(recipe, seed=0, synthetic=False):
    """(ImageData or None, image_shape, num_classes, note)."""
    from keras_gans import data as data_lib
    t = recipe.train
    cls = recipe.model_class
    note = "synthetic tensors used (--synthetic)"
    if not synthetic:
        try:
            data = cls.load_data(recipe.data, batch_size=t["batch_size"],
                                 image_size=t["image_size"], channels=t["channels"], seed=seed)
            return data, tuple(data.image_shape), data.num_classes, None
        except (data_lib.DataError, ValueError, OSError) as e:
            note = (f"data {recipe.data!r} not available here ({str(e).splitlines()[0][:120]}); "
                    f"synthetic tensors used")
    defaults = {n: p.default for n, p in inspect.signature(cls.__init__).parameters.items()}
    shape = tuple(recipe.model_kwargs.get("image_shape") or defaults.get("image_shape")
                  or (28, 28, 1))
    if t["image_size"]:
        size = t["image_size"]
        size = (size, size) if isinstance(size, int) else tuple(size)
        shape = (*size, shape[-1])
    if t["channels"]:
        shape = (*shape[:2], int(t["channels"]))
    num_classes = None
    if "num_classes" in defaults:
        num_classes = defaults["num_classes"] if isinstance(defaults["num_classes"], int) else 10
    return None, shape, num_classes, note


def step_flops(model, batch):
    """Floating-point operations of one `train_step` on `batch`: the graph of the
    traced step counted by TensorFlow's profiler (`float_operation`: each op's
    registered FLOP count from its static shapes; convolutions, their two
    gradients and matmuls dominate, elementwise ops count one per element)."""
    import logging
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder
    spec = tf.nest.map_structure(tf.TensorSpec.from_tensor, batch)
    graph = tf.function(model.train_step).get_concrete_function(spec).graph
    options = option_builder.ProfileOptionBuilder(
        option_builder.ProfileOptionBuilder.float_operation()).with_empty_output().build()
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel(logging.ERROR)  # the profiler's TF1 deprecation notices
    try:
        return int(model_analyzer.profile(graph, options=options).total_float_ops)
    finally:
        logger.setLevel(level)


def vector_pipes(cpuinfo, wide):
    """(full-width vector FMA pipes a core, a note on why not 2): two on Intel
    since Skylake-SP and AMD since Zen 2; AMD's Zen and Zen+ (family 0x17 below
    model 0x30) split a 256-bit op over 128-bit units, and Zen 4 (family 0x19)
    runs AVX-512 on 256-bit units, so there one full-width FMA a cycle."""
    def field(name):
        return next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                     if line.split(":", 1)[0].strip() == name), "")

    if field("vendor_id") != "AuthenticAMD":
        return 2, ""
    try:
        family, model = int(field("cpu family")), int(field("model"))
    except ValueError:
        return 2, ""
    if family == 0x17 and model < 0x30:
        return 1, " (AMD Zen/Zen+: 128-bit units)"
    if family == 0x19 and wide:
        return 1, " (AMD Zen 4: AVX-512 on 256-bit units)"
    return 2, ""


def cpu_peak_gflops(policy):
    """(peak GFLOP/s, how it was found) of this CPU for `policy`: cores x clock x
    FLOPs a cycle of the widest vector unit the kernels may use."""
    from keras_gans.training import precision as precision_lib, tuning
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return None, "no /proc/cpuinfo"
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.startswith("flags")), [])
    cap = precision_lib.onednn_isa_cap().upper()
    wide = "avx512f" in flags and (not cap or cap == "ALL" or "512" in cap or "AMX" in cap
                                   or "AVX10" in cap)
    lanes, unit = (16, "AVX-512") if wide else (8, "AVX2") if "avx2" in flags else (4, "SSE")
    fma = 2 if "fma" in flags else 1
    pipes, why = vector_pipes(text, wide)
    per_cycle = lanes * fma * pipes
    how = (f"{unit}{' FMA' if fma == 2 else ''}: {lanes} fp32 lanes x {fma} x {pipes} "
           f"pipe{'s' if pipes > 1 else ''}{why}")
    if policy == "mixed_bfloat16" and precision_lib.cpu_has_native_bf16():
        per_cycle *= 2  # AVX512-BF16 dot products: two bf16 products a fp32 lane
        how += " x 2 (bf16 pairs)"
    mhz, source = None, ""
    try:
        khz = pathlib.Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
        mhz, source = int(khz) / 1000, "cpufreq max"
    except (OSError, ValueError):
        values = [float(line.split(":", 1)[1]) for line in text.splitlines()
                  if line.startswith("cpu MHz")]
        mhz, source = (max(values), "/proc/cpuinfo cpu MHz") if values else (None, "")
    if not mhz:
        return None, how + "; clock unknown"
    cores = tuning.cpu_count()
    peak = cores * mhz / 1000 * per_cycle
    return round(peak, 1), (f"{cores} cores x {mhz / 1000:.2f} GHz ({source}) x {per_cycle} "
                            f"FLOP/cycle ({how}{'; oneDNN capped at ' + cap if cap else ''})")


def matmul_ceiling(policy, n=2048, calls=5):
    """GFLOP/s of one large square matmul in `policy`'s compute dtype: what
    TensorFlow's best-tuned kernel reaches on this device, a practical ceiling
    beside the theoretical peak (whose clock a virtual machine may misreport)."""
    import tensorflow as tf
    dtype = {"mixed_bfloat16": tf.bfloat16, "mixed_float16": tf.float16}.get(policy, tf.float32)
    a = tf.cast(tf.random.stateless_normal((n, n), seed=(0, 1)), dtype)
    b = tf.cast(tf.random.stateless_normal((n, n), seed=(0, 2)), dtype)
    product = tf.function(lambda x, y: tf.reduce_sum(tf.cast(tf.linalg.matmul(x, y), tf.float32)))
    product(a, b).numpy()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        product(a, b).numpy()
        times.append(time.perf_counter() - start)
    return round(2 * n ** 3 / statistics.median(times) / 1e9, 1)


def measure_entry(entry, args):
    import numpy as np
    import tensorflow as tf
    import keras

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import baseline as baseline_lib
    from keras_gans import export as export_lib, precision as precision_lib, recipes, train
    from keras_gans.training import tuning

    lib_precision, lib_xla, lib_spe = library_defaults()
    recipe = recipes.load(entry)
    overrides = dict(pair.split("=", 1) for pair in args.set)
    if args.batch_size:
        overrides["batch_size"] = args.batch_size
    if args.image_size:
        overrides["image_size"] = args.image_size
    if args.data:
        overrides["data"] = args.data
    recipe = recipe.override(overrides)
    batch_size = recipe.train["batch_size"]
    notes = []

    data, image_shape, num_classes, note = load_entry_data(recipe, synthetic=args.synthetic)
    if note:
        notes.append(note)

    def build(policy):
        keras.mixed_precision.set_global_policy(policy)
        try:
            return train.build_model(recipe, image_shape, num_classes, seed=0)
        finally:
            keras.mixed_precision.set_global_policy("float32")

    probe = build("float32")
    if data is not None:
        pipeline_ds = data.dataset.repeat()
        batch = next(iter(data.dataset))
    else:
        pipeline_ds = None
        batch = synthetic_batch(probe, batch_size, image_shape, num_classes)
    memory_ds = tf.data.Dataset.from_tensors(batch).repeat()

    # ------------------------------------------------------------ variants
    precisions = [lib_precision if p in ("default", "auto") else precision_lib.resolve(p)
                  for p in split_list(args.precision)]
    xlas = [lib_xla if x == "default" else {"on": True, "off": False, "auto": "auto"}[x]
            for x in split_list(args.xla)]
    spes = [lib_spe if s == "default" else int(s) for s in split_list(args.spe)]
    combos = [(p_, x_, s_) for p_ in dict.fromkeys(precisions) for x_ in dict.fromkeys(xlas)
              for s_ in dict.fromkeys(spes)]
    if args.variants:
        combos = []
        for item in split_list(args.variants):
            prec, xla, spe = item.split(":")
            combos.append((lib_precision if prec in ("default", "auto")
                           else precision_lib.resolve(prec),
                           lib_xla if xla == "default" else {"on": True, "off": False,
                                                             "auto": "auto"}[xla],
                           lib_spe if spe == "default" else int(spe)))
    variants = []
    for prec, xla, spe in dict.fromkeys(combos):
        name = f"{prec} xla={ {True: 'on', False: 'off', 'auto': 'auto'}[xla]} spe={spe}"
        variants.append({"variant": name, "precision": prec, "xla": xla, "spe": spe,
                         "input": "pipeline" if pipeline_ds is not None else "memory"})
    if pipeline_ds is not None and not args.no_pipeline_check:
        first = dict(variants[0])
        first.update(variant=variants[0]["variant"], input="memory")
        variants.append(first)
    if not args.no_baseline:
        variants.append({"variant": "baseline", "precision": "float32", "xla": False, "spe": 1,
                         "input": variants[0]["input"]})

    for v in variants:
        if v["variant"] == "baseline":
            v["model"] = baseline_lib.plain_model(build("float32"), jit_compile=False)
        else:
            keras.mixed_precision.set_global_policy(v["precision"])
            try:
                model = train.build_model(recipe, image_shape, num_classes, seed=0)
                t = recipe.train
                model.compile(
                    d_optimizer=keras.optimizers.Adam(t["d_lr"], beta_1=t["beta_1"],
                                                      beta_2=t["beta_2"]),
                    g_optimizer=keras.optimizers.Adam(t["g_lr"], beta_1=t["beta_1"],
                                                      beta_2=t["beta_2"]),
                    jit_compile=v["xla"], steps_per_execution=v["spe"])
            finally:
                keras.mixed_precision.set_global_policy("float32")
            v["model"] = model
        v["dataset"] = pipeline_ds if v["input"] == "pipeline" else memory_ds
        v["xla_effective"] = bool(v["model"].jit_compile)

    # FLOPs a step from each kind of step's graph (zoo step, baseline step),
    # counted on throwaway float32 copies so the timed models stay untouched.
    flops = {}
    try:
        flops["zoo"] = step_flops(train.compile_model(build("float32"), recipe), batch)
        if not args.no_baseline:
            flops["baseline"] = step_flops(baseline_lib.plain_model(build("float32")), batch)
    except Exception as e:  # noqa: BLE001 - a count is a bonus, never a failure
        notes.append(f"FLOPs not counted ({type(e).__name__}: {str(e).splitlines()[0][:100]})")

    # Warm-up (the first step's time), then interleaved rounds: the same
    # timing that `keras-gans tune` uses.
    tuning.time_interleaved(variants, steps=args.steps, rounds=args.rounds, warmup=args.warmup)

    rows = []
    on_gpu = bool(tf.config.list_logical_devices("GPU"))
    ceilings = {}
    for v in variants:
        ms = statistics.median(v["samples"]) * 1000
        f = flops.get("baseline" if v["variant"] == "baseline" else "zoo")
        achieved = f / ms * 1000 / 1e9 if f else None
        peak, how = (None, "GPU peak not known to this script") if on_gpu else \
            cpu_peak_gflops(v["precision"])
        if v["precision"] not in ceilings:
            ceilings[v["precision"]] = matmul_ceiling(v["precision"])
        ceiling = ceilings[v["precision"]]
        rows.append({"entry": entry, "variant": v["variant"], "precision": v["precision"],
                     "xla": v["xla_effective"], "spe": v["spe"], "input": v["input"],
                     "batch_size": batch_size, "images_per_s": round(batch_size / ms * 1000, 2),
                     "ms_per_step": round(ms, 3), "first_step_s": round(v["first_step_s"], 3),
                     "timed_steps": len(v["samples"]) * v["spe"],
                     "gflop_per_step": round(f / 1e9, 3) if f else None,
                     "gflops_per_s": round(achieved, 1) if achieved else None,
                     "peak_gflops": peak, "peak_how": how,
                     "peak_fraction": round(achieved / peak, 3) if achieved and peak else None,
                     "matmul_gflops": ceiling,
                     "matmul_fraction": round(achieved / ceiling, 3) if achieved else None})
    mem_mb, mem_kind = peak_memory()

    pipe = next((r for r in rows if r["input"] == "pipeline"), None)
    mem = next((r for r in rows if r["input"] == "memory" and r["variant"] != "baseline"), None)
    pipeline_ratio = (round(pipe["images_per_s"] / mem["images_per_s"], 3)
                      if pipe and mem and pipe["variant"] == mem["variant"] else None)
    base = next((r for r in rows if r["variant"] == "baseline"), None)
    speedup = round(rows[0]["images_per_s"] / base["images_per_s"], 3) if base else None

    # ------------------------------------------------- SavedModel sampling
    sampling, sample_batch = None, args.sample_batch
    if not args.no_sampling:
        sampling = sampling_throughput(variants[0]["model"], sample_batch, num_classes)

    return {
        "entry": entry, "model": recipe.model, "data": recipe.data, "synthetic": data is None,
        "batch_size": batch_size, "image_shape": list(image_shape),
        "peak_memory_mb": round(mem_mb, 1), "memory_kind": mem_kind,
        "pipeline_ratio": pipeline_ratio, "speedup_vs_baseline": speedup,
        "sampling_images_per_s": sampling, "sampling_batch": sample_batch,
        "rows": rows, "notes": notes,
        "flops_method": "counted from the graph: tf.profiler float_operation over the traced "
                        "train_step at this batch",
        "environment": {"device": describe_device(), "tensorflow": tf.__version__,
                        "keras": keras.__version__,
                        "library_defaults": {"precision": lib_precision, "xla": str(lib_xla),
                                             "steps_per_execution": lib_spe}},
    }


def example_inputs(signature, n, num_classes):
    """Random inputs matching an export endpoint's input signature."""
    import numpy as np
    import tensorflow as tf
    rng = np.random.default_rng(0)

    def one(spec):
        shape = [n if d is None else d for d in spec.shape.as_list()]
        if spec.dtype.is_integer:
            return tf.constant(rng.integers(0, num_classes or 2, shape), spec.dtype)
        return tf.constant(rng.uniform(-1, 1, shape), spec.dtype)

    return [tf.nest.map_structure(one, spec) for spec in signature]


def sampling_throughput(model, n, num_classes, calls=5):
    """Images per second of the first endpoint of the model's SavedModel export."""
    import tensorflow as tf
    from keras_gans import export as export_lib
    name, (_, signature) = next(iter(model.export_endpoints().items()))
    inputs = example_inputs(signature, n, num_classes)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_lib.export(model, pathlib.Path(tmp) / "export")
        loaded = tf.saved_model.load(str(path))
        fn = getattr(loaded, name)
        fn(*inputs)  # warm-up
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            tf.nest.map_structure(lambda t: t.numpy(), fn(*inputs))
            times.append(time.perf_counter() - start)
    return round(n / statistics.median(times), 1)


if __name__ == "__main__":
    sys.exit(main())
