"""Predictive models f_β(X) as in the lecture: linear, logistic and softmax regression.

Every model has an intercept β0 and a flat parameter vector β. For the softmax
model with p features and K classes, β is the (p+1)×K matrix B flattened in row
order (``B.ravel()``): row 0 holds the intercepts β_{0k}, row j the coefficients
of X_j, column k belongs to class k. So ``beta[k]`` is β_{0k} and
``beta[j*K + k]`` is β_{jk}.
"""

import numpy as np

from ._validation import as_design_matrix, as_parameter_vector, positive_int


def sigmoid(z):
    """The logistic function e^z / (1 + e^z), exact and stable for any real z.

    Uses e^z/(1+e^z) for z < 0 and 1/(1+e^{-z}) for z >= 0, so no exponential
    ever overflows: sigmoid(-1000) is 0.0 and sigmoid(1000) is 1.0, with no warning.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(z):
    """log(sigmoid(z)) without cancellation: -log(1 + e^{-z})."""
    z = np.asarray(z, dtype=np.float64)
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def logsumexp(Z):
    """Row-wise log Σ_k e^{Z_k}, stable (the maximum is subtracted first)."""
    Z = np.asarray(Z, dtype=np.float64)
    k = np.argmax(Z, axis=-1)[..., None]
    m = np.take_along_axis(Z, k, axis=-1)
    E = np.exp(Z - m)
    np.put_along_axis(E, k, 0.0, axis=-1)     # the maximum's term is exactly 1: use log1p for the rest
    return (m + np.log1p(E.sum(axis=-1, keepdims=True)))[..., 0]


def softmax(Z):
    """Row-wise softmax p̂_k = e^{Z_k} / Σ_l e^{Z_l} of an (n, K) array (or one row).

    Each row's maximum is subtracted before exponentiating, which leaves p̂
    unchanged and keeps e^{·} <= 1, so rows like [1000, 0] give [1, 0] with no warning.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim not in (1, 2):
        raise ValueError(f"Z: expected a 1-D or 2-D (n, K) array, got shape {Z.shape}")
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def add_intercept(X):
    """Prepend the column X_0 = 1 so that β0 multiplies it: (n, p) -> (n, p+1)."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([np.ones((X.shape[0], 1)), X])


class _Model:
    """Shared parts: p input features, K outputs, a flat β of length (p+1)·K."""

    activation = "identity"

    def __init__(self, *, n_features, n_outputs=1, feature_names=None):
        self.n_features = positive_int(n_features, "n_features")
        self.n_outputs = positive_int(n_outputs, "n_outputs")
        if feature_names is None:
            feature_names = [f"X{j}" for j in range(1, self.n_features + 1)]
        if len(feature_names) != self.n_features:
            raise ValueError(
                f"feature_names: expected {self.n_features} names, got {len(feature_names)}"
            )
        self.feature_names = list(feature_names)

    @property
    def n_params(self):
        """Number of entries of β: (p + 1)·K."""
        return (self.n_features + 1) * self.n_outputs

    @property
    def intercept_mask(self):
        """Boolean mask over β: True at the intercepts β0 (never penalized)."""
        mask = np.zeros(self.n_params, dtype=bool)
        mask[: self.n_outputs] = True
        return mask

    def coefficients(self, beta):
        """β as the (p+1)×K matrix B (row 0: intercepts); for K = 1 a vector of length p+1."""
        beta = as_parameter_vector(beta, self.n_params)
        B = beta.reshape(self.n_features + 1, self.n_outputs)
        return B[:, 0] if self.n_outputs == 1 else B

    def _check_X(self, X):
        X = as_design_matrix(X)
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X: expected {self.n_features} columns (features), got shape {X.shape}"
            )
        return X

    def linear_predictor(self, X, beta):
        """Z = β0 + Σ_j β_j X_j for each row (for K > 1: one Z_k per class, shape (n, K))."""
        X = self._check_X(X)
        return add_intercept(X) @ self.coefficients(beta)

    def __repr__(self):
        return f"{type(self).__name__}(n_features={self.n_features}, n_outputs={self.n_outputs})"


class LinearModel(_Model):
    """f_β(X) = β0 + β1 X1 + ... + βp Xp."""

    activation = "identity"

    def __init__(self, n_features, *, feature_names=None):
        super().__init__(n_features=n_features, feature_names=feature_names)

    def predict(self, X, beta):
        """Ŷ = f_β(X), shape (n,)."""
        return self.linear_predictor(X, beta)


class LogisticModel(_Model):
    """p̂ = logistic(Z) with Z = β0 + β1 X1 + ... + βp Xp (two classes)."""

    activation = "sigmoid"

    def __init__(self, n_features, *, feature_names=None):
        super().__init__(n_features=n_features, feature_names=feature_names)

    def predict_proba(self, X, beta):
        """p̂ = P(Y = 1 | X), shape (n,)."""
        return sigmoid(self.linear_predictor(X, beta))

    def predict(self, X, beta):
        """Predicted class: 1 where p̂ >= 1/2, else 0."""
        return (self.linear_predictor(X, beta) >= 0).astype(np.int64)


class SoftmaxModel(_Model):
    """p̂_k = e^{Z_k} / Σ_l e^{Z_l}, with Z_k = β_{0k} + Σ_j β_{jk} X_j, for K classes."""

    activation = "softmax"

    def __init__(self, n_features, n_classes, *, feature_names=None):
        n_classes = positive_int(n_classes, "n_classes")
        if n_classes < 2:
            raise ValueError(f"n_classes: expected at least 2 classes, got {n_classes}")
        super().__init__(n_features=n_features, n_outputs=n_classes, feature_names=feature_names)

    @property
    def n_classes(self):
        return self.n_outputs

    def predict_proba(self, X, beta):
        """P̂ with P̂[i, k] = p̂_k(X_i), shape (n, K); rows sum to 1."""
        return softmax(self.linear_predictor(X, beta))

    def predict(self, X, beta):
        """Predicted class: argmax_k p̂_k, shape (n,)."""
        return np.argmax(self.linear_predictor(X, beta), axis=1)


__all__ = [
    "sigmoid", "log_sigmoid", "logsumexp", "softmax", "add_intercept",
    "LinearModel", "LogisticModel", "SoftmaxModel",
]
