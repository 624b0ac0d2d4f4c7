"""Run in a subprocess by test_base.py: the same first updates on one device and
on MirroredStrategy over 2 logical CPU devices (TF must configure the devices
before anything else touches them, hence a fresh process).

Prints one JSON line: max weight differences and whether replicas drew
different latents."""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

import keras  # noqa: E402

import keras_gans  # noqa: E402

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
GLOBAL_BATCH = 8


def make():
    # No dropout and no batch norm: both are per-replica by nature.
    return keras_gans.VanillaGAN(image_shape=(8, 8, 1), latent_dim=4, g_hidden=(16,),
                                 d_hidden=(12,), maxout_pieces=2, dropout=0.0,
                                 input_dropout=0.0, d_steps=2, seed=7)


rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, (GLOBAL_BATCH * STEPS, 8, 8, 1)).astype("float32")
dataset = tf.data.Dataset.from_tensor_slices(x).batch(GLOBAL_BATCH)

keras.utils.set_random_seed(1)
single = make()
single.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
initial = single.get_weights()
single.fit(dataset, epochs=1, verbose=0, shuffle=False)

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = make()
    mirrored.set_weights(initial)
    mirrored.compile(d_optimizer=keras.optimizers.Adam(1e-2),
                     g_optimizer=keras.optimizers.Adam(1e-2))
mirrored.fit(dataset, epochs=1, verbose=0, shuffle=False)

diff = max(float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), mirrored.get_weights()))
moved = max(float(np.max(np.abs(a - b))) for a, b in zip(initial, single.get_weights()))


@tf.function
def draw():
    return strategy.run(lambda: mirrored.sample_latents(2))


per_replica = [t.numpy() for t in strategy.experimental_local_results(draw())]
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "max_diff": diff, "moved": moved,
                  "latents_differ": bool(np.abs(per_replica[0] - per_replica[1]).max() > 1e-3)}))
