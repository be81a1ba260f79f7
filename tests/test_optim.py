import numpy as np
import pytest

from dlcourse import landscapes, objectives, optim
from dlcourse.data import make_classes


def test_one_step_is_beta_minus_gamma_times_gradient():
    F = landscapes.elongated_bowl_2d
    res = optim.gradient_descent(F, [1.0, 1.0], learning_rate=0.05, n_steps=1)
    np.testing.assert_allclose(res.path[1], [1.0 - 0.05 * 1.0, 1.0 - 0.05 * 10.0])
    np.testing.assert_allclose(res.values, [F.value(p) for p in res.path])
    assert res.n_steps == 1 and len(res.path) == 2


@pytest.mark.parametrize("landscape", [landscapes.bowl_1d, landscapes.bowl_2d, landscapes.elongated_bowl_2d])
def test_convex_objective_converges_from_any_start_for_small_learning_rate(landscape, rng):
    """Lecture: for convex F and γ not too large, GD converges to the global minimum from any start."""
    for _ in range(10):
        start = rng.uniform(-10, 10, size=landscape.dim)
        res = optim.gradient_descent(landscape, start, learning_rate=0.05, n_steps=5000, tol=1e-10)
        assert res.converged and not res.diverged
        np.testing.assert_allclose(res.beta, 0.0, atol=1e-9)
        assert np.all(np.diff(res.values) <= 0)         # monotone descent


def test_too_large_learning_rate_diverges_with_warning_not_nan():
    # F(β) = β², β <- (1 - 2γ)β: |1 - 2γ| > 1 for γ > 1
    with pytest.warns(optim.DivergenceWarning, match=r"learning rate γ = 1.5"):
        res = optim.gradient_descent(landscapes.bowl_1d, [1.0], learning_rate=1.5, n_steps=10_000)
    assert res.diverged and not res.converged
    assert np.all(np.isfinite(res.path)) and np.all(np.isfinite(res.values))
    assert res.n_steps < 100
    np.testing.assert_allclose(res.path[:5, 0], (-2.0) ** np.arange(5))   # oscillates and grows


def test_huge_learning_rate_on_logistic_objective_does_not_produce_nan():
    data = make_classes(100, 2, seed=1)
    F = objectives.ridge_regression(data.X, data.y.astype(float), lam=0.0)
    with pytest.warns(optim.DivergenceWarning):
        res = optim.gradient_descent(F, np.zeros(3), learning_rate=1e6)
    assert res.diverged and np.all(np.isfinite(res.values))


def test_wavy_landscape_different_starts_end_in_different_minima():
    """Lecture: for non-convex F the ball can roll into any of the local minima."""
    F = landscapes.wavy_1d
    minima = F.local_minima()
    ends = []
    for start in np.linspace(-4.4, 5.4, 12):
        res = optim.gradient_descent(F, [start], learning_rate=0.05, n_steps=5000, tol=1e-10)
        assert res.converged
        ends.append(minima[np.argmin(np.abs(minima - res.beta[0]))])
        assert abs(ends[-1] - res.beta[0]) < 1e-6
    assert len(set(np.round(ends, 6))) == 4


def test_multi_start_keeps_the_best_run():
    F = landscapes.wavy_1d
    starts = optim.random_starts(8, *F.domain[0], seed=3)
    ms = optim.multi_start(F, starts, learning_rate=0.05)
    assert len(ms.runs) == 8
    assert ms.best.values[-1] == min(r.values[-1] for r in ms.runs)
    grid = np.linspace(*F.domain[0], 100001)
    assert ms.best.values[-1] == pytest.approx(F.values(grid).min(), abs=1e-6)   # the global minimum


def test_multi_start_never_picks_a_diverged_run():
    ms = optim.multi_start(landscapes.bowl_1d, [[1e-3], [5.0]], learning_rate=1.01, n_steps=5000)
    assert all(r.diverged for r in ms.runs) or not ms.best.diverged
    ms = optim.multi_start(landscapes.bowl_1d, [[0.5], [1.0]], learning_rate=0.4)
    assert not ms.best.diverged


def test_sgd_reaches_the_optimum_neighbourhood_and_is_seeded():
    data = make_classes(300, 3, seed=0)
    F = objectives.softmax_regression(data.X, data.y, lam=0.01)
    full = optim.gradient_descent(F, np.zeros(F.n_params), learning_rate=0.5, n_steps=5000, tol=1e-9)
    a = optim.sgd(F, np.zeros(F.n_params), learning_rate=0.05, batch_size=16, epochs=40, seed=7)
    b = optim.sgd(F, np.zeros(F.n_params), learning_rate=0.05, batch_size=16, epochs=40, seed=7)
    np.testing.assert_array_equal(a.beta, b.beta)
    assert a.n_steps == 40 * int(np.ceil(300 / 16)) and a.path.shape == (41, F.n_params)
    assert a.values[-1] - full.values[-1] < 0.01


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"learning_rate: expected a positive number, got -0.1"):
        optim.gradient_descent(landscapes.bowl_1d, [1.0], learning_rate=-0.1)
    with pytest.raises(ValueError, match=r"learning_rate: expected a positive number, got 0"):
        optim.sgd(objectives.ridge_regression(np.ones((2, 1)), [1, 2], lam=0), np.zeros(2), learning_rate=0)
    with pytest.raises(ValueError, match=r"beta0: expected 2 parameters"):
        optim.gradient_descent(landscapes.bowl_2d, [1.0, 2.0, 3.0], learning_rate=0.1)
    with pytest.raises(ValueError, match=r"beta0: expected finite values"):
        optim.gradient_descent(landscapes.bowl_1d, [np.nan], learning_rate=0.1)
    with pytest.raises(ValueError, match=r"n_steps: expected an integer >= 1"):
        optim.gradient_descent(landscapes.bowl_1d, [1.0], learning_rate=0.1, n_steps=0)
    with pytest.raises(TypeError, match=r"objective: expected an object with value"):
        optim.gradient_descent(lambda b: b, [1.0], learning_rate=0.1)


def test_divergence_warning_and_result_message_say_the_same(rng):
    F = objectives.ridge_regression(rng.normal(size=(20, 2)), rng.normal(size=20))
    for run in (lambda: optim.gradient_descent(F, np.zeros(3), learning_rate=50.0, n_steps=100),
                lambda: optim.sgd(F, np.zeros(3), learning_rate=50.0, batch_size=4, epochs=5)):
        with pytest.warns(optim.DivergenceWarning) as caught:
            result = run()
        assert result.diverged and str(caught[0].message) == result.message
        assert "γ = 50" in result.message


def test_minibatches_cover_every_row_once_and_accept_a_generator():
    batches = optim.minibatches(10, batch_size=4, seed=np.random.default_rng(3))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    same = optim.minibatches(10, batch_size=4, seed=3)
    assert all((a == b).all() for a, b in zip(batches, same))


def test_sgd_can_record_every_step(rng):
    F = objectives.logistic_regression(rng.normal(size=(40, 2)), rng.integers(0, 2, 40))
    res = optim.sgd(F, np.zeros(3), learning_rate=0.1, batch_size=8, epochs=2, record="step")
    assert res.n_steps == 10 and res.path.shape == (11, 3) and len(res.values) == 11
