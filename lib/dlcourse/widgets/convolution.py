"""Lecture 3's explorer: a 3×3 filter sliding over a real image (figure and ipywidgets shell).

The pure compute function is `dlcourse.explorers.convolution.feature_map_view`.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from .. import conv
from ..explorers import convolution as compute
from ..plotting import VERMILION
from .base import BlitFigure, shell

MAX_PADDING = 2
DIVERGING = "PuOr_r"        # colour-blind-safe diverging map: orange > 0, purple < 0


class FeatureMapFigure(BlitFigure):
    """Three panels: the image with the window where the filter responds most, the filter, the feature map."""

    def __init__(self, image):
        self.image = np.asarray(image, dtype=float)
        h, w = self.image.shape
        self.fig, (self.ax_x, self.ax_k, self.ax_s) = plt.subplots(
            1, 3, figsize=(12, 2.2))
        self.ax_x.imshow(self.image, cmap="gray", vmin=0, vmax=1)
        self.window = Rectangle((-0.5, -0.5), 3, 3, fill=False, ec=VERMILION, lw=3)
        self.ax_x.add_patch(self.window)
        self.ax_x.set_title(f"image X ({h}×{w})")
        self.kernel = self.ax_k.imshow(np.zeros((3, 3)), cmap=DIVERGING, vmin=-1, vmax=1)
        self.numbers = [self.ax_k.text(v, u, "", ha="center", va="center", fontsize=13)
                        for u in range(3) for v in range(3)]
        self.ax_k.set_title("filter W (3×3)")
        size = h + 2 * MAX_PADDING - 2
        self.map = self.ax_s.imshow(np.zeros((h, w)), cmap=DIVERGING, vmin=-1, vmax=1,
                                    extent=(-0.5, w - 0.5, h - 0.5, -0.5))
        self.ax_s.set_xlim(-0.5, size - 0.5), self.ax_s.set_ylim(size - 0.5, -0.5)
        self.peak = Rectangle((-0.5, -0.5), 1, 1, fill=False, ec=VERMILION, lw=3)
        self.ax_s.add_patch(self.peak)
        self.map_title = self.ax_s.set_title(" ")
        for ax in (self.ax_x, self.ax_k, self.ax_s):
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        self._shown_kernel = None
        # the filter panel is static (redrawn only when the filter changes); padding and stride only blit
        self._finish([self.window, self.map, self.peak, self.map_title])

    def update(self, kernel="vertical edge", padding=0, stride=1):
        """Compute the feature map for the setting and move the artists; returns the status line
        (the whole `FeatureMapView` is kept as ``self.view``)."""
        view = compute.feature_map_view(self.image, kernel, padding=padding, stride=stride)
        k = view.kernel
        if self._shown_kernel is None or not np.array_equal(k, self._shown_kernel):
            top = max(np.abs(k).max(), 1e-12)
            self.kernel.set_data(k)
            self.kernel.set_clim(-top, top)
            for text, value in zip(self.numbers, k.ravel()):
                text.set_text(f"{value:.2g}")
            self._shown_kernel = k.copy()
            self.invalidate()
        S = view.feature_map
        scale = max(np.abs(S).max(), 1e-12)
        h_out, w_out = S.shape
        self.map.set_data(S)
        self.map.set_clim(-scale, scale)
        self.map.set_extent((-0.5, w_out - 0.5, h_out - 0.5, -0.5))
        self.window.set_xy((view.window[1] - 0.5, view.window[0] - 0.5))
        self.peak.set_xy((view.peak[1] - 0.5, view.peak[0] - 0.5))
        self.map_title.set_text(f"feature map S ({h_out}×{w_out})")
        self.view = view
        return view.status


def filter_explorer(image, kernel="vertical edge", padding=0, stride=1):
    """A dropdown of named filters, nine boxes to edit the filter's numbers, padding and stride sliders."""
    import ipywidgets as W

    fig = FeatureMapFigure(image)
    names = [*conv.FILTERS]
    choose = W.Dropdown(options=[*names, "your filter"], value=kernel, description="filter")
    cells = [W.FloatText(value=float(v), layout=W.Layout(width="70px")) for v in conv.filter_named(kernel).ravel()]
    grid = W.VBox([W.HBox(cells[r * 3:(r + 1) * 3]) for r in range(3)])
    pad = W.IntSlider(value=padding, min=0, max=MAX_PADDING, description="padding")
    step = W.IntSlider(value=stride, min=1, max=3, description="stride")
    filling = {"now": False}

    def on_choose(change):
        if change["new"] in conv.FILTERS:       # a named filter fills the nine boxes
            filling["now"] = True
            for c, v in zip(cells, conv.filter_named(change["new"]).ravel()):
                c.value = float(v)
            filling["now"] = False
            box.refresh()

    choose.observe(on_choose, names="value")

    def update():
        if filling["now"]:
            return None
        kernel = np.array([c.value for c in cells]).reshape(3, 3)
        fig.update(kernel, pad.value, step.value)
        view = fig.view
        if view.name != choose.value:
            choose.value = view.name if view.name in conv.FILTERS else "your filter"
        return view.status

    box = shell(fig, [choose, grid, W.VBox([pad, step])], update, watch=[pad, step, *cells])
    return box


__all__ = ["FeatureMapFigure", "filter_explorer"]
