"""Lecture 4's text classifiers in PyTorch, small parts first: embeddings, a GRU, a tiny transformer.

Every model reads a batch of padded word indices ``ids`` (n, T) (0 = <pad>, from
`dlcourse.text.encode`) and returns K = 2 scores per snippet (rotten, fresh). Padding is found
from the ids themselves (ids == 0), so the models fit `dlcourse.torch.train` unchanged.

* `MeanEmbedding`     each word a learned vector; a snippet = the mean of its words' vectors
                      → a linear layer (a bag of embeddings: word order is ignored)
* `GRUClassifier`     embeddings → a GRU read left to right → its state after the last real word
* `SelfAttention`     one head of scaled dot-product self-attention that keeps its weights
* `TransformerClassifier`  embeddings + sinusoidal positions → one encoder block
                      (self-attention, feed-forward, residuals, layer norms) → mean over words

    from dlcourse.torch import text as ttext
    data = ttext.encode_reviews(vocabulary, max_len=40)
    model = ttext.make_text_model("gru", len(vocabulary))
    history = ttext.train_text(model, data, epochs=4)      # validation accuracy per epoch
"""

import math
import time
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from .. import data as _data
from .. import text as _text
from .training import accuracy, train


def _padding(ids):
    """(n, T) bool: True at real tokens."""
    return ids != _text.PAD_INDEX


def _masked_mean(H, mask):
    """Mean of H (n, T, d) over the real positions of each row -> (n, d)."""
    m = mask.unsqueeze(-1).to(H.dtype)                           # (n, T, 1)
    return (H * m).sum(1) / m.sum(1).clamp(min=1.0)


class MeanEmbedding(nn.Module):
    """p̂ from the average of the words' embeddings: a learned, dense bag of words."""

    def __init__(self, n_words, d=64, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(n_words, d, padding_idx=_text.PAD_INDEX)
        self.output = nn.Linear(d, n_classes)

    def forward(self, ids):                                      # ids: (n, T)
        return self.output(_masked_mean(self.embedding(ids), _padding(ids)))   # (n, K)


class GRUClassifier(nn.Module):
    """Embeddings → GRU (left to right) → the hidden state after each snippet's last word → scores."""

    def __init__(self, n_words, d=64, hidden=64, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(n_words, d, padding_idx=_text.PAD_INDEX)
        self.gru = nn.GRU(d, hidden, batch_first=True)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, ids):                                      # ids: (n, T)
        H, _ = self.gru(self.embedding(ids))                     # (n, T, hidden): h_1 .. h_T
        last = _padding(ids).sum(1).clamp(min=1) - 1             # (n,) index of the last real word
        h_last = H[torch.arange(len(ids)), last]                 # (n, hidden)
        return self.output(h_last)                               # (n, K)


def attention(Q, K, V, mask=None):
    """softmax(Q Kᵀ / √d) V with weights; mask (…, n_q, n_k) bool, True = may attend.

    The same formula as `dlcourse.text.scaled_dot_product_attention` (and as
    `torch.nn.functional.scaled_dot_product_attention`), but it also returns the weights.
    """
    S = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])        # (…, n_q, n_k)
    if mask is not None:
        S = S.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(S, dim=-1)                           # rows sum to 1
    return weights @ V, weights


class SelfAttention(nn.Module):
    """One head: Q = X W_q, K = X W_k, V = X W_v; output = Attention(Q, K, V) W_o.

    ``last_weights`` (n, T, T) keeps the attention weights of the latest forward pass.
    """

    def __init__(self, d):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.last_weights = None

    def forward(self, X, mask):                                  # X: (n, T, d); mask: (n, T)
        out, weights = attention(self.q(X), self.k(X), self.v(X), mask[:, None, :])   # keys masked
        self.last_weights = weights.detach()
        return self.o(out)                                       # (n, T, d)


class TransformerClassifier(nn.Module):
    """Embedding + positions → one encoder block → mean over real words → scores.

    Block: X ← LayerNorm(X + SelfAttention(X));  X ← LayerNorm(X + FFN(X)) (post-norm, as in
    Vaswani et al. 2017). Positions are the sinusoids of `dlcourse.text.positional_encoding`.
    """

    def __init__(self, n_words, d=64, max_len=64, hidden=128, n_classes=2, dropout=0.1):
        super().__init__()
        self.embedding = nn.Embedding(n_words, d, padding_idx=_text.PAD_INDEX)
        positions = torch.as_tensor(_text.positional_encoding(max_len, d), dtype=torch.float32)
        self.register_buffer("positions", positions)            # (max_len, d), not trained
        self.attention = SelfAttention(d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ffn = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, d))
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(d, n_classes)

    def forward(self, ids):                                      # ids: (n, T)
        mask = _padding(ids)                                     # (n, T)
        mask[:, 0] |= ~mask.any(1)                               # an empty snippet attends to its <pad>
        X = self.embedding(ids) + self.positions[: ids.shape[1]]           # (n, T, d)
        X = self.norm1(X + self.dropout(self.attention(X, mask)))   # (n, T, d)
        X = self.norm2(X + self.dropout(self.ffn(X)))
        return self.output(_masked_mean(X, mask))                # (n, K)


TEXT_MODELS = {"mean-embedding": MeanEmbedding, "gru": GRUClassifier, "transformer": TransformerClassifier}


def make_text_model(kind, n_words, *, seed=0, **sizes):
    """"mean-embedding", "gru" or "transformer", with seeded initial weights."""
    if kind not in TEXT_MODELS:
        raise ValueError(f"kind: expected one of {sorted(TEXT_MODELS)}, got {kind!r}")
    torch.manual_seed(seed)
    return TEXT_MODELS[kind](n_words, **sizes)


@dataclass
class TextData:
    """Padded word indices (n, max_len) int64 and labels (n,) int64 for each split of the reviews."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_validation: torch.Tensor
    y_validation: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    vocabulary: object = None

    def first(self, n_train):
        """The same data with only the first `n_train` training snippets (smoke runs)."""
        return TextData(self.X_train[:n_train], self.y_train[:n_train], self.X_validation, self.y_validation,
                        self.X_test, self.y_test, self.vocabulary)


def encode_reviews(vocabulary, *, max_len=40):
    """The three splits of `dlcourse.data.load_reviews` encoded with `vocabulary` (built on train)."""
    tensors = []
    for split in ("train", "validation", "test"):
        reviews = _data.load_reviews(split)
        ids, _ = _text.encode(reviews.texts, vocabulary, max_len=max_len)
        tensors += [torch.as_tensor(ids), torch.as_tensor(reviews.y, dtype=torch.int64)]
    return TextData(*tensors, vocabulary=vocabulary)


@dataclass
class TextResult:
    """A trained model's accuracies and its training time."""

    model: nn.Module
    history: object          # dlcourse.torch.History; its test_accuracy is the VALIDATION accuracy per epoch
    validation_accuracy: float
    test_accuracy: float
    seconds: float


def train_text(model, data, *, epochs=4, batch_size=64, learning_rate=2e-3, weight_decay=0.0, device="cpu",
               seed=0, progress=False):
    """Train with `dlcourse.torch.train` (Adam, seeded), watching validation accuracy; then test once.

    Returns a `TextResult` with the final validation and test accuracy and the seconds spent training.
    """
    monitored = SimpleNamespace(X_train=data.X_train, y_train=data.y_train,
                                X_test=data.X_validation, y_test=data.y_validation)
    started = time.perf_counter()
    history = train(model, monitored, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                    weight_decay=weight_decay, device=device, seed=seed, progress=progress)
    seconds = time.perf_counter() - started
    test = accuracy(model, data.X_test, data.y_test, device=device)
    return TextResult(model=model, history=history, validation_accuracy=history.test_accuracy[-1],
                      test_accuracy=test, seconds=seconds)


def nearest_words(embedding, vocabulary, words, k=5):
    """{word: its k nearest words by cosine similarity of the rows of `embedding` (V, d)}.

    Special tokens and the word itself are left out; unknown words raise ValueError.
    """
    E = embedding.detach().cpu().numpy() if torch.is_tensor(embedding) else np.asarray(embedding)
    if E.ndim != 2 or E.shape[0] != len(vocabulary):
        raise ValueError(f"embedding: expected shape ({len(vocabulary)}, d), got {E.shape}")
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    result = {}
    for word in words:
        if word not in vocabulary:
            raise ValueError(f"words: expected words in the vocabulary, got {word!r}")
        similarity = unit @ unit[vocabulary.index[word]]          # (V,)
        similarity[[_text.PAD_INDEX, _text.UNK_INDEX, vocabulary.index[word]]] = -np.inf
        best = np.argsort(-similarity, kind="stable")[:k]
        result[word] = [vocabulary.words[j] for j in best]
    return result


@torch.no_grad()
def attention_weights(model, ids):
    """The trained transformer's attention weights for a batch of ids: numpy (n, T, T).

    Row t of weights[i] says how much word t of snippet i attends to each word (0 on padding).
    """
    if not isinstance(model, TransformerClassifier):
        raise TypeError(f"model: expected a TransformerClassifier, got {type(model).__name__}")
    model.eval()
    device = next(model.parameters()).device
    model(torch.as_tensor(ids).to(device))
    return model.attention.last_weights.cpu().numpy().astype(np.float64)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["MeanEmbedding", "GRUClassifier", "SelfAttention", "TransformerClassifier", "attention", "TEXT_MODELS",
           "make_text_model", "TextData", "encode_reviews", "TextResult", "train_text", "nearest_words",
           "attention_weights", "count_parameters"]
