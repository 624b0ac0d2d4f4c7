"""Choosing a `tf.distribute` strategy (`keras-gans train --strategy`).

    auto         MirroredStrategy when there is more than one GPU, else the default
    mirrored     MirroredStrategy over every local GPU (or the CPU)
    multiworker  MultiWorkerMirroredStrategy; reads TF_CONFIG as TensorFlow defines it
    tpu          TPUStrategy on the TPU found by TPUClusterResolver
    none         the default (no-op) strategy

Build the model and compile it inside `strategy.scope()`; batch the dataset with the
global batch size. The base GAN averages losses over the global batch.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "mirrored", "multiworker", "tpu", "none")
TF_CONFIG_EXAMPLE = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                     '"task": {"type": "worker", "index": 0}}')


def tf_config(required: bool = False) -> dict:
    """The TF_CONFIG environment variable, parsed and checked ({} when unset).

    TensorFlow would fail on a malformed TF_CONFIG with a bare JSON or key
    error, or wait forever for a worker that cannot exist; this raises a
    `ValueError` that names TF_CONFIG, what is wrong and the expected form:
    a JSON object with "cluster" (job name -> list of "host:port") and "task"
    ({"type": a job of the cluster, "index": its position in that list}).
    `required`: both must be there (multi-worker training)."""
    raw = os.environ.get("TF_CONFIG", "")
    if not raw.strip():
        if required:
            raise ValueError("--strategy multiworker needs TF_CONFIG (the cluster and this "
                             "worker's task); see the README's multi-worker section.")
        return {}

    def bad(problem):
        return ValueError(f"TF_CONFIG {problem}: set it to JSON like {TF_CONFIG_EXAMPLE}.")

    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise bad(f"is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise bad(f"must be a JSON object, not {type(config).__name__}")
    cluster, task = config.get("cluster"), config.get("task")
    if required and (cluster is None or task is None):
        raise bad(f"lacks {'cluster' if cluster is None else 'task'}")
    if cluster is not None:
        if not isinstance(cluster, dict) or not cluster:
            raise bad("has a cluster that is not a non-empty object of job name -> addresses")
        for job, addresses in cluster.items():
            if isinstance(addresses, dict):  # TensorFlow's sparse form {index: address}
                addresses = list(addresses.values())
            if (not isinstance(addresses, list) or not addresses
                    or not all(isinstance(a, str) and ":" in a for a in addresses)):
                raise bad(f"has cluster job {job!r} whose addresses are not a list of "
                          f"\"host:port\" strings ({addresses!r})")
    if task is not None:
        if not isinstance(task, dict):
            raise bad(f"has a task that is not an object ({task!r})")
        kind, index = task.get("type"), task.get("index", 0)
        if not isinstance(kind, str):
            raise bad(f"has a task without a \"type\" string ({task!r})")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise bad(f"has a task \"index\" that is not a whole number from 0 ({index!r})")
        if kind != "evaluator":
            jobs = (cluster or {})
            if kind not in jobs:
                raise bad(f"has task type {kind!r}, which is not a job of its cluster "
                          f"({', '.join(jobs) or 'none'})")
            if index >= len(jobs[kind]):
                raise bad(f"has task index {index}, but its cluster's {kind!r} job has only "
                          f"{len(jobs[kind])} address(es)")
    return config


def make(name: str = "auto") -> tf.distribute.Strategy:
    """The `tf.distribute` strategy called `name` (see the module's list)."""
    name = (name or "auto").lower()
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}: choose one of {', '.join(STRATEGIES)}.")
    if name == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        tf_config(required=True)
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


def is_chief() -> bool:
    """True unless TF_CONFIG names this process as a non-chief worker. Only the
    chief writes checkpoints, samples, logs and the export."""
    config = tf_config()
    if not config:
        return True
    task = config.get("task") or {}
    kind, index = task.get("type", "worker"), int(task.get("index", 0))
    if kind == "chief":
        return True
    has_chief = bool(config.get("cluster", {}).get("chief"))
    return kind == "worker" and index == 0 and not has_chief


def describe(strategy: tf.distribute.Strategy) -> str:
    """A strategy in words for the training log ("one device", ...)."""
    kind = type(strategy).__name__
    if kind == "_DefaultDistributionStrategy":
        return "one device"
    return f"{kind} with {strategy.num_replicas_in_sync} replicas"
