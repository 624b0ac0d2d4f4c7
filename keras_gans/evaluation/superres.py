"""Scoring super-resolution (SRGAN) by the yardsticks of SR papers.

    psnr       PSNR (dB) on the Y channel of YCbCr (ITU-R BT.601, 16..235)
    ssim       SSIM on the Y channel (`tf.image.ssim`, 11x11 Gaussian window)
    sharpness  high-frequency energy ratio: the mean squared Laplacian of SR's
               Y channel over HR's; 1.0 is as sharp as HR, below 1 blurrier
               (bicubic and pixel-MSE models sit well below 1), above 1
               noisier or over-sharpened

`self_ensemble(upscale)` wraps any upscaler in the x8 geometric self-ensemble
(Timofte et al., CVPR 2016; EDSR+ in Lim et al., CVPRW 2017): the LR input is
upscaled in its 8 flips and quarter turns, each output turned back, and the 8
averaged; 8 times the work, a little more PSNR, no training.

Each is measured on whole held-out images, `scale` pixels cropped off every
border (as SR papers do: the borders of an upscaled image lack context),
averaged over the images, beside the same number for bicubic upsampling of the
same LR inputs. The best-checkpoint callback (`EvaluateEvery`) picks by psnr or
ssim (higher is better) or sharpness (closest to 1).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from keras_gans.evaluation import metrics

SR_METRICS = ("psnr", "ssim", "sharpness")
LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))


def y_channel(images: np.ndarray | tf.Tensor) -> tf.Tensor:
    """The luma Y (16..235, ITU-R BT.601 as MATLAB's rgb2ycbcr) of RGB images
    in [-1, 1], HWC or NHWC, keeping a channel axis of 1."""
    rgb = (tf.cast(images, tf.float32) + 1.0) / 2.0
    weights = tf.constant([65.481, 128.553, 24.966], tf.float32)
    return 16.0 + tf.reduce_sum(rgb * weights, axis=-1, keepdims=True)


def _crop(y: tf.Tensor, border: int) -> tf.Tensor:
    return y[..., border:-border, border:-border, :] if border else y


def high_frequency_energy(y: tf.Tensor) -> tf.Tensor:
    """Mean squared Laplacian of Y images (HW1 or NHW1)."""
    y = y if y.shape.rank == 4 else y[None]
    kernel = tf.reshape(tf.constant(LAPLACIAN, tf.float32), [3, 3, 1, 1])
    lap = tf.nn.conv2d(y, kernel, strides=1, padding="VALID")
    return tf.reduce_mean(tf.square(lap))


def image_scores(sr: np.ndarray, hr: np.ndarray, border: int) -> dict:
    """{psnr, ssim, sharpness} of one SR image against its HR image (HWC, [-1, 1])."""
    if sr.shape != hr.shape:
        raise metrics.MetricError(f"SR image {sr.shape} and HR image {hr.shape} differ in size.")
    ys, yh = _crop(y_channel(sr), border), _crop(y_channel(hr), border)
    return {"psnr": float(tf.image.psnr(ys, yh, max_val=255.0)),
            "ssim": float(tf.image.ssim(ys, yh, max_val=255.0)),
            "sharpness": float(high_frequency_energy(ys) / high_frequency_energy(yh))}


def bicubic(scale: int) -> Callable[[np.ndarray], np.ndarray]:
    """The baseline: `upscale(lr)` by bicubic interpolation, [-1, 1]."""
    from keras_gans.data.paired import upscale_bicubic
    return lambda lr: upscale_bicubic(lr, scale).numpy()


Upscaler = Callable[[np.ndarray], np.ndarray]


def self_ensemble(upscale: Upscaler) -> Upscaler:
    """`upscale` (LR NHWC -> HR NHWC) averaged over the 8 symmetries of the
    square: each LR batch is flipped and turned (4 quarter turns, each with and
    without a left-right flip), upscaled, turned back, and the 8 outputs are
    averaged. Equal to `upscale` for an upscaler that commutes with these
    symmetries (bicubic does); for a trained network it averages away the
    errors that depend on orientation."""
    def ensembled(lr: np.ndarray) -> np.ndarray:
        lr = np.asarray(lr, "float32")
        total = None
        for quarter_turns in range(4):
            for flip in (False, True):
                x = np.rot90(lr, quarter_turns, axes=(1, 2))
                x = x[:, :, ::-1] if flip else x
                y = np.asarray(upscale(np.ascontiguousarray(x)), "float32")
                y = y[:, :, ::-1] if flip else y
                y = np.rot90(y, -quarter_turns, axes=(1, 2))
                total = y if total is None else total + y
        return total / 8.0
    return ensembled


def export_upscaler(loaded: object, ensemble: bool = False) -> Upscaler:
    """The `upscale` endpoint of a loaded SRGAN export as an upscaler on numpy
    batches; its x8 self-ensemble when `ensemble`."""
    def upscale(lr: np.ndarray) -> np.ndarray:
        return loaded.upscale(tf.constant(lr)).numpy()
    return self_ensemble(upscale) if ensemble else upscale


def measure(upscale: Callable[[np.ndarray], np.ndarray],
            pairs: Sequence[tuple[np.ndarray, np.ndarray]], scale: int) -> dict:
    """{metric: mean over images, "per_image": [{metric: value}]} of
    `upscale` (LR NHWC [-1, 1] -> HR) on whole (LR, HR) pairs (HWC)."""
    per_image = []
    for lr, hr in pairs:
        sr = np.asarray(upscale(np.asarray(lr, "float32")[None]))[0]
        per_image.append(image_scores(sr, np.asarray(hr, "float32"), border=scale))
    if not per_image:
        raise metrics.MetricError("No held-out images to score super-resolution on.")
    out = {m: float(np.mean([s[m] for s in per_image])) for m in SR_METRICS}
    out["per_image"] = per_image
    return out


def scores(upscale: Callable[[np.ndarray], np.ndarray],
           pairs: Sequence[tuple[np.ndarray, np.ndarray]], scale: int,
           names: Sequence[str] = SR_METRICS, where: str = "held-out images",
           baseline: bool = True) -> list[metrics.Score]:
    """`metrics.Score`s of `upscale` on `pairs` for `names`, each with the
    bicubic baseline's value (`extra["bicubic"]`) when `baseline`."""
    model = measure(upscale, pairs, scale)
    base = measure(bicubic(scale), pairs, scale) if baseline else None
    out = []
    for name in names:
        extra = {"scale": scale, "border": scale,
                 "per_image": [s[name] for s in model["per_image"]]}
        if base is not None:
            extra["bicubic"] = base[name]
        out.append(metrics.Score(name, model[name], len(pairs), len(pairs),
                                 features=f"Y channel, {where}", extra=extra))
    return out


def check(names: Sequence[str]) -> None:
    """Raise a MetricError for metrics super-resolution is not scored by."""
    bad = [m for m in names if m not in SR_METRICS]
    if bad:
        raise metrics.MetricError(f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not "
                                  f"defined for super-resolution: use "
                                  f"{', '.join(SR_METRICS)}.")


def selection_key(metric: str, value: float) -> float:
    """What the best-checkpoint callback maximises for `metric`: psnr and ssim
    themselves, sharpness its closeness to 1 (-|log ratio|)."""
    if metric == "sharpness":
        return -abs(math.log(max(value, 1e-12)))
    return value


def table(scores_: Sequence[metrics.Score]) -> str:
    """Model vs bicubic, one row a metric."""
    rows = [("metric", "model", "bicubic", "images", "features")]
    for s in scores_:
        rows.append((s.name, f"{s.value:.4f}",
                     f"{s.extra['bicubic']:.4f}" if "bicubic" in s.extra else "",
                     str(s.n_real), s.features))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
