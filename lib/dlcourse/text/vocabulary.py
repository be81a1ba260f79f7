"""From text to numbers: tokens, a vocabulary, the bag of words and padded index sequences.

    tokenize("It's NOT bad -- it's good!")  ->  ["it's", "not", "bad", "it's", "good"]

A `Vocabulary` is learned from the training texts only (building it on test texts leaks them).
Index 0 is the padding token "<pad>", index 1 the unknown-word token "<unk>" that every word
outside the vocabulary maps to; the words follow from the most to the least frequent.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .._validation import positive_int

PAD, UNK = "<pad>", "<unk>"
PAD_INDEX, UNK_INDEX = 0, 1

# A token is a run of letters or digits (any alphabet, no underscore), possibly joined by
# apostrophes inside it: "it's", "don't", "rock'n'roll". Quotes around a word are dropped.
TOKEN_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def _as_texts(texts, name="texts"):
    if isinstance(texts, str):
        raise TypeError(f"{name}: expected a list of strings, got one str (wrap a single text in a list)")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"{name}: expected a list of strings, got {type(texts).__name__}") from None
    bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
    if bad:
        raise TypeError(f"{name}: expected a list of strings, got {len(bad)} entries of type {bad[0]}")
    return texts


def tokenize(text):
    """Lowercase `text` and return its words: letters/digits, with apostrophes inside a word kept.

    The typographic apostrophe ’ counts as ' ("it’s" -> "it's"); punctuation, hyphens and
    quotes split or vanish ("well-made" -> "well", "made").
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    return TOKEN_PATTERN.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True, repr=False)
class Vocabulary:
    """Words ↔ indices.  words[i] is the word with index i; words[0] = "<pad>", words[1] = "<unk>".

    Build one with `Vocabulary.from_texts(train_texts, min_count=..., max_size=...)`.
    counts[i] is how often words[i] occurred in the texts it was built from (0 for the two
    special tokens).
    """

    words: tuple
    counts: tuple = ()
    index: dict = field(init=False, compare=False)

    def __post_init__(self):
        if tuple(self.words[:2]) != (PAD, UNK):
            raise ValueError(f"words: expected ('{PAD}', '{UNK}', ...) first, got {tuple(self.words[:2])}")
        if len(set(self.words)) != len(self.words):
            raise ValueError("words: expected each word once, got duplicates")
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def from_texts(cls, texts, *, min_count=1, max_size=None):
        """The words that occur at least `min_count` times in `texts` (total count, not documents).

        max_size caps len(vocabulary), the two special tokens included, by keeping the most
        frequent words. Ties in count are ordered alphabetically, so the result is deterministic.
        """
        texts = _as_texts(texts)
        min_count = positive_int(min_count, "min_count")
        if max_size is not None and (positive_int(max_size, "max_size") < 3):
            raise ValueError(f"max_size: expected an integer >= 3 (<pad>, <unk> and a word), got {max_size!r}")
        counts = Counter(token for text in texts for token in tokenize(text))   # never "<pad>"/"<unk>"
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        if max_size is not None:
            kept = kept[:max_size - 2]
        return cls(words=(PAD, UNK, *kept), counts=(0, 0, *(counts[w] for w in kept)))

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    def index_of(self, word):
        """The index of `word`, or 1 (<unk>) when it is not in the vocabulary."""
        return self.index.get(word, UNK_INDEX)

    def indices(self, tokens):
        """[index_of(t) for t in tokens]."""
        return [self.index.get(t, UNK_INDEX) for t in tokens]

    def words_of(self, indices):
        """The words with these indices (the inverse of `indices`, up to unknown words)."""
        return [self.words[int(i)] for i in np.asarray(indices).ravel()]

    def __repr__(self):
        return f"<Vocabulary: {len(self) - 2:,} words + {PAD}, {UNK}>"


def bag_of_words(texts, vocabulary, *, dtype=np.float64):
    """The document-term matrix: X[i, j] = how often word j occurs in text i.   Shape (n, V).

    V = len(vocabulary). Column 1 (<unk>) counts the tokens outside the vocabulary; column 0
    (<pad>) is always 0. The matrix is dense: 9,042 training snippets × 9,130 words (min_count=2)
    take 660 MB in float64, half in float32. For a sparse matrix with the same columns (except
    <unk>, left 0) use scikit-learn:
    ``CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, vocabulary=vocabulary.index)``.
    """
    texts = _as_texts(texts)
    if not isinstance(vocabulary, Vocabulary):
        raise TypeError(f"vocabulary: expected a Vocabulary, got {type(vocabulary).__name__}")
    X = np.zeros((len(texts), len(vocabulary)), dtype=dtype)   # (n, V)
    for i, text in enumerate(texts):
        X[i] = np.bincount(vocabulary.indices(tokenize(text)), minlength=len(vocabulary))
    return X


def encode(texts, vocabulary, max_len=None):
    """Texts as padded rows of word indices, for embeddings, RNNs and attention.

    Returns
    -------
    ids : (n, max_len) int64      ids[i, :lengths[i]] are text i's first tokens; the rest is 0 (<pad>)
    lengths : (n,) int64          number of real tokens per row, min(#tokens, max_len)

    Texts longer than max_len are cut after max_len tokens; max_len=None uses the longest text.
    """
    texts = _as_texts(texts)
    if not isinstance(vocabulary, Vocabulary):
        raise TypeError(f"vocabulary: expected a Vocabulary, got {type(vocabulary).__name__}")
    rows = [vocabulary.indices(tokenize(text)) for text in texts]
    if max_len is None:
        max_len = max((len(r) for r in rows), default=0)
    else:
        max_len = positive_int(max_len, "max_len")
    ids = np.full((len(rows), max_len), PAD_INDEX, dtype=np.int64)   # (n, max_len)
    lengths = np.zeros(len(rows), dtype=np.int64)                     # (n,)
    for i, row in enumerate(rows):
        row = row[:max_len]
        ids[i, :len(row)] = row
        lengths[i] = len(row)
    return ids, lengths


__all__ = ["tokenize", "Vocabulary", "bag_of_words", "encode", "PAD", "UNK", "PAD_INDEX", "UNK_INDEX",
           "TOKEN_PATTERN"]
