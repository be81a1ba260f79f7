"""The sparse bag of words and the sparse logistic objective against independent references:
the dense matrix and dense Objective, torch.autograd, and scikit-learn's LogisticRegression."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from dlcourse import objectives, optim
from dlcourse.data.reviews import load_reviews
from dlcourse.text import Vocabulary, bag_of_words
from dlcourse.text.sparse import bag_of_words_sparse, fit, logistic_regression_sparse, top_words

FAST = settings(max_examples=20, deadline=None)


@pytest.fixture(scope="module")
def small():
    reviews = load_reviews("train")
    texts, y = reviews.texts[:400], reviews.y[:400]
    vocabulary = Vocabulary.from_texts(texts, min_count=2)
    return texts, y, vocabulary


def test_sparse_bag_of_words_equals_the_dense_one(small):
    texts, _, vocabulary = small
    unseen = load_reviews("validation").texts[:200]          # unknown words land in column 1
    for docs in (texts, unseen):
        X = bag_of_words_sparse(docs, vocabulary)
        assert sp.isspmatrix_csr(X) and X.shape == (len(docs), len(vocabulary))
        np.testing.assert_array_equal(X.toarray(), bag_of_words(docs, vocabulary))
    assert bag_of_words_sparse(unseen, vocabulary)[:, 1].sum() > 0


@FAST
@given(lam=st.sampled_from([0.0, 0.01, 1.0]), seed=st.integers(0, 10_000))
def test_sparse_objective_equals_the_dense_objective_and_autograd(small, lam, seed):
    texts, y, vocabulary = small
    X = bag_of_words_sparse(texts, vocabulary)
    F = logistic_regression_sparse(X, y, lam=lam)
    G = objectives.logistic_regression(X.toarray(), y, lam=lam)
    beta = np.random.default_rng(seed).normal(scale=0.3, size=F.n_params)
    value, grad = F.value_and_gradient(beta)
    np.testing.assert_allclose(value, G.value(beta), rtol=1e-12)
    np.testing.assert_allclose(grad, G.gradient(beta), rtol=1e-10, atol=1e-14)
    # autograd on the formula written out in torch
    b = torch.tensor(beta, requires_grad=True)
    Xt, yt = torch.tensor(X.toarray()), torch.tensor(y, dtype=torch.float64)
    z = b[0] + Xt @ b[1:]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, yt) + lam * (b[1:] ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(value, loss.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, b.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_fit_reaches_scikit_learns_ridge_logistic_regression(small):
    texts, y, vocabulary = small
    X = bag_of_words_sparse(texts, vocabulary)
    lam = 0.01
    beta = fit(logistic_regression_sparse(X, y, lam=lam), tol=1e-9, max_steps=5000)
    # (1/n) Σ L + λ‖β‖² and (1/2)‖w‖² + C Σ L have the same minimizer for C = 1/(2nλ)
    ref = LogisticRegression(C=1 / (2 * len(y) * lam), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(beta[0], ref.intercept_[0], atol=1e-4)
    np.testing.assert_allclose(beta[1:], ref.coef_[0], atol=1e-4)


def test_minibatch_sgd_runs_on_the_sparse_objective_and_lowers_f(small):
    texts, y, vocabulary = small
    F = logistic_regression_sparse(bag_of_words_sparse(texts, vocabulary), y, lam=1e-3)
    result = optim.sgd(F, F.init(), learning_rate=0.1, batch_size=32, epochs=5, seed=0)
    assert result.values[-1] < 0.9 * result.values[0]
    assert F.subset(np.arange(10)).n == 10


def test_top_words_are_the_largest_and_most_negative_coefficients():
    vocabulary = Vocabulary(words=("<pad>", "<unk>", "good", "bad", "film"))
    beta = np.array([0.5, 0.0, 0.1, 2.0, -3.0, 0.2])
    positive, negative = top_words(beta, vocabulary, k=2)
    assert positive == [("good", 2.0), ("film", 0.2)]
    assert negative == [("bad", -3.0), ("<pad>", 0.0)]


def test_sparse_errors_name_the_argument(small):
    texts, y, vocabulary = small
    with pytest.raises(TypeError, match="X: expected a scipy.sparse matrix"):
        logistic_regression_sparse(np.ones((3, 2)), [0, 1, 0])
    X = bag_of_words_sparse(texts, vocabulary)
    with pytest.raises(ValueError, match="y: expected 400 labels 0 or 1"):
        logistic_regression_sparse(X, y[:10])
    with pytest.raises(ValueError, match="beta: expected shape"):
        logistic_regression_sparse(X, y).value(np.zeros(3))
    with pytest.raises(TypeError, match="vocabulary: expected a Vocabulary"):
        bag_of_words_sparse(texts, {"a": 1})
    with pytest.raises(ValueError, match="beta: expected shape"):
        top_words(np.zeros(3), vocabulary)
