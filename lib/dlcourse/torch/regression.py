"""Lecture 1's softmax regression in PyTorch, to compare with `dlcourse.objectives` number for number."""

import torch
from torch import nn


def softmax_regression_gd(X, y, *, lam, learning_rate, n_steps, n_classes=None):
    """Lecture 1's softmax regression trained by full-batch gradient descent with autograd (float64).

    F(β) = mean cross-entropy + λ Σ_{j≥1} β_jk²; returns β flattened like `dlcourse.objectives`
    ((p+1)×K, row 0 the intercepts), so the two can be compared number for number.
    """
    X = torch.as_tensor(X, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.int64)
    K = n_classes or int(y.max()) + 1
    B = torch.zeros(X.shape[1] + 1, K, dtype=torch.float64, requires_grad=True)
    for _ in range(n_steps):
        scores = B[0] + X @ B[1:]                                   # (n, K)
        F = nn.functional.cross_entropy(scores, y) + lam * (B[1:] ** 2).sum()
        B.grad = None
        F.backward()                                                # autograd replaces the hand-written ∇F
        with torch.no_grad():
            B -= learning_rate * B.grad
    return B.detach().reshape(-1)


__all__ = ["softmax_regression_gd"]
