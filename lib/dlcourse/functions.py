"""The functions on a graph's nodes: activations g(Z) and the softmax, each with its derivative beside it.

micrograd's rule: an operation's forward and backward step are written together, so adding
one means repeating a visible pattern. Every activation is an `Activation` with

* ``forward(Z)``: A = g(Z), elementwise;
* ``derivative(Z, A)``: g'(Z), elementwise (given A = g(Z) too, since tanh' and σ' are cheapest from A).

The backward step of a layer A = g(Z) is then ∂F/∂Z = ∂F/∂A · g'(Z).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Activation:
    """A = g(Z) elementwise, and g'(Z) for the backward pass."""

    name: str
    forward: object
    derivative: object

    def __call__(self, Z):
        return self.forward(Z)

    def __repr__(self):
        return f"<activation {self.name}>"


# --- identity: g(Z) = Z ---------------------------------------------------------------

def identity(z):
    """g(Z) = Z (a linear unit)."""
    return np.asarray(z, dtype=np.float64)


def identity_derivative(z, a=None):
    """g'(Z) = 1."""
    return np.ones_like(np.asarray(z, dtype=np.float64))


# --- sigmoid (logistic): g(Z) = e^Z / (1 + e^Z) ------------------------------------------

def sigmoid(z):
    """The logistic function e^z / (1 + e^z), exact and stable for any real z.

    Uses e^z/(1+e^z) for z < 0 and 1/(1+e^{-z}) for z >= 0, so no exponential
    ever overflows: sigmoid(-1000) is 0.0 and sigmoid(1000) is 1.0, with no warning.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z, a=None):
    """σ'(Z) = σ(Z)(1 − σ(Z))."""
    a = sigmoid(z) if a is None else a
    return a * (1.0 - a)


def log_sigmoid(z):
    """log(sigmoid(z)) without cancellation: -log(1 + e^{-z})."""
    z = np.asarray(z, dtype=np.float64)
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


# --- tanh: g(Z) = (e^Z − e^{−Z}) / (e^Z + e^{−Z}) ------------------------------------------

def tanh(z):
    """The hyperbolic tangent, values in (−1, 1); tanh(Z) = 2σ(2Z) − 1."""
    return np.tanh(np.asarray(z, dtype=np.float64))


def tanh_derivative(z, a=None):
    """tanh'(Z) = 1 − tanh(Z)², computed as 4e^{−2|Z|} / (1 + e^{−2|Z|})².

    The second form is the same number without the cancellation of 1 − A² where A ≈ ±1
    (so `a` is accepted for the common signature but not needed).
    """
    e = np.exp(-2.0 * np.abs(np.asarray(z, dtype=np.float64)))
    return 4.0 * e / (1.0 + e) ** 2


# --- ReLU: g(Z) = max(Z, 0) ---------------------------------------------------------------

def relu(z):
    """The rectified linear unit max(Z, 0)."""
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def relu_derivative(z, a=None):
    """ReLU'(Z) = 1 for Z > 0 and 0 for Z <= 0 (at Z = 0 we take 0, as PyTorch does)."""
    return (np.asarray(z) > 0).astype(np.float64)


ACTIVATIONS = {
    "identity": Activation("identity", identity, identity_derivative),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative),
    "tanh": Activation("tanh", tanh, tanh_derivative),
    "relu": Activation("relu", relu, relu_derivative),
}


def activation(name):
    """The `Activation` called `name` (one of ``ACTIVATIONS``), or `name` itself if it is one."""
    if isinstance(name, Activation):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


# --- softmax over K scores: p̂_k = e^{Z_k} / Σ_l e^{Z_l} --------------------------------------

def logsumexp(Z):
    """Row-wise log Σ_k e^{Z_k}, stable (the maximum is subtracted first)."""
    Z = np.asarray(Z, dtype=np.float64)
    k = np.argmax(Z, axis=-1)[..., None]
    m = np.take_along_axis(Z, k, axis=-1)
    E = np.exp(Z - m)
    np.put_along_axis(E, k, 0.0, axis=-1)     # the maximum's term is exactly 1: use log1p for the rest
    return (m + np.log1p(E.sum(axis=-1, keepdims=True)))[..., 0]


def softmax(Z):
    """Row-wise softmax p̂_k = e^{Z_k} / Σ_l e^{Z_l} of an (n, K) array (or one row).

    Each row's maximum is subtracted before exponentiating, which leaves p̂
    unchanged and keeps e^{·} <= 1, so rows like [1000, 0] give [1, 0] with no warning.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim not in (1, 2):
        raise ValueError(f"Z: expected a 1-D or 2-D (n, K) array, got shape {Z.shape}")
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def softmax_backward(P, dP):
    """∂F/∂Z from ∂F/∂P̂ for P̂ = softmax(Z), row by row: P̂ ⊙ (dP − Σ_k dP_k P̂_k)."""
    return P * (dP - np.sum(dP * P, axis=-1, keepdims=True))


__all__ = [
    "Activation", "ACTIVATIONS", "activation",
    "identity", "identity_derivative", "sigmoid", "sigmoid_derivative", "log_sigmoid",
    "tanh", "tanh_derivative", "relu", "relu_derivative",
    "logsumexp", "softmax", "softmax_backward",
]
