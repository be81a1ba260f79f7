"""Lecture 4's explorers (figures and thin shells): vanishing gradients through time, attention weights.

The pure compute functions are in `dlcourse.explorers.attention`; the shared machinery in
`dlcourse.widgets.base`.
"""

import matplotlib.pyplot as plt
import numpy as np

from ..explorers.attention import attention_view, vanishing_gradients
from ..plotting import BLACK, BLUE, VERMILION
from .base import BlitFigure, shell


class VanishingFigure(BlitFigure):
    """‖∂L/∂h_t‖ against the distance from the last word (log scale), for one recurrent-weight scale."""

    def __init__(self, T=40):
        self.T = T
        self.fig, self.ax = plt.subplots(figsize=(11, 4.4))
        self.ax.set_yscale("log")
        self.ax.set_xlim(-0.5, T - 0.5), self.ax.set_ylim(1e-16, 1e8)
        self.ax.axhline(1.0, color=BLACK, ls="--", lw=1.5, label="size at the last word")
        self.ax.set_xlabel("distance from the last word, T − t")
        self.ax.set_ylabel(r"$\Vert\partial L/\partial h_t\Vert$")
        self.line, = self.ax.plot([], [], "o-", color=VERMILION, ms=5, label="gradient reaching $h_t$")
        self.ax.legend(loc="upper right")
        self.title = self.ax.set_title(" ")
        self._finish([self.line, self.title])

    def update(self, scale):
        view = vanishing_gradients(scale, T=self.T)
        self.line.set_data(view.distance, np.maximum(view.norm / view.norm[0], 1e-300))
        self.title.set_text(f"recurrent weight scale {scale:.2f}: {view.regime} "
                            f"(×{view.decay:.0e} after {self.T - 1} words)")
        return view


class AttentionFigure(BlitFigure):
    """One snippet's attention weights as a heatmap, and the chosen word's row as bars."""

    MAX_TOKENS = 16

    def __init__(self, weights, tokens):
        self.weights, self.tokens = list(weights), [list(t)[: self.MAX_TOKENS] for t in tokens]
        self.fig, (self.ax1, self.ax2) = plt.subplots(1, 2, figsize=(13, 5.4), gridspec_kw={"width_ratios": [1, 1.2]})
        self.image = self.ax1.imshow(np.zeros((2, 2)), cmap="viridis", vmin=0, vmax=1)
        self.fig.colorbar(self.image, ax=self.ax1, fraction=0.046, label="attention weight")
        self.ax1.grid(False)
        self.ax1.set_xlabel("attends to (key)"), self.ax1.set_ylabel("word (query)")
        self.box, = self.ax1.plot([], [], color=VERMILION, lw=3)
        self.bars = self.ax2.bar(range(self.MAX_TOKENS), np.zeros(self.MAX_TOKENS), color=BLUE)
        self.ax2.set_ylim(0, 1), self.ax2.set_ylabel("weight"), self.ax2.set_xlim(-0.6, self.MAX_TOKENS - 0.4)
        self.title = self.ax2.set_title(" ")
        self.snippet = None
        self._finish([self.box, *self.bars, self.title])

    def _show_snippet(self, snippet):
        tokens = self.tokens[snippet]
        T = len(tokens)
        self.image.set_data(np.asarray(self.weights[snippet])[:T, :T])
        self.image.set_extent((-0.5, T - 0.5, T - 0.5, -0.5))
        for ax in (self.ax1, self.ax2):
            ax.set_xticks(range(T), tokens, rotation=60, ha="right")
        self.ax1.set_yticks(range(T), tokens)
        self.ax2.set_xticks(range(T), tokens, rotation=60, ha="right")
        self.snippet = snippet
        self.fig.tight_layout()
        self.invalidate()

    def update(self, snippet, query):
        if snippet != self.snippet:
            self._show_snippet(snippet)
        tokens = self.tokens[snippet]
        view = attention_view(self.weights[snippet], tokens, min(query, len(tokens) - 1))
        self.image.set_data(view.weights)
        q = view.query
        self.box.set_data([-0.5, len(tokens) - 0.5, len(tokens) - 0.5, -0.5, -0.5], [q - 0.5, q - 0.5, q + 0.5, q + 0.5, q - 0.5])
        for j, bar in enumerate(self.bars):
            bar.set_height(view.row[j] if j < len(tokens) else 0.0)
            bar.set_color(VERMILION if j == q else BLUE)
        self.title.set_text(f"what “{tokens[q]}” attends to")
        return view


def vanishing_gradient_explorer(scale=0.9, T=40):
    """Slider: the recurrent weight's scale. Below 1 the gradient vanishes over the words."""
    import ipywidgets as W

    fig = VanishingFigure(T)
    slider = W.FloatSlider(value=scale, min=0.3, max=2.0, step=0.05, description="scale")

    def update():
        return fig.update(slider.value).status

    return shell(fig, [slider], update)


def attention_explorer(weights, tokens, snippet=0, query=0):
    """Sliders: which snippet, which word; shows what that word attends to."""
    import ipywidgets as W

    fig = AttentionFigure(weights, tokens)
    which = W.IntSlider(value=snippet, min=0, max=len(fig.tokens) - 1, description="snippet")
    word = W.IntSlider(value=query, min=0, max=AttentionFigure.MAX_TOKENS - 1, description="word")

    def update():
        word.max = len(fig.tokens[which.value]) - 1
        return fig.update(which.value, word.value).status

    return shell(fig, [which, word], update)


__all__ = ["VanishingFigure", "AttentionFigure", "vanishing_gradient_explorer", "attention_explorer"]
