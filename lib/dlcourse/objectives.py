"""Objective functions F(β) = (1/n) Σ L(Y_i, f_β(X_i)) + λ·penalty(β).

Training a predictive model means solving β̂ = argmin_β F(β). An `Objective`
bundles the data, the model f_β, the loss L, λ and the penalty, and gives
F(β) (`value`) and ∇F(β) (`gradient`) for a flat β (layout: `dlcourse.models`).
"""

import numpy as np

from . import losses, penalties
from ._validation import (
    as_design_matrix, as_labels, as_parameter_vector, as_response, nonnegative_number,
)
from .models import LinearModel, LogisticModel, SoftmaxModel, add_intercept


def _squared_error_from_z(y, z):
    r = z - y
    return float(np.mean(r * r)), 2.0 * r / y.shape[0]


class Objective:
    """F(β) = (1/n) Σ L(Y_i, f_β(X_i)) + λ·penalty(β) for a linear-predictor model.

    Build one with `ridge_regression`, `logistic_regression` or `softmax_regression`.

    Attributes
    ----------
    model : the model f_β (`dlcourse.models`)
    X : (n, p) inputs;  y : (n,) responses or labels
    lam : λ >= 0;  penalty : "ridge" or "lasso"
    """

    def __init__(self, model, X, y, *, loss_from_z, lam, penalty, name):
        self.model, self.X, self.y = model, X, y
        self.lam, self.penalty, self.name = lam, penalty, name
        self._loss_from_z = loss_from_z
        self._X1 = add_intercept(X)  # (n, p+1): column of ones for β0
        self._shape = (model.n_features + 1, model.n_outputs) if model.n_outputs > 1 else (model.n_features + 1,)
        self._intercept = model.intercept_mask
        self._penalty_value, self._penalty_gradient = penalties.PENALTIES[penalty]

    @property
    def n_params(self):
        """Length of the flat β."""
        return self.model.n_params

    @property
    def n(self):
        """Number of observations."""
        return self.X.shape[0]

    def value_and_gradient(self, beta):
        """(F(β), ∇F(β)) in one pass over the data."""
        beta = as_parameter_vector(beta, self.n_params)
        Z = self._X1 @ beta.reshape(self._shape)             # (n,) or (n, K)
        data_value, dZ = self._loss_from_z(self.y, Z)
        grad = (self._X1.T @ dZ).ravel()                     # chain rule through Z = X̃B
        value = data_value
        if self.lam:
            value += self.lam * self._penalty_value(beta, self._intercept)
            grad += self.lam * self._penalty_gradient(beta, self._intercept)
        return value, grad

    def value(self, beta):
        """F(β)."""
        return self.value_and_gradient(beta)[0]

    def gradient(self, beta):
        """∇F(β), a flat vector like β."""
        return self.value_and_gradient(beta)[1]

    def __call__(self, beta):
        return self.value(beta)

    def subset(self, rows):
        """The same F on the observations `rows` only (a minibatch, for SGD)."""
        sub = object.__new__(type(self))
        sub.__dict__.update(self.__dict__)
        sub.X, sub.y, sub._X1 = self.X[rows], self.y[rows], self._X1[rows]
        return sub

    def __repr__(self):
        return f"<{self.name}: n={self.n}, p={self.model.n_features}, λ={self.lam}, penalty={self.penalty}>"


def _check_common(X, lam, penalty):
    X = as_design_matrix(X, "X")
    lam = nonnegative_number(lam, "lam")
    if penalty not in penalties.PENALTIES:
        raise ValueError(f"penalty: expected one of {sorted(penalties.PENALTIES)}, got {penalty!r}")
    return X, lam


def ridge_regression(X, y, lam, *, penalty="ridge"):
    """Ridge regression: L = (Y − Ŷ)², f_β(X) = β0 + Σ β_j X_j, penalty Σ_{j≥1} β_j².

    With lam=0 this is least squares. β = (β0, β1, ..., βp).
    """
    X, lam = _check_common(X, lam, penalty)
    y = as_response(y, X.shape[0], "y")
    return Objective(LinearModel(X.shape[1]), X, y, loss_from_z=_squared_error_from_z,
                     lam=lam, penalty=penalty, name="ridge regression")


def ridge_closed_form(X, y, lam):
    """The exact minimizer of the ridge objective: (X̃ᵀX̃/n + λD) β = X̃ᵀY/n, D = diag(0, 1, ..., 1)."""
    F = ridge_regression(X, y, lam)
    X1 = F._X1
    D = np.diag(np.r_[0.0, np.ones(X.shape[1])])
    return np.linalg.solve(X1.T @ X1 / F.n + F.lam * D, X1.T @ F.y / F.n)


def logistic_regression(X, y, lam=0.0, *, penalty="ridge"):
    """Logistic regression: p̂ = logistic(β0 + Σ β_j X_j), logistic loss, Y in {0, 1}."""
    X, lam = _check_common(X, lam, penalty)
    y = as_labels(y, 2, "y", n=X.shape[0]).astype(np.float64)
    return Objective(LogisticModel(X.shape[1]), X, y, loss_from_z=losses.logistic_loss_from_logits,
                     lam=lam, penalty=penalty, name="logistic regression")


def softmax_regression(X, y, lam=0.0, *, n_classes=None, penalty="ridge"):
    """Softmax (multinomial logistic) regression with cross-entropy loss, Y in 0..K−1.

    β is the (p+1)×K matrix B flattened row by row (``B.ravel()``): β[0:K] are
    the intercepts β_{0k}; β[j*K + k] is the coefficient β_{jk} of X_j for class k.
    K defaults to max(y) + 1.
    """
    X, lam = _check_common(X, lam, penalty)
    y_arr = np.asarray(y)
    if n_classes is None:
        if y_arr.ndim != 1 or y_arr.size == 0 or y_arr.dtype.kind not in "iub":
            y = as_labels(y, 2, "y", n=X.shape[0])  # raises the standard message
        n_classes = max(int(y_arr.max()) + 1, 2)
    y = as_labels(y, n_classes, "y", n=X.shape[0])
    return Objective(SoftmaxModel(X.shape[1], n_classes), X, y,
                     loss_from_z=losses.cross_entropy_from_logits,
                     lam=lam, penalty=penalty, name="softmax regression")


__all__ = ["Objective", "ridge_regression", "ridge_closed_form", "logistic_regression", "softmax_regression"]
