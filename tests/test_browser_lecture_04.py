"""JupyterLab in a real headless Chromium: lecture 4 runs up to its vanishing-gradient explorer, which answers the keyboard
(the cells after it are interrupted: the headless execution tests cover them)."""

import io
import uuid

import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")

from dlcourse.explorers.attention import vanishing_gradients  # noqa: E402
from dlcourse.widgets.attention import VanishingFigure  # noqa: E402

from . import lab_ui
from .servers import chromium_page, copy_course, jupyter_lab, screenshot

START, STEP, PRESSES = 0.9, 0.05, 4     # ArrowRight on the "scale" slider: 0.90 → 1.10


def test_lecture_4_vanishing_gradient_explorer_moves_with_the_keyboard(tmp_path):
    copy_course(tmp_path, "lectures")
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        lab_ui.open_notebook(page, f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/lectures/"
                                   f"04_text.ipynb?reset&token={token}")
        lab_ui.run_all(page)
        box = lab_ui.explorer_box(page, vanishing_gradients(START).status, "words back is")
        _, image_before = lab_ui.explorer_state(box)
        lab_ui.move_gamma(page, box, PRESSES)                  # the box's first slider
        scale = round(START + PRESSES * STEP, 2)
        expected = vanishing_gradients(scale).status
        page.wait_for_function("s => document.body.innerText.includes(s)", arg=expected, timeout=60_000)
        shown_status, image = lab_ui.explorer_state(box)
        screenshot(page, "lab_lecture_4_vanishing_gradients")
        assert shown_status == expected and image != image_before
        shown = np.asarray(Image.open(io.BytesIO(lab_ui.image_bytes(page, box))).convert("RGB"), dtype=int)
        figure = VanishingFigure(40)                           # what the explorer's own functions draw
        figure.update(scale)
        drawn = np.asarray(Image.open(io.BytesIO(figure.png())).convert("RGB"), dtype=int)
        assert shown.shape == drawn.shape and np.abs(shown - drawn).mean() < 0.5
