"""The lecture explorers' figures and thin ipywidgets shells (matplotlib; ipywidgets when shown).

* `base`      the blitted figure, the slider shell, frames for decks
* `descent`   lecture 1's explorers (also available here: ``widgets.learning_rate_explorer()``)

Other modules are imported by name, e.g. ``from dlcourse.widgets import convolution``.
"""

from .base import BlitFigure, frame, shell
from .descent import *  # noqa: F403  (lecture 1's names, as before the package split)
from .descent import __all__ as _descent_all

__all__ = ["BlitFigure", "frame", "shell", *_descent_all]
