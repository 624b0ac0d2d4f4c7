"""Run in a subprocess by the tests: the same updates on one device and on
MirroredStrategy over 2 logical CPU devices (TF must configure the devices
before anything else touches them, hence a fresh process).

    python dist_check.py '{"entry": "dcgan", "overrides": {...}, "data": "mnist5k",
                           "batch_size": 8, "steps": 2}'

Prints one JSON line: the largest weight difference between the two runs, how
far training moved the weights, and whether replicas drew different latents."""

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

from keras_gans.training import recipes, train  # noqa: E402

config = json.loads(sys.argv[1])
recipe = recipes.load(config["entry"]).override(config.get("overrides", {}))
cls = recipe.model_class
steps = int(config.get("steps", 2))
batch = int(config.get("batch_size", 8))
data = cls.load_data(config.get("data", recipe.data), batch_size=batch, shuffle=False,
                     **config.get("data_kwargs", {}))
dataset = data.dataset.take(steps)


def make():
    model = train.build_model(recipe, data.image_shape, data.num_classes, seed=7)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3),
                  g_optimizer=keras.optimizers.Adam(1e-3))
    return model


keras.utils.set_random_seed(1)
single = make()
initial = single.get_weights()
single.fit(dataset, epochs=1, verbose=0, shuffle=False)

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = make()
    mirrored.set_weights(initial)
mirrored.fit(dataset, epochs=1, verbose=0, shuffle=False)

diff = max(float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), mirrored.get_weights()))
# (How far the float weights moved: a step counter, e.g. SRGAN's, moves by whole steps.)
moved = max(float(np.max(np.abs(a - b))) for a, b in zip(initial, single.get_weights())
            if np.issubdtype(np.asarray(a).dtype, np.floating))

latents_differ = None
if hasattr(mirrored, "sample_latents") and getattr(mirrored, "latent_dim", None):
    @tf.function
    def draw():
        return strategy.run(lambda: mirrored.sample_latents(2))

    per_replica = [t.numpy() for t in strategy.experimental_local_results(draw())]
    latents_differ = bool(np.abs(per_replica[0] - per_replica[1]).max() > 1e-3)
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "max_diff": diff, "moved": moved,
                  "latents_differ": latents_differ}))
