"""JupyterLab in a real headless Chromium: lecture 3 runs (smoke setting) up to its filter explorer, which answers
the keyboard (the training cells after it are interrupted: the headless execution tests cover them)."""

import io
import uuid

import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")

from dlcourse import data  # noqa: E402
from dlcourse.explorers import convolution as compute  # noqa: E402
from dlcourse.widgets import convolution as conv_widgets  # noqa: E402

from . import lab_ui  # noqa: E402
from .servers import chromium_page, copy_course, jupyter_lab, screenshot  # noqa: E402

RUN_ALL_TIMEOUT = 300_000    # ms: the smoke setting trains eight small networks before the explorer cell


def test_lecture_3_filter_explorer_moves_with_the_keyboard(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_SMOKE", "1")            # the kernel inherits the server's environment
    copy_course(tmp_path, "lectures")
    image = data.load_fashion_mnist("test").images[0]
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        lab_ui.open_notebook(page, f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/lectures/"
                                   f"03_images.ipynb?reset&token={token}")
        lab_ui.run_all(page)
        before = compute.feature_map_view(image, "vertical edge").status
        status = lab_ui.wait_for_explorer(page, "vertical edge, padding 0, stride 1", RUN_ALL_TIMEOUT)
        status.scroll_into_view_if_needed()
        # the shell's outer box: it holds the filter dropdown and the figure (its status text changes below)
        box = page.locator(".widget-vbox", has=page.locator("select")).filter(has=page.locator("img")).last
        status_before, image_before = lab_ui.explorer_state(box)
        assert status_before == before
        # cells after the explorer train networks; the kernel answers a slider only once it is idle
        lab_ui.interrupt_the_rest(page, RUN_ALL_TIMEOUT)
        stride = box.locator(".widget-slider .noUi-handle").nth(1)        # padding, then stride
        stride.focus()
        stride.press("ArrowRight")                                        # stride 1 → 2
        after = compute.feature_map_view(image, "vertical edge", stride=2).status
        assert "a 13×13 feature map" in after
        for _ in range(100):                                              # the kernel answers within seconds
            status_after, image_after = lab_ui.explorer_state(box)
            if status_after != status_before:
                break
            page.wait_for_timeout(200)
        screenshot(page, "lab_lecture_3_filter_explorer")
        assert status_after == after and image_after != image_before
        shown = np.asarray(Image.open(io.BytesIO(lab_ui.image_bytes(page, box))).convert("RGB"), dtype=int)
        figure = conv_widgets.FeatureMapFigure(image)     # what the explorer's own functions draw for stride 2
        figure.update("vertical edge", 0, 2)
        expected = np.asarray(Image.open(io.BytesIO(figure.png())).convert("RGB"), dtype=int)
        assert shown.shape == expected.shape and np.abs(shown - expected).max() == 0
