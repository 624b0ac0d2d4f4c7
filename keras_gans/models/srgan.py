"""SRGAN: Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network", CVPR 2017.

A generator G (SRResNet) maps a low-resolution image to one `scale` times
larger; a discriminator D tells real high-resolution images from G's. One run
has the paper's two phases, decided by the checkpointed step counter `sr_step`
(so a run resumed on either side of the boundary goes on in the right phase):

    phase 1, steps < pretrain_steps (SRResNet):
        G minimises   |G(lr) - hr|^2                       pixel MSE; D rests
    phase 2 (SRGAN):
        G minimises   content(G(lr), hr) + 1e-3 * softplus(-D(G(lr)))
        D minimises   softplus(-D(hr)) + softplus(D(G(lr)))

The content loss is pluggable (`content_loss`):

    "mse"            the pixel MSE (SRGAN-MSE in the paper)
    "vgg"            VGG54: the MSE of VGG19's block5_conv4 features, scaled by
                     1/12.75 (the paper's SRGAN-VGG54), with ImageNet weights
                     (Keras downloads them once) or a local weights file
                     (`vgg_weights`); fails with one line naming the fix when
                     neither can be loaded
    "discriminator"  the MSE of D's own features (its 6th conv block): a
                     perceptual loss for machines with no VGG weights
    "auto"           "vgg" where the weights are at hand (the file given, or
                     Keras's cache), else "discriminator", with a warning that
                     says so and why (nothing is downloaded)

Each update goes through `ZooModel.update`, so mixed precision, loss scaling
and `tf.distribute`'s global-batch averaging are the core's; translating and
the export's endpoint are `Translator`'s, here one direction, "upscale",
exported for any image size.
"""

from __future__ import annotations

import os
import pathlib
import warnings
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import tensorflow as tf

from keras_gans import files
from keras_gans.core import Translator
from keras_gans.nets import srresnet

if TYPE_CHECKING:
    from keras_gans.data.paired import PairedImageData

CONTENT_LOSSES = ("auto", "mse", "vgg", "discriminator")
# Where keras.applications.VGG19(weights="imagenet", include_top=False) keeps its download.
VGG_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
SUPER_RESOLUTION = "super_resolution"


class ContentLossWarning(UserWarning):
    """The content loss asked for ("auto") is not the paper's VGG54: says which and why."""


def keras_cache_file(name: str) -> pathlib.Path:
    """Where Keras's `get_file` caches a download called `name`."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(home) / "models" / name


def squared_error(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Mean squared difference per example (float32)."""
    d = tf.square(tf.cast(x, tf.float32) - tf.cast(y, tf.float32))
    return tf.reduce_mean(tf.reshape(d, [tf.shape(d)[0], -1]), axis=1)


class PhaseBoundary(keras.callbacks.Callback):
    """Re-trace SRGAN's train step once its step counter reaches
    `pretrain_steps`, so the next step is phase 2 (`SRGAN.fit` adds it)."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        model = self.model
        if model.pretraining() != getattr(model, "_traced_pretraining", None):
            model.make_train_function()


class PretrainSchedule(keras.callbacks.Callback):
    """G's learning rate in phase 1 (`SRGAN.fit` adds it): `pretrain_lr` for
    the first `pretrain_decay_start` fraction of `pretrain_steps`, then falling
    linearly towards zero at the phase boundary; from the first phase-2 step
    on, G's compiled rate again. The position is read from the checkpointed
    `sr_step`, so a resumed run continues the same schedule."""

    def __init__(self) -> None:
        super().__init__()
        self.restored = False

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        model = self.model
        if not model.pretrain_scheduled:
            return
        from keras_gans.training.schedules import linear_decay_factor
        step = int(keras.ops.convert_to_numpy(model.sr_step))
        if step < model.pretrain_steps:
            model.g_optimizer.learning_rate = model.pretrain_rate() * linear_decay_factor(
                step, model.pretrain_steps, model.pretrain_decay_start)
            self.restored = False
        elif not self.restored:  # (a checkpoint may hold phase 1's last, decayed rate)
            model.g_optimizer.learning_rate = model.initial_learning_rates["g_optimizer"]
            self.restored = True


class SRGAN(Translator):
    """Single-image super-resolution by 2 or 4 (`scale`).

    `fit()` takes a dataset of `(lr, hr)` batches (`SRGAN.load_data`);
    `upscale(images)` (or `translate`) runs G on LR images of any size;
    `self.generator` is G, `self.discriminator` D.

    Args:
        image_shape: (height, width, channels) of the HR training crops (96 px
            in the paper); the networks themselves take any size.
        scale: the upscaling factor, 2 or 4.
        residual_blocks: B, residual blocks of G (16).
        g_filters: G's filters (64).
        d_filters: filters of D's first layer (64; doubled three times to 512).
        d_dense: units of D's hidden dense layer (1024).
        pretrain_steps: steps of phase 1 (SRResNet, pixel MSE) before the GAN phase.
        content_loss: "auto", "mse", "vgg" or "discriminator" (see the module).
        vgg_weights: "imagenet" (Keras's download or cache) or a path to VGG19
            weights without the top (for "vgg" and "auto").
        adversarial_weight: the adversarial loss's weight in G's loss (1e-3).
        bicubic_skip: G adds its output to the bicubic upscaling of its input
            (not in the paper; see `keras_gans.nets.srresnet.srresnet`), so it
            starts as good as bicubic: what a short CPU training needs.
        pretrain_lr: G's learning rate in phase 1 (0: G's compiled rate, as
            in the paper, which keeps 1e-4 throughout).
        pretrain_decay_start: fraction of phase 1 at `pretrain_lr` before it
            falls linearly towards zero at the phase boundary (1: no decay, the
            paper); phase 2 starts again at G's compiled rate. Not with
            `lr_decay_start` < 1, which schedules the whole run.
        color_augment: colour transforms of the training crops, comma-separated
            of "permute", "invert", "mix" ("" for none, the paper's; see
            `keras_gans.data.paired.COLOR_TRANSFORMS`). A data option:
            `load_data` applies it, the model keeps it in its recipe.
        loss: adversarial loss from `keras_gans.core.losses` ("non_saturating").
        seed, lr_decay_start: see `ZooModel`.
    """

    directions = ("upscale",)
    task = SUPER_RESOLUTION
    metric_names = ("g_loss", "pixel", "content", "g_adv", "d_loss", "d_real", "d_fake",
                    "pretraining")
    # Defaults of `keras-gans train` options for this model: the paper's batch
    # and crops (image_size is the HR crop's side).
    train_defaults = {"batch_size": 16, "image_size": 96, "channels": 3, "samples": 4}
    image_shape_owner = "SRGAN takes 3-channel HR crops, not"

    def __init__(self, image_shape: tuple[int, ...] = (96, 96, 3), scale: int = 4,
                 residual_blocks: int = 16, g_filters: int = 64, d_filters: int = 64,
                 d_dense: int = 1024, pretrain_steps: int = 1000, content_loss: str = "auto",
                 vgg_weights: str = "imagenet", adversarial_weight: float = 1e-3,
                 bicubic_skip: bool = False, pretrain_lr: float = 0.0,
                 pretrain_decay_start: float = 1.0, color_augment: str = "",
                 loss: str = "non_saturating", seed: int | None = None, **kwargs: Any):
        image_shape = tuple(int(s) for s in image_shape)
        scale = srresnet.check_scale(scale)
        if image_shape[-1] != 3:
            raise ValueError(f"SRGAN works on RGB images (3 channels), not {image_shape[-1]}.")
        if image_shape[0] % scale or image_shape[1] % scale:
            raise ValueError(f"The HR crop {image_shape[0]}x{image_shape[1]} must be a multiple "
                             f"of the scale {scale}.")
        if str(content_loss) not in CONTENT_LOSSES:
            raise ValueError(f"content_loss must be one of {', '.join(CONTENT_LOSSES)}, not "
                             f"{content_loss!r}.")
        if int(pretrain_steps) < 0 or float(adversarial_weight) < 0:
            raise ValueError("pretrain_steps and adversarial_weight must be 0 or more.")
        if float(pretrain_lr) < 0 or not 0.0 <= float(pretrain_decay_start) <= 1.0:
            raise ValueError(f"pretrain_lr must be 0 (G's rate) or more and pretrain_decay_start "
                             f"a fraction in [0, 1], not {pretrain_lr} and "
                             f"{pretrain_decay_start}.")
        from keras_gans.data import paired
        color_augment = ",".join(paired.check_color_augment(color_augment))
        if float(pretrain_decay_start) < 1.0 and float(kwargs.get("lr_decay_start", 1.0)) < 1.0:
            raise ValueError("pretrain_decay_start schedules phase 1 and lr_decay_start the whole "
                             "run: set one of them to 1.")
        self.hparams = dict(image_shape=image_shape, scale=scale,
                            residual_blocks=int(residual_blocks), g_filters=int(g_filters),
                            d_filters=int(d_filters), d_dense=int(d_dense),
                            pretrain_steps=int(pretrain_steps), content_loss=str(content_loss),
                            vgg_weights=str(vgg_weights),
                            adversarial_weight=float(adversarial_weight),
                            bicubic_skip=bool(bicubic_skip), pretrain_lr=float(pretrain_lr),
                            pretrain_decay_start=float(pretrain_decay_start),
                            color_augment=color_augment)
        g = srresnet.srresnet(scale, g_filters, residual_blocks, image_shape[-1],
                              bicubic_skip=bool(bicubic_skip))
        d = srresnet.discriminator(d_filters, d_dense, image_shape[-1])
        super().__init__(g, d, image_shape=image_shape, loss=loss, seed=seed, **kwargs)
        self.scale = scale
        self.pretrain_steps = int(pretrain_steps)
        self.adversarial_weight = float(adversarial_weight)
        self.pretrain_lr = float(pretrain_lr)
        self.pretrain_decay_start = float(pretrain_decay_start)
        # The step counter that decides the phase; checkpointed with the weights.
        self.sr_step = self.add_weight(name="sr_step", shape=(), dtype="int64",
                                       initializer="zeros", trainable=False,
                                       aggregation="only_first_replica")
        # D's logits and its features in one pass (the same weights as D).
        self.d_with_features = keras.Model(
            d.inputs, [d.output, d.get_layer(srresnet.D_FEATURE_LAYER).output],
            name="discriminator_features")
        self.content_loss, self.content_reason = self.resolve_content_loss(
            str(content_loss), str(vgg_weights))
        # The frozen VGG54 is kept out of Keras's tracking: it is not the
        # model's to train, checkpoint (80 MB each time) or export.
        object.__setattr__(self, "_vgg54", srresnet.vgg54(self.vgg_source)
                           if self.content_loss == "vgg" else None)

    @property
    def vgg(self) -> keras.Model | None:
        """The frozen VGG54 feature network of the "vgg" content loss (else None)."""
        return self._vgg54

    # --------------------------------------------------------- content loss
    def resolve_content_loss(self, wanted: str, weights: str) -> tuple[str, str]:
        """(the content loss to use, why): "auto" becomes "vgg" when VGG19
        weights are at hand, else "discriminator" with a `ContentLossWarning`;
        "vgg" whose weights cannot be loaded raises a one-line ValueError."""
        self.vgg_source = None
        if wanted in ("mse", "discriminator"):
            return wanted, "asked for"
        local = weights != "imagenet"
        path = pathlib.Path(os.path.expanduser(weights)) if local else keras_cache_file(VGG_FILE)
        if wanted == "auto":
            if path.is_file():
                self.vgg_source = str(path)
                return "vgg", f"VGG19 weights found at {path}"
            why = (f"the VGG19 weights file {path} does not exist" if local else
                   f"VGG19's ImageNet weights are not in Keras's cache ({path}) and auto "
                   f"downloads nothing")
            warnings.warn(f"content_loss=auto: {why}, so SRGAN uses the discriminator's own "
                          f"features as its content loss (not the paper's VGG54); for VGG54 "
                          f"pass --vgg-weights FILE or --content-loss vgg (downloads them).",
                          ContentLossWarning, stacklevel=3)
            return "discriminator", why
        # "vgg": the paper's loss or a clear failure.
        if local and not path.is_file():
            raise ValueError(f"content_loss=vgg: the VGG19 weights file {path} does not exist: "
                             f"pass --vgg-weights FILE (Keras's {VGG_FILE}), or use "
                             f"--content-loss discriminator (no weights needed).")
        self.vgg_source = str(path) if local else "imagenet"
        try:
            srresnet.vgg54(self.vgg_source)
        except Exception as e:  # download refused, damaged file, ...
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise ValueError(f"content_loss=vgg: VGG19's weights could not be loaded "
                             f"({type(e).__name__}: {first}): pass --vgg-weights FILE (Keras's "
                             f"{VGG_FILE}), or use --content-loss discriminator (no weights "
                             f"needed).") from None
        return "vgg", f"VGG19 weights from {self.vgg_source}"

    def content_terms(self, sr: tf.Tensor, hr: tf.Tensor,
                      sr_features: tf.Tensor | None = None,
                      training: bool = True) -> tf.Tensor:
        """The per-example content loss of `sr` against `hr`."""
        if self.content_loss == "mse":
            return squared_error(sr, hr)
        if self.content_loss == "vgg":
            scale = srresnet.VGG_SCALE
            fake = self.vgg(srresnet.vgg_input(sr), training=False)
            real = tf.stop_gradient(self.vgg(srresnet.vgg_input(hr), training=False))
            return squared_error(tf.cast(fake, tf.float32) * scale,
                                 tf.cast(real, tf.float32) * scale)
        if sr_features is None:
            _, sr_features = self.d_with_features(sr, training=training)
        _, hr_features = self.d_with_features(hr, training=training)
        return squared_error(sr_features, tf.stop_gradient(hr_features))

    # ------------------------------------------------------------ the update
    def translators(self) -> dict:
        return {"upscale": self.generator}

    def unpack_pair(self, data: Any) -> tuple[tf.Tensor, tf.Tensor]:
        """(lr, hr) from a batch."""
        if isinstance(data, (tuple, list)) and len(data) == 2:
            return data[0], data[1]
        raise ValueError("SRGAN trains on (lr, hr) pairs of images: load them with "
                         "SRGAN.load_data (or keras_gans.data.paired.load_pairs).")

    def check_pair(self, lr: tf.Tensor, hr: tf.Tensor) -> None:
        """Raise a ValueError unless `hr` is `scale` times `lr` with 3 channels."""
        lh, lw, lc = lr.shape[1:]
        hh, hw, hc = hr.shape[1:]
        if hc not in (None, 3) or lc not in (None, 3):
            raise ValueError(f"SRGAN takes RGB images (3 channels), not {lc} and {hc}.")
        if None not in (lh, lw, hh, hw) and (hh, hw) != (lh * self.scale, lw * self.scale):
            raise ValueError(f"The HR images ({hh}x{hw}) must be {self.scale} times the LR ones "
                             f"({lh}x{lw}): this SRGAN was built for scale={self.scale}.")

    def pixel_terms(self, lr: tf.Tensor, hr: tf.Tensor) -> tuple[tf.Tensor, dict]:
        """Phase 1's per-example loss (pixel MSE) and values to log."""
        sr = self.generator(lr, training=True)
        pixel = squared_error(sr, hr)
        return pixel, {"pixel": tf.reduce_mean(pixel)}

    def generator_terms(self, lr: tf.Tensor, hr: tf.Tensor,
                        training: bool = True) -> tuple[tf.Tensor, dict]:
        """Phase 2's per-example G loss (content + weight x adversarial) and
        values to log (with the fakes, under "sr")."""
        sr = self.generator(lr, training=training)
        logits, features = self.d_with_features(sr, training=training)
        content = self.content_terms(sr, hr, features, training=training)
        adv = self.adversarial_loss.generator(logits)
        logs = {"content": tf.reduce_mean(content), "g_adv": tf.reduce_mean(adv),
                "pixel": tf.reduce_mean(squared_error(sr, hr)), "sr": sr}
        return content + self.adversarial_weight * adv, logs

    def discriminator_terms(self, hr: tf.Tensor, sr: tf.Tensor,
                            training: bool = True) -> tuple[tf.Tensor, dict]:
        """D's per-example loss on real HR and G's SR images, and values to log."""
        real_logits = self.discriminator(hr, training=training)
        fake_logits = self.discriminator(sr, training=training)
        per_example = self.adversarial_loss.discriminator(real_logits, fake_logits)
        logs = {"d_real": self.probability(real_logits), "d_fake": self.probability(fake_logits)}
        per_example, logs = self.add_penalty(per_example, logs, hr, sr,
                                             lambda x: self.discriminator(x, training=training))
        return per_example, logs

    def pretraining(self) -> bool:
        """Whether the next step is phase 1 (SRResNet pre-training), read
        from the step counter `sr_step`."""
        return int(keras.ops.convert_to_numpy(self.sr_step)) < self.pretrain_steps

    @property
    def pretrain_scheduled(self) -> bool:
        """Whether phase 1 has its own learning-rate schedule (`PretrainSchedule`)."""
        return self.pretrain_lr > 0 or self.pretrain_decay_start < 1.0

    def pretrain_rate(self) -> float:
        """G's base learning rate in phase 1: `pretrain_lr`, or G's compiled rate."""
        return self.pretrain_lr or self.initial_learning_rates["g_optimizer"]

    def make_train_function(self, force: bool = False) -> Any:
        # The phase is a Python choice made when the step is traced (a
        # tf.cond around the updates would put tf.distribute's gradient
        # all-reduce and synchronized batch norm inside control flow, which
        # MirroredStrategy refuses), so the step is traced again whenever the
        # counter has crossed the boundary: here, at the start of every
        # fit/train_on_batch, and after each batch by `PhaseBoundary`.
        phase = self.pretraining()
        if phase != getattr(self, "_traced_pretraining", None):
            self._traced_pretraining = phase
            force = True
        return super().make_train_function(force=force)

    def fit(self, *args: Any, callbacks: list | None = None,
            **kwargs: Any) -> keras.callbacks.History:
        """`keras.Model.fit`, with the callbacks that switch from phase 1 to
        phase 2 at `pretrain_steps` (`PhaseBoundary`) and set G's rate in
        phase 1 (`PretrainSchedule`) added."""
        callbacks = list(callbacks or [])
        for kind in (PretrainSchedule, PhaseBoundary):
            if not any(isinstance(c, kind) for c in callbacks):
                callbacks.insert(0, kind())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        self.require_compiled()
        lr, hr = self.unpack_pair(data)
        self.check_pair(lr, hr)
        zero = tf.constant(0.0)
        pretraining = getattr(self, "_traced_pretraining", None)
        if pretraining is None:  # traced outside make_train_function
            pretraining = self._traced_pretraining = self.pretraining()
        if pretraining:  # phase 1, SRResNet: the pixel MSE, D rests
            g_loss, logs = self.update("g", lambda: self.pixel_terms(lr, hr))
            logs.update(g_loss=g_loss, content=logs["pixel"], g_adv=zero, d_loss=zero,
                        d_real=zero, d_fake=zero)
        else:  # phase 2, SRGAN: content + weight x adversarial; then D
            g_loss, logs = self.update("g", lambda: self.generator_terms(lr, hr))
            sr = tf.stop_gradient(tf.cast(logs.pop("sr"), tf.float32))
            d_loss, d_logs = self.update("d", lambda: self.discriminator_terms(hr, sr))
            logs.update(d_logs, g_loss=g_loss, d_loss=d_loss)
        # After the updates (and only when a batch came: an exhausted
        # iterator must not count a step).
        with tf.control_dependencies([g_loss]):
            self.sr_step.assign_add(1)
        logs["pretraining"] = tf.constant(1.0 if pretraining else 0.0)
        return self.record(logs)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        lr, hr = self.unpack_pair(data)
        g_per_example, logs = self.generator_terms(lr, hr, training=False)
        d_per_example, d_logs = self.discriminator_terms(hr, logs.pop("sr"), training=False)
        logs.update(d_logs, g_loss=tf.reduce_mean(g_per_example),
                    d_loss=tf.reduce_mean(d_per_example))
        return self.record(logs)

    # ------------------------------------------------------------ inference
    def upscale(self, images: np.ndarray | tf.Tensor, batch_size: int = 8) -> np.ndarray:
        """LR NHWC images in [-1, 1] (any size) `scale` times larger, [-1, 1]."""
        return np.clip(self.translate(images, "upscale", batch_size), -1.0, 1.0)

    def export_endpoints(self) -> dict:
        """`upscale(images)`: float32 NHWC in [-1, 1], any batch, height and
        width, 3 channels; `scale` times larger, in [-1, 1]."""
        spec = tf.TensorSpec([None, None, None, 3], tf.float32, name="images")

        def upscale(images):
            out = self.generator(images, training=False)
            return tf.clip_by_value(tf.cast(out, tf.float32), -1.0, 1.0)

        return {"upscale": (upscale, [spec])}

    def export_metadata(self) -> dict:
        return {**super().export_metadata(), "scale": self.scale, "task": SUPER_RESOLUTION,
                "content_loss": self.content_loss}

    # ------------------------------------------------------ data and grids
    @classmethod
    def load_data(cls, name: str, batch_size: int = 16,
                  image_size: int | tuple[int, int] | None = None, channels: int | None = None,
                  seed: int | None = None, scale: int = 4, color_augment: str = "",
                  **kwargs) -> PairedImageData:
        """`(lr, hr)` batches of random `image_size` px HR crops of `name` (a
        folder, "photos" or "div2k"), through the colour transforms
        `color_augment`, and their bicubic LR (see
        `keras_gans.data.paired.load_pairs`)."""
        from keras_gans.data import paired
        if channels not in (None, 3):
            raise ValueError(f"SRGAN works on RGB images: --channels 3, not {channels}.")
        size = image_size or 96
        if isinstance(size, (tuple, list)):
            if len(set(size)) != 1:
                raise ValueError(f"SRGAN's HR crops are square: --image-size N, not {size}.")
            size = size[0]
        return paired.load_pairs(name, batch_size=batch_size, crop=int(size),
                                 scale=srresnet.check_scale(scale), seed=seed,
                                 color_augment=color_augment, **kwargs)

    def sample_inputs(self, data: PairedImageData, n: int, seed: int) -> tuple:
        """(LR, HR) centre crops of the held-out images (the training crops'
        size), cycling through them for `n` rows."""
        from keras_gans.data import paired
        size = self.image_shape[0]
        images = data.test_images() if getattr(data, "test_images", None) else []
        hrs = []
        for i in range(int(n)):
            if not images:
                break
            img = images[i % len(images)].astype("float32") / 127.5 - 1.0
            if min(img.shape[:2]) < size:
                continue
            y, x = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
            hrs.append(img[y:y + size, x:x + size])
        if not hrs:  # no held-out images: the first training batch
            lr, hr = next(iter(data.dataset))
            return np.asarray(lr)[:n], np.asarray(hr)[:n]
        hr = np.stack(hrs)
        return paired.downscale(hr, self.scale).numpy(), hr

    def sample_grid(self, inputs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Rows of: bicubic upscaling, G's, the real HR image."""
        from keras_gans.data import paired
        lr, hr = inputs
        bicubic = paired.upscale_bicubic(lr, self.scale).numpy()
        tiles = np.stack([bicubic, self.upscale(lr), hr], axis=1)
        return files.grid(tiles.reshape(-1, *tiles.shape[2:]), ncols=3)
