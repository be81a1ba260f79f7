"""Penalties on β; the intercept β0 is never penalized, as in the lecture.

Each function takes the flat β and a boolean ``intercept`` mask (True at the
intercepts; by default only β[0]), so the same code serves the softmax model,
whose K intercepts are β[0:K] (see ``dlcourse.models``).
"""

import numpy as np


def _penalized(beta, intercept):
    beta = np.asarray(beta, dtype=np.float64)
    if intercept is None:
        intercept = np.zeros(beta.shape, dtype=bool)
        intercept[0] = True
    intercept = np.asarray(intercept, dtype=bool)
    if intercept.shape != beta.shape:
        raise ValueError(f"intercept: expected a mask of shape {beta.shape}, got {intercept.shape}")
    return beta, ~intercept


def ridge(beta, intercept=None):
    """penalty(β) = Σ_{j≥1} β_j²."""
    beta, keep = _penalized(beta, intercept)
    return float(np.sum(beta[keep] ** 2))


def ridge_gradient(beta, intercept=None):
    """∇ Σ_{j≥1} β_j² = 2β_j, and 0 at the intercepts."""
    beta, keep = _penalized(beta, intercept)
    return np.where(keep, 2.0 * beta, 0.0)


def lasso(beta, intercept=None):
    """penalty(β) = Σ_{j≥1} |β_j|."""
    beta, keep = _penalized(beta, intercept)
    return float(np.sum(np.abs(beta[keep])))


def lasso_gradient(beta, intercept=None):
    """A subgradient of Σ_{j≥1} |β_j|: sign(β_j) (0 where β_j = 0 and at the intercepts).

    |β| has no gradient at 0, so gradient descent on a lasso objective hovers
    around zero instead of landing on it exactly.
    """
    beta, keep = _penalized(beta, intercept)
    return np.where(keep, np.sign(beta), 0.0)


PENALTIES = {"ridge": (ridge, ridge_gradient), "lasso": (lasso, lasso_gradient)}

__all__ = ["ridge", "ridge_gradient", "lasso", "lasso_gradient", "PENALTIES"]
