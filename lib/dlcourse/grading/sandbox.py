"""Isolation for student code: where it runs, what it can see, what it may use.

Levels, strongest first:

* ``bwrap-nobody`` (as root): bubblewrap with new mount, PID, network, IPC and UTS namespaces;
  the submission sees the system's programs, Python and the dlcourse library read-only, its own
  scratch folder, and nothing else of the course (no solutions/, no gradebook, no other students);
  no network (only its own loopback); it runs as uid 65534 (nobody) with no capabilities.
* ``bwrap-userns`` (not root): the same namespaces inside an unprivileged user namespace.
* ``rlimits-only``: no bubblewrap on this machine; resource limits and a scratch folder only.
  Printed as a warning: student code could then read the course files.

In every level: limits on address space (memory), CPU time, processes and file size,
and a wall-clock limit enforced from outside (the whole sandbox is killed).
"""

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
WORKDIR = "/grading"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 3 * 1024**3      # address space per process
    cpu_seconds: int = 600               # CPU time per process
    processes: int = 256                 # per uid (nobody is shared by parallel sandboxes)
    file_bytes: int = 64 * 1024**2       # largest file a submission may write


@functools.lru_cache(maxsize=1)
def level():
    """The strongest isolation level that works on this machine (probed once)."""
    bwrap = shutil.which("bwrap")
    if bwrap:
        probe = [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--die-with-parent", "true"]
        if os.geteuid() != 0:
            probe.insert(1, "--unshare-user")
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return "bwrap-nobody" if os.geteuid() == 0 else "bwrap-userns"
    return "rlimits-only"


def _readonly_roots():
    """Folders the sandbox needs read-only: system, the Python installation, the venv, dlcourse."""
    import dlcourse

    roots = ["/usr", "/bin", "/lib", "/lib64", "/lib32", "/etc", "/sbin"]
    roots += [sys.base_prefix, sys.prefix, str(Path(dlcourse.__file__).resolve().parent)]
    return [r for r in dict.fromkeys(roots) if os.path.exists(r)]


def environment(extra=None):
    """A clean environment for the sandbox: no secrets, single-threaded BLAS, writable dirs in /tmp."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": WORKDIR, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
        "JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config", "JUPYTER_DATA_DIR": "/tmp/jupyter-data",
        "IPYTHONDIR": "/tmp/ipython", "MPLCONFIGDIR": "/tmp/matplotlib", "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):   # needed on some CPUs for correct results
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra or {})
    return env


def command(argv, scratch, *, limits=Limits(), isolation=None):
    """The full command line that runs `argv` (inside the sandbox) with `scratch` as its folder."""
    isolation = isolation or level()
    rlimits = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", "--core=0", "--"]
    if isolation == "rlimits-only":
        return rlimits + list(argv)
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
           "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    roots = _readonly_roots()
    parents = sorted({str(a) for r in roots for a in Path(r).parents if str(a) != "/"}, key=len)
    for parent in parents:                      # bwrap would create them 0700: unreadable for nobody
        cmd += ["--perms", "0755", "--dir", parent]
    for root in roots:
        cmd += ["--ro-bind", root, root]
    cmd += ["--bind", str(scratch), WORKDIR, "--chdir", WORKDIR]
    if isolation == "bwrap-nobody":
        drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--"]
        return cmd + ["--"] + drop + rlimits + list(argv)
    return cmd[:1] + ["--unshare-user"] + cmd[1:] + ["--"] + rlimits + list(argv)


def prepare_scratch(path):
    """Create the submission's scratch folder, writable by the sandbox user."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and level() == "bwrap-nobody":
        os.chown(path, NOBODY, NOBODY)
        for p in path.rglob("*"):
            os.chown(p, NOBODY, NOBODY)
    return path


__all__ = ["Limits", "level", "command", "environment", "prepare_scratch", "WORKDIR"]
