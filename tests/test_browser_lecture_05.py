"""JupyterLab in a real headless Chromium: lecture 5 runs up to its SGD explorer, which answers the keyboard
(the cells after it are interrupted: the headless execution tests cover them)."""

import uuid

from dlcourse.explorers import networks as explore
from dlcourse.widgets.networks import BATCH_SIZES

from . import lab_ui
from .servers import chromium_page, copy_course, jupyter_lab, screenshot

PRESSES = 2     # ArrowRight on the batch-size slider: 8 → 16 → 32


def test_lecture_5_sgd_explorer_moves_with_the_keyboard(tmp_path):
    copy_course(tmp_path, "lectures")
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        lab_ui.open_notebook(page, f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/lectures/"
                                   f"05_review.ipynb?reset&token={token}")
        lab_ui.run_all(page)
        box = lab_ui.explorer_box(page, explore.sgd_view(8, 0.5).status, "of n = 569")
        _, image_before = lab_ui.explorer_state(box)
        lab_ui.move_gamma(page, box, PRESSES)                  # the box's first slider: batch size
        batch = BATCH_SIZES[BATCH_SIZES.index(8) + PRESSES]
        gamma = 10 ** -0.3          # γ = 0.5 as the log slider (step 0.05 in log10) holds it once it syncs: 0.501
        expected = explore.sgd_view(batch, gamma).status
        try:
            page.wait_for_function("s => document.body.innerText.includes(s)", arg=expected, timeout=60_000)
        finally:
            screenshot(page, "lab_lecture_5_sgd")
        shown_status, image = lab_ui.explorer_state(box)
        assert shown_status == expected and image != image_before
