"""The explorers' compute functions: slider values in, the right figure data out (no browser)."""

import numpy as np
import pytest

from dlcourse import explorers, landscapes, objectives


@pytest.mark.parametrize("gamma, regime", [(0.001, "crawls"), (0.1, "converges"), (0.99, "oscillates"), (1.2, "diverges")])
def test_learning_rate_regimes_on_the_1d_bowl(gamma, regime):
    # On F = β², each step multiplies β by (1 − 2γ): tiny factor 0.998, 0.8, −0.98, −1.4.
    view = explorers.descent_view("bowl_1d", gamma, 60)
    assert view.regime == regime
    assert view.diverged == (regime == "diverges")
    start = 0.8 * landscapes.bowl_1d.domain[0][1]
    k = len(view.path) - 1
    np.testing.assert_allclose(view.path[:, 0], start * (1 - 2 * gamma) ** np.arange(k + 1), rtol=1e-12)
    np.testing.assert_allclose(view.values, view.path[:, 0] ** 2, rtol=1e-12)
    assert np.all(np.isfinite(view.values))


def test_divergence_is_a_status_not_an_exception_or_nan():
    view = explorers.descent_view("elongated_bowl_2d", 0.3, 100)
    assert view.diverged and view.regime == "diverges"
    assert "DIVERGED" in view.status and "γ = 0.3" in view.status
    assert len(view.path) < 101 and np.all(np.isfinite(view.path))


@pytest.mark.parametrize("landscape, bound", [("bowl_1d", 1.0), ("elongated_bowl_2d", 0.2)])
def test_learning_rate_bound_stated_in_lecture_1(landscape, bound):
    # F = β²: β ← (1 − 2γ)β, converges iff γ < 1; elongated bowl: β2 ← (1 − 10γ)β2, iff γ < 0.2
    assert explorers.descent_view(landscape, 0.97 * bound, 5000).converged
    assert explorers.descent_view(landscape, 1.03 * bound, 5000).diverged


@pytest.mark.parametrize("gamma, regimes", [(0.01, ("crawls", "crawls")), (0.1, ("converges", "converges")),
                                            (10 ** -0.75, ("converges", "zig-zags")),
                                            (10 ** -0.65, ("converges", "diverges")),
                                            (10 ** 0.05, ("diverges", "diverges"))])
def test_the_lectures_gamma_frames_lie_on_the_slider_grid_and_show_each_regime(gamma, regimes):
    exponent = (np.log10(gamma) + 3) / 0.05              # the slider: 10^(-3 + 0.05 k)
    assert abs(exponent - round(exponent)) < 1e-9
    views = [explorers.descent_view(name, gamma, 80) for name in ("bowl_1d", "elongated_bowl_2d")]
    assert tuple(v.regime for v in views) == regimes
    zigzag = views[1]
    if zigzag.regime == "zig-zags":                       # converged, and β2 changed sign at every step
        assert zigzag.converged and np.all(np.sign(zigzag.path[1:6, 1]) == -np.sign(zigzag.path[:5, 1]))


def test_the_2d_bowl_zigzags_before_it_diverges():
    # elongated bowl: curvature 10 along β2, so β2 <- (1 − 10γ) β2 flips sign for γ > 0.1
    view = explorers.descent_view("elongated_bowl_2d", 0.19, 10)
    assert view.regime == "oscillates"
    assert np.all(np.sign(view.path[1:, 1]) == -np.sign(view.path[:-1, 1]))
    assert explorers.descent_view("elongated_bowl_2d", 0.21, 200).regime == "diverges"


def test_iteration_slider_truncates_the_same_path():
    long = explorers.descent_view("elongated_bowl_2d", 0.05, 40)
    short = explorers.descent_view("elongated_bowl_2d", 0.05, 10)
    np.testing.assert_array_equal(short.path, long.path[:11])


def test_rolling_ball_settles_in_different_minima_by_start():
    minima = landscapes.wavy_1d.local_minima()
    ends = {round(float(explorers.rolling_ball("wavy_1d", s, 80, frames=80)[0]), 2) for s in (-4.0, -1.5, 1.5, 4.2)}
    assert len(ends) == 4
    assert all(np.min(np.abs(minima - e)) < 0.01 for e in ends)
    convex_ends = [explorers.rolling_ball("bowl_1d", s, 80)[0] for s in (-2.5, 0.5, 2.9)]
    np.testing.assert_allclose(convex_ends, 0.0, atol=1e-2)      # one place to roll: β = 0


def test_rolling_ball_frame_indexes_one_path():
    b5, f5, trail5 = explorers.rolling_ball("wavy_1d", 3.5, 5)
    b9, _, trail9 = explorers.rolling_ball("wavy_1d", 3.5, 9)
    np.testing.assert_array_equal(trail9[:6], trail5)
    assert f5 == pytest.approx(landscapes.wavy_1d.value(b5)) and trail9[-1] == b9
    with pytest.raises(ValueError, match=r"frame: expected 0..80, got 81"):
        explorers.rolling_ball("wavy_1d", 3.5, 81)
    with pytest.raises(ValueError, match=r"landscape: expected 'bowl_1d' or 'wavy_1d'"):
        explorers.rolling_ball("wells_2d", 0.0, 1)


def test_more_restarts_never_do_worse_and_find_the_global_minimum():
    grid = np.linspace(*landscapes.wavy_1d.domain[0], 200001)
    global_min = landscapes.wavy_1d.values(grid).min()
    best = [explorers.restarts_view(n).best_value for n in range(1, 21)]
    assert np.all(np.diff(best) <= 1e-12)               # same seed: the first n starts are shared
    assert best[-1] == pytest.approx(global_min, abs=1e-6)
    one = explorers.restarts_view(1)
    assert one.single_value == one.best_value


def test_ridge_shrinkage_matches_closed_form_and_shrinks():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
    sizes = [explorers.ridge_shrinkage(X, y, lam)[1] for lam in (1e-3, 1e-1, 10.0)]
    assert sizes[0] > sizes[1] > sizes[2]
    lams, path = explorers.ridge_path(X, y, [0.5])
    np.testing.assert_allclose(path[0], objectives.ridge_closed_form(X, y, lam=0.5)[1:])
    with pytest.raises(ValueError, match=r"lam: expected a positive number"):
        explorers.ridge_shrinkage(X, y, 0.0)


def test_slider_errors_are_named():
    with pytest.raises(ValueError, match=r"learning_rate: expected a positive number, got 0"):
        explorers.descent_view("bowl_1d", 0, 10)
    with pytest.raises(ValueError, match=r"n_steps: expected an integer >= 1"):
        explorers.descent_view("bowl_1d", 0.1, 0)
