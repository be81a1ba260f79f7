"""The training loop: minibatches, Adam, accuracy per epoch; seeded, and deterministic on the CPU."""

import contextlib
import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from .devices import describe


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
          seed=0, compile=False, progress=True, rank=0, world_size=1, on_epoch=None, augment=None):
    """Train with Adam on minibatches; returns a `History` (one entry per epoch).

    Seeded and deterministic on the CPU. On CUDA: the data lives on the GPU, bf16 autocast,
    channels-last memory for convolutions and, with ``compile=True``, `torch.compile`.
    With `world_size` > 1 (DistributedDataParallel), each global batch is split across ranks.
    `on_epoch(history)` is called after each epoch; returning True stops training.
    `augment(xb, generator)` (optional) transforms each training minibatch, e.g. random shifts
    (`dlcourse.torch.vision.shift_and_flip`); `generator` is the loop's seeded CPU generator.
    """
    device = torch.device(device)
    if epochs < 1 or batch_size < 1 or learning_rate <= 0:
        raise ValueError(f"epochs, batch_size, learning_rate: expected >= 1, >= 1, > 0; "
                         f"got {epochs}, {batch_size}, {learning_rate}")
    seed_everything(seed)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    try:
        return _train(model, data, epochs, batch_size, learning_rate, weight_decay, device, seed, compile,
                      progress, rank, world_size, on_epoch, augment)
    finally:                                   # leave no global state changed behind
        torch.use_deterministic_algorithms(was_deterministic)


def _train(model, data, epochs, batch_size, learning_rate, weight_decay, device, seed, compile, progress,
           rank, world_size, on_epoch, augment=None):
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
            if augment is not None:
                xb = augment(xb, generator)
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


__all__ = ["History", "seed_everything", "accuracy", "train"]
