"""Choosing a `tf.distribute` strategy (`keras-gans train --strategy`).

    auto         MirroredStrategy when there is more than one GPU, else the default
    mirrored     MirroredStrategy over every local GPU (or the CPU)
    multiworker  MultiWorkerMirroredStrategy; reads TF_CONFIG as TensorFlow defines it
    tpu          TPUStrategy on the TPU found by TPUClusterResolver
    none         the default (no-op) strategy

Build the model and compile it inside `strategy.scope()`; batch the dataset with the
global batch size. The base GAN averages losses over the global batch.
"""

import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "mirrored", "multiworker", "tpu", "none")


def make(name="auto"):
    name = (name or "auto").lower()
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}: choose one of {', '.join(STRATEGIES)}.")
    if name == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy multiworker needs TF_CONFIG (the cluster and this "
                             "worker's task); see the README's multi-worker section.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as e:
            raise ValueError(f"No TPU found ({str(e).splitlines()[0]}); use --strategy auto.") \
                from None
        return tf.distribute.TPUStrategy(resolver)
    return tf.distribute.get_strategy()


def is_chief():
    """True unless TF_CONFIG names this process as a non-chief worker. Only the
    chief writes checkpoints, samples, logs and the export."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    config = json.loads(raw)
    task = config.get("task", {})
    kind, index = task.get("type", "worker"), int(task.get("index", 0))
    if kind == "chief":
        return True
    has_chief = bool(config.get("cluster", {}).get("chief"))
    return kind == "worker" and index == 0 and not has_chief


def describe(strategy):
    kind = type(strategy).__name__
    if kind == "_DefaultDistributionStrategy":
        return "one device"
    return f"{kind} with {strategy.num_replicas_in_sync} replicas"
