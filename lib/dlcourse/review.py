"""Lecture 5 (unit review): the unit's models as layers, attention on a toy sentence, practice questions.

* `unit_models()`         lecture 1's logistic graph to a CNN and a transformer, as lists of `Layer`s
                          that `graphs.draw_model` draws (captions name each column's kind and shape)
* `toy_self_attention()`  self-attention weights softmax(XXᵀ/√d) of a sentence, with or without
                          positional encodings: attention alone cannot tell two copies of a word apart
* `PRACTICE`, `self_check(key, answer)`   quiz-style practice questions with a self-check message

The tabular comparison ("when to use deep learning") is in `dlcourse.tabular`.
"""

import math
from dataclasses import dataclass

import numpy as np

from .models import Layer, LogisticModel
from .networks import Network
from .text import positional_encoding, scaled_dot_product_attention


def unit_models():
    """{title: model or list of `Layer`} in the order of the unit (lectures 1–4; the RNN is drawn apart)."""
    cnn = [Layer(784, "input", label="image\n1×28×28"),
           Layer(16 * 14 * 14, "hidden", "relu", "A", label="conv 3×3, ReLU,\nmax pool\n16×14×14"),
           Layer(32 * 7 * 7, "hidden", "relu", "A", label="conv 3×3, ReLU,\nmax pool\n32×7×7"),
           Layer(128, "hidden", "relu", "A", label="flatten → dense\n128, ReLU"),
           Layer(10, "output", "softmax", "Z", label="10 scores")]
    transformer = [Layer(40 * 32, "input", label="T words:\nembedding\n+ position, T×32"),
                   Layer(40 * 32, "hidden", "identity", "A", label="self-attention\nsoftmax(QKᵀ/√d)V\nT×32"),
                   Layer(40 * 64, "hidden", "relu", "A", label="feed-forward\nReLU, T×64"),
                   Layer(32, "hidden", "identity", "A", label="mean over\nthe words\n32"),
                   Layer(2, "output", "softmax", "Z", label="2 scores")]
    return {"lecture 1: logistic regression": LogisticModel(n_features=3),
            "lecture 2: a hidden layer": Network(3, hidden=(4,), n_outputs=1, output="sigmoid"),
            "lecture 3: a convolutional network": cnn,
            "lecture 4: a transformer encoder": transformer}


def toy_self_attention(tokens, *, d=16, positions=False, seed=0):
    """Self-attention weights (T, T) of `tokens` with Q = K = V = X: row t is softmax(X_t Xᵀ/√d).

    X_t is a fixed random vector per distinct word (the same word, the same vector), plus, with
    `positions`, the sinusoidal positional encoding of position t. Without positions two copies of
    a word have identical rows: attention alone sees a bag of words.
    """
    tokens = list(tokens)
    if len(tokens) < 2:
        raise ValueError(f"tokens: expected at least two words, got {tokens!r}")
    rng = np.random.default_rng(seed)
    vocabulary = sorted(set(tokens))
    vectors = dict(zip(vocabulary, rng.normal(size=(len(vocabulary), d))))
    X = np.array([vectors[t] for t in tokens])                      # (T, d)
    if positions:
        X = X + 2.0 * positional_encoding(len(tokens), d)
    _, weights = scaled_dot_product_attention(X, X, X)
    return weights


# --- practice questions (quiz style), each with its answer computed from its numbers -----------------

@dataclass(frozen=True)
class Practice:
    question: str
    answer: object          # a number, an array, or a letter
    hint: str
    rtol: float = 1e-3


def _gd_quadratic(a, c, learning_rate, steps, start=0.0):
    beta = start
    for _ in range(steps):
        beta = beta - learning_rate * 2 * a * (beta - c)            # F(β) = a(β − c)², ∇F = 2a(β − c)
    return beta


def _attention_row(q, K):
    scores = np.asarray(K, float) @ np.asarray(q, float) / math.sqrt(len(q))
    e = np.exp(scores - scores.max())
    return e / e.sum()


PRACTICE = {
    "conv_output_size": Practice(
        "A 28×28 image, a 5×5 filter, padding 2, stride 2: how many rows has the feature map?",
        (28 + 2 * 2 - 5) // 2 + 1, "⌊(h + 2·padding − k)/stride⌋ + 1"),
    "network_parameters": Practice(
        "A network 10 → 32 → 16 → 1 (dense layers with biases): how many parameters?",
        (10 + 1) * 32 + (32 + 1) * 16 + (16 + 1) * 1, "a dense layer from a to b units has (a + 1)·b parameters"),
    "gradient_descent_steps": Practice(
        "F(β) = 2(β − 1)², γ = 0.1, start β = 0: β after 3 steps of gradient descent?",
        _gd_quadratic(2.0, 1.0, 0.1, 3), "∇F(β) = 4(β − 1); each step multiplies β − 1 by 1 − 4γ"),
    "largest_learning_rate": Practice(
        "For the same F, which γ makes gradient descent diverge: (a) 0.2, (b) 0.45, (c) 0.55?",
        "c", "β − 1 is multiplied by 1 − 4γ per step: it grows when |1 − 4γ| > 1, i.e. γ > 0.5"),
    "attention_weights": Practice(
        "Query q = (1, 0), keys (1, 0), (0, 1), (1, 1), d = 2: the attention weights?",
        _attention_row([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
        "softmax of q·k_j/√d over the keys j; they add up to 1"),
}


def self_check(key, answer):
    """A one-line verdict for a practice answer: not answered yet, correct, or a hint."""
    if key not in PRACTICE:
        raise ValueError(f"key: expected one of {list(PRACTICE)}, got {key!r}")
    item = PRACTICE[key]
    if answer is None:
        return f"{key}: not answered yet"
    if isinstance(item.answer, str):
        ok = isinstance(answer, str) and answer.strip().lower() == item.answer
    else:
        try:
            got = np.asarray(answer, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{key}: ✗ expected a number or an array of numbers, got {type(answer).__name__}"
        want = np.asarray(item.answer, dtype=np.float64)
        ok = got.shape == want.shape and bool(np.allclose(got, want, rtol=item.rtol, atol=1e-9))
    return f"{key}: ✓ correct" if ok else f"{key}: ✗ not yet. Hint: {item.hint}"


__all__ = ["unit_models", "toy_self_attention", "PRACTICE", "Practice", "self_check"]
