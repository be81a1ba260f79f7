"""One place for checking user input; every error names the argument.

Messages follow one pattern: "<name>: expected <what>, got <what arrived>".
"""

import numbers

import numpy as np


def _describe(a):
    a = np.asarray(a)
    return f"array of shape {a.shape} and dtype {a.dtype}"


def as_float_array(a, name, *, ndim=None):
    """Return `a` as a finite float64 array with `ndim` dimensions."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers, got {type(a).__name__}") from None
    if ndim is not None and arr.ndim != ndim:
        kind = {0: "a scalar", 1: "a 1-D array", 2: "a 2-D array (n, p)"}.get(ndim, f"{ndim}-D")
        raise ValueError(f"{name}: expected {kind}, got {_describe(arr)}")
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name}: expected finite values, got {n_bad} NaN or inf entries "
            f"in {_describe(arr)}"
        )
    return arr


def as_design_matrix(X, name="X"):
    """Return X as a finite (n, p) float array with n >= 1."""
    X = as_float_array(X, name, ndim=2)
    if X.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one row, got {_describe(X)}")
    return X


def as_response(y, n, name="y"):
    """Return a finite real response vector of length n."""
    y = as_float_array(y, name, ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"{name}: expected {n} entries (one per row of X), got {_describe(y)}")
    return y


def as_labels(y, n_classes, name="y", *, n=None, hint=None):
    """Return integer class labels in 0..K-1 as an int64 vector (integer-valued floats allowed)."""
    arr = np.asarray(y)
    top = "K−1" if n_classes is None else n_classes - 1
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got {_describe(arr)}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels (one per row), got {_describe(arr)}")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name}: expected integer labels 0..{top}, got non-integer values")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer labels 0..{top}, got {_describe(arr)}")
    arr = arr.astype(np.int64, copy=False)
    limit = np.iinfo(np.int64).max if n_classes is None else n_classes
    if arr.size and (arr.min() < 0 or arr.max() >= limit):
        bad = arr[(arr < 0) | (arr >= limit)]
        raise ValueError(
            f"{name}: expected labels in 0..{top}, got {bad[:5].tolist()}"
            + (" ..." if bad.size > 5 else "") + (f" ({hint})" if hint else "")
        )
    return arr


def n_classes_of(y, name="y"):
    """K = max(y) + 1 (at least 2) for labels 0..K−1; integer-valued floats are accepted."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array of labels, got {_describe(arr)}")
    labels = as_labels(arr, None, name)
    return max(int(labels.max()) + 1, 2)


def as_generator(seed, name="seed"):
    """A numpy Generator from an int seed (reproducible) or a Generator (used as it is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name}: expected an integer >= 0 or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def as_parameter_vector(beta, n_params, name="beta"):
    """Return β as a flat float vector of length n_params (NaN/inf allowed: optimisers check)."""
    arr = np.asarray(beta, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n_params:
        raise ValueError(f"{name}: expected a flat vector of {n_params} parameters, got {_describe(arr)}")
    return arr


def positive_number(value, name):
    """Return `value` as a float, requiring a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a positive number, got {type(value).__name__}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def nonnegative_number(value, name):
    """Return `value` as a float, requiring a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number >= 0, got {type(value).__name__}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
    return float(value)


def positive_int(value, name):
    """Return `value` as an int, requiring an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
    return int(value)
