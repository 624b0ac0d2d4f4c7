"""CycleGAN: Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation
using Cycle-Consistent Adversarial Networks", ICCV 2017.

Two generators, G: A -> B and F: B -> A, and two discriminators, D_B (is this
a real B?) and D_A (a real A?), trained on unpaired images of the two domains:

    G, F minimise   L_adv(G, D_B) + L_adv(F, D_A)
                  + lambda * (|F(G(a)) - a|_1 + |G(F(b)) - b|_1)        cycle
                  + lambda * identity * (|G(b) - b|_1 + |F(a) - a|_1)   identity
    D_A, D_B minimise their adversarial losses, halved,

with lambda = 10, identity = 0.5 and least-squares adversarial losses
(G: (D(G(a)) - 1)^2; D: ((D(b) - 1)^2 + D(G(a))^2) / 2). D sees fakes drawn
from a history of 50 past fakes half of the time (`ImagePool`). The networks
are `keras_gans.nets.image2image`'s ResNet generator and 70x70 PatchGAN. Adam
(2e-4, beta_1 0.5) at a constant rate for the first half of training, then
decaying linearly to zero (`keras_gans.training.schedules.LinearDecay`).

One `train_step` updates G and F together (optimizer "g"), then D_A and D_B
together (optimizer "d"), through `ZooModel.update`, so mixed precision, loss
scaling and `tf.distribute` loss averaging are the core's; translating, the
export's `a2b`/`b2a` endpoints and the fixed sample images are `Translator`'s.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from typing import TYPE_CHECKING, Any

from keras_gans import files
from keras_gans.core import Translator
from keras_gans.core.model import replica_context
from keras_gans.nets import image2image

if TYPE_CHECKING:
    from keras_gans.core.losses import AdversarialLoss
    from keras_gans.data.unpaired import UnpairedImageData


def l1(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Mean absolute difference per example (float32)."""
    d = tf.abs(tf.cast(x, tf.float32) - tf.cast(y, tf.float32))
    return tf.reduce_mean(tf.reshape(d, [tf.shape(d)[0], -1]), axis=1)


def objective_scales(loss: str | AdversarialLoss) -> tuple[float, float]:
    """(G scale, D scale) turning a zoo loss into the CycleGAN objective.

    The paper halves D's loss and leaves G's as is. The zoo's least-squares
    loss already carries LSGAN's 1/2 on both players, so for it G's loss is
    doubled (giving (D(G(a)) - 1)^2, the term lambda = 10 was tuned against)
    and D's is left as it is; other losses keep G's and halve D's."""
    if loss.name == "least_squares":
        return 2.0, 1.0
    return 1.0, 0.5


class ImagePool:
    """A history of past fakes (Shrivastava et al. 2017), as CycleGAN uses it.

    Until `size` fakes have been seen, each fake is stored and passed through.
    After that, each fake is, with probability 1/2, swapped with a randomly
    chosen stored one (the stored one goes to D, the new one takes its slot),
    and otherwise passed through. A batch gives the same result as its fakes
    handled one after another.

    The buffer is a `tf.Variable` updated with scatters and the choices are
    stateless random draws from a given seed, so it works inside `tf.function`,
    under XLA and under `tf.distribute` (each replica keeps its own pool). The
    pool is not part of the model's weights: it refills within `size` fakes.
    """

    def __init__(self, size: int, image_shape: tuple[int, ...], name: str = "image_pool"):
        self.size = int(size)
        if self.size < 0:
            raise ValueError(f"The image pool size must be 0 (no pool) or more, not {size}.")
        self.image_shape = tuple(int(s) for s in image_shape)
        self.per_replica = False
        if self.size == 0:
            return
        kwargs = {}
        self.per_replica = tf.distribute.has_strategy()
        if self.per_replica:  # one pool per replica
            kwargs = dict(synchronization=tf.VariableSynchronization.ON_READ,
                          aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        # One spare slot at the end takes the writes of fakes that are not stored.
        self.images = tf.Variable(tf.zeros((self.size + 1, *self.image_shape), tf.float32),
                                  trainable=False, name=f"{name}_images", **kwargs)
        self.count = tf.Variable(0, dtype=tf.int32, trainable=False, name=f"{name}_count",
                                 **kwargs)

    def query(self, images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """The images to show D for this batch of fakes; updates the pool.
        `seed` is a stateless seed (shape [2] integer tensor)."""
        if self.size == 0:
            return images
        images = tf.cast(images, tf.float32)
        n = tf.shape(images)[0]
        count = self.count.read_value()
        slot = count + tf.range(n)
        filling = slot < self.size
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
        use_old = tf.random.stateless_uniform([n], seeds[0]) < 0.5
        pick = tf.random.stateless_uniform([n], seeds[1], minval=0, maxval=self.size,
                                           dtype=tf.int32)
        swap = tf.logical_and(tf.logical_not(filling), use_old)
        write = tf.logical_or(filling, swap)
        target = tf.where(filling, slot, pick)
        # Handle the batch as one fake after another would be: a fake that
        # picks a slot an earlier fake of this batch wrote gets that fake, and
        # of several writes to one slot only the last is kept.
        i, j = tf.range(n)[:, None], tf.range(n)[None, :]
        earlier = tf.logical_and(j < i, write[None, :])
        same = tf.equal(target[None, :], pick[:, None])
        hit = tf.logical_and(earlier, same)  # [i, j]: j wrote the slot i picks, before i
        last = tf.reduce_max(tf.where(hit, j, -1), axis=1)
        old = tf.where((last >= 0)[:, None, None, None],
                       tf.gather(images, tf.maximum(last, 0)), tf.gather(self.images, pick))
        out = tf.where(swap[:, None, None, None], old, images)
        overwritten = tf.reduce_any(tf.logical_and(
            tf.logical_and(j > i, write[None, :]), tf.equal(target[None, :], target[:, None])),
            axis=1)
        keep = tf.logical_and(write, tf.logical_not(overwritten))
        # Fakes that are not kept go to the spare slot at the end.
        where = tf.where(keep, target, tf.fill([n], self.size))[:, None]
        if self.per_replica:  # replica-local variables take whole assignments only
            self.images.assign(tf.tensor_scatter_nd_update(self.images.read_value(), where,
                                                           images))
        else:
            self.images.scatter_nd_update(where, images)
        self.count.assign(tf.minimum(count + n, self.size))
        return out


class CycleGAN(Translator):
    """Unpaired image-to-image translation between domains A and B.

    `fit()` takes a dataset of `(a, b)` batches (`CycleGAN.load_data`).
    `translate(images, "a2b")` / `"b2a"` run the trained generators;
    `self.generator` is G (A -> B), `self.generator_b2a` F (B -> A),
    `self.discriminator` D_B and `self.discriminator_a` D_A.

    Args:
        image_shape: (height, width, channels) of both domains' images.
        g_filters: filters of the generators' first layer (64).
        d_filters: filters of the discriminators' first layer (64).
        residual_blocks: residual blocks in each generator (default: 9 for
            256px images and larger, 6 below, as in the paper).
        d_layers: stride-2 layers of the PatchGAN (3: 70x70 patches).
        cycle_weight: lambda, the weight of the cycle-consistency L1 (10).
        identity_weight: the identity L1's weight as a fraction of lambda
            (0.5; 0 turns the identity loss off).
        pool_size: past fakes kept for each discriminator (50; 0: none).
        lr_decay_start: fraction of training at the base learning rate before
            the linear decay to zero (0.5: the paper's 100 + 100 epochs).
        loss: adversarial loss from `keras_gans.core.losses` ("least_squares").
        seed: seed of the image pools' random choices.
    """

    # Measured on a 2-core CPU: XLA made this step 1.3x faster (see training.train.auto_xla).
    xla_on_cpu = True
    directions = ("a2b", "b2a")

    metric_names = ("g_loss", "g_adv", "f_adv", "cycle", "identity", "d_a", "d_b")
    # Defaults of `keras-gans train` options for this model (the paper's).
    train_defaults = {"batch_size": 1, "epochs": 200, "image_size": 256, "channels": 3,
                      "samples": 4}

    def __init__(self, image_shape: tuple[int, ...] = (256, 256, 3), g_filters: int = 64,
                 d_filters: int = 64, residual_blocks: int | None = None, d_layers: int = 3,
                 cycle_weight: float = 10.0, identity_weight: float = 0.5, pool_size: int = 50,
                 lr_decay_start: float = 0.5, loss: str = "least_squares", seed: int | None = None,
                 **kwargs):
        image_shape = tuple(int(s) for s in image_shape)
        blocks = (image2image.default_residual_blocks(min(image_shape[:2]))
                  if residual_blocks is None else int(residual_blocks))
        if float(cycle_weight) < 0 or float(identity_weight) < 0:
            raise ValueError("cycle_weight and identity_weight must be 0 or more.")
        self.hparams = dict(image_shape=image_shape, g_filters=int(g_filters),
                            d_filters=int(d_filters), residual_blocks=residual_blocks,
                            d_layers=int(d_layers), cycle_weight=float(cycle_weight),
                            identity_weight=float(identity_weight), pool_size=int(pool_size),
                            lr_decay_start=float(lr_decay_start))
        g = image2image.resnet_generator(image_shape, g_filters, blocks, name="generator_a2b")
        f = image2image.resnet_generator(image_shape, g_filters, blocks, name="generator_b2a")
        d_b = image2image.patch_discriminator(image_shape, d_filters, d_layers,
                                              name="discriminator_b")
        d_a = image2image.patch_discriminator(image_shape, d_filters, d_layers,
                                              name="discriminator_a")
        super().__init__(g, d_b, image_shape=image_shape, loss=loss, seed=seed,
                         lr_decay_start=lr_decay_start, **kwargs)
        self.generator_b2a = f
        self.discriminator_a = d_a
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pool_a = ImagePool(pool_size, image_shape, name="pool_a")
        self.pool_b = ImagePool(pool_size, image_shape, name="pool_b")

    def translators(self) -> dict:
        return {"a2b": self.generator, "b2a": self.generator_b2a}

    def generator_variables(self) -> list[tf.Variable]:
        return self.generator.trainable_variables + self.generator_b2a.trainable_variables

    def discriminator_variables(self) -> list[tf.Variable]:
        return self.discriminator_a.trainable_variables + self.discriminator.trainable_variables

    # ----------------------------------------------------------- the losses
    def unpack_pair(self, data: Any) -> tuple[tf.Tensor, tf.Tensor]:
        """(a, b) from a batch of both domains."""
        if isinstance(data, dict):
            return data["a"], data["b"]
        if isinstance(data, (tuple, list)) and len(data) == 2:
            return data[0], data[1]
        raise ValueError("CycleGAN trains on (a, b) batches of the two domains: load the data "
                         "with CycleGAN.load_data (keras_gans.unpaired.load_unpaired).")

    def generator_terms(self, real_a: tf.Tensor, real_b: tf.Tensor,
                        training: bool = True) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """Per-example loss of G and F together, and values to log (the fakes
        among them, for the discriminator step)."""
        g_scale, _ = objective_scales(self.adversarial_loss)
        fake_b = self.generator(real_a, training=training)
        fake_a = self.generator_b2a(real_b, training=training)
        rec_a = self.generator_b2a(fake_b, training=training)
        rec_b = self.generator(fake_a, training=training)
        g_adv = g_scale * self.adversarial_loss.generator(
            self.discriminator(fake_b, training=training))
        f_adv = g_scale * self.adversarial_loss.generator(
            self.discriminator_a(fake_a, training=training))
        cycle_a, cycle_b = l1(rec_a, real_a), l1(rec_b, real_b)
        total = g_adv + f_adv + self.cycle_weight * (cycle_a + cycle_b)
        logs = {"g_adv": tf.reduce_mean(g_adv), "f_adv": tf.reduce_mean(f_adv),
                "cycle": 0.5 * tf.reduce_mean(cycle_a + cycle_b),
                "fake_a": fake_a, "fake_b": fake_b}
        if self.identity_weight > 0:
            idt_b = l1(self.generator(real_b, training=training), real_b)
            idt_a = l1(self.generator_b2a(real_a, training=training), real_a)
            total += self.cycle_weight * self.identity_weight * (idt_a + idt_b)
            logs["identity"] = 0.5 * tf.reduce_mean(idt_a + idt_b)
        return total, logs

    def discriminator_terms(self, real_a: tf.Tensor, real_b: tf.Tensor, fake_a: tf.Tensor,
                            fake_b: tf.Tensor, training: bool = True) -> tuple[tf.Tensor,
                            dict[str, tf.Tensor]]:
        """Per-example loss of D_A and D_B together, and values to log."""
        _, d_scale = objective_scales(self.adversarial_loss)
        d_a = d_scale * self.adversarial_loss.discriminator(
            self.discriminator_a(real_a, training=training),
            self.discriminator_a(fake_a, training=training))
        d_b = d_scale * self.adversarial_loss.discriminator(
            self.discriminator(real_b, training=training),
            self.discriminator(fake_b, training=training))
        logs = {"d_a": tf.reduce_mean(d_a), "d_b": tf.reduce_mean(d_b)}
        if self.penalty is None:
            return d_a + d_b, logs
        # A gradient penalty on each discriminator; the log is their sum.
        total, pen_a = self.add_penalty(d_a + d_b, {}, real_a, fake_a,
                                        lambda x: self.discriminator_a(x, training=training))
        total, pen_b = self.add_penalty(total, {}, real_b, fake_b,
                                        lambda x: self.discriminator(x, training=training))
        name = self.penalty.name
        return total, {**logs, name: pen_a[name] + pen_b[name]}

    def pool_seeds(self) -> list[tf.Tensor]:
        """Two stateless seeds for the pools, different on every replica."""
        replica, _ = replica_context()
        seed = tf.random.experimental.stateless_fold_in(
            tf.cast(self.seed_generator.next(), tf.int64), replica)
        return tf.unstack(tf.random.experimental.stateless_split(seed, 2))

    # ------------------------------------------------------------ the update
    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        self.require_compiled()
        real_a, real_b = self.unpack_pair(data)
        self.check_images(real_a)
        self.check_images(real_b)
        g_loss, logs = self.update("g", lambda: self.generator_terms(real_a, real_b))
        fake_a = tf.stop_gradient(logs.pop("fake_a"))
        fake_b = tf.stop_gradient(logs.pop("fake_b"))
        seed_a, seed_b = self.pool_seeds()
        pooled_a = self.pool_a.query(fake_a, seed_a)
        pooled_b = self.pool_b.query(fake_b, seed_b)
        _, d_logs = self.update(
            "d", lambda: self.discriminator_terms(real_a, real_b, pooled_a, pooled_b))
        logs.update(d_logs, g_loss=g_loss)
        return self.record(logs)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        real_a, real_b = self.unpack_pair(data)
        g_per_example, logs = self.generator_terms(real_a, real_b, training=False)
        _, d_logs = self.discriminator_terms(real_a, real_b, logs.pop("fake_a"),
                                             logs.pop("fake_b"), training=False)
        logs.update(d_logs, g_loss=tf.reduce_mean(g_per_example))
        return self.record(logs)

    # ------------------------------------------------------ data and grids
    @classmethod
    def load_data(cls, name: str, batch_size: int = 1,
                  image_size: int | tuple[int, int] | None = None, channels: int | None = None,
                  seed: int | None = None, **kwargs) -> UnpairedImageData:
        """Two unpaired domains as `(a, b)` batches (see
        `keras_gans.data.unpaired.load_unpaired`), with the paper's resize, random
        crop and flip for training."""
        from keras_gans.data import unpaired
        return unpaired.load_unpaired(name, batch_size=batch_size, image_size=image_size,
                                      channels=channels, seed=seed, **kwargs)

    def sample_grid(self, inputs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Rows of: real A, G(A), F(G(A)), real B, F(B), G(F(B))."""
        a, b = inputs
        fake_b = self.translate(a, "a2b")
        rec_a = self.translate(fake_b, "b2a")
        fake_a = self.translate(b, "b2a")
        rec_b = self.translate(fake_a, "a2b")
        rows = min(len(a), len(b))
        tiles = np.stack([a[:rows], fake_b[:rows], rec_a[:rows],
                          b[:rows], fake_a[:rows], rec_b[:rows]], axis=1)
        return files.grid(tiles.reshape(-1, *tiles.shape[2:]), ncols=6)
