"""What every explorer figure and shell shares: blitted figures in the course style, the slider shell,
and frames for the offline deck.

An explorer has three layers:

1. a pure compute function in `dlcourse.explorers` (slider values -> data);
2. a *figure* class (subclass of `BlitFigure`) that draws a static background once and, in
   ``update(...)``, only moves the artists (lines, markers, titles); ``png()`` re-renders just
   those artists over the cached background (blitting), so a slider move costs a few
   milliseconds, not a full redraw;
3. a shell (``*_explorer()``) that wires sliders to 1 and 2 with `shell` and shows the PNG in an
   ``ipywidgets.Image``.

In a deck (no kernel), an explorer is replayed as frames: `frame(figure, caption, **values)`
shows the figure for one setting, one cell per fragment.

Tests call 1 and 2 directly; `benchmarks/explorers.py` times 1 + 2 per slider move.
"""

import functools
import io

import matplotlib.pyplot as plt
import numpy as np

from ..plotting import course_style, projector_style


def _styled(method):
    """Run a figure method inside the course style (projector-sized fonts where the class sets
    ``projector = True``), leaving matplotlib's global rcParams untouched."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with projector_style() if getattr(self, "projector", False) else course_style():
            return method(self, *args, **kwargs)
    return wrapper


class BlitFigure:
    """Caches the static background; `png()` draws only the moving artists over it.

    Subclasses' ``__init__``, ``update`` and ``png`` run inside `plotting.course_style()`, or
    `plotting.projector_style()` when the subclass sets ``projector = True``.
    """

    projector = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("__init__", "update", "png"):
            if name in cls.__dict__:
                setattr(cls, name, _styled(cls.__dict__[name]))

    def _finish(self, animated, *, layout=True):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        if layout:
            self.fig.tight_layout()
        plt.close(self.fig)                 # shown through the explorer's Image widget instead
        self.animated = list(animated)
        for a in self.animated:
            a.set_animated(True)
        self.canvas = FigureCanvasAgg(self.fig)
        self._background = None

    def png(self):
        """The current figure as PNG bytes (what the explorer shows after each move)."""
        from PIL import Image

        if self._background is None:        # first call: full draw of the static parts
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.canvas.restore_region(self._background)
        for a in self.animated:
            self.fig.draw_artist(a)
        buf = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def invalidate(self):
        """Call after changing static parts (axis limits, background curves)."""
        self._background = None


# --- shells: sliders -> figure.update -> Output ---------------------------------

def shell(figure, controls, update, watch=None):
    """Sliders (`controls`) → `update()` (returns a status line) → the figure's PNG, in a VBox.

    The new figure is sent before the new status line (two widget messages, applied in order), so a page
    that shows the new status already shows the figure that goes with it.
    """
    import ipywidgets as W

    image = W.Image(format="png")
    status = W.HTML()

    def refresh(_=None):
        text = update()
        image.value = figure.png()
        status.value = f"<b>{text}</b>" if text else ""

    for c in watch if watch is not None else controls:
        c.observe(refresh, names="value")
    refresh()
    box = W.VBox([W.HBox(controls), status, image])
    box.figure, box.refresh = figure, refresh   # for tests and benchmarks
    return box

def frame(figure, caption="", **values):
    """The figure after ``figure.update(**values)``, as an image with a caption (one frame of a replay).

    In a deck, one cell per frame (slide type "fragment" or "subslide") replays what the slider shows.
    """
    import base64

    from IPython.display import HTML

    status = figure.update(**values)
    text = caption or (status if isinstance(status, str) else "")
    png = base64.b64encode(figure.png()).decode()
    return HTML(f'<figure style="margin:0"><img src="data:image/png;base64,{png}" style="max-width:100%">'
                f'<figcaption style="font-size:1.1em"><b>{text}</b></figcaption></figure>')


__all__ = ["BlitFigure", "shell", "frame"]
