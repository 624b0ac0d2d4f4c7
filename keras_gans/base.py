"""The two-player machinery every zoo entry shares.

A variant subclasses `GAN` and says only what is particular to it: how fakes are
made, how the discriminator scores a batch, and its two losses. Mixed precision,
`tf.distribute`, the k discriminator steps of Algorithm 1, latent sampling, loss
averaging and the progress-bar metrics live here, once.
"""

import numpy as np
import tensorflow as tf
import keras

from keras_gans import augment as augment_lib
from keras_gans import losses as losses_lib


def _replica_context():
    """(replica index, replicas in sync); (0, 1) outside a strategy."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context: not inside a train step
        return 0, 1
    return ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync


def uses_float16(model):
    """True when any layer of `model` computes in float16 (needs loss scaling)."""
    layers = model._flatten_layers() if hasattr(model, "_flatten_layers") else [model]
    return any(getattr(l.dtype_policy, "compute_dtype", None) == "float16" for l in layers)


class GAN(keras.Model):
    """Base class of the zoo's models: a generator and a discriminator trained
    against each other by `fit()`.

    Args:
        generator: a Keras model mapping latents `(batch, latent_dim)` to images.
        discriminator: a Keras model mapping images to logits.
        latent_dim: size of the latent vector z.
        d_steps: discriminator updates per generator update (the k of
            Algorithm 1 in Goodfellow et al. 2014).
        loss: adversarial loss, a name from `keras_gans.losses.LOSSES`:
            "non_saturating" (default), "minimax", "least_squares", "hinge".
        seed: seed of the latent sampler (a `keras.random.SeedGenerator`).
        augment: DiffAugment policy for D's inputs, real and fake, in both
            players' steps (Zhao et al. 2020; `keras_gans.augment`), e.g.
            "translation,cutout"; "" for none.
        ema_decay: keep an exponential moving average of G's weights
            (Yazici et al., ICLR 2019) with this decay, e.g. 0.999, and sample,
            evaluate and export with it; 0 for none. The average warms up as
            min(decay, (1 + t) / (10 + t)) over G's steps t.
        lr_decay_start: fraction of a `keras-gans train` run at the base
            learning rates, after which both decay linearly to zero by the last
            step (`keras_gans.schedules.LinearDecay`); 1 for constant rates.
    """

    # Names of the `keras.metrics.Mean` trackers shown in the progress bar.
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    # Whether G maps latent noise z to images (image-to-image models: False).
    uses_latents = True

    def __init__(self, generator=None, discriminator=None, latent_dim=100, d_steps=1,
                 loss="non_saturating", seed=None, augment="", ema_decay=0.0,
                 lr_decay_start=1.0, **kwargs):
        super().__init__(**kwargs)
        if generator is None or discriminator is None:
            raise ValueError("GAN needs both a `generator` and a `discriminator` model.")
        if int(d_steps) < 1:
            raise ValueError(f"d_steps must be at least 1, got {d_steps}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        if self.uses_latents and self.latent_dim < 1:
            raise ValueError(f"latent_dim must be at least 1, got {latent_dim}.")
        self.d_steps = int(d_steps)
        self.loss_name = loss if isinstance(loss, str) else loss.name
        self.adversarial_loss = losses_lib.get(loss)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self.augment_policy = augment_lib.parse(augment)
        self.augment_seed = keras.random.SeedGenerator(
            None if seed is None else int(seed) + 7919, name="augment_seed")
        self.ema_decay = float(ema_decay or 0.0)
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (e.g. 0.999; 0 for none), got "
                             f"{ema_decay}.")
        self.generator_ema = None
        if self.ema_decay:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.name = f"{generator.name}_ema"
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        self.sample_with_ema = True  # False: sample with the raw G (for comparisons)
        if not 0.0 <= float(lr_decay_start) <= 1.0:
            raise ValueError(f"lr_decay_start is a fraction of training in [0, 1] (1: no "
                             f"decay), not {lr_decay_start}.")
        self.lr_decay_start = float(lr_decay_start)
        self.initial_learning_rates = {}
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        self.d_optimizer = None
        self.g_optimizer = None
        self.built = True  # the networks are built; nothing lazy is left

    # ----------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, d_steps=self.d_steps,
                      loss=self.loss_name, seed=self.seed,
                      augment=",".join(self.augment_policy), ema_decay=self.ema_decay,
                      lr_decay_start=self.lr_decay_start)
        return config

    # --------------------------------------------------------------- compile
    def compile(self, d_optimizer=None, g_optimizer=None, loss=None, **kwargs):
        """Set both players' optimizers (Adam 2e-4, beta_1 0.5 when omitted).

        Under a `mixed_float16` policy each optimizer is wrapped in a
        `keras.optimizers.LossScaleOptimizer`. Create the model and call
        `compile` inside `strategy.scope()` when training distributed.
        """
        kwargs.pop("optimizer", None)
        super().compile(optimizer=None, **kwargs)
        if loss is not None:
            self.loss_name = loss if isinstance(loss, str) else loss.name
            self.adversarial_loss = losses_lib.get(loss)
        d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        scale = uses_float16(self.generator) or uses_float16(self.discriminator)
        self.d_optimizer = self._wrap(d_optimizer, scale)
        self.g_optimizer = self._wrap(g_optimizer, scale)
        # Build optimizer slots now, under whatever strategy scope is active.
        self.d_optimizer.build(self.discriminator_variables())
        self.g_optimizer.build(self.generator_variables())
        # The schedule's base rates: read now, before a checkpoint may restore
        # an already decayed rate.
        self.initial_learning_rates = {
            name: float(keras.ops.convert_to_numpy(getattr(self, name).learning_rate))
            for name in ("g_optimizer", "d_optimizer")}

    @staticmethod
    def _wrap(optimizer, scale):
        if isinstance(optimizer, str):
            optimizer = keras.optimizers.get(optimizer)
        if scale and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras builds an unbuilt model symbolically from a first batch, which it
        # first reduces across replicas: that reduction fails under
        # MultiWorkerMirroredStrategy. Our networks are built at construction and
        # the optimizers in compile(), so there is nothing to build.
        if all(layer.built for layer in self._flatten_layers()) and self.d_optimizer is not None:
            return None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    @property
    def metrics(self):
        return list(self.trackers.values())

    # ------------------------------------------------------------- inference
    def call(self, z, training=False):
        """Images for latents `z` (so `predict(z)` works)."""
        return self.sampler(z, training=training)

    @property
    def sampler(self):
        """The generator that samples, evaluates and exports: the moving
        average of G's weights when `ema_decay` is on (and `sample_with_ema`),
        else G itself. Training always updates and uses G."""
        if self.generator_ema is not None and self.sample_with_ema:
            return self.generator_ema
        return self.generator

    def update_ema(self):
        """Move the average generator's weights (batch-norm statistics
        included) towards G's: w_ema <- d * w_ema + (1 - d) * w."""
        if self.generator_ema is None:
            return
        t = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        # The tf.Variables behind Keras's (distributed ones under a strategy).
        pairs = [(a.value, v.value) for a, v in zip(self.generator_ema.weights,
                                                      self.generator.weights)]

        def move(average, value):
            return average.assign(average * tf.cast(decay, average.dtype)
                                  + tf.cast(value, average.dtype) * tf.cast(1.0 - decay,
                                                                            average.dtype))

        def update(distribution):
            for average, value in pairs:
                distribution.extended.update(average, move, args=(value,), group=False)

        if tf.distribute.has_strategy():
            tf.__internal__.distribute.interim.maybe_merge_call(
                update, tf.distribute.get_strategy())
        else:
            for average, value in pairs:
                move(average, value)

    def augment(self, images, training=True):
        """D's view of a batch: DiffAugment when `augment` is on and training."""
        if not self.augment_policy or not training:
            return images
        return augment_lib.diff_augment(images, self.augment_policy, self._replica_uniform)

    def _replica_uniform(self, n, tail, low, high):
        # As for latents: one draw for the global batch, this replica's slice,
        # so N replicas augment exactly as one device would.
        replica, replicas = _replica_context()
        u = tf.random.stateless_uniform([n * replicas, *tail], seed=self.augment_seed.next(),
                                        minval=low, maxval=high)
        return u if replicas == 1 else u[replica * n:(replica + 1) * n]

    def generator_variables(self):
        return self.generator.trainable_variables

    def discriminator_variables(self):
        """What the D optimizer trains (models with several discriminators
        return all of them)."""
        return self.discriminator.trainable_variables

    def training_callbacks(self, state=None):
        """Extra Keras callbacks `keras-gans train` adds to `fit()` for this
        model: the linear learning-rate decay when `lr_decay_start` < 1.
        `state` is the run's `keras_gans.callbacks.RunState` (global step,
        total steps)."""
        if self.lr_decay_start >= 1.0:
            return []
        from keras_gans import schedules
        return [schedules.LinearDecay(self.initial_learning_rates, start=self.lr_decay_start,
                                      state=state)]

    def generate(self, n, seed=None, batch_size=256):
        """`n` images in [-1, 1] as a float32 numpy array (NHWC).

        The same `seed` gives the same images."""
        z = self.latents(n, seed)
        out = [keras.ops.convert_to_numpy(self(z[i:i + batch_size], training=False))
               for i in range(0, n, batch_size)]
        return np.concatenate(out).astype("float32")

    def latents(self, n, seed=None):
        """A fixed numpy batch of `n` latents (standard normal)."""
        rng = np.random.default_rng(seed)
        return rng.standard_normal((int(n), self.latent_dim)).astype("float32")

    # ---------------------------------------------------------- train hooks
    def unpack(self, data):
        """Split a dataset element into (images, labels or None)."""
        if isinstance(data, dict):
            return data["image"], data.get("label")
        if isinstance(data, (tuple, list)):
            return data[0], (data[1] if len(data) > 1 else None)
        return data, None

    def sample_latents(self, batch_size):
        """Latents for this replica's part of the batch.

        Every replica draws the whole global batch from the same seed and keeps
        its own slice, so replicas get different latents and a run on N
        replicas sees exactly the latents of a one-device run.
        """
        replica, replicas = _replica_context()
        seed = self.seed_generator.next()
        z = tf.random.stateless_normal([batch_size * replicas, self.latent_dim], seed=seed)
        if replicas == 1:
            return z
        return tf.slice(z, [replica * batch_size, 0], [batch_size, self.latent_dim])

    def generate_fake(self, z, labels, training=True):
        """Images for latents (and labels, in conditional models)."""
        return self.generator(z, training=training)

    def discriminate(self, images, labels, training=True):
        """Discriminator logits for images (and labels, in conditional models)."""
        return self.discriminator(images, training=training)

    def probability(self, logits):
        """What to log as D(.) for a batch of logits."""
        logits = tf.cast(logits, tf.float32)
        if self.adversarial_loss.output == "sigmoid":
            return tf.reduce_mean(tf.sigmoid(logits))
        return tf.reduce_mean(logits)

    def discriminator_loss(self, real, labels, z, training=True):
        """Per-example D loss and values to log."""
        fake = tf.stop_gradient(self.generate_fake(z, labels, training=training))
        real_logits = self.discriminate(self.augment(real, training), labels, training=training)
        fake_logits = self.discriminate(self.augment(fake, training), labels, training=training)
        per_example = self.adversarial_loss.discriminator(real_logits, fake_logits)
        return per_example, {"d_real": self.probability(real_logits),
                             "d_fake": self.probability(fake_logits)}

    def generator_loss(self, z, labels, training=True):
        """Per-example G loss and values to log."""
        fake = self.generate_fake(z, labels, training=training)
        fake_logits = self.discriminate(self.augment(fake, training), labels, training=training)
        return self.adversarial_loss.generator(fake_logits), {}

    # ------------------------------------------------------------ the update
    def apply_update(self, optimizer, variables, loss_fn):
        """One gradient step on `variables`: the loss is averaged over the
        global batch, scaled under float16, and unscaled by the optimizer
        (which also skips steps with non-finite gradients)."""
        with tf.GradientTape() as tape:
            per_example, logs = loss_fn()
            loss = tf.nn.compute_average_loss(per_example)
            if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
                scaled = optimizer.scale_loss(loss)
            else:
                scaled = loss
        grads = tape.gradient(scaled, variables)
        optimizer.apply(grads, variables)
        # Log this replica's own mean (the averaged loss is 1/replicas of it).
        return tf.reduce_mean(per_example), logs

    def check_images(self, real):
        expected = tuple(self.generator.output.shape[1:])
        got = tuple(real.shape[1:])
        if None not in got and got != expected:
            raise ValueError(
                f"The data's images have shape {got} but the generator makes {expected}: "
                f"load the data at the model's size (image_size/channels) or build the model "
                f"for image_shape={got}."
            )

    def train_step(self, data):
        if self.d_optimizer is None:
            raise RuntimeError("Call compile(d_optimizer=..., g_optimizer=...) before fit().")
        real, labels = self.unpack(data)
        self.check_images(real)
        batch_size = tf.shape(real)[0]
        logs = {}
        # Algorithm 1: k steps on D ...
        for _ in range(self.d_steps):
            z = self.sample_latents(batch_size)
            d_loss, d_logs = self.apply_update(
                self.d_optimizer, self.discriminator_variables(),
                lambda: self.discriminator_loss(real, labels, z))
        logs.update(d_logs, d_loss=d_loss)
        # ... then one on G.
        z = self.sample_latents(batch_size)
        g_loss, g_logs = self.apply_update(
            self.g_optimizer, self.generator_variables(),
            lambda: self.generator_loss(z, labels))
        self.update_ema()
        logs.update(g_logs, g_loss=g_loss)
        return self.record(logs)

    def record(self, logs):
        for name, value in logs.items():
            if name in self.trackers:
                self.trackers[name].update_state(value)
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Scalar logs break MultiWorkerMirroredStrategy (tensorflow#72388).
            results = {k: tf.reshape(v, [1]) for k, v in results.items()}
        return results

    def test_step(self, data):
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]
        z = self.sample_latents(batch_size)
        d_per_example, logs = self.discriminator_loss(real, labels, z, training=False)
        g_per_example, g_logs = self.generator_loss(z, labels, training=False)
        logs.update(g_logs, d_loss=tf.reduce_mean(d_per_example),
                    g_loss=tf.reduce_mean(g_per_example))
        return self.record(logs)

    # ---------------------------------------------------------------- export
    def export_endpoints(self):
        """{name: (function, input_signature)} for the SavedModel export."""
        spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")

        def generate(z):
            return tf.cast(self.sampler(z, training=False), tf.float32)

        return {"generate": (generate, [spec])}

    def export_metadata(self):
        """Facts a user of the export needs, stored with it."""
        return {"latent_dim": self.latent_dim,
                "image_shape": [int(s) for s in self.generator.output.shape[1:]],
                "model": type(self).__name__}

    # ------------------------------------------------------ data and grids
    @classmethod
    def load_data(cls, name, **kwargs):
        """The `ImageData` this model trains on (`keras_gans.data.load` kwargs).
        Conditional models ask for labels; image-to-image models for two domains."""
        from keras_gans import data as data_lib
        return data_lib.load(name, **kwargs)

    def sample_inputs(self, data, n, seed):
        """Fixed inputs for the per-epoch sample grids (here: `n` latents)."""
        return self.latents(n, seed)

    def sample_grid(self, inputs):
        """One uint8 HxWxC picture of the model's output for `sample_inputs`."""
        from keras_gans import files
        return files.grid(keras.ops.convert_to_numpy(self(inputs, training=False)))
