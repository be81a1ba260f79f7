"""Median time of one slider update (compute + redraw to PNG) for each lecture explorer.

Run:  make benchmark   (or  .venv/bin/python benchmarks/explorers.py)
Goal: under 50 ms each, so dragging feels immediate. The slider values cycle through
a range, as a student dragging would, so no update is served from a cache by accident
(the ball explorer's path is cached per start, by design: Play only indexes it).
"""

import statistics
import time

import matplotlib

matplotlib.use("Agg")

from dlcourse import data, widgets  # noqa: E402
from dlcourse.explorers import networks as network_compute  # noqa: E402
from dlcourse.widgets import convexity  # noqa: E402
from dlcourse.widgets import networks as network_widgets  # noqa: E402

GOAL_MS = 50


def median_ms(update, values, png):
    times = []
    for v in values:
        t0 = time.perf_counter()
        update(v)
        png()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), max(times)


def main():
    diabetes = data.load_diabetes()
    descent, ball, restarts = widgets.DescentFigure(), widgets.BallFigure(), widgets.RestartsFigure()
    shrink = widgets.ShrinkageFigure(diabetes.X, diabetes.y, diabetes.feature_names)
    chord = convexity.ConvexityFigure()
    for fig, first in ((chord, lambda: chord.update(0.0)),
                       (descent, lambda: descent.update(0.1, 20)), (ball, lambda: ball.update("wavy_1d", 3.5, 0)),
                       (restarts, lambda: restarts.update(1)), (shrink, lambda: shrink.update(0.01))):
        first()
        fig.png()                                  # the first draw caches the static background
    gammas = [10 ** (-3 + 3.5 * k / 39) for k in range(40)]
    cases = [
        ("learning rate γ (2 panels)", lambda g: descent.update(g, 50), gammas, descent.png),
        ("ball: Play tick", lambda f: ball.update("wavy_1d", 3.5, f), list(range(80)), ball.png),
        ("ball: start slider", lambda s: ball.update("wavy_1d", s, 40), [-4 + 0.2 * k for k in range(40)], ball.png),
        ("restarts", lambda n: restarts.update(n), list(range(1, 21)) * 2, restarts.png),
        ("ridge λ", lambda lam: shrink.update(lam), [10 ** (-4 + 6 * k / 39) for k in range(40)], shrink.png),
        ("convexity: α slider", lambda a: chord.update(a, -1.0, 2.5, 0.5), [k / 20 for k in range(21)] * 2, chord.png),
        ("convexity: t slider", lambda t: chord.update(0.6, -1.0, 2.5, t), [k / 20 for k in range(21)] * 2, chord.png),
    ]
    print(f"one slider update = compute + redraw + PNG encode; goal < {GOAL_MS} ms")
    for name, update, values, png in cases:
        med, worst = median_ms(update, values, png)
        print(f"{name:28s} median {med:6.1f} ms   max {worst:6.1f} ms   {'OK' if med < GOAL_MS else 'SLOW'}")
    lecture_2()


def lecture_2():
    """Lecture 2: the fits behind the hidden-units and two-moons sliders are cached per setting (a
    network is trained the first time a setting is shown); the SGD explorer computes every move."""
    network_compute._curve_fit.cache_clear()
    network_compute._network_on_moons.cache_clear()
    units, moons, sgd = network_widgets.CurveFitFigure(), network_widgets.BoundaryFigure(), network_widgets.SGDFigure()
    for fig, first in ((units, lambda: units.update(1)), (moons, lambda: moons.update(1)),
                       (sgd, lambda: sgd.update(8, 0.5))):
        first()
        fig.png()
    settings = list(range(2, 11))
    cases = [
        ("hidden units (first visit)", lambda h: units.update(h, "tanh"), settings, units.png),
        ("hidden units (revisited)", lambda h: units.update(h, "tanh"), settings * 2, units.png),
        ("two moons (first visit)", lambda h: moons.update(h), settings, moons.png),
        ("two moons (revisited)", lambda h: moons.update(h), settings * 2, moons.png),
        ("SGD: batch size", lambda b: sgd.update(b, 0.5), list(network_widgets.BATCH_SIZES) * 3, sgd.png),
        ("SGD: learning rate γ", lambda g: sgd.update(8, g), [10 ** (-2 + 3.3 * k / 39) for k in range(40)], sgd.png),
    ]
    for name, update, values, png in cases:
        med, worst = median_ms(update, values, png)
        print(f"{name:28s} median {med:6.1f} ms   max {worst:6.1f} ms   {'OK' if med < GOAL_MS else 'SLOW'}")


if __name__ == "__main__":
    main()
