"""`Translator`: the image-to-image GAN kind (CycleGAN; SRGAN, one direction: upscale).

A translator's generators map images to images, one per direction it
translates (`directions`, e.g. "a2b" and "b2a"); there is no latent z. What the
kind gives every such model: `translate(images, direction)`, `predict(a)` for
the first direction, the SavedModel's endpoint per direction, and the fixed
images of the per-epoch sample grids.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import keras
from typing import TYPE_CHECKING, Any

from keras_gans.core.adversarial import Adversarial
from keras_gans.core.model import TRANSLATOR

if TYPE_CHECKING:
    from keras_gans.data.unpaired import UnpairedImageData


class Translator(Adversarial):
    """Base of the image-to-image models.

    Subclasses build their networks, pass the first generator and
    discriminator on (`Adversarial`), set `image_shape` and say which network
    translates each way (`translators`)."""

    kind = TRANSLATOR
    directions: tuple[str, ...] = ()

    def __init__(self, generator: keras.Model | None = None,
                 discriminator: keras.Model | None = None,
                 image_shape: tuple[int, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, **kwargs)
        self.image_shape = tuple(int(s) for s in image_shape)

    def translators(self) -> dict[str, keras.Model]:
        """{direction: the network that translates that way}."""
        raise NotImplementedError

    # ------------------------------------------------------------- inference
    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The first direction's translation (so `predict(images)` translates)."""
        return self.translator(self.directions[0])(images, training=training)

    def translator(self, direction: str) -> keras.Model:
        """The network for `direction` ("a2b", "ab", "a_to_b", ... all work)."""
        key = str(direction).lower().replace("-", "").replace("_", "").replace("to", "2")
        for name, net in self.translators().items():
            if key in (name, name.replace("2", "")):
                return net
        raise ValueError(f"Unknown direction {direction!r}: use "
                         f"{' or '.join(repr(d) for d in self.directions)}.")

    def translate(self, images: np.ndarray | tf.Tensor, direction: str | None = None,
                  batch_size: int = 16) -> np.ndarray:
        """Translate NHWC images in [-1, 1] (numpy or tensor) the way of
        `direction` (default: the first of `directions`)."""
        net = self.translator(direction or self.directions[0])
        images = np.asarray(images, dtype="float32")
        out = [keras.ops.convert_to_numpy(net(images[i:i + batch_size], training=False))
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out).astype("float32")

    # ---------------------------------------------------------------- export
    def export_endpoints(self) -> dict:
        """One endpoint per direction, e.g. `a2b(images)` and `b2a(images)`:
        NHWC float32 in [-1, 1], any batch size, the trained height/width/channels."""
        spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name="images")

        def endpoint(net):
            return lambda images: tf.cast(net(images, training=False), tf.float32)

        return {d: (endpoint(net), [spec]) for d, net in self.translators().items()}

    def export_metadata(self) -> dict:
        return {**super().export_metadata(), "endpoints": ",".join(self.directions)}

    # ------------------------------------------------------ data and grids
    def sample_inputs(self, data: UnpairedImageData, n: int, seed: int) -> tuple[np.ndarray,
                      np.ndarray]:
        """`n` fixed images of each domain (the test split's when there is one)."""
        fixed = getattr(data, "fixed", None)
        if fixed is not None:
            return fixed(n)
        a, b = [], []
        for batch_a, batch_b in data.dataset:
            a.append(np.asarray(batch_a))
            b.append(np.asarray(batch_b))
            if sum(len(x) for x in a) >= n:
                break
        return np.concatenate(a)[:n], np.concatenate(b)[:n]
