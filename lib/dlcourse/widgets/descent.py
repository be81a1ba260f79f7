"""Lecture 1's explorers: learning rate, the rolling ball, restarts, ridge shrinkage (figures and shells).

The pure compute functions are in `dlcourse.explorers.descent`; the shared machinery
(blitted figures, shells, deck frames) in `dlcourse.widgets.base`.
"""

import matplotlib.pyplot as plt
import numpy as np

from .. import explorers, landscapes
from ..plotting import BLACK, BLUE, GREEN, ORANGE, PALETTE, VERMILION
from .base import BlitFigure, shell


def _curve(ax, F, n=400):
    b = np.linspace(*F.domain[0], n)
    ax.plot(b, F.values(b), color=BLUE, zorder=1)
    ax.set_xlabel(r"$\beta$"), ax.set_ylabel(r"$F(\beta)$")
    ax.set_xlim(*F.domain[0])
    return b


def _contours(ax, F, n=120):
    (x0, x1), (y0, y1) = F.domain
    g1, g2 = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    ax.contour(g1, g2, F.values(np.stack([g1, g2], -1)), levels=15, cmap="viridis", linewidths=1.2)
    ax.set_xlabel(r"$\beta_1$"), ax.set_ylabel(r"$\beta_2$")
    ax.set_xlim(x0, x1), ax.set_ylim(y0, y1)
    ax.plot([0], [0], "*", color=BLACK, markersize=14)


class DescentFigure(BlitFigure):
    """Gradient-descent paths on a 1-D curve and on the contours of a 2-D objective."""

    LANDSCAPES = ("bowl_1d", "elongated_bowl_2d")

    def __init__(self):
        self.fig, (self.ax1, self.ax2) = plt.subplots(1, 2, figsize=(12, 4.6))
        self.F1 = landscapes.named(self.LANDSCAPES[0])
        self.F2 = landscapes.named(self.LANDSCAPES[1])
        b = _curve(self.ax1, self.F1)
        self.ax1.set_ylim(-0.5, self.F1.values(b).max() * 1.05)
        _contours(self.ax2, self.F2)
        self.path1, = self.ax1.plot([], [], "o-", color=VERMILION, lw=1.5, ms=6, zorder=3)
        self.path2, = self.ax2.plot([], [], "o-", color=VERMILION, lw=1.5, ms=5, zorder=3)
        self.title1 = self.ax1.set_title(self.F1.name)
        self.title2 = self.ax2.set_title(self.F2.name)
        self._finish([self.path1, self.path2, self.title1, self.title2])

    def update(self, learning_rate, n_steps):
        """Compute both paths for (γ, n_steps) and move the artists; returns the two views."""
        v1 = explorers.descent_view(self.LANDSCAPES[0], learning_rate, n_steps)
        v2 = explorers.descent_view(self.LANDSCAPES[1], learning_rate, n_steps)
        self.path1.set_data(v1.path[:, 0], v1.values)
        self.path2.set_data(v2.path[:, 0], v2.path[:, 1])
        for title, v in ((self.title1, v1), (self.title2, v2)):
            title.set_text(f"{v.landscape}: {v.regime}")
            title.set_color(VERMILION if v.diverged else "black")
        return v1, v2


class BallFigure(BlitFigure):
    """The ball rolling down a hill: one 1-D landscape, the ball and its trail."""

    def __init__(self):
        self.fig, self.ax = plt.subplots(figsize=(9, 4.2))
        self.trail, = self.ax.plot([], [], ".", color=ORANGE, ms=7, zorder=2)
        self.ball, = self.ax.plot([], [], "o", color=VERMILION, ms=18, zorder=3)
        self.curve, = self.ax.plot([], [], color=BLUE, zorder=1)
        self.ax.set_xlabel(r"$\beta$"), self.ax.set_ylabel(r"$F(\beta)$")
        self.title = self.ax.set_title(" ")
        self.landscape = None
        self._finish([self.trail, self.ball, self.title])

    def update(self, landscape, start, frame, learning_rate=0.05):
        if landscape != self.landscape:
            F = landscapes.named(landscape)
            b = np.linspace(*F.domain[0], 400)
            v = F.values(b)
            self.curve.set_data(b, v)
            self.ax.set_xlim(*F.domain[0]), self.ax.set_ylim(v.min() - 0.3, v.max() + 0.3)
            self.landscape = landscape
            self.invalidate()
        F = landscapes.named(landscape)
        beta, value, trail = explorers.rolling_ball(landscape, start, frame, learning_rate=learning_rate)
        self.ball.set_data([beta], [value])
        self.trail.set_data(trail, F.values(trail[:, None]))
        self.title.set_text(f"{'convex' if F.convex else 'non-convex'}: step {frame}, β = {beta:.3f}")
        return beta, value


class RestartsFigure(BlitFigure):
    """Multiple restarts on the non-convex curve: starts, where each run ended, the best."""

    def __init__(self, landscape="wavy_1d"):
        self.landscape = landscape
        self.F = landscapes.named(landscape)
        self.fig, self.ax = plt.subplots(figsize=(9, 4.2))
        _curve(self.ax, self.F)
        self.starts, = self.ax.plot([], [], "|", color=BLACK, ms=16, mew=2, label="starts")
        self.ends, = self.ax.plot([], [], "o", color=ORANGE, ms=11, label="where runs ended")
        self.single, = self.ax.plot([], [], "s", color=PALETTE[4], ms=14, mfc="none", mew=2.5, label="single run")
        self.best, = self.ax.plot([], [], "*", color=GREEN, ms=22, label="best of restarts")
        self.ax.legend(loc="upper center", ncol=2)
        self.ax.set_ylim(self.F.values(np.linspace(*self.F.domain[0], 400)).min() - 0.3, 3.6)
        self.title = self.ax.set_title(" ")
        self._finish([self.starts, self.ends, self.single, self.best, self.title])

    def update(self, n_restarts, seed=0):
        view = explorers.restarts_view(n_restarts, seed=seed, landscape=self.landscape)
        self.starts.set_data(view.starts, self.F.values(view.starts[:, None]))
        self.ends.set_data(view.ends, view.final_values)
        self.single.set_data([view.ends[0]], [view.single_value])
        self.best.set_data([view.ends[view.best_index]], [view.best_value])
        self.title.set_text(f"{n_restarts} restart(s): single run F = {view.single_value:.3f}, "
                          f"best F = {view.best_value:.3f}")
        return view


class ShrinkageFigure(BlitFigure):
    """Ridge coefficients shrinking as λ grows: the whole path, and β̂(λ) as bars."""

    def __init__(self, X, y, feature_names):
        self.X, self.y = X, y
        lams, path = explorers.ridge_path(X, y)
        self.fig, (self.ax1, self.ax2) = plt.subplots(1, 2, figsize=(12, 4.4))
        for j in range(path.shape[1]):
            self.ax1.plot(lams, path[:, j], color=PALETTE[j % len(PALETTE)], lw=1.8)
        self.ax1.set_xscale("log"), self.ax1.set_xlabel(r"$\lambda$"), self.ax1.set_ylabel(r"$\hat\beta_j(\lambda)$")
        self.vline = self.ax1.axvline(lams[0], color=BLACK, ls="--", lw=1.5)
        self.bars = self.ax2.bar(feature_names, path[0], color=[PALETTE[j % len(PALETTE)] for j in range(path.shape[1])])
        self.ax2.set_ylim(path.min() * 1.1, path.max() * 1.1)
        self.ax2.set_ylabel(r"$\hat\beta_j$"), self.ax2.tick_params(axis="x", rotation=60)
        self.title = self.ax2.set_title(" ")
        self._finish([self.vline, *self.bars, self.title])

    def update(self, lam):
        beta, size = explorers.ridge_shrinkage(self.X, self.y, lam)
        self.vline.set_xdata([lam, lam])
        for bar, b in zip(self.bars, beta[1:]):
            bar.set_height(b)
        self.title.set_text(rf"$\lambda$ = {lam:.3g}:  $\Vert\hat\beta\Vert^2$ = {size:.3g}")
        return beta


def learning_rate_explorer(learning_rate=0.1, n_steps=20):
    """Sliders: learning rate γ (log scale) and number of steps."""
    import ipywidgets as W

    fig = DescentFigure()
    gamma = W.FloatLogSlider(value=learning_rate, base=10, min=-3, max=0.5, step=0.05,
                             description="γ", readout_format=".3g", continuous_update=True)
    iters = W.IntSlider(value=n_steps, min=1, max=100, description="steps")

    def update():
        v1, v2 = fig.update(gamma.value, iters.value)
        return f"1-D: {v1.status}<br>2-D: {v2.status}"

    return shell(fig, [gamma, iters], update)


def rolling_ball_explorer(start=3.5, frames=80):
    """Play button animating the ball; slider for the start; convex or non-convex landscape."""
    import ipywidgets as W

    fig = BallFigure()
    play = W.Play(value=0, min=0, max=frames, interval=120, description="Play")
    frame = W.IntSlider(value=0, min=0, max=frames, description="step")
    W.jslink((play, "value"), (frame, "value"))
    start_slider = W.FloatSlider(value=start, min=-4.4, max=5.4, step=0.1, description="start β")
    which = W.ToggleButtons(options=[("convex", "bowl_1d"), ("non-convex", "wavy_1d")], value="wavy_1d")

    def update():
        s = float(np.clip(start_slider.value, *landscapes.named(which.value).domain[0]))
        beta, value = fig.update(which.value, s, frame.value)
        return f"step {frame.value}: β = {beta:.3f}, F(β) = {value:.3f}"

    # the Play button drives the step slider (linked in the browser): watching the slider is enough
    return shell(fig, [play, frame, start_slider, which], update, watch=[frame, start_slider, which])


def restarts_explorer(n_restarts=1):
    """Slider for the number of restarts: best of restarts against a single run."""
    import ipywidgets as W

    fig = RestartsFigure()
    n = W.IntSlider(value=n_restarts, min=1, max=20, description="restarts")

    def update():
        v = fig.update(n.value)
        return f"single run: F = {v.single_value:.4f};  best of {n.value}: F = {v.best_value:.4f}"

    return shell(fig, [n], update)


def ridge_explorer(X, y, feature_names, lam=0.01):
    """Slider for λ (log scale): the ridge coefficients shrink toward 0."""
    import ipywidgets as W

    fig = ShrinkageFigure(X, y, feature_names)
    slider = W.FloatLogSlider(value=lam, base=10, min=-4, max=2, step=0.1, description="λ", readout_format=".3g")

    def update():
        beta = fig.update(slider.value)
        return f"λ = {slider.value:.3g}: Σ β̂_j² = {np.sum(beta[1:] ** 2):.4g}"

    return shell(fig, [slider], update)


__all__ = ["DescentFigure", "BallFigure", "RestartsFigure", "ShrinkageFigure",
           "learning_rate_explorer", "rolling_ball_explorer", "restarts_explorer", "ridge_explorer"]
