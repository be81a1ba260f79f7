"""An Elman recurrent network in numpy: the forward pass over time and backpropagation through time.

    h_t = tanh(x_t W_x + h_{t−1} W_h + b),   t = 1, …, T,   h_0 given (zeros by default)

The same W_x, W_h and b are used at every step: the network is one layer unrolled T times. Rows
are examples (batch first), as everywhere in dlcourse: x_t is (n, d), h_t is (n, m).

Backpropagation through time walks the unrolled graph backwards. The gradient reaching h_t is
what the loss sends to h_t directly plus what flows back from h_{t+1}:

    ∂L/∂h_t = dH_t + (∂L/∂z_{t+1}) W_hᵀ,    ∂L/∂z_t = ∂L/∂h_t ⊙ (1 − h_t²)     (z_t: tanh's input)

and each weight collects one term per step. Every step multiplies the gradient by
diag(1 − h_t²) W_hᵀ, so over many steps it shrinks (vanishes) or grows (explodes) geometrically:
`RNNGradients.H` holds ∂L/∂h_t for every t to show it.
"""

from typing import NamedTuple

import numpy as np

from .._validation import _describe, as_float_array


def _check(X_emb, W_x, W_h, b, h0):
    X_emb = as_float_array(X_emb, "X_emb", ndim=3)
    n, T, d = X_emb.shape
    W_x = as_float_array(W_x, "W_x", ndim=2)
    if W_x.shape[0] != d:
        raise ValueError(f"W_x: expected {d} rows (the embedding width d of X_emb), got {_describe(W_x)}")
    m = W_x.shape[1]
    W_h = as_float_array(W_h, "W_h", ndim=2)
    if W_h.shape != (m, m):
        raise ValueError(f"W_h: expected shape ({m}, {m}) (m = W_x's columns), got {_describe(W_h)}")
    b = as_float_array(b, "b", ndim=1)
    if b.shape != (m,):
        raise ValueError(f"b: expected {m} entries (one per hidden unit), got {_describe(b)}")
    h0 = np.zeros((n, m)) if h0 is None else as_float_array(h0, "h0")
    if h0.shape != (n, m):
        raise ValueError(f"h0: expected shape ({n}, {m}), got {_describe(h0)}")
    return X_emb, W_x, W_h, b, h0


def rnn_forward(X_emb, W_x, W_h, b, h0=None):
    """All hidden states of an Elman RNN with tanh.

    Parameters
    ----------
    X_emb : (n, T, d)   the inputs, e.g. word embeddings of n sequences of length T
    W_x : (d, m)        input-to-hidden weights
    W_h : (m, m)        hidden-to-hidden (recurrent) weights
    b : (m,)            bias
    h0 : (n, m), optional   initial state (zeros)

    Returns
    -------
    H : (n, T, m)   H[:, t] is the state after reading X_emb[:, t]; for padded sequences
                    read row i's state at lengths[i] − 1 (later states have read padding)
    """
    X_emb, W_x, W_h, b, h = _check(X_emb, W_x, W_h, b, h0)
    n, T, _ = X_emb.shape
    H = np.empty((n, T, W_h.shape[0]))                   # (n, T, m)
    for t in range(T):
        h = np.tanh(X_emb[:, t] @ W_x + h @ W_h + b)     # (n, m)
        H[:, t] = h
    return H


class RNNGradients(NamedTuple):
    """∂L/∂(each argument of rnn_forward), plus ∂L/∂h_t through every path."""

    X_emb: np.ndarray   # (n, T, d)
    W_x: np.ndarray     # (d, m)
    W_h: np.ndarray     # (m, m)
    b: np.ndarray       # (m,)
    h0: np.ndarray      # (n, m)
    H: np.ndarray       # (n, T, m)  total ∂L/∂h_t (direct + through later states)


def rnn_backward(dH, X_emb, H, W_x, W_h, h0=None):
    """Backpropagation through time for `rnn_forward`.

    Parameters
    ----------
    dH : (n, T, m)   ∂L/∂H as the loss sees it directly, e.g. zero everywhere except at each
                     row's last real step for a classifier on the final state
    X_emb, W_x, W_h, h0 : the inputs of rnn_forward;  H : (n, T, m) its output

    Returns
    -------
    RNNGradients(X_emb, W_x, W_h, b, h0, H): ∂L/∂ each, with the shapes of the arguments.
    """
    X_emb, W_x, W_h, _, h0 = _check(X_emb, W_x, W_h, np.zeros(np.shape(W_h)[0]), h0)
    n, T, _ = X_emb.shape
    m = W_h.shape[0]
    for arr, name in ((dH, "dH"), (H, "H")):
        if np.shape(arr) != (n, T, m):
            raise ValueError(f"{name}: expected shape {(n, T, m)} (the shape of rnn_forward's output), "
                             f"got {_describe(arr)}")
    dH = as_float_array(dH, "dH")
    H = as_float_array(H, "H")
    dX, dW_x, dW_h, db = np.zeros_like(X_emb), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(m)
    dH_total = np.empty_like(H)
    dh_from_later = np.zeros((n, m))                     # ∂L/∂h_t through h_{t+1}
    for t in reversed(range(T)):
        h_prev = H[:, t - 1] if t > 0 else h0            # (n, m)
        dh = dH[:, t] + dh_from_later                    # (n, m) total ∂L/∂h_t
        dH_total[:, t] = dh
        dZ = dh * (1.0 - H[:, t] ** 2)                   # tanh'(z) = 1 − tanh(z)²
        dW_x += X_emb[:, t].T @ dZ                       # (d, m)
        dW_h += h_prev.T @ dZ                            # (m, m)
        db += dZ.sum(axis=0)                             # (m,)
        dX[:, t] = dZ @ W_x.T                            # (n, d)
        dh_from_later = dZ @ W_h.T                       # (n, m), sent to h_{t−1}
    return RNNGradients(X_emb=dX, W_x=dW_x, W_h=dW_h, b=db, h0=dh_from_later, H=dH_total)


__all__ = ["rnn_forward", "rnn_backward", "RNNGradients"]
