import numpy as np
import pytest

from dlcourse import networks, optim
from dlcourse.data import make_classes


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("hidden", [(3,), (4, 2)])
def test_backprop_matches_torch_autograd(torch, activation, hidden):
    data = make_classes(30, 3, seed=4)
    F = networks.neural_network(data.X, data.y, hidden, activation=activation, lam=0.05)
    beta = F.init(seed=1) + 0.1
    beta_t = torch.tensor(beta, requires_grad=True)
    A = torch.tensor(data.X)
    act = torch.tanh if activation == "tanh" else torch.relu
    penalty = 0
    for l, (idx, shape) in enumerate(zip(F.blocks, F.shapes)):
        W = beta_t[idx[0]: idx[-1] + 1].reshape(shape)
        A = W[0] + A @ W[1:]
        penalty = penalty + (W[1:] ** 2).sum()
        if l < len(F.shapes) - 1:
            A = act(A)
    loss = torch.nn.functional.cross_entropy(A, torch.tensor(data.y)) + 0.05 * penalty
    loss.backward()
    assert F.value(beta) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(F.gradient(beta), beta_t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_network_learns_a_nonlinear_boundary():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)                 # XOR: no linear model separates it
    F = networks.neural_network(X, y, (8,))
    res = optim.gradient_descent(F, F.init(0), learning_rate=0.5, max_iter=3000)
    accuracy = np.mean(F.predict_proba(X, res.beta).argmax(1) == y)
    assert accuracy > 0.9


def test_errors():
    with pytest.raises(ValueError, match=r"activation: expected one of"):
        networks.neural_network(np.ones((2, 2)), [0, 1], activation="sigmoidish")
