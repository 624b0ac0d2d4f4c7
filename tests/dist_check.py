"""Run in a subprocess by the tests: the same updates on one device and on
MirroredStrategy over 2 logical CPU devices (TF must configure the devices
before anything else touches them, hence a fresh process).

    python dist_check.py '{"entry": "dcgan", "overrides": {...}, "data": "mnist5k",
                           "batch_size": 8, "steps": 2}'
    python dist_check.py '[{"entry": "dcgan", ...}, {"entry": "vae", ...}]'

Prints one JSON line per check: the largest weight difference between the two
runs, how far training moved the weights, and whether replicas drew different
latents; or, for a check that failed, its traceback under "error" (a list of
checks shares one TensorFlow start-up, and one failure does not hide the others)."""

import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

import keras  # noqa: E402

from keras_gans.training import recipes, train  # noqa: E402


# One strategy for every check of the process (its collective ops keep state:
# a second MirroredStrategy in the same process fails its first all-reduce).
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def check(config):
    recipe = recipes.load(config["entry"]).override(config.get("overrides", {}))
    cls = recipe.model_class
    steps = int(config.get("steps", 2))
    batch = int(config.get("batch_size", 8))
    data = cls.load_data(config.get("data", recipe.data), batch_size=batch, shuffle=False,
                         **config.get("data_kwargs", {}))
    dataset = data.dataset.take(steps)

    def make():
        model = train.build_model(recipe, data.image_shape, data.num_classes, seed=7)
        # Adam's epsilon at 1e-5, not Keras's 1e-7: Adam steps a weight whose
        # gradient is all but zero by a whole learning rate, so round-off that
        # differs between one device and two (and that flips such a gradient's
        # sign) would show as a whole step; with it those weights move by ~0.
        # (A DRAGAN check once ended 1.3e-3 apart in a loaded CI run, 1e-7 alone.)
        model.compile(**{f"{name}_optimizer": keras.optimizers.Adam(1e-3, epsilon=1e-5)
                         for name in model.optimizer_names})
        return model

    keras.utils.set_random_seed(1)
    single = make()
    initial = single.get_weights()
    single.fit(dataset, epochs=1, verbose=0, shuffle=False)

    with strategy.scope():
        mirrored = make()
        mirrored.set_weights(initial)
    mirrored.fit(dataset, epochs=1, verbose=0, shuffle=False)

    diff = max(float(np.max(np.abs(a - b)))
               for a, b in zip(single.get_weights(), mirrored.get_weights()))
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
    return {"replicas": strategy.num_replicas_in_sync, "max_diff": diff, "moved": moved,
            "latents_differ": latents_differ}


configs = json.loads(sys.argv[1])
for config in configs if isinstance(configs, list) else [configs]:
    try:
        result = check(config)
    except Exception:  # reported to the test of this config
        result = {"error": traceback.format_exc()}
    print(json.dumps(result), flush=True)
