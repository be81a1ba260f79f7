"""Gradient descent, stochastic gradient descent and multiple restarts.

Gradient descent, in the lecture's four steps:

1. choose an initial β;
2. evaluate the gradient ∇F(β): the direction in which F increases fastest;
3. take a small step against it: β ← β − γ ∇F(β), γ the learning rate;
4. repeat 2 and 3 until the gradient is near zero.

Anything with ``value(beta)`` and ``gradient(beta)`` can be minimized: the
objectives of `dlcourse.objectives` and the landscapes of `dlcourse.landscapes`.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array, positive_int, positive_number


class DivergenceWarning(RuntimeWarning):
    """F blew up: the learning rate is too large for this objective."""


@dataclass
class OptimizeResult:
    """What an optimizer did.

    beta : final β;  path : (n_iter+1, d) iterates, path[0] = β0 (for SGD: one row per epoch)
    values : F along the path;  n_iter : number of update steps taken
    converged : ‖∇F‖ fell below tol;  diverged : F blew up and the run stopped early
    """

    beta: np.ndarray
    path: np.ndarray
    values: np.ndarray
    n_iter: int
    converged: bool
    diverged: bool
    learning_rate: float
    message: str = ""

    def __repr__(self):
        return (f"OptimizeResult(F={self.values[-1]:.6g}, n_iter={self.n_iter}, "
                f"converged={self.converged}, diverged={self.diverged}, γ={self.learning_rate:g})")


def _value_and_gradient(objective):
    if hasattr(objective, "value_and_gradient"):
        return objective.value_and_gradient
    if not (hasattr(objective, "value") and hasattr(objective, "gradient")):
        raise TypeError(f"objective: expected an object with value(beta) and gradient(beta), "
                        f"got {type(objective).__name__}")
    return lambda beta: (objective.value(beta), objective.gradient(beta))


def _start(beta0, objective):
    beta0 = np.atleast_1d(as_float_array(beta0, "beta0"))
    if beta0.ndim != 1:
        raise ValueError(f"beta0: expected a flat vector, got shape {beta0.shape}")
    n_params = getattr(objective, "n_params", None)
    if n_params is not None and beta0.shape[0] != n_params:
        raise ValueError(f"beta0: expected {n_params} parameters, got shape {beta0.shape}")
    return beta0.copy()


def _blew_up(value, beta, first_value, blowup):
    return (not np.isfinite(value) or not np.all(np.isfinite(beta))
            or abs(value) > blowup * (1.0 + abs(first_value)))


def _diverged_message(learning_rate, k):
    return (f"gradient descent diverged at step {k}: F(β) blew up with learning rate "
            f"γ = {learning_rate:g}; try a smaller learning rate")


def gradient_descent(objective, beta0, learning_rate, max_iter=1000, tol=1e-6, *, blowup=1e8):
    """Minimize F by β ← β − γ∇F(β) from β0, until ‖∇F(β)‖ < tol or max_iter steps.

    When F exceeds `blowup`·(1 + |F(β0)|) or stops being finite, the run stops
    with ``diverged=True`` and a `DivergenceWarning` naming γ; the path keeps the
    finite iterates only, so it can be plotted.
    """
    learning_rate = positive_number(learning_rate, "learning_rate")
    max_iter = positive_int(max_iter, "max_iter")
    tol = positive_number(tol, "tol")
    f_and_g = _value_and_gradient(objective)
    beta = _start(beta0, objective)

    path, values = [beta.copy()], []
    value, grad = f_and_g(beta)
    first_value = value
    converged = diverged = False
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            values.append(value)
            if np.sqrt(grad @ grad) < tol:                 # step 4: gradient near zero
                converged = True
                break
            if k == max_iter:
                break
            beta = beta - learning_rate * grad             # step 3
            k += 1
            value, grad = f_and_g(beta)                    # step 2
            if _blew_up(value, beta, first_value, blowup):
                diverged = True
                if np.isfinite(value) and np.all(np.isfinite(beta)):
                    path.append(beta.copy())
                    values.append(value)
                break
            path.append(beta.copy())
    message = _diverged_message(learning_rate, k) if diverged else (
        "converged: ‖∇F(β)‖ < tol" if converged else f"stopped after max_iter={max_iter} steps")
    if diverged:
        warnings.warn(message, DivergenceWarning, stacklevel=2)
    path = np.array(path)
    return OptimizeResult(beta=path[-1].copy(), path=path, values=np.array(values), n_iter=k,
                          converged=converged, diverged=diverged,
                          learning_rate=learning_rate, message=message)


def sgd(objective, beta0, learning_rate, *, batch_size=32, epochs=10, seed=0, blowup=1e8):
    """Stochastic gradient descent: each step uses the gradient on a random minibatch.

    Each epoch shuffles the n observations (with `seed`) and steps through them
    `batch_size` at a time. The path records β and the full F(β) at the end of
    each epoch; ``n_iter`` counts minibatch steps. `objective` needs ``subset(rows)``.
    """
    learning_rate = positive_number(learning_rate, "learning_rate")
    batch_size = positive_int(batch_size, "batch_size")
    epochs = positive_int(epochs, "epochs")
    if not hasattr(objective, "subset"):
        raise TypeError("objective: expected a data objective with subset(rows) (from dlcourse.objectives)")
    beta = _start(beta0, objective)
    rng = np.random.default_rng(seed)
    n = objective.n
    path, values = [beta.copy()], [objective.value(beta)]
    diverged, k = False, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                grad = objective.subset(order[start:start + batch_size]).gradient(beta)
                beta = beta - learning_rate * grad
                k += 1
            value = objective.value(beta)
            if _blew_up(value, beta, values[0], blowup):
                diverged = True
                break
            path.append(beta.copy())
            values.append(value)
    message = _diverged_message(learning_rate, k) if diverged else f"ran {epochs} epochs ({k} steps)"
    if diverged:
        warnings.warn(message.replace("gradient descent", "SGD"), DivergenceWarning, stacklevel=2)
    path = np.array(path)
    return OptimizeResult(beta=path[-1].copy(), path=path, values=np.array(values), n_iter=k,
                          converged=False, diverged=diverged, learning_rate=learning_rate,
                          message=message)


@dataclass
class MultiStartResult:
    """Best of several gradient-descent runs: `best` (lowest final F), `best_index`, all `runs`."""

    best: OptimizeResult
    best_index: int
    runs: list = field(default_factory=list)
    starts: np.ndarray = None

    @property
    def final_values(self):
        """Final F of each run (inf for a run that diverged)."""
        return np.array([np.inf if r.diverged else r.values[-1] for r in self.runs])


def random_starts(n_starts, low, high, *, dim=1, seed=0):
    """`n_starts` points drawn uniformly from the box [low, high]^dim, shape (n_starts, dim)."""
    n_starts = positive_int(n_starts, "n_starts")
    low = np.broadcast_to(np.asarray(low, dtype=float), (dim,))
    high = np.broadcast_to(np.asarray(high, dtype=float), (dim,))
    if np.any(high <= low):
        raise ValueError(f"low, high: expected low < high, got {low} and {high}")
    return np.random.default_rng(seed).uniform(low, high, size=(n_starts, dim))


def multi_start(objective, starts, learning_rate, max_iter=1000, tol=1e-6):
    """Run gradient descent from each row of `starts` (n_starts, d); keep the lowest F.

    Runs that diverge are kept in ``runs`` but never chosen as best (unless all do).
    """
    starts = as_float_array(starts, "starts")
    if starts.ndim == 1:
        starts = starts[:, None]
    if starts.ndim != 2 or starts.shape[0] == 0:
        raise ValueError(f"starts: expected an (n_starts, d) array, got shape {starts.shape}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        runs = [gradient_descent(objective, s, learning_rate, max_iter=max_iter, tol=tol) for s in starts]
    finals = np.array([np.inf if r.diverged else r.values[-1] for r in runs])
    best_index = int(np.argmin(finals))
    return MultiStartResult(best=runs[best_index], best_index=best_index, runs=runs, starts=starts)


__all__ = ["gradient_descent", "sgd", "multi_start", "random_starts", "OptimizeResult",
           "MultiStartResult", "DivergenceWarning"]
