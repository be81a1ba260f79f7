"""A real JupyterHub on loopback: two students log in, pull the course with nbgitpuller, run lecture 1."""

import secrets
import subprocess
import time
import urllib.parse
import uuid
from contextlib import contextmanager

import pytest
import requests

from . import lab_ui
from .servers import BIN, ROOT, chromium_page, env_with_venv, free_port, screenshot, stop_tree, wait_http

CHP = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
PASSWORD = "students-" + secrets.token_hex(4)
STUDENTS = ("ada", "grace")


@contextmanager
def hub(workdir):
    if not CHP.exists():
        pytest.fail(f"configurable-http-proxy is missing at {CHP}: run `make test` (it installs it with npm)")
    port, token = free_port(), secrets.token_hex(16)
    env = env_with_venv(COURSE_HUB_PORT=str(port), COURSE_HUB_INTERNAL_PORT=str(free_port()),
                        COURSE_PROXY_API_PORT=str(free_port()), COURSE_HOMES=str(workdir / "homes"),
                        COURSE_SHARED_PASSWORD=PASSWORD, COURSE_ADMIN_PASSWORD=secrets.token_hex(20),
                        COURSE_SERVICE_TOKEN=token, COURSE_PROXY=str(CHP))
    log = open(workdir / "hub.log", "wb")
    proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(ROOT / "deploy/jupyterhub/jupyterhub_config.py")],
                            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/hub/api/", timeout=60)
        yield base, {"Authorization": f"token {token}"}, proc
    finally:
        stop_tree(proc)
        log.close()


def start_server(base, headers, user):
    requests.post(f"{base}/hub/api/users/{user}", headers=headers, timeout=10)
    requests.post(f"{base}/hub/api/users/{user}/server", headers=headers, timeout=30)
    deadline = time.time() + 60
    while time.time() < deadline:
        info = requests.get(f"{base}/hub/api/users/{user}", headers=headers, timeout=10).json()
        if info["servers"].get("", {}).get("ready"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{user}'s server did not start")


def login(page, base, user):
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"{base}/**", timeout=30_000)


@pytest.fixture(scope="module")
def bare_repo(tmp_path_factory):
    """The course as students' nbgitpuller sees it: a bare clone of this repository."""
    repo = tmp_path_factory.mktemp("remote") / "course.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(repo)], check=True)
    return repo


def test_students_pull_the_course_and_run_lecture_1(tmp_path, bare_repo):
    with hub(tmp_path) as (base, headers, _):
        for user in STUDENTS:
            start_server(base, headers, user)
        for user in STUDENTS:
            with chromium_page() as page:
                login(page, base, user)
                target = "course"
                link = (f"{base}/hub/user-redirect/git-pull?" + urllib.parse.urlencode({
                    "repo": f"file://{bare_repo}", "branch": "main", "targetpath": target,
                    "urlpath": f"lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/{target}/lectures/01_preliminaries.ipynb"}))
                lab_ui.open_notebook(page, link)
                lab_ui.run_all(page)
                box = lab_ui.learning_rate_explorer(page)
                status, _ = lab_ui.explorer_state(box)
                assert status.startswith("1-D: γ = 0.1")
                screenshot(page, f"hub_{user}_lecture1")
            copy = tmp_path / "homes" / user / target / "lectures" / "01_preliminaries.ipynb"
            assert copy.exists(), f"{user} has no copy of the lectures"
            assert (tmp_path / "homes" / user / target / ".git").is_dir()

        # one student cannot reach the other's server
        session = requests.Session()
        session.get(f"{base}/hub/login", timeout=10)
        xsrf = session.cookies.get("_xsrf")
        session.post(f"{base}/hub/login", data={"username": "ada", "password": PASSWORD, "_xsrf": xsrf}, timeout=10)
        own = session.get(f"{base}/user/ada/lab", timeout=30)
        assert own.status_code == 200
        other = session.get(f"{base}/user/grace/api/contents", timeout=30)
        assert other.status_code == 403, other.status_code
