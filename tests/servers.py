"""Real servers and a real browser for the UI tests: JupyterLab, JupyterHub, headless Chromium.

Every server is started as a plain process (its real pid) and stopped with all its descendants
by pid, whatever the outcome of the test.
"""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"


def require_chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `apt-get install chromium` (make test installs it as root); "
                    "the browser tests must not be skipped")


def free_port():
    return free_ports(1)[0]


def free_ports(n):
    """n different loopback ports free now (all bound at once, so none is handed out twice)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def env_with_venv(**extra):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update(extra)
    return env


def stop_tree(proc):
    """Stop a server and everything it started (kernels, proxies, user servers), by pid."""
    try:
        parent = psutil.Process(proc.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(family, timeout=5)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    proc.wait(timeout=10)


class ServerExited(AssertionError):
    """The server process ended before it answered."""


def wait_http(url, timeout=60, ok=(200,), proc=None):
    """The response once `url` answers with a status in `ok`; fails after `timeout` s, or as soon as
    `proc` (the server, if given) has ended."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerExited(f"the server for {url} ended with exit code {proc.returncode} before it answered")
        try:
            r = requests.get(url, timeout=2)
            if r.status_code in ok:
                return r
            last = r.status_code
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {timeout} s (last: {last})")


@contextlib.contextmanager
def jupyter_lab(root_dir):
    """A JupyterLab server on 127.0.0.1 serving `root_dir`; yields (base_url, token, process)."""
    token = secrets.token_hex(16)
    cmd = [str(BIN / "jupyter-lab"), "--no-browser", "--ip", "127.0.0.1", "--ServerApp.port_retries=0",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root_dir}", "--LabApp.news_url=None",
           "--ServerApp.disable_check_xsrf=False", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    # Render every cell (no windowing): a test scrolls to an explorer long after Run All, and
    # JupyterLab 4 otherwise detaches off-screen cells from the page.
    settings = Path(root_dir) / "lab-user-settings"
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text('{"windowingMode": "none"}')
    log = open(Path(root_dir) / "jupyter-lab.log", "wb")
    for attempt in range(3):          # a port free a moment ago may be taken by the time Lab binds it
        port = free_port()
        proc = subprocess.Popen([*cmd, f"--port={port}"], cwd=root_dir,
                                env=env_with_venv(JUPYTERLAB_SETTINGS_DIR=str(settings)), stdout=log,
                                stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/api/status?token={token}", proc=proc)
            break
        except ServerExited:
            if attempt == 2:
                log.close()
                raise
        except BaseException:
            stop_tree(proc)
            log.close()
            raise
    try:
        yield base, token, proc
    finally:
        stop_tree(proc)
        log.close()


@contextlib.contextmanager
def chromium_page():
    """A fresh headless Chromium page (Debian's chromium, driven by playwright)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            yield context.new_page()
        finally:
            browser.close()


def copy_course(dest, *parts):
    """Copy parts of the repository (lectures/, ...) into a scratch folder for a server to serve."""
    for part in parts:
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, Path(dest) / part)
    return Path(dest)


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
