"""Teaching landscapes F(β) in one and two dimensions, with exact gradients.

Convex: `bowl_1d`, `bowl_2d`, `elongated_bowl_2d`.  Non-convex: `wavy_1d`
(four local minima of different depth), `wells_2d` (three wells).
Each is a `Landscape` with ``value(beta)``, ``gradient(beta)`` (so
`dlcourse.optim` can descend it) and vectorized ``values(B)`` for plotting.
`random_slice` draws a 2-D slice of any objective (Li et al., arXiv:1712.09913).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, as_generator, positive_int


@dataclass(frozen=True)
class Landscape:
    """F(β) on R^dim. `f` and `grad` act on arrays whose last axis has length dim."""

    name: str
    dim: int
    f: Callable
    grad: Callable
    domain: tuple          # ((low, high),) * dim: a good plotting window
    convex: bool
    formula: str = ""

    @property
    def n_params(self):
        return self.dim

    def _beta(self, beta):
        beta = np.atleast_1d(np.asarray(beta, dtype=np.float64))
        if beta.shape[-1] != self.dim:
            raise ValueError(f"beta: expected a vector of length {self.dim}, got shape {beta.shape}")
        return beta

    def value(self, beta):
        """F(β) for one β."""
        return float(self.f(self._beta(beta)))

    def gradient(self, beta):
        """∇F(β), shape (dim,)."""
        return np.asarray(self.grad(self._beta(beta)), dtype=np.float64).reshape(self.dim)

    def value_and_gradient(self, beta):
        return self.value(beta), self.gradient(beta)

    def values(self, B):
        """F at many points: B of shape (..., dim) (or (m,) for dim 1) -> shape (...) ."""
        B = np.asarray(B, dtype=np.float64)
        if self.dim == 1 and (B.ndim == 0 or B.shape[-1] != 1):
            B = B[..., None]
        return self.f(B)

    def __call__(self, beta):
        return self.value(beta)

    def local_minima(self, n_grid=20001):
        """Local minima inside the domain (1-D only): sign changes of F' from − to +, refined by bisection."""
        if self.dim != 1:
            raise ValueError("local_minima: only available for 1-D landscapes")
        b = np.linspace(*self.domain[0], n_grid)
        g = self.grad(b[:, None])[:, 0]
        minima = []
        for i in np.where((g[:-1] < 0) & (g[1:] >= 0))[0]:
            lo, hi = b[i], b[i + 1]
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if self.grad(np.array([mid]))[0] < 0 else (lo, mid)
            minima.append(0.5 * (lo + hi))
        return np.array(minima)


def _sq(B):
    return np.sum(B * B, axis=-1)


bowl_1d = Landscape("bowl", 1, lambda B: B[..., 0] ** 2, lambda B: 2 * B, ((-3.0, 3.0),), True, r"F(\beta)=\beta^2")

wavy_1d = Landscape(
    "wavy", 1,
    lambda B: 0.1 * B[..., 0] ** 2 + np.sin(2.2 * B[..., 0]) + 0.2 * B[..., 0],
    lambda B: 0.2 * B + 2.2 * np.cos(2.2 * B) + 0.2,
    ((-4.5, 5.5),), False, r"F(\beta)=0.1\beta^2+\sin(2.2\beta)+0.2\beta",
)

bowl_2d = Landscape("bowl", 2, _sq, lambda B: 2 * B, ((-3.0, 3.0), (-3.0, 3.0)), True,
                    r"F(\beta)=\beta_1^2+\beta_2^2")

_ELONGATION = np.array([1.0, 10.0])
elongated_bowl_2d = Landscape(
    "elongated bowl", 2,
    lambda B: 0.5 * np.sum(_ELONGATION * B * B, axis=-1),
    lambda B: _ELONGATION * B,
    ((-3.0, 3.0), (-2.0, 2.0)), True, r"F(\beta)=\frac12(\beta_1^2+10\,\beta_2^2)",
)

_WELL_CENTRES = np.array([[-2.0, 1.0], [2.0, 1.5], [0.5, -2.0]])
_WELL_DEPTHS = np.array([1.0, 0.6, 0.8])
_WELL_WIDTH = 1.0


def _wells(B):
    d2 = _sq(B[..., None, :] - _WELL_CENTRES)           # (..., 3)
    return 0.05 * _sq(B) - np.sum(_WELL_DEPTHS * np.exp(-d2 / (2 * _WELL_WIDTH**2)), axis=-1)


def _wells_grad(B):
    diff = B[..., None, :] - _WELL_CENTRES               # (..., 3, 2)
    w = _WELL_DEPTHS * np.exp(-_sq(diff) / (2 * _WELL_WIDTH**2))   # (..., 3)
    return 0.1 * B + np.sum(w[..., None] * diff, axis=-2) / _WELL_WIDTH**2


wells_2d = Landscape("three wells", 2, _wells, _wells_grad, ((-4.0, 4.0), (-4.0, 4.0)), False,
                     r"F(\beta)=0.05\|\beta\|^2-\sum_k a_k e^{-\|\beta-c_k\|^2/2}")

LANDSCAPES = {"bowl_1d": bowl_1d, "wavy_1d": wavy_1d, "bowl_2d": bowl_2d,
              "elongated_bowl_2d": elongated_bowl_2d, "wells_2d": wells_2d}


def random_slice(objective, center, *, span=1.0, n=41, seed=0, blocks=None):
    """F on the plane center + a·d1 + b·d2, a, b in [−span, span] (Li et al. 2018).

    d1, d2 are random Gaussian directions, each block of β (a layer; `blocks`
    is a list of index arrays, default: all of β) rescaled to the norm of the
    same block of `center` ("filter normalization"), so the picture does not
    depend on the scale of the weights. Returns (a, b, values) with values of shape (n, n).
    """
    center = as_float_array(center, "center", ndim=1)
    n = positive_int(n, "n")
    rng = as_generator(seed)
    blocks = blocks or [np.arange(center.size)]
    directions = []
    for _ in range(2):
        d = rng.standard_normal(center.size)
        for idx in blocks:
            d[idx] *= np.linalg.norm(center[idx]) / max(np.linalg.norm(d[idx]), 1e-12)
        directions.append(d)
    a = np.linspace(-span, span, n)
    values = np.array([[objective.value(center + ai * directions[0] + bj * directions[1])
                        for ai in a] for bj in a])
    return a, a.copy(), values


def morph(alpha):
    """F_α(β) = (1 − α)·β²/4 + α·wavy(β): a convex bowl at α = 0 that turns into `wavy_1d` at α = 1.

    F_α'' = (1 − α)/2 + α(0.2 − 4.84 sin 2.2β) is negative somewhere once α > 0.5/5.34 ≈ 0.094:
    from there on F_α is not convex, and new local minima appear as α grows.
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha: expected a number in [0, 1], got {alpha!r}")
    return Landscape(
        f"F_α, α = {alpha:.2f}", 1,
        lambda B: (1 - alpha) * 0.25 * B[..., 0] ** 2 + alpha * wavy_1d.f(B),
        lambda B: (1 - alpha) * 0.5 * B + alpha * wavy_1d.grad(B),
        wavy_1d.domain, alpha <= MORPH_CONVEX_UP_TO,
        r"F_\alpha(\beta)=(1-\alpha)\,\beta^2/4+\alpha\,\mathrm{wavy}(\beta)",
    )


MORPH_CONVEX_UP_TO = 0.5 / 5.34      # α at which min F_α'' = (1 − α)/2 + α(0.2 − 4.84) reaches 0


def along_segment(objective, beta_a, beta_b, *, domain=(-0.25, 1.25)):
    """F restricted to the line through β_b (u = 0) and β_a (u = 1): φ(u) = F(u β_a + (1 − u) β_b).

    A 1-D `Landscape` (φ'(u) = ∇F(β(u))·(β_a − β_b)), so the 1-D explorers can show a real objective:
    if F is convex, so is φ along every such line.
    """
    beta_a = as_float_array(beta_a, "beta_a", ndim=1)
    beta_b = as_float_array(beta_b, "beta_b", ndim=1)
    if beta_a.shape != beta_b.shape:
        raise ValueError(f"beta_a, beta_b: expected the same shape, got {beta_a.shape} and {beta_b.shape}")
    d = beta_a - beta_b

    def f(U):
        U = np.asarray(U)[..., 0]
        return np.vectorize(lambda u: objective.value(beta_b + u * d))(U)

    def grad(U):
        U = np.asarray(U)[..., 0]
        return np.vectorize(lambda u: objective.gradient(beta_b + u * d) @ d)(U)[..., None]

    name = getattr(objective, "name", type(objective).__name__)
    return Landscape(f"{name} along a chord", 1, f, grad, (tuple(float(x) for x in domain),),
                     False, r"\varphi(u)=F(u\beta_a+(1-u)\beta_b)")


def plane_through(objective, beta_0, beta_1, *, span=((-0.5, 1.5), (-1.0, 1.0)), n=41, seed=0, blocks=None):
    """F on the plane β_0 + a·(β_1 − β_0) + b·d: a = 0 at β_0, a = 1 at β_1, d random.

    Where `random_slice` looks around one point, this slice passes through two: with β_0 and β_1
    two minima (e.g. a trained network and the same network with two hidden units swapped),
    the picture shows both basins and the barrier between them. d is a Gaussian direction scaled
    block by block to the norm of β_1 − β_0 (each block of `blocks`; default: all of β).
    Returns (a, b, values) with values of shape (n, n) (rows: b).
    """
    beta_0 = as_float_array(beta_0, "beta_0", ndim=1)
    beta_1 = as_float_array(beta_1, "beta_1", ndim=1)
    n = positive_int(n, "n")
    d1 = beta_1 - beta_0
    d2 = as_generator(seed).standard_normal(beta_0.size)
    for idx in blocks or [np.arange(beta_0.size)]:
        d2[idx] *= np.linalg.norm(d1[idx]) / max(np.linalg.norm(d2[idx]), 1e-12)
    a, b = np.linspace(*span[0], n), np.linspace(*span[1], n)
    values = np.array([[objective.value(beta_0 + ai * d1 + bj * d2) for ai in a] for bj in b])
    return a, b, values


def named(name):
    """The landscape called `name` (one of ``LANDSCAPES``), or `name` itself if it is a `Landscape`."""
    if isinstance(name, Landscape):
        return name
    if name not in LANDSCAPES:
        raise ValueError(f"landscape: expected one of {sorted(LANDSCAPES)}, got {name!r}")
    return LANDSCAPES[name]


__all__ = ["named", "Landscape", "bowl_1d", "wavy_1d", "bowl_2d", "elongated_bowl_2d", "wells_2d",
           "LANDSCAPES", "random_slice", "morph", "MORPH_CONVEX_UP_TO", "along_segment", "plane_through"]


def swap_hidden_units(model, beta, i=0, j=1):
    """β of the same network with hidden units i and j of its first hidden layer swapped.

    The swapped network computes the same function, so F takes the same value: a second,
    distinct minimum whenever β is one (and units i and j differ). Returns a new vector.
    """
    Ws = [W.copy() for W in model.weights(np.array(beta, dtype=float))]
    Ws[0][:, [i, j]] = Ws[0][:, [j, i]]              # the units' incoming weights (columns)
    Ws[1][[i + 1, j + 1]] = Ws[1][[j + 1, i + 1]]    # their outgoing weights (rows; row 0 is the bias)
    return np.concatenate([W.ravel() for W in Ws])


__all__ += ["swap_hidden_units"]


def grid_minima(values):
    """Indices (row, column) of the grid points of a 2-D array lower than all 8 neighbours (edges excluded)."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or min(v.shape) < 3:
        raise ValueError(f"values: expected a 2-D grid of at least 3×3, got shape {v.shape}")
    core = v[1:-1, 1:-1]
    lower = np.ones(core.shape, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lower &= core < v[1 + di:v.shape[0] - 1 + di, 1 + dj:v.shape[1] - 1 + dj]
    return [(int(i) + 1, int(j) + 1) for i, j in zip(*np.nonzero(lower))]


__all__ += ["grid_minima"]
