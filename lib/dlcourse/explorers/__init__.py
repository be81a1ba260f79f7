"""Pure compute functions behind the lecture explorers: slider values in, figure data out.

No plotting and no widgets here (those are in `dlcourse.widgets`), so every explorer can be
tested without a browser: give it the slider values, check what it returns. One module per
lecture topic:

* `descent`   lecture 1: learning rate, the rolling ball, restarts, ridge shrinkage
  (its names are also available here, as ``explorers.descent_view``)

Other modules are imported by name, e.g. ``from dlcourse.explorers import convolution``.
"""

from .descent import *  # noqa: F403  (lecture 1's names, as before the package split)
from .descent import __all__ as _descent_all

__all__ = list(_descent_all)
