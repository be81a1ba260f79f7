"""JupyterLab in a real headless Chromium: lecture 1 runs, its learning-rate explorer answers the keyboard."""

import io
import re
import uuid

import matplotlib
import nbformat
import numpy as np
import pytest
import requests
from PIL import Image

matplotlib.use("Agg")

from dlcourse import explorers, widgets  # noqa: E402
from dlcourse.explorers.convexity import convexity_view  # noqa: E402

from . import lab_ui
from .servers import chromium_page, copy_course, jupyter_lab, screenshot

PRESSES = 24      # ArrowRight on the γ slider: exponent -1 + 24 × 0.05 = 0.2, so γ = 10^0.2 ≈ 1.585
ITERATIONS = 80   # the explorer's iteration slider as lecture 1 sets it


def test_lecture_1_explorer_moves_with_the_keyboard(tmp_path):
    copy_course(tmp_path, "lectures")
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        lab_ui.open_notebook(page, f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/lectures/"
                                   f"01_preliminaries.ipynb?reset&token={token}")
        lab_ui.run_all(page)
        box = lab_ui.learning_rate_explorer(page)
        status_before, image_before = lab_ui.explorer_state(box)
        assert status_before.startswith("1-D: " + explorers.descent_view("bowl_1d", 0.1, ITERATIONS).status)
        lab_ui.move_gamma(page, box, PRESSES)
        gamma = 10 ** (-1 + 0.05 * PRESSES)
        expected_1d = explorers.descent_view("bowl_1d", gamma, ITERATIONS).status
        expected_2d = explorers.descent_view("elongated_bowl_2d", gamma, ITERATIONS).status
        page.wait_for_function("s => document.body.innerText.includes(s)", arg=expected_1d, timeout=20_000)
        status, image = lab_ui.explorer_state(box)
        screenshot(page, "lab_learning_rate_explorer")
        assert "DIVERGED" in expected_1d and "DIVERGED" in expected_2d
        assert status.replace("\n", " ") == f"1-D: {expected_1d} 2-D: {expected_2d}".replace("<br>", " ")
        assert image != image_before
        shown = np.asarray(Image.open(io.BytesIO(lab_ui.image_bytes(page, box))).convert("RGB"), dtype=int)
        figure = widgets.DescentFigure()             # what the explorer's own functions draw for this γ
        figure.update(gamma, ITERATIONS)
        expected = np.asarray(Image.open(io.BytesIO(figure.png())).convert("RGB"), dtype=int)
        assert shown.shape == expected.shape and np.abs(shown - expected).max() == 0

        # the convexity explorer: α from 0 by 20 steps of 0.05 to 1, then t from 0.5 down 4 steps to 0.3
        status = page.locator(".widget-html-content", has_text="gap").first
        status.wait_for(state="attached", timeout=lab_ui.EXPLORER_TIMEOUT)
        status.scroll_into_view_if_needed()
        cbox = page.locator(".widget-vbox", has=status).last
        before_status, before_image = lab_ui.explorer_state(cbox)
        assert before_status == convexity_view(0.0, -1.0, 2.5, 0.5).status
        handles = cbox.locator(".widget-slider .noUi-handle")
        for index, key, presses in ((0, "ArrowRight", 20), (3, "ArrowLeft", 4)):
            handles.nth(index).focus()
            for _ in range(presses):
                handles.nth(index).press(key)
        expected = convexity_view(1.0, -1.0, 2.5, 0.3).status
        page.wait_for_function("s => document.body.innerText.includes(s)", arg=expected, timeout=20_000)
        after_status, after_image = lab_ui.explorer_state(cbox)
        screenshot(page, "lab_convexity_explorer")
        assert after_status == expected and "NOT convex" in expected and "reach 4 minima" in expected
        assert after_image != before_image


def test_instructor_view_has_nbgrader_extensions(tmp_path):
    copy_course(tmp_path, "lectures", "solutions", "assignments", "nbgrader_config.py")
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        page.goto(f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}?reset&token={token}")
        page.wait_for_selector(".lm-MenuBar-itemLabel", timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
        items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        assert "Formgrader" in items and "Assignment List" in items, items
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Formgrader$")).click()
        page.locator(".lm-TabBar-tabLabel", has_text="Formgrader").wait_for(timeout=30_000)
        page.wait_for_timeout(2000)
        screenshot(page, "lab_formgrader")
        r = requests.get(f"{base}/formgrader/api/assignments?token={token}", timeout=30)
        assert r.status_code == 200 and "hw1" in [a["name"] for a in r.json()]   # the course's assignment


def test_run_all_answers_the_select_kernel_dialog_and_says_so(tmp_path):
    """A notebook without kernelspec metadata makes JupyterLab ask "Select Kernel" (as it did, under load on CI,
    for a lecture whose kernel was still starting): `lab_ui.run_all` keeps the proposed kernel, warns, runs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata.pop("kernelspec", None)
    nbformat.write(nb, tmp_path / "no_kernelspec.ipynb")
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        lab_ui.open_notebook(page, f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/no_kernelspec.ipynb?reset&token={token}")
        page.wait_for_selector(".jp-Dialog", timeout=30_000)
        with pytest.warns(lab_ui.DialogWarning, match="Select Kernel"):
            lab_ui.run_all(page)
        page.wait_for_selector(".jp-OutputArea-output:has-text('42')", timeout=60_000)
