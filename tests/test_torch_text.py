"""dlcourse.torch.text: the models' shapes and padding, attention against PyTorch and numpy,
training that beats the majority baseline, nearest words, and the errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import text
from dlcourse.data.reviews import load_reviews
from dlcourse.torch import text as ttext


@pytest.fixture(scope="module")
def data():
    vocabulary = text.Vocabulary.from_texts(load_reviews("train").texts, min_count=2)
    return ttext.encode_reviews(vocabulary, max_len=32)


@pytest.mark.parametrize("masked", [False, True])
def test_attention_equals_torch_and_numpy(masked):
    g = torch.Generator().manual_seed(1)
    Q, K, V = (torch.randn(3, 5, 8, generator=g, dtype=torch.float64) for _ in range(3))
    mask = torch.rand(3, 5, 5, generator=g) > 0.4 if masked else None
    if masked:
        mask[..., 0] = True                                   # every query may attend somewhere
    out, weights = ttext.attention(Q, K, V, mask)
    reference = F.scaled_dot_product_attention(Q, K, V, attn_mask=mask)
    np.testing.assert_allclose(out.numpy(), reference.numpy(), atol=1e-12)
    out_np, weights_np = text.scaled_dot_product_attention(Q.numpy(), K.numpy(), V.numpy(),
                                                           None if mask is None else mask.numpy())
    np.testing.assert_allclose(weights.numpy(), weights_np, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(ttext.TEXT_MODELS))
def test_models_score_each_snippet_and_ignore_padding(kind):
    model = ttext.make_text_model(kind, 50, seed=0).eval()
    ids = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 0, 0, 0]])
    longer = torch.cat([ids, torch.zeros(2, 4, dtype=torch.int64)], dim=1)   # more padding
    with torch.no_grad():
        scores = model(ids)
        assert scores.shape == (2, 2)
        torch.testing.assert_close(model(longer), scores, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(model(ids[:1]), scores[:1], atol=1e-5, rtol=1e-5)  # rows independent


def test_gru_classifier_reads_the_state_after_the_last_real_word():
    model = ttext.make_text_model("gru", 30, seed=0).eval()
    ids = torch.tensor([[3, 4, 5, 0]])
    with torch.no_grad():
        H, _ = model.gru(model.embedding(ids[:, :3]))
        expected = model.output(H[:, -1])
        torch.testing.assert_close(model(ids), expected)


def test_transformer_attention_weights_are_rows_summing_to_one_with_zero_on_padding():
    model = ttext.make_text_model("transformer", 30, seed=0)
    ids = np.array([[3, 4, 5, 0], [6, 0, 0, 0]])
    W = ttext.attention_weights(model, ids)
    assert W.shape == (2, 4, 4)
    np.testing.assert_allclose(W.sum(-1), 1.0, atol=1e-6)
    assert np.all(W[0, :, 3] == 0) and np.all(W[1, :, 1:] == 0)


def test_training_beats_the_majority_baseline_and_is_deterministic(data):
    small = ttext.TextData(data.X_train[:1500], data.y_train[:1500], data.X_validation, data.y_validation,
                           data.X_test, data.y_test)
    majority = max(data.y_validation.float().mean().item(), 1 - data.y_validation.float().mean().item())
    runs = [ttext.train_text(ttext.make_text_model("mean-embedding", len(data.vocabulary), seed=0), small,
                             epochs=3, learning_rate=5e-3) for _ in range(2)]
    assert runs[0].history.test_accuracy == runs[1].history.test_accuracy
    assert runs[0].validation_accuracy > majority + 0.02
    assert 0.5 < runs[0].test_accuracy <= 1


def test_nearest_words_by_cosine_similarity():
    vocabulary = text.Vocabulary(words=("<pad>", "<unk>", "good", "great", "bad", "awful"))
    E = np.array([[0, 0], [1, 1], [1, 0.1], [1, 0.2], [-1, 0], [-1, -0.1]])
    assert ttext.nearest_words(E, vocabulary, ["good", "bad"], k=2) == {"good": ["great", "bad"],
                                                                          "bad": ["awful", "great"]}
    with pytest.raises(ValueError, match="words: expected words in the vocabulary"):
        ttext.nearest_words(E, vocabulary, ["nope"])
    with pytest.raises(ValueError, match="embedding: expected shape"):
        ttext.nearest_words(E[:3], vocabulary, ["good"])


def test_text_model_errors_name_the_argument():
    with pytest.raises(ValueError, match="kind: expected one of"):
        ttext.make_text_model("lstm", 10)
    with pytest.raises(TypeError, match="model: expected a TransformerClassifier"):
        ttext.attention_weights(ttext.make_text_model("gru", 10), np.zeros((1, 3), dtype=np.int64))
