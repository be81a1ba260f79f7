"""Predictive models f_β(X) as graphs of layers: linear, logistic and softmax regression.

Every model maps inputs X (n, p) to scores Z through a flat parameter vector β and
supplies the two passes that `dlcourse.objectives.Objective` needs:

* ``forward(X1, beta)`` → (Z, cache): the scores, Z = β0 + Σ_j β_j X_j here;
* ``backward(cache, dZ)`` → ∇_β: the chain rule from ∂F/∂Z back to β;

where ``X1 = model.prepare(X)`` is X with the column of ones for β0 (computed once per
data set). ``penalized`` marks the entries of β that a penalty acts on: never the
intercepts (biases). The output activation (identity, sigmoid, softmax) turns Z into
predictions; `layers` describes the graph for `dlcourse.graphs`.

For the softmax model with p features and K classes, β is the (p+1)×K matrix B
flattened in row order (``B.ravel()``): row 0 holds the intercepts β_{0k}, row j
the coefficients of X_j, column k belongs to class k. So ``beta[k]`` is β_{0k}
and ``beta[j*K + k]`` is β_{jk}.
"""

from dataclasses import dataclass

import numpy as np

from ._validation import as_design_matrix, as_parameter_vector, positive_int
from .functions import log_sigmoid, logsumexp, sigmoid, softmax  # noqa: F401  (lecture 1 calls models.sigmoid)


@dataclass(frozen=True)
class Layer:
    """One column of a model's graph: `size` units, each computing `activation` of a sum.

    role : "input", "hidden" or "output";  symbol : the letter on the slides (X, A, Z)
    label : optional caption under the column instead of the default one, e.g. a CNN layer's
            kind and output shape ("conv 3×3 + ReLU\n16×28×28")
    """

    size: int
    role: str
    activation: str = "identity"
    symbol: str = "X"
    label: str = ""


def add_intercept(X):
    """Prepend the column X_0 = 1 so that β0 multiplies it: (n, p) -> (n, p+1)."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([np.ones((X.shape[0], 1)), X])


class Model:
    """What every model has: p inputs, K outputs, a flat β, forward and backward passes."""

    output = "identity"          # the output activation: "identity", "sigmoid" or "softmax"

    def __init__(self, *, n_features, n_outputs=1, feature_names=None):
        self.n_features = positive_int(n_features, "n_features")
        self.n_outputs = positive_int(n_outputs, "n_outputs")
        if feature_names is None:
            feature_names = [f"X{j}" for j in range(1, self.n_features + 1)]
        if len(feature_names) != self.n_features:
            raise ValueError(f"feature_names: expected {self.n_features} names, got {len(feature_names)}")
        self.feature_names = list(feature_names)

    @property
    def activation(self):
        """The output activation's name (lecture 1's word for it)."""
        return self.output

    # -- the parts a model defines --------------------------------------------------------
    n_params = 0

    @property
    def penalized(self):
        """Boolean mask over β: True where a penalty applies (never at intercepts/biases)."""
        raise NotImplementedError

    @property
    def layers(self):
        """The graph's columns, left to right, as `Layer`s."""
        raise NotImplementedError

    def forward(self, X1, beta):
        raise NotImplementedError

    def backward(self, cache, dZ):
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------------
    @property
    def intercept_mask(self):
        """Boolean mask over β: True at the intercepts β0 / biases (never penalized)."""
        return ~self.penalized

    def prepare(self, X, name="X"):
        """X with the column of ones for β0, checked: (n, p) → (n, p+1)."""
        X = as_design_matrix(X, name)
        if X.shape[1] != self.n_features:
            raise ValueError(f"{name}: expected {self.n_features} columns (features), got shape {X.shape}")
        return add_intercept(X)

    def scores(self, X, beta):
        """Z = the output layer's sums for inputs X: shape (n,) for K = 1, else (n, K)."""
        beta = as_parameter_vector(beta, self.n_params)
        return self.forward(self.prepare(X), beta)[0]

    def predict_proba(self, X, beta):
        """p̂ = P(Y = 1 | X), shape (n,) (sigmoid output); P̂ (n, K), rows summing to 1 (softmax)."""
        if self.output == "sigmoid":
            return sigmoid(self.scores(X, beta))
        if self.output == "softmax":
            return softmax(self.scores(X, beta))
        raise TypeError(f"{type(self).__name__} predicts a number, not probabilities: use predict")

    def predict(self, X, beta):
        """Ŷ: the prediction (identity output) or the predicted class (largest p̂)."""
        Z = self.scores(X, beta)
        if self.output == "sigmoid":
            return (Z >= 0).astype(np.int64)          # p̂ >= 1/2
        if self.output == "softmax":
            return np.argmax(Z, axis=1)
        return Z

    def __repr__(self):
        return f"{type(self).__name__}(n_features={self.n_features}, n_outputs={self.n_outputs})"


class _LinearPredictor(Model):
    """Z = X̃B: one summation node per output, β = B.ravel() with B of shape (p+1, K)."""

    @property
    def n_params(self):
        """Number of entries of β: (p + 1)·K."""
        return (self.n_features + 1) * self.n_outputs

    @property
    def penalized(self):
        mask = np.ones(self.n_params, dtype=bool)
        mask[: self.n_outputs] = False               # row 0 of B: the intercepts
        return mask

    @property
    def layers(self):
        return [Layer(self.n_features, "input"), Layer(self.n_outputs, "output", self.output, "Z")]

    def coefficients(self, beta):
        """β as the (p+1)×K matrix B (row 0: intercepts); for K = 1 a vector of length p+1."""
        beta = as_parameter_vector(beta, self.n_params)
        B = beta.reshape(self.n_features + 1, self.n_outputs)
        return B[:, 0] if self.n_outputs == 1 else B

    def forward(self, X1, beta):
        return X1 @ self.coefficients(beta), X1          # Z: (n,) or (n, K)

    def backward(self, X1, dZ):
        return (X1.T @ dZ).ravel()                        # ∂F/∂B = X̃ᵀ ∂F/∂Z, since Z = X̃B

    def linear_predictor(self, X, beta):
        """Z = β0 + Σ_j β_j X_j for each row (for K > 1: one Z_k per class, shape (n, K))."""
        return self.scores(X, beta)


class LinearModel(_LinearPredictor):
    """f_β(X) = β0 + β1 X1 + ... + βp Xp."""

    output = "identity"

    def __init__(self, n_features, *, feature_names=None):
        super().__init__(n_features=n_features, feature_names=feature_names)


class LogisticModel(_LinearPredictor):
    """p̂ = logistic(Z) with Z = β0 + β1 X1 + ... + βp Xp (two classes)."""

    output = "sigmoid"

    def __init__(self, n_features, *, feature_names=None):
        super().__init__(n_features=n_features, feature_names=feature_names)


class SoftmaxModel(_LinearPredictor):
    """p̂_k = e^{Z_k} / Σ_l e^{Z_l}, with Z_k = β_{0k} + Σ_j β_{jk} X_j, for K classes."""

    output = "softmax"

    def __init__(self, n_features, n_classes, *, feature_names=None):
        n_classes = positive_int(n_classes, "n_classes")
        if n_classes < 2:
            raise ValueError(f"n_classes: expected at least 2 classes, got {n_classes}")
        super().__init__(n_features=n_features, n_outputs=n_classes, feature_names=feature_names)

    @property
    def n_classes(self):
        return self.n_outputs


__all__ = [
    "sigmoid", "log_sigmoid", "logsumexp", "softmax", "add_intercept", "Layer", "Model",
    "LinearModel", "LogisticModel", "SoftmaxModel",
]
