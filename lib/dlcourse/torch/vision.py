"""Lecture 3 in PyTorch: the permutation experiment, data augmentation, and what a CNN learned.

    from dlcourse.torch import vision
    shuffled = vision.permuted(data, seed=0)             # one pixel permutation for every image
    vision.permutation_experiment(data, epochs=3)        # MLP and CNN, real and shuffled pixels
    train(model, data, augment=vision.shift_and_flip)    # data augmentation
    vision.feature_maps(model, image)                    # what each layer makes of one image
"""

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .. import conv
from .data import ImageData
from .models import MLP, SmallCNN
from .training import train


def pixel_permutation(h, w, *, seed=0):
    """The permutation π of the h·w pixel positions used by `permuted` (from `conv.permute_pixels`)."""
    _, permutation = conv.permute_pixels(np.zeros((1, h, w)), seed=seed)
    return torch.as_tensor(permutation)


def permuted(data, *, seed=0):
    """The same images with their pixels shuffled by ONE fixed permutation (train and test alike):
    shuffled pixel j is real pixel π(j), for every image.

    Any model that treats the pixels as an unordered list of features (an MLP) can learn exactly as
    well from these; a model that uses neighbourhoods (a CNN) cannot, since neighbours are scattered.
    """
    n, C, h, w = data.X_train.shape
    index = pixel_permutation(h, w, seed=seed)

    def shuffle(X):
        return X.reshape(len(X), C, h * w)[:, :, index].reshape(len(X), C, h, w)

    return ImageData(shuffle(data.X_train), data.y_train, shuffle(data.X_test), data.y_test,
                     f"{data.name} (pixels shuffled)")


@torch.no_grad()
def reorder_first_layer(model, permutation):
    """Reorder the columns of a model's first dense layer by π, so that on shuffled inputs it computes
    exactly what it computed on real ones: Σ_j W[:, π(j)] X[π(j)] = Σ_j W[:, j] X[j]."""
    first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
    if first is None or first.in_features != len(permutation):
        raise ValueError(f"model: expected a first nn.Linear layer with {len(permutation)} inputs, "
                         f"got {type(model).__name__}")
    first.weight.copy_(first.weight[:, permutation])
    return model


@dataclass
class PermutationResult:
    """Test accuracies {model name: {"real": a, "shuffled": b}} and the per-run histories."""

    accuracy: dict
    histories: dict

    def drop(self, model):
        """Accuracy on real minus accuracy on shuffled images."""
        return self.accuracy[model]["real"] - self.accuracy[model]["shuffled"]

    def __str__(self):
        return "\n".join(f"{m:>20}: real {a['real']:.3f}, shuffled {a['shuffled']:.3f}, drop {self.drop(m):+.3f}"
                         for m, a in self.accuracy.items())


def permutation_experiment(data, *, epochs=3, seed=0, device="cpu", channels=(16, 32), hidden=(256, 128),
                           learning_rate=2e-3):
    """Train a multi-layer network and a CNN on real and on pixel-shuffled images.

    Every run starts from the same seed and sees the minibatches in the same order. The network on
    shuffled images starts from the real run's initial weights reordered by π (`reorder_first_layer`):
    the two runs are then the same computation, up to rounding. No such reordering exists for the CNN.
    """
    shuffled = permuted(data, seed=seed)
    permutation = pixel_permutation(*data.X_train.shape[2:], seed=seed)
    makers = {"multi-layer network": lambda: MLP(data.n_features, data.n_classes, hidden),
              "CNN": lambda: SmallCNN(data.n_classes, channels)}
    accuracies, histories = {}, {}
    for name, make in makers.items():
        torch.manual_seed(seed)
        initial = copy.deepcopy(make().state_dict())
        accuracies[name] = {}
        for images, d in (("real", data), ("shuffled", shuffled)):
            model = make()
            model.load_state_dict(initial)
            if name == "multi-layer network" and images == "shuffled":
                reorder_first_layer(model, permutation)
            history = train(model, d, epochs=epochs, seed=seed, device=device, progress=False,
                            learning_rate=learning_rate)
            accuracies[name][images] = history.test_accuracy[-1]
            histories[(name, images)] = history
    return PermutationResult(accuracies, histories)


def shift_and_flip(x, generator, *, max_shift=2, flip=True):
    """Data augmentation for a minibatch (n, C, h, w): each image moved by up to `max_shift` pixels
    in each direction (zeros fill in) and, if `flip`, mirrored left-right with probability 1/2.

    Sensible for clothes (a mirrored shirt is still a shirt); for digits use flip=False.
    """
    n, C, h, w = x.shape
    s = max_shift
    shifts = torch.randint(0, 2 * s + 1, (2, n), generator=generator).to(x.device)   # (2, n) offsets
    padded = nn.functional.pad(x, (s, s, s, s))                                        # (n, C, h+2s, w+2s)
    rows = (shifts[0, :, None] + torch.arange(h, device=x.device))[:, None, :, None]   # (n, 1, h, 1)
    cols = (shifts[1, :, None] + torch.arange(w, device=x.device))[:, None, None, :]   # (n, 1, 1, w)
    out = padded[torch.arange(n, device=x.device)[:, None, None, None],
                 torch.arange(C, device=x.device)[None, :, None, None], rows, cols]     # (n, C, h, w)
    if flip:
        mirror = (torch.rand(n, generator=generator) < 0.5).to(x.device)
        out = torch.where(mirror[:, None, None, None], out.flip(-1), out)
    return out


def augmentation_experiment(data, *, epochs, seed=0, device="cpu", channels=(16, 32), learning_rate=2e-3):
    """The same CNN trained with and without `shift_and_flip`: {"without": History, "with": History}."""
    histories = {}
    for name, augment in (("without augmentation", None), ("with shifts and flips", shift_and_flip)):
        torch.manual_seed(seed)
        histories[name] = train(SmallCNN(data.n_classes, channels), data, epochs=epochs, seed=seed,
                                device=device, progress=False, learning_rate=learning_rate, augment=augment)
    return histories


# --- what the network learned ---------------------------------------------------------------------

def first_layer_filters(model):
    """The first convolutional layer's filters as a numpy array (C_out, C_in, k, k)."""
    first = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if first is None:
        raise ValueError(f"model: expected a network with an nn.Conv2d layer, got {type(model).__name__}")
    return first.weight.detach().cpu().numpy().copy()


@torch.no_grad()
def feature_maps(model, image):
    """One image (C, h, w) through `model.features` (a SmallCNN's conv blocks): [(layer name, (C, h, w) array)]
    after every ReLU and every pooling layer."""
    model.eval()
    device = next(model.parameters()).device
    x = torch.as_tensor(image, dtype=torch.float32, device=device)[None]            # (1, C, h, w)
    maps, block = [], 1
    for layer in model.features:
        x = layer(x)
        if isinstance(layer, nn.ReLU):
            maps.append((f"block {block}: conv + ReLU", x[0].float().cpu().numpy()))
        elif isinstance(layer, nn.MaxPool2d):
            maps.append((f"block {block}: max pool", x[0].float().cpu().numpy()))
            block += 1
    return maps


@torch.no_grad()
def predict_proba(model, X, *, device="cpu", batch_size=2048):
    """P̂ (n, K) as a numpy array: the softmax of the model's scores."""
    model.eval()
    model = model.to(device)
    out = [torch.softmax(model(X[i:i + batch_size].to(device)).float(), dim=1).cpu()
           for i in range(0, len(X), batch_size)]
    return torch.cat(out).numpy()


def confusion_matrix(y, y_pred, n_classes):
    """C[k, l] = how many test images of true class k were predicted as class l (rows sum to class sizes)."""
    y, y_pred = np.asarray(y), np.asarray(y_pred)
    if y.shape != y_pred.shape or y.ndim != 1:
        raise ValueError(f"y, y_pred: expected two 1-D arrays of the same length, got shapes {y.shape}, {y_pred.shape}")
    return np.bincount(y * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def most_confused_with(C, k, n=3):
    """The `n` classes that true class k is most often mistaken for (largest off-diagonal entries of row k)."""
    row = np.asarray(C)[k].astype(float)
    row[k] = -np.inf
    return np.argsort(-row, kind="stable")[:n]


def most_confident_mistakes(P, y, n=8):
    """Indices of the `n` wrongly classified images whose wrong answer got the highest p̂, most confident first."""
    P, y = np.asarray(P), np.asarray(y)
    wrong = np.flatnonzero(P.argmax(axis=1) != y)
    confidence = P[wrong].max(axis=1)
    return wrong[np.argsort(-confidence, kind="stable")[:n]]


__all__ = ["pixel_permutation", "permuted", "reorder_first_layer", "PermutationResult", "permutation_experiment",
           "shift_and_flip", "augmentation_experiment", "first_layer_filters", "feature_maps", "predict_proba",
           "confusion_matrix", "most_confused_with", "most_confident_mistakes"]
