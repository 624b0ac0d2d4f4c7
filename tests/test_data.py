"""Every data source, offline: embedded MNIST, .npz, folders, Debian's
Fashion-MNIST files, tensorflow-datasets (mock data), and the errors."""

import pathlib

import numpy as np
import pytest
import tensorflow as tf

from keras_gans import data
from keras_gans.data import DataError


def first_batch(image_data):
    return next(iter(image_data.dataset))


def test_embedded_mnist_is_real_labelled_and_scaled():
    d = data.load("mnist5k", batch_size=50, seed=0)
    assert d.image_shape == (28, 28, 1) and d.num_classes == 10 and d.num_examples == 4000
    assert d.steps_per_epoch == 80
    x, y = first_batch(d)
    assert x.shape == (50, 28, 28, 1) and x.dtype == tf.float32 and y.dtype == tf.int64
    assert float(tf.reduce_min(x)) == -1.0 and float(tf.reduce_max(x)) == 1.0
    # Shuffled: a batch from data sorted by class holds several classes.
    assert len(np.unique(y.numpy())) >= 5
    # Real digits: mostly black background with some ink (not noise).
    background = float(tf.reduce_mean(tf.cast(x < -0.9, tf.float32)))
    assert 0.6 < background < 0.95


def test_all_batches_are_full_and_cover_the_data_once():
    d = data.load("mnist5k", batch_size=128, shuffle=False)
    sizes = [int(x.shape[0]) for x, _ in d.dataset]
    assert sizes == [128] * (4000 // 128)


def test_embedded_digits_have_a_fixed_balanced_held_out_split():
    xtr, ytr = data.load_arrays("mnist5k", split="train")
    xte, yte = data.load_arrays("mnist5k", split="test")
    assert len(xtr) == 4000 and len(xte) == 1000
    # The file is sorted by class: each split still holds every digit, evenly.
    assert np.bincount(ytr).tolist() == [400] * 10 and np.bincount(yte).tolist() == [100] * 10
    # Disjoint: no test digit is among the training digits.
    train_rows = {row.tobytes() for row in xtr}
    assert not any(row.tobytes() in train_rows for row in xte)
    # Fixed: loading again gives the same test digits.
    again, _ = data.load_arrays("mnist5k", split="test")
    np.testing.assert_array_equal(again, xte)
    with pytest.raises(DataError, match="splits 'train' and 'test'") as e:
        data.load("mnist5k", split="validation")
    assert "\n" not in str(e.value)


def test_resize_and_channels():
    d = data.load("mnist5k", batch_size=8, image_size=32, channels=3)
    x, _ = first_batch(d)
    assert d.image_shape == (32, 32, 3) and x.shape == (8, 32, 32, 3)
    assert np.allclose(x[..., 0], x[..., 2])


def test_npz_with_and_without_labels(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (20, 16, 16, 3), dtype=np.uint8)
    y = np.arange(20) % 4
    np.savez(tmp_path / "l.npz", x=x, y=y)
    np.savez(tmp_path / "u.npz", images=x.astype("float32") / 255.0)  # floats in [0, 1]
    labelled = data.load(str(tmp_path / "l.npz"), batch_size=5, shuffle=False)
    assert labelled.num_classes == 4 and labelled.image_shape == (16, 16, 3)
    xb, yb = first_batch(labelled)
    np.testing.assert_allclose(xb.numpy(), x[:5] / 127.5 - 1.0, atol=1e-5)
    assert list(yb.numpy()) == [0, 1, 2, 3, 0]
    unlabelled = data.load(str(tmp_path / "u.npz"), batch_size=5, shuffle=False)
    assert unlabelled.num_classes is None
    np.testing.assert_allclose(first_batch(unlabelled).numpy(), x[:5] / 127.5 - 1.0, atol=1e-2)


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "bad.npz", pixels=np.zeros((3, 4, 4)))
    with pytest.raises(DataError, match="has no images: store them under one of x, images"):
        data.load(str(tmp_path / "bad.npz"))
    np.savez(tmp_path / "mismatch.npz", x=np.zeros((3, 4, 4), np.uint8), y=np.zeros(2))
    with pytest.raises(DataError, match="3 images but 2 labels"):
        data.load(str(tmp_path / "mismatch.npz"))


def write_pngs(folder, n, colour, size=(12, 10)):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = np.zeros((*size, 3), np.uint8)
        img[...] = colour
        img[i % size[0], :, :] = 255
        (folder / f"{i}.png").write_bytes(tf.io.encode_png(img).numpy())


def test_folder_of_images_and_class_folders(tmp_path):
    write_pngs(tmp_path / "flat", 6, (200, 0, 0))
    flat = data.load(str(tmp_path / "flat"), batch_size=3, seed=0)
    assert flat.image_shape == (12, 10, 3) and flat.num_classes is None
    assert first_batch(flat).shape == (3, 12, 10, 3)

    write_pngs(tmp_path / "classes" / "cat", 4, (255, 0, 0))
    write_pngs(tmp_path / "classes" / "dog", 4, (0, 0, 255))
    classes = data.load(str(tmp_path / "classes"), batch_size=8, image_size=8, shuffle=False)
    assert classes.class_names == ["cat", "dog"] and classes.num_classes == 2
    x, y = first_batch(classes)
    assert x.shape == (8, 8, 8, 3)
    red = x.numpy()[..., 0].mean(axis=(1, 2)) > x.numpy()[..., 2].mean(axis=(1, 2))
    assert list(red) == [label == 0 for label in y.numpy()]


def test_empty_folder_missing_path_and_not_npz(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No images .* found in folder"):
        data.load(str(tmp_path / "empty"))
    with pytest.raises(DataError, match="No such folder or .npz file"):
        data.load(str(tmp_path / "nope" / "x.npz"))
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match="is a file but not an .npz"):
        data.load(str(tmp_path / "notes.txt"))


def test_too_few_images_for_a_batch(tmp_path):
    write_pngs(tmp_path / "few", 3, (0, 255, 0))
    with pytest.raises(DataError, match="has 3 images, fewer than one batch of 64: lower"):
        data.load(str(tmp_path / "few"), batch_size=64)


def test_labels_required_and_dropped(tmp_path):
    write_pngs(tmp_path / "flat", 4, (9, 9, 9))
    with pytest.raises(DataError, match="has no labels, and this model needs them"):
        data.load(str(tmp_path / "flat"), batch_size=2, labels=True)
    dropped = data.load("mnist5k", batch_size=4, labels=False)
    assert dropped.num_classes is None and first_batch(dropped).shape == (4, 28, 28, 1)


@pytest.mark.skipif(not (data.DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist is not installed (apt-get install "
                           "dataset-fashion-mnist)")
def test_fashion_mnist_from_debian_files():
    d = data.load("fashion_mnist", batch_size=100, split="test", shuffle=False)
    assert d.source.startswith("Fashion-MNIST (/usr/share/datasets")
    assert d.num_examples == 10000 and d.num_classes == 10 and d.class_names[7] == "sneaker"
    x, y = first_batch(d)
    assert x.shape == (100, 28, 28, 1)
    assert len(np.unique(y.numpy())) == 10


def test_tfds_names_through_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=40):
        d = data.load("mnist", batch_size=8, seed=0)
        assert d.source == "tfds mnist" and d.image_shape == (28, 28, 1) and d.num_classes == 10
        x, y = first_batch(d)
        assert x.shape == (8, 28, 28, 1) and y.shape == (8,)
        assert -1.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
        cifar = data.load("cifar10", batch_size=4, image_size=28, channels=1)
        assert first_batch(cifar)[0].shape == (4, 28, 28, 1)


def test_unknown_and_unreachable_names_say_what_was_tried():
    with pytest.raises(DataError, match="Unknown dataset 'no_such_set_xyz': not a folder"):
        data.load("no_such_set_xyz")


def test_unreachable_tfds_download_fails_fast_in_one_clear_line(tmp_path, monkeypatch):
    # A tfds set that is not on disk, with the download host out of reach (a
    # closed port on this machine stands in for "no network"), fails at once
    # with one line naming the fixes instead of tfds retrying for minutes.
    pytest.importorskip("tensorflow_datasets")
    monkeypatch.setattr(data.named, "TFDS_HOST", ("127.0.0.1", 9))
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(DataError) as err:
        data.load("mnist", data_dir=str(tmp_path))
    message = str(err.value)
    assert "\n" not in message
    assert "Could not get 'mnist'" in message and "not downloaded yet" in message
    assert "--data" in message and "mnist5k" in message


def test_load_arrays():
    x, y = data.load_arrays("mnist5k", limit=300)
    assert x.shape == (300, 28, 28, 1) and y.shape == (300,)
    assert pathlib.Path(data.EMBEDDED_FILE).stat().st_size < 2_000_000
