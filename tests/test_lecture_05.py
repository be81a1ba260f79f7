"""Lecture 5 (unit review): runs headless and deterministically, and every claim in its prose holds.

The notebook runs in its smoke configuration (DLCOURSE_SMOKE=1, set in conftest.py: 2 splits instead of
10). The tabular comparison's numbers are recomputed here independently: ridge by its closed form with a
hand-written cross-validation, lasso by scikit-learn's LassoCV (coordinate-descent path), on the same splits.
"""

import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dlcourse import data, graphs, networks, review, site, tabular  # noqa: E402
from dlcourse.widgets import review as review_figures  # noqa: E402

from .test_lectures import _markdown, _text_outputs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "lectures" / "05_review.ipynb"
SEED, SMOKE_SPLITS = 4710, 2
TIMES = [r"\d+\.\d+ s\b", r"\d+× as long"]            # fitting times differ from run to run


@pytest.fixture(scope="module")
def runs(executed_lecture):
    return [executed_lecture(LECTURE), site.execute(LECTURE, timeout=300)]     # the shared run, and a second


@pytest.fixture(scope="module")
def text(runs):
    return "\n".join(_text_outputs(runs[0]))


def _masked(texts):
    out = []
    for t in texts:
        for pattern in TIMES:
            t = re.sub(pattern, "<time>", t)
        out.append(t)
    return out


def _table(text):
    """{model: (mean RMSE, sd, R², seconds)} from the printed table."""
    rows = re.findall(r"^\s*(ridge|lasso|random forest|network)\s+([\d.]+) ±\s+([\d.]+)\s+([\d.-]+)\s+([\d.]+) s$",
                      text, flags=re.M)
    assert len(rows) == 4, text
    return {name: tuple(map(float, rest)) for name, *rest in rows}


@pytest.mark.slow
def test_runs_twice_with_the_same_numbers_and_clean_outputs(runs):
    a, b = (_masked(_text_outputs(nb)) for nb in runs)
    assert a == b
    joined = "\n".join(a)
    assert "nan" not in joined.lower() and "np.float64(" not in joined and "/tmp/" not in joined
    state = runs[0].metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 2 and all(m["buffers"] for m in images)        # the two live explorers drew
    figures = [o for c in runs[0].cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    frames = [o for c in runs[0].cells for o in c.get("outputs", []) if "data:image/png" in o.get("data", {}).get("text/html", "")]
    assert len(figures) == 5 and len(frames) == 12                       # 4 graphs + the chart; 12 replay frames


def _independent_ridge_rmse(X, y, train, test, alphas, seed):
    """sklearn's Ridge(alpha) objective ‖y − b − Xw‖² + α‖w‖², solved in closed form; α by 5-fold CV by hand."""
    from sklearn.model_selection import KFold  # only for the fold indices, the same folds as the notebook

    def fit(Xa, ya, alpha):
        xm, ym = Xa.mean(axis=0), ya.mean()
        w = np.linalg.solve((Xa - xm).T @ (Xa - xm) + alpha * np.eye(Xa.shape[1]), (Xa - xm).T @ (ya - ym))
        return w, ym - xm @ w

    Xt, yt = X[train], y[train]
    cv = []
    for alpha in alphas:
        errors = []
        for a, b in KFold(5, shuffle=True, random_state=seed).split(Xt):
            w, b0 = fit(Xt[a], yt[a], alpha)
            errors.append(np.mean((yt[b] - b0 - Xt[b] @ w) ** 2))
        cv.append(np.mean(errors))
    w, b0 = fit(Xt, yt, alphas[int(np.argmin(cv))])
    return np.sqrt(np.mean((y[test] - b0 - X[test] @ w) ** 2))


@pytest.mark.slow
def test_tabular_table_matches_independent_refits(text):
    from sklearn.linear_model import LassoCV
    from sklearn.model_selection import KFold

    table = _table(text)
    diabetes = data.load_diabetes()
    X, y = diabetes.X, diabetes.y
    parts = tabular.splits(len(y), n_splits=SMOKE_SPLITS, seed=SEED)
    ridge = [_independent_ridge_rmse(X, y, tr, te, tabular.MODELS["ridge"][2], SEED) for tr, te in parts]
    lasso = []
    for tr, te in parts:
        m = LassoCV(alphas=list(tabular.MODELS["lasso"][2]), cv=KFold(5, shuffle=True, random_state=SEED),
                    max_iter=50_000).fit(X[tr], y[tr])
        lasso.append(np.sqrt(np.mean((y[te] - m.predict(X[te])) ** 2)))
    assert table["ridge"][:2] == pytest.approx((round(np.mean(ridge), 1), round(np.std(ridge), 1)), abs=0.051)
    assert table["lasso"][0] == pytest.approx(np.mean(lasso), abs=0.06)
    baseline = [np.sqrt(np.mean((y[te] - y[tr].mean()) ** 2)) for tr, te in parts]
    mean_only = float(re.search(r"mean only\s+([\d.]+) ±", text)[1])
    assert mean_only == pytest.approx(np.mean(baseline), abs=0.051)
    r2_ridge = 1 - np.mean(np.array(ridge) ** 2 / np.array(baseline) ** 2)
    assert table["ridge"][2] == pytest.approx(r2_ridge, abs=0.006)
    assert f"{SMOKE_SPLITS} random splits of 332 training / 110 test observations" in text


@pytest.mark.slow
def test_what_the_table_says_is_true_of_the_printed_numbers(runs, text):
    prose = _markdown(runs[0])
    table = _table(text)
    best_linear = min(table["ridge"][0], table["lasso"][0])
    gap, spread = map(float, re.search(r"network − best linear model \(\w+\): ([+-][\d.]+); the typical "
                                       r"split-to-split spread \(mean sd\): ([\d.]+)", text).groups())
    assert gap == pytest.approx(table["network"][0] - best_linear, abs=0.11)
    assert spread == pytest.approx(np.mean([row[1] for row in table.values()]), abs=0.051)
    # "the network predicts no better than ridge and lasso: the gap is smaller than the spread"
    assert "no better" in prose and abs(gap) < spread
    # "The forest is no better either."
    assert "forest is no better" in prose and table["random forest"][0] >= best_linear
    # "The network costs several times the fitting time"
    assert "several times the fitting time" in prose
    assert table["network"][3] > 3 * max(table["ridge"][3], table["lasso"][3])
    assert "442 patients" in prose and data.load_diabetes().X.shape == (442, 10)


@pytest.mark.slow
def test_recipe_attention_and_practice_outputs(text):
    rows = re.findall(r"(logistic regression|network, 16 hidden units):\s+(\d+) parameters, F\(β\) ([\d.]+) → "
                      r"([\d.]+), test accuracy ([\d.]+)%", text)
    assert [(r[0], int(r[1])) for r in rows] == [("logistic regression", 31),
                                                 ("network, 16 hidden units", networks.Network(30, hidden=(16,)).n_params)]
    for _, _, before, after, accuracy in rows:
        assert float(after) < float(before) / 4 and float(accuracy) > 90
    same, different = re.search(r"differ by ([\d.e+-]+); with positions by ([\d.]+)", text).groups()
    assert float(same) == 0 and float(different) > 0.1
    assert text.count("not answered yet") == 5 and text.count("✓ correct") == 5 and "✗" not in text


# --- the library behind the lecture, headless ------------------------------------------------------------

def test_toy_self_attention_against_torch(torch):
    tokens = "the film is good and the acting is good".split()
    for positions in (False, True):
        W = review.toy_self_attention(tokens, positions=positions, seed=3)
        rng = np.random.default_rng(3)
        vectors = dict(zip(sorted(set(tokens)), rng.normal(size=(len(set(tokens)), 16))))
        X = torch.tensor(np.array([vectors[t] for t in tokens]))
        if positions:                                    # the sinusoids, written out independently
            t, i = np.arange(len(tokens))[:, None], np.arange(0, 16, 2)[None, :]
            PE = np.zeros((len(tokens), 16))
            PE[:, 0::2], PE[:, 1::2] = np.sin(t / 10000 ** (i / 16)), np.cos(t / 10000 ** (i / 16))
            X = X + 2.0 * torch.tensor(PE)
        expected = torch.softmax(X @ X.T / 4.0, dim=1).numpy()
        np.testing.assert_allclose(W, expected, atol=1e-12)
    bag = review.toy_self_attention(tokens)
    np.testing.assert_array_equal(bag[3], bag[8])
    with pytest.raises(ValueError, match=r"tokens: expected at least two words, got \['good'\]"):
        review.toy_self_attention(["good"])


def test_practice_answers_against_independent_computations(torch):
    P = review.PRACTICE
    out = torch.nn.functional.conv2d(torch.zeros(1, 1, 28, 28), torch.zeros(1, 1, 5, 5), padding=2, stride=2)
    assert P["conv_output_size"].answer == out.shape[-1]
    mlp = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 1))
    assert P["network_parameters"].answer == sum(p.numel() for p in mlp.parameters())
    beta = torch.zeros(1, requires_grad=True, dtype=torch.float64)
    opt = torch.optim.SGD([beta], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (2 * (beta - 1) ** 2).sum().backward()
        opt.step()
    assert P["gradient_descent_steps"].answer == pytest.approx(beta.item(), abs=1e-12)
    letters = {"a": 0.2, "b": 0.45, "c": 0.55}
    diverging = [k for k, g in letters.items() if abs(1 - 4 * g) ** 50 > 1]       # |β_t − 1| grows
    assert diverging == [P["largest_learning_rate"].answer]
    q, K = torch.tensor([1.0, 0.0]), torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(P["attention_weights"].answer, torch.softmax(K @ q / 2 ** 0.5, 0).numpy(), rtol=1e-6)


def test_self_check_messages():
    assert review.self_check("conv_output_size", None) == "conv_output_size: not answered yet"
    assert review.self_check("conv_output_size", 14.0) == "conv_output_size: ✓ correct"
    assert review.self_check("largest_learning_rate", " C ") == "largest_learning_rate: ✓ correct"
    assert review.self_check("conv_output_size", 15).startswith("conv_output_size: ✗ not yet. Hint: ⌊")
    assert "expected a number or an array of numbers, got str" in review.self_check("network_parameters", "897x")
    assert review.self_check("attention_weights", [0.4, 0.2, 0.4]).endswith("Hint: softmax of q·k_j/√d over the keys j; "
                                                                              "they add up to 1")
    with pytest.raises(ValueError, match=r"key: expected one of \['conv_output_size'"):
        review.self_check("q9", 1)


def test_unit_models_draw_with_their_captions():
    models = review.unit_models()
    assert list(models) == ["lecture 1: logistic regression", "lecture 2: a hidden layer",
                            "lecture 3: a convolutional network", "lecture 4: a transformer encoder"]
    captions = [c for _, c in graphs.graph_layout(models["lecture 4: a transformer encoder"], max_units=4).captions]
    assert any("self-attention" in c for c in captions) and captions[-1] == "output"
    cnn = [c for _, c in graphs.graph_layout(models["lecture 3: a convolutional network"], max_units=4).captions]
    assert "16×14×14" in cnn[1] and "32×7×7" in cnn[2]
    fig = review_figures.draw_models({"rnn": review_figures.RNN, "logistic": models["lecture 1: logistic regression"]})
    assert [ax.get_title() for ax in fig.axes] == ["rnn", "logistic"]


def test_comparison_splits_validation_and_chart():
    parts = tabular.splits(40, n_splits=3, test_size=0.25, seed=1)
    for train, test in parts:
        assert len(test) == 10 and sorted(np.concatenate([train, test]).tolist()) == list(range(40))
    assert not np.array_equal(parts[0][1], parts[1][1])
    with pytest.raises(ValueError, match=r"test_size: expected a share in \(0, 1\), got 1.5"):
        tabular.splits(40, test_size=1.5)
    X = np.random.default_rng(0).normal(size=(60, 3))
    with pytest.raises(ValueError, match=r"X, y: expected X \(n, p\) and y \(n,\), got shapes \(60, 3\) and \(59,\)"):
        tabular.compare(X, np.zeros(59))
    with pytest.raises(ValueError, match=r"models: expected names from \['ridge', 'lasso', 'random forest', "
                                          r"'network'\], got 'svm'"):
        tabular.compare(X, np.zeros(60), models=("svm",))
    y = X @ np.array([3.0, 0.0, -2.0]) + np.random.default_rng(1).normal(scale=0.1, size=60)
    small = tabular.compare(X, y, models=("ridge", "lasso"), n_splits=2, cv=3, seed=0)
    assert small.ranking()[0] in ("ridge", "lasso") and small.results["lasso"].mean_rmse < 0.2
    with pytest.raises(ValueError, match=r"summary: needs the models \['lasso', 'network', 'ridge'\]"):
        small.summary()
    fig = review_figures.comparison_chart(small)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
