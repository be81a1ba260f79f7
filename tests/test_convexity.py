import numpy as np
import pytest

from dlcourse import convexity, networks, objectives
from dlcourse.data import make_classes


def test_logistic_objective_passes_the_chord_test():
    data = make_classes(80, 2, seed=0)
    F = objectives.logistic_regression(data.X, data.y, lam=0.1)
    result = convexity.chord_test(F, -5, 5, n_segments=100)
    assert result.passed and result.counterexample is None
    assert "consistent with convexity" in str(result)


def test_small_neural_network_fails_with_a_real_counterexample():
    data = make_classes(80, 2, seed=0)
    F = networks.neural_network(data.X, data.y, hidden=(3,))
    result = convexity.chord_test(F, -3, 3, n_segments=100)
    assert not result.passed
    c = result.counterexample
    # re-check the counterexample independently: F above its chord at t
    value = F.value(c.t * c.beta_a + (1 - c.t) * c.beta_b)
    chord = c.t * F.value(c.beta_a) + (1 - c.t) * F.value(c.beta_b)
    assert value > chord + 1e-6 and value == pytest.approx(c.value) and chord == pytest.approx(c.chord)
    t, along, line = c.along(F.value, n=11)
    assert along[0] == pytest.approx(F.value(c.beta_b)) and along[-1] == pytest.approx(F.value(c.beta_a))
    assert np.max(along - line) > 0


def test_a_concave_function_fails_and_a_line_passes():
    assert not convexity.chord_test(lambda b: -float(b @ b), -1, 1, dim=2)
    assert convexity.chord_test(lambda b: float(3 * b[0] - b[1]), -1, 1, dim=2)


def test_errors():
    with pytest.raises(ValueError, match=r"dim: expected the length of β"):
        convexity.chord_test(lambda b: 0.0, -1, 1)
    with pytest.raises(ValueError, match=r"low, high: expected low < high"):
        convexity.chord_test(lambda b: 0.0, 1, -1, dim=1)
