"""dlcourse.networks: a multi-layer network is an Objective like lecture 1's, with backpropagation."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse import gradcheck, networks, objectives, optim


def torch_network_loss(torch, model, beta, X, y, lam):
    """The same network written directly in PyTorch: an independent forward pass."""
    beta_t = torch.tensor(beta, requires_grad=True)
    A = torch.tensor(X)
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "identity": lambda t: t}[model.g.name]
    penalty = 0
    for ell, (idx, shape) in enumerate(zip(model.blocks, model.shapes)):
        W = beta_t[idx[0]: idx[-1] + 1].reshape(shape)
        A = W[0] + A @ W[1:]
        penalty = penalty + (W[1:] ** 2).sum()
        if ell < len(model.shapes) - 1:
            A = act(A)
    if model.output == "softmax":
        loss = torch.nn.functional.cross_entropy(A, torch.tensor(y))
    elif model.output == "sigmoid":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(A[:, 0], torch.tensor(y, dtype=torch.float64))
    else:
        loss = ((A[:, 0] - torch.tensor(y)) ** 2).mean()
    loss = loss + lam * penalty
    loss.backward()
    return loss.item(), beta_t.grad.numpy()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 12), p=st.integers(1, 5), h1=st.integers(1, 6), h2=st.integers(1, 5),
       K=st.integers(2, 4), activation=st.sampled_from(["tanh", "relu", "sigmoid"]),
       output=st.sampled_from(["softmax", "sigmoid", "identity"]), seed=st.integers(0, 10**6))
def test_two_hidden_layers_match_torch_autograd_and_finite_differences(torch, n, p, h1, h2, K, activation, output,
                                                                        seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = {"softmax": rng.integers(0, K, n), "sigmoid": rng.integers(0, 2, n), "identity": rng.normal(size=n)}[output]
    F = networks.neural_network(X, y, (h1, h2), activation=activation, output=output,
                                n_classes=K if output == "softmax" else None, lam=0.03)
    beta = F.init(seed=rng) + 0.05 * rng.normal(size=F.n_params)
    value, grad = torch_network_loss(torch, F.model, beta, X, y, 0.03)
    assert F(beta) == pytest.approx(value, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(F.gradient(beta), grad, rtol=1e-9, atol=1e-12)
    if activation != "relu":                      # ReLU's kink makes finite differences unreliable at random points
        assert gradcheck.check_gradient(F.value, F.gradient, beta)


def test_network_without_hidden_layers_is_softmax_regression(rng):
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    F_net = networks.neural_network(X, y, hidden=(), lam=0.1)
    F_lin = objectives.softmax_regression(X, y, lam=0.1)
    beta = rng.normal(size=F_lin.n_params)
    assert F_net(beta) == pytest.approx(F_lin(beta), rel=1e-14)
    np.testing.assert_allclose(F_net.gradient(beta), F_lin.gradient(beta), rtol=1e-13)


def test_gradient_descent_and_sgd_train_a_network_without_special_cases():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)                 # XOR: no linear model separates it
    F = networks.neural_network(X, y, (8, 4))
    gd = optim.gradient_descent(F, F.init(seed=0), learning_rate=0.5, n_steps=3000)
    assert np.mean(F.predict(X, gd.beta) == y) > 0.9
    sgd = optim.sgd(F, F.init(seed=0), learning_rate=0.2, batch_size=16, epochs=150, seed=1)
    assert sgd.values[-1] < 0.5 * sgd.values[0] and np.mean(F.predict(X, sgd.beta) == y) > 0.9


def test_linear_units_make_a_linear_model(rng):
    """A network of identity units computes a linear function of X: the hidden layer adds nothing."""
    X = rng.normal(size=(50, 3))
    model = networks.Network(3, hidden=(5,), n_outputs=1, activation="identity", output="identity")
    beta = model.init(seed=2)
    Z = model.scores(X, beta)
    coef, *_ = np.linalg.lstsq(np.c_[np.ones(50), X], Z, rcond=None)
    np.testing.assert_allclose(np.c_[np.ones(50), X] @ coef, Z, atol=1e-12)


def test_biases_are_never_penalized_and_the_repr_is_true(rng):
    model = networks.Network(2, hidden=(3,), n_outputs=2)
    assert model.penalized.tolist() == [False] * 3 + [True] * 6 + [False] * 2 + [True] * 6
    assert repr(model) == "Network(2 → 3 → 2, activation=tanh, output=softmax, 17 parameters)"


def test_errors():
    with pytest.raises(ValueError, match=r"activation: expected one of \['identity', 'relu', 'sigmoid', 'tanh'\]"):
        networks.neural_network(np.ones((2, 2)), [0, 1], activation="sigmoidish")
    with pytest.raises(ValueError, match=r"output: expected one of \['identity', 'sigmoid', 'softmax'\]"):
        networks.Network(2, n_outputs=2, output="probit")
    with pytest.raises(ValueError, match=r"hidden: expected an integer >= 1, got 0"):
        networks.Network(2, hidden=(0,), n_outputs=2)
    with pytest.raises(TypeError, match=r"seed: expected an integer >= 0 or a numpy Generator, got 'a'"):
        networks.Network(2, n_outputs=2).init(seed="a")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F = networks.neural_network(np.ones((2, 2)), [0.0, 2.0])     # integer-valued float labels: K = 3
    assert F.model.n_outputs == 3
