"""Lecture 2's network in PyTorch: `nn.Sequential`, `torch.optim.SGD` and a `DataLoader` that give the
same numbers as `dlcourse.networks` + `dlcourse.optim.sgd` (same initial β, same minibatches).

    seq = sequential_from(F.model, beta0)                 # the numpy network's layers and weights
    history = train_sgd(seq, X, y, learning_rate=0.1, lam=1e-4, batch_size=32, epochs=3, seed=0)
    beta_from(seq)                                        # back to dlcourse's flat β
"""

import numpy as np
import torch
import torch.utils.data
from torch import nn

from .._validation import as_generator
from ..optim import minibatches

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


def sequential_from(model, beta, *, dtype=torch.float64):
    """`nn.Sequential` of Linear layers and the model's activation, with the weights of the flat β.

    dlcourse stores each layer as W (fan_in+1, fan_out), row 0 the biases; `nn.Linear` holds
    weight = W[1:].T (fan_out, fan_in) and bias = W[0]. The softmax is left to the loss, as usual.
    """
    layers = []
    for ell, W in enumerate(model.weights(beta)):
        linear = nn.Linear(W.shape[0] - 1, W.shape[1], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(W[1:].T))
            linear.bias.copy_(torch.as_tensor(W[0]))
        layers.append(linear)
        if ell < len(model.shapes) - 1:
            layers.append(ACTIVATIONS[model.g.name]())
    return nn.Sequential(*layers)


def beta_from(sequential):
    """The flat β of dlcourse (each layer's [bias; weight.T] flattened row by row) from the Linear layers."""
    parts = [np.vstack([m.bias.detach().cpu().numpy()[None], m.weight.detach().cpu().numpy().T]).ravel()
             for m in sequential if isinstance(m, nn.Linear)]
    return np.concatenate(parts)


def epoch_batches(n, *, batch_size, epochs, seed=0):
    """The minibatches `dlcourse.optim.sgd` uses with this seed: one shuffled list per epoch."""
    rng = as_generator(seed)
    return [rows.tolist() for _ in range(epochs) for rows in minibatches(n, batch_size=batch_size, seed=rng)]


class _Rows(torch.utils.data.TensorDataset):
    """A TensorDataset that hands out a whole minibatch in one indexing step (no per-row collation)."""

    def __getitems__(self, rows):
        return tuple(t[rows] for t in self.tensors)


def train_sgd(sequential, X, y, *, learning_rate, lam=0.0, batch_size=32, epochs=1, seed=0, device="cpu"):
    """Minibatch SGD with `torch.optim.SGD` on F = mean cross-entropy + λ Σ (weights, not biases)².

    A `DataLoader` serves exactly the minibatches of `dlcourse.optim.sgd` with the same seed.
    Returns the training F after each epoch.
    """
    from torch.utils.data import DataLoader

    dtype = next(sequential.parameters()).dtype
    sequential = sequential.to(device)
    X = torch.as_tensor(np.asarray(X), dtype=dtype)
    y = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    batches = epoch_batches(len(y), batch_size=batch_size, epochs=epochs, seed=seed)
    loader = DataLoader(_Rows(X, y), batch_sampler=batches, collate_fn=lambda batch: batch)
    optimizer = torch.optim.SGD(sequential.parameters(), lr=learning_rate)
    weights = [m.weight for m in sequential if isinstance(m, nn.Linear)]

    def objective(xb, yb):
        return nn.functional.cross_entropy(sequential(xb), yb) + lam * sum((w ** 2).sum() for w in weights)

    steps_per_epoch = -(-len(y) // batch_size)
    values = []
    for step, (xb, yb) in enumerate(loader, start=1):
        optimizer.zero_grad()                      # gradients accumulate in PyTorch unless reset
        objective(xb.to(device), yb.to(device)).backward()
        optimizer.step()
        if step % steps_per_epoch == 0:
            with torch.no_grad():
                values.append(objective(X.to(device), y.to(device)).item())
    return values


__all__ = ["sequential_from", "beta_from", "epoch_batches", "train_sgd"]
