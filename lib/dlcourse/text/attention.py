"""Scaled dot-product attention, single-head self-attention and sinusoidal positions, in numpy.

    Attention(Q, K, V) = softmax(Q Kᵀ / √d) V

Each query (a row of Q) scores every key (a row of K) by a dot product; the softmax of a row
turns its scores into weights that sum to 1, and the output row is the weighted average of the
values (rows of V). Dividing by √d keeps the scores' spread near 1 whatever the dimension d, so
the softmax does not saturate. Leading dimensions (batch, heads) broadcast as in numpy.

A mask is boolean with True where a query MAY attend to a key (PyTorch's convention for a boolean
`attn_mask`); for padded sequences build it with `padding_mask(lengths, n)[:, None, :]`.
"""

import numpy as np

from .._validation import _describe, as_float_array, positive_int


def _as_stack(a, name):
    """A float array with at least 2 dimensions (..., rows, columns)."""
    arr = as_float_array(a, name)
    if arr.ndim < 2:
        raise ValueError(f"{name}: expected an array (..., n, d) with at least 2 dimensions, got {_describe(arr)}")
    return arr


def masked_softmax(S, mask=None):
    """Softmax along the last axis (each row sums to 1), giving weight 0 where mask is False.

    Stable: each row's largest allowed score is subtracted before exponentiating. A row with
    every entry masked has no softmax (0/0 gives NaN); `scaled_dot_product_attention` refuses it.
    """
    S = np.asarray(S, dtype=np.float64)
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    S_max = np.max(S, axis=-1, keepdims=True)
    E = np.exp(S - S_max)                                # masked entries: exp(-inf) = 0
    return E / E.sum(axis=-1, keepdims=True)


def scaled_dot_product_attention(Q, K, V, mask=None):
    """softmax(Q Kᵀ / √d) V, returned with the attention weights.

    Parameters
    ----------
    Q : (..., n_q, d)   queries
    K : (..., n_k, d)   keys
    V : (..., n_k, d_v) values
    mask : bool array broadcastable to (..., n_q, n_k), optional
        True where query i may attend to key j. Every query needs at least one allowed key.

    Returns
    -------
    output : (..., n_q, d_v)
    weights : (..., n_q, n_k)   each row sums to 1 (0 on masked keys)
    """
    Q, K, V = _as_stack(Q, "Q"), _as_stack(K, "K"), _as_stack(V, "V")
    d = Q.shape[-1]
    if K.shape[-1] != d:
        raise ValueError(f"K: expected {d} columns (the width d of Q), got {_describe(K)}")
    if V.shape[-2] != K.shape[-2]:
        raise ValueError(f"V: expected {K.shape[-2]} rows (one per key), got {_describe(V)}")
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d)          # (..., n_q, n_k) scores
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise TypeError(f"mask: expected a boolean array (True = may attend), got {_describe(mask)}")
        try:
            mask = np.broadcast_to(mask, S.shape)
        except ValueError:
            raise ValueError(f"mask: expected a shape broadcastable to the scores' {S.shape}, "
                             f"got {_describe(mask)}") from None
        empty = ~mask.any(axis=-1)
        if empty.any():
            raise ValueError(f"mask: expected every query to attend to at least one key, got "
                             f"{int(empty.sum())} rows with all keys masked")
    weights = masked_softmax(S, mask)                    # (..., n_q, n_k)
    return weights @ V, weights                          # (..., n_q, d_v)


def padding_mask(lengths, n):
    """(batch, n) boolean: True at the first lengths[b] positions of row b (the real tokens)."""
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise ValueError(f"lengths: expected a 1-D integer array, got {_describe(lengths)}")
    n = positive_int(n, "n")
    if lengths.size and (lengths.min() < 0 or lengths.max() > n):
        raise ValueError(f"lengths: expected values in 0..{n}, got {lengths.min()}..{lengths.max()}")
    return np.arange(n) < lengths[:, None]               # (batch, n)


def _projection(W, name, n_rows):
    W = as_float_array(W, name, ndim=2)
    if W.shape[0] != n_rows:
        raise ValueError(f"{name}: expected {n_rows} rows (the width d_model of X), got {_describe(W)}")
    return W


def self_attention(X, W_q, W_k, W_v, W_o=None, mask=None):
    """Single-head self-attention: every position of X attends to every (allowed) position of X.

        Q = X W_q,  K = X W_k,  V = X W_v,  output = Attention(Q, K, V) W_o

    Parameters
    ----------
    X : (..., T, d_model)       one row per token (embedding + position)
    W_q, W_k : (d_model, d_k)   query and key projections
    W_v : (d_model, d_v)        value projection
    W_o : (d_v, d_out), optional  output projection (none: the attention output itself)
    mask : bool, broadcastable to (..., T, T), optional   True = may attend

    Returns
    -------
    output : (..., T, d_out or d_v),  weights : (..., T, T)
    """
    X = _as_stack(X, "X")
    d_model = X.shape[-1]
    W_q, W_k, W_v = (_projection(W, name, d_model) for W, name in ((W_q, "W_q"), (W_k, "W_k"), (W_v, "W_v")))
    output, weights = scaled_dot_product_attention(X @ W_q, X @ W_k, X @ W_v, mask)  # (..., T, d_v)
    if W_o is not None:
        W_o = as_float_array(W_o, "W_o", ndim=2)
        if W_o.shape[0] != output.shape[-1]:
            raise ValueError(f"W_o: expected {output.shape[-1]} rows (the width d_v of W_v), got {_describe(W_o)}")
        output = output @ W_o                            # (..., T, d_out)
    return output, weights


def positional_encoding(n_positions, d_model):
    """Sinusoidal positions (Vaswani et al., 2017), shape (n_positions, d_model):

        PE[t, 2i] = sin(t / 10000^(2i/d_model)),   PE[t, 2i+1] = cos(t / 10000^(2i/d_model))

    Each pair of columns is a sine wave of its own wavelength (2π up to 2π·10000), so every
    position gets a distinct pattern, and PE[t + k] is a fixed linear function (a rotation) of
    PE[t]: relative offsets are easy to read off. Added to the token embeddings.
    """
    n_positions = positive_int(n_positions, "n_positions")
    d_model = positive_int(d_model, "d_model")
    t = np.arange(n_positions)[:, None]                            # (T, 1)
    frequencies = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)  # (ceil(d/2),)
    angles = t * frequencies                                       # (T, ceil(d/2))
    PE = np.zeros((n_positions, d_model))
    PE[:, 0::2] = np.sin(angles)
    PE[:, 1::2] = np.cos(angles[:, :d_model // 2])                 # odd d_model: one cos fewer
    return PE


__all__ = ["scaled_dot_product_attention", "masked_softmax", "padding_mask", "self_attention",
           "positional_encoding"]
