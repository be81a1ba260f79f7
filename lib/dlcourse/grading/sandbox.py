"""Isolation for student code: where it runs, what it can see, what it may use.

Levels, strongest first:

* ``bwrap-slots`` (as root): bubblewrap with new mount, PID, network, IPC and UTS namespaces;
  the submission sees the system's programs and Python read-only, a copy of the dlcourse library
  holding only the modules its homework may use, its input files read-only at /input, and a
  size-limited tmpfs as its working folder (/grading) and /tmp — nothing else of the course (no
  solutions/, no gradebook, no other students); no network (only its own loopback). Each sandbox
  runs as the uid of its *slot* (a dedicated uid, ``UID_BASE + n``, one per sandbox running at the
  same time, no capabilities), in its own cgroup (processes, memory, CPU share), so the per-uid
  process limit and the cgroup limits count per sandbox: a fork bomb exhausts only its own.
* ``bwrap-userns`` (not root): the same namespaces inside an unprivileged user namespace
  (no per-sandbox uid or cgroup: limits are per process).
* ``rlimits-only``: no bubblewrap on this machine; resource limits and a scratch folder only.
  Printed as a warning: student code could then read the course files.

In every level: limits on address space (memory), CPU time, processes and file size,
and a wall-clock limit enforced from outside (the whole sandbox is killed).
"""

import contextlib
import fcntl
import functools
import os
import pwd
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

UID_BASE = 62000          # slot n runs as uid UID_BASE + n (no passwd entry needed; see `slot_uids`)
MAX_SLOTS = 64
WORKDIR = "/grading"
INPUT = "/input"
CGROUP_V1 = Path("/sys/fs/cgroup")
CGROUP_PARENT = "dlcourse-grading"
SLOT_LOCKS = Path("/run/dlcourse-grading")   # one lock file per slot, shared by every grading process


class SandboxError(RuntimeError):
    """The sandbox cannot be set up as required (a missing component): grading must not go on."""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 3 * 1024**3      # address space per process
    cpu_seconds: int = 600               # CPU time per process
    processes: int = 256                 # per uid, i.e. per sandbox (each sandbox has its own uid)
    file_bytes: int = 64 * 1024**2       # largest file a submission may write
    sandbox_memory_bytes: int = 4 * 1024**3   # all processes of one sandbox together (cgroup), tmpfs included
    sandbox_processes: int = 512         # all processes and threads of one sandbox (cgroup)
    disk_bytes: int = 512 * 1024**2      # the working folder and /tmp (tmpfs each)


@functools.lru_cache(maxsize=1)
def level():
    """The strongest isolation level that works on this machine (probed once)."""
    bwrap = shutil.which("bwrap")
    if bwrap:
        probe = [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--die-with-parent", "true"]
        if os.geteuid() != 0:
            probe.insert(1, "--unshare-user")
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return "bwrap-slots" if os.geteuid() == 0 else "bwrap-userns"
    return "rlimits-only"


# --- slots: one uid and one cgroup per sandbox running at the same time --------------------------------

@functools.lru_cache(maxsize=1)
def slot_uids():
    """The uids slots may use: UID_BASE.. that no account owns (or accounts named dlcourse-grader-N).

    No account has to exist: setpriv switches to a numeric uid. A uid some account owns is skipped,
    so grading never runs student code as a real user.
    """
    uids = []
    for uid in range(UID_BASE, UID_BASE + 4 * MAX_SLOTS):
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = None
        if owner is None or owner.startswith("dlcourse-grader"):
            uids.append(uid)
        if len(uids) == MAX_SLOTS:
            break
    return tuple(uids)


@functools.lru_cache(maxsize=1)
def cgroup_kind():
    """'v1' (controllers pids, memory, cpu mounted separately), 'v2' (unified) or None."""
    if os.geteuid() != 0:
        return None
    if all((CGROUP_V1 / c / "cgroup.procs").exists() for c in ("pids", "memory", "cpu")):
        return "v1"
    if (CGROUP_V1 / "cgroup.controllers").exists():
        controllers = (CGROUP_V1 / "cgroup.controllers").read_text().split()
        if {"pids", "memory", "cpu"} <= set(controllers):
            return "v2"
    return None


def _cgroup_dirs(slot):
    name = f"{CGROUP_PARENT}/slot-{slot}"
    if cgroup_kind() == "v1":
        return {c: CGROUP_V1 / c / name for c in ("pids", "memory", "cpu")}
    return {"unified": CGROUP_V1 / name}


def _write(path, value):
    Path(path).write_text(str(value))


def setup_cgroup(slot, limits):
    """Create (idempotently) the slot's cgroup(s) with the sandbox limits; returns the cgroup.procs files
    the sandbox's first process joins. Raises SandboxError when cgroups cannot be written."""
    kind = cgroup_kind()
    if kind is None:
        raise SandboxError("no writable cgroup controllers (pids, memory, cpu) under /sys/fs/cgroup: "
                           "per-sandbox limits need root and cgroups")
    dirs = _cgroup_dirs(slot)
    try:
        if kind == "v2":
            parent = CGROUP_V1 / CGROUP_PARENT
            parent.mkdir(exist_ok=True)
            _write(parent / "cgroup.subtree_control", "+pids +memory +cpu")
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        if kind == "v1":
            _write(dirs["pids"] / "pids.max", limits.sandbox_processes)
            _write(dirs["memory"] / "memory.limit_in_bytes", limits.sandbox_memory_bytes)
            _write(dirs["cpu"] / "cpu.shares", 1024)          # equal CPU share per sandbox, however many processes
        else:
            d = dirs["unified"]
            _write(d / "pids.max", limits.sandbox_processes)
            _write(d / "memory.max", limits.sandbox_memory_bytes)
            _write(d / "cpu.weight", 100)
    except OSError as exc:
        raise SandboxError(f"cannot set up the sandbox cgroup {dirs}: {exc}") from exc
    return cgroup_procs(slot)


def cgroup_procs(slot):
    """The cgroup.procs files a process writes its pid to, to join the slot's cgroup(s) (`setup_cgroup`)."""
    return [d / "cgroup.procs" for d in _cgroup_dirs(slot).values()]


class Slots:
    """A pool of sandbox slots (uid + cgroup); `with slots.acquire() as slot:` blocks until one is free.

    At most `n` sandboxes of this process at once. A slot is held through an exclusive lock on its
    file in SLOT_LOCKS, so processes grading on the same machine at the same time (two `dlcourse grade`
    runs, Dask workers, parallel test workers) never share a slot's uid or cgroup.
    """

    def __init__(self, n):
        uids = slot_uids()
        if n > len(uids):
            raise SandboxError(f"{n} sandboxes at once: at most {len(uids)} slots")
        self._n, self._busy = n, 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def acquire(self):
        with self._cond:
            while self._busy >= self._n:
                self._cond.wait()
            self._busy += 1
        try:
            slot, fd = _claim_slot()
            try:
                yield slot
            finally:
                os.close(fd)                # releases the lock
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify()


def _claim_slot(poll=0.2):
    """(slot, fd of its locked file): the first slot no process holds; waits while every slot is held."""
    SLOT_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
    while True:
        for slot in range(len(slot_uids())):
            fd = os.open(SLOT_LOCKS / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return slot, fd
        time.sleep(poll)


def slot_uid(slot):
    return slot_uids()[slot]


# --- what the sandbox sees ------------------------------------------------------------------------

def _system_roots():
    """Folders the sandbox needs read-only: system, the Python installation and the venv."""
    roots = ["/usr", "/bin", "/lib", "/lib64", "/lib32", "/etc", "/sbin", sys.base_prefix, sys.prefix]
    return [r for r in dict.fromkeys(roots) if os.path.exists(r)]


def library_dir():
    """Where the real dlcourse package lives (the sandbox sees a filtered copy at this path)."""
    import dlcourse

    return Path(dlcourse.__file__).resolve().parent


EXECUTOR = Path(__file__).resolve().parent / "execute.py"
EXECUTOR_IN_SANDBOX = "/opt/dlcourse-executor/execute.py"
KERNEL = EXECUTOR.with_name("kernel.py")            # the fast engine's kernel, imported by execute.py as a sibling
KERNEL_IN_SANDBOX = "/opt/dlcourse-executor/kernel.py"


def library_copy(allowed, dest):
    """A copy of dlcourse holding only the modules in `allowed` (and their packages' __init__),
    written to `dest` (replaced). What is not in the copy cannot be loaded by any name or path."""
    src = library_dir()
    dest = Path(dest)
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}.{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    wanted = set()
    for name in allowed:
        parts = name.split(".")[1:]
        for i in range(len(parts)):                       # parent packages' __init__.py
            wanted.add(Path(*parts[:i], "__init__.py"))
        if not parts:
            continue
        rel = Path(*parts)
        if (src / rel).is_dir():
            wanted.add(rel)
        elif (src / rel).with_suffix(".py").exists():
            wanted.add(rel.with_suffix(".py"))
    wanted.add(Path("__init__.py"))
    for rel in sorted(wanted, key=lambda p: len(p.parts)):
        s, d = src / rel, tmp / rel
        if not s.exists():
            continue
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, symlinks=False, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(s, d)
    for d in [tmp, *tmp.rglob("*")]:
        os.chmod(d, 0o755 if d.is_dir() else 0o644)
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def environment(extra=None):
    """A clean environment for the sandbox: no secrets, single-threaded BLAS, writable dirs in /tmp."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": WORKDIR, "USER": "grader", "LOGNAME": "grader", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
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


def command(argv, inputs, *, limits=Limits(), isolation=None, slot=None, library=None, info_fd=None):
    """The full command line that runs `argv` (inside the sandbox).

    inputs : a folder shown read-only at /input (the executor copies it into the working folder)
    slot : the sandbox slot (uid and cgroup) — required at level bwrap-slots
    library : a filtered copy of dlcourse (`library_copy`) shown where the real package is
    info_fd : a descriptor bubblewrap writes its JSON to (child pid, namespace ids; for `zygote`)
    """
    isolation = isolation or level()
    rlimits = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", "--core=0", "--"]
    if isolation == "rlimits-only":
        return rlimits + list(argv)
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
           "--proc", "/proc", "--dev", "/dev",
           "--perms", "1777", "--size", str(limits.disk_bytes), "--tmpfs", "/tmp"]
    if info_fd is not None:
        cmd += ["--info-fd", str(info_fd)]
    lib = str(library_dir())
    roots = _system_roots()
    parents = sorted({str(a) for r in [*roots, lib, EXECUTOR_IN_SANDBOX] for a in Path(r).parents if str(a) != "/"},
                     key=len)
    for parent in parents:                      # bwrap would create them 0700: unreadable for the sandbox user
        cmd += ["--perms", "0755", "--dir", parent]
    for root in roots:
        cmd += ["--ro-bind", root, root]
    if library is None:
        raise SandboxError("command: a filtered library copy is required (library_copy)")
    cmd += ["--ro-bind", str(library), lib, "--ro-bind", str(EXECUTOR), EXECUTOR_IN_SANDBOX,
            "--ro-bind", str(KERNEL), KERNEL_IN_SANDBOX]
    cmd += ["--ro-bind", str(inputs), INPUT,
            "--perms", "1777", "--size", str(limits.disk_bytes), "--tmpfs", WORKDIR, "--chdir", WORKDIR]
    if isolation == "bwrap-slots":
        if slot is None:
            raise SandboxError("command: a slot is required at level bwrap-slots")
        uid = slot_uid(slot)
        procs = setup_cgroup(slot, limits)
        join = " && ".join(f'echo $$ > "{p}"' for p in procs)
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--"]
        return ["sh", "-c", f'{join} && exec "$0" "$@"'] + cmd + ["--"] + drop + rlimits + list(argv)
    return cmd[:1] + ["--unshare-user"] + cmd[1:] + ["--"] + rlimits + list(argv)


def prepare_inputs(path):
    """Create the submission's input folder, readable by every sandbox user."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for p in [path, *path.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return path


__all__ = ["Limits", "Slots", "SandboxError", "level", "command", "environment", "prepare_inputs", "library_copy", "cgroup_procs",
           "slot_uids", "cgroup_kind", "WORKDIR", "INPUT", "EXECUTOR_IN_SANDBOX"]
