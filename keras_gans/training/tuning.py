"""`keras-gans tune`: time each precision x XLA candidate on this device and
remember the fastest, so that `--precision auto` and the XLA default mean
"fastest measured here" rather than "fastest measured on some other CPU".

Why: the static defaults (`precision.auto_policy`, `train.auto_xla`) were set
from measurements on particular machines, and the ratios do not carry over:
on one AVX512-BF16 CPU CycleGAN was fastest in float32 without XLA while
another CPU wanted XLA, and bf16 was 1.65x faster than float32 for DCGAN on a
CPU with native bf16 but 14x slower on one without.

What is timed: the entry's real model and input pipeline, every candidate
built side by side and run in interleaved rounds (A, B, C, C, B, A, ...) so
that a busy machine slows them alike; the figure is the median seconds a
step. `benchmarks/run.py` times its variants with the same functions.

Quality gate: a reduced-precision candidate (bf16, float16) can change what a
run learns, so it is only eligible for an entry where the quality benchmark
has shown it equal to float32 (`QUALITY_CHECKED`, with the evidence). The
others are still timed and shown, marked as not eligible. XLA compiles the
same float32 or bf16 math, so it is always eligible.

Importing this module does not import TensorFlow (the benchmarks' parent
process reads `cpu_name` from here). The results live in one JSON file (`cache_path()`), keyed by device, entry,
image shape and batch size, written atomically.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import platform
import statistics
import time
from typing import Any, Callable

CACHE_ENV = "KERAS_GANS_CACHE_DIR"
CACHE_VERSION = 1

# (entry, policy) -> the quality benchmark's evidence that this policy learns as
# well as float32 for this entry. Only these may be picked by a tuned `auto`.
QUALITY_CHECKED = {
    ("dcgan", "mixed_bfloat16"): (
        "FID 21.5 in mixed_bfloat16 vs 21.7 in float32, 5,952 steps, seed 0, N=2,500 "
        "(benchmarks/results/quality-ablation/dcgan-lr2e-4-{bf16,float32}-s0.json)"),
}


class TuneError(ValueError):
    """A tuning request that cannot be carried out (one line, with the fix)."""


# ------------------------------------------------------------------ device
def cpu_name() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_count() -> int:
    """The cores this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def device_key() -> str:
    """What a speed measurement depends on besides the model: the accelerator,
    or the CPU's name, its bf16 ability (as `auto` sees it), the oneDNN ISA cap,
    XLA's ISA cap where one is set, and the cores available."""
    import tensorflow as tf
    from keras_gans.training import precision as precision_lib
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        cc = details.get("compute_capability") or (0, 0)
        return f"gpu:{details.get('device_name', gpus[0].name)}|cc{cc[0]}.{cc[1]}|x{len(gpus)}"
    bf16 = "bf16" if precision_lib.cpu_has_native_bf16() else "no-bf16"
    cap = precision_lib.onednn_isa_cap() or "all"
    # XLA's code ignores the oneDNN cap, and XLA is one of the candidates timed,
    # so a capped XLA is another device (named only when set: keys cached before
    # this was added still match uncapped runs).
    xla = precision_lib.xla_isa_cap()
    xla = f"|xla-isa={xla}" if xla else ""
    return f"cpu:{cpu_name()}|{bf16}|isa={cap}{xla}|cores={cpu_count()}"


def shape_key(entry: str, image_shape: tuple, batch_size: int) -> str:
    """'dcgan|28x28x1|b64': the part of the cache key the run decides."""
    return f"{entry}|{'x'.join(str(int(d)) for d in image_shape)}|b{int(batch_size)}"


# ------------------------------------------------------------------ candidates
def device_policies() -> list[str]:
    """The precision policies worth timing on this device."""
    import tensorflow as tf
    from keras_gans.training import precision as precision_lib
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        cc = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability") or (0, 0)
        return ["float32"] + (["mixed_bfloat16"] if cc >= (8, 0) else []) + (
            ["mixed_float16"] if cc >= (7, 0) else [])
    # float16 without a GPU is emulated (~100x slower): never a candidate on a CPU.
    return ["float32"] + (["mixed_bfloat16"] if precision_lib.cpu_has_native_bf16() else [])


def quality_evidence(entry: str, policy: str) -> str | None:
    """Why `policy` may be picked for `entry` ("" for float32), or None if it may not."""
    if policy == "float32":
        return ""
    return QUALITY_CHECKED.get((entry, policy))


def candidates(entry: str, policies: list[str] | None = None) -> list[dict]:
    """[{precision, xla, eligible, why}] to time: each of `policies` (default:
    this device's) with XLA off and on."""
    out = []
    for policy in policies or device_policies():
        evidence = quality_evidence(entry, policy)
        for x in (False, True):
            out.append({"precision": policy, "xla": x, "eligible": evidence is not None,
                        "why": evidence if evidence is not None else
                        f"{policy} not yet shown equal to float32 in quality for {entry}"})
    return out


# ------------------------------------------------------------------ timing
def step_timer() -> Any:
    """A Keras callback that records the seconds a step of each train-function call."""
    import keras

    class StepTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.reset()

        def reset(self):
            self.per_step = []  # seconds a step, one value per execution
            self.fit_started = None
            self.first = None
            self._last_time = None
            self._last_step = -1

        def on_train_begin(self, logs=None):
            self.fit_started = time.perf_counter()

        def on_train_batch_begin(self, batch, logs=None):
            if self._last_time is None:
                self._last_time = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            # Keras gives numpy logs to a callback that is not async-safe, so
            # the step has finished when this runs.
            now = time.perf_counter()
            if self.first is None:
                self.first = now - self.fit_started
            steps = batch - self._last_step
            self.per_step.append((now - self._last_time) / max(steps, 1))
            self._last_step = batch
            self._last_time = now

    return StepTimer()


def time_interleaved(variants: list[dict], steps: int = 20, rounds: int = 3, warmup: int = 2,
                     progress: Callable[[str], None] | None = None) -> list[dict]:
    """Time compiled models side by side.

    Each variant is a dict with "model" (compiled), "dataset" (repeating) and
    optionally "spe" (steps a call). Adds "first_step_s" (the first call,
    compilation included), "samples" (seconds a step) and "s_per_step" (their
    median). Warm-up first, then `rounds` interleaved rounds of `steps` in all."""
    def fit(v, n):
        v["timer"].reset()
        v["model"].fit(v["dataset"], epochs=1, steps_per_epoch=n, verbose=0,
                       callbacks=[v["timer"]], shuffle=False)
        return v["timer"]

    for v in variants:
        v.setdefault("spe", 1)
        v["timer"] = step_timer()
        v["samples"] = []
    for i, v in enumerate(variants):
        if progress:
            progress(f"compiling and warming up {v.get('name', i)}")
        spe = v["spe"]
        v["first_step_s"] = fit(v, spe * (1 + max(1, -(-warmup // spe)))).first
    rounds = max(1, rounds)
    for r in range(rounds):
        if progress:
            progress(f"timing round {r + 1} of {rounds}")
        for v in (variants if r % 2 == 0 else variants[::-1]):
            spe = v["spe"]
            executions = max(1, -(-max(1, -(-steps // rounds)) // spe))
            # One extra execution first: a fresh fit() call sets up its iterator
            # (and refills a shuffle buffer), which training pays once.
            v["samples"] += fit(v, spe * (executions + 1)).per_step[1:]
    for v in variants:
        v["s_per_step"] = statistics.median(v["samples"])
    return variants


# ------------------------------------------------------------------ cache
def cache_path() -> pathlib.Path:
    """KERAS_GANS_CACHE_DIR/tune.json, else $XDG_CACHE_HOME/keras-gans/tune.json,
    else ~/.cache/keras-gans/tune.json."""
    base = os.environ.get(CACHE_ENV)
    if base:
        return pathlib.Path(base).expanduser() / "tune.json"
    xdg = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(xdg).expanduser() / "keras-gans" / "tune.json"


def read_cache(warn: Callable[[str], None] | None = None) -> dict:
    """The stored results ({} when there are none, or when the file is not
    ours to read: then `warn` is told why, once, and it will be rewritten)."""
    path = cache_path()
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        if warn:
            warn(f"Ignoring the tuning cache {path} ({type(e).__name__}: {e}); "
                 f"`keras-gans tune` will write a new one.")
        return {}
    if not isinstance(raw, dict) or raw.get("version") != CACHE_VERSION:
        if warn:
            warn(f"Ignoring the tuning cache {path} (not version {CACHE_VERSION}); "
                 f"`keras-gans tune` will write a new one.")
        return {}
    return raw.get("results", {})


def lookup(entry: str, image_shape: tuple, batch_size: int,
           warn: Callable[[str], None] | None = None) -> dict | None:
    """The stored result for this device, entry, shape and batch, or None."""
    results = read_cache(warn)
    return results.get(device_key(), {}).get(shape_key(entry, image_shape, batch_size))


def store(entry: str, image_shape: tuple, batch_size: int, result: dict) -> pathlib.Path:
    """Add `result` to the cache (atomically: a crash leaves the old file)."""
    from keras_gans import files  # imports TensorFlow; this module does not at import time
    results = read_cache()
    results.setdefault(device_key(), {})[shape_key(entry, image_shape, batch_size)] = result

    def write(tmp):
        pathlib.Path(tmp).write_text(json.dumps({"version": CACHE_VERSION, "results": results},
                                                indent=2, sort_keys=True))
    return files.atomic_write_file(cache_path(), write)


def choose(result: dict, precision: str | None = "auto", xla: bool | None = None) -> dict | None:
    """The fastest eligible candidate of a stored `result` that agrees with
    what the user fixed (a precision other than auto, or XLA on/off), or None."""
    rows = [r for r in result.get("candidates", [])
            if (r["eligible"] or (r["precision"], r["xla"]) == (result["precision"],
                                                                result["xla"]))
            and (precision in (None, "auto") or r["precision"] == precision)
            and (xla is None or r["xla"] == bool(xla))]
    if not rows:
        return None
    best = min(rows, key=lambda r: r["ms_per_step"])
    return {**best, "date": result.get("date", "")}


def describe(result: dict) -> str:
    """'mixed_bfloat16, XLA off (65.5 ms/step, tuned 2026-12-02)'."""
    return (f"{result['precision']}, XLA {'on' if result['xla'] else 'off'} "
            f"({result['ms_per_step']:.1f} ms/step, tuned {result['date'][:10]})")


# ------------------------------------------------------------------ tune
def tune(recipe: Any, steps: int = 20,
         rounds: int = 3, warmup: int = 2, seed: int = 0,
         progress: Callable[[str], None] | None = None) -> dict:
    """Time every candidate for `recipe` here; store and return the result:
    {"precision", "xla", "ms_per_step", "date", "candidates": [...], ...}."""
    import keras
    from keras_gans.training import train as train_lib
    if steps < 1 or rounds < 1 or warmup < 0:
        raise TuneError(f"steps ({steps}) and rounds ({rounds}) must be at least 1 and warmup "
                        f"({warmup}) at least 0.")
    cls = recipe.model_class
    t = recipe.train
    data = cls.load_data(recipe.data, batch_size=t["batch_size"], image_size=t["image_size"],
                         channels=t["channels"], seed=seed, **train_lib.data_options(recipe))
    dataset = data.dataset.repeat()
    # A model that fixes its own `auto` precision (tiny MLPs: float32) keeps it.
    cands = candidates(recipe.entry, [cls.auto_precision] if cls.auto_precision else None)
    before = keras.mixed_precision.global_policy()
    try:
        for c in cands:
            keras.mixed_precision.set_global_policy(c["precision"])
            model = train_lib.build_model(recipe, data.image_shape, data.num_classes, seed)
            c["model"] = train_lib.compile_model(model, recipe, xla=c["xla"])
            c["dataset"] = dataset
            c["name"] = f"{c['precision']}, XLA {'on' if c['xla'] else 'off'}"
    finally:
        keras.mixed_precision.set_global_policy(before)
    time_interleaved(cands, steps=steps, rounds=rounds, warmup=warmup, progress=progress)
    rows = [{"precision": c["precision"], "xla": c["xla"], "eligible": c["eligible"],
             "why": c["why"], "ms_per_step": round(c["s_per_step"] * 1000, 2),
             "first_step_s": round(c["first_step_s"], 2), "timed_steps": len(c["samples"])}
            for c in cands]
    # float32 is always eligible, as is a policy the model class fixes itself.
    best = min([r for r in rows if r["eligible"]] or rows, key=lambda r: r["ms_per_step"])
    result = {"precision": best["precision"], "xla": best["xla"],
              "ms_per_step": best["ms_per_step"],
              "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "batch_size": t["batch_size"], "image_shape": list(data.image_shape),
              "device": device_key(), "steps": steps, "candidates": rows}
    result["stored"] = str(store(recipe.entry, data.image_shape, t["batch_size"], result))
    return result


def table(result: dict) -> str:
    """The candidates as a text table, the pick marked."""
    lines = [f"{'precision':<16}{'XLA':<5}{'ms/step':>9}{'1st step s':>12}  ",
             "-" * 60]
    for r in result["candidates"]:
        pick = r["precision"] == result["precision"] and r["xla"] == result["xla"]
        note = "<- fastest eligible" if pick else ("" if r["eligible"] else
                                                   f"not eligible: {r['why']}")
        lines.append(f"{r['precision']:<16}{'on' if r['xla'] else 'off':<5}"
                     f"{r['ms_per_step']:>9.1f}{r['first_step_s']:>12.1f}  {note}".rstrip())
    return "\n".join(lines)
