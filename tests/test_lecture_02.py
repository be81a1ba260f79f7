"""Lecture 2 (neural networks): runs headless, is deterministic, and every claim in its prose holds.

The notebook runs in its smoke configuration (DLCOURSE_SMOKE=1, set in conftest.py); the explorers'
compute and figures are tested directly, without a browser.
"""

import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dlcourse import data, networks, site  # noqa: E402
from dlcourse.explorers import networks as explore  # noqa: E402
from dlcourse.widgets import networks as figures  # noqa: E402

from .test_lectures import _markdown, _text_outputs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "lectures" / "02_neural_networks.ipynb"


@pytest.fixture(scope="module")
def runs(executed_lecture):
    return [executed_lecture(LECTURE), site.execute(LECTURE, timeout=300)]     # the shared run, and a second


@pytest.fixture(scope="module")
def text(runs):
    return "\n".join(_text_outputs(runs[0]))


def _number(pattern, text):
    found = re.search(pattern, text)
    assert found, f"not in the outputs: {pattern}"
    return [float(g.replace(",", "")) for g in found.groups()]


@pytest.mark.slow
def test_runs_twice_with_the_same_numbers(runs):
    a, b = (_text_outputs(nb) for nb in runs)
    assert a == b and "nan" not in "\n".join(a).lower()


@pytest.mark.slow
def test_parameter_counts_quoted_in_the_prose(runs, text):
    prose = _markdown(runs[0])
    assert "$(p+1)H + (H+1) = 4\\cdot 4 + 5 = 21$" in prose and "21" in _text_outputs(runs[0])
    softmax, network, deeper = (_number(rf"{name}\s+([\d,]+) parameters", text)[0]
                                for name in ("softmax regression", "784 → 128 → 10", "784 → 128 → 64 → 10"))
    assert (softmax, network, deeper) == (785 * 10, 785 * 128 + 129 * 10, 785 * 128 + 129 * 64 + 65 * 10)
    assert "13 times as many parameters" in prose and round(network / softmax) == 13


@pytest.mark.slow
def test_linear_units_collapse_and_backprop_claims(text):
    gap, before, after = _number(r"largest difference in Z: ([\d.e+-]+)\s+\((\d+) parameters → (\d+)\)", text)
    assert gap < 1e-12 and (before, after) == (41, 4)
    engine = re.findall(r"autograd   : \[(.*)\]", text)
    formula = re.findall(r"\(p̂ − Y\)X_j : \[(.*)\]", text)
    vectorized = re.findall(r"vectorized : \[(.*)\]", text)
    assert len(engine) == len(vectorized) == 2 and len(formula) == 1
    assert engine[0].split() == formula[0].split() == vectorized[0].split()      # one feature, Y = 1
    assert engine[1].split() == vectorized[1].split() and len(engine[1].split()) == 3   # the full loss
    forward, backward, ratio = _number(r"forward ([\d,]+) multiply-adds, backward ([\d,]+) \(([\d.]+)× forward\)", text)
    assert forward < backward <= 2 * forward and ratio <= 2


@pytest.mark.slow
def test_the_network_beats_softmax_regression_on_the_same_split(text):
    softmax = _number(r"softmax regression\s+test accuracy ([\d.]+)%", text)[0]
    network = _number(r"784 → 128 → 10 network\s+test accuracy ([\d.]+)%", text)[0]
    assert network > softmax > 80


@pytest.mark.slow
def test_non_convexity_claims(text):
    f1, f2, distance = _number(r"two seeds: F = ([\d.]+) and ([\d.]+); relative distance ([\d.]+)", text)
    assert max(f1, f2) < 2 * min(f1, f2) and distance > 0.5           # similar F, very different β
    permuted, halfway = _number(r"units permuted: F = ([\d.]+);  halfway: F = ([\d.]+)", text)
    assert permuted == f1 and halfway > f1                            # same function; the chord rises


@pytest.mark.slow
def test_overfitting_claims(text):
    rows = re.findall(r"λ = (\S+)\s+training loss at the end ([\d.]+); validation loss lowest after epoch (\d+) "
                      r"\(([\d.]+)\), at the end ([\d.]+)", text)
    (lam0, train0, best0, low0, end0), (lam1, _, _, low1, end1) = [(float(r[0]), *map(float, r[1:])) for r in rows]
    assert (lam0, lam1) == (0.0, 0.01)
    assert best0 < 40 and end0 > low0 and train0 < 0.1             # training falls, validation rises again
    assert end1 - low1 < end0 - low0                                 # weight decay: it rises much less


@pytest.mark.slow
def test_dropout_and_pytorch_claims(runs, text):
    kept = [float(v) for v in re.search(r"share kept \[([\d. ]+)\]", text).group(1).split()]
    assert all(abs(k - 0.5) < 0.02 for k in kept)
    assert _number(r"largest \|β_numpy − β_torch\| after 2 epochs: ([\d.e+-]+)", text)[0] < 1e-10
    assert "device: cpu" in text
    state = runs[0].metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 3 and all(m["buffers"] for m in images)     # three explorers drew a figure


# --- the explorers' compute and figures, headless --------------------------------------------------------

def test_curve_fit_view_sums_its_units_and_improves_with_more_units():
    one, four = explore.curve_fit_view(1), explore.curve_fit_view(4)
    np.testing.assert_allclose(four.intercept + four.contributions.sum(axis=0), four.fit, atol=1e-12)
    assert four.contributions.shape == (4, four.x.size) and four.loss < 0.5 * one.loss
    # the fit is the network's own prediction
    curve = data.make_curve(seed=0)
    _, F, beta = explore._curve_fit(4, "tanh", 0)
    np.testing.assert_allclose(np.interp(curve.X[:, 0], four.x, four.fit), F.predict(curve.X, beta), atol=2e-3)
    with pytest.raises(ValueError, match=r"activation: expected one of \['tanh', 'relu', 'sigmoid'\], got 'elu'"):
        explore.curve_fit_view(2, "elu")


def test_boundary_view_network_beats_logistic_regression_on_the_moons():
    view = explore.boundary_view(4)
    assert view.accuracy_network > view.accuracy_logistic + 0.05
    assert view.unit_lines.shape == (4, 3) and view.p_network.shape == view.g1.shape
    assert ((view.p_logistic > 0.5) == (view.p_logistic > 0.5)).all() and 0 < view.p_network.min() < 0.5


def test_sgd_view_noise_shrinks_with_the_batch_and_gd_is_deterministic():
    F = explore.sgd_objective()
    small, large = explore.sgd_view(1, 0.5), explore.sgd_view(128, 0.5)
    np.testing.assert_array_equal(small.gd_path, large.gd_path)          # GD does not depend on the batch size
    assert small.sgd_path.shape == (61, 2) and not small.diverged
    jitter = [np.abs(np.diff(v.sgd_values[30:])).mean() for v in (small, large)]
    assert jitter[0] > 3 * jitter[1]
    full = explore.sgd_view(F.n, 0.5)
    np.testing.assert_allclose(full.sgd_path, full.gd_path, atol=1e-12)   # one batch of all n is gradient descent
    assert explore.sgd_view(4, 20.0).diverged or explore.sgd_view(4, 20.0).sgd_values[-1] > small.sgd_values[-1]


def test_gradient_spread_follows_the_sampling_formula():
    sizes, measured, theory = explore.gradient_spread([1, 8, 64], n_draws=300)
    assert np.all(np.abs(np.log(measured / theory)) < 0.3) and np.all(np.diff(measured) < 0)


def test_figures_draw_and_change_with_their_sliders():
    for figure, first, second in [(figures.CurveFitFigure(), dict(n_hidden=1), dict(n_hidden=4)),
                                  (figures.BoundaryFigure(), dict(n_hidden=1), dict(n_hidden=3)),
                                  (figures.SGDFigure(), dict(batch_size=1, learning_rate=0.5),
                                   dict(batch_size=64, learning_rate=0.5))]:
        figure.update(**first)
        a = figure.png()
        figure.update(**second)
        b = figure.png()
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and a != b
        texts = [t.get_text() for t in figure.fig.findobj(matplotlib.text.Text)]
        assert any(t.strip() for t in texts)
        for ax in figure.fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()                    # every axis labelled


def test_networks_helpers_used_by_the_lecture(rng):
    model = networks.Network(3, hidden=(4,), n_outputs=2)
    beta = model.init(seed=1)
    X = rng.normal(size=(6, 3))
    with pytest.raises(ValueError, match=r"order: expected a permutation of the 4 units of hidden layer 0"):
        networks.permute_hidden(model, beta, [0, 1, 2])
    np.testing.assert_allclose(model.scores(X, networks.permute_hidden(model, beta, [3, 1, 0, 2])),
                               model.scores(X, beta), atol=1e-14)
    out, keep = networks.dropout(np.ones((4000, 2)), 0.25, seed=0)
    assert set(np.unique(out)) == {0.0, 1 / 0.75} and abs(keep.mean() - 0.75) < 0.03
    with pytest.raises(ValueError, match=r"p: expected a probability in \[0, 1\), got 1"):
        networks.dropout(np.ones(3), 1)
    forward, backward = networks.pass_costs(model, 10)
    assert forward == 10 * (4 * 4 + 5 * 2) and backward == forward + 10 * 4 * 2
