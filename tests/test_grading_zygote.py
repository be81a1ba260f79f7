"""The warm start (dlcourse.grading.zygote): an executor forked from one pre-warmed interpreter into each
sandbox must be exactly as confined as one started cold in it.

Real bubblewrap, real slots (uids and cgroups), real zygote: these tests need root with cgroups (as CI
and the grading machines have); elsewhere they fail saying so, never skip.
"""

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading import autograde, sandbox, zygote

ALLOWED = ("dlcourse", "dlcourse._validation", "dlcourse.homework")

PROBE = r'''
import json, os, socket, numpy, random
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
parent = os.getppid()
try:
    parent_fds = sorted(os.listdir(f"/proc/{parent}/fd"))
except OSError as exc:
    parent_fds = type(exc).__name__
sockets, held = [], {}
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        continue
    held[pid] = []
    for fd in fds:
        try:
            held[pid].append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    sockets += held[pid]
print("PROBE" + json.dumps({
    "uid": os.getresuid(), "gid": os.getresgid(), "groups": os.getgroups(),
    "caps": {k: int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
    "no_new_privs": int(status["NoNewPrivs"]), "hostname": socket.gethostname(),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "root": sorted(os.listdir("/")),
    "cwd": os.getcwd(), "parent_fds": parent_fds, "sockets": [s for s in sockets if s.startswith("socket:")],
    "held": held,
    "mnt": os.readlink("/proc/self/ns/mnt"), "net": os.readlink("/proc/self/ns/net"),
    "pidns": os.readlink("/proc/self/ns/pid"), "random": [random.random(), float(numpy.random.rand())],
    "env": sorted(os.environ), "sid": os.getsid(0) == os.getpid(),
    "interfaces": sorted(n for _, n in socket.if_nameindex()),
}))
'''


def _needs_slots():
    if sandbox.level() != "bwrap-slots" or sandbox.cgroup_kind() is None:
        pytest.fail("the warm start needs root, bubblewrap and cgroups (bwrap-slots); this machine has "
                    f"{sandbox.level()!r}: run these tests where grading runs")


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    _needs_slots()
    r = autograde.Runner(tmp_path_factory.mktemp("zygote"), timeout=30, slots=1, engine="fast")
    assert r.zygote is not None
    yield r
    r.close()


def _probe(runner, *extra):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (PROBE, *extra)])
    result = runner.execute(nb, "probe", ALLOWED, budget=None)
    assert result["status"] == "ok", result
    text = "".join(o.get("text", "") for o in result["notebook"].cells[0].outputs)
    return json.loads(text.split("PROBE", 1)[1]), result


def test_the_warm_executor_is_the_slots_unprivileged_user_in_the_sandboxes_namespaces(runner):
    seen, _ = _probe(runner)
    uid = seen["uid"][0]                      # the first slot free machine-wide (other graders may hold slot 0)
    assert uid in sandbox.slot_uids() and uid != 0 and seen["uid"] == [uid] * 3 and seen["gid"] == [uid] * 3 and seen["groups"] == []
    assert seen["caps"] == dict.fromkeys(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), 0)
    assert seen["no_new_privs"] == 1 and seen["sid"] and seen["hostname"] == "sandbox"
    host = {ns: os.readlink(f"/proc/self/ns/{ns}") for ns in ("mnt", "net", "pid")}
    assert (seen["mnt"], seen["net"], seen["pidns"]) != (host["mnt"], host["net"], host["pid"])
    assert seen["mnt"] != host["mnt"] and seen["net"] != host["net"] and seen["pidns"] != host["pid"]
    assert seen["interfaces"] == ["lo"]                               # no network but its own loopback
    assert seen["cwd"] == sandbox.WORKDIR and "input" in seen["root"]
    assert max(seen["pids"]) < 20, seen["pids"]                       # its own PID namespace: no zygote, no grader
    assert seen["parent_fds"] == "PermissionError"                    # the executor is not dumpable
    assert seen["sockets"] == [], seen["sockets"]                     # nothing reaches the zygote
    # what the submission can reach (its own processes and the placeholder, same uid): no file of the grader's
    targets = [t for links in seen["held"].values() for t in links]
    assert not [t for t in targets if t.startswith(str(runner.work)) or t.endswith(".log")], seen["held"]
    placeholder = seen["held"]["2"]                                    # pid 2, the slot's uid: readable to it
    assert placeholder and all(t == "/dev/null" or t.startswith("pipe:") for t in placeholder), placeholder
    assert "PYTEST_CURRENT_TEST" in os.environ and "PYTEST_CURRENT_TEST" not in seen["env"]   # not the grader's
    assert set(sandbox.environment()) <= set(seen["env"])


def test_course_files_are_not_there(runner):
    course_file = str(Path(__file__).resolve())
    seen, result = _probe(runner, f"import os\nprint('EXISTS', os.path.exists({course_file!r}))")
    assert "EXISTS False" in "".join(o.get("text", "") for o in result["notebook"].cells[1].outputs)


def test_each_run_is_a_fresh_process_with_its_own_random_state(runner):
    first, _ = _probe(runner)
    second, _ = _probe(runner)
    assert first["random"] != second["random"]                        # not the zygote's state, copied


def test_what_a_submission_leaves_running_ends_with_its_sandbox(runner, tmp_path):
    marker = f"sleeper-{os.getpid()}-{tmp_path.name}"
    _probe(runner, f"import subprocess\nsubprocess.Popen(['sleep', '300', '{marker}'], start_new_session=True)")
    deadline = time.monotonic() + 5           # the kernel ends the PID namespace's processes asynchronously
    while (left := _cmdlines_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == []


def _cmdlines_with(marker):
    left = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                left.append(pid)
        except OSError:
            pass
    return left


def test_a_request_for_a_process_that_is_not_the_sandbox_is_refused_as_a_grading_error(runner):
    """A pid whose namespaces are not the ones bubblewrap reported (here: this test's own process) is never
    entered: the zygote's child says so on the result pipe, and the grader raises, never blames the student."""
    read_fd, write_fd = os.pipe()
    nb_r, nb_w = os.pipe()
    log_r, log_w = os.pipe()
    request = {"pid": os.getpid(), "namespaces": {name: 1 for name, _ in zygote.NAMESPACES}, "uid": sandbox.slot_uid(0),
               "limits": sandbox.Limits().__dict__, "cgroup_procs": [], "env": {}, "argv": [],
               "workdir": sandbox.WORKDIR, "executor": sandbox.EXECUTOR_IN_SANDBOX}
    runner.zygote.enter(request, log_w, write_fd, nb_r)
    for fd in (write_fd, nb_r, log_w, nb_w, log_r):
        os.close(fd)
    with os.fdopen(read_fd, "rb") as f:
        lines = [json.loads(line) for line in f.read().splitlines()]
    assert len(lines) == 1 and "is not the sandbox's" in lines[0]["setup_error"], lines


def test_the_zygote_ends_with_its_runner(tmp_path):
    _needs_slots()
    r = autograde.Runner(tmp_path, timeout=30, slots=1, engine="fast")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    assert r.execute(nb, "one", ALLOWED, budget=None)["status"] == "ok"
    pid = r.zygote.pid
    assert pid and os.path.exists(f"/proc/{pid}")
    r.close()
    assert not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_cold_start_is_kept_for_other_engines_and_on_request(tmp_path):
    _needs_slots()
    assert autograde.Runner(tmp_path / "k", engine="kernel").zygote is None
    assert autograde.Runner(tmp_path / "c", engine="fast", warm=False).zygote is None


def test_the_executor_ends_with_the_process_that_forked_it(runner):
    """PR_SET_PDEATHSIG survives the drop to the slot's uid (a uid change clears it; it is set again): when
    the zygote's child that entered the sandbox dies, the executor dies at once, and the run is reported
    as a dead kernel, not as a cell that hit its timeout."""
    import signal
    import threading

    entered = []
    real = runner.zygote.enter

    def enter(*args):
        entered.append(real(*args))
        return entered[-1]

    runner.zygote.enter = enter
    try:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('started', flush=True)\n"
                                                                       "import time\ntime.sleep(600)")])
        out = {}
        worker = threading.Thread(target=lambda: out.update(runner.execute(nb, "orphan", ALLOWED, budget=None)))
        worker.start()
        for _ in range(400):
            if entered:
                break
            worker.join(0.05)
        assert entered, "the zygote was never asked"
        worker.join(3)              # the executor forked in milliseconds; its cell is asleep by now
        assert worker.is_alive()
        os.kill(entered[-1], signal.SIGKILL)
        worker.join(120)            # without the signal the cell would run into its 30 s timeout: status timeout
        assert not worker.is_alive() and out["status"] == "kernel_died", (out.get("status"), out.get("detail"))
    finally:
        runner.zygote.enter = real


def test_the_libraries_an_assignment_imports_are_preloaded_and_only_those():
    root = Path(__file__).resolve().parents[1] / "solutions"

    def code(hw):
        return [c.source for c in nbformat.read(root / hw / f"{hw}.ipynb", as_version=4).cells if c.cell_type == "code"]

    assert autograde.preloads(code("hw3")) == ("torch",)
    assert autograde.preloads(code("hw1")) == ()
    with pytest.raises(ValueError, match="preload"):
        zygote.Zygote(preload=("os",))


def test_a_preloaded_library_is_imported_in_a_single_threaded_zygote_and_fresh_in_the_sandbox(tmp_path):
    """With torch preloaded, the notebook finds it imported before its first cell, with a fresh import's
    state (a seed of its own in each sandbox, one thread as the sandbox's environment asks); the zygote
    stayed single-threaded (it refuses to start otherwise)."""
    _needs_slots()
    r = autograde.Runner(tmp_path, timeout=60, slots=1, engine="fast", preload=("torch",))
    try:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import sys\nfirst = 'torch' in sys.modules\nimport torch\n"
            "print('FOUND', first, torch.initial_seed(), torch.get_num_threads(), float(torch.ones(3).sum()))")])
        seeds = []
        for _ in range(2):
            result = r.execute(nb, "torch", ALLOWED, budget=None)
            assert result["status"] == "ok", result
            found = "".join(o.get("text", "") for o in result["notebook"].cells[0].outputs).split()
            assert found[:2] == ["FOUND", "True"] and found[3:] == ["1", "3.0"], found
            seeds.append(found[2])
        assert seeds[0] != seeds[1]
        assert len(os.listdir(f"/proc/{r.zygote.pid}/task")) == 1
    finally:
        r.close()
