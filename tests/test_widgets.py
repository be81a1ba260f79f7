"""Drawing functions and widget shells: the figure shows what the compute function returned."""

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")

from dlcourse import data, explorers, landscapes, widgets  # noqa: E402


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_descent_figure_draws_the_computed_paths():
    fig = widgets.DescentFigure()
    v1, v2 = fig.update(0.19, 15)
    np.testing.assert_array_equal(fig.path1.get_xdata(), v1.path[:, 0])
    np.testing.assert_array_equal(fig.path1.get_ydata(), v1.values)
    np.testing.assert_array_equal(fig.path2.get_xdata(), v2.path[:, 0])
    np.testing.assert_array_equal(fig.path2.get_ydata(), v2.path[:, 1])
    assert fig.title2.get_text() == "elongated bowl: oscillates"


def test_blitted_png_equals_a_full_redraw():
    fig = widgets.DescentFigure()
    fig.update(0.05, 10)
    first = fig.png()
    fig.update(0.3, 30)                       # move the slider: only the artists are redrawn
    blitted = fig.png()
    fresh = widgets.DescentFigure()
    fresh.update(0.3, 30)
    full = fresh.png()                        # a figure that never saw the first state
    assert _pixels(blitted).shape == _pixels(full).shape
    assert np.abs(_pixels(blitted) - _pixels(full)).max() == 0
    assert np.abs(_pixels(first) - _pixels(blitted)).max() > 0


def test_ball_restart_and_shrinkage_figures_follow_their_data():
    ball = widgets.BallFigure()
    beta, value = ball.update("wavy_1d", 3.5, 30)
    assert ball.ball.get_xdata()[0] == beta and ball.ball.get_ydata()[0] == value
    assert len(ball.trail.get_xdata()) == 31
    ball.update("wavy_1d", 3.5, 0)            # frame 0: a trail of one point
    assert len(ball.trail.get_xdata()) == 1

    r = widgets.RestartsFigure()
    view = r.update(5)
    assert r.best.get_ydata()[0] == view.best_value == min(view.final_values)
    np.testing.assert_array_equal(r.ends.get_xdata(), view.ends)

    d = data.load_diabetes()
    s = widgets.ShrinkageFigure(d.X, d.y, d.feature_names)
    beta = s.update(2.0)
    np.testing.assert_allclose([b.get_height() for b in s.bars], beta[1:])
    assert s.vline.get_xdata()[0] == 2.0


def test_learning_rate_explorer_shell_wires_slider_to_figure_and_status():
    box = widgets.learning_rate_explorer(learning_rate=0.1, n_steps=20)
    gamma, iters = box.children[0].children
    status, image = box.children[1], box.children[2]
    before = image.value
    gamma.value = 1.2
    assert "DIVERGED" in status.value
    expected = explorers.descent_view("bowl_1d", gamma.value, iters.value)
    assert expected.status in status.value
    np.testing.assert_array_equal(box.figure.path1.get_xdata(), expected.path[:, 0])
    assert image.value != before and image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_other_shells_start_and_react():
    ball = widgets.rolling_ball_explorer()
    play, frame, start, which = ball.children[0].children
    frame.value = 40
    assert "step 40" in ball.children[1].value
    which.value = "bowl_1d"
    assert "β = 0.0" in ball.children[1].value or "β = -0.0" in ball.children[1].value
    restarts = widgets.restarts_explorer()
    restarts.children[0].children[0].value = 20
    assert f"best of 20: F = {explorers.restarts_view(20).best_value:.4f}" in restarts.children[1].value


@pytest.mark.parametrize("name", ["bowl_1d", "wavy_1d"])
def test_ball_figure_ylim_covers_the_landscape(name):
    fig = widgets.BallFigure()
    fig.update(name, 1.0, 0)
    values = landscapes.LANDSCAPES[name].values(np.linspace(*landscapes.LANDSCAPES[name].domain[0], 50))
    lo, hi = fig.ax.get_ylim()
    assert lo < values.min() and hi > values.max()


def test_line_and_text_colours_have_enough_contrast_on_white():
    from dlcourse import plotting

    def reference(hex_colour):                      # WCAG 2 relative luminance, written out
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for colour in plotting.LINE_PALETTE:
        assert plotting.contrast_ratio(colour) == pytest.approx(1.05 / (reference(colour) + 0.05))
        assert plotting.contrast_ratio(colour) >= 3.0, colour
    for colour in plotting.TEXT_PALETTE:
        assert plotting.contrast_ratio(colour) >= 4.5, colour
    assert plotting.contrast_ratio("#F0E442") < 3.0          # why Okabe–Ito's yellow is not a line colour


def test_ridge_figure_has_a_distinct_style_and_legend_entry_per_coefficient():
    d = data.load_diabetes()
    s = widgets.ShrinkageFigure(d.X, d.y, d.feature_names)
    lines = [line for line in s.ax1.get_lines() if line.get_label() in d.feature_names]
    assert len({(line.get_color(), line.get_linestyle()) for line in lines}) == len(d.feature_names)
    assert [t.get_text() for t in s.ax1.get_legend().get_texts()] == list(d.feature_names)


def test_explorer_labels_are_projector_sized():
    from dlcourse import plotting

    fig = widgets.DescentFigure()
    assert fig.ax1.xaxis.label.get_size() == plotting.PROJECTOR["axes.labelsize"]
    fig.png()
    assert fig.ax1.get_xticklabels()[0].get_size() == plotting.PROJECTOR["xtick.labelsize"]


def test_a_first_figure_made_in_the_course_style_does_not_hide_later_figures(tmp_path):
    """In a real kernel: an explorer's figure first, then a plain plot, which must still show."""
    import nbformat

    from dlcourse import site

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from dlcourse.widgets import networks\nfigure = networks.SGDFigure()"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2]);")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nbformat.write(nb, tmp_path / "figures.ipynb")
    executed = site.execute(tmp_path / "figures.ipynb", timeout=120)
    shown = [o for o in executed.cells[1].outputs if "image/png" in o.get("data", {})]
    assert len(shown) == 1
