"""Cluster-conditioned GAN: an unconditional GAN whose players are told which
cluster of the training images each image is of.

Sage, Agustsson, Timofte & Van Gool, "Logo Synthesis and Manipulation with
Clustered Generative Adversarial Networks", CVPR 2018: clusters of the
training images (k-means) stand in for the class labels that a conditional
GAN needs, and improve on the unconditional GAN where the data has none. Liu
et al. ("Diverse Image Generation via Self-Conditioned GANs", CVPR 2020) take
the clusters from D's features and renew them while training; here they are
fixed before training, from the pixels (or, with cluster_features="hog", from
histograms of their gradients' orientations).

Why it helps: one generator has to map a connected latent space onto data
that falls apart into separate modes (ten digits). Where it passes between
two modes it draws images that are neither, the broken strokes that cost the
unconditional DCGAN its precision. Told the cluster, G only has to cover one
compact region of the data at a time, as the class-conditional GAN does.

The algorithm, as built here:
  1. before training (`fit_clusters`, which `fit` and `keras-gans train` call
     on the training images, at most `cluster_images` of them): project the
     pixels (or their `orientation_histograms`) on their first
     `cluster_components` principal components and
     split them into `clusters` groups by k-means (k-means++ seeding, Lloyd's
     iterations, the best of a few restarts); keep the projection, the
     centres and the clusters' shares of the images as model weights;
  2. each training step: a real image's cluster c is its nearest centre; G and
     D play the conditional GAN's game given c (Mirza & Osindero 2014: z and
     one-hot(c) into G, one-hot maps of c stacked on D's input, the cgan
     entry's networks), and the step's fakes carry its real batch's clusters;
  3. sampling: z has `latent_dim` coordinates; G sees the first
     `latent_dim - 1`, and the last picks the cluster through the normal CDF
     and the clusters' shares. So `generate(z)` is a plain unconditional
     endpoint, and z ~ N(0, I) draws the clusters as often as the training
     images fall in them.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_gans.core import GAN
from keras_gans.nets import conditional, dcgan


class ClusterError(ValueError):
    """Clusters that cannot be fitted (too few images) or are missing."""


# ------------------------------------------------------------ clustering
def principal_components(x: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean (d,), the first k principal directions (d, k)) of the rows of `x`
    (n, d), by a randomised SVD (Halko, Martinsson & Tropp 2011): a few passes
    over x whatever d is, so 64x64 colour images cost what digits do."""
    x = np.asarray(x, dtype="float64")
    mean = x.mean(0)
    xc = x - mean
    k = int(min(k, *xc.shape))
    rng = np.random.default_rng(seed)
    y = xc @ rng.standard_normal((xc.shape[1], min(k + 10, xc.shape[1])))
    for _ in range(3):  # power iterations sharpen the leading directions
        y, _ = np.linalg.qr(y)
        y = xc @ (xc.T @ y)
    q, _ = np.linalg.qr(y)
    _, _, vt = np.linalg.svd(q.T @ xc, full_matrices=False)
    return mean.astype("float32"), vt[:k].T.astype("float32")


def kmeans(x: np.ndarray, k: int, seed: int = 0, restarts: int = 4,
           iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(centres (k, d), each row's cluster (n,)): k-means with k-means++ seeding
    (Arthur & Vassilvitskii 2007), the restart of least squared error kept."""
    x = np.asarray(x, dtype="float64")
    rng = np.random.default_rng(seed)
    norms = (x ** 2).sum(1)

    def distances(c):
        return np.maximum(norms[:, None] - 2 * x @ c.T + (c ** 2).sum(1)[None], 0.0)

    best = None
    for _ in range(int(restarts)):
        centres = [x[rng.integers(len(x))]]
        nearest = ((x - centres[0]) ** 2).sum(1)
        for _ in range(1, k):
            p = nearest / nearest.sum() if nearest.sum() > 0 else None
            centres.append(x[rng.choice(len(x), p=p)])
            nearest = np.minimum(nearest, ((x - centres[-1]) ** 2).sum(1))
        c = np.stack(centres)
        for _ in range(int(iterations)):
            assign = distances(c).argmin(1)
            new = np.stack([x[assign == j].mean(0) if np.any(assign == j) else c[j]
                            for j in range(k)])
            if np.allclose(new, c):
                break
            c = new
        d = distances(c)
        assign = d.argmin(1)
        error = d[np.arange(len(x)), assign].sum()
        if best is None or error < best[0]:
            best = (error, c, assign)
    return best[1].astype("float32"), best[2]


CLUSTER_FEATURES = ("pixels", "hog")
HOG_BINS, HOG_CELL, HOG_CLIP = 9, 4, 0.2


def hog_size(image_shape: tuple[int, ...]) -> int:
    """Length of `orientation_histograms`' feature vector for images of this shape."""
    blocks = (image_shape[0] // HOG_CELL - 1) * (image_shape[1] // HOG_CELL - 1)
    return blocks * 4 * HOG_BINS


def orientation_histograms(images: tf.Tensor) -> tf.Tensor:
    """Histograms of oriented gradients (Dalal & Triggs, CVPR 2005), in a plain
    form: (n, H, W, C) images -> (n, hog_size) features.

    The image's grey level (the channels' mean) is differentiated by central
    differences; each pixel adds its gradient's length to one of HOG_BINS
    unsigned orientations (0-180 degrees) in its HOG_CELL x HOG_CELL cell; each
    2 x 2 block of cells is L2-normalised, clipped at HOG_CLIP and normalised
    again (Lowe's L2-Hys). The features describe strokes by their direction
    and place and ignore how dark they are, so k-means in them groups digits by
    shape: fitted to the embedded digits' 4,000 training images, 20 clusters
    of them hold their most common digit 85.8% of the time, 20 of the pixels
    70.6%."""
    x = tf.reduce_mean(tf.cast(images, tf.float32), axis=-1)
    gx = tf.pad(x[:, :, 2:] - x[:, :, :-2], [[0, 0], [0, 0], [1, 1]])
    gy = tf.pad(x[:, 2:, :] - x[:, :-2, :], [[0, 0], [1, 1], [0, 0]])
    length = tf.sqrt(gx * gx + gy * gy)
    angle = tf.math.floormod(tf.atan2(gy, gx), math.pi)
    bins = tf.minimum(tf.cast(angle * (HOG_BINS / math.pi), tf.int32), HOG_BINS - 1)
    cells = tf.nn.avg_pool2d(tf.one_hot(bins, HOG_BINS) * length[..., None],
                             HOG_CELL, HOG_CELL, "VALID")
    blocks = tf.concat([cells[:, :-1, :-1], cells[:, 1:, :-1], cells[:, :-1, 1:],
                        cells[:, 1:, 1:]], axis=-1)

    def unit(v):
        return v / tf.sqrt(tf.reduce_sum(v * v, axis=-1, keepdims=True) + 1e-6)

    blocks = unit(tf.minimum(unit(blocks), HOG_CLIP))
    return tf.reshape(blocks, [tf.shape(images)[0], -1])


def images_from(data: Any, limit: int) -> np.ndarray:
    """Up to `limit` images (float32 NHWC) from a tf.data dataset of images,
    (images, labels) or {"image": ...} batches, or from an array."""
    if isinstance(data, (np.ndarray, tf.Tensor)):
        return np.asarray(data, dtype="float32")[:limit]
    if not isinstance(data, tf.data.Dataset):
        raise ClusterError(f"ClusteredGAN fits its clusters to the training images: pass a "
                           f"tf.data.Dataset or an array of images, not {type(data).__name__}.")
    out, n = [], 0
    for element in data:
        if isinstance(element, dict):
            element = element["image"]
        elif isinstance(element, (tuple, list)):
            element = element[0]
        batch = np.asarray(element, dtype="float32")
        out.append(batch)
        n += len(batch)
        if n >= limit:
            break
    if not out:
        raise ClusterError("The training data holds no images to fit the clusters to.")
    return np.concatenate(out)[:limit]


# -------------------------------------------------------------- the model
class ClusteredGAN(GAN):
    """Unconditional GAN conditioned on k-means clusters of its training images.

    Args:
        image_shape: (size, size, channels), size in 28, 32, 64.
        clusters: how many clusters (k of k-means), >= 2.
        cluster_components: principal components of the features that
            k-means works in.
        cluster_features: what k-means clusters: "pixels" (the images
            themselves, as Sage et al.) or "hog" (histograms of oriented
            gradients, `orientation_histograms`: stroke shapes).
        cluster_images: fit the clusters to at most this many training images.
        latent_dim: size of z; G sees latent_dim - 1 of it, the last
            coordinate picks the cluster.
        g_filters, d_filters, norm, spectral_norm, kernel_size, g_extra_layers:
            the networks, the cgan entry's (see `ConditionalGAN` and `DCGAN`).
        **kwargs: d_steps, loss, seed, augment, ema_decay, lr_decay_start: see
            `keras_gans.GAN`.
    """

    def __init__(self, image_shape: tuple[int, ...] = (28, 28, 1), clusters: int = 20,
                 cluster_components: int = 50, cluster_images: int = 20000,
                 cluster_features: str = "pixels",
                 latent_dim: int = 100, g_filters: int = 64, d_filters: int = 64,
                 norm: str = "batch", spectral_norm: bool = False, kernel_size: int = 5,
                 g_extra_layers: int = 0, **kwargs):
        image_shape = tuple(image_shape)
        for name, value, low in (("clusters", clusters, 2), ("cluster_components",
                                                            cluster_components, 1),
                                 ("cluster_images", cluster_images, 2),
                                 ("latent_dim", latent_dim, 2)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < low:
                raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}"
                                 f"{' (G sees latent_dim - 1 coordinates)' if name == 'latent_dim' else ''}.")
        if cluster_features not in CLUSTER_FEATURES:
            raise ValueError(f"cluster_features must be one of {', '.join(CLUSTER_FEATURES)}, "
                             f"got {cluster_features!r}.")
        self.clusters = int(clusters)
        self.hparams = dict(image_shape=image_shape, clusters=self.clusters,
                            cluster_components=int(cluster_components),
                            cluster_images=int(cluster_images),
                            cluster_features=cluster_features, g_filters=g_filters,
                            d_filters=d_filters, norm=dcgan.check_norm(norm),
                            spectral_norm=bool(spectral_norm),
                            kernel_size=dcgan.check_kernel_size(kernel_size),
                            g_extra_layers=dcgan.check_extra_layers(g_extra_layers))
        super().__init__(
            conditional.conditional_generator(int(latent_dim) - 1, self.clusters, image_shape,
                                              g_filters, kernel_size=kernel_size,
                                              extra_layers=g_extra_layers),
            conditional.conditional_discriminator(image_shape, self.clusters, d_filters,
                                                  norm=norm, spectral_norm=spectral_norm,
                                                  kernel_size=kernel_size),
            latent_dim=latent_dim, **kwargs)
        size = math.prod(image_shape) if cluster_features == "pixels" else hog_size(image_shape)
        components = min(int(cluster_components), size)

        def weight(name, shape):
            return self.add_weight(name=name, shape=shape, initializer="zeros",
                                   trainable=False, dtype="float32", autocast=False)

        # The clusters (step 1), fitted once and kept with the model's weights.
        self.cluster_mean = weight("cluster_mean", (size,))
        self.cluster_projection = weight("cluster_projection", (size, components))
        self.cluster_centres = weight("cluster_centres", (self.clusters, components))
        self.cluster_shares = weight("cluster_shares", (self.clusters,))

    # ------------------------------------------------------------ clusters
    @property
    def clusters_fitted(self) -> bool:
        """Whether the clusters have been fitted (their shares sum to 1)."""
        return bool(abs(float(np.sum(keras.ops.convert_to_numpy(self.cluster_shares))) - 1)
                    < 1e-3)

    def fit_clusters(self, data: Any, log: Any = None) -> np.ndarray:
        """Fit the clusters (step 1) to the training images in `data` (a
        tf.data.Dataset as `fit` takes it, or an array in [-1, 1]); returns
        each image's cluster."""
        images = images_from(data, self.hparams["cluster_images"])
        if len(images) < 2 * self.clusters:
            raise ClusterError(f"{len(images)} training images are too few for "
                               f"{self.clusters} clusters: give at least {2 * self.clusters} "
                               f"images, or fewer clusters (--set clusters=N).")
        if tuple(images.shape[1:]) != self.image_shape:
            raise ClusterError(f"Images of shape {tuple(images.shape[1:])} cannot be clustered "
                               f"for a model of {self.image_shape}.")
        x = np.concatenate([self.clustering_features(images[i:i + 1000]).numpy()
                            for i in range(0, len(images), 1000)])
        seed = 0 if self.seed is None else int(self.seed)
        mean, projection = principal_components(x, self.cluster_projection.shape[1], seed)
        features = (x - mean) @ projection
        centres, assign = kmeans(features, self.clusters, seed)
        shares = np.bincount(assign, minlength=self.clusters) / len(assign)
        self.cluster_mean.assign(mean)
        self.cluster_projection.assign(projection)
        self.cluster_centres.assign(centres)
        self.cluster_shares.assign(shares.astype("float32"))
        if log is not None:
            log(f"Clustered {len(images):,} training images into {self.clusters} clusters "
                f"(k-means on {projection.shape[1]} principal components of their "
                f"{self.hparams['cluster_features']}): "
                f"{shares.min():.1%} to {shares.max():.1%} of the images each.")
        return assign

    def clustering_features(self, images: Any) -> tf.Tensor:
        """What k-means clusters, one row per image (float32)."""
        images = tf.cast(images, tf.float32)
        if self.hparams["cluster_features"] == "hog":
            return orientation_histograms(images)
        return tf.reshape(images, [tf.shape(images)[0], -1])

    def cluster_of_images(self, images: tf.Tensor) -> tf.Tensor:
        """Each image's cluster: its nearest centre (int32, (n,))."""
        f = tf.matmul(self.clustering_features(images) - self.cluster_mean,
                      self.cluster_projection)
        c = self.cluster_centres
        d = (tf.reduce_sum(f * f, 1, keepdims=True) - 2 * tf.matmul(f, c, transpose_b=True)
             + tf.reduce_sum(c * c, 1)[None])
        return tf.stop_gradient(tf.argmin(d, axis=1, output_type=tf.int32))

    def cluster_of_latents(self, z: tf.Tensor) -> tf.Tensor:
        """The cluster that z's last coordinate picks (step 3): u = Phi(z_last)
        falls in cluster j's share of [0, 1)."""
        u = 0.5 * (1.0 + tf.math.erf(tf.cast(z[:, -1], tf.float32) / math.sqrt(2.0)))
        bounds = tf.cumsum(self.cluster_shares)[:-1]
        return tf.reduce_sum(tf.cast(u[:, None] >= bounds[None], tf.int32), axis=1)

    def fit(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        """`keras.Model.fit`, after fitting the clusters to `x` where they are
        not fitted yet (a model restored from a checkpoint keeps its own)."""
        if not self.clusters_fitted:
            self.fit_clusters(x)
        return super().fit(x, *args, **kwargs)

    def prepare(self, dataset: tf.data.Dataset, log: Any = None) -> None:
        """Before `keras-gans train` fits: the clusters, from one pass over the
        training data (a resumed run restores its own afterwards)."""
        self.fit_clusters(dataset, log=log)

    # -------------------------------------------------------------- hooks
    def unpack(self, data: Any) -> tuple:
        images, _ = super().unpack(data)  # labels the data may have are not used
        return images, self.cluster_of_images(images)

    def generate_fake(self, z: tf.Tensor, labels: tf.Tensor, training: bool = True) -> tf.Tensor:
        return self.generator([z[:, :-1], labels], training=training)

    def discriminate(self, images: tf.Tensor, labels: tf.Tensor,
                     training: bool = True) -> tf.Tensor:
        return self.discriminator([images, labels], training=training)

    def call(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        # (Under a mixed policy Keras hands call() z in the compute dtype.)
        return self.sampler([z[:, :-1], self.cluster_of_latents(z)], training=training)

    def export_endpoints(self) -> dict:
        """`generate(z)`: float32 (n, latent_dim) latents to images in [-1, 1],
        the cluster picked by z's last coordinate."""
        spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")

        def generate(z):
            return tf.cast(self.call(z, training=False), tf.float32)

        return {"generate": (generate, [spec])}

    def export_metadata(self) -> dict:
        return {**super().export_metadata(), "clusters": self.clusters}
