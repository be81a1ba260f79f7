"""dlcourse.functions: each activation and its derivative against torch.autograd."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlcourse import functions

values = arrays(np.float64, st.integers(1, 30), elements=st.floats(-30, 30).filter(lambda v: abs(v) > 1e-9))


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu"])
@settings(max_examples=40, deadline=None)
@given(z=values)
def test_activation_and_its_derivative_match_torch(torch, name, z):
    g = functions.activation(name)
    zt = torch.tensor(z, requires_grad=True)
    at = {"identity": lambda t: t * 1.0, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[name](zt)
    at.sum().backward()
    a = g(z)
    np.testing.assert_allclose(a, at.detach().numpy(), rtol=1e-14, atol=1e-300)
    # torch computes tanh' as 1 − A², which loses digits where A ≈ ±1 (ours is exact there: see below)
    np.testing.assert_allclose(g.derivative(z, a), zt.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g.derivative(z), zt.grad.numpy(), rtol=1e-12, atol=1e-15)   # without A given


def test_tanh_derivative_keeps_its_digits_where_tanh_is_near_one():
    import mpmath  # installed with torch (sympy needs it)
    mpmath.mp.dps = 40
    for z in (0.5, 7.0, -12.0, 30.0):
        exact = float(1 / mpmath.cosh(z) ** 2)
        assert functions.tanh_derivative(np.array(z)) == pytest.approx(exact, rel=1e-14)


def test_relu_derivative_at_zero_is_zero_like_torch(torch):
    z = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch.relu(z).sum().backward()
    np.testing.assert_array_equal(functions.relu_derivative(np.zeros(3)), z.grad.numpy())


@settings(max_examples=40, deadline=None)
@given(Z=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 6)), elements=st.floats(-20, 20)),
       seed=st.integers(0, 1000))
def test_softmax_backward_matches_torch(torch, Z, seed):
    dP = np.random.default_rng(seed).normal(size=Z.shape)
    Zt = torch.tensor(Z, requires_grad=True)
    (torch.softmax(Zt, dim=1) * torch.tensor(dP)).sum().backward()
    np.testing.assert_allclose(functions.softmax_backward(functions.softmax(Z), dP), Zt.grad.numpy(),
                               rtol=1e-9, atol=1e-12)


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ValueError, match=r"activation: expected one of \['identity', 'relu', 'sigmoid', 'tanh'\], "
                                         r"got 'swish'"):
        functions.activation("swish")
    assert functions.activation(functions.ACTIVATIONS["tanh"]) is functions.ACTIVATIONS["tanh"]
