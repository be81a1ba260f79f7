"""The bag of words as a sparse matrix, and lecture 1's ridge-penalized logistic regression on it.

A snippet has ~18 words out of ~9,000 in the vocabulary, so its row of the document-term matrix
is more than 99.8% zeros. A sparse (CSR) matrix stores only the non-zero counts: 9,042 training
snippets take ~2 MB instead of 660 MB, and X β costs one multiply per stored count.

    F(β) = (1/n) Σ_i −[Y_i log p̂_i + (1 − Y_i) log(1 − p̂_i)] + λ Σ_{j≥1} β_j²,
    p̂_i = logistic(β0 + Σ_j β_j X_ij)

is the same objective as `dlcourse.objectives.logistic_regression` (same loss code, same
penalty, intercept β0 first and never penalized); only the products X β and Xᵀ(p̂ − Y) are sparse.
It works with `optim.gradient_descent` and `optim.sgd` (it has ``subset(rows)``).

scipy is imported when a sparse matrix is built, not when `dlcourse.text` is imported.
"""

import numpy as np

from .. import losses
from .._validation import _describe, nonnegative_number
from ..functions import sigmoid
from .vocabulary import Vocabulary, _as_texts, tokenize


def bag_of_words_sparse(texts, vocabulary):
    """The document-term matrix as scipy.sparse CSR, float64: X[i, j] = count of word j in text i.

    The same matrix as `bag_of_words(texts, vocabulary)` (column 1 counts unknown words,
    column 0 <pad> stays 0), shape (n, len(vocabulary)).
    """
    import scipy.sparse as sp

    texts = _as_texts(texts)
    if not isinstance(vocabulary, Vocabulary):
        raise TypeError(f"vocabulary: expected a Vocabulary, got {type(vocabulary).__name__}")
    rows = [vocabulary.indices(tokenize(text)) for text in texts]
    indptr = np.cumsum([0, *(len(r) for r in rows)])                    # (n + 1,)
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(indptr[-1]))
    X = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), len(vocabulary)))
    X.sum_duplicates()                                                   # repeated words -> counts
    return X


def _as_sparse(X, name="X"):
    import scipy.sparse as sp

    if not sp.issparse(X):
        raise TypeError(f"{name}: expected a scipy.sparse matrix (e.g. from bag_of_words_sparse), "
                        f"got {_describe(X)}")
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D matrix, got shape {X.shape}")
    return sp.csr_matrix(X, dtype=np.float64)


class SparseLogisticRegression:
    """F(β) for logistic regression on a sparse X (n, p); β = (β0, β1, …, βp), length p + 1.

    value_and_gradient, value, gradient, subset(rows), predict_proba, predict, like `Objective`.
    """

    def __init__(self, X, y, *, lam=0.0):
        self.X = _as_sparse(X)
        y = np.asarray(y)
        if y.shape != (self.X.shape[0],) or not np.all((y == 0) | (y == 1)):
            raise ValueError(f"y: expected {self.X.shape[0]} labels 0 or 1 (one per row of X), got {_describe(y)}")
        self.y = y.astype(np.float64)
        self.lam = nonnegative_number(lam, "lam")

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def n_params(self):
        return self.X.shape[1] + 1

    def _check_beta(self, beta):
        beta = np.asarray(beta, dtype=np.float64)
        if beta.shape != (self.n_params,):
            raise ValueError(f"beta: expected shape ({self.n_params},) (β0 and one β_j per column), "
                             f"got {_describe(beta)}")
        return beta

    def value_and_gradient(self, beta):
        beta = self._check_beta(beta)
        Z = beta[0] + self.X @ beta[1:]                                  # (n,) scores
        value, dZ = losses.LOGISTIC.on_scores(self.y, Z)                 # (1/n) Σ L and ∂/∂Z
        grad = np.concatenate([[dZ.sum()], self.X.T @ dZ])               # X̃ᵀ ∂F/∂Z, sparse
        value += self.lam * np.sum(beta[1:] ** 2)                        # β0 not penalized
        grad[1:] += 2 * self.lam * beta[1:]
        return float(value), grad

    def value(self, beta):
        return self.value_and_gradient(beta)[0]

    def gradient(self, beta):
        return self.value_and_gradient(beta)[1]

    __call__ = value

    def subset(self, rows):
        """The same F on the observations `rows` (a minibatch for `optim.sgd`)."""
        sub = object.__new__(type(self))
        sub.__dict__.update(self.__dict__)
        sub.X, sub.y = self.X[rows], self.y[rows]
        return sub

    def predict_proba(self, X, beta):
        beta = self._check_beta(beta)
        return sigmoid(beta[0] + _as_sparse(X) @ beta[1:])

    def predict(self, X, beta):
        """1 (fresh) where p̂ >= 1/2, else 0."""
        return (self.predict_proba(X, beta) >= 0.5).astype(np.int64)

    def init(self, *, seed=0):
        return np.zeros(self.n_params)

    def __repr__(self):
        return f"<sparse logistic regression: n={self.n}, p={self.n_params - 1}, λ={self.lam:g}>"


def logistic_regression_sparse(X, y, *, lam=0.0):
    """`SparseLogisticRegression(X, y, lam=lam)`: lecture 1's F(β) on a sparse bag of words."""
    return SparseLogisticRegression(X, y, lam=lam)


def fit(F, beta0=None, *, max_steps=500, tol=1e-6):
    """β̂ = argmin F(β) by L-BFGS (scipy): a gradient method that also estimates the curvature.

    Plain gradient descent needs a learning rate below 2/L, where L (the largest curvature of F)
    grows with the word counts; on the bag of words that means tens of thousands of small steps.
    L-BFGS uses the same F(β) and ∇F(β) and gets there in a few hundred. Returns β̂ (p + 1,).
    """
    from scipy.optimize import minimize

    beta0 = np.zeros(F.n_params) if beta0 is None else np.asarray(beta0, dtype=np.float64)
    result = minimize(F.value_and_gradient, beta0, jac=True, method="L-BFGS-B",
                      options={"maxiter": int(max_steps), "gtol": tol, "ftol": min(2.2e-9, tol * 1e-3)})
    return result.x


def validation_path(X_train, y_train, X_validation, y_validation, lams):
    """Fit F(β) for each λ in `lams` (warm starts, largest λ first): accuracies on both splits.

    The statistician's tuning of λ on held-out data. Returns (train_accuracy, validation_accuracy,
    betas), each in the order of `lams`.
    """
    lams = np.asarray(lams, dtype=np.float64)
    if lams.ndim != 1 or lams.size == 0 or np.any(lams < 0):
        raise ValueError(f"lams: expected a 1-D array of λ >= 0, got {_describe(lams)}")
    y_validation = np.asarray(y_validation)
    results, beta = {}, None
    for k in np.argsort(-lams, kind="stable"):
        F = SparseLogisticRegression(X_train, y_train, lam=lams[k])
        beta = fit(F, beta)
        results[k] = (np.mean(F.predict(X_train, beta) == F.y), np.mean(F.predict(X_validation, beta) == y_validation), beta)
    train_acc, val_acc, betas = (np.array([results[k][i] for k in range(len(lams))]) for i in range(3))
    return train_acc, val_acc, betas


def misclassified(texts, y, p_hat, *, containing=(), k=4):
    """Up to k texts the model gets wrong (p̂ on the wrong side of 1/2) that contain one of the
    words `containing` (any text when empty), most confidently wrong first: [(text, y, p̂)]."""
    texts = _as_texts(texts)
    y, p_hat = np.asarray(y), np.asarray(p_hat, dtype=np.float64)
    wrong = np.flatnonzero((p_hat >= 0.5) != (y == 1))
    wrong = wrong[np.argsort(-np.abs(p_hat[wrong] - 0.5), kind="stable")]
    words = set(containing)
    chosen = [i for i in wrong if not words or words & set(tokenize(texts[i]))][:k]
    return [(texts[i], int(y[i]), round(float(p_hat[i]), 3)) for i in chosen]


def top_words(beta, vocabulary, k=10):
    """The k words with the largest and the k with the most negative β̂_j: (positive, negative) lists
    of (word, β̂_j), strongest first. β = (β0, β1, …): β[j + 1] belongs to vocabulary.words[j]."""
    beta = np.asarray(beta, dtype=np.float64)
    if beta.shape != (len(vocabulary) + 1,):
        raise ValueError(f"beta: expected shape ({len(vocabulary) + 1},) (β0 and one β_j per word), got {_describe(beta)}")
    coef = beta[1:]
    order = np.argsort(coef, kind="stable")
    positive = [(vocabulary.words[j], round(float(coef[j]), 3)) for j in order[::-1][:k]]
    negative = [(vocabulary.words[j], round(float(coef[j]), 3)) for j in order[:k]]
    return positive, negative


__all__ = ["bag_of_words_sparse", "SparseLogisticRegression", "logistic_regression_sparse", "fit", "top_words",
           "validation_path", "misclassified"]
