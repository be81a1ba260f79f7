"""Objective functions F(β) = (1/n) Σ L(Y_i, f_β(X_i)) + λ·penalty(β), for every model.

Training a predictive model means solving β̂ = argmin_β F(β). An `Objective` bundles
the data, the model f_β (lecture 1's linear models or lecture 2's networks: anything
with the forward/backward passes of `dlcourse.models.Model`), the loss L, λ and the
penalty, and gives F(β) (`value`, or simply ``F(beta)``) and ∇F(β) (`gradient`) for a
flat β. ``F.subset(rows)`` is the same F on a minibatch, for SGD.
"""

import numpy as np

from . import losses, penalties
from ._validation import as_design_matrix, as_labels, as_parameter_vector, as_response, n_classes_of, nonnegative_number
from .models import LinearModel, LogisticModel, SoftmaxModel


class Objective:
    """F(β) = (1/n) Σ L(Y_i, f_β(X_i)) + λ·penalty(β).

    Parameters
    ----------
    model : a `dlcourse.models.Model` (or `dlcourse.networks.Network`)
    X : (n, p) inputs;  y : (n,) responses (identity output) or labels 0..K−1
    loss : a `dlcourse.losses.Loss` whose output activation is the model's
    lam : λ >= 0;  penalty : "ridge" or "lasso" (intercepts and biases are never penalized)
    """

    def __init__(self, model, X, y, *, loss, lam=0.0, penalty="ridge", name=None):
        if not isinstance(loss, losses.Loss):
            raise TypeError(f"loss: expected a dlcourse.losses.Loss, got {type(loss).__name__}")
        if loss.output != model.output:
            raise ValueError(f"loss: the {loss.name} compares Y with a {loss.output} output, "
                             f"but the model's output is {model.output}")
        if penalty not in penalties.PENALTIES:
            raise ValueError(f"penalty: expected one of {sorted(penalties.PENALTIES)}, got {penalty!r}")
        self.model, self.loss = model, loss
        self._inputs = model.prepare(X)                      # (n, p+1): X̃, computed once
        self.X = self._inputs[:, 1:]
        self.y = _check_y(y, model, self.X.shape[0])
        self.lam, self.penalty = nonnegative_number(lam, "lam"), penalty
        self.name = name or f"{type(model).__name__} with {loss.name}"
        self._penalty_value, self._penalty_gradient = penalties.PENALTIES[penalty]
        self._intercept = model.intercept_mask

    @property
    def n_params(self):
        """Length of the flat β."""
        return self.model.n_params

    @property
    def n(self):
        """Number of observations."""
        return self._inputs.shape[0]

    def value_and_gradient(self, beta):
        """(F(β), ∇F(β)) in one forward and one backward pass over the data."""
        beta = as_parameter_vector(beta, self.n_params)
        Z, cache = self.model.forward(self._inputs, beta)   # forward: the scores Z
        value, dZ = self.loss.on_scores(self.y, Z)          # (1/n) Σ L and ∂/∂Z
        grad = self.model.backward(cache, dZ)               # backward: the chain rule to β
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
        """The same F on the observations `rows` only (a minibatch, for SGD): no copy of the model."""
        sub = object.__new__(type(self))
        sub.__dict__.update(self.__dict__)
        sub._inputs, sub.y = self._inputs[rows], self.y[rows]
        sub.X = sub._inputs[:, 1:]
        return sub

    def predict(self, X, beta):
        """The model's prediction Ŷ (or predicted class) for inputs X."""
        return self.model.predict(X, beta)

    def predict_proba(self, X, beta):
        """The model's p̂ (or P̂) for inputs X."""
        return self.model.predict_proba(X, beta)

    def init(self, *, seed=0):
        """A starting β for the model: random weights for a network (`model.init`), zeros otherwise."""
        if hasattr(self.model, "init"):
            return self.model.init(seed=seed)
        return np.zeros(self.n_params)

    def __repr__(self):
        return (f"<{self.name}: n={self.n}, p={self.model.n_features}, "
                f"{self.n_params} parameters, λ={self.lam:g}, penalty={self.penalty}>")


def _check_y(y, model, n):
    if model.output == "identity":
        return as_response(y, n, "y")
    if model.output == "sigmoid":
        return as_labels(y, 2, "y", n=n, hint="logistic regression has two classes; for K > 2 use "
                     "softmax regression").astype(np.float64)
    return as_labels(y, model.n_outputs, "y", n=n)


def _n_features(X):
    return as_design_matrix(X, "X").shape[1]


def ridge_regression(X, y, *, lam=0.0, penalty="ridge"):
    """Ridge regression: L = (Y − Ŷ)², f_β(X) = β0 + Σ β_j X_j, penalty Σ_{j≥1} β_j².

    With lam=0 this is least squares; with penalty="lasso", the lasso. β = (β0, β1, ..., βp).
    """
    name = "least squares" if not lam else ("lasso regression" if penalty == "lasso" else "ridge regression")
    return Objective(LinearModel(_n_features(X)), X, y,
                     loss=losses.SQUARED_ERROR, lam=lam, penalty=penalty, name=name)


def ridge_closed_form(X, y, *, lam):
    """The exact minimizer of the ridge objective: (X̃ᵀX̃/n + λD) β = X̃ᵀY/n, D = diag(0, 1, ..., 1)."""
    F = ridge_regression(X, y, lam=lam)
    X1 = F._inputs
    D = np.diag(F.model.penalized.astype(np.float64))
    return np.linalg.solve(X1.T @ X1 / F.n + F.lam * D, X1.T @ F.y / F.n)


def logistic_regression(X, y, *, lam=0.0, penalty="ridge"):
    """Logistic regression: p̂ = logistic(β0 + Σ β_j X_j), logistic loss, Y in {0, 1}."""
    return Objective(LogisticModel(_n_features(X)), X, y,
                     loss=losses.LOGISTIC, lam=lam, penalty=penalty, name="logistic regression")


def softmax_regression(X, y, *, lam=0.0, n_classes=None, penalty="ridge"):
    """Softmax (multinomial logistic) regression with cross-entropy loss, Y in 0..K−1.

    β is the (p+1)×K matrix B flattened row by row (``B.ravel()``): β[0:K] are
    the intercepts β_{0k}; β[j*K + k] is the coefficient β_{jk} of X_j for class k.
    K defaults to max(y) + 1.
    """
    K = n_classes_of(y) if n_classes is None else n_classes
    return Objective(SoftmaxModel(_n_features(X), K), X, y,
                     loss=losses.CROSS_ENTROPY, lam=lam, penalty=penalty, name="softmax regression")


__all__ = ["Objective", "ridge_regression", "ridge_closed_form", "logistic_regression", "softmax_regression",
           "n_classes_of"]
