"""Lecture 3's explorers, pure compute: a filter sliding over a real image, and max pooling.

No plotting and no widgets here (those are in `dlcourse.widgets.convolution`): give the functions
the slider values, check the arrays and the status line they return.
"""

from dataclasses import dataclass

import numpy as np

from .. import conv
from .._validation import as_float_array


@dataclass
class FeatureMapView:
    """What the filter explorer draws for one setting.

    image : (h, w) the input;  kernel : (3, 3) the filter;  feature_map : (h_out, w_out)
    window : (row, col) of the top-left input pixel of the window where |feature map| is largest,
             and `peak` the output position (i, j) it produces
    status : one line with the output-size formula filled in
    """

    name: str
    image: np.ndarray
    kernel: np.ndarray
    padding: int
    stride: int
    feature_map: np.ndarray
    peak: tuple
    window: tuple
    status: str


def _kernel(kernel):
    if isinstance(kernel, str):
        return kernel, conv.filter_named(kernel)
    k = as_float_array(kernel, "kernel", ndim=2)
    if k.shape != (3, 3):
        raise ValueError(f"kernel: expected a filter name or a 3×3 array, got shape {k.shape}")
    named = next((n for n, f in conv.FILTERS.items() if np.array_equal(f, k)), None)
    return named or "your filter", k


def feature_map_view(image, kernel="vertical edge", *, padding=0, stride=1):
    """Slide `kernel` (a name in `conv.FILTERS` or a 3×3 array) over `image` (h, w).

    S[i, j] = Σ_u Σ_v X[i·s + u, j·s + v] · W[u, v] for X the image padded with `padding` zeros;
    the map is ⌊(h + 2·padding − 3)/stride⌋ + 1 pixels tall (and likewise wide).
    """
    name, k = _kernel(kernel)
    image = as_float_array(image, "image", ndim=2)
    S = conv.feature_map(image, k, padding=padding, stride=stride)
    i, j = np.unravel_index(int(np.argmax(np.abs(S))), S.shape)
    h, w = image.shape
    status = (f"{name}, padding {padding}, stride {stride}: ⌊({h} + 2·{padding} − 3)/{stride}⌋ + 1 = {S.shape[0]}, "
              f"a {S.shape[0]}×{S.shape[1]} feature map")
    return FeatureMapView(name, image, k, padding, stride, S, (int(i), int(j)),
                          (int(i) * stride - padding, int(j) * stride - padding), status)


@dataclass
class PoolingView:
    """A feature map and its max-pooled version; `status` gives both shapes."""

    feature_map: np.ndarray
    pooled: np.ndarray
    size: int
    status: str


def pooling_view(feature_map, size=2):
    """Max pooling of a feature map with non-overlapping size×size windows (stride = size)."""
    S = as_float_array(feature_map, "feature_map", ndim=2)
    P = conv.max_pool2d(S, size)
    return PoolingView(S, P, size, f"max pool {size}×{size}: {S.shape[0]}×{S.shape[1]} → {P.shape[0]}×{P.shape[1]} "
                                   f"({S.size // P.size}× fewer numbers)")


__all__ = ["FeatureMapView", "feature_map_view", "PoolingView", "pooling_view"]
