"""Finite-difference gradient check: is your ∇F(β) right?

Compares the gradient you wrote with central differences
(F(β + h e_j) − F(β − h e_j)) / 2h and reports the relative error
‖g − g_num‖ / max(‖g‖ + ‖g_num‖, tiny) with a verdict.
"""

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, positive_number


@dataclass
class GradCheckResult:
    relative_error: float
    analytic: np.ndarray
    numerical: np.ndarray
    passed: bool
    verdict: str

    def __str__(self):
        return f"{self.verdict} (relative error {self.relative_error:.2e})"

    def __bool__(self):
        return self.passed


def check_gradient(f, grad, beta, *, h=1e-6, rtol=1e-6):
    """Check `grad(beta)` against central differences of `f` at `beta`.

    f : callable β -> F(β) (a float);  grad : callable β -> ∇F(β), same shape as β
    Passes when the relative error is below `rtol` (1e-6 is strict enough to
    catch a factor or a sign and loose enough for rounding with h = 1e-6).
    """
    beta = np.atleast_1d(as_float_array(beta, "beta"))
    h = positive_number(h, "h")
    analytic = np.asarray(grad(beta.copy()), dtype=np.float64)
    if analytic.shape != beta.shape:
        raise ValueError(f"grad: expected a gradient of shape {beta.shape} (like beta), got {analytic.shape}")
    numerical = np.empty_like(beta)
    for j in range(beta.size):
        e = np.zeros_like(beta)
        e.flat[j] = h
        numerical.flat[j] = (float(f(beta + e)) - float(f(beta - e))) / (2 * h)
    denom = max(np.linalg.norm(analytic) + np.linalg.norm(numerical), 1e-12)
    rel = float(np.linalg.norm(analytic - numerical) / denom)
    if not np.isfinite(rel):
        verdict, passed = "WRONG: the gradient contains NaN or inf", False
    elif rel < rtol:
        verdict, passed = "OK: the gradient matches finite differences", True
    else:
        worst = int(np.argmax(np.abs(analytic - numerical)))
        verdict, passed = (f"WRONG: the gradient differs from finite differences; worst entry "
                           f"{worst}: yours {analytic.flat[worst]:.6g}, numerical {numerical.flat[worst]:.6g}"), False
    return GradCheckResult(relative_error=rel, analytic=analytic, numerical=numerical,
                           passed=passed, verdict=verdict)


def check_objective(objective, beta, **kwargs):
    """`check_gradient` for an object with value(beta) and gradient(beta)."""
    return check_gradient(objective.value, objective.gradient, beta, **kwargs)


__all__ = ["check_gradient", "check_objective", "GradCheckResult"]
