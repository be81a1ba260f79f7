"""When does deep learning pay? A multi-layer network against ridge, lasso and a tree ensemble on tabular data.

`compare(X, y)` fits every model of `MODELS` on the same repeated random train/test splits. Each
model's tuning parameter is chosen by K-fold cross-validation on the training part only (scikit-learn's
`GridSearchCV`); the test part is touched once per split, to report the test error. Fitting time
includes the cross-validation, since that is what choosing the model costs. It is CPU time (this process's,
all its threads): what the fit costs, and nearly the same on a busy machine, where wall-clock time is not.

scikit-learn is imported inside the functions: `import dlcourse` stays light.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import positive_int

MAX_ITER = 400      # L-BFGS iterations per network fit (a cap: the network's F(β) is not convex)

# name -> (what it is, the tuning grid's name and values); the estimators are built in `_estimator`
MODELS = {
    "ridge": ("linear, ridge penalty λ‖β‖²", "alpha", tuple(np.logspace(-3, 3, 13))),
    "lasso": ("linear, lasso penalty λ‖β‖₁", "alpha", tuple(np.logspace(-3, 1.5, 10))),
    "random forest": ("100 trees, leaf size tuned", "min_samples_leaf", (1, 5, 20)),
    "network": ("2 hidden layers (32, 16), ReLU, weight decay tuned", "alpha", (1.0, 10.0, 100.0)),
}


def _estimator(name, seed):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Lasso, Ridge
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "ridge":
        return Ridge()
    if name == "lasso":
        return Lasso(max_iter=50_000)
    if name == "random forest":
        return RandomForestRegressor(n_estimators=100, max_features=1 / 3, random_state=seed)
    if name == "network":
        # the response standardized for training (and transformed back), as one does for a network
        mlp = MLPRegressor(hidden_layer_sizes=(32, 16), activation="relu", solver="lbfgs", max_iter=MAX_ITER,
                           random_state=seed)
        return TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), mlp), transformer=StandardScaler())
    raise ValueError(f"model: expected one of {list(MODELS)}, got {name!r}")


def _grid_key(name):
    return {"network": "regressor__mlpregressor__alpha"}.get(name, MODELS[name][1])


@dataclass
class ModelResult:
    """One model over the splits: test RMSE, fitting CPU seconds (with cross-validation) and the chosen values."""

    name: str
    description: str
    tuning: str
    test_rmse: np.ndarray
    fit_seconds: np.ndarray
    chosen: list = field(default_factory=list)

    @property
    def mean_rmse(self):
        return float(self.test_rmse.mean())


@dataclass
class Comparison:
    """`results` by model name; `baseline_rmse` per split (predicting the training mean)."""

    results: dict
    baseline_rmse: np.ndarray
    n_train: int
    n_test: int
    n_splits: int
    cv: int

    def table(self):
        """The honest table, one line per model: mean ± sd of the test RMSE over the splits, CPU seconds to fit."""
        lines = [f"{self.n_splits} random splits of {self.n_train} training / {self.n_test} test observations; "
                 f"tuning by {self.cv}-fold cross-validation on the training part",
                 f"{'model':>15}  {'test RMSE':>15}  {'R² (test)':>9}  {'CPU s to fit':>14}",
                 f"{'mean only':>15}  {self.baseline_rmse.mean():8.1f} ± {self.baseline_rmse.std():4.1f}  "
                 f"{0.0:9.2f}  {'—':>14}"]
        for r in self.results.values():
            r2 = 1 - np.mean(r.test_rmse ** 2 / self.baseline_rmse ** 2)
            lines.append(f"{r.name:>15}  {r.mean_rmse:8.1f} ± {r.test_rmse.std():4.1f}  {r2:9.2f}  "
                         f"{r.fit_seconds.mean():12.2f} s")
        return "\n".join(lines)

    def summary(self):
        """Three lines: the ranking; the network against the best linear model, with the typical
        split-to-split spread (the mean of the models' standard deviations); the network's fitting
        time as a multiple of the linear models'."""
        needed = {"ridge", "lasso", "network"}
        if not needed <= set(self.results):
            raise ValueError(f"summary: needs the models {sorted(needed)}, got {sorted(self.results)}")
        r = self.results
        linear = min(("ridge", "lasso"), key=lambda n: r[n].mean_rmse)
        gap = r["network"].mean_rmse - r[linear].mean_rmse
        spread = float(np.mean([x.test_rmse.std() for x in r.values()]))
        slowest_linear = max(r["ridge"].fit_seconds.mean(), r["lasso"].fit_seconds.mean())
        return "\n".join([
            "from the lowest mean test RMSE: " + ", ".join(self.ranking()),
            f"network − best linear model ({linear}): {gap:+.1f}; the typical split-to-split spread (mean sd): {spread:.1f}",
            f"the network took {r['network'].fit_seconds.mean() / slowest_linear:.0f}× as long to fit as the "
            f"slower of ridge and lasso (CPU time)"])

    def ranking(self):
        """Model names from the lowest mean test RMSE to the highest."""
        return sorted(self.results, key=lambda n: self.results[n].mean_rmse)


def splits(n, *, n_splits=5, test_size=0.25, seed=0):
    """`n_splits` random (train rows, test rows) partitions of range(n), reproducible from `seed`."""
    n, n_splits = positive_int(n, "n"), positive_int(n_splits, "n_splits")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size: expected a share in (0, 1), got {test_size!r}")
    rng = np.random.default_rng(seed)
    n_test = int(round(test_size * n))
    out = []
    for _ in range(n_splits):
        order = rng.permutation(n)
        out.append((np.sort(order[n_test:]), np.sort(order[:n_test])))
    return out


def fit_tuned(name, X, y, *, cv=5, seed=0):
    """`name`'s estimator with its tuning parameter chosen by `cv`-fold cross-validation (fitted on all of X, y)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, KFold
    from threadpoolctl import threadpool_limits

    if name not in MODELS:
        raise ValueError(f"model: expected one of {list(MODELS)}, got {name!r}")
    grid = {_grid_key(name): list(MODELS[name][2])}
    search = GridSearchCV(_estimator(name, seed), grid, cv=KFold(cv, shuffle=True, random_state=seed),
                          scoring="neg_mean_squared_error")
    # one BLAS thread: these matrices are tiny, and several threads on a shared CPU are 10-20× slower
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)     # the network's iteration cap is deliberate
        return search.fit(X, y)


def compare(X, y, *, models=tuple(MODELS), n_splits=5, test_size=0.25, cv=5, seed=0):
    """Every model on the same `n_splits` splits; returns a `Comparison`."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X, y: expected X (n, p) and y (n,), got shapes {X.shape} and {y.shape}")
    for name in models:
        if name not in MODELS:
            raise ValueError(f"models: expected names from {list(MODELS)}, got {name!r}")
    parts = splits(len(y), n_splits=n_splits, test_size=test_size, seed=seed)
    rmse = {name: [] for name in models}
    seconds = {name: [] for name in models}
    chosen = {name: [] for name in models}
    baseline = []
    for train, test in parts:
        baseline.append(np.sqrt(np.mean((y[test] - y[train].mean()) ** 2)))
        for name in models:
            started = time.process_time()
            search = fit_tuned(name, X[train], y[train], cv=cv, seed=seed)
            seconds[name].append(time.process_time() - started)
            rmse[name].append(np.sqrt(np.mean((y[test] - search.predict(X[test])) ** 2)))
            chosen[name].append(next(iter(search.best_params_.values())))
    results = {name: ModelResult(name, MODELS[name][0], MODELS[name][1], np.array(rmse[name]),
                                 np.array(seconds[name]), chosen[name]) for name in models}
    train, test = parts[0]
    return Comparison(results, np.array(baseline), len(train), len(test), n_splits, cv)


__all__ = ["MODELS", "compare", "Comparison", "ModelResult", "splits", "fit_tuned"]
