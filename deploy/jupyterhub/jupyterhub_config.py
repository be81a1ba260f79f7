"""A course JupyterHub on one machine: shared-password login, one local server per student.

Start it from a working folder (the hub keeps its database and cookie secret there):

    COURSE_SHARED_PASSWORD=... COURSE_ADMIN_PASSWORD=... \\
        jupyterhub -f /path/to/repo/deploy/jupyterhub/jupyterhub_config.py

Settings (environment variables):
  COURSE_HUB_IP / COURSE_HUB_PORT   where the hub listens (default 127.0.0.1:8000)
  COURSE_HOMES                      folder holding one home folder per student (default ./homes)
  COURSE_VENV                       the course's virtual environment (default: the one running the hub)
  COURSE_SHARED_PASSWORD            the students' shared password (at least 8 characters)
  COURSE_ADMIN_PASSWORD             the instructors' password (at least 32 characters)
  COURSE_ADMINS                     comma-separated admin user names (default: instructor)
  COURSE_SERVICE_TOKEN              optional API token for a management service (used by the tests)
  COURSE_PROXY                      configurable-http-proxy executable (default: .venv/node/...)

Students get their copy of the course through an nbgitpuller link (see README). For a large class,
use the Kubernetes deployment (Zero to JupyterHub) with the same image and nbgitpuller; release and
collect homework with nbgrader's exchange (c.Exchange.root on a shared volume).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821

here = Path(__file__).resolve().parent
venv = Path(os.environ.get("COURSE_VENV", Path(sys.executable).parent.parent))
homes = Path(os.environ.get("COURSE_HOMES", "homes")).resolve()
homes.mkdir(parents=True, exist_ok=True)

c.JupyterHub.ip = os.environ.get("COURSE_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_INTERNAL_PORT", str(c.JupyterHub.port + 1)))
c.ConfigurableHTTPProxy.command = [os.environ.get(
    "COURSE_PROXY", str(here.parents[1] / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"))]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(os.environ.get('COURSE_PROXY_API_PORT', c.JupyterHub.port + 2))}"

# Login: one shared password for students, a long one for instructors.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["COURSE_SHARED_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["COURSE_ADMIN_PASSWORD"]
c.Authenticator.admin_users = set(os.environ.get("COURSE_ADMINS", "instructor").split(","))
c.Authenticator.allow_all = True

# One server per student, each in its own home folder, started from the course's environment.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(homes / "{username}")
c.Spawner.cmd = [str(venv / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
if os.geteuid() == 0:
    c.Spawner.args = ["--allow-root"]

token = os.environ.get("COURSE_SERVICE_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": token}]
    c.JupyterHub.load_roles = [{
        "name": "course-admin", "services": ["course-admin"],
        "scopes": ["admin:users", "admin:servers", "access:servers", "read:users", "list:users", "tokens"],
    }]
