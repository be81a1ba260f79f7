import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse import losses
from dlcourse.models import sigmoid, softmax


def _probabilities(rng, n, K):
    return softmax(rng.normal(size=(n, K)) * 2)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 8), K=st.integers(2, 6), seed=st.integers(0, 10**6))
def test_cross_entropy_and_gradient_match_torch(torch, n, K, seed):
    rng = np.random.default_rng(seed)
    P, y = _probabilities(rng, n, K), rng.integers(0, K, n)
    Pt = torch.tensor(P, requires_grad=True)
    loss = torch.nn.functional.nll_loss(torch.log(Pt), torch.tensor(y))
    loss.backward()
    assert losses.cross_entropy(y, P) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(losses.cross_entropy_gradient(y, P), Pt.grad.numpy(), rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 8), K=st.integers(2, 6), seed=st.integers(0, 10**6))
def test_cross_entropy_on_scores_matches_torch(torch, n, K, seed):
    rng = np.random.default_rng(seed)
    Z, y = rng.normal(size=(n, K)) * 10, rng.integers(0, K, n)
    Zt = torch.tensor(Z, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(Zt, torch.tensor(y))
    loss.backward()
    value, grad = losses.CROSS_ENTROPY.on_scores(y, Z)
    assert value == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(grad, Zt.grad.numpy(), rtol=1e-10, atol=1e-15)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 10), seed=st.integers(0, 10**6))
def test_logistic_loss_and_gradients_match_torch(torch, n, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(size=n) * 5, rng.integers(0, 2, n).astype(float)
    zt = torch.tensor(z, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y))
    loss.backward()
    value, grad = losses.LOGISTIC.on_scores(y, z)
    assert value == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-10, atol=1e-15)
    p = sigmoid(z)
    pt = torch.tensor(p, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(pt, torch.tensor(y)).backward()
    assert losses.logistic_loss(y, p) == pytest.approx(value, rel=1e-9)
    np.testing.assert_allclose(losses.logistic_loss_gradient(y, p), pt.grad.numpy(), rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 10), seed=st.integers(0, 10**6))
def test_squared_error_gradient_matches_torch(torch, n, seed):
    rng = np.random.default_rng(seed)
    y, y_hat = rng.normal(size=n), rng.normal(size=n)
    yt = torch.tensor(y_hat, requires_grad=True)
    loss = torch.mean((torch.tensor(y) - yt) ** 2)
    loss.backward()
    assert losses.squared_error(y, y_hat) == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(losses.squared_error_gradient(y, y_hat), yt.grad.numpy(), rtol=1e-12)


def test_binary_cross_entropy_equals_two_class_softmax_cross_entropy(rng):
    """Lecture: cross-entropy generalizes the negative log of the logistic likelihood."""
    p, y = rng.uniform(0.01, 0.99, 50), rng.integers(0, 2, 50)
    P = np.c_[1 - p, p]
    assert losses.cross_entropy(y, P) == pytest.approx(losses.logistic_loss(y, p), rel=1e-13)


def test_more_probability_on_true_class_gives_smaller_loss():
    """Lecture: greater probability attached to the true class -> smaller cross-entropy loss."""
    p_true = np.linspace(0.01, 0.99, 99)
    rest = (1 - p_true) / 2
    values = [losses.cross_entropy([0], np.array([[pt, r, r]])) for pt, r in zip(p_true, rest)]
    assert np.all(np.diff(values) < 0)
    np.testing.assert_allclose(values, -np.log(p_true))


def test_piecewise_definition_for_three_classes():
    P = np.array([[0.7, 0.2, 0.1]])
    for y, expected in [(0, -np.log(0.7)), (1, -np.log(0.2)), (2, -np.log(0.1))]:
        assert losses.cross_entropy([y], P) == pytest.approx(expected)


def test_loss_errors_name_the_argument():
    P = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"y: expected labels in 0..2, got \[3\]"):
        losses.cross_entropy([0, 3], P)
    with pytest.raises(ValueError, match=r"y: expected 2 labels \(one per row\)"):
        losses.cross_entropy([0, 1, 2], P)
    with pytest.raises(ValueError, match=r"P: expected rows of probabilities"):
        losses.cross_entropy([0, 1], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"p_hat: expected probabilities in \[0, 1\]"):
        losses.logistic_loss([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match=r"y, y_hat: expected the same length"):
        losses.squared_error([1.0, 2.0], [1.0])


def test_logistic_gradient_is_finite_when_the_prediction_is_certain_and_right():
    g = losses.logistic_loss_gradient([1, 0], [1.0, 0.0])
    np.testing.assert_array_equal(g, [-0.5, 0.5])
