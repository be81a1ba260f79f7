"""Lecture 1's explorers, pure compute: learning rate, rolling ball, restarts, ridge shrinkage.

No plotting and no widgets here (those are in `dlcourse.widgets`), so every
explorer can be tested without a browser: give it the slider values, check the
path, the values and the flags it returns.
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from .. import landscapes, objectives, optim
from .._validation import positive_int, positive_number


@dataclass
class DescentView:
    """What the learning-rate explorer draws for one (γ, n_steps) setting.

    path : (m, d) iterates shown (m - 1 <= n_steps);  values : F along the path
    regime : "crawls", "converges", "zig-zags" (converges, overshooting the minimum on the way),
             "oscillates" (overshoots, not converged yet) or "diverges";  status : one line for the user
    """

    landscape: str
    learning_rate: float
    path: np.ndarray
    values: np.ndarray
    converged: bool
    diverged: bool
    regime: str
    status: str


def _regime(result, path):
    if result.diverged:
        return "diverges"
    steps = np.diff(path, axis=0)
    # successive steps pointing in opposite directions: each step overshoots the minimum
    overshoots = len(steps) > 1 and bool(np.any(np.sum(steps[1:] * steps[:-1], axis=1) < 0))
    if result.converged:
        return "zig-zags" if overshoots else "converges"
    return "oscillates" if overshoots else "crawls"


def descent_view(landscape, learning_rate, n_steps, start=None, tol=1e-3):
    """Run gradient descent for the explorer: `n_steps` steps of size γ from `start`.

    landscape : a `Landscape` or its name in `landscapes.LANDSCAPES`
    Converged means ‖∇F(β)‖ < tol (1e-3: "near zero" at the scale of the pictures).
    Returns a `DescentView`; divergence is a regime with a message, never an exception.
    """
    F = landscapes.named(landscape)
    learning_rate = positive_number(learning_rate, "learning_rate")
    n_steps = positive_int(n_steps, "n_steps")
    if start is None:
        start = [0.8 * F.domain[j][1] for j in range(F.dim)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optim.DivergenceWarning)
        res = optim.gradient_descent(F, start, learning_rate=learning_rate, n_steps=n_steps, tol=tol)
    regime = _regime(res, res.path)
    messages = {
        "diverges": f"γ = {learning_rate:.3g}: DIVERGED after {res.n_steps} steps — F(β) blew up; the learning rate is too large",
        "oscillates": f"γ = {learning_rate:.3g}: oscillates, overshooting the minimum; F = {res.values[-1]:.4g} after {res.n_steps} steps",
        "converges": f"γ = {learning_rate:.3g}: converged in {res.n_steps} steps; F = {res.values[-1]:.4g}",
        "zig-zags": f"γ = {learning_rate:.3g}: zig-zags across the minimum, converged in {res.n_steps} steps; F = {res.values[-1]:.4g}",
        "crawls": f"γ = {learning_rate:.3g}: still crawling after {res.n_steps} steps; F = {res.values[-1]:.4g}",
    }
    return DescentView(landscape=F.name, learning_rate=learning_rate, path=res.path, values=res.values,
                       converged=res.converged, diverged=res.diverged, regime=regime, status=messages[regime])


@functools.lru_cache(maxsize=64)
def _ball_path(name, start, learning_rate, frames):
    F = landscapes.named(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optim.DivergenceWarning)
        res = optim.gradient_descent(F, [start], learning_rate=learning_rate, n_steps=frames, tol=1e-12)
    path = np.full(frames + 1, res.path[-1, 0])
    path[: len(res.path)] = res.path[:, 0]           # after convergence the ball rests
    return path


def rolling_ball(landscape, start, frame, *, learning_rate=0.05, frames=80):
    """Ball position on a 1-D landscape at animation `frame`: (β_frame, F(β_frame), trail of β).

    The path is computed once per (landscape, start, γ) and cached, so each
    Play-button tick only indexes it.
    """
    if landscape not in ("bowl_1d", "wavy_1d"):
        raise ValueError(f"landscape: expected 'bowl_1d' or 'wavy_1d', got {landscape!r}")
    frame = int(frame)
    if not 0 <= frame <= frames:
        raise ValueError(f"frame: expected 0..{frames}, got {frame}")
    path = _ball_path(landscape, float(start), positive_number(learning_rate, "learning_rate"), frames)
    F = landscapes.named(landscape)
    beta = path[frame]
    return beta, F.value(beta), path[: frame + 1]


@dataclass
class RestartsView:
    starts: np.ndarray       # (m,) starting points
    ends: np.ndarray         # (m,) where each run ended
    final_values: np.ndarray
    best_index: int
    single_value: float      # F reached by one run (the first start)
    best_value: float


def restarts_view(n_restarts, *, seed=0, learning_rate=0.05, landscape="wavy_1d"):
    """Best-of-`n_restarts` gradient descent on a non-convex 1-D landscape, against a single run."""
    n_restarts = positive_int(n_restarts, "n_restarts")
    F = landscapes.named(landscape)
    starts = optim.random_starts(n_restarts, *F.domain[0], seed=seed)
    ms = optim.multi_start(F, starts, learning_rate=learning_rate, n_steps=2000)
    ends = np.array([r.beta[0] for r in ms.runs])
    return RestartsView(starts=starts[:, 0], ends=ends, final_values=ms.final_values,
                        best_index=ms.best_index, single_value=float(ms.final_values[0]),
                        best_value=float(ms.final_values[ms.best_index]))


def ridge_path(X, y, lams=None):
    """Closed-form ridge coefficients β_1..β_p for each λ in `lams` (default: 10^-4 .. 10^2).

    Returns (lams, path) with path of shape (len(lams), p); the intercept is left out.
    """
    lams = np.logspace(-4, 2, 61) if lams is None else np.asarray(lams, dtype=float)
    return lams, np.array([objectives.ridge_closed_form(X, y, lam=lam)[1:] for lam in lams])


def ridge_shrinkage(X, y, lam):
    """The λ slider: closed-form ridge β̂(λ) = (β0, β1, ..., βp) and its size Σ_{j≥1} β_j²."""
    lam = positive_number(lam, "lam")
    beta = objectives.ridge_closed_form(X, y, lam=lam)
    return beta, float(np.sum(beta[1:] ** 2))


__all__ = ["descent_view", "DescentView", "rolling_ball", "restarts_view", "RestartsView",
           "ridge_path", "ridge_shrinkage"]
