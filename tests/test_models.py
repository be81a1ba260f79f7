import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlcourse.models import LinearModel, LogisticModel, SoftmaxModel, logsumexp, sigmoid, softmax

finite = st.floats(-50, 50, allow_nan=False)


def test_sigmoid_is_stable_and_exact_at_1000():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0]))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(s[1:4], [np.exp(-1) / (1 + np.exp(-1)), 0.5, 1 / (1 + np.exp(-1))], rtol=1e-15)


def test_softmax_is_stable_at_1000():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = softmax(np.array([[1000.0, 0.0], [-1000.0, -1000.0], [1000.0, 1000.0]]))
    np.testing.assert_array_equal(P, [[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=finite))
def test_softmax_matches_torch(torch, Z):
    expected = torch.softmax(torch.tensor(Z), dim=1).numpy()
    np.testing.assert_allclose(softmax(Z), expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(softmax(Z).sum(axis=1), 1.0, rtol=1e-13)
    np.testing.assert_allclose(logsumexp(Z), torch.logsumexp(torch.tensor(Z), 1).numpy(), rtol=1e-12, atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700)))
def test_sigmoid_matches_torch(torch, z):
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(torch.tensor(z)).numpy(), rtol=1e-14, atol=1e-300)


def test_softmax_of_two_classes_is_sigmoid_of_the_difference(rng):
    Z = rng.normal(size=(10, 2)) * 5
    np.testing.assert_allclose(softmax(Z)[:, 1], sigmoid(Z[:, 1] - Z[:, 0]), rtol=1e-14)


def test_linear_predictor_has_intercept_and_layout(rng):
    X = rng.normal(size=(5, 3))
    beta = np.array([0.5, 1.0, -2.0, 3.0])
    np.testing.assert_allclose(LinearModel(3).predict(X, beta), 0.5 + X @ beta[1:])
    np.testing.assert_allclose(LogisticModel(3).predict_proba(X, beta), 1 / (1 + np.exp(-(0.5 + X @ beta[1:]))))


def test_softmax_model_flattening_is_row_major(rng):
    X = rng.normal(size=(4, 3))
    B = rng.normal(size=(4, 2))          # (p+1) x K
    model = SoftmaxModel(3, 2)
    Z = B[0] + X @ B[1:]
    np.testing.assert_allclose(model.linear_predictor(X, B.ravel()), Z)
    np.testing.assert_allclose(model.predict_proba(X, B.ravel()), softmax(Z))
    assert model.intercept_mask.tolist() == [True, True] + [False] * 6


def test_model_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"X: expected 3 columns"):
        LinearModel(3).predict(np.ones((2, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"beta: expected a flat vector of 4 parameters, got array of shape \(3,\)"):
        LinearModel(3).predict(np.ones((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"X: expected finite values, got 1 NaN"):
        LinearModel(2).predict(np.array([[1.0, np.nan]]), np.zeros(3))
    with pytest.raises(ValueError, match=r"n_classes: expected at least 2"):
        SoftmaxModel(2, 1)


def test_logsumexp_is_accurate_near_zero():
    """log(1 + 4e^-8): dlcourse keeps all digits (torch loses the last few); reference from mpmath."""
    import mpmath

    mpmath.mp.dps = 40
    exact = float(mpmath.log(1 + 4 * mpmath.e ** -8))
    assert logsumexp(np.array([[-8.0, 0.0, -8.0, -8.0, -8.0]]))[0] == pytest.approx(exact, rel=2e-16)
