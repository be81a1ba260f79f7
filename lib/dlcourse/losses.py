"""Loss functions L(Y, ŷ), averaged over the n observations, each with its gradient beside it.

One convention: ``name(y, prediction)`` is the mean loss as written on the slides
(prediction ŷ, p̂ or P̂) and ``name_gradient(y, prediction)`` its gradient in the
prediction. An objective works on the scores Z before the output activation, so each
loss is also a `Loss` (``SQUARED_ERROR``, ``LOGISTIC``, ``CROSS_ENTROPY``) whose
``on_scores(y, Z)`` returns (mean loss, ∂/∂Z): exact where p̂ rounds to 0 or 1, and
∂/∂Z is simply (p̂ − Y)/n for the logistic and the cross-entropy loss.
"""

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, as_labels
from .functions import log_sigmoid, logsumexp, sigmoid, softmax


@dataclass(frozen=True)
class Loss:
    """A loss as objectives use it: ``on_scores(y, Z)`` → (mean loss, ∂/∂Z), Z the scores.

    output : the output activation that turns Z into the prediction this loss compares with Y
    on_predictions : the slide form L(y, prediction)
    """

    name: str
    output: str
    on_predictions: object
    on_scores: object

    def __repr__(self):
        return f"<loss {self.name} (output {self.output})>"


def _pair(y, y_hat, y_name="y", y_hat_name="y_hat"):
    y_hat = as_float_array(y_hat, y_hat_name, ndim=1)
    y = as_float_array(y, y_name, ndim=1)
    if y.shape != y_hat.shape:
        raise ValueError(f"{y_name}, {y_hat_name}: expected the same length, got {y.shape} and {y_hat.shape}")
    return y, y_hat


def _binary(y, p_hat):
    y, p_hat = _pair(y, p_hat, "y", "p_hat")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y: expected binary labels 0 or 1")
    if np.any((p_hat < 0) | (p_hat > 1)):
        raise ValueError("p_hat: expected probabilities in [0, 1]")
    return y, p_hat


def _multiclass(y, P):
    P = as_float_array(P, "P", ndim=2)
    y = as_labels(y, P.shape[1], "y", n=P.shape[0])
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("P: expected rows of probabilities (entries >= 0, each row summing to 1)")
    return y, P


# --- squared error -----------------------------------------------------------

def squared_error(y, y_hat):
    """(1/n) Σ (Y_i − Ŷ_i)²."""
    y, y_hat = _pair(y, y_hat)
    return float(np.mean((y - y_hat) ** 2))


def squared_error_gradient(y, y_hat):
    """∂/∂Ŷ of the mean squared error: −(2/n)(Y − Ŷ), shape (n,)."""
    y, y_hat = _pair(y, y_hat)
    return -2.0 * (y - y_hat) / y.shape[0]


def _squared_error_on_scores(y, z):
    """Mean squared error with Ŷ = Z; returns (value, ∂/∂Z) = (mean (Z − Y)², 2(Z − Y)/n)."""
    r = z - y
    return float(np.mean(r * r)), 2.0 * r / y.shape[0]


# --- logistic loss (binary cross-entropy) -------------------------------------

def logistic_loss(y, p_hat):
    """(1/n) Σ −[Y log p̂ + (1 − Y) log(1 − p̂)], Y in {0, 1}; the negative log-likelihood."""
    y, p_hat = _binary(y, p_hat)
    with np.errstate(divide="ignore"):
        p_true = np.where(y == 1, p_hat, 1.0 - p_hat)
        return float(np.mean(-np.log(p_true)))


def logistic_loss_gradient(y, p_hat):
    """∂/∂p̂ of the mean logistic loss: −1/(n p̂) where Y = 1, 1/(n(1 − p̂)) where Y = 0; shape (n,).

    (The same as (p̂ − Y)/(n p̂(1 − p̂)), written so that p̂ = Y gives a finite value, not 0/0.)
    """
    y, p_hat = _binary(y, p_hat)
    with np.errstate(divide="ignore"):
        return np.where(y == 1, -1.0 / p_hat, 1.0 / (1.0 - p_hat)) / y.shape[0]


def _logistic_loss_on_scores(y, z):
    """Mean logistic loss with p̂ = sigmoid(Z), computed from Z; returns (value, ∂/∂Z)."""
    # −[Y log σ(Z) + (1−Y) log σ(−Z)], and ∂/∂Z = σ(Z) − Y
    value = -np.mean(y * log_sigmoid(z) + (1.0 - y) * log_sigmoid(-z))
    return float(value), (sigmoid(z) - y) / y.shape[0]


# --- multi-class cross-entropy --------------------------------------------------

def cross_entropy(y, P):
    """Mean cross-entropy (1/n) Σ −log p̂_{Y_i}.

    Parameters
    ----------
    y : (n,) integer labels in 0..K−1
    P : (n, K) probabilities, rows summing to 1; P[i, k] = p̂_k for observation i
    """
    y, P = _multiclass(y, P)
    with np.errstate(divide="ignore"):
        return float(np.mean(-np.log(P[np.arange(y.shape[0]), y])))


def cross_entropy_gradient(y, P):
    """∂/∂P of the mean cross-entropy: −1/(n p̂_{Y_i}) at (i, Y_i), zero elsewhere; shape (n, K)."""
    y, P = _multiclass(y, P)
    G = np.zeros_like(P)
    rows = np.arange(y.shape[0])
    with np.errstate(divide="ignore"):
        G[rows, y] = -1.0 / P[rows, y] / y.shape[0]
    return G


def _cross_entropy_on_scores(y, Z):
    """Mean cross-entropy with P̂ = softmax(Z), from Z (n, K); returns (value, ∂/∂Z).

    −log p̂_Y = logsumexp(Z) − Z_Y, and ∂/∂Z = (P̂ − onehot(Y)) / n.
    """
    n = y.shape[0]
    rows = np.arange(n)
    value = np.mean(logsumexp(Z) - Z[rows, y])
    G = softmax(Z)
    G[rows, y] -= 1.0
    return float(value), G / n


SQUARED_ERROR = Loss("squared error", "identity", squared_error, _squared_error_on_scores)
LOGISTIC = Loss("logistic loss", "sigmoid", logistic_loss, _logistic_loss_on_scores)
CROSS_ENTROPY = Loss("cross-entropy", "softmax", cross_entropy, _cross_entropy_on_scores)
LOSSES = {loss.name: loss for loss in (SQUARED_ERROR, LOGISTIC, CROSS_ENTROPY)}

__all__ = [
    "Loss", "LOSSES", "SQUARED_ERROR", "LOGISTIC", "CROSS_ENTROPY",
    "squared_error", "squared_error_gradient", "logistic_loss", "logistic_loss_gradient",
    "cross_entropy", "cross_entropy_gradient",
]
