"""The course's models as `torch.nn.Module`s, small parts first, in lecture order."""

from torch import nn


class SoftmaxRegression(nn.Module):
    """Lecture 1's softmax model: Z = β0 + Xβ (one linear layer); the softmax is in the loss."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return self.linear(x.flatten(1))                       # (n, K) scores Z


class MLP(nn.Module):
    """Lecture 2's multi-layer model: flatten → [Linear → ReLU] × len(hidden) → Linear."""

    def __init__(self, n_features, n_classes, hidden=(256, 128)):
        super().__init__()
        sizes = [n_features, *hidden]
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.net = nn.Sequential(nn.Flatten(), *layers, nn.Linear(sizes[-1], n_classes))

    def forward(self, x):
        return self.net(x)


class SmallCNN(nn.Module):
    """Lecture 3's convolutional network for 28×28 images: two conv blocks, then a classifier."""

    def __init__(self, n_classes=10, channels=(32, 64)):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),   # (n, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),  # (n, c2, 7, 7)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c2 * 49, 128), nn.ReLU(), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def make_model(kind, n_features=784, n_classes=10):
    """"softmax", "mlp" or "cnn"."""
    if kind == "softmax":
        return SoftmaxRegression(n_features, n_classes)
    if kind == "mlp":
        return MLP(n_features, n_classes)
    if kind == "cnn":
        return SmallCNN(n_classes)
    raise ValueError(f"kind: expected 'softmax', 'mlp' or 'cnn', got {kind!r}")


__all__ = ["SoftmaxRegression", "MLP", "SmallCNN", "make_model"]
