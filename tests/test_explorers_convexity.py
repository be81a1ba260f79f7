"""The convexity explorer (lecture 1): the gap is the definition's, the bowl never fails a chord,
the wavy end of the morph does, and descent from fixed starts stops agreeing as convexity is lost."""

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")

from dlcourse import convexity, data, landscapes, networks, objectives  # noqa: E402
from dlcourse.explorers.convexity import STARTS, convexity_view  # noqa: E402
from dlcourse.widgets import convexity as widgets  # noqa: E402

GRID = np.linspace(-4.5, 5.5, 21)
TS = np.linspace(0, 1, 11)


def _bowl_plus_wavy(alpha, b):          # F_α written out independently of landscapes.morph
    return (1 - alpha) * b ** 2 / 4 + alpha * (0.1 * b ** 2 + np.sin(2.2 * b) + 0.2 * b)


@pytest.mark.parametrize("alpha, beta_a, beta_b, t", [(0.0, -3.0, 2.0, 0.3), (0.6, -1.0, 2.5, 0.5), (1.0, 4.0, -2.2, 0.9)])
def test_gap_is_the_definition(alpha, beta_a, beta_b, t):
    v = convexity_view(alpha, beta_a, beta_b, t)
    F = lambda b: _bowl_plus_wavy(alpha, b)  # noqa: E731
    assert v.beta_t == pytest.approx(t * beta_a + (1 - t) * beta_b)
    assert v.gap == pytest.approx(F(t * beta_a + (1 - t) * beta_b) - (t * F(beta_a) + (1 - t) * F(beta_b)), abs=1e-12)
    np.testing.assert_allclose(v.values, F(v.grid), atol=1e-12)


def test_the_bowl_is_below_every_chord_on_a_grid():
    gaps = [convexity_view(0.0, a, b, t, starts=()).gap for a in GRID for b in GRID for t in TS]
    assert max(gaps) <= 1e-12


def test_the_wavy_end_rises_above_a_chord_and_it_is_a_counterexample():
    views = [convexity_view(1.0, a, b, t, starts=()) for a in GRID for b in GRID for t in TS]
    worst = max(views, key=lambda v: v.gap)
    assert worst.gap > 0.5 and worst.above_chord
    c = worst.counterexample()
    F = landscapes.morph(1.0)
    assert F.value(c.t * c.beta_a + (1 - c.t) * c.beta_b) - (c.t * F.value(c.beta_a) + (1 - c.t) * F.value(c.beta_b)) \
        == pytest.approx(c.gap)
    assert not convexity.chord_test(F, -4.5, 5.5, n_segments=50)          # the library's test agrees


def test_morph_is_convex_exactly_up_to_the_stated_alpha():
    b = np.linspace(-4.5, 5.5, 4001)
    for alpha in (0.0, 0.05, 0.09, 0.1, 0.3, 1.0):
        second = np.gradient(_bowl_plus_wavy(alpha, b), b, edge_order=2)
        second = np.gradient(second, b, edge_order=2)                  # F_α'' by finite differences
        assert (second.min() >= -1e-3) == (alpha <= landscapes.MORPH_CONVEX_UP_TO), alpha
        assert landscapes.morph(alpha).convex == (alpha <= landscapes.MORPH_CONVEX_UP_TO)


def test_starts_agree_on_one_minimum_only_while_convex():
    bowl, wavy = convexity_view(0.0), convexity_view(1.0)
    assert bowl.n_minima == 1 and bowl.found_global
    np.testing.assert_allclose(bowl.ends, 0.0, atol=1e-5)           # (1 − γ/2)^300 of the start
    assert wavy.n_minima > 1
    minima = landscapes.morph(1.0).local_minima()
    assert all(np.min(np.abs(minima - e)) < 1e-3 for e in wavy.ends)    # every run ends in a true local minimum
    assert len(wavy.paths) == len(STARTS) and all(p[0] == s for p, s in zip(wavy.paths, STARTS))
    assert f"reach {wavy.n_minima} minima" in wavy.status


def test_a_real_objective_along_a_chord():
    blobs = data.make_classes(n=120, n_classes=2, seed=1)
    rng = np.random.default_rng(0)
    F_log = objectives.logistic_regression(blobs.X, blobs.y, lam=0.1)
    a, b = rng.uniform(-5, 5, (2, F_log.n_params))
    seg = landscapes.along_segment(F_log, a, b, domain=(0, 1))
    v = convexity_view(landscape=seg, beta_a=1.0, beta_b=0.0, t=0.4, starts=())
    assert v.value_a == pytest.approx(F_log.value(a)) and v.value_b == pytest.approx(F_log.value(b))
    assert v.gap <= 0
    F_net = networks.neural_network(blobs.X, blobs.y, hidden=(3,))
    c = convexity.chord_test(F_net, -3, 3, n_segments=100).counterexample
    seg = landscapes.along_segment(F_net, c.beta_a, c.beta_b, domain=(0, 1))
    v = convexity_view(landscape=seg, beta_a=1.0, beta_b=0.0, t=c.t, starts=())
    assert v.gap == pytest.approx(c.gap) and v.above_chord
    h = 1e-6                                                            # φ'(u) by finite differences
    assert seg.gradient([0.3])[0] == pytest.approx((seg.value([0.3 + h]) - seg.value([0.3 - h])) / (2 * h), rel=1e-5)


def test_figure_draws_the_view_and_changes_with_the_sliders():
    fig = widgets.ConvexityFigure()
    v = fig.update(0.4, -1.0, 2.5, 0.5)
    first = fig.png()
    np.testing.assert_array_equal(fig.curve.get_ydata(), v.values)
    assert list(fig.gap.get_ydata()) == [v.chord_t, v.value_t]
    assert matplotlib.colors.to_hex(fig.gap.get_color()) == matplotlib.colors.to_hex(widgets.VERMILION)   # above
    fig.update(0.0, -1.0, 2.5, 0.5)
    assert matplotlib.colors.to_hex(fig.gap.get_color()) == matplotlib.colors.to_hex(widgets.GREEN)      # below
    lo, hi = fig.ax.get_ylim()
    for alpha in (0.0, 0.5, 1.0):
        values = landscapes.morph(alpha).values(np.linspace(-4.5, 5.5, 400)[:, None])
        assert lo < values.min() and values.max() < hi
    second = fig.png()
    a, b = (np.asarray(Image.open(io.BytesIO(p)).convert("RGB"), dtype=int) for p in (first, second))
    assert np.abs(a - b).max() > 0


def test_shell_sliders_update_status():
    box = widgets.convexity_explorer()
    alpha, beta_a, beta_b, t = box.children[0].children
    alpha.value = 1.0
    assert convexity_view(1.0, beta_a.value, beta_b.value, t.value).status in box.children[1].value
    t.value = 0.2
    assert convexity_view(1.0, beta_a.value, beta_b.value, 0.2).status in box.children[1].value


def test_errors_are_named():
    with pytest.raises(ValueError, match=r"alpha: expected a number in \[0, 1\], got 1.5"):
        convexity_view(1.5)
    with pytest.raises(ValueError, match=r"t: expected a number in \[0, 1\]"):
        convexity_view(0.0, t=-0.1)
    with pytest.raises(ValueError, match=r"landscape: expected a 1-D landscape"):
        convexity_view(landscape="bowl_2d")


def test_lecture_1_loss_surface_shows_two_basins_and_a_converged_minimum():
    from dlcourse import optim

    blobs = data.make_classes(n=200, n_classes=2, seed=4710)             # lecture 1's data and settings
    F = networks.neural_network(blobs.X, blobs.y, hidden=(3,), lam=0.01)
    trained = optim.gradient_descent(F, F.init(seed=4710), learning_rate=0.5, n_steps=5000, tol=1e-6)
    assert trained.converged and np.linalg.norm(F.gradient(trained.beta)) < 1e-6
    swapped = landscapes.swap_hidden_units(F.model, trained.beta, 0, 1)
    assert np.linalg.norm(swapped - trained.beta) > 1 and F.value(swapped) == pytest.approx(F.value(trained.beta))
    a, b, values = landscapes.plane_through(F, trained.beta, swapped, seed=4710)
    minima = landscapes.grid_minima(values)
    assert sorted((round(float(a[j]), 6), round(float(b[i]), 6)) for i, j in minima) == [(0.0, 0.0), (1.0, 0.0)]
    row = values[np.argmin(np.abs(b))]
    between = row[(a > 0) & (a < 1)]
    assert between.max() > values.min() + 0.1                          # a barrier between the basins
