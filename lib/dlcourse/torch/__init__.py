"""The course's models in PyTorch: devices, data, models, training (lecture notebook on GPUs).

Imports torch, numpy and the standard library only; `import dlcourse` does not import it.

    from dlcourse import torch as dtorch
    device = dtorch.pick_device()                       # CUDA, then Apple MPS, then CPU
    data = dtorch.load_images("mnist-subset")
    model = dtorch.SmallCNN(n_classes=10)
    history = dtorch.train(model, data, epochs=3, device=device)

No call leaves global state changed: `train` restores PyTorch's determinism flag.
"""

from ..data import FASHION_MNIST_DIR
from . import networks, text
from .data import IMAGE_SETS, ImageData, load_images
from .devices import describe, pick_device
from .models import MLP, SmallCNN, SoftmaxRegression, make_model
from .regression import softmax_regression_gd
from .training import History, accuracy, seed_everything, train

__all__ = ["networks", "text", "FASHION_MNIST_DIR", "IMAGE_SETS", "ImageData", "load_images", "describe", "pick_device", "MLP",
           "SmallCNN", "SoftmaxRegression", "make_model", "softmax_regression_gd", "History", "accuracy",
           "seed_everything", "train"]
