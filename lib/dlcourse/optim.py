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

from ._validation import as_float_array, as_generator, positive_int, positive_number


class DivergenceWarning(RuntimeWarning):
    """F blew up: the learning rate is too large for this objective."""


@dataclass
class OptimizeResult:
    """What an optimizer did.

    beta : final β;  path : (n_steps+1, d) iterates, path[0] = β0 (for SGD: one row per epoch or per step)
    values : F along the path;  n_steps : number of update steps taken
    validation_values : (SGD with `validation`) the validation objective along the path
    converged : ‖∇F‖ fell below tol;  diverged : F blew up and the run stopped early
    """

    beta: np.ndarray
    path: np.ndarray
    values: np.ndarray
    n_steps: int
    converged: bool
    diverged: bool
    learning_rate: float
    message: str = ""
    validation_values: np.ndarray = None

    def __repr__(self):
        return (f"OptimizeResult(F={self.values[-1]:.6g}, n_steps={self.n_steps}, "
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


def _diverged_message(method, learning_rate, k):
    return (f"{method} diverged at step {k}: F(β) blew up with learning rate "
            f"γ = {learning_rate:g}; try a smaller learning rate")


def gradient_descent(objective, beta0, *, learning_rate, n_steps=1000, tol=1e-6, blowup=1e8):
    """Minimize F by β ← β − γ∇F(β) from β0, until ‖∇F(β)‖ < tol or after `n_steps` steps.

    When F exceeds `blowup`·(1 + |F(β0)|) or stops being finite, the run stops
    with ``diverged=True`` and a `DivergenceWarning` naming γ; the path keeps the
    finite iterates only, so it can be plotted.
    """
    learning_rate = positive_number(learning_rate, "learning_rate")
    n_steps = positive_int(n_steps, "n_steps")
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
            if k == n_steps:
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
    message = _diverged_message("gradient descent", learning_rate, k) if diverged else (
        "converged: ‖∇F(β)‖ < tol" if converged else f"stopped after n_steps={n_steps} steps")
    if diverged:
        warnings.warn(message, DivergenceWarning, stacklevel=2)
    path = np.array(path)
    return OptimizeResult(beta=path[-1].copy(), path=path, values=np.array(values), n_steps=k,
                          converged=converged, diverged=diverged,
                          learning_rate=learning_rate, message=message)


def minibatches(n, *, batch_size, seed=0):
    """One epoch's minibatches: the row indices 0..n−1 shuffled (with `seed`), `batch_size` at a time.

    seed : an int or a numpy Generator (pass the same Generator to get a new order each epoch).
    The last batch is smaller when `batch_size` does not divide n.
    """
    n = positive_int(n, "n")
    batch_size = positive_int(batch_size, "batch_size")
    order = as_generator(seed).permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def sgd(objective, beta0, *, learning_rate, batch_size=32, epochs=10, n_steps=None, seed=0, record="epoch",
        validation=None, blowup=1e8):
    """Stochastic gradient descent: each step β ← β − γ ∇F_B(β) uses a random minibatch B.

    Each epoch shuffles the n observations (`seed`: an int or a numpy Generator) and steps
    through them `batch_size` at a time, so an epoch is ⌈n / batch_size⌉ steps; `n_steps` (if given)
    stops earlier, after that many steps. The minibatch gradient ∇F_B is an unbiased, noisy
    estimate of ∇F. `record="epoch"` keeps β and the full
    F(β) at the end of each epoch in ``path``/``values``; `record="step"` after every step
    (costs a full F per step: for small teaching problems). `objective` needs ``subset(rows)``.
    validation : another objective (the same model on held-out data): its value is recorded with
    each recorded β in ``result.validation_values`` (training vs validation loss; early stopping).
    """
    learning_rate = positive_number(learning_rate, "learning_rate")
    batch_size = positive_int(batch_size, "batch_size")
    epochs = positive_int(epochs, "epochs")
    n_steps = None if n_steps is None else positive_int(n_steps, "n_steps")
    if record not in ("epoch", "step"):
        raise ValueError(f"record: expected 'epoch' or 'step', got {record!r}")
    if not hasattr(objective, "subset"):
        raise TypeError("objective: expected a data objective with subset(rows) (from dlcourse.objectives)")
    beta = _start(beta0, objective)
    rng = as_generator(seed)
    path, values = [beta.copy()], [objective.value(beta)]
    diverged, k = False, 0
    def keep(beta):
        """Record β and the full F(β); False when F blew up (the run stops)."""
        value = objective.value(beta)
        if _blew_up(value, beta, values[0], blowup):
            return False
        path.append(beta.copy())
        values.append(value)
        return True

    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):  # noqa: B007
            for rows in minibatches(objective.n, batch_size=batch_size, seed=rng):
                if k == n_steps:
                    break
                beta = beta - learning_rate * objective.subset(rows).gradient(beta)
                k += 1
                if record == "step" and not keep(beta):
                    diverged = True
                    break
            # after each epoch (a last, partial one when n_steps stops it)
            if diverged or (record == "epoch" and not keep(beta)):
                diverged = True
                break
            if k == n_steps:
                break
    message = _diverged_message("SGD", learning_rate, k) if diverged else (
        f"ran {epochs} epochs ({k} steps)" if n_steps is None or k < n_steps else f"stopped after n_steps={k} steps")
    if diverged:
        warnings.warn(message, DivergenceWarning, stacklevel=2)
    path = np.array(path)
    result = OptimizeResult(beta=path[-1].copy(), path=path, values=np.array(values), n_steps=k,
                            converged=False, diverged=diverged, learning_rate=learning_rate,
                            message=message)
    if validation is not None:
        result.validation_values = np.array([validation.value(b) for b in path])
    return result


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
    return as_generator(seed).uniform(low, high, size=(n_starts, dim))


def multi_start(objective, starts, *, learning_rate, n_steps=1000, tol=1e-6):
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
        runs = [gradient_descent(objective, s, learning_rate=learning_rate, n_steps=n_steps, tol=tol)
                for s in starts]
    finals = np.array([np.inf if r.diverged else r.values[-1] for r in runs])
    best_index = int(np.argmin(finals))
    return MultiStartResult(best=runs[best_index], best_index=best_index, runs=runs, starts=starts)


__all__ = ["gradient_descent", "sgd", "minibatches", "multi_start", "random_starts", "OptimizeResult",
           "MultiStartResult", "DivergenceWarning"]
