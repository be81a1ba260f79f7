import numpy as np
import pytest

from dlcourse import penalties


def test_intercept_is_not_penalized():
    beta = np.array([100.0, 1.0, -2.0])
    assert penalties.ridge(beta) == 5.0
    assert penalties.lasso(beta) == 3.0
    np.testing.assert_array_equal(penalties.ridge_gradient(beta), [0.0, 2.0, -4.0])
    np.testing.assert_array_equal(penalties.lasso_gradient(beta), [0.0, 1.0, -1.0])


def test_mask_covers_several_intercepts(torch):
    beta = np.array([3.0, -4.0, 1.0, 2.0, -0.5, 0.25])
    mask = np.array([True, True, False, False, False, False])
    bt = torch.tensor(beta, requires_grad=True)
    (bt[2:] ** 2).sum().backward()
    assert penalties.ridge(beta, mask) == pytest.approx(1 + 4 + 0.25 + 0.0625)
    np.testing.assert_allclose(penalties.ridge_gradient(beta, mask), bt.grad.numpy())


def test_mask_shape_is_checked():
    with pytest.raises(ValueError, match=r"intercept: expected a mask of shape \(3,\)"):
        penalties.ridge(np.zeros(3), np.zeros(2, dtype=bool))
