import numpy as np
import pytest

from dlcourse import gradcheck, objectives
from dlcourse.data import make_classes


def test_correct_gradient_passes_and_sign_error_fails():
    data = make_classes(50, 3, seed=2)
    F = objectives.softmax_regression(data.X, data.y, lam=0.1)
    beta = np.random.default_rng(0).normal(size=F.n_params)
    ok = gradcheck.check_objective(F, beta)
    assert ok.passed and ok.relative_error < 1e-7 and str(ok).startswith("OK")
    bad = gradcheck.check_gradient(F.value, lambda b: -F.gradient(b), beta)
    assert not bad.passed and bad.relative_error == pytest.approx(1.0, rel=1e-4)
    assert "WRONG" in str(bad)


def test_forgotten_factor_is_caught():
    bad = gradcheck.check_gradient(lambda b: float(b @ b), lambda b: b, np.array([1.0, -2.0]))
    assert not bad and "worst entry 1" in bad.verdict


def test_nan_gradient_and_wrong_shape():
    res = gradcheck.check_gradient(lambda b: float(b @ b), lambda b: b * np.nan, np.ones(2))
    assert not res.passed and "NaN" in res.verdict
    with pytest.raises(ValueError, match=r"grad: expected a gradient of shape \(2,\)"):
        gradcheck.check_gradient(lambda b: 0.0, lambda b: np.zeros(3), np.ones(2))
