import os

import numpy as np
import pytest

# Notebooks executed by the tests (and their kernels, which inherit this) use their smoke configuration.
os.environ.setdefault("DLCOURSE_SMOKE", "1")



@pytest.fixture(scope="session")
def executed_lecture():
    """path -> that lecture executed once per test session (smoke settings), a fresh copy each call.

    The lecture tests, the static site and the decks all start from this one execution; the
    determinism tests execute each lecture a second time and compare.
    """
    import copy
    from pathlib import Path

    from dlcourse import site

    cache = {}

    def get(path):
        path = Path(path).resolve()
        if path not in cache:
            cache[path] = site.execute(path, timeout=300)
        return copy.deepcopy(cache[path])

    return get


def _torch():
    import torch as _t  # torch is a required test dependency (pinned in pyproject.toml)

    return _t           # references are built from float64 numpy arrays, so they are float64 too


@pytest.fixture(scope="session")
def torch():
    return _torch()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def finite_difference_gradient(f, beta, h=1e-6):
    """Central differences, written independently of dlcourse.gradcheck."""
    beta = np.asarray(beta, dtype=float)
    g = np.zeros_like(beta)
    for j in range(beta.size):
        e = np.zeros_like(beta)
        e[j] = h
        g[j] = (f(beta + e) - f(beta - e)) / (2 * h)
    return g
