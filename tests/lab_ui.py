"""What a person does in JupyterLab, as playwright steps (shared by the lab and hub tests)."""

import re
import warnings

EXPLORER_TIMEOUT = 120_000   # ms: running all of lecture 1 in a fresh kernel


def open_notebook(page, url):
    page.goto(url)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)


STARTED = "() => [...document.querySelectorAll('.jp-InputPrompt')].some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"


class DialogWarning(UserWarning):
    """JupyterLab showed a dialog nobody asked for (shown in the run's warnings summary)."""


DIALOGS = """() => [...document.querySelectorAll('.jp-Dialog')].map(d => {
    const part = s => (d.querySelector(s) || {}).textContent || '';
    return (part('.jp-Dialog-header') + ': ' + part('.jp-Dialog-body')).slice(0, 300);
})"""


def answer_dialogs(page):
    """Answer any JupyterLab dialog in the way as a person would, and say which (a DialogWarning in the run's
    warnings summary). Under load on CI, JupyterLab sometimes asks "Select Kernel" for a notebook whose
    kernel it is still starting: the person keeps the kernel it proposes (the notebook's own, Python 3),
    so the dialog's accept button is pressed. Any other dialog is cancelled. A dialog that means real
    trouble still fails the test at its next wait, which shows the notebook's state."""
    shown = page.evaluate(DIALOGS)
    for text in shown:
        kernel = text.startswith("Select Kernel")
        warnings.warn(f"JupyterLab showed a dialog, {'accepted its proposed kernel' if kernel else 'cancelled'}: "
                      f"{text}", DialogWarning, stacklevel=2)
        dialog = page.locator(".jp-Dialog").first
        button = dialog.locator(".jp-Dialog-footer button." + ("jp-mod-accept" if kernel else "jp-mod-reject")).first
        if button.count():
            button.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(300)
    if shown:
        page.wait_for_function("() => !document.querySelector('.jp-Dialog')", timeout=30_000)
    return shown


def menu(page, name, item, timeout=None):
    """Click JupyterLab's menu `name`, then its `item` (exact labels)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(name)}$")).click(timeout=timeout)
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click(timeout=timeout)


def run_all(page):
    """Run → Run All Cells, once the kernel is idle; retried if the click came too early to start anything
    or a dialog (`answer_dialogs`) took it."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=60_000)
    for _ in range(4):
        if answer_dialogs(page):
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached",
                                   timeout=60_000)
        try:
            menu(page, "Run", "Run All Cells", timeout=10_000)
            page.wait_for_function(STARTED, timeout=15_000)
            return
        except Exception:  # playwright's TimeoutError: a dialog took the click, or the kernel was not ready yet
            page.keyboard.press("Escape")
    raise AssertionError(f"Run All Cells did not start the notebook: {notebook_state(page)}")


def interrupt_the_rest(page, timeout=EXPLORER_TIMEOUT):
    """Kernel → Interrupt Kernel once the explorer is on the page, then wait until the kernel is idle.

    The cells after an explorer (training runs) would keep the kernel busy, and a slider move is answered
    only when it is idle; the interrupt stops the running cell and the kernel drops the queued ones (as
    after any error in Run All). Their outputs are tested where the lecture is executed headless."""
    page.wait_for_timeout(500)                      # let the explorer's own cell finish drawing
    menu(page, "Kernel", "Interrupt Kernel")
    try:
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=timeout)
    except Exception as exc:
        raise AssertionError(f"the kernel did not become idle after the interrupt: {notebook_state(page)}") from exc
    answer_dialogs(page)


def learning_rate_explorer(page):
    """The explorer whose status starts with '1-D: γ' (the learning-rate explorer)."""
    status = wait_for_explorer(page, "1-D: γ")
    status.scroll_into_view_if_needed()
    box = page.locator(".widget-vbox", has=status).last
    return box


def move_gamma(page, box, presses):
    handle = box.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")


def explorer_state(box):
    html = box.locator(".widget-html-content").first.inner_html()
    status = re.sub(r"<br\s*/?>", "\n", html)
    status = re.sub(r"<[^>]+>", "", status).strip()
    image = box.locator("img").first.get_attribute("src")
    return status, image


def image_bytes(page, box):
    """The explorer's current figure as PNG bytes (read back from the page's blob URL)."""
    import base64

    src = box.locator("img").first.get_attribute("src")
    data = page.evaluate("""async (src) => {
        const buf = await (await fetch(src)).arrayBuffer();
        let s = ""; const b = new Uint8Array(buf);
        for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
        return btoa(s);
    }""", src)
    return base64.b64decode(data)


NOTEBOOK_STATE = """() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
    const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '?');
    const errors = [...document.querySelectorAll('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(e => e.textContent.slice(0, 300));
    const kernel = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return {prompts: prompts.join(' '), errors: errors.slice(-3), kernel: kernel && kernel.dataset.status,
            dialogs: [...document.querySelectorAll('.jp-Dialog-header')].map(d => d.textContent)};
}"""


def notebook_state(page):
    """What the notebook shows (each code cell's prompt, the last error outputs, the kernel's status, any
    dialog): the message of a wait that timed out, so a failure says where the notebook stopped."""
    try:
        return page.evaluate(NOTEBOOK_STATE)
    except Exception as exc:         # the page itself is gone
        return f"(the page could not be read: {exc})"


def wait_for_explorer(page, status_text, timeout=EXPLORER_TIMEOUT):
    """The first widget status containing `status_text`, once attached; on timeout, an AssertionError
    that shows where the notebook stopped."""
    status = page.locator(".widget-html-content", has_text=status_text).first
    try:
        status.wait_for(state="attached", timeout=timeout)   # off-screen cells are not "visible"
    except Exception as exc:
        raise AssertionError(f"no explorer showing {status_text!r} after {timeout / 1000:g} s: "
                             f"{notebook_state(page)}") from exc
    return status


def explorer_box(page, first_status, stable_text, timeout=EXPLORER_TIMEOUT):
    """The explorer whose status reads `first_status` after Run All, with the kernel idle.

    The notebook's later cells (training runs) would keep the kernel busy and a slider move is answered
    only after them, so they are interrupted (`interrupt_the_rest`). The box is then found by
    `stable_text`, a part of its status that stays while the sliders move.
    """
    wait_for_explorer(page, first_status, timeout)
    interrupt_the_rest(page, timeout)
    status = page.locator(".widget-html-content", has_text=stable_text).first
    status.scroll_into_view_if_needed(timeout=30_000)
    return page.locator(".widget-vbox", has=status).last
