"""Lecture 1's convexity explorer: a chord on F_α, the gap to it, and gradient descent from fixed starts.

The pure compute function is `dlcourse.explorers.convexity.convexity_view`; this module draws it
(`ConvexityFigure`), wires it to sliders (`convexity_explorer`) and replays it in a deck
(`convexity_frame`).
"""

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from .. import landscapes
from ..explorers.convexity import STARTS, convexity_view
from ..plotting import BLACK, BLUE, DARK_ORANGE, GREEN, VERMILION
from .base import frame, shell
from .descent import ProjectorFigure

MORPH_YLIM = (-2.5, 8.5)      # F_α for every α in [0, 1] on its domain fits (checked by a test)


class ConvexityFigure(ProjectorFigure):
    """F (changes with α), the chord from β_b to β_a, the gap at β_t, and descent paths from fixed starts."""

    def __init__(self, landscape=None, *, xlabel=r"$\beta$", figsize=(12, 4.2)):
        self.landscape = landscape
        self.starts = STARTS if landscape is None else ()     # descent only on the morphing F_α
        self.fig, self.ax = plt.subplots(figsize=figsize)
        ax = self.ax
        self.curve, = ax.plot([], [], color=BLUE, zorder=1)
        self.chord, = ax.plot([], [], "--o", color=BLACK, lw=2, ms=9, zorder=3)
        self.gap, = ax.plot([], [], color=GREEN, lw=6, solid_capstyle="butt", zorder=4)
        self.on_chord, = ax.plot([], [], "o", color=BLACK, mfc="white", mew=2, ms=10, zorder=5)
        self.on_curve, = ax.plot([], [], "o", color=BLACK, ms=10, zorder=5)
        self.paths, = ax.plot([], [], ".", color=DARK_ORANGE, ms=9, zorder=2)
        self.start_marks, = ax.plot([], [], "|", color=BLACK, ms=22, mew=2.5, zorder=2)
        self.ends, = ax.plot([], [], "v", color=VERMILION, ms=13, zorder=6)
        self.title = ax.set_title(" ")
        ax.set_xlabel(xlabel), ax.set_ylabel(r"$F(\beta)$" if landscape is None else r"$F$ along the chord")
        if landscape is None:
            ax.set_xlim(*landscapes.wavy_1d.domain[0]), ax.set_ylim(*MORPH_YLIM)
        else:
            F = landscapes.named(landscape)
            values = F.values(np.linspace(*F.domain[0], 200))
            pad = 0.08 * (values.max() - values.min())
            ax.set_xlim(*F.domain[0]), ax.set_ylim(values.min() - pad, values.max() + 2 * pad)
        handles = [Line2D([], [], color=BLUE, label="F"), Line2D([], [], color=BLACK, ls="--", label="chord"),
                   Line2D([], [], color=GREEN, lw=6, label="F below the chord"),
                   Line2D([], [], color=VERMILION, lw=6, label="F above: not convex")]
        if landscape is None:
            handles += [Line2D([], [], color=BLACK, marker="|", ls="", ms=16, mew=2.5, label="starts"),
                        Line2D([], [], color=VERMILION, marker="v", ls="", ms=11, label="where descent ends")]
        ax.legend(handles=handles, loc="upper center", ncol=3 if landscape is None else 4, columnspacing=1.0)
        self._finish([self.curve, self.paths, self.start_marks, self.chord, self.gap, self.on_chord, self.on_curve, self.ends,
                      self.title])

    def update(self, alpha=0.0, beta_a=-1.0, beta_b=2.5, t=0.5):
        """Compute the view for the sliders and move the artists; returns the `ConvexityView`."""
        view = convexity_view(alpha, beta_a, beta_b, t, landscape=self.landscape, starts=self.starts)
        self.curve.set_data(view.grid, view.values)
        self.chord.set_data([view.beta_b, view.beta_a], [view.value_b, view.value_a])
        self.gap.set_data([view.beta_t, view.beta_t], [view.chord_t, view.value_t])
        self.gap.set_color(VERMILION if view.above_chord else GREEN)
        self.on_chord.set_data([view.beta_t], [view.chord_t])
        self.on_curve.set_data([view.beta_t], [view.value_t])
        if view.paths:
            F = landscapes.morph(alpha)
            shown = [p[:60:2] for p in view.paths]          # the early, visible part of each run
            self.paths.set_data(np.concatenate(shown), F.values(np.concatenate(shown)[:, None]))
            self.ends.set_data(view.ends, F.values(view.ends[:, None]) + 0.35)     # a marker just above each end
            self.start_marks.set_data(self.starts, F.values(np.asarray(self.starts)[:, None]))
        head = rf"$\alpha$ = {alpha:.2f}:  " if self.landscape is None else ""
        verdict = "above the chord: NOT convex" if view.above_chord else "below the chord"
        self.title.set_text(f"{head}t = {view.t:.2f}, gap = {view.gap:+.2f} ({verdict})")
        return view


def convexity_explorer(alpha=0.0, beta_a=-1.0, beta_b=2.5, t=0.5):
    """Sliders: α (bowl → wavy), the chord's ends β_a and β_b, and t."""
    import ipywidgets as W

    fig = ConvexityFigure()
    lo, hi = landscapes.wavy_1d.domain[0]
    a = W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="α", readout_format=".2f")
    ba = W.FloatSlider(value=beta_a, min=lo, max=hi, step=0.1, description="β_a", readout_format=".1f")
    bb = W.FloatSlider(value=beta_b, min=lo, max=hi, step=0.1, description="β_b", readout_format=".1f")
    tt = W.FloatSlider(value=t, min=0.0, max=1.0, step=0.05, description="t", readout_format=".2f")

    def update():
        return fig.update(a.value, ba.value, bb.value, tt.value).status

    return shell(fig, [a, ba, bb, tt], update)


@functools.cache
def _replay_figure():
    return ConvexityFigure()


def convexity_frame(alpha=0.0, beta_a=-1.0, beta_b=2.5, t=0.5):
    """The convexity explorer at one setting, as a still frame captioned with its status."""
    fig = _replay_figure()
    view = convexity_view(alpha, beta_a, beta_b, t)
    return frame(fig, f"α = {alpha:.2f}, {view.status}", alpha=alpha, beta_a=beta_a, beta_b=beta_b, t=t)


def chord_frame(objective, beta_a, beta_b, t=0.5, *, caption=""):
    """A real objective F along the chord from β_b (u = 0) to β_a (u = 1), with the gap at t."""
    segment = landscapes.along_segment(objective, beta_a, beta_b, domain=(0.0, 1.0))
    fig = ConvexityFigure(segment, xlabel=r"$u$: $\beta = u\,\beta_a + (1-u)\,\beta_b$", figsize=(12, 3.7))
    view = convexity_view(landscape=segment, beta_a=1.0, beta_b=0.0, t=t, starts=(), n_grid=101)
    return frame(fig, caption or view.status, beta_a=1.0, beta_b=0.0, t=t)


__all__ = ["ConvexityFigure", "convexity_explorer", "convexity_frame", "chord_frame"]
