"""Choosing and applying a mixed-precision policy.

`auto` picks, per device, what was measured fastest:
  - GPU: mixed_bfloat16 on compute capability 8.0+ (Ampere, Hopper: no loss
    scaling needed), mixed_float16 on 7.x (Volta, Turing tensor cores);
  - CPU: mixed_bfloat16 only where the CPU computes bf16 natively (AMX-BF16 or
    AVX512-BF16: 1.5-2.2x faster than float32 on such a CPU); float32 otherwise,
    because bf16 is emulated (slower) and float16 without XLA was ~100x slower.

This is the static table. Where `keras-gans tune ENTRY` has measured this
device (`keras_gans.training.tuning`), `train` takes its fastest eligible
candidate instead and says so.

KERAS_GANS_CPU_BF16=1 (or 0) makes `auto` act as if the CPU had (or lacked)
native bf16, so either path can be tried, and tested, on any machine.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import tensorflow as tf
import keras

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")


CPU_BF16_ENV = "KERAS_GANS_CPU_BF16"


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def onednn_isa_cap() -> str:
    """The newest vector ISA oneDNN (TensorFlow's CPU kernels) is allowed to use,
    from ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA; "" when uncapped. An AVX512
    machine run with ONEDNN_MAX_CPU_ISA=AVX2 stands in for an AVX2 one."""
    return os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or ""


def xla_isa_cap() -> str:
    """The newest vector ISA XLA may generate CPU code for, from
    XLA_FLAGS=--xla_cpu_max_isa=...; "" when uncapped. XLA's code is its own,
    so the oneDNN cap does not reach it (vanilla's and CycleGAN's CPU steps)."""
    return next((flag.split("=", 1)[1] for flag in os.environ.get("XLA_FLAGS", "").split()
                 if flag.startswith("--xla_cpu_max_isa=")), "")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (or what KERAS_GANS_CPU_BF16 says)."""
    forced = os.environ.get(CPU_BF16_ENV, "").strip().lower()
    if forced in ("1", "true", "yes", "on"):
        return True
    if forced in ("0", "false", "no", "off"):
        return False
    if forced not in ("", "auto"):
        raise ValueError(f"{CPU_BF16_ENV}={forced!r}: use 1 (as if the CPU had native bf16), "
                         f"0 (as if not) or auto.")
    flags = _cpu_flags()
    if not ("amx_bf16" in flags or "avx512_bf16" in flags):
        return False
    # oneDNN told to use older vector code (ONEDNN_MAX_CPU_ISA=AVX2, say) emulates bf16.
    cap = onednn_isa_cap().upper()
    return not cap or cap == "ALL" or any(t in cap for t in ("BF16", "AMX", "AVX10"))


def auto_policy() -> tuple[str, str]:
    """(policy, reason) for this machine."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        cc = details.get("compute_capability") or (0, 0)
        if cc >= (8, 0):
            return "mixed_bfloat16", f"GPU with compute capability {cc[0]}.{cc[1]}"
        if cc >= (7, 0):
            return "mixed_float16", f"GPU with compute capability {cc[0]}.{cc[1]}"
        return "float32", "GPU without tensor cores"
    forced = os.environ.get(CPU_BF16_ENV, "").strip().lower() not in ("", "auto")
    if cpu_has_native_bf16():
        return "mixed_bfloat16", ("CPU with native bfloat16 (AMX/AVX512-BF16)" if not forced
                                  else f"{CPU_BF16_ENV}={os.environ[CPU_BF16_ENV]}")
    return "float32", ("CPU without native bfloat16" if not forced
                       else f"{CPU_BF16_ENV}={os.environ[CPU_BF16_ENV]}")


def resolve(precision: str = "auto") -> str:
    """Policy name for `precision` ('auto' or one of POLICIES)."""
    precision = (precision or "auto").lower()
    if precision == "auto":
        return auto_policy()[0]
    if precision not in POLICIES:
        raise ValueError(f"Unknown precision {precision!r}: choose auto, {', '.join(POLICIES)}.")
    return precision


def apply(precision: str = "auto") -> str:
    """Set Keras's global dtype policy; build models after this. Returns the name."""
    policy = resolve(precision)
    keras.mixed_precision.set_global_policy(policy)
    return policy


@contextlib.contextmanager
def float32_scope() -> Iterator[None]:
    """Build (or load) models inside this with the float32 policy, whatever the
    global one is, and put the global policy back afterwards.

    The metric networks (Inception features, the domain classifier) run in
    float32 always, so that a score computed during a bf16 training run and one
    from `keras-gans evaluate` are the same number."""
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)
