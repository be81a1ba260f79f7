"""The convexity explorer, pure compute: a chord on F, the gap to it, and what losing convexity costs.

Sliders: α morphs F_α from a convex bowl into a wavy landscape (`landscapes.morph`); β_a, β_b
and t place a chord and a point on it. `convexity_view` returns everything the figure draws:

* the definition, live: gap = F(tβ_a + (1−t)β_b) − [tF(β_a) + (1−t)F(β_b)]; a positive gap is
  a counterexample to convexity, the same kind that `convexity.chord_test` returns;
* what it costs: gradient descent from a few fixed starts, how many distinct minima they reach,
  and whether the lowest of them is the global minimum.

The same function takes any 1-D landscape instead of F_α, e.g. a real objective along a chord
(`landscapes.along_segment`).
"""

from dataclasses import dataclass

import numpy as np

from .. import landscapes
from .._validation import positive_int, positive_number
from ..convexity import Counterexample

STARTS = (-4.0, -2.0, 0.5, 2.5, 5.0)     # where gradient descent starts, the same for every α
SAME_MINIMUM = 1e-2                      # two runs ending closer than this reached the same minimum


@dataclass
class ConvexityView:
    """What the convexity explorer draws for one slider setting.

    grid, values : the curve F on its domain;  beta_a, beta_b, value_a, value_b : the chord's ends
    t, beta_t : the point tβ_a + (1−t)β_b;  value_t : F(β_t);  chord_t : tF(β_a) + (1−t)F(β_b)
    gap : value_t − chord_t (> 0: F rises above the chord, a counterexample to convexity)
    paths : one array of iterates per start;  ends : where each run stopped
    n_minima : distinct minima the starts reached;  found_global : the lowest of them is the global minimum
    local_minima : all local minima of F on the domain;  status : one line for the user
    """

    landscape: str
    grid: np.ndarray
    values: np.ndarray
    beta_a: float
    beta_b: float
    value_a: float
    value_b: float
    t: float
    beta_t: float
    value_t: float
    chord_t: float
    gap: float
    paths: list
    ends: np.ndarray
    n_minima: int
    found_global: bool
    local_minima: np.ndarray
    status: str

    @property
    def above_chord(self):
        """F rises above the chord at β_t (beyond rounding): this chord proves F is not convex."""
        return self.gap > 1e-9 * (1 + abs(self.chord_t))

    def counterexample(self):
        """The chord as a `convexity.Counterexample` (None when F is below it)."""
        if not self.above_chord:
            return None
        return Counterexample(beta_a=np.array([self.beta_a]), beta_b=np.array([self.beta_b]), t=self.t,
                              value=self.value_t, chord=self.chord_t)


def _descend(F, starts, learning_rate, n_steps):
    """Gradient descent from every start at once (vectorized β ← β − γ∇F(β)): (n_steps + 1, m) iterates."""
    beta = np.asarray(starts, dtype=float)
    path = [beta]
    for _ in range(n_steps):
        beta = beta - learning_rate * F.grad(beta[:, None])[:, 0]
        path.append(beta)
    return np.array(path)


def _distinct(ends):
    ends = np.sort(ends)
    return 1 + int(np.sum(np.diff(ends) > SAME_MINIMUM)) if len(ends) else 0


def convexity_view(alpha=0.0, beta_a=-3.0, beta_b=2.0, t=0.5, *, landscape=None, starts=STARTS,
                   learning_rate=0.1, n_steps=300, n_grid=400):
    """The chord from (β_b, F(β_b)) to (β_a, F(β_a)), the gap at t, and descent from `starts` on F.

    alpha : the morph F_α = (1 − α)·β²/4 + α·wavy(β), used when `landscape` is None
    landscape : any 1-D `Landscape` (or its name) instead of F_α
    starts : gradient-descent starts (empty: no descent, e.g. on an expensive real objective)
    γ = 0.1 is below 2 / max F_α'' ≈ 0.4 for every α, so no run diverges.
    """
    F = landscapes.morph(alpha) if landscape is None else landscapes.named(landscape)
    if F.dim != 1:
        raise ValueError(f"landscape: expected a 1-D landscape, got dim {F.dim}")
    t = float(t)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t: expected a number in [0, 1], got {t!r}")
    learning_rate = positive_number(learning_rate, "learning_rate")
    n_steps = positive_int(n_steps, "n_steps")
    beta_a, beta_b = float(beta_a), float(beta_b)

    grid = np.linspace(*F.domain[0], positive_int(n_grid, "n_grid"))
    values = F.values(grid[:, None])
    beta_t = t * beta_a + (1 - t) * beta_b
    value_a, value_b, value_t = (float(v) for v in F.values(np.array([[beta_a], [beta_b], [beta_t]])))
    chord_t = t * value_a + (1 - t) * value_b
    gap = value_t - chord_t

    starts = np.asarray(starts, dtype=float)
    if starts.size:
        path = _descend(F, starts, learning_rate, n_steps)
        paths, ends = [path[:, i] for i in range(starts.size)], path[-1]
        end_values = F.values(ends[:, None])
        minima = F.local_minima()
        n_minima = _distinct(ends)
        found_global = bool(end_values.min() <= F.values(minima[:, None]).min() + 1e-6)
    else:
        paths, ends, minima, n_minima, found_global = [], np.empty(0), F.local_minima(), 0, False

    where = "above the chord: NOT convex" if gap > 1e-9 * (1 + abs(chord_t)) else "below the chord"
    status = f"t = {t:.2f}: gap {gap:+.3f}, {where}"
    if starts.size:
        status += (f"; {starts.size} starts reach {n_minima} minim{'um' if n_minima == 1 else 'a'}, "
                   f"the lowest {'is' if found_global else 'is NOT'} global")
    return ConvexityView(landscape=F.name, grid=grid, values=values, beta_a=beta_a, beta_b=beta_b,
                         value_a=value_a, value_b=value_b, t=t, beta_t=beta_t, value_t=value_t,
                         chord_t=chord_t, gap=gap, paths=paths, ends=ends, n_minima=n_minima,
                         found_global=found_global, local_minima=minima, status=status)


__all__ = ["convexity_view", "ConvexityView", "STARTS"]
