"""dlcourse.text against independent references: scikit-learn's CountVectorizer, PyTorch's attention,
nn.MultiheadAttention, nn.RNN and autograd, and the sinusoid formula written out by hand."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer

from dlcourse.data.reviews import load_reviews
from dlcourse.text import (
    Vocabulary,
    bag_of_words,
    encode,
    padding_mask,
    positional_encoding,
    rnn_backward,
    rnn_forward,
    scaled_dot_product_attention,
    self_attention,
    tokenize,
)

FAST = settings(max_examples=25, deadline=None)


@pytest.fixture(scope="module")
def snippets():
    return load_reviews("train").texts[:3000], load_reviews("validation").texts[:1000]


def sklearn_counts(texts, vocabulary=None):
    """scikit-learn's sparse word counts with our tokenizer (and a fixed vocabulary, if given)."""
    vectorizer = CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, vocabulary=vocabulary)
    return vectorizer, vectorizer.fit_transform(texts)


# --- tokenizing, vocabulary, bag of words, encoding -------------------------------------------

def test_tokenize_lowercases_and_keeps_apostrophes_inside_words():
    assert tokenize("It’s NOT bad -- it's 'good'! Well-made café, rock'n'roll _x_ 2002") == [
        "it's", "not", "bad", "it's", "good", "well", "made", "café", "rock'n'roll", "x", "2002"]
    assert tokenize("") == [] and tokenize("  ...  ") == []
    with pytest.raises(TypeError, match=r"text: expected a str, got list"):
        tokenize(["a list"])


def test_vocabulary_words_and_counts_agree_with_countvectorizer(snippets):
    train, _ = snippets
    vectorizer, X = sklearn_counts(train)
    totals = dict(zip(vectorizer.get_feature_names_out(), np.asarray(X.sum(axis=0)).ravel()))
    vocab = Vocabulary.from_texts(train)
    assert vocab.words[:2] == ("<pad>", "<unk>") and set(vocab.words[2:]) == set(totals)
    assert all(vocab.counts[vocab.index[w]] == c for w, c in totals.items())
    frequent = Vocabulary.from_texts(train, min_count=3)
    assert set(frequent.words[2:]) == {w for w, c in totals.items() if c >= 3}
    capped = Vocabulary.from_texts(train, min_count=3, max_size=50)
    assert len(capped) == 50
    assert list(capped.words[2:]) == sorted(totals, key=lambda w: (-totals[w], w))[:48]   # ties alphabetical
    assert capped.words[2] == "the" and capped.index_of("the") == 2 and capped.index_of("zzzz") == 1
    assert capped.words_of(capped.indices(["the", "zzzz"])) == ["the", "<unk>"]
    assert repr(capped) == "<Vocabulary: 48 words + <pad>, <unk>>"


def test_bag_of_words_agrees_with_countvectorizer_on_unseen_texts(snippets):
    train, validation = snippets
    vocab = Vocabulary.from_texts(train, min_count=2)
    X = bag_of_words(validation, vocab)
    _, reference = sklearn_counts(validation, vocabulary=vocab.index)      # sparse, same columns
    assert X.shape == (len(validation), len(vocab)) and X.dtype == np.float64
    np.testing.assert_array_equal(X[:, 2:], reference.toarray()[:, 2:])
    assert not X[:, 0].any()
    _, all_words = sklearn_counts(validation)                             # every token, known or not
    np.testing.assert_array_equal(X.sum(axis=1), np.asarray(all_words.sum(axis=1)).ravel())   # <unk> takes the rest
    assert bag_of_words(validation[:5], vocab, dtype=np.float32).dtype == np.float32


words = st.sampled_from(["good", "bad", "not", "film", "it's", "dull"])


@FAST
@given(st.lists(st.lists(words, max_size=12), min_size=1, max_size=6), st.integers(1, 10))
def test_encode_pads_on_the_right_and_counts_real_tokens(docs, max_len):
    texts = [" ".join(doc) for doc in docs]
    vocab = Vocabulary.from_texts(["good bad not film"])                  # "it's" and "dull" are unknown
    ids, lengths = encode(texts, vocab, max_len)
    assert ids.shape == (len(texts), max_len) and ids.dtype == np.int64
    for row, length, doc in zip(ids, lengths, docs):
        assert length == min(len(doc), max_len)
        assert vocab.words_of(row[:length]) == [w if w in {"good", "bad", "not", "film"} else "<unk>"
                                                for w in doc[:max_len]]
        assert not row[length:].any()                                     # <pad> is index 0


def test_encode_without_max_len_uses_the_longest_text():
    vocab = Vocabulary.from_texts(["a b c"])
    ids, lengths = encode(["c b", "", "a a a x"], vocab)
    np.testing.assert_array_equal(ids, [[4, 3, 0, 0], [0, 0, 0, 0], [2, 2, 2, 1]])
    np.testing.assert_array_equal(lengths, [2, 0, 4])


def test_text_errors_name_the_argument():
    vocab = Vocabulary.from_texts(["a b"])
    with pytest.raises(TypeError, match=r"texts: expected a list of strings, got one str \(wrap a single text"):
        Vocabulary.from_texts("a b")
    with pytest.raises(TypeError, match=r"texts: expected a list of strings, got 1 entries of type int"):
        bag_of_words(["a", 3], vocab)
    with pytest.raises(ValueError, match=r"min_count: expected an integer >= 1, got 0"):
        Vocabulary.from_texts(["a"], min_count=0)
    with pytest.raises(ValueError, match=r"max_size: expected an integer >= 3 \(<pad>, <unk> and a word\), got 2"):
        Vocabulary.from_texts(["a"], max_size=2)
    with pytest.raises(ValueError, match=r"max_len: expected an integer >= 1, got 0"):
        encode(["a"], vocab, 0)
    with pytest.raises(TypeError, match=r"vocabulary: expected a Vocabulary, got dict"):
        bag_of_words(["a"], {"a": 0})


# --- attention --------------------------------------------------------------------------------

def random_mask(rng, shape):
    """Boolean (..., n_q, n_k) with at least one allowed key per query."""
    mask = rng.random(shape) < 0.6
    mask[..., rng.integers(shape[-1])] = True
    return mask


@FAST
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 6), st.integers(1, 5), st.integers(1, 4),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_attention_equals_torch_scaled_dot_product_attention(batch, n_q, n_k, d, d_v, masked, seed):
    rng = np.random.default_rng(seed)
    Q, K, V = rng.normal(size=(batch, n_q, d)), rng.normal(size=(batch, n_k, d)), rng.normal(size=(batch, n_k, d_v))
    mask = random_mask(rng, (batch, n_q, n_k)) if masked else None
    output, weights = scaled_dot_product_attention(Q, K, V, mask)
    Qt, Kt, Vt = map(torch.from_numpy, (Q, K, V))
    mask_t = None if mask is None else torch.from_numpy(mask)
    expected = torch.nn.functional.scaled_dot_product_attention(Qt, Kt, Vt, attn_mask=mask_t)
    np.testing.assert_allclose(output, expected.numpy(), rtol=1e-10, atol=1e-12)
    scores = Qt @ Kt.transpose(-1, -2) / math.sqrt(d)
    if mask_t is not None:
        scores = scores.masked_fill(~mask_t, -math.inf)
    np.testing.assert_allclose(weights, torch.softmax(scores, dim=-1).numpy(), rtol=1e-10, atol=1e-14)


def test_attention_is_stable_and_broadcasts_a_key_padding_mask():
    rng = np.random.default_rng(0)
    Q, K, V = 300 * rng.normal(size=(2, 4, 3)), 300 * rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    keep = padding_mask(np.array([5, 2]), 5)                         # (2, 5)
    np.testing.assert_array_equal(keep, [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]])
    output, weights = scaled_dot_product_attention(Q, K, V, keep[:, None, :])
    expected = torch.nn.functional.scaled_dot_product_attention(
        *map(torch.from_numpy, (Q, K, V)), attn_mask=torch.from_numpy(keep[:, None, :]))
    np.testing.assert_allclose(output, expected.numpy(), rtol=1e-10, atol=1e-12)
    assert np.all(np.isfinite(weights)) and not weights[1, :, 2:].any()


@FAST
@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_self_attention_equals_torch_multihead_attention_with_one_head(batch, T, d_model, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, T, d_model))
    W_q, W_k, W_v, W_o = (rng.normal(size=(d_model, d_model)) for _ in range(4))
    lengths = rng.integers(1, T + 1, size=batch)
    output, weights = self_attention(X, W_q, W_k, W_v, W_o, mask=padding_mask(lengths, T)[:, None, :])
    mha = torch.nn.MultiheadAttention(d_model, num_heads=1, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([W_q.T, W_k.T, W_v.T])))
        mha.out_proj.weight.copy_(torch.from_numpy(W_o.T))
    Xt = torch.from_numpy(X)
    key_padding = torch.arange(T)[None, :] >= torch.from_numpy(lengths)[:, None]      # True = ignore
    expected, expected_weights = mha(Xt, Xt, Xt, key_padding_mask=key_padding, need_weights=True)
    np.testing.assert_allclose(output, expected.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(weights, expected_weights.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_positional_encoding_is_the_sinusoid_formula():
    for n_positions, d_model in [(7, 6), (5, 5), (3, 1)]:
        expected = [[math.sin(t / 10000 ** (j / d_model)) if j % 2 == 0 else math.cos(t / 10000 ** ((j - 1) / d_model))
                     for j in range(d_model)] for t in range(n_positions)]
        np.testing.assert_allclose(positional_encoding(n_positions, d_model), expected, rtol=1e-12, atol=1e-15)


def test_attention_errors_name_the_argument():
    Q, K, V = np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"K: expected 3 columns \(the width d of Q\), got array of shape \(4, 2\)"):
        scaled_dot_product_attention(Q, K[:, :2], V)
    with pytest.raises(ValueError, match=r"V: expected 4 rows \(one per key\), got array of shape \(3, 2\)"):
        scaled_dot_product_attention(Q, K, V[:3])
    with pytest.raises(TypeError, match=r"mask: expected a boolean array \(True = may attend\), got .*int64"):
        scaled_dot_product_attention(Q, K, V, mask=np.ones((2, 4), dtype=np.int64))
    with pytest.raises(ValueError, match=r"mask: expected a shape broadcastable to the scores' \(2, 4\), got .*\(3,\)"):
        scaled_dot_product_attention(Q, K, V, mask=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match=r"mask: expected every query to attend to at least one key, got 1 rows"):
        scaled_dot_product_attention(Q, K, V, mask=np.array([[True] * 4, [False] * 4]))
    with pytest.raises(ValueError, match=r"Q: expected an array \(\.\.\., n, d\) with at least 2 dimensions"):
        scaled_dot_product_attention(np.zeros(3), K, V)
    with pytest.raises(ValueError, match=r"W_k: expected 3 rows \(the width d_model of X\), got array of shape \(2, 3\)"):
        self_attention(np.zeros((4, 3)), np.eye(3), np.zeros((2, 3)), np.eye(3))
    with pytest.raises(ValueError, match=r"lengths: expected values in 0\.\.4, got 1\.\.5"):
        padding_mask(np.array([1, 5]), 4)


# --- the recurrent network ---------------------------------------------------------------------

def torch_rnn(X_emb, W_x, W_h, b, h0):
    """nn.RNN (tanh, batch first, float64) carrying our weights; returns (module, H)."""
    rnn = torch.nn.RNN(W_x.shape[0], W_x.shape[1], nonlinearity="tanh", batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_x.T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_h.T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b))
        rnn.bias_hh_l0.zero_()
    H, _ = rnn(X_emb, h0[None])
    return rnn, H


@FAST
@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_rnn_forward_and_backward_equal_torch(n, T, d, m, seed):
    rng = np.random.default_rng(seed)
    X, W_x, W_h = rng.normal(size=(n, T, d)), rng.normal(size=(d, m)), rng.normal(size=(m, m)) / np.sqrt(m)
    b, h0, G = rng.normal(size=m), rng.normal(size=(n, m)), rng.normal(size=(n, T, m))
    H = rnn_forward(X, W_x, W_h, b, h0)
    Xt, h0t = torch.tensor(X, requires_grad=True), torch.tensor(h0, requires_grad=True)
    rnn, Ht = torch_rnn(Xt, W_x, W_h, b, h0t)
    np.testing.assert_allclose(H, Ht.detach().numpy(), rtol=1e-10, atol=1e-12)
    (Ht * torch.from_numpy(G)).sum().backward()                     # L = Σ G ⊙ H, so ∂L/∂H = G
    grads = rnn_backward(G, X, H, W_x, W_h, h0)
    for ours, theirs in [(grads.X_emb, Xt.grad), (grads.h0, h0t.grad), (grads.W_x, rnn.weight_ih_l0.grad.T),
                         (grads.W_h, rnn.weight_hh_l0.grad.T), (grads.b, rnn.bias_ih_l0.grad)]:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-11)


def test_rnn_gradient_through_time_equals_autograd_on_every_state():
    """RNNGradients.H = ∂L/∂h_t along all paths, checked on an unrolled torch loop; it vanishes for small W_h."""
    rng = np.random.default_rng(3)
    n, T, d, m = 2, 12, 3, 4
    X, W_x, b = rng.normal(size=(n, T, d)), rng.normal(size=(d, m)), rng.normal(size=m)
    W_h = 0.3 * rng.normal(size=(m, m))
    dH = np.zeros((n, T, m))
    dH[:, -1] = rng.normal(size=(n, m))                             # the loss reads only the last state
    grads = rnn_backward(dH, X, rnn_forward(X, W_x, W_h, b), W_x, W_h)
    W_xt = torch.tensor(W_x, requires_grad=True)                   # so every h_t needs a gradient
    h, states = torch.zeros(n, m, dtype=torch.float64), []
    for t in range(T):
        h = torch.tanh(torch.from_numpy(X[:, t]) @ W_xt + h @ torch.from_numpy(W_h) + torch.from_numpy(b))
        h.retain_grad()
        states.append(h)
    (states[-1] * torch.from_numpy(dH[:, -1])).sum().backward()
    np.testing.assert_allclose(grads.H, torch.stack([s.grad for s in states], dim=1).numpy(), rtol=1e-9, atol=1e-14)
    sizes = np.linalg.norm(grads.H, axis=(0, 2))
    assert sizes[0] < 1e-3 * sizes[-1]                              # vanished over 11 steps


def test_rnn_errors_name_the_argument():
    X, W_x, W_h, b = np.zeros((2, 3, 4)), np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5)
    with pytest.raises(ValueError, match=r"X_emb: expected 3-D, got array of shape \(3, 4\)"):
        rnn_forward(X[0], W_x, W_h, b)
    with pytest.raises(ValueError, match=r"W_x: expected 4 rows \(the embedding width d of X_emb\), got array of shape \(5, 5\)"):
        rnn_forward(X, W_h, W_h, b)
    with pytest.raises(ValueError, match=r"W_h: expected shape \(5, 5\) \(m = W_x's columns\), got array of shape \(4, 4\)"):
        rnn_forward(X, W_x, np.zeros((4, 4)), b)
    with pytest.raises(ValueError, match=r"b: expected 5 entries \(one per hidden unit\), got array of shape \(4,\)"):
        rnn_forward(X, W_x, W_h, b[:4])
    with pytest.raises(ValueError, match=r"h0: expected shape \(2, 5\), got array of shape \(5,\)"):
        rnn_forward(X, W_x, W_h, b, h0=np.zeros(5))
    with pytest.raises(ValueError, match=r"dH: expected shape \(2, 3, 5\) \(the shape of rnn_forward's output\)"):
        rnn_backward(np.zeros((2, 3, 4)), X, np.zeros((2, 3, 5)), W_x, W_h)
