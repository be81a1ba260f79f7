"""Warm start for sandboxes: one pre-warmed interpreter forked into each fresh sandbox.

Starting Python, importing numpy and IPython costs each sandbox ~0.2 s, more than a homework's cells.
The zygote pays it once per grading run: a process started with a clean environment (no course files
read, no notebook ever sent to it) imports numpy, IPython's shell and the executor (and torch, scipy or
pandas when the assignment's source notebook imports them, `PRELOADABLE`), then waits. For
each submission the grader first starts the sandbox as before, with bubblewrap (`sandbox.command`:
new mount, PID, network, IPC, UTS and cgroup namespaces, the read-only system, the filtered library,
the input folder, the size-limited tmpfs working folder and /tmp, the slot's uid and cgroup), holding
only a placeholder (`HOLD`, the slot's uid, waiting on a pipe). Then the zygote forks a child that

  1. joins the slot's cgroup;
  2. enters that sandbox's namespaces (`setns`, checked against the namespace ids bubblewrap reported,
     so a reused pid can never lead anywhere else) and its root (chroot), working folder /grading;
  3. forks the executor there (inside the sandbox's PID namespace), which starts its own session, takes
     the sandbox's resource limits, drops the capability bounding set, all groups and every uid and
     gid to the slot's uid (no capabilities left, checked; no new privileges), closes every descriptor
     but its pipes, takes the sandbox's environment, and runs `execute.main` as the cold start would.

The executor holds the same guarantees as a cold start (the whole trust suite runs on this path): it
dies with the sandbox (its PID namespace ends when bubblewrap is killed at the end), it reads the notebook
only after forking its kernel, and it is not dumpable. The zygote itself runs no student code, is never
reachable from a sandbox (its socket is a socketpair; every child closes it first) and ends when the
grader closes the socket or dies. Root only (`setns` needs it): used at isolation level bwrap-slots.

Invariants and known differences from a cold start:
* Every sandbox of a run is a fork of the same process, so it shares the zygote's address-space layout,
  Python's hash secret and its copy-on-write pages with the others. That is harmless only because the
  zygote never reads anything a student controls: keep it so (requests come from the grader alone).
* The pages the zygote preloaded are charged to the grader's memory cgroup, not to the slot's: a sandbox's
  memory limit counts what it adds (its own imports, data and kernel), not numpy's and IPython's code.
* The zygote keeps the executor code it loaded at its start: a long-lived Dask worker restarted after an
  update of dlcourse starts a new one (the grader refuses workers whose code differs).

    python zygote.py --socket-fd FD [--preload torch,...]     (started by `Zygote`; not for direct use)
"""

import json
import os
import signal
import socket
import sys

# The placeholder, as the slot's uid: says it is ready, then keeps nothing of the grader's but its stdin (no log,
# no pipe a student's process could take from it with ptrace); the grader ends the sandbox with SIGKILL.
HOLD = ["/bin/sh", "-c", "exec 2>/dev/null; echo ready; exec cat >/dev/null"]
NAMESPACES = (("cgroup", 0x02000000), ("ipc", 0x08000000), ("uts", 0x04000000), ("net", 0x40000000),
              ("pid", 0x20000000), ("mnt", 0x00020000))          # setns order: the mount namespace last
SETUP_FAILED = 70
# Libraries a zygote may also import when the assignment's source notebook does (imported before any student
# code, from the same read-only files the sandbox sees; their global state is a fresh import's).
PRELOADABLE = ("torch", "scipy", "pandas")
PRELOAD = ("IPython.core.application", "IPython.core.completer", "IPython.core.completerlib",
           "IPython.core.crashhandler", "IPython.core.logger", "IPython.core.magics", "IPython.core.oinspect",
           "IPython.utils.generics", "IPython.utils.wildcard", "bdb", "bz2", "decimal", "fractions", "glob",
           "hashlib", "html", "lzma", "random", "shutil", "tempfile", "unicodedata", "json", "selectors",
           "codecs", "base64", "datetime", "numbers", "getpass", "ctypes", "resource", "argparse")


# --- the zygote process --------------------------------------------------------------------------

def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def preload(extra=()):
    """What every sandbox would import first: numpy, IPython's shell, the executor and its kernel; and `extra`,
    libraries the assignment's source notebook imports (`PRELOADABLE`, e.g. torch: ~1 s per sandbox)."""
    import gc
    import random  # noqa: F401

    import execute  # noqa: F401   (this file's siblings: execute.py, kernel.py)
    import kernel  # noqa: F401
    import numpy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    for name in PRELOAD:                 # what creating the shell and a first traceback import (~25 ms)
        try:
            __import__(name)
        except ImportError:
            pass
    for name in extra:
        if name not in PRELOADABLE:
            raise ValueError(f"preload: {name!r} is not one of {PRELOADABLE}")
        try:
            __import__(name)
        except ImportError:              # not installed: the notebook will say so itself
            pass

    gc.collect()
    gc.freeze()              # the children do not copy the preloaded objects' pages when the GC runs


def _fail(result_fd, message):
    """Setup failed: say so on the result pipe (the grader reports a grading error, never the student's)."""
    try:
        os.write(result_fd, (json.dumps({"setup_error": message}) + "\n").encode())
    finally:
        os._exit(SETUP_FAILED)


def _enter(request, log_fd, result_fd, notebook_fd):
    """In the zygote's child (root, outside): join the sandbox, fork the executor into it. Never returns."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        libc = _libc()
        _check(libc.prctl(1, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")    # ends with the zygote
        for procs in request["cgroup_procs"]:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        pid1 = int(request["pid"])
        # Everything through one descriptor of /proc/<pid>: if that process ends, look-ups through it fail,
        # even when its pid is reused meanwhile (by another sandbox's process, say).
        proc = os.open(f"/proc/{pid1}", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fds = {}
        for name, _ in NAMESPACES:
            expected = request["namespaces"].get(name)
            if name == "cgroup" and expected is None:     # --unshare-cgroup-try made none: the host's, as ours
                continue
            fd = os.open(f"ns/{name}", os.O_RDONLY | os.O_CLOEXEC, dir_fd=proc)
            if expected is None or os.fstat(fd).st_ino != int(expected):
                raise OSError(f"the {name} namespace of pid {pid1} is not the sandbox's "
                              f"({os.fstat(fd).st_ino} != {expected})")
            fds[name] = fd
        root = os.open("root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=proc)
        os.close(proc)
        if os.fstat(root).st_dev == os.stat("/").st_dev and os.fstat(root).st_ino == os.stat("/").st_ino:
            raise OSError(f"pid {pid1} has the host's root, not a sandbox's")
        for name, flag in NAMESPACES:
            if name in fds:
                _check(libc.setns(fds[name], flag), f"setns({name})")
                os.close(fds[name])
        os.fchdir(root)
        os.chroot(".")
        os.close(root)
        os.chdir(request["workdir"])
        pid = os.fork()
    except BaseException as exc:  # noqa: BLE001  (anything: reported on the result pipe)
        _fail(result_fd, f"entering the sandbox failed: {type(exc).__name__}: {exc}")
    if pid == 0:
        _executor(request, log_fd, result_fd, notebook_fd)
    for fd in (log_fd, result_fd, notebook_fd):
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            status = 0
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if 0 <= code < 256 else 128 + min(-code, 127))


def _executor(request, log_fd, result_fd, notebook_fd):
    """In the sandbox: become the slot's unprivileged user, then run the executor. Never returns."""
    code = SETUP_FAILED
    try:
        import resource

        libc = _libc()
        os.setsid()
        _check(libc.prctl(1, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        keep = {0, 1, 2, result_fd, notebook_fd}
        for fd in [int(x) for x in os.listdir("/proc/self/fd")]:
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        limits = request["limits"]
        for name, value in (("RLIMIT_AS", limits["memory_bytes"]), ("RLIMIT_CPU", limits["cpu_seconds"]),
                            ("RLIMIT_NPROC", limits["processes"]), ("RLIMIT_FSIZE", limits["file_bytes"]),
                            ("RLIMIT_CORE", 0)):
            resource.setrlimit(getattr(resource, name), (value, value))
        for cap in range(64):                                        # PR_CAPBSET_DROP, as setpriv --bounding-set=-all
            if libc.prctl(24, cap, 0, 0, 0) != 0:
                break
        uid = int(request["uid"])
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)                                  # leaves no capability (no keep-caps)
        _check(libc.prctl(1, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")   # a uid change cleared it
        _check(libc.prctl(38, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
        caps = {k: int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
        if any(caps.values()) or os.getresuid() != (uid,) * 3 or os.getresgid() != (uid,) * 3 or os.getgroups():
            raise OSError(f"privileges not dropped: {caps}, uid {os.getresuid()}, gid {os.getresgid()}")
        os.umask(0o022)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.dont_write_bytecode = True
        argv = [*request["argv"], "--result-fd", str(result_fd), "--notebook-fd", str(notebook_fd)]
        sys.argv = [request["executor"], *argv]
        sys.path[0] = os.path.dirname(request["executor"])           # where a cold start has it
        import random

        import numpy

        random.seed()                                                # not the zygote's state: as a fresh process
        numpy.random.seed()
        if "torch" in sys.modules:                                   # a fresh import seeds it at random too
            sys.modules["torch"].seed()
        import execute
    except BaseException as exc:  # noqa: BLE001
        _fail(result_fd, f"starting the executor failed: {type(exc).__name__}: {exc}")
    try:
        code = execute.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001  (as an uncaught exception in a script: traceback, exit 1)
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(sock, extra=()):
    """The zygote's loop: one request (JSON + log, result and notebook descriptors) -> one forked child."""
    # It ends when the grader closes the socket or dies (the socket closes with it). Not PR_SET_PDEATHSIG:
    # that follows the thread that started the zygote, which may end long before the grader does.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)                  # children are reaped by the kernel
    preload(extra)
    threads = os.listdir("/proc/self/task")
    if len(threads) != 1:                # a fork copies one thread: a library's pool would be lost, locks held
        sock.sendall(json.dumps({"error": f"the zygote has {len(threads)} threads after its imports"}).encode())
        return 1
    sock.sendall(b'{"ready": true}')
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 3)
        except InterruptedError:
            continue
        if not message:
            return 0
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            sock.sendall(json.dumps({"error": f"expected 3 descriptors, got {len(fds)}"}).encode())
            continue
        request = json.loads(message)
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            sock.sendall(json.dumps({"error": f"fork: {exc}"}).encode())
            continue
        if pid == 0:
            try:
                sock.close()
                _enter(request, *fds)
            finally:
                os._exit(SETUP_FAILED)
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"pid": pid}).encode())


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--socket-fd", type=int, required=True)
    parser.add_argument("--preload", default="", help="comma-separated modules among PRELOADABLE")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.socket_fd)
    return serve(sock, [m for m in args.preload.split(",") if m])


# --- the grader's side -----------------------------------------------------------------------------

class ZygoteError(RuntimeError):
    """The zygote could not start or serve a request: grading must not go on silently."""


class Zygote:
    """The grader's handle on its zygote (started at the first `enter`; ended by `close` or with the grader)."""

    def __init__(self, python=None, env=None, log=None, preload=()):
        import threading

        self.python, self.env, self.log = python or sys.executable, env, log
        self.preload = tuple(preload)
        if set(self.preload) - set(PRELOADABLE):
            raise ValueError(f"preload: expected modules among {PRELOADABLE}, got {self.preload}")
        self._lock, self._proc, self._sock = threading.Lock(), None, None

    def _start(self):
        import subprocess

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log = open(self.log, "ab") if self.log else subprocess.DEVNULL
        try:
            self._proc = subprocess.Popen([self.python, "-B", __file__, "--socket-fd", str(theirs.fileno()),
                                           "--preload", ",".join(self.preload)],
                                          pass_fds=(theirs.fileno(),), env=self.env, cwd="/",
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            theirs.close()
            if log is not subprocess.DEVNULL:
                log.close()
        ours.settimeout(120)
        try:
            ready = ours.recv(1024)
        except OSError as exc:
            ready = f"{type(exc).__name__}: {exc}".encode()
        if ready != b'{"ready": true}':
            self._proc.kill()
            self._proc.wait()
            raise ZygoteError(f"the warm-start zygote did not start ({ready[:200]!r}; exit {self._proc.returncode})"
                              + (f", log {self.log}" if self.log else ""))
        ours.settimeout(60)
        self._sock = ours

    def enter(self, request, log_fd, result_fd, notebook_fd):
        """Fork a child of the zygote into the sandbox `request` names; returns the child's pid."""
        with self._lock:
            if self._sock is None:
                self._start()
            try:
                socket.send_fds(self._sock, [json.dumps(request).encode()], [log_fd, result_fd, notebook_fd])
                reply = json.loads(self._sock.recv(1024) or b"{}")
            except (OSError, ValueError) as exc:
                self._close_locked()
                raise ZygoteError(f"the warm-start zygote failed: {type(exc).__name__}: {exc}") from None
        if "pid" not in reply:
            raise ZygoteError(f"the warm-start zygote refused: {reply.get('error', reply)}")
        return reply["pid"]

    def _close_locked(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def close(self):
        with self._lock:
            self._close_locked()

    @property
    def pid(self):
        return self._proc.pid if self._proc is not None else None


def read_info(fd):
    """bubblewrap's --info-fd JSON (child-pid and namespace ids), read to its end."""
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    info = json.loads(b"".join(chunks) or b"{}")
    return {"pid": info.get("child-pid"),
            "namespaces": {name: info.get(f"{name}-namespace") for name, _ in NAMESPACES}}


if __name__ == "__main__":
    sys.exit(main())
