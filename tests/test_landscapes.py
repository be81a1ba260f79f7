import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from dlcourse import convexity, landscapes

from .conftest import finite_difference_gradient


@pytest.mark.parametrize("name", sorted(landscapes.LANDSCAPES))
def test_gradients_match_finite_differences(name, rng):
    F = landscapes.LANDSCAPES[name]
    for _ in range(10):
        beta = rng.uniform(-3, 3, F.dim)
        np.testing.assert_allclose(F.gradient(beta), finite_difference_gradient(F.value, beta), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(landscapes.LANDSCAPES))
def test_convex_flag_agrees_with_the_chord_test(name):
    F = landscapes.LANDSCAPES[name]
    lows, highs = zip(*F.domain)
    assert convexity.chord_test(F, lows, highs, seed=1).passed == F.convex


def test_vectorized_values_agree_with_value(rng):
    B = rng.uniform(-2, 2, (5, 4, 2))
    for F in (landscapes.bowl_2d, landscapes.wells_2d, landscapes.elongated_bowl_2d):
        np.testing.assert_allclose(F.values(B), [[F.value(b) for b in row] for row in B])
    np.testing.assert_allclose(landscapes.wavy_1d.values(np.array([0.0, 1.0])),
                               [landscapes.wavy_1d.value(0.0), landscapes.wavy_1d.value(1.0)])


def test_wavy_has_four_minima_of_different_depth():
    F = landscapes.wavy_1d
    minima = F.local_minima()
    assert len(minima) == 4
    for m in minima:   # each agrees with scipy's bounded minimizer around it
        ref = minimize_scalar(lambda b: F.value(b), bounds=(m - 0.5, m + 0.5), method="bounded",
                              options={"xatol": 1e-10})
        assert ref.x == pytest.approx(m, abs=1e-5)
    depths = sorted(F.value(m) for m in minima)
    assert min(np.diff(depths)) > 0.1


def test_random_slice_passes_through_the_center():
    a, b, values = landscapes.random_slice(landscapes.bowl_2d, np.array([1.0, 1.0]), n=5, span=1.0)
    assert values.shape == (5, 5) and values[2, 2] == pytest.approx(2.0)
    assert values.min() >= 0
