"""Convolution for images: the definition as loops, the same vectorized, its gradients, pooling.

A convolutional layer slides each filter W[o] (C × k × k, spanning every input channel) over the
image and takes a weighted sum at every position (cross-correlation, as every library computes it):

    S[o, i, j] = b[o] + Σ_c Σ_u Σ_v X[c, i·s + u, j·s + v] · W[o, c, u, v]

where X is the input padded with `padding` zeros on each side and s is the stride.
Shapes: x is (C, H, W) or a batch (n, C, H, W); W is (C_out, C, k, k); b is (C_out,).
"""

import numbers
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlcourse._validation import as_float_array, positive_int

__all__ = [
    "FILTERS", "CNNLayer", "architecture_table", "cnn_architecture", "cnn_graph_layers", "conv2d", "conv2d_backward", "conv2d_loops",
    "feature_map", "filter_named", "max_pool2d", "max_pool2d_backward", "n_params_conv", "n_params_dense",
    "output_size", "permute_pixels",
]


def _nonnegative_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name}: expected an integer >= 0, got {value!r}")
    return int(value)


def output_size(n, kernel_size, *, padding=0, stride=1):
    """Positions a kernel takes along one side of length n: ⌊(n + 2·padding − k)/stride⌋ + 1."""
    n = positive_int(n, "n")
    k = positive_int(kernel_size, "kernel_size")
    padding = _nonnegative_int(padding, "padding")
    stride = positive_int(stride, "stride")
    if k > n + 2 * padding:
        raise ValueError(
            f"kernel_size: expected at most n + 2·padding = {n + 2 * padding}, got {k} "
            "(the kernel does not fit; use more padding or a smaller kernel)"
        )
    return (n + 2 * padding - k) // stride + 1


# --- checking and padding -------------------------------------------------------------------

def _as_images(x):
    """x as a batch (n, C, H, W), and whether it arrived as one image (C, H, W)."""
    x = as_float_array(x, "x")
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise ValueError(f"x: expected a (C, H, W) or (n, C, H, W) array, got shape {x.shape}")
    return (x[None], True) if x.ndim == 3 else (x, False)


def _check_conv(x, W, padding, stride):
    x, single = _as_images(x)
    W = as_float_array(W, "W")
    if W.ndim != 4 or W.shape[2] != W.shape[3] or 0 in W.shape:
        raise ValueError(f"W: expected a (C_out, C, k, k) array of square filters, got shape {W.shape}")
    if W.shape[1] != x.shape[1]:
        raise ValueError(
            f"W: expected {x.shape[1]} input channels to match x's C = {x.shape[1]}, "
            f"got shape {W.shape}"
        )
    padding = _nonnegative_int(padding, "padding")
    stride = positive_int(stride, "stride")
    k, fits = W.shape[2], min(x.shape[2:]) + 2 * padding
    if k > fits:
        raise ValueError(
            f"W: expected a kernel of at most {fits} pixels (x is {x.shape[2]}×{x.shape[3]} "
            f"with padding {padding}), got k = {k}; use more padding or a smaller kernel"
        )
    return x, W, single, padding, stride


def _bias(b, C_out):
    if b is None:
        return np.zeros(C_out)
    b = as_float_array(b, "b", ndim=1)
    if b.shape[0] != C_out:
        raise ValueError(f"b: expected {C_out} entries (one per filter), got shape {b.shape}")
    return b


def _pad(x, padding):
    """Zeros around the two spatial axes of (n, C, H, W)."""
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


# --- the convolutional layer ------------------------------------------------------------------

def conv2d_loops(x, W, b=None, *, padding=0, stride=1):
    """The definition of a convolutional layer, written as plain loops (slow; read it, don't use it).

    Returns S shaped (C_out, H_out, W_out), or (n, C_out, H_out, W_out) for a batch.
    """
    x, W, single, p, s = _check_conv(x, W, padding, stride)
    n, C, H_in, W_in = x.shape
    C_out, _, k, _ = W.shape
    b = _bias(b, C_out)
    X = _pad(x, p)
    H_out, W_out = output_size(H_in, k, padding=p, stride=s), output_size(W_in, k, padding=p, stride=s)
    S = np.zeros((n, C_out, H_out, W_out))
    for a in range(n):                      # each image
        for o in range(C_out):              # each filter
            for i in range(H_out):          # each output position (i, j)
                for j in range(W_out):
                    total = b[o]
                    for c in range(C):      # Σ_c Σ_u Σ_v X[c, i·s+u, j·s+v] W[o, c, u, v]
                        for u in range(k):
                            for v in range(k):
                                total += X[a, c, i * s + u, j * s + v] * W[o, c, u, v]
                    S[a, o, i, j] = total
    return S[0] if single else S


def _windows(X, k, s):
    """Every k×k window of padded X (n, C, Hp, Wp), one per output position."""
    return sliding_window_view(X, (k, k), axis=(2, 3))[:, :, ::s, ::s]  # (n, C, H_out, W_out, k, k)


def conv2d(x, W, b=None, *, padding=0, stride=1):
    """A convolutional layer, vectorized: the same numbers as `conv2d_loops`, computed as one matmul."""
    x, W, single, p, s = _check_conv(x, W, padding, stride)
    b = _bias(b, W.shape[0])
    C_out, C, k, _ = W.shape
    windows = _windows(_pad(x, p), k, s)                          # (n, C, H_out, W_out, k, k)
    n, _, H_out, W_out = windows.shape[:4]
    # im2col: one column of C·k·k numbers per output position, laid out so that the matmul
    # already gives (n, C_out, positions) and no transpose of the (large) output is needed
    columns = windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, C * k * k, H_out * W_out)
    S = np.matmul(W.reshape(C_out, C * k * k), columns)           # (n, C_out, H_out·W_out)
    S += b[:, None]
    S = S.reshape(n, C_out, H_out, W_out)
    return S[0] if single else S


def conv2d_backward(x, W, dS, *, padding=0, stride=1):
    """Gradients of a loss through S = conv2d(x, W, b): given dS = ∂L/∂S, return (dx, dW, db).

    Each follows from S's formula: db[o] sums dS[o] over positions; dW[o, c, u, v] sums
    dS[o, i, j]·X[c, i·s+u, j·s+v]; and each input pixel collects dS·W from every window it lies in.
    """
    x, W, single, p, s = _check_conv(x, W, padding, stride)
    n, C, H_in, W_in = x.shape
    C_out, _, k, _ = W.shape
    H_out, W_out = output_size(H_in, k, padding=p, stride=s), output_size(W_in, k, padding=p, stride=s)
    dS = as_float_array(dS, "dS")
    expected = (C_out, H_out, W_out) if single else (n, C_out, H_out, W_out)
    if dS.shape != expected:
        raise ValueError(f"dS: expected shape {expected} (the shape of conv2d's output), got shape {dS.shape}")
    if single:
        dS = dS[None]                                             # (n, C_out, H_out, W_out)
    X = _pad(x, p)
    db = dS.sum(axis=(0, 2, 3))                                   # (C_out,)
    dW = np.tensordot(dS, _windows(X, k, s), axes=([0, 2, 3], [0, 2, 3]))  # (C_out, C, k, k)
    dwin = np.tensordot(dS, W, axes=([1], [0]))                   # (n, H_out, W_out, C, k, k)
    dX = np.zeros_like(X)                                         # (n, C, H + 2p, W + 2p)
    for u in range(k):                                            # scatter each window back
        for v in range(k):
            dX[:, :, u:u + s * H_out:s, v:v + s * W_out:s] += dwin[..., u, v].transpose(0, 3, 1, 2)
    dx = dX[:, :, p:p + H_in, p:p + W_in]                         # drop the padding
    return (dx[0] if single else dx), dW, db


# --- max pooling ------------------------------------------------------------------------------

def _check_pool(x, size, stride):
    x = as_float_array(x, "x")
    if x.ndim not in (2, 3, 4) or 0 in x.shape[-2:]:
        raise ValueError(f"x: expected an (H, W), (C, H, W) or (n, C, H, W) array, got shape {x.shape}")
    size = positive_int(size, "size")
    stride = size if stride is None else positive_int(stride, "stride")
    if size > min(x.shape[-2:]):
        raise ValueError(f"size: expected at most {min(x.shape[-2:])} (the smaller side of x), got {size}")
    return x, size, stride


def max_pool2d(x, size=2, stride=None):
    """The largest value in each size×size window (stride defaults to size: windows don't overlap)."""
    x, size, stride = _check_pool(x, size, stride)
    windows = sliding_window_view(x, (size, size), axis=(-2, -1))[..., ::stride, ::stride, :, :]
    return windows.max(axis=(-2, -1))                             # (..., H_out, W_out)


def max_pool2d_backward(x, dOut, size=2, stride=None):
    """Gradient of max pooling: each window's dOut goes to the position of its maximum (others get 0)."""
    x, size, stride = _check_pool(x, size, stride)
    H, W = x.shape[-2:]
    H_out, W_out = output_size(H, size, stride=stride), output_size(W, size, stride=stride)
    dOut = as_float_array(dOut, "dOut")
    if dOut.shape != x.shape[:-2] + (H_out, W_out):
        raise ValueError(
            f"dOut: expected shape {x.shape[:-2] + (H_out, W_out)} (the shape of max_pool2d's output), "
            f"got shape {dOut.shape}"
        )
    x2 = x.reshape(-1, H, W)                                      # (L, H, W): leading axes as one
    windows = sliding_window_view(x2, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    best = windows.reshape(*windows.shape[:3], size * size).argmax(axis=-1)  # (L, H_out, W_out)
    rows = np.arange(H_out)[:, None] * stride + best // size      # where each maximum sits in x
    cols = np.arange(W_out)[None, :] * stride + best % size
    dx = np.zeros_like(x2)
    lead = np.arange(x2.shape[0])[:, None, None]
    np.add.at(dx, (lead, rows, cols), dOut.reshape(-1, H_out, W_out))  # overlapping windows add up
    return dx.reshape(x.shape)


# --- named filters for the explorer -----------------------------------------------------------

def _frozen(rows, scale=1.0):
    a = np.array(rows, dtype=np.float64) * scale
    a.setflags(write=False)
    return a


FILTERS = {
    # Sobel: left column minus right column; large where brightness changes from left to right,
    # i.e. on a vertical edge; 0 on flat regions and on horizontal edges.
    "vertical edge": _frozen([[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
    # Its transpose: top row minus bottom row; responds to horizontal edges.
    "horizontal edge": _frozen([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]),
    # A weighted average of the 3×3 neighbourhood (weights sum to 1, so flat regions stay as they are).
    "blur": _frozen([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    # The pixel plus its difference from its four neighbours: exaggerates edges; weights sum to 1.
    "sharpen": _frozen([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    # Copies the centre pixel: the map equals the image (with padding=1).
    "identity": _frozen([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
}


def filter_named(name):
    """A (writable) copy of the 3×3 filter called `name` in FILTERS."""
    if name not in FILTERS:
        raise ValueError(f"name: expected one of {', '.join(map(repr, FILTERS))}, got {name!r}")
    return FILTERS[name].copy()


def feature_map(image, kernel, *, padding=0, stride=1):
    """Slide one 2-D kernel (k, k) over one grey image (h, w): the 2-D map the explorer shows."""
    image = as_float_array(image, "image", ndim=2)
    kernel = as_float_array(kernel, "kernel", ndim=2)
    if kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"kernel: expected a square (k, k) array, got shape {kernel.shape}")
    return conv2d(image[None], kernel[None, None], padding=padding, stride=stride)[0]  # (h_out, w_out)


# --- the permutation experiment and parameter counts ------------------------------------------

def permute_pixels(X, *, seed=0):
    """Shuffle pixel positions with ONE random permutation, the same for every image.

    X: (n, h, w) images or (n, p) flattened ones; seed: an int or a numpy Generator.
    Returns (X_permuted, permutation) with X_permuted.reshape(n, -1)[:, j] = X.reshape(n, -1)[:, permutation[j]];
    `np.argsort(permutation)` undoes it. The dtype of X is kept.
    """
    X = np.asarray(X)
    if X.ndim not in (2, 3) or X.shape[0] == 0:
        raise ValueError(f"X: expected an (n, h, w) or (n, p) array of images with n >= 1, got shape {X.shape}")
    if isinstance(seed, np.random.Generator):
        rng = seed
    elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        rng = np.random.default_rng(int(seed))
    else:
        raise TypeError(f"seed: expected an integer >= 0 or a numpy Generator, got {seed!r}")
    permutation = rng.permutation(int(np.prod(X.shape[1:])))
    X_permuted = X.reshape(X.shape[0], -1)[:, permutation].reshape(X.shape)
    return X_permuted, permutation


def n_params_conv(C_in, C_out, k):
    """Weights and biases of a conv layer: C_out filters of C_in·k·k weights, plus one bias each."""
    C_in, C_out, k = positive_int(C_in, "C_in"), positive_int(C_out, "C_out"), positive_int(k, "k")
    return C_out * (C_in * k * k + 1)


def n_params_dense(fan_in, fan_out):
    """Weights and biases of a dense layer: fan_out units of fan_in weights, plus one bias each."""
    fan_in, fan_out = positive_int(fan_in, "fan_in"), positive_int(fan_out, "fan_out")
    return fan_out * (fan_in + 1)


# --- a whole convolutional network: shapes and parameters, layer by layer ----------------------

@dataclass(frozen=True)
class CNNLayer:
    """One layer of a CNN: what it is, the shape of its output (C, h, w) or (units,), its parameters."""

    name: str
    shape: tuple
    n_params: int


def cnn_architecture(input_shape=(1, 28, 28), *, channels=(16, 32), kernel_size=3, padding=1, pool=2,
                     hidden=128, n_classes=10, batch_norm=True):
    """The layers of lecture 3's CNN (`dlcourse.torch.SmallCNN`): for each c in `channels` a block
    conv k×k (padding keeps the size) → [batch norm] → ReLU → max pool, then flatten → dense `hidden`
    → ReLU → dense `n_classes` (softmax in the loss). Returns a list of `CNNLayer`.

    Batch normalization adds a scale and a shift per channel (2·c parameters).
    """
    if not (isinstance(input_shape, tuple) and len(input_shape) == 3):
        raise ValueError(f"input_shape: expected a tuple (C, h, w), got {input_shape!r}")
    C, h, w = (positive_int(v, "input_shape") for v in input_shape)
    layers = [CNNLayer("input image", (C, h, w), 0)]
    for c in channels:
        c = positive_int(c, "channels")
        h = output_size(h, kernel_size, padding=padding)
        w = output_size(w, kernel_size, padding=padding)
        layers.append(CNNLayer(f"conv {kernel_size}×{kernel_size}, {c} filters", (c, h, w),
                               n_params_conv(C, c, kernel_size)))
        if batch_norm:
            layers.append(CNNLayer("batch norm", (c, h, w), 2 * c))
        layers.append(CNNLayer("ReLU", (c, h, w), 0))
        h, w = output_size(h, pool, stride=pool), output_size(w, pool, stride=pool)
        layers.append(CNNLayer(f"max pool {pool}×{pool}", (c, h, w), 0))
        C = c
    flat = C * h * w
    layers.append(CNNLayer("flatten", (flat,), 0))
    layers.append(CNNLayer(f"dense {hidden} + ReLU", (hidden,), n_params_dense(flat, hidden)))
    layers.append(CNNLayer(f"dense {n_classes} (softmax)", (n_classes,), n_params_dense(hidden, n_classes)))
    return layers


def _shape_text(shape):
    return "×".join(map(str, shape))


def architecture_table(architecture):
    """The layers as a text table: name, output shape, parameters, and the total."""
    rows = [f"{'layer':<24}{'output shape':>14}{'parameters':>12}"]
    rows += [f"{L.name:<24}{_shape_text(L.shape):>14}{L.n_params:>12,}" for L in architecture]
    rows.append(f"{'total':<24}{'':>14}{sum(L.n_params for L in architecture):>12,}")
    return "\n".join(rows)


def cnn_graph_layers(architecture):
    """`cnn_architecture`'s layers as `dlcourse.models.Layer`s for `graphs.draw_model`: one column per
    conv block (its conv and pooled shapes in the caption), the dense layer, the softmax output."""
    from .models import Layer

    first = architecture[0]
    columns = [Layer(int(np.prod(first.shape)), "input", symbol="X", label=f"image\n{_shape_text(first.shape)}")]
    conv_shape = None
    for layer in architecture[1:]:
        if layer.name.startswith("conv"):
            conv_shape, kernel = layer.shape, layer.name.split(",")[0]
        elif layer.name.startswith("max pool"):
            label = f"{kernel} + ReLU\n{_shape_text(conv_shape)}\n{layer.name}\n{_shape_text(layer.shape)}"
            columns.append(Layer(int(np.prod(layer.shape)), "hidden", "relu", "A", label=label))
        elif layer.name.startswith("dense") and layer is not architecture[-1]:
            columns.append(Layer(layer.shape[0], "hidden", "relu", "A",
                                 label=f"flatten → dense\n{layer.shape[0]}, ReLU"))
    last = architecture[-1]
    columns.append(Layer(last.shape[0], "output", "softmax", "Z", label=f"{last.shape[0]} scores"))
    return columns
