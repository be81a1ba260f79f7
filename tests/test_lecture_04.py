"""Lecture 4 runs headless (smoke setting) and deterministically, its quoted numbers hold, and its
explorers compute what they claim (against torch.autograd) and redraw when a slider moves."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from dlcourse import site
from dlcourse.explorers.attention import attention_view, vanishing_gradients
from dlcourse.widgets.attention import AttentionFigure, VanishingFigure

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "lectures" / "04_text.ipynb"


def _texts(nb):
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            assert o["output_type"] != "error", o
            data = o.get("data", {})
            if "model_id" not in json.dumps(data):
                out.append(o.get("text") or data.get("text/plain", ""))
    return out


@pytest.fixture(scope="module")
def executed(executed_lecture):
    return executed_lecture(LECTURE)                 # the session's shared run of this lecture


@pytest.mark.slow
def test_lecture_4_runs_headless_and_is_deterministic(executed):
    again = site.execute(LECTURE, timeout=240)
    strip = lambda texts: [re.sub(r"\d+\.\d s|\d+ s\b", "<time>", t) for t in texts]   # timings differ
    assert strip(_texts(executed)) == strip(_texts(again))
    widget_state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = [m for m in widget_state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 2 and all(m["buffers"] for m in images)          # both explorers drew
    html = [o for c in executed.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert sum("data:image/png;base64" in o["data"]["text/html"] for o in html) == 5   # deck replay frames


@pytest.mark.slow
def test_numbers_quoted_in_the_markdown_match_the_outputs(executed):
    joined = "\n".join(_texts(executed))
    markdown = "\n".join(c.source for c in executed.cells if c.cell_type == "markdown")
    sizes = [int(s.replace(",", "")) for s in re.findall(r"\(\w+\): ([\d,]+) snippets", joined)]
    films = [int(s) for s in re.findall(r"from (\d+) films", joined)]
    assert "12,808 Rotten Tomatoes snippets about 508 films" in markdown
    assert sum(sizes) == 12_808 and sum(films) == 508
    assert "$n = 9{,}042$" in markdown and sizes[0] == 9042
    match = re.search(r"X_train: \((\d+), (\d+)\)", joined)
    assert "about 18 of the ~9,000 words" in markdown and 8500 < int(match.group(2)) < 9500
    nnz = float(re.search(r"([\d.]+)% non-zero", joined).group(1)) / 100 * int(match.group(2))
    assert 15 < nnz < 21                                                   # words per snippet
    assert "majority baseline on the test split: 60.2%" in joined
    test_acc = float(re.search(r"test accuracy ([\d.]+)%\n", joined).group(1))
    assert test_acc >= 75.0                                               # the README's aim
    assert "not bad at all" in joined and "largest difference from PyTorch" in joined
    gap = float(re.search(r"largest difference from PyTorch: ([\d.e+-]+)", joined).group(1))
    assert gap < 1e-12
    assert "np.float64" not in joined and "/tmp/" not in joined


def _torch_gradients_through_time(scale, T=40, m=32, d=16, seed=0):
    """‖∂(Σ h_T)/∂h_t‖ by torch.autograd on the same RNN (independent of rnn_backward)."""
    rng = np.random.default_rng(seed)
    W_h0, _ = np.linalg.qr(rng.normal(size=(m, m)))
    X = torch.tensor(rng.normal(size=(T, d)), requires_grad=True)
    W_x = torch.tensor(rng.normal(scale=0.3 / np.sqrt(d), size=(d, m)))
    W_h = torch.tensor(scale * W_h0)
    h, states = torch.zeros(m, dtype=torch.float64), []
    for t in range(T):
        h = torch.tanh(X[t] @ W_x + h @ W_h)
        h.retain_grad()
        states.append(h)
    h.sum().backward()
    return np.array([s.grad.norm().item() for s in states])[::-1]


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.5])
def test_vanishing_gradients_equal_autograd(scale):
    view = vanishing_gradients(scale)
    np.testing.assert_allclose(view.norm, _torch_gradients_through_time(scale), rtol=1e-10)
    assert view.distance[0] == 0 and len(view.norm) == 40
    assert view.decay == pytest.approx(view.norm[-1] / view.norm[0])


def test_vanishing_regimes_follow_the_scale():
    assert vanishing_gradients(0.5).regime == "vanishes"
    assert vanishing_gradients(1.0).regime == "survives"
    assert vanishing_gradients(3.0).regime == "explodes"
    with pytest.raises(ValueError, match="scale"):
        vanishing_gradients(-1.0)


def test_attention_view_renormalizes_rows_and_names_the_top_word():
    W = np.array([[0.1, 0.7, 0.2, 0.0], [0.5, 0.25, 0.25, 0.0], [0.2, 0.2, 0.6, 0.0], [1 / 3, 1 / 3, 1 / 3, 0.0]])
    view = attention_view(W, ["not", "bad", "at"], query=0)
    np.testing.assert_allclose(view.weights.sum(1), 1.0)
    np.testing.assert_allclose(view.row, [0.1, 0.7, 0.2])
    assert view.top == "bad" and "“not” attends most to “bad”" in view.status
    with pytest.raises(ValueError, match="query: expected a word index 0..2"):
        attention_view(W, ["not", "bad", "at"], query=3)
    with pytest.raises(ValueError, match="weights: expected a square array"):
        attention_view(W[:2, :2], ["not", "bad", "at"], query=0)


def test_explorer_figures_redraw_when_a_slider_moves():
    fig = VanishingFigure()
    fig.update(0.5)
    first = fig.png()
    fig.update(2.0)
    assert fig.png() != first and "explodes" in fig.title.get_text() or "survives" in fig.title.get_text()
    rng = np.random.default_rng(0)
    weights = [rng.dirichlet(np.ones(6), size=6) for _ in range(2)]
    tokens = [["a", "b", "c", "d", "e", "f"], ["g", "h", "i", "j", "k", "l"]]
    att = AttentionFigure(weights, tokens)
    att.update(0, 0)
    first = att.png()
    view = att.update(0, 3)
    assert att.png() != first and view.query == 3
    assert [b.get_height() for b in att.bars[:6]] == pytest.approx(list(weights[0][3] / weights[0][3].sum()))
    att.update(1, 0)
    assert [t.get_text() for t in att.ax1.get_yticklabels()] == tokens[1]
