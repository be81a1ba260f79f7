"""Multi-layer networks (lecture 2) as objectives F(β), with backpropagation in numpy.

A network with layer sizes p → H_1 → ... → K: each hidden layer computes
A = activation(β_0 + Σ_j β_j X_j) unit by unit; the output layer is a softmax
with cross-entropy loss. β concatenates the layers' (fan_in+1)×fan_out
matrices, each flattened row by row (row 0: the biases, i.e. intercepts).
Its loss is not convex: swapping two hidden units leaves F unchanged.
"""

import numpy as np

from . import losses
from ._validation import as_design_matrix, as_labels, as_parameter_vector, nonnegative_number, positive_int
from .models import add_intercept, softmax

ACTIVATIONS = {
    "tanh": (np.tanh, lambda Z, A: 1.0 - A * A),
    "relu": (lambda Z: np.maximum(Z, 0.0), lambda Z, A: (Z > 0).astype(np.float64)),
}


class NetworkObjective:
    """F(β) = mean cross-entropy of a feed-forward network + λ Σ (non-bias weights)²."""

    def __init__(self, X, y, *, hidden, n_classes, activation, lam):
        self.X, self.y, self.lam = X, y, lam
        self.sizes = [X.shape[1], *hidden, n_classes]
        self.activation = activation
        self._act, self._act_grad = ACTIVATIONS[activation]
        self._X1 = add_intercept(X)
        self.shapes = [(a + 1, b) for a, b in zip(self.sizes[:-1], self.sizes[1:])]
        ends = np.cumsum([r * c for r, c in self.shapes])
        self.blocks = [np.arange(e - r * c, e) for (r, c), e in zip(self.shapes, ends)]
        self._weights_mask = np.concatenate(
            [np.arange(r * c) >= c for r, c in self.shapes])  # False on each layer's bias row

    @property
    def n_params(self):
        return int(sum(r * c for r, c in self.shapes))

    @property
    def n(self):
        return self.X.shape[0]

    def layers(self, beta):
        """The weight matrices W_l, each (fan_in+1, fan_out), row 0 the biases."""
        beta = as_parameter_vector(beta, self.n_params)
        return [beta[idx].reshape(shape) for idx, shape in zip(self.blocks, self.shapes)]

    def init(self, seed=0):
        """Random β: weights N(0, 1/fan_in), biases 0."""
        rng = np.random.default_rng(seed)
        parts = [np.vstack([np.zeros((1, c)), rng.standard_normal((r - 1, c)) / np.sqrt(r - 1)])
                 for r, c in self.shapes]
        return np.concatenate([p.ravel() for p in parts])

    def predict_proba(self, X, beta):
        """P̂ (n, K) for new inputs X."""
        A = add_intercept(as_design_matrix(X))
        Ws = self.layers(beta)
        for W in Ws[:-1]:
            A = add_intercept(self._act(A @ W))
        return softmax(A @ Ws[-1])

    def value_and_gradient(self, beta):
        Ws = self.layers(beta)
        inputs, pre = [self._X1], []
        for W in Ws[:-1]:                                   # forward pass
            Z = inputs[-1] @ W
            pre.append(Z)
            inputs.append(add_intercept(self._act(Z)))
        value, dZ = losses.cross_entropy_from_logits(self.y, inputs[-1] @ Ws[-1])
        grads = [None] * len(Ws)
        for l in range(len(Ws) - 1, -1, -1):                # backward pass
            grads[l] = inputs[l].T @ dZ
            if l > 0:
                dA = dZ @ Ws[l][1:].T                       # drop the bias row
                dZ = dA * self._act_grad(pre[l - 1], inputs[l][:, 1:])
        grad = np.concatenate([g.ravel() for g in grads])
        if self.lam:
            value += self.lam * float(np.sum(beta[self._weights_mask] ** 2))
            grad += self.lam * 2.0 * np.where(self._weights_mask, beta, 0.0)
        return float(value), grad

    def value(self, beta):
        return self.value_and_gradient(beta)[0]

    def gradient(self, beta):
        return self.value_and_gradient(beta)[1]

    def subset(self, rows):
        sub = object.__new__(type(self))
        sub.__dict__.update(self.__dict__)
        sub.X, sub.y, sub._X1 = self.X[rows], self.y[rows], self._X1[rows]
        return sub


def neural_network(X, y, hidden=(4,), *, activation="tanh", n_classes=None, lam=0.0):
    """F(β) for a network with hidden layer sizes `hidden` and a softmax output."""
    X = as_design_matrix(X)
    hidden = tuple(positive_int(h, "hidden") for h in hidden)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
    lam = nonnegative_number(lam, "lam")
    if n_classes is None:
        n_classes = max(int(np.max(y)) + 1, 2)
    y = as_labels(y, n_classes, "y", n=X.shape[0])
    return NetworkObjective(X, y, hidden=hidden, n_classes=n_classes, activation=activation, lam=lam)


__all__ = ["neural_network", "NetworkObjective", "ACTIVATIONS"]
