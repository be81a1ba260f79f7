"""JupyterLab in a real headless Chromium: lecture 2 runs up to its hidden-units explorer, which answers the keyboard
(the cells after it are interrupted: the headless execution tests cover them)."""

import io
import uuid

import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")

from dlcourse.explorers import networks as explore  # noqa: E402
from dlcourse.widgets import networks as figures  # noqa: E402

from . import lab_ui
from .servers import chromium_page, copy_course, jupyter_lab, screenshot

PRESSES = 3     # ArrowRight on the "hidden units" slider: 1 → 4


def test_lecture_2_hidden_units_explorer_moves_with_the_keyboard(tmp_path):
    copy_course(tmp_path, "lectures")
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        lab_ui.open_notebook(page, f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/lectures/"
                                   f"02_neural_networks.ipynb?reset&token={token}")
        lab_ui.run_all(page)
        # "1 hidden tanh unit" becomes "4 hidden tanh units": "hidden tanh unit" stays
        box = lab_ui.explorer_box(page, explore.curve_fit_view(1).status, "hidden tanh unit")
        _, image_before = lab_ui.explorer_state(box)
        lab_ui.move_gamma(page, box, PRESSES)                  # the first slider of the box
        expected = explore.curve_fit_view(1 + PRESSES).status
        page.wait_for_function("s => document.body.innerText.includes(s)", arg=expected, timeout=60_000)
        shown_status, image = lab_ui.explorer_state(box)
        screenshot(page, "lab_lecture_2_hidden_units")
        assert shown_status == expected and image != image_before
        shown = np.asarray(Image.open(io.BytesIO(lab_ui.image_bytes(page, box))).convert("RGB"), dtype=int)
        figure = figures.CurveFitFigure()                      # what the explorer's own functions draw
        figure.update(1 + PRESSES, "tanh")
        drawn = np.asarray(Image.open(io.BytesIO(figure.png())).convert("RGB"), dtype=int)
        assert shown.shape == drawn.shape and np.abs(shown - drawn).max() == 0
