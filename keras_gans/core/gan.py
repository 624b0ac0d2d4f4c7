"""`GAN`: the latent-noise GAN kind, on which the unconditional entries stand.

A variant subclasses `GAN` and says only what is particular to it: how fakes are
made, how the discriminator scores a batch, and its two losses. The k
discriminator steps of Algorithm 1, latent sampling (one global draw, sliced
per replica), the moving average of G and the export of `generate` live here,
once; mixed precision, loss averaging and the trackers in `ZooModel`.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import keras
from typing import TYPE_CHECKING, Any

from keras_gans.core import augment as augment_lib
from keras_gans.core import latent as latent_lib
from keras_gans.core.adversarial import Adversarial, per_example_mean
from keras_gans.core.model import LATENT, first_batch_norm, replica_context

if TYPE_CHECKING:
    from keras_gans.data import ImageData


def check_pack(pack: Any) -> int:
    """`pack` as an int >= 1, or a ValueError saying what it takes."""
    if isinstance(pack, bool) or not isinstance(pack, (int, np.integer)) or int(pack) < 1:
        raise ValueError(f"pack is the number of samples D judges at once, a whole number >= 1 "
                         f"(1: no packing), not {pack!r}.")
    return int(pack)


def packed_shape(shape: tuple[int, ...], pack: int) -> tuple[int, ...]:
    """The shape of one packed input to D: `pack` samples of `shape`
    concatenated along the last axis (features or channels)."""
    shape = tuple(int(s) for s in shape)
    return (*shape[:-1], shape[-1] * int(pack))


def pack_samples(x: tf.Tensor, pack: int) -> tf.Tensor:
    """Group a batch of N samples into N / `pack` inputs for D (PacGAN):
    samples i*pack ... i*pack + pack - 1 are concatenated along the last axis,
    (N, ..., C) -> (N / pack, ..., pack * C). A ValueError when N is not a
    multiple of `pack`."""
    if pack == 1:
        return x
    n = x.shape[0]
    if n is not None and n % pack:
        raise ValueError(f"A batch of {n} samples cannot be packed in groups of pack={pack}: use "
                         f"a batch size that is a multiple of {pack} (--batch-size).")
    tail = list(x.shape[1:])
    rank = len(tail)
    grouped = tf.reshape(x, [-1, pack, *tail])            # (N/m, m, ..., C)
    if rank > 1:                                          # (N/m, ..., m, C)
        grouped = tf.transpose(grouped, [0, *range(2, rank + 1), 1, rank + 1])
    return tf.reshape(grouped, [-1, *tail[:-1], pack * tail[-1]])


def non_negative(value: Any, says: str) -> float:
    """`value` as a float >= 0 (None and 0 are 0), or a ValueError: `says`
    (what the option is and takes), then the value given."""
    try:
        number = float(value or 0.0)
    except (TypeError, ValueError):
        number = -1.0
    if not number >= 0.0:
        raise ValueError(f"{says}, not {value!r}.")
    return number


def check_bcr_weight(weight: Any) -> float:
    """`bcr_weight` as a float >= 0, or a ValueError saying what it takes."""
    return non_negative(weight, "bcr_weight is the weight of bCR's consistency term in D's "
                                "loss, a number >= 0 (the paper's 10; 0 for none)")


def check_lecam(weight: Any, decay: Any) -> tuple[float, float]:
    """(`lecam_weight` >= 0, `lecam_decay` in [0, 1)), or a ValueError saying what each takes."""
    weight = non_negative(weight, "lecam_weight is the weight of LeCam's term in D's loss "
                          "(e.g. 0.3; 0 for none)")
    if not 0.0 <= float(decay) < 1.0:
        raise ValueError(f"lecam_decay is the decay of LeCam's moving averages of D's outputs, "
                         f"in [0, 1) (e.g. 0.99), not {decay!r}.")
    return weight, float(decay)


def check_rampup(rampup: Any) -> float:
    """`ema_rampup` as a float >= 0, or a ValueError saying what it takes."""
    return non_negative(rampup, "ema_rampup is the share of G's steps so far that the moving "
                                "average may span, a number >= 0 (e.g. 0.5; 0 for "
                                "TensorFlow's warm-up)")


def check_topk(topk: Any, gamma: Any) -> tuple[float, float]:
    """(`topk`, `topk_gamma`) as floats in (0, 1], or a ValueError saying what
    each takes."""
    def share(value, says):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if not 0.0 < number <= 1.0:
            raise ValueError(f"{says}, not {value!r}.")
        return number
    return (share(topk, "topk is the least share of each batch whose fakes G learns from "
                        "(top-k training), a number in (0, 1] (the paper's 0.5; 1 for off)"),
            share(gamma, "topk_gamma is the per-epoch decay of top-k's share, a number in "
                         "(0, 1] (the paper's 0.99)"))


def topk_share(g_step: Any, topk: float, gamma: float, epoch_steps: float) -> tf.Tensor:
    """Top-k's kept share of the batch after G's `g_step`-th update:
    max(topk, gamma ** epoch), epoch = g_step / epoch_steps (Sinha et al. 2020
    decay k once an epoch; here it decays smoothly between epochs)."""
    epoch = tf.cast(g_step, tf.float32) / float(epoch_steps)
    return tf.maximum(float(topk), tf.pow(float(gamma), epoch))


def ema_decay_at(step: Any, decay: float, rampup: float = 0.0) -> tf.Tensor:
    """The moving average's decay after G's `step`-th update: `decay` once
    warmed up. rampup 0: min(decay, (1 + t) / (10 + t)) (TensorFlow's
    `ExponentialMovingAverage` with `num_updates`); rampup r > 0: the window
    1 / (1 - decay) capped at r * t steps, so min(decay, 1 - 1 / max(1, r * t))."""
    t = tf.cast(step, tf.float32)
    if not rampup:
        return tf.minimum(decay, (1.0 + t) / (10.0 + t))
    return tf.minimum(decay, 1.0 - 1.0 / tf.maximum(1.0, rampup * t))


class GAN(Adversarial):
    """Base class of the latent GANs: a generator G(z) and a discriminator
    trained against each other by `fit()`.

    Args:
        generator: a Keras model mapping latents `(batch, latent_dim)` to images.
        discriminator: a Keras model mapping images to logits.
        latent_dim: size of the latent vector z.
        d_steps: discriminator updates per generator update (the k of
            Algorithm 1 in Goodfellow et al. 2014).
        loss: adversarial loss, a name from `keras_gans.core.losses.LOSSES`:
            "non_saturating" (default), "non_saturating_smoothed", "minimax",
            "least_squares", "hinge".
        seed: seed of the latent sampler (a `keras.random.SeedGenerator`).
        augment: DiffAugment policy for D's inputs, real and fake, in both
            players' steps (Zhao et al. 2020; `keras_gans.core.augment`), e.g.
            "translation,cutout"; "" for none.
        augment_p: the chance that each transform of `augment` is applied to
            an image (1: always, DiffAugment's way; below 1, as ADA applies
            its transforms, at a fixed p).
        ema_decay: keep an exponential moving average of G's weights
            (Yazici et al., ICLR 2019) with this decay, e.g. 0.999, and sample,
            evaluate and export with it; 0 for none. See `ema_rampup` for
            how the average warms up.
        ema_rampup: how the average's window, 1 / (1 - decay) G steps, grows
            over G's steps t (`ema_decay_at`). 0: TensorFlow's warm-up
            min(decay, (1 + t) / (10 + t)), whose window is about t / 9, so a
            decay above 0.999 only takes hold after 9,000+ steps (at 10,000
            steps 0.9995 and 0.999 give the same average). r > 0: the window
            is min(1 / (1 - decay), r * t): at most the last r-th share of
            the steps so far (StyleGAN's `ema_rampup` has the same role).
        lr_decay_start: fraction of a `keras-gans train` run at the base
            learning rates, after which both decay linearly to zero by the last
            step (`keras_gans.training.schedules.LinearDecay`); 1 for constant rates.
        reuse_fakes: G's step reuses the fakes of the (last) D step instead of
            drawing new latents and running G again: one G forward pass less a
            step, as many implementations do (PyTorch's DCGAN example among
            them); the G step then sees D updated on the very images it made.
            Off: Algorithm 1 as written, fresh latents for each step.
        bcr_weight: balanced consistency regularisation (bCR; Zhao et al.,
            "Improved Consistency Regularization for GANs", AAAI 2021): D's
            loss also pays bcr_weight * (D(x) - D(T(x)))^2 for each real and
            each fake image x it judged, T a random `bcr_augment` transform,
            so that D answers alike for an image and its shifted copy
            instead of memorising pixels; the paper's weight is 10 for both.
            D alone sees T(x) (G's step is unchanged); 0 is off.
        lecam_weight: LeCam regularisation (Tseng et al., "Regularizing
            Generative Adversarial Networks under Limited Data", CVPR 2021):
            D's loss also pays lecam_weight * (relu(D(x) - a_fake)^2 +
            relu(a_real - D(G(z)))^2), where a_real and a_fake are moving
            averages of D's mean logit on real and fake batches: D's answers
            on the real images may not run far above what it gave the fakes
            of late, nor the fakes' far below the reals', which keeps a D
            that is learning a small training set by heart in check. The
            paper's weight is 0.3 (CIFAR-10, BigGAN); 0 is off.
        lecam_decay: the decay of those averages (the paper's 0.99).
        bcr_augment: the transforms T of bCR, a DiffAugment policy
            ("translation": shifts by up to 1/8 of the size, the paper's
            choice beside flips, which would change a digit).
        pack: PacGAN's packing (Lin et al., NeurIPS 2018): D judges `pack`
            samples at once, all real or all fake, concatenated along the last
            axis (features of points, channels of images; `pack_samples`). The
            discriminator must be built for `packed_shape(image_shape, pack)`,
            and every batch must hold a multiple of `pack` samples. 1: no packing.
        joint_d: D's step scores the real and the fake batch in one call on
            their concatenation (fewer, larger kernels) instead of two calls.
            Exact only for a discriminator that treats each image on its own,
            so one with batch norm is refused (its statistics would mix the
            real and the fake batch, which DCGAN's separate batches avoid);
            with spectral norm, the power iteration then runs once a D step
            instead of twice. Off: two calls.
        topk: top-k training (Sinha et al., "Top-k Training of GANs", NeurIPS
            2020): G's step learns only from the fakes D scores as most real,
            a share of the batch that starts at 1 and decays by `topk_gamma`
            an epoch down to `topk` (the paper's 0.5); the other fakes' loss
            is zeroed, the kept ones averaged. 1 is off.
        topk_gamma: the per-epoch decay of top-k's share (the paper's 0.99).
        topk_epoch_steps: G steps per epoch of that decay; None: one pass over
            the data, which `keras-gans train` sets (`training_callbacks`).
            A plain `fit()` with `topk` < 1 needs it.
    """

    kind = LATENT
    # Names of the `keras.metrics.Mean` trackers shown in the progress bar.
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")
    image_shape_owner = "the generator makes"

    def __init__(self, generator: keras.Model | None = None,
                 discriminator: keras.Model | None = None, latent_dim: int = 100,
                 d_steps: int = 1, loss: str = "non_saturating", seed: int | None = None,
                 augment: str = "", ema_decay: float = 0.0, lr_decay_start: float = 1.0,
                 pack: int = 1, reuse_fakes: bool = False, joint_d: bool = False,
                 ema_rampup: float = 0.0, augment_p: float = 1.0, bcr_weight: float = 0.0,
                 bcr_augment: str = "translation", lecam_weight: float = 0.0,
                 lecam_decay: float = 0.99, topk: float = 1.0,
                 topk_gamma: float = 0.99, topk_epoch_steps: int | None = None,
                 **kwargs: Any) -> None:
        if int(d_steps) < 1:
            raise ValueError(f"d_steps must be at least 1, got {d_steps}.")
        if int(latent_dim) < 1:
            raise ValueError(f"latent_dim must be at least 1, got {latent_dim}.")
        super().__init__(generator, discriminator, loss=loss, seed=seed,
                         lr_decay_start=lr_decay_start, **kwargs)
        self.augment_policy = augment_lib.parse(augment)
        self.augment_p = augment_lib.check_probability(augment_p)
        self.augment_seed = keras.random.SeedGenerator(
            None if seed is None else int(seed) + 7919, name="augment_seed")
        self.bcr_weight = check_bcr_weight(bcr_weight)
        self.bcr_policy = augment_lib.parse(bcr_augment)
        if self.bcr_weight and not self.bcr_policy:
            raise ValueError("bcr_weight > 0 needs transforms to be consistent under: set "
                             "bcr_augment (e.g. 'translation'), or bcr_weight=0 for no bCR.")
        if self.bcr_weight:
            self.add_tracker("bcr")
        self.lecam_weight, self.lecam_decay = check_lecam(lecam_weight, lecam_decay)
        if self.lecam_weight:
            self.add_tracker("lecam")
            # a_real, a_fake: D's mean logit on real and on fake batches,
            # averaged over steps (the same on every replica).
            self.lecam_averages = [
                self.add_weight(name=f"lecam_{kind}", shape=(), initializer="zeros",
                                trainable=False, aggregation="only_first_replica")
                for kind in ("real", "fake")]
        self.topk, self.topk_gamma = check_topk(topk, topk_gamma)
        if topk_epoch_steps is not None and int(topk_epoch_steps) < 1:
            raise ValueError(f"topk_epoch_steps is G steps per epoch of top-k's decay, a whole "
                             f"number >= 1 (None: one pass over the data), not "
                             f"{topk_epoch_steps!r}.")
        self.topk_epoch_steps = None if topk_epoch_steps is None else int(topk_epoch_steps)
        if self.topk < 1.0:
            self.add_tracker("topk")
        self.latent_dim = int(latent_dim)
        self.d_steps = int(d_steps)
        self.reuse_fakes = bool(reuse_fakes)
        self.joint_d = bool(joint_d)
        if self.joint_d:
            batch_norm = first_batch_norm(discriminator)
            if batch_norm:
                raise ValueError(
                    f"joint_d scores the real and the fake batch in one call, but this "
                    f"discriminator has batch norm ({batch_norm}), whose statistics would then "
                    f"mix the two batches: leave joint_d off, or build D without it (DCGAN "
                    f"networks: norm=layer or norm=none).")
        self.image_shape = tuple(int(s) for s in generator.output.shape[1:])
        self.pack = check_pack(pack)
        if self.pack > 1:
            inputs = getattr(discriminator, "inputs", None) or [None]
            got = None if inputs[0] is None else tuple(inputs[0].shape[1:])
            want = packed_shape(self.image_shape, self.pack)
            if got is not None and got != want:
                raise ValueError(
                    f"pack={self.pack}: the discriminator takes inputs of shape {got}, but "
                    f"{self.pack} packed samples of shape {self.image_shape} have shape {want}: "
                    f"build it for keras_gans.core.gan.packed_shape(image_shape, {self.pack}).")
        self.ema_decay = float(ema_decay or 0.0)
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (e.g. 0.999; 0 for none), got "
                             f"{ema_decay}.")
        self.ema_rampup = check_rampup(ema_rampup)
        self.generator_ema = None
        if self.ema_decay:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.name = f"{generator.name}_ema"
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        self.sample_with_ema = True  # False: sample with the raw G (for comparisons)

    def get_config(self) -> dict:
        return {**super().get_config(), "latent_dim": self.latent_dim, "d_steps": self.d_steps,
                "augment": ",".join(self.augment_policy), "ema_decay": self.ema_decay,
                "ema_rampup": self.ema_rampup, "augment_p": self.augment_p,
                "bcr_weight": self.bcr_weight, "bcr_augment": ",".join(self.bcr_policy),
                "lecam_weight": self.lecam_weight, "lecam_decay": self.lecam_decay,
                "pack": self.pack, "reuse_fakes": self.reuse_fakes,
                "joint_d": self.joint_d, "topk": self.topk, "topk_gamma": self.topk_gamma,
                "topk_epoch_steps": self.topk_epoch_steps}

    # ------------------------------------------------------------- inference
    def call(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Images for latents `z` (so `predict(z)` works)."""
        return self.sampler(z, training=training)

    @property
    def sampler(self) -> keras.Model:
        """The generator that samples, evaluates and exports: the moving
        average of G's weights when `ema_decay` is on (and `sample_with_ema`),
        else G itself. Training always updates and uses G."""
        if self.generator_ema is not None and self.sample_with_ema:
            return self.generator_ema
        return self.generator

    def update_ema(self) -> None:
        """Move the average generator's weights (batch-norm statistics
        included) towards G's: w_ema <- d * w_ema + (1 - d) * w."""
        if self.generator_ema is None:
            return
        decay = ema_decay_at(self.g_optimizer.iterations, self.ema_decay, self.ema_rampup)
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

    def training_callbacks(self, state: Any = None) -> list:
        """`ZooModel.training_callbacks`; also gives top-k its epoch, the
        run's steps per epoch, when `topk_epoch_steps` is not set."""
        if self.topk < 1.0 and self.topk_epoch_steps is None and state is not None:
            self.topk_epoch_steps = int(state.steps_per_epoch)
        return super().training_callbacks(state)

    def keep_top_k(self, per_example: tf.Tensor, fake_logits: tf.Tensor,
                   logs: dict) -> tuple[tf.Tensor, dict]:
        """G's per-example loss under top-k training: the fakes whose logits
        are among the k highest keep their loss, scaled by batch / k so the
        batch mean is the mean over the k; the rest count 0. Unchanged (and
        `logs` too) when `topk` is 1. Each replica keeps its own top k."""
        if self.topk >= 1.0:
            return per_example, logs
        if self.topk_epoch_steps is None:
            raise ValueError("topk < 1 decays its share once an epoch, but the model does not "
                             "know how many G steps an epoch has: pass topk_epoch_steps (e.g. "
                             "the steps of one pass over your data) to the constructor; "
                             "keras-gans train sets it.")
        share = topk_share(self.g_optimizer.iterations, self.topk, self.topk_gamma,
                           self.topk_epoch_steps)
        scores = tf.reshape(tf.cast(fake_logits, tf.float32), [tf.shape(per_example)[0], -1])
        scores = tf.reduce_mean(scores, axis=1)
        n = tf.shape(scores)[0]
        k = tf.maximum(1, tf.cast(tf.math.ceil(share * tf.cast(n, tf.float32)), tf.int32))
        threshold = tf.math.top_k(scores, k=k).values[-1]
        keep = tf.cast(scores >= threshold, per_example.dtype)
        scale = tf.cast(n, per_example.dtype) / tf.reduce_sum(keep)
        return per_example * keep * scale, {**logs, "topk": share}

    def augment(self, images: tf.Tensor, training: bool = True) -> tf.Tensor:
        """D's view of a batch: DiffAugment when `augment` is on and training."""
        if not self.augment_policy or not training:
            return images
        return augment_lib.diff_augment(images, self.augment_policy, self._replica_uniform,
                                        self.augment_p)

    def add_consistency(self, per_example: tf.Tensor, logs: dict, real: tf.Tensor,
                        fake: tf.Tensor, real_logits: tf.Tensor, fake_logits: tf.Tensor,
                        critic: Any) -> tuple[tf.Tensor, dict]:
        """D's per-example loss plus bCR's bcr_weight * ((D(x) - D(T(x)))^2
        for x real + the same for x fake), logged as `bcr`; unchanged when
        bCR is off. `real`, `fake`: the batches D judged, with logits
        `real_logits`, `fake_logits`; `critic(images)`: D's logits. Call it
        inside D's tape."""
        if not self.bcr_weight:
            return per_example, logs

        def gap(images, logits):
            shifted = augment_lib.diff_augment(images, self.bcr_policy, self._replica_uniform)
            d = tf.cast(logits, tf.float32) - tf.cast(critic(shifted), tf.float32)
            return per_example_mean(tf.square(d), per_example)

        value = gap(real, real_logits) + gap(fake, fake_logits)
        return per_example + self.bcr_weight * value, {**logs, "bcr": tf.reduce_mean(value)}

    def add_lecam(self, per_example: tf.Tensor, logs: dict, real_logits: tf.Tensor,
                  fake_logits: tf.Tensor, training: bool = True) -> tuple[tf.Tensor, dict]:
        """D's per-example loss plus LeCam's lecam_weight * (relu(D(x) -
        a_fake)^2 + relu(a_real - D(G(z)))^2), logged as `lecam`, after moving
        the averages a_real, a_fake towards this batch's mean logits (over
        all replicas); unchanged when LeCam is off or not training. Call it
        inside D's tape."""
        if not self.lecam_weight or not training:
            return per_example, logs
        real_logits, fake_logits = (tf.cast(x, tf.float32) for x in (real_logits, fake_logits))
        means = tf.stop_gradient(tf.stack([tf.reduce_mean(real_logits),
                                           tf.reduce_mean(fake_logits)]))
        if replica_context()[1] > 1:  # one all-reduce for both
            means = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.MEAN,
                                                                   means)
        a_real, a_fake = (self.lecam_decay * average + (1.0 - self.lecam_decay) * means[i]
                          for i, average in enumerate(self.lecam_averages))
        for average, moved in zip(self.lecam_averages, (a_real, a_fake)):
            average.assign(moved)
        hinged = lambda x: per_example_mean(tf.square(tf.nn.relu(x)), per_example)  # noqa: E731
        value = hinged(real_logits - a_fake) + hinged(a_real - fake_logits)
        return per_example + self.lecam_weight * value, {**logs, "lecam": tf.reduce_mean(value)}

    def _replica_uniform(self, n, tail, low, high):
        # As for latents: one draw for the global batch, this replica's slice,
        # so N replicas augment exactly as one device would.
        replica, replicas = replica_context()
        u = tf.random.stateless_uniform([n * replicas, *tail], seed=self.augment_seed.next(),
                                        minval=low, maxval=high)
        return u if replicas == 1 else u[replica * n:(replica + 1) * n]

    def generate(self, n: int, seed: int | None = None, batch_size: int = 256) -> np.ndarray:
        """`n` images in [-1, 1] as a float32 numpy array (NHWC).

        The same `seed` gives the same images."""
        return self.predict_batches(self.latents(n, seed), batch_size)

    def latents(self, n: int, seed: int | None = None) -> np.ndarray:
        """A fixed numpy batch of `n` latents (standard normal), the same as
        `keras-gans sample --seed seed` and the export's draw."""
        return latent_lib.draw(n, self.latent_dim, seed)

    # ---------------------------------------------------------- train hooks
    def unpack(self, data: Any) -> tuple:
        """Split a dataset element into (images, labels or None)."""
        if isinstance(data, dict):
            return data["image"], data.get("label")
        if isinstance(data, (tuple, list)):
            return data[0], (data[1] if len(data) > 1 else None)
        return data, None

    def sample_latents(self, batch_size: int | tf.Tensor) -> tf.Tensor:
        """Latents for this replica's part of the batch (`ZooModel.replica_normal`:
        a run on N replicas sees exactly the latents of a one-device run)."""
        return self.replica_normal(batch_size, [self.latent_dim])

    def generate_fake(self, z: tf.Tensor, labels: tf.Tensor | None,
                      training: bool = True) -> tf.Tensor:
        """Images for latents (and labels, in conditional models)."""
        return self.generator(z, training=training)

    def fakes_for(self, z: tf.Tensor, labels: tf.Tensor | None, training: bool,
                  fake: tf.Tensor | None = None) -> tf.Tensor:
        """`fake` when given (made once for both players' steps), else G(z)."""
        return self.generate_fake(z, labels, training=training) if fake is None else fake

    def discriminate(self, images: tf.Tensor, labels: tf.Tensor | None,
                     training: bool = True) -> tf.Tensor:
        """Discriminator logits for images (and labels, in conditional models);
        with `pack` > 1, one logit for each group of `pack` consecutive images."""
        return self.discriminator(pack_samples(images, self.pack), training=training)

    def discriminate_both(self, real: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor | None,
                          training: bool = True) -> tuple[tf.Tensor, tf.Tensor]:
        """D's logits for the real and the fake batch (both with `labels`):
        two calls, or with `joint_d` one call on their concatenation, split."""
        if not self.joint_d:
            return (self.discriminate(real, labels, training=training),
                    self.discriminate(fake, labels, training=training))
        both = None if labels is None else tf.concat([labels, labels], axis=0)
        logits = self.discriminate(tf.concat([real, tf.cast(fake, real.dtype)], axis=0), both,
                                   training=training)
        n = tf.shape(real)[0] // self.pack  # D's outputs for the real batch come first
        return logits[:n], logits[n:]

    def discriminator_loss(self, real: tf.Tensor, labels: tf.Tensor | None, z: tf.Tensor,
                           training: bool = True,
                           fake: tf.Tensor | None = None) -> tuple[tf.Tensor, dict]:
        """Per-example D loss and values to log; `fake`: G(z) already made
        (`reuse_fakes`), else made here."""
        fake = tf.stop_gradient(self.fakes_for(z, labels, training, fake))
        real, fake = self.augment(real, training), self.augment(fake, training)
        real_logits, fake_logits = self.discriminate_both(real, fake, labels, training)
        per_example = self.adversarial_loss.discriminator(real_logits, fake_logits)
        critic = lambda x: self.discriminate(x, labels, training)  # noqa: E731
        per_example, logs = self.add_consistency(
            per_example, {"d_real": self.probability(real_logits),
                          "d_fake": self.probability(fake_logits)},
            real, fake, real_logits, fake_logits, critic)
        per_example, logs = self.add_lecam(per_example, logs, real_logits, fake_logits,
                                           training)
        return self.add_penalty(per_example, logs, real, fake, critic)

    def generator_loss(self, z: tf.Tensor, labels: tf.Tensor | None, training: bool = True,
                       fake: tf.Tensor | None = None) -> tuple[tf.Tensor, dict]:
        """Per-example G loss and values to log; `fake`: G(z) already made
        under G's tape (`reuse_fakes`), else made here."""
        fake = self.fakes_for(z, labels, training, fake)
        fake_logits = self.discriminate(self.augment(fake, training), labels, training=training)
        return self.keep_top_k(self.adversarial_loss.generator(fake_logits), fake_logits, {})

    # ------------------------------------------------------------ the update
    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        self.require_compiled()
        real, labels = self.unpack(data)
        self.check_images(real)
        batch_size = tf.shape(real)[0]
        logs = {}
        # Algorithm 1: k steps on D ...
        for i in range(self.d_steps):
            z = self.sample_latents(batch_size)
            if self.reuse_fakes and i == self.d_steps - 1:
                # The last D step's fakes, made under G's tape for G's step.
                g_tape = tf.GradientTape()
                with g_tape:
                    fake = self.generate_fake(z, labels)
                d_loss, d_logs = self.update(
                    "d", lambda: self.discriminator_loss(real, labels, z, fake=fake))
            else:
                d_loss, d_logs = self.update("d", lambda: self.discriminator_loss(real, labels, z))
        logs.update(d_logs, d_loss=d_loss)
        # ... then one on G.
        if self.reuse_fakes:
            g_loss, g_logs = self.update("g", lambda: self.generator_loss(z, labels, fake=fake),
                                         tape=g_tape)
        else:
            z = self.sample_latents(batch_size)
            g_loss, g_logs = self.update("g", lambda: self.generator_loss(z, labels))
        self.update_ema()
        logs.update(g_logs, g_loss=g_loss)
        return self.record(logs)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]
        z = self.sample_latents(batch_size)
        d_per_example, logs = self.discriminator_loss(real, labels, z, training=False)
        g_per_example, g_logs = self.generator_loss(z, labels, training=False)
        logs.update(g_logs, d_loss=tf.reduce_mean(d_per_example),
                    g_loss=tf.reduce_mean(g_per_example))
        return self.record(logs)

    # ---------------------------------------------------------------- export
    def export_endpoints(self) -> dict:
        """`generate(z)`: float32 (n, latent_dim) latents to images in [-1, 1]."""
        spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")

        def generate(z):
            return tf.cast(self.sampler(z, training=False), tf.float32)

        return {"generate": (generate, [spec])}

    def export_metadata(self) -> dict:
        return {"latent_dim": self.latent_dim, **super().export_metadata()}

    # ------------------------------------------------------ data and grids
    def sample_inputs(self, data: ImageData, n: int, seed: int) -> np.ndarray:
        """Fixed inputs for the per-epoch sample grids (here: `n` latents)."""
        return self.latents(n, seed)

    def sample_grid(self, inputs: np.ndarray) -> np.ndarray:
        from keras_gans import files
        return files.grid(keras.ops.convert_to_numpy(self(inputs, training=False)))
