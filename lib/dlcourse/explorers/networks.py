"""Lecture 2's explorers, pure compute: what hidden units represent, a non-linear boundary, SGD's noise.

* `curve_fit_view(n_hidden, activation)`: a one-hidden-layer network fitted to a 1-D curve, with
  each hidden unit's contribution v_k·A_k(X) to the fit;
* `boundary_view(n_hidden)`: the two-moons classes, logistic regression's straight boundary and a
  small network's curved one, with each hidden unit's own line w_k·X + b_k = 0;
* `sgd_view(batch_size, learning_rate, n_steps)`: gradient descent and SGD paths on logistic
  regression with two coefficients (β0, β1) on real data, with F(β) after each step;
* `gradient_spread(batch_sizes)`: how far minibatch gradients scatter around ∇F, by batch size.

Fits are cached per slider setting (`functools.lru_cache`): moving back to a setting costs nothing.
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from .. import data, networks, objectives, optim
from .._validation import positive_int, positive_number

HIDDEN_ACTIVATIONS = ("tanh", "relu", "sigmoid")


# --- what a hidden layer represents: a 1-D curve -----------------------------------------------------

@dataclass
class CurveFitView:
    """x (m,) grid; fit (m,); contributions (H, m): v_k·A_k(x); intercept; data; training F."""

    n_hidden: int
    activation: str
    x: np.ndarray
    fit: np.ndarray
    contributions: np.ndarray
    intercept: float
    X: np.ndarray
    y: np.ndarray
    loss: float

    @property
    def status(self):
        return (f"{self.n_hidden} hidden {self.activation} unit{'s' * (self.n_hidden > 1)}: "
                f"training MSE F = {self.loss:.3f}")


def _best_of_three(F, seed, *, learning_rate):
    """β of the lowest F among gradient descent from three random starts (multi_start drops divergent runs)."""
    starts = np.array([F.init(seed=seed + s) for s in range(3)])
    return optim.multi_start(F, starts, learning_rate=learning_rate, n_steps=1500, tol=1e-6).best.beta


@functools.lru_cache(maxsize=128)
def _curve_fit(n_hidden, activation, seed):
    curve = data.make_curve(seed=0)
    F = networks.neural_network(curve.X, curve.y, (n_hidden,), activation=activation, output="identity")
    return curve, F, _best_of_three(F, seed, learning_rate=0.05)


def curve_fit_view(n_hidden, activation="tanh", *, seed=0, n_grid=200):
    """Fit Ŷ = v_0 + Σ_k v_k g(w_k X + b_k) to `data.make_curve()` by gradient descent (best of 3 starts)."""
    n_hidden = positive_int(n_hidden, "n_hidden")
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"activation: expected one of {list(HIDDEN_ACTIVATIONS)}, got {activation!r}")
    curve, F, beta = _curve_fit(n_hidden, activation, seed)
    W1, W2 = F.model.weights(beta)                    # (2, H): [b; w],  (H+1, 1): [v_0; v]
    x = np.linspace(-3.2, 3.2, n_grid)
    A = F.model.g(W1[0] + x[:, None] * W1[1])         # (m, H)
    contributions = (A * W2[1:, 0]).T                  # (H, m)
    return CurveFitView(n_hidden, activation, x, W2[0, 0] + contributions.sum(axis=0), contributions,
                        float(W2[0, 0]), curve.X[:, 0], curve.y, F(beta))


# --- a problem logistic regression cannot solve: two moons ---------------------------------------------

@dataclass
class BoundaryView:
    """Grid (g1, g2) with P̂(class 1) of the network and of logistic regression; hidden units' lines."""

    n_hidden: int
    g1: np.ndarray
    g2: np.ndarray
    p_network: np.ndarray
    p_logistic: np.ndarray
    unit_lines: np.ndarray         # (H, 3): w1, w2, b of each hidden unit: w1 X1 + w2 X2 + b = 0
    X: np.ndarray
    y: np.ndarray
    accuracy_network: float
    accuracy_logistic: float

    @property
    def status(self):
        return (f"{self.n_hidden} hidden unit{'s' * (self.n_hidden > 1)}: training accuracy "
                f"{self.accuracy_network:.1%} (logistic regression {self.accuracy_logistic:.1%})")


@functools.lru_cache(maxsize=1)
def _logistic_on_moons():
    moons = data.make_moons(seed=0)
    F = objectives.logistic_regression(moons.X, moons.y)
    beta = optim.gradient_descent(F, np.zeros(3), learning_rate=1.0, n_steps=2000).beta
    return moons, F, beta


@functools.lru_cache(maxsize=64)
def _network_on_moons(n_hidden, seed):
    moons = data.make_moons(seed=0)
    F = networks.neural_network(moons.X, moons.y, (n_hidden,), activation="tanh", output="sigmoid")
    return F, _best_of_three(F, seed, learning_rate=1.0)


def boundary_view(n_hidden, *, seed=0, n_grid=80):
    """Logistic regression and a tanh network with `n_hidden` units, both fitted to the two moons."""
    n_hidden = positive_int(n_hidden, "n_hidden")
    moons, F_log, beta_log = _logistic_on_moons()
    F_net, beta_net = _network_on_moons(n_hidden, seed)
    g1, g2 = np.meshgrid(np.linspace(-1.6, 2.6, n_grid), np.linspace(-1.2, 1.7, n_grid))
    grid = np.c_[g1.ravel(), g2.ravel()]
    W1 = F_net.model.weights(beta_net)[0]             # (3, H): rows b, w1, w2
    return BoundaryView(
        n_hidden, g1, g2,
        F_net.predict_proba(grid, beta_net).reshape(g1.shape),
        F_log.predict_proba(grid, beta_log).reshape(g1.shape),
        np.c_[W1[1], W1[2], W1[0]],
        moons.X, moons.y,
        float(np.mean(F_net.predict(moons.X, beta_net) == moons.y)),
        float(np.mean(F_log.predict(moons.X, beta_log) == moons.y)),
    )


# --- stochastic gradient descent on a 2-D objective ----------------------------------------------------

SGD_FEATURE = "worst radius"        # one standardized measurement of the breast-cancer data


@functools.lru_cache(maxsize=1)
def sgd_objective():
    """F(β0, β1): logistic regression of benign (1) vs malignant (0) on one measurement, λ = 0.01."""
    cancer = data.load_breast_cancer()
    j = cancer.feature_names.index(SGD_FEATURE)
    return objectives.logistic_regression(cancer.X[:, [j]], cancer.y, lam=0.01)


SGD_START = (-2.5, 1.5)


@dataclass
class SGDView:
    """GD and SGD paths (n_steps+1, 2) from the same start with the same γ, and F after each step."""

    batch_size: int
    learning_rate: float
    gd_path: np.ndarray
    gd_values: np.ndarray
    sgd_path: np.ndarray
    sgd_values: np.ndarray
    minimum: np.ndarray
    diverged: bool

    @property
    def status(self):
        if self.diverged:
            return f"batch size {self.batch_size}, γ = {self.learning_rate:.3g}: SGD DIVERGED — γ is too large"
        n = sgd_objective().n
        return (f"batch size {self.batch_size} of n = {n}, γ = {self.learning_rate:.3g}: after "
                f"{len(self.sgd_values) - 1} steps F = {self.sgd_values[-1]:.4f} (SGD), "
                f"{self.gd_values[-1]:.4f} (gradient descent)")


@functools.lru_cache(maxsize=1)
def _minimum():
    F = sgd_objective()
    return optim.gradient_descent(F, np.zeros(2), learning_rate=1.0, n_steps=5000, tol=1e-10).beta


def sgd_view(batch_size, learning_rate, n_steps=60, *, seed=0):
    """`n_steps` steps of gradient descent and of SGD (minibatches of `batch_size`) from `SGD_START`."""
    F = sgd_objective()
    batch_size = positive_int(batch_size, "batch_size")
    learning_rate = positive_number(learning_rate, "learning_rate")
    n_steps = positive_int(n_steps, "n_steps")
    if batch_size > F.n:
        raise ValueError(f"batch_size: expected at most n = {F.n}, got {batch_size}")
    epochs = -(-n_steps * batch_size // F.n)                   # enough epochs for n_steps steps
    gd = _gradient_descent_path(learning_rate, n_steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optim.DivergenceWarning)
        sgd = optim.sgd(F, SGD_START, learning_rate=learning_rate, batch_size=batch_size, epochs=epochs,
                        n_steps=n_steps, seed=seed, record="step")
    return SGDView(batch_size, learning_rate, gd.path, gd.values, sgd.path, sgd.values, _minimum(),
                   sgd.diverged or gd.diverged)


@functools.lru_cache(maxsize=256)
def _gradient_descent_path(learning_rate, n_steps):
    """Full-batch gradient descent from SGD_START (it does not depend on the batch size: cached)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optim.DivergenceWarning)
        return optim.gradient_descent(sgd_objective(), SGD_START, learning_rate=learning_rate, n_steps=n_steps,
                                      tol=1e-12)


def gradient_spread(batch_sizes, *, beta=SGD_START, n_draws=400, seed=0):
    """For each batch size B: the mean squared distance E‖∇F_B(β) − ∇F(β)‖² over `n_draws` minibatches.

    ∇F_B is unbiased for ∇F; its variance falls like (1/B)·(n − B)/(n − 1) (sampling without
    replacement), which `theory` (scaled to match B = 1) returns beside the measurement.
    Returns (batch_sizes, measured, theory).
    """
    F = sgd_objective()
    rng = np.random.default_rng(seed)
    beta = np.asarray(beta, dtype=np.float64)
    full = F.gradient(beta)
    sizes = np.array([positive_int(b, "batch_sizes") for b in batch_sizes])
    measured = np.array([np.mean([np.sum((F.subset(rng.choice(F.n, b, replace=False)).gradient(beta) - full) ** 2)
                                  for _ in range(n_draws)]) for b in sizes])
    per_observation = np.mean([np.sum((F.subset([i]).gradient(beta) - full) ** 2) for i in range(F.n)])
    theory = per_observation / sizes * (F.n - sizes) / (F.n - 1)
    return sizes, measured, theory


__all__ = ["curve_fit_view", "CurveFitView", "boundary_view", "BoundaryView", "sgd_view", "SGDView",
           "sgd_objective", "gradient_spread", "HIDDEN_ACTIVATIONS", "SGD_START", "SGD_FEATURE"]
