"""A course JupyterHub on one machine: one system account per roster row, each server as its user.

Run as root (PAM checks /etc/shadow; servers are started as each student's uid), from any folder:

    deploy/jupyterhub/course_setup.py accounts roster.csv --passwords /root/passwords.csv
    deploy/jupyterhub/course_setup.py exchange --owner INSTRUCTOR
    COURSE_ROSTER=roster.csv .venv/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Who may do what:
  * only the roster's user names may log in, each with their own system password (PAM);
    root, other system accounts and unknown names are refused;
  * every server runs as its owner (LocalProcessSpawner), never as root, in the owner's 0700 home;
  * `teaching-team` (roster roles instructor and ta) may open, start and stop students' servers
    and each other's (a TA opens the instructor's server for the Formgrader), and see the admin page;
  * students may open only their own server;
  * the hub's database and cookie secret live in COURSE_HUB_STATE, mode 0700, owned by root;
  * idle servers are stopped by jupyterhub-idle-culler (a hub service).

Settings (environment variables):
  COURSE_ROSTER                      roster.csv: username,role[,name]; role student, ta or instructor (required)
  COURSE_HUB_IP / COURSE_HUB_PORT    where the hub listens (default 127.0.0.1:8000)
  COURSE_HUB_STATE                   folder for the hub's database and cookie secret (default ./hub-state)
  COURSE_USER_ENV                    the Python environment user servers run from; every account must
                                     be able to run it (default: the one running the hub; see
                                     `course_setup.py user-env` when that one lives under /root)
  COURSE_EXCHANGE / COURSE_ID        nbgrader's exchange and course id (default /srv/nbgrader/exchange, stat4710-dl)
  COURSE_CULL_IDLE_SECONDS           stop servers idle this long (default 3600; 0: no culling)
  COURSE_ADMINS                      comma-separated hub admins (default: none; the teaching team's role suffices)
  COURSE_SERVICE_TOKEN               optional API token for a management service (used by the tests)
  COURSE_PROXY                       configurable-http-proxy executable (default: .venv/node/...)

For a class larger than one machine: deploy/kubernetes/ (Zero to JupyterHub).
"""

import csv
import importlib.util
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821

here = Path(__file__).resolve().parent
hub_env = Path(sys.executable).parent.parent
user_env = Path(os.environ.get("COURSE_USER_ENV", os.environ.get("COURSE_VENV", hub_env)))
course_id = os.environ.get("COURSE_ID", "stat4710-dl")
exchange = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")

if os.geteuid() != 0:
    raise SystemExit("The course hub runs as root: it checks system passwords and starts each server as its user.")

# ---- the roster: who may log in, and who is on the teaching team
roster_path = Path(os.environ["COURSE_ROSTER"])
with open(roster_path, newline="") as f:
    roster = {row["username"].strip(): row["role"].strip().lower() for row in csv.DictReader(f)}
students = sorted(u for u, role in roster.items() if role == "student")
team = sorted(u for u, role in roster.items() if role in ("instructor", "ta"))
unknown = sorted(u for u, role in roster.items() if role not in ("student", "ta", "instructor"))
if unknown:
    raise SystemExit(f"{roster_path}: unknown role for {', '.join(unknown)} (student, ta or instructor)")

# ---- where the hub listens, and its private state
c.JupyterHub.ip = os.environ.get("COURSE_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_INTERNAL_PORT", str(c.JupyterHub.port + 1)))
c.ConfigurableHTTPProxy.command = [os.environ.get(
    "COURSE_PROXY", str(here.parents[1] / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"))]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(os.environ.get('COURSE_PROXY_API_PORT', c.JupyterHub.port + 2))}"

state = Path(os.environ.get("COURSE_HUB_STATE", "hub-state")).resolve()
state.mkdir(parents=True, exist_ok=True)
os.chown(state, 0, 0)
os.chmod(state, 0o700)                       # database and cookie secret: root only
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# ---- login: each roster user with their own system password
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(roster)
c.Authenticator.allow_existing_users = False     # a user added by hand to the hub's database still cannot log in
c.Authenticator.admin_users = {u for u in os.environ.get("COURSE_ADMINS", "").split(",") if u}
c.PAMAuthenticator.open_sessions = False         # no login sessions (no systemd-logind on a container host)
c.LocalAuthenticator.create_system_users = False  # accounts come from course_setup.py, never from a login

# ---- one server per user, as that user, in their home folder
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(user_env / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.env_keep = ["LANG", "LC_ALL"]          # nothing else of the hub's (root's) environment
c.Spawner.environment = {
    "PATH": f"{user_env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "VIRTUAL_ENV": str(user_env),
    "JUPYTER_CONFIG_PATH": str(here / "user-config"),   # nbgrader: exchange and course id
    "COURSE_EXCHANGE": exchange,
    "COURSE_ID": course_id,
}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90

# ---- groups and roles
c.JupyterHub.load_groups = {
    "students": {"users": students},
    "teaching-team": {"users": team},
}
c.JupyterHub.load_roles = [{
    "name": "teaching-team",
    "description": "Instructors and TAs: help students in their servers; share the instructor's Formgrader",
    "groups": ["teaching-team"],
    "scopes": [
        "access:servers!group=students", "admin:servers!group=students", "read:users!group=students",
        "list:users!group=students", "access:servers!group=teaching-team", "read:users!group=teaching-team",
        "list:users!group=teaching-team", "admin-ui",
    ],
}]

services = []
cull = int(os.environ.get("COURSE_CULL_IDLE_SECONDS", "3600"))
if cull > 0:
    if importlib.util.find_spec("jupyterhub_idle_culler") is None:
        raise SystemExit("jupyterhub-idle-culler is not installed in the hub's environment: "
                         "pip install -e '.[hub]' (or COURSE_CULL_IDLE_SECONDS=0 to keep idle servers)")
    services.append({"name": "idle-culler", "command": [
        sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cull}", f"--cull-every={max(cull // 4, 5)}"]})
    c.JupyterHub.load_roles.append({"name": "idle-culler", "services": ["idle-culler"],
                                    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})

token = os.environ.get("COURSE_SERVICE_TOKEN")
if token:
    services.append({"name": "course-admin", "api_token": token})
    c.JupyterHub.load_roles.append({
        "name": "course-admin", "services": ["course-admin"],
        "scopes": ["admin:users", "admin:servers", "read:users", "list:users", "read:groups", "list:groups",
                   "read:roles", "list:services", "read:services"],
    })
c.JupyterHub.services = services
