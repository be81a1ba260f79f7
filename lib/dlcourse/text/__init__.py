"""Deep learning for text (lecture 4), in numpy: from words to numbers, attention, recurrence.

* `vocabulary`  `tokenize`, `Vocabulary` (min_count, max_size, <pad>, <unk>), `bag_of_words`
                (the document-term matrix) and `encode` (padded index sequences + lengths)
* `attention`   `scaled_dot_product_attention`, `self_attention` (one head), `padding_mask`,
                `positional_encoding` (sinusoidal)
* `sparse`      `bag_of_words_sparse` (scipy CSR), `logistic_regression_sparse` (lecture 1's F(β)
                on it), `fit` (L-BFGS), `top_words`
* `rnn`         `rnn_forward` (an Elman RNN with tanh) and `rnn_backward` (backpropagation
                through time)

Only numpy is imported (scipy when a sparse matrix is built). The PyTorch versions that train live in `dlcourse.torch`; the tests check
these against PyTorch and scikit-learn.
"""

from .attention import masked_softmax, padding_mask, positional_encoding, scaled_dot_product_attention, self_attention
from .rnn import RNNGradients, rnn_backward, rnn_forward
from .sparse import (
    SparseLogisticRegression,
    bag_of_words_sparse,
    fit,
    logistic_regression_sparse,
    misclassified,
    top_words,
    validation_path,
)
from .vocabulary import PAD, PAD_INDEX, UNK, UNK_INDEX, Vocabulary, bag_of_words, encode, tokenize

__all__ = [
    "tokenize", "Vocabulary", "bag_of_words", "encode", "PAD", "UNK", "PAD_INDEX", "UNK_INDEX",
    "scaled_dot_product_attention", "masked_softmax", "padding_mask", "self_attention", "positional_encoding",
    "rnn_forward", "rnn_backward", "RNNGradients",
    "bag_of_words_sparse", "SparseLogisticRegression", "logistic_regression_sparse", "fit", "top_words",
    "validation_path", "misclassified",
]
