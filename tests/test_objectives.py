"""F(β) and ∇F(β) against torch.autograd and finite differences; optima against references.

λ ↔ C (scikit-learn).  Our F(β) = (1/n) Σ L_i + λ Σ_{j≥1} β_j².  scikit-learn's
LogisticRegression minimizes (1/2)‖w‖² + C Σ L_i.  Dividing the latter by nC
gives (1/n) Σ L_i + (1/(2nC))‖w‖², the same minimizer when λ = 1/(2nC), i.e.
C = 1/(2nλ). Ridge: scikit-learn's Ridge minimizes ‖y − Xw − b‖² + α‖w‖²;
dividing by n gives ours with λ = α/n, i.e. α = nλ.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse import objectives, optim
from dlcourse.data import load_digits

from .conftest import finite_difference_gradient


def _torch_F(torch, kind, X, y, lam, penalty):
    """The same objective written directly in PyTorch, independent of dlcourse."""
    Xt = torch.tensor(X)
    n, p = X.shape

    def F(beta_t):
        if kind == "softmax":
            K = beta_t.numel() // (p + 1)
            B = beta_t.reshape(p + 1, K)
            data = torch.nn.functional.cross_entropy(B[0] + Xt @ B[1:], torch.tensor(y))
            w = B[1:]
        else:
            z = beta_t[0] + Xt @ beta_t[1:]
            w = beta_t[1:]
            if kind == "ridge":
                data = torch.mean((torch.tensor(y, dtype=torch.float64) - z) ** 2)
            else:
                data = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64))
        pen = (w ** 2).sum() if penalty == "ridge" else w.abs().sum()
        return data + lam * pen
    return F


def _make(kind, rng, n, p, K, lam, penalty):
    X = rng.normal(size=(n, p))
    if kind == "ridge":
        y = rng.normal(size=n)
        return X, y, objectives.ridge_regression(X, y, lam=lam, penalty=penalty)
    if kind == "logistic":
        y = rng.integers(0, 2, n)
        return X, y, objectives.logistic_regression(X, y, lam=lam, penalty=penalty)
    y = rng.integers(0, K, n)
    return X, y, objectives.softmax_regression(X, y, lam=lam, n_classes=K, penalty=penalty)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["ridge", "logistic", "softmax"]), n=st.integers(1, 30), p=st.integers(1, 6),
       K=st.integers(2, 5), lam=st.sampled_from([0.0, 0.01, 1.0]), penalty=st.sampled_from(["ridge", "lasso"]),
       seed=st.integers(0, 10**6))
def test_value_and_gradient_match_torch_autograd(torch, kind, n, p, K, lam, penalty, seed):
    rng = np.random.default_rng(seed)
    X, y, F = _make(kind, rng, n, p, K, lam, penalty)
    beta = rng.normal(size=F.n_params)
    beta_t = torch.tensor(beta, requires_grad=True)
    value_t = _torch_F(torch, kind, X, y, lam, penalty)(beta_t)
    value_t.backward()
    assert F.value(beta) == pytest.approx(value_t.item(), rel=1e-11, abs=1e-13)
    np.testing.assert_allclose(F.gradient(beta), beta_t.grad.numpy(), rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(["ridge", "logistic", "softmax"]), seed=st.integers(0, 10**6))
def test_gradient_matches_finite_differences(kind, seed):
    rng = np.random.default_rng(seed)
    _, _, F = _make(kind, rng, 20, 3, 3, 0.1, "ridge")
    beta = rng.normal(size=F.n_params)
    np.testing.assert_allclose(F.gradient(beta), finite_difference_gradient(F.value, beta), rtol=1e-6, atol=1e-8)


def _starts(rng, d, m=3):
    return [rng.normal(scale=2.0, size=d) for _ in range(m)]


def test_gradient_descent_reaches_ridge_closed_form_from_random_starts(rng):
    digits = load_digits()
    X, y = digits.X[:, 20:28], digits.y.astype(float)        # a real regression: pixels -> digit value
    from sklearn.linear_model import Ridge
    lam = 0.05
    ref = Ridge(alpha=X.shape[0] * lam).fit(X, y)           # α = nλ (module docstring)
    beta_star = np.r_[ref.intercept_, ref.coef_]
    np.testing.assert_allclose(objectives.ridge_closed_form(X, y, lam=lam), beta_star, rtol=1e-8, atol=1e-10)
    F = objectives.ridge_regression(X, y, lam=lam)
    X1 = np.c_[np.ones(len(y)), X]
    L = np.linalg.eigvalsh(2 * X1.T @ X1 / len(y)).max() + 2 * lam    # Lipschitz constant of ∇F
    for beta0 in _starts(rng, F.n_params):
        res = optim.gradient_descent(F, beta0, learning_rate=1 / L, n_steps=50000, tol=1e-9)
        assert res.converged and not res.diverged
        np.testing.assert_allclose(res.beta, beta_star, atol=1e-6)


def test_gradient_descent_matches_sklearn_logistic_regression(rng):
    from sklearn.linear_model import LogisticRegression
    digits = load_digits()
    keep = digits.y < 2
    X, y = digits.X[keep][:, ::4], digits.y[keep]
    lam = 0.01
    ref = LogisticRegression(C=1 / (2 * len(y) * lam), tol=1e-12, max_iter=10000).fit(X, y)
    beta_star = np.r_[ref.intercept_, ref.coef_.ravel()]
    F = objectives.logistic_regression(X, y, lam=lam)
    for beta0 in _starts(rng, F.n_params):
        res = optim.gradient_descent(F, beta0, learning_rate=1.0, n_steps=20000, tol=1e-8)
        assert res.converged
        np.testing.assert_allclose(res.beta, beta_star, atol=1e-5)


def test_gradient_descent_matches_sklearn_softmax_regression(rng):
    from sklearn.linear_model import LogisticRegression
    digits = load_digits()
    keep = digits.y < 3
    X, y = digits.X[keep][:, ::8], digits.y[keep]
    lam = 0.01
    ref = LogisticRegression(C=1 / (2 * len(y) * lam), tol=1e-12, max_iter=10000).fit(X, y)
    F = objectives.softmax_regression(X, y, lam=lam)
    for beta0 in _starts(rng, F.n_params):
        res = optim.gradient_descent(F, beta0, learning_rate=1.0, n_steps=20000, tol=1e-8)
        assert res.converged
        B = F.model.coefficients(res.beta)                   # (p+1, K)
        np.testing.assert_allclose(B[1:], ref.coef_.T, atol=1e-5)
        # intercepts are identified only up to a common constant (softmax is shift-invariant)
        np.testing.assert_allclose(B[0] - B[0].mean(), ref.intercept_ - ref.intercept_.mean(), atol=1e-5)
        np.testing.assert_allclose(F.model.predict_proba(X, res.beta), ref.predict_proba(X), atol=1e-6)


def test_constructor_errors_name_the_argument():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"lam: expected a number >= 0, got -1"):
        objectives.ridge_regression(X, np.ones(3), lam=-1)
    with pytest.raises(ValueError, match=r"y: expected 3 entries \(one per row of X\), got array of shape \(2,\)"):
        objectives.ridge_regression(X, np.ones(2), lam=0.1)
    with pytest.raises(ValueError, match=r"X: expected finite values, got 1 NaN or inf"):
        objectives.logistic_regression(np.array([[1.0, np.inf]]), [1])
    with pytest.raises(ValueError, match=r"y: expected labels in 0..1, got \[2\]"):
        objectives.logistic_regression(X, [0, 1, 2])
    with pytest.raises(ValueError, match=r"y: expected labels in 0..2, got \[-1\]"):
        objectives.softmax_regression(X, [0, 2, -1], n_classes=3)
    with pytest.raises(ValueError, match=r"X: expected a 2-D array \(n, p\)"):
        objectives.softmax_regression(np.ones(3), [0, 1, 2])
    with pytest.raises(ValueError, match=r"penalty: expected one of"):
        objectives.logistic_regression(X, [0, 1, 1], penalty="l3")
    F = objectives.ridge_regression(X, np.ones(3), lam=0.0)
    with pytest.raises(ValueError, match=r"beta: expected a flat vector of 3 parameters"):
        F.value(np.zeros(2))


def test_names_and_labels_are_described_truly(rng):
    X = rng.normal(size=(6, 2))
    assert objectives.ridge_regression(X, np.ones(6), lam=0.1, penalty="lasso").name == "lasso regression"
    assert objectives.ridge_regression(X, np.ones(6), lam=0.1).name == "ridge regression"
    F = objectives.softmax_regression(X, np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0]))   # float labels
    assert F.model.n_classes == 3
    with pytest.raises(ValueError, match=r"y: expected labels in 0..1, got \[2\] \(logistic regression has two"):
        objectives.logistic_regression(X, np.array([0.0, 1.0, 2.0, 0.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match=r"loss: the squared error compares Y with a identity output"):
        objectives.Objective(objectives.LogisticModel(2), X, np.ones(6), loss=objectives.losses.SQUARED_ERROR)


def test_every_objective_is_callable_like_F_of_beta(rng):
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    for F in (objectives.ridge_regression(X, y.astype(float), lam=0.1), objectives.logistic_regression(X, y),
              objectives.softmax_regression(X, y)):
        beta = rng.normal(size=F.n_params)
        assert F(beta) == F.value(beta) == F.value_and_gradient(beta)[0]
