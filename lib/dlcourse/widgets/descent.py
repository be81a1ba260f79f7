"""Lecture 1's explorers: learning rate, the rolling ball, restarts, ridge shrinkage (figures and shells).

The pure compute functions are in `dlcourse.explorers.descent`; the shared machinery
(blitted figures, shells, deck frames) in `dlcourse.widgets.base`.
"""

import functools

import matplotlib.pyplot as plt
import numpy as np

from .. import explorers, landscapes
from ..plotting import BLACK, BLUE, DARK_ORANGE, GREEN, PROJECTOR, PURPLE, TEXT_RED, VERMILION, line_style, projector_style
from .base import BlitFigure, frame, shell


class ProjectorFigure(BlitFigure):
    """A `BlitFigure` built with projector-sized fonts (labels as large as the deck's body text)."""

    def __init_subclass__(cls, **kwargs):
        init = cls.__dict__.get("__init__")
        if init is not None:
            @functools.wraps(init)
            def built_for_a_projector(self, *args, **kw):
                with projector_style():
                    init(self, *args, **kw)
                    for ax in self.fig.axes:      # tick labels are made at draw time: fix their size now
                        ax.tick_params(labelsize=PROJECTOR["xtick.labelsize"])
            cls.__init__ = built_for_a_projector
        super().__init_subclass__(**kwargs)


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


class DescentFigure(ProjectorFigure):
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
            title.set_color(TEXT_RED if v.diverged else "black")
        return v1, v2


class BallFigure(ProjectorFigure):
    """The ball rolling down a hill: one 1-D landscape, the ball and its trail."""

    def __init__(self):
        self.fig, self.ax = plt.subplots(figsize=(12, 4.4))
        self.trail, = self.ax.plot([], [], ".", color=DARK_ORANGE, ms=9, zorder=2)
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


class RestartsFigure(ProjectorFigure):
    """Multiple restarts on the non-convex curve: starts, where each run ended, the best."""

    def __init__(self, landscape="wavy_1d"):
        self.landscape = landscape
        self.F = landscapes.named(landscape)
        self.fig, self.ax = plt.subplots(figsize=(12, 4.4))
        _curve(self.ax, self.F)
        self.starts, = self.ax.plot([], [], "|", color=BLACK, ms=16, mew=2, label="starts")
        self.ends, = self.ax.plot([], [], "o", color=DARK_ORANGE, ms=11, label="where runs ended")
        self.single, = self.ax.plot([], [], "s", color=PURPLE, ms=14, mfc="none", mew=2.5, label="single run")
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


class ShrinkageFigure(ProjectorFigure):
    """Ridge coefficients shrinking as λ grows: the whole path, and β̂(λ) as bars."""

    def __init__(self, X, y, feature_names):
        self.X, self.y = X, y
        lams, path = explorers.ridge_path(X, y)
        self.fig, (self.ax1, self.ax2) = plt.subplots(1, 2, figsize=(12, 4.6), width_ratios=[1.25, 1])
        for j in range(path.shape[1]):          # 10 lines: colour × line style, named in the legend
            colour, style = line_style(j)
            self.ax1.plot(lams, path[:, j], color=colour, ls=style, lw=2.2, label=feature_names[j])
        self.ax1.set_xscale("log"), self.ax1.set_xlabel(r"$\lambda$"), self.ax1.set_ylabel(r"$\hat\beta_j(\lambda)$")
        self.ax1.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=12, handlelength=2.4, frameon=False)
        self.vline = self.ax1.axvline(lams[0], color=BLACK, ls="--", lw=1.5)
        self.bars = self.ax2.bar(feature_names, path[0], color=BLUE)
        self.ax2.set_ylim(path.min() * 1.1, path.max() * 1.1)
        self.ax2.set_ylabel(r"$\hat\beta_j$"), self.ax2.tick_params(axis="x", rotation=60)
        self.title = self.ax2.set_title(" ")
        self._finish([self.vline, *self.bars, self.title])

    def update(self, lam):
        beta, size = explorers.ridge_shrinkage(self.X, self.y, lam)
        self.vline.set_xdata([lam, lam])
        for bar, b in zip(self.bars, beta[1:]):
            bar.set_height(b)
        self.title.set_text(rf"$\lambda$ = {lam:.3g}:  $\sum_j\hat\beta_j^2$ = {size:.4g}")
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
        return f"Σ<sub>j</sub> β̂<sub>j</sub><sup>2</sup> = {np.sum(beta[1:] ** 2):.4g}"

    return shell(fig, [slider], update)


# --- replays for the offline deck: one frame per cell (slide type "fragment") ------------------

@functools.cache
def _replay_figure(kind):
    return {"descent": DescentFigure, "ball": BallFigure, "restarts": RestartsFigure}[kind]()


def learning_rate_frame(learning_rate, n_steps=80):
    """The learning-rate explorer at (γ, n_steps) as a still frame, captioned with both regimes."""
    fig = _replay_figure("descent")
    v1, v2 = explorers.descent_view(fig.LANDSCAPES[0], learning_rate, n_steps), \
        explorers.descent_view(fig.LANDSCAPES[1], learning_rate, n_steps)
    caption = f"γ = {learning_rate:.3g}:  β² {v1.regime}  ·  elongated bowl {v2.regime}"
    return frame(fig, caption, learning_rate=learning_rate, n_steps=n_steps)


def ball_frame(landscape, start, step):
    """The rolling ball from `start` after `step` steps; the caption says where it came to rest."""
    F = landscapes.named(landscape)
    fig = _replay_figure("ball")
    beta, value, _ = explorers.rolling_ball(landscape, start, step)
    caption = f"{'convex' if F.convex else 'non-convex'}, start β = {start:g}: step {step}, β = {beta:.2f}"
    minima = F.local_minima()
    at = minima[np.argmin(np.abs(minima - beta))] if len(minima) else np.nan
    if abs(beta - at) < 1e-2:
        lowest = min(F.value(m) for m in minima)
        caption += (" — at rest in the global minimum" if F.value(at) <= lowest + 1e-9
                    else f" — stuck in a local minimum, F = {value:.2f} > {lowest:.2f}")
    return frame(fig, caption, landscape=landscape, start=start, frame=step)


def restarts_frame(n_restarts):
    """Best of `n_restarts` runs against a single run, as a still frame."""
    fig = _replay_figure("restarts")
    view = explorers.restarts_view(n_restarts)
    caption = (f"{n_restarts} start{'s' if n_restarts > 1 else ''}: single run F = {view.single_value:.3f}, "
               f"best F = {view.best_value:.3f}")
    return frame(fig, caption, n_restarts=n_restarts)


def ridge_frame(X, y, feature_names, lam):
    """The ridge explorer at λ, as a still frame."""
    beta, size = explorers.ridge_shrinkage(X, y, lam)
    return frame(ShrinkageFigure(X, y, feature_names), f"λ = {lam:g}: Σ<sub>j</sub> β̂<sub>j</sub><sup>2</sup> = {size:.4g}", lam=lam)


__all__ = ["DescentFigure", "BallFigure", "RestartsFigure", "ShrinkageFigure",
           "learning_rate_explorer", "rolling_ball_explorer", "restarts_explorer", "ridge_explorer",
           "learning_rate_frame", "ball_frame", "restarts_frame", "ridge_frame"]
