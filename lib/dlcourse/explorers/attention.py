"""Lecture 4's explorers, pure compute: vanishing gradients through time, and attention weights.

* `vanishing_gradients(scale)`  the recurrent weight's scale slider: how large ∂L/∂h_t is at
  each distance from the end of a sequence, for an Elman RNN (`dlcourse.text.rnn_backward`)
* `attention_view(weights, tokens, query)`  the word slider: which words one word attends to
  in a trained transformer (the weights come from `dlcourse.torch.text.attention_weights`)

No plotting, no widgets and no torch here; figures are in `dlcourse.widgets.attention`.
"""

import functools
from dataclasses import dataclass

import numpy as np

from .._validation import _describe, positive_int, positive_number
from ..text import rnn_backward, rnn_forward


@dataclass
class VanishingView:
    """‖∂L/∂h_t‖ for a loss on the last state, at each distance T − t (0 = the last word).

    distance : (T,) 0, 1, …, T − 1;  norm : (T,) the gradient's size at that distance
    decay : norm at the largest distance / norm at distance 0;  regime : "vanishes",
    "survives" or "explodes";  status : one line for the user
    """

    scale: float
    distance: np.ndarray
    norm: np.ndarray
    decay: float
    regime: str
    status: str


@functools.lru_cache(maxsize=8)
def _rnn_inputs(T, m, d, seed):
    rng = np.random.default_rng(seed)
    W_h0, _ = np.linalg.qr(rng.normal(size=(m, m)))              # orthogonal: all singular values 1
    X = rng.normal(size=(1, T, d))                               # one sequence of T word vectors
    W_x = rng.normal(scale=0.3 / np.sqrt(d), size=(d, m))
    return X, W_x, W_h0


def vanishing_gradients(scale, *, T=40, m=32, d=16, seed=0):
    """Backpropagation through time in an Elman RNN whose recurrent weight is W_h = scale · (orthogonal).

    The loss reads only the last state (L = sum of h_T), so ∂L/∂h_t reaches step t only through
    T − t multiplications by diag(1 − h²) W_hᵀ: with scale < 1 it shrinks geometrically.
    """
    scale = positive_number(scale, "scale")
    T, m, d = positive_int(T, "T"), positive_int(m, "m"), positive_int(d, "d")
    X, W_x, W_h0 = _rnn_inputs(T, m, d, seed)
    W_h = scale * W_h0
    H = rnn_forward(X, W_x, W_h, np.zeros(m))
    dH = np.zeros_like(H)
    dH[:, -1] = 1.0                                              # ∂L/∂h_T for L = Σ h_T
    grads = rnn_backward(dH, X, H, W_x, W_h)
    norm = np.linalg.norm(grads.H[0], axis=1)[::-1]              # (T,) by distance from the end
    decay = float(norm[-1] / norm[0])
    regime = "vanishes" if decay < 1e-3 else ("explodes" if decay > 1e3 else "survives")
    status = (f"scale {scale:.2f}: the gradient {T - 1} words back is {decay:.1e} times its size at the "
              f"last word ({regime})")
    return VanishingView(scale=scale, distance=np.arange(T), norm=norm, decay=decay, regime=regime, status=status)


@dataclass
class AttentionView:
    """One snippet's attention: the (T, T) weights of its real words, and one query word's row.

    tokens : the T words;  weights : (T, T), row t = how much word t attends to each word
    query : the chosen word's index;  row : (T,) its weights (sum 1);  top : the word it attends to most
    """

    tokens: list
    weights: np.ndarray
    query: int
    row: np.ndarray
    top: str
    status: str


def attention_view(weights, tokens, query):
    """The weights among a snippet's real words (padding dropped) and the row of word `query`."""
    tokens = list(tokens)
    T = len(tokens)
    W = np.asarray(weights, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] < T or W.shape[1] < T:
        raise ValueError(f"weights: expected a square array at least ({T}, {T}) (one row per token), got {_describe(W)}")
    query = int(query)
    if not 0 <= query < T:
        raise ValueError(f"query: expected a word index 0..{T - 1}, got {query}")
    W = W[:T, :T] / W[:T, :T].sum(axis=1, keepdims=True)          # renormalized over the shown words
    row = W[query]
    k = int(np.argmax(row))
    status = f"“{tokens[query]}” attends most to “{tokens[k]}” (weight {row[k]:.2f})"
    return AttentionView(tokens=tokens, weights=W, query=query, row=row, top=tokens[k], status=status)


__all__ = ["vanishing_gradients", "VanishingView", "attention_view", "AttentionView"]
