"""A numerical test of convexity along random chords.

F is convex when, for all β_a, β_b and t in [0, 1],

    F(t β_a + (1 − t) β_b) <= t F(β_a) + (1 − t) F(β_b):

the function lies below every chord ("bowl-shaped"). `chord_test` checks this
on random segments; a failure comes with the segment that breaks it. Passing
is evidence, not proof: a finite sample of chords can miss a bad one.
"""

from dataclasses import dataclass

import numpy as np

from ._validation import positive_int


@dataclass
class Counterexample:
    """A chord that F rises above: at t, F = value > chord = t F(β_a) + (1−t) F(β_b)."""

    beta_a: np.ndarray
    beta_b: np.ndarray
    t: float
    value: float
    chord: float

    @property
    def gap(self):
        return self.value - self.chord

    def along(self, f, n=101):
        """(t, F along the segment, the chord) for drawing the counterexample."""
        t = np.linspace(0, 1, n)
        values = np.array([f(ti * self.beta_a + (1 - ti) * self.beta_b) for ti in t])
        chord = t * values[-1] + (1 - t) * values[0]
        return t, values, chord


@dataclass
class ChordTestResult:
    passed: bool
    n_segments: int
    counterexample: Counterexample = None

    def __str__(self):
        if self.passed:
            return f"no chord violated on {self.n_segments} random segments: consistent with convexity"
        c = self.counterexample
        return (f"NOT convex: at t = {c.t:.2f} on a chord, F = {c.value:.6g}\n"
                f"lies above the chord {c.chord:.6g} (gap {c.gap:.3g})")

    def __bool__(self):
        return self.passed


def _as_function(f):
    if hasattr(f, "value"):
        return f.value
    if callable(f):
        return f
    raise TypeError(f"f: expected a callable β -> F(β) or an object with value(beta), got {type(f).__name__}")


def chord_test(f, low, high, *, dim=None, n_segments=200, n_points=9, seed=0, rtol=1e-9):
    """Test F along `n_segments` random chords with endpoints uniform in [low, high]^dim.

    f : a callable β -> F(β), or an objective/landscape (anything with value(beta))
    dim : length of β (defaults to ``f.n_params``)
    A point counts as above the chord when F − chord > rtol·(1 + |chord|), so
    rounding never fails a convex function.
    """
    func = _as_function(f)
    dim = dim if dim is not None else getattr(f, "n_params", None)
    if dim is None:
        raise ValueError("dim: expected the length of β (f has no n_params attribute)")
    dim = positive_int(dim, "dim")
    n_segments = positive_int(n_segments, "n_segments")
    low = np.broadcast_to(np.asarray(low, dtype=float), (dim,))
    high = np.broadcast_to(np.asarray(high, dtype=float), (dim,))
    if np.any(high <= low):
        raise ValueError(f"low, high: expected low < high in every coordinate, got {low} and {high}")
    rng = np.random.default_rng(seed)
    ts = np.linspace(0, 1, positive_int(n_points, "n_points") + 2)[1:-1]
    worst = None
    for _ in range(n_segments):
        a, b = rng.uniform(low, high), rng.uniform(low, high)
        fa, fb = func(a), func(b)
        for t in ts:
            chord = t * fa + (1 - t) * fb
            value = func(t * a + (1 - t) * b)
            if value - chord > rtol * (1 + abs(chord)) and (worst is None or value - chord > worst.gap):
                worst = Counterexample(beta_a=a, beta_b=b, t=float(t), value=float(value), chord=float(chord))
    return ChordTestResult(passed=worst is None, n_segments=n_segments, counterexample=worst)


__all__ = ["chord_test", "ChordTestResult", "Counterexample"]
