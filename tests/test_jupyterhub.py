"""A real course JupyterHub on loopback with real system accounts: two students and an instructor.

Set up exactly as the README says (deploy/jupyterhub/course_setup.py: accounts from a roster, the
nbgrader exchange), then used through the hub's login form, the single-user servers' REST APIs,
kernels (websocket) and, for one student, Chromium. The accounts, their homes, the exchange and
the scratch folder are removed afterwards, whatever happens. Needs root (useradd, PAM).
"""

import asyncio
import csv
import io
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import psutil
import pytest
import requests

from . import lab_ui
from .grading import corpus
from .servers import BIN, ROOT, chromium_page, env_with_venv, free_ports, screenshot, stop_tree, wait_http

CHP = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
SETUP = ROOT / "deploy" / "jupyterhub" / "course_setup.py"
COURSE = "stat4710-dl"
ADA, GRACE, PROF = "dlct-ada", "dlct-grace", "dlct-prof"   # unlikely to clash with a real account
ROSTER = f"username,role,name\n{PROF},instructor,Test Instructor\n{ADA},student,Ada\n{GRACE},student,Grace\n"
# What each student submits for hw1, and the autograded score it must get (tests/grading/corpus.py).
GRACE_BUG = "wrong_update_rule"
EXPECTED = {ADA: corpus.AUTO_TOTAL, GRACE: corpus.MUTATIONS[GRACE_BUG][1]}


def _prerequisites():
    if os.geteuid() != 0:
        pytest.fail("the course hub test creates system accounts: run it as root (CI does)")
    for tool, package in (("useradd", "passwd"), ("chpasswd", "passwd"), ("runuser", "util-linux"),
                          ("bwrap", "bubblewrap"), ("git", "git")):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: `apt-get install {package}`")
    if not CHP.exists():
        pytest.fail(f"configurable-http-proxy is missing at {CHP}: run `make test` (it installs it with npm)")
    try:
        import jupyterhub_idle_culler  # noqa: F401
    except ImportError:
        pytest.fail("jupyterhub-idle-culler is missing: `pip install -e '.[hub]'` (make venv)")


def _run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc.stdout


def _others_can_run(python):
    """Whether an account other than root can run `python` (every folder above it o+x)."""
    real = Path(python).resolve()
    prefix = Path(subprocess.run([str(real), "-c", "import sys; print(sys.base_prefix)"], capture_output=True,
                                 text=True, check=True).stdout.strip())
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [*real.parents, *prefix.parents, prefix])


class Person:
    """Someone at the hub in a browser-like session: the login form, then their server's APIs."""

    def __init__(self, base, user, password):
        self.base, self.user = base, user
        self.http = requests.Session()
        self.http.get(f"{base}/hub/login", timeout=10)
        self.login_response = self.http.post(
            f"{base}/hub/login", data={"username": user, "password": password, "_xsrf": self._xsrf("/hub/")},
            allow_redirects=False, timeout=30)

    def _xsrf(self, path):
        return next((c.value for c in self.http.cookies if c.name == "_xsrf" and c.path == path), None)

    @property
    def logged_in(self):
        return self.http.get(f"{self.base}/hub/api/user", timeout=10).status_code == 200

    def open(self, owner, page="lab"):
        """Load a server's page once (JupyterHub's OAuth hand-shake); returns the status code.

        Someone else's server first shows the hub's "Authorize access" page: the person clicks Authorize.
        """
        import re

        r = self.http.get(f"{self.base}/user/{owner}/{page}", timeout=60)
        if r.status_code == 200 and "/hub/api/oauth2/authorize" in r.url:
            fields = re.findall(r'<input type="hidden" name="(_xsrf|scopes)" value="([^"]*)"', r.text)
            assert fields, r.text[-2000:]
            r = self.http.post(r.url, data=[(k, v.replace("&#34;", '"').replace("&amp;", "&")) for k, v in fields],
                               timeout=60)
        return r.status_code

    def api(self, method, owner, path, **kwargs):
        headers = {"X-XSRFToken": self._xsrf(f"/user/{owner}/") or ""}
        return self.http.request(method, f"{self.base}/user/{owner}/{path}", headers=headers, timeout=120, **kwargs)

    def start_server(self):
        r = self.http.post(f"{self.base}/hub/api/users/{self.user}/server",
                           headers={"X-XSRFToken": self._xsrf("/hub/") or ""}, timeout=30)
        assert r.status_code in (201, 202, 400), (r.status_code, r.text)   # 400: already running
        deadline = time.time() + 120
        while time.time() < deadline:
            info = self.http.get(f"{self.base}/hub/api/user", timeout=10).json()
            if info["servers"].get("", {}).get("ready"):
                assert self.open(self.user) == 200
                return
            time.sleep(0.5)
        raise AssertionError(f"{self.user}'s server did not start")

    def run(self, code, owner=None, timeout=240):
        """Execute `code` in a fresh kernel of `owner`'s server; returns (stdout, error or None)."""
        owner = owner or self.user
        kernel = self.api("POST", owner, "api/kernels", json={"name": "python3"})
        assert kernel.status_code == 201, (kernel.status_code, kernel.text)
        kid = kernel.json()["id"]
        try:
            return asyncio.run(self._execute(owner, kid, code, timeout))
        finally:
            self.api("DELETE", owner, f"api/kernels/{kid}")

    async def _execute(self, owner, kid, code, timeout):
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies
                            if f"/user/{owner}/".startswith(c.path) or c.path == "/")
        url = f"{self.base.replace('http', 'ws', 1)}/user/{owner}/api/kernels/{kid}/channels?session_id={uuid.uuid4().hex}"
        ws = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}))
        msg_id = uuid.uuid4().hex
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.user, "session": uuid.uuid4().hex,
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        out, error, replied, idle, deadline = [], None, False, False, time.time() + timeout
        try:
            while time.time() < deadline:
                raw = await asyncio.wait_for(ws.read_message(), timeout=max(deadline - time.time(), 1))
                if raw is None:
                    raise AssertionError("the kernel's websocket closed")
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind == "stream":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    error = f"{msg['content']['ename']}: {msg['content']['evalue']}"
                elif kind == "execute_reply":
                    replied = True
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True                     # on iopub: every output of the request came before it
                if replied and idle:
                    return "".join(out), error
            raise AssertionError(f"no reply from {owner}'s kernel in {timeout} s; output so far: {''.join(out)[-2000:]}")
        finally:
            ws.close()

    def pull(self, owner, repo, target):
        """nbgitpuller's API (what a link's page runs): clone or merge the course into ~/target."""
        query = urllib.parse.urlencode({"repo": repo, "branch": "main", "targetpath": target})
        r = self.http.get(f"{self.base}/user/{owner}/git-pull/api?{query}", timeout=180)
        assert r.status_code == 200 and '"phase": "finished"' in r.text, r.text[-2000:]


def _ensure_removed(roster, exchange):
    subprocess.run([sys.executable, str(SETUP), "remove", str(roster), "--course", COURSE, "--exchange", str(exchange)],
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def course_hub():
    _prerequisites()
    scratch = Path(tempfile.mkdtemp(prefix="dlcourse-hub-", dir="/tmp"))
    scratch.chmod(0o755)                      # homes, exchange and the course's bare repo are reached through it
    roster, homes, exchange = scratch / "roster.csv", scratch / "homes", scratch / "exchange"
    roster.write_text(ROSTER)
    hub_dir = scratch / "hub"
    hub_dir.mkdir(mode=0o700)
    proc = log = daemon = None
    try:
        _ensure_removed(roster, exchange)     # accounts left by an interrupted earlier run
        passwords_file = scratch / "passwords.csv"
        _run([sys.executable, str(SETUP), "accounts", str(roster), "--homes", str(homes), "--passwords",
              str(passwords_file), "--course", COURSE])
        passwords = {row["username"]: row["password"] for row in csv.DictReader(io.StringIO(passwords_file.read_text()))}
        _run([sys.executable, str(SETUP), "exchange", "--root", str(exchange), "--course", COURSE, "--owner", PROF])
        user_env = Path(sys.prefix)
        if not _others_can_run(sys.executable):   # e.g. pyenv's Python under /root (0700)
            user_env = scratch / "user-env"
            _run([sys.executable, str(SETUP), "user-env", "--venv", sys.prefix, "--dest", str(user_env)])
        repo = scratch / "course.git"
        _run(["git", "clone", "--quiet", "--bare", str(ROOT), str(repo)])
        # served like a real remote (git://): a file:// clone of a repository owned by another account is
        # refused by git ("dubious ownership")
        git_port, port, internal_port, proxy_api_port = free_ports(4)
        daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={scratch}",
                                   "--listen=127.0.0.1", f"--port={git_port}", str(scratch)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        repo_url = f"git://127.0.0.1:{git_port}/course.git"
        deadline = time.time() + 30
        while subprocess.run(["git", "ls-remote", "--heads", repo_url], capture_output=True).returncode != 0:
            assert time.time() < deadline, "git daemon did not start"
            time.sleep(0.3)

        token = secrets.token_hex(16)
        env = env_with_venv(COURSE_HUB_PORT=str(port), COURSE_HUB_INTERNAL_PORT=str(internal_port),
                            COURSE_PROXY_API_PORT=str(proxy_api_port), COURSE_ROSTER=str(roster),
                            COURSE_HUB_STATE=str(hub_dir / "state"), COURSE_USER_ENV=str(user_env),
                            COURSE_EXCHANGE=str(exchange), COURSE_ID=COURSE, COURSE_SERVICE_TOKEN=token,
                            COURSE_PROXY=str(CHP), COURSE_CULL_IDLE_SECONDS="3600")
        log = open(hub_dir / "hub.log", "wb")
        proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(ROOT / "deploy/jupyterhub/jupyterhub_config.py")],
                                cwd=hub_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/hub/api/", timeout=60)
        yield {"base": base, "passwords": passwords, "homes": homes, "exchange": exchange, "repo": repo_url,
               "state": hub_dir / "state", "service": {"Authorization": f"token {token}"}, "scratch": scratch,
               "log": hub_dir / "hub.log", "people": {}}
    finally:
        for server in (proc, daemon):
            if server is not None:
                stop_tree(server)
        if log is not None:
            log.close()
            (ROOT / "build").mkdir(exist_ok=True)
            shutil.copy(hub_dir / "hub.log", ROOT / "build" / "test_jupyterhub.hub.log")
        _ensure_removed(roster, exchange)
        shutil.rmtree(scratch, ignore_errors=True)


def person(hub, user):
    """The logged-in session of a roster user (one per user, reused across the tests)."""
    if user not in hub["people"]:
        p = Person(hub["base"], user, hub["passwords"][user])
        assert p.logged_in, f"{user} could not log in with their own password"
        p.start_server()
        hub["people"][user] = p
    return hub["people"][user]


def test_each_person_logs_in_with_their_own_password_and_strangers_are_refused(course_hub):
    base, pw = course_hub["base"], course_hub["passwords"]
    assert set(pw) == {ADA, GRACE, PROF} and len(set(pw.values())) == 3    # a password of their own each
    for user in (ADA, GRACE, PROF):
        assert Person(base, user, pw[user]).logged_in, user
    refused = {
        "wrong password": Person(base, ADA, pw[GRACE]),
        "another's password for an unknown name": Person(base, "mallory", pw[ADA]),
        "a system account not on the roster": Person(base, "nobody", pw[ADA]),
        "root": Person(base, "root", pw[ADA]),
    }
    for why, attempt in refused.items():
        assert not attempt.logged_in, why
        assert attempt.login_response.status_code != 302, why
    homes = course_hub["homes"]
    for user in (ADA, GRACE, PROF):
        st = os.stat(homes / user)
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == pwd.getpwnam(user).pw_uid, user


PROBE = """
import glob, json, os, pwd
report = {"uid": os.getuid(), "euid": os.geteuid(), "user": pwd.getpwuid(os.getuid()).pw_name, "home": os.path.expanduser("~")}
def attempt(path, how):
    try:
        (os.listdir(path) if how == "list" else open(path, "rb").read(1))
        return "allowed"
    except OSError as exc:
        return type(exc).__name__
report["attempts"] = {p: attempt(p, h) for p, h in TARGETS}
report["glob"] = GLOB and glob.glob(GLOB)
print("REPORT" + json.dumps(report))
"""


def _probe(p, targets, pattern=None):
    code = f"TARGETS = {targets!r}\nGLOB = {pattern!r}\n" + PROBE
    out, error = p.run(code)
    assert error is None, error
    return json.loads(out.split("REPORT", 1)[1])


def test_a_students_kernel_runs_as_the_student_and_cannot_read_what_is_not_theirs(course_hub):
    ada, grace = person(course_hub, ADA), person(course_hub, GRACE)
    homes, state = course_hub["homes"], course_hub["state"]
    secret = grace.api("PUT", GRACE, "api/contents/notes.txt",
                       json={"type": "file", "format": "text", "content": "grace's notes"})
    assert secret.status_code in (200, 201), secret.text
    targets = [(str(homes / GRACE), "list"), (str(homes / GRACE / "notes.txt"), "read"), ("/etc/shadow", "read"),
               (str(state / "jupyterhub.sqlite"), "read"), (str(state / "jupyterhub_cookie_secret"), "read"),
               (str(homes / PROF), "list")]
    for path, _ in targets:
        assert Path(path).exists(), f"{path} must exist for the attempt to mean anything"
    report = _probe(ada, targets)
    assert report["uid"] == report["euid"] == pwd.getpwnam(ADA).pw_uid != 0
    assert report["user"] == ADA and report["home"] == str(homes / ADA)
    assert report["attempts"] == {path: "PermissionError" for path, _ in targets}, report["attempts"]


def _solution_notebooks():
    answers = corpus.reference_answers()
    return {ADA: corpus.build(answers), GRACE: corpus.build(corpus.MUTATIONS[GRACE_BUG][0])}


def test_homework_goes_out_and_comes_back_through_the_exchange_and_is_graded(course_hub):
    prof, ada, grace = (person(course_hub, u) for u in (PROF, ADA, GRACE))
    exchange, inbound = course_hub["exchange"], course_hub["exchange"] / COURSE / "inbound"

    # the instructor gets the course with nbgitpuller and releases hw1 from a terminal-like kernel
    prof.pull(PROF, course_hub["repo"], "course")
    out, error = prof.run("import subprocess\n"
                          "p = subprocess.run(['nbgrader', 'release_assignment', 'hw1'], cwd='course', capture_output=True, text=True)\n"
                          "print(p.returncode, p.stderr[-3000:])")
    assert error is None and out.startswith("0 "), out
    assert (exchange / COURSE / "outbound" / "hw1" / "hw1.ipynb").exists()

    # both students fetch, work and submit through the Assignment List's REST API
    for student, notebook in _solution_notebooks().items():
        p = person(course_hub, student)
        listed = p.api("GET", student, "assignments", params={"course_id": COURSE})
        assert listed.status_code == 200, listed.text
        released = [a for a in listed.json()["value"] if a["assignment_id"] == "hw1"]
        assert released and released[0]["status"] == "released", listed.json()
        fetched = p.api("POST", student, "assignments/fetch", data={"course_id": COURSE, "assignment_id": "hw1"})
        assert fetched.status_code == 200 and fetched.json()["success"], fetched.text
        saved = p.api("PUT", student, "api/contents/hw1/hw1.ipynb",
                      json={"type": "notebook", "format": "json", "content": json.loads(notebook)})
        assert saved.status_code == 200, saved.text
        submitted = p.api("POST", student, "assignments/submit", data={"course_id": COURSE, "assignment_id": "hw1"})
        assert submitted.status_code == 200 and submitted.json()["success"], submitted.text
        statuses = {a["status"] for a in submitted.json()["value"] if a["assignment_id"] == "hw1"}
        assert "submitted" in statuses, submitted.json()

    # a student can neither list the inbound folder nor find the other's submission in it
    theirs = sorted(inbound.glob(f"{GRACE}+hw1+*"))
    assert len(theirs) == 1 and (theirs[0] / "hw1.ipynb").exists()
    report = _probe(ada, [(str(inbound), "list")], pattern=str(inbound / f"{GRACE}+hw1+*"))
    assert report["attempts"] == {str(inbound): "PermissionError"} and report["glob"] == []
    # ... nor read or delete it even knowing its random name (stock nbgrader would allow both)
    named = [(str(theirs[0]), "list"), (str(theirs[0] / "hw1.ipynb"), "read")]
    assert _probe(ada, named)["attempts"] == {path: "PermissionError" for path, _ in named}
    out, error = ada.run(f"import shutil\ntry:\n    shutil.rmtree({str(theirs[0])!r})\nexcept OSError as e:\n"
                         "    print(type(e).__name__)\n")
    assert error is None and "PermissionError" in out and (theirs[0] / "hw1.ipynb").exists()

    # the instructor collects and grades in their own server; the scores are the predicted ones
    out, error = prof.run(
        "import subprocess\n"
        "c = subprocess.run(['nbgrader', 'collect', 'hw1'], cwd='course', capture_output=True, text=True)\n"
        "g = subprocess.run(['dlcourse', 'grade', 'hw1', '--jobs', '2', '--timeout', '30', '--no-progress'],"
        " cwd='course', capture_output=True, text=True)\n"
        "print(c.returncode, g.returncode)\nprint(c.stderr[-3000:], g.stderr[-3000:])\nprint('CSV' + open('course/grades/hw1.csv').read())",
        timeout=400)
    assert error is None and out.startswith("0 0"), out
    assert "isolation: bwrap" in out, out           # the sandbox works for a non-root instructor too
    rows = list(csv.DictReader(io.StringIO(out.split("CSV", 1)[1])))
    assert {r["student_id"]: (float(r["score"]), r["status"]) for r in rows} == {
        student: (float(score), "ok") for student, score in EXPECTED.items()}, rows
    owner = os.stat(course_hub["homes"] / PROF / "course" / "grades" / "hw1.csv").st_uid
    assert owner == pwd.getpwnam(PROF).pw_uid


def test_the_teaching_team_opens_students_servers_and_students_open_only_their_own(course_hub):
    prof, ada, grace = (person(course_hub, u) for u in (PROF, ADA, GRACE))
    assert prof.open(ADA) == 200
    listing = prof.api("GET", ADA, "api/contents")
    assert listing.status_code == 200 and "hw1" in {e["name"] for e in listing.json()["content"]}
    out, error = prof.run("import os; print(os.getuid())", owner=ADA)   # help in the student's own kernel
    assert error is None and int(out) == pwd.getpwnam(ADA).pw_uid
    assert ada.open(PROF) == 403 and ada.api("GET", PROF, "api/contents").status_code == 403
    assert grace.open(ADA) == 403 and grace.api("GET", ADA, "api/contents").status_code == 403
    # the hub's API says the same: students see no one but themselves
    assert ada.http.get(f"{course_hub['base']}/hub/api/users/{GRACE}", timeout=10).status_code == 404
    assert prof.http.get(f"{course_hub['base']}/hub/api/users/{GRACE}", timeout=10).status_code == 200


def test_idle_servers_are_culled_by_a_hub_service(course_hub):
    services = requests.get(f"{course_hub['base']}/hub/api/services", headers=course_hub["service"], timeout=10).json()
    culler = services["idle-culler"]
    assert "jupyterhub_idle_culler" in " ".join(culler["command"]) and "--timeout=3600" in culler["command"]
    assert set(culler["roles"]) == {"idle-culler"}
    running = [p for p in psutil.process_iter(["cmdline"]) if "jupyterhub_idle_culler" in " ".join(p.info["cmdline"] or [])]
    assert running, "the idle culler is not running"


def test_a_student_pulls_the_course_and_runs_lecture_1_in_chromium(course_hub):
    base = course_hub["base"]
    person(course_hub, ADA)                                   # server running
    with chromium_page() as page:
        page.goto(f"{base}/hub/login")
        page.fill("#username_input", ADA)
        page.fill("#password_input", course_hub["passwords"][ADA])
        page.click("#login_submit")
        page.wait_for_url(f"{base}/**", timeout=30_000)
        target = "course"
        link = (f"{base}/hub/user-redirect/git-pull?" + urllib.parse.urlencode({
            "repo": course_hub["repo"], "branch": "main", "targetpath": target,
            "urlpath": f"lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/{target}/lectures/01_preliminaries.ipynb"}))
        lab_ui.open_notebook(page, link)
        lab_ui.run_all(page)
        box = lab_ui.learning_rate_explorer(page)
        status, _ = lab_ui.explorer_state(box)
        assert status.startswith("1-D: γ = 0.1")
        screenshot(page, "hub_student_lecture1")
    copy = course_hub["homes"] / ADA / target / "lectures" / "01_preliminaries.ipynb"
    assert copy.exists() and copy.stat().st_uid == pwd.getpwnam(ADA).pw_uid
