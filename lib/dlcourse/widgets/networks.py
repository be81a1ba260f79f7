"""Lecture 2's explorers (figures and shells): hidden units on a curve, a curved boundary, SGD's noise.

The pure compute is in `dlcourse.explorers.networks`; the machinery in `dlcourse.widgets.base`.
"""

import threading

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

from ..explorers import networks as compute
from ..plotting import BLACK, BLUE, GREEN, ORANGE, PALETTE, VERMILION
from .base import BlitFigure, shell

MAX_UNITS = 10
UNIT_COLOURS = [PALETTE[i % 6 + 1] for i in range(MAX_UNITS)]   # skip blue: it draws the fit


class CurveFitFigure(BlitFigure):
    """The data, the network's fit Ŷ(x) and each hidden unit's contribution v_k·A_k(x)."""

    projector = True

    def __init__(self):
        self.fig, self.ax = plt.subplots(figsize=(11, 4.8))
        first = compute.curve_fit_view(1)
        self.ax.plot(first.X, first.y, "o", color="0.55", ms=5, label="data", zorder=1)
        self.units = [self.ax.plot([], [], "--", lw=1.6, color=c, zorder=2)[0] for c in UNIT_COLOURS]
        self.fit, = self.ax.plot([], [], color=BLUE, lw=3.5, label=r"fit $\hat Y = v_0 + \sum_k v_k A_k$", zorder=3)
        self.units[0].set_label(r"one unit's part $v_k A_k(X)$")
        self.ax.set_xlim(-3.2, 3.2), self.ax.set_ylim(-3.5, 3.5)
        self.ax.set_xlabel("$X$"), self.ax.set_ylabel("$Y$")
        self.ax.legend(loc="upper left")
        self.title = self.ax.set_title(" ")
        self._finish([*self.units, self.fit, self.title])

    def update(self, n_hidden, activation="tanh"):
        view = compute.curve_fit_view(min(n_hidden, MAX_UNITS), activation)
        for k, line in enumerate(self.units):
            line.set_data(*((view.x, view.contributions[k]) if k < view.n_hidden else ([], [])))
        self.fit.set_data(view.x, view.fit)
        self.title.set_text(view.status)
        return view


class BoundaryFigure(BlitFigure):
    """Two moons: logistic regression's straight boundary (left) and a network's (right), with its units' lines."""

    projector = True

    def __init__(self):
        self.fig, (self.ax1, self.ax2) = plt.subplots(1, 2, figsize=(13, 5))
        first = compute.boundary_view(1)
        extent = (first.g1.min(), first.g1.max(), first.g2.min(), first.g2.max())
        for ax in (self.ax1, self.ax2):
            ax.set_xlim(extent[:2]), ax.set_ylim(extent[2:])
            ax.set_xlabel("$X_1$"), ax.set_ylabel("$X_2$"), ax.grid(False)
        self.ax1.imshow(first.p_logistic, origin="lower", extent=extent, cmap="PuOr", vmin=0, vmax=1, alpha=0.35,
                        aspect="auto")
        self.ax1.contour(first.g1, first.g2, first.p_logistic, levels=[0.5], colors=BLACK, linewidths=2.5)
        self.ax1.set_title(f"logistic regression: accuracy {first.accuracy_logistic:.0%}")
        self.image = self.ax2.imshow(first.p_network, origin="lower", extent=extent, cmap="PuOr", vmin=0, vmax=1,
                                     interpolation="nearest",
                                     alpha=0.35, aspect="auto")
        for ax in (self.ax1, self.ax2):
            for k, (colour, marker) in enumerate(((ORANGE, "o"), (BLUE, "s"))):
                pts = first.X[first.y == k]
                ax.plot(pts[:, 0], pts[:, 1], marker, color=colour, ms=5, mec="white", mew=0.5,
                        label=f"class {k}", ls="none")
        self.lines = [self.ax2.plot([], [], "--", color=GREEN, lw=1.8)[0] for _ in range(MAX_UNITS)]
        self.lines[0].set_label("a hidden unit's line $w_k \\cdot X + b_k = 0$")
        self.ax1.plot([], [], color=BLACK, lw=2.5, label=r"boundary $\hat p = 1/2$")
        self.fig.legend(handles=[*self.ax1.get_legend_handles_labels()[0], self.lines[0]], loc="lower center",
                        ncol=4, fontsize=16, frameon=False)
        self.title = self.ax2.set_title(" ")
        self.extent = extent
        self.boundary = LineCollection([], colors=BLACK, linewidths=2.5)   # the level set p̂ = 1/2
        self.ax2.add_collection(self.boundary)
        self.fig.tight_layout(rect=(0, 0.08, 1, 1))
        self._finish([self.image, *self.lines, self.boundary, self.title], layout=False)

    def update(self, n_hidden):
        view = compute.boundary_view(min(n_hidden, MAX_UNITS))
        self.image.set_data(view.p_network)
        x = np.array(self.extent[:2])
        for k, line in enumerate(self.lines):
            if k < view.n_hidden:
                w1, w2, b = view.unit_lines[k]
                line.set_data(x, -(w1 * x + b) / w2 if abs(w2) > 1e-9 else [np.nan, np.nan])
            else:
                line.set_data([], [])
        self.boundary.set_segments(_level_set(view.g1, view.g2, view.p_network, 0.5))
        self.title.set_text(f"network, {view.n_hidden} hidden unit{'s' * (view.n_hidden > 1)}: "
                            f"accuracy {view.accuracy_network:.0%}")
        return view


def _level_set(g1, g2, values, level):
    """The curves where `values` (on the grid g1, g2) crosses `level`, as line segments (contourpy)."""
    import contourpy

    return contourpy.contour_generator(g1, g2, values, line_type="Separate").lines(level)


class SGDFigure(BlitFigure):
    """Gradient descent vs SGD on F(β0, β1): the paths on the contours (left), F after each step (right)."""

    projector = True

    WINDOW = ((-3.0, 3.5), (-5.0, 2.0))

    def __init__(self, n_steps=60):
        self.n_steps = n_steps
        self.fig, (self.ax1, self.ax2) = plt.subplots(1, 2, figsize=(13, 5))
        F = compute.sgd_objective()
        b0, b1 = np.meshgrid(np.linspace(*self.WINDOW[0], 90), np.linspace(*self.WINDOW[1], 90))
        values = np.array([F.value(np.array([a, b])) for a, b in zip(b0.ravel(), b1.ravel())]).reshape(b0.shape)
        self.ax1.contour(b0, b1, values, levels=np.quantile(values, np.linspace(0.02, 0.9, 14)), cmap="viridis",
                         linewidths=1.2)
        best = compute.sgd_view(len(F.y), 1.0).minimum
        self.ax1.plot(*best, "*", color=BLACK, ms=16, label=r"minimum $\hat\beta$")
        self.ax1.plot(*compute.SGD_START, "o", color=BLACK, ms=8, label="start")
        self.gd_path, = self.ax1.plot([], [], "o-", color=BLUE, lw=2, ms=4, label="gradient descent")
        self.sgd_path, = self.ax1.plot([], [], ".-", color=VERMILION, lw=1.2, ms=5, label="SGD")
        self.ax1.set_xlim(*self.WINDOW[0]), self.ax1.set_ylim(*self.WINDOW[1])
        self.ax1.set_xlabel(r"$\beta_0$ (intercept)"), self.ax1.set_ylabel(rf"$\beta_1$ ({compute.SGD_FEATURE})")
        self.ax1.legend(loc="lower left", fontsize=15)
        self.F_best = F.value(best)
        self.gd_values, = self.ax2.semilogy([], [], color=BLUE, lw=2.5, label="gradient descent (all n)")
        self.sgd_values, = self.ax2.semilogy([], [], color=VERMILION, lw=1.5, label="SGD (one minibatch per step)")
        self.ax2.set_xlim(0, n_steps), self.ax2.set_ylim(1e-5, 5)
        self.ax2.set_xlabel("step"), self.ax2.set_ylabel(r"$F(\beta) - F(\hat\beta)$ (all n observations)")
        self.ax2.legend(loc="upper right", fontsize=15)
        self.title = self.ax2.set_title(" ")
        self._finish([self.gd_path, self.sgd_path, self.gd_values, self.sgd_values, self.title])

    def update(self, batch_size, learning_rate):
        view = compute.sgd_view(batch_size, learning_rate, self.n_steps)
        self.gd_path.set_data(view.gd_path[:, 0], view.gd_path[:, 1])
        self.sgd_path.set_data(view.sgd_path[:, 0], view.sgd_path[:, 1])
        self.gd_values.set_data(np.arange(len(view.gd_values)), view.gd_values - self.F_best)
        self.sgd_values.set_data(np.arange(len(view.sgd_values)), view.sgd_values - self.F_best)
        self.title.set_text(f"batch size {batch_size}, γ = {learning_rate:.3g}"
                            + (": SGD DIVERGED" if view.diverged else ""))
        self.title.set_color(VERMILION if view.diverged else "black")
        return view


# --- shells ---------------------------------------------------------------------------------------------

def _warm(view, settings):
    """Fit the networks behind the other slider settings in the background, while the class looks at
    the first one, so that moving the slider later finds them ready (the fits are cached and
    deterministic: the same result whichever thread computes them)."""
    def run():
        for kwargs in settings:
            view(**kwargs)

    threading.Thread(target=run, daemon=True).start()


def hidden_units_explorer(n_hidden=1, activation="tanh"):
    """Sliders: the number of hidden units and their activation; the fit and each unit's part."""
    import ipywidgets as W

    fig = CurveFitFigure()
    _warm(compute.curve_fit_view, [dict(n_hidden=h, activation=a) for a in compute.HIDDEN_ACTIVATIONS
                                   for h in range(1, MAX_UNITS + 1)])
    units = W.IntSlider(value=n_hidden, min=1, max=MAX_UNITS, description="hidden units",
                        style={"description_width": "initial"})
    act = W.ToggleButtons(options=list(compute.HIDDEN_ACTIVATIONS), value=activation, description="g")

    def update():
        return fig.update(units.value, act.value).status

    return shell(fig, [units, act], update)


def boundary_explorer(n_hidden=1):
    """Slider: the number of hidden units of the network classifying the two moons."""
    import ipywidgets as W

    fig = BoundaryFigure()
    _warm(compute.boundary_view, [dict(n_hidden=h) for h in range(1, MAX_UNITS + 1)])
    units = W.IntSlider(value=n_hidden, min=1, max=MAX_UNITS, description="hidden units",
                        style={"description_width": "initial"})

    def update():
        return fig.update(units.value).status

    return shell(fig, [units], update)


BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 569)


def sgd_explorer(batch_size=8, learning_rate=0.5):
    """Sliders: the minibatch size and the learning rate γ (log scale)."""
    import ipywidgets as W

    fig = SGDFigure()
    batch = W.SelectionSlider(options=list(BATCH_SIZES), value=batch_size, description="batch size",
                                style={"description_width": "initial"})
    gamma = W.FloatLogSlider(value=learning_rate, base=10, min=-2, max=1.3, step=0.05, description="γ",
                             readout_format=".3g")

    def update():
        return fig.update(batch.value, gamma.value).status

    return shell(fig, [batch, gamma], update)


__all__ = ["CurveFitFigure", "BoundaryFigure", "SGDFigure", "hidden_units_explorer", "boundary_explorer",
           "sgd_explorer", "BATCH_SIZES", "MAX_UNITS"]
