"""The fast engine's minimal kernel (dlcourse.grading.kernel) and `execute.run` on both engines.

Unit tests fork the kernel from this process; the last tests run `execute.py` as the sandbox runs it (a
notebook on a pipe) and `dlcourse grade` on a small class with both engines, which must agree.
"""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dlcourse import homework
from dlcourse.grading import execute, kernel, sandbox

from .grading import corpus
from .grading.homework import new_course, run_dlcourse

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def k():
    started = kernel.Kernel.start()
    yield started
    started.shutdown()


def _notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def _run(sources, engine="fast", timeout=10, **kwargs):
    records = []
    final = execute.run(_notebook(*sources), timeout, (), emit=records.append, engine=engine, **kwargs)
    return final, records


# --- outputs ---------------------------------------------------------------------------------------


def test_streams_display_data_and_the_last_value(k):
    reply = k.execute("import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint('more')\n"
                      "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))\n6 * 7")
    assert reply.status == "ok"
    assert reply.outputs[:2] == [{"output_type": "stream", "name": "stdout", "text": "out\n"},
                                 {"output_type": "stream", "name": "stderr", "text": "err\n"}]
    assert reply.outputs[2] == {"output_type": "stream", "name": "stdout", "text": "more\n"}
    assert reply.outputs[3]["output_type"] == "display_data" and reply.outputs[3]["data"]["text/html"] == "<b>x</b>"
    assert reply.outputs[4] == {"output_type": "execute_result", "data": {"text/plain": "42"}, "metadata": {},
                                "execution_count": reply.execution_count}
    assert k.execute("6 * 7;").outputs == []                    # a trailing semicolon hides the value


def test_check_records_arrive_exactly_as_published(k, monkeypatch):
    monkeypatch.setenv(homework.GRADING_ENV, "1")
    k2 = kernel.Kernel.start()                                   # the environment is the fork's
    try:
        reply = k2.execute("from dlcourse.homework import check\nimport numpy as np\n"
                           "check('p', np.array([[0.5, 1e-300], [float('nan'), -2.0]]), rtol=1e-3)")
    finally:
        k2.shutdown()
    [out] = reply.outputs
    record = out["data"][homework.RECORD_MIME]
    assert out["output_type"] == "display_data" and record["key"] == "p" and record["rtol"] == 1e-3
    expected = homework._encode(__import__("numpy").array([[0.5, 1e-300], [float("nan"), -2.0]]))
    assert {k_: record[k_] for k_ in expected} == json.loads(json.dumps(expected))


def test_errors_as_ipykernel_reports_them(k):
    reply = k.execute("def f():\n    return 1 / 0\nf()")
    [error] = reply.outputs
    assert (error["output_type"], error["ename"], error["evalue"]) == ("error", "ZeroDivisionError", "division by zero")
    text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(error["traceback"]))
    assert all(isinstance(line, str) for line in error["traceback"]) and "return 1 / 0" in text
    # IPython's Plain layout (as Python prints it, 0.8 ms) rather than its Context one (17-26 ms per error)
    assert text.startswith("Traceback (most recent call last):") and "ZeroDivisionError: division by zero" in text
    [error] = k.execute("x = (").outputs
    assert error["ename"] == "SyntaxError"
    [error] = k.execute("input('name? ')").outputs                 # no stdin, as nbclient's kernels
    assert error["ename"] == "StdinNotImplementedError"


def test_state_counts_clear_output_display_updates_and_descriptor_output(k):
    first = k.execute("x = 1")
    second = k.execute("x + 1")
    assert second.outputs[0]["data"]["text/plain"] == "2" and second.execution_count == first.execution_count + 1
    reply = k.execute("from IPython.display import clear_output, display\nprint('gone')\nclear_output()\n"
                      "h = display('a', display_id='d')\nh.update('b')\nprint('kept', end='')")
    assert reply.outputs[0]["data"]["text/plain"] == "'b'"
    assert reply.outputs[1] == {"output_type": "stream", "name": "stdout", "text": "kept"}
    reply = k.execute("import os\nos.system('echo from-a-subprocess')\nos.write(2, b'from-fd-2')\nNone")
    assert {"output_type": "stream", "name": "stdout", "text": "from-a-subprocess\n"} in reply.outputs
    assert {"output_type": "stream", "name": "stderr", "text": "from-fd-2"} in reply.outputs


def test_matplotlib_does_not_break_a_notebook(k):
    reply = k.execute("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                      "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\nplt.show()\nfig.savefig('/dev/null', format='png')")
    assert [o for o in reply.outputs if o["output_type"] == "error"] == []
    reply = k.execute("%matplotlib inline\nfig, ax = plt.subplots()\nax.plot([3, 1])\nfrom IPython.display import "
                      "display\ndisplay(fig)")
    assert [o for o in reply.outputs if o["output_type"] == "error"] == []
    assert any("image/png" in o.get("data", {}) for o in reply.outputs)


def test_output_past_the_limit_is_dropped(k):
    reply = k.execute("print('x' * 5000)", max_output=1000)
    assert reply.overflow and reply.outputs == []
    reply = k.execute("print('x' * 5000)\nfrom IPython.display import clear_output\nclear_output()\nprint('ok')",
                      max_output=1000)
    assert not reply.overflow and reply.outputs[0]["text"] == "ok\n"


# --- timeouts, interrupts, death --------------------------------------------------------------------


def test_a_timeout_interrupts_the_cell_and_the_kernel_goes_on(k):
    started = time.monotonic()
    reply = k.execute("import time\ncount = 0\nwhile True:\n    count += 1", timeout=1)
    assert reply.status == "timeout" and time.monotonic() - started < 4
    assert reply.outputs[-1]["ename"] == "KeyboardInterrupt"
    assert k.execute("count > 0").outputs[0]["data"]["text/plain"] == "True"


def test_a_cell_that_ignores_the_interrupt_is_killed_after_the_grace_period(k):
    started = time.monotonic()
    reply = k.execute("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('before')\n"
                      "time.sleep(60)", timeout=1, grace=1)
    assert reply.status == "stuck" and time.monotonic() - started < 5
    assert reply.outputs == [{"output_type": "stream", "name": "stdout", "text": "before\n"}]
    assert k.execute("1").status == "died"


@pytest.mark.parametrize("code", ["import os\nos._exit(3)", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
                                  "import ctypes\nctypes.string_at(0)"])
def test_a_kernel_that_dies_is_reported(k, code):
    assert k.execute("print('hello')").status == "ok"
    reply = k.execute(code, timeout=10)
    assert reply.status == "died" and reply.outputs == []


def test_children_holding_the_pipes_do_not_hide_a_death(k):
    reply = k.execute("import os, subprocess\nsubprocess.Popen(['sleep', '30'])\nos._exit(1)", timeout=10)
    assert reply.status == "died"


def test_an_interrupt_between_cells_is_ignored(k):
    assert k.execute("x = 5").status == "ok"
    os.kill(k.pid, signal.SIGINT)
    time.sleep(0.2)
    assert k.execute("x").outputs[0]["data"]["text/plain"] == "5"


# --- execute.run: the same records as the kernel engine --------------------------------------------


CELLS = ["import numpy as np\nprint('hi')", "", "np.arange(3)", "1 / 0", "from dlcourse.models import sigmoid",
         "import sys\nprint('warn', file=sys.stderr)",
         "import time\nsys.stdout.write('a:'); sys.stdout.flush(); time.sleep(0.3)\nprint(' b')"]   # one print, two chunks


def _shape(records):
    """What grading reads of the records: cell, execution count, output types, error names, texts."""
    return [(r["cell"], r["execution_count"], r["timed_out"],
             [(o["output_type"], o.get("name"), o.get("ename"), o.get("text"), o.get("data", {}).get("text/plain"))
              for o in r["outputs"]]) for r in records]


def test_both_engines_give_the_same_records():
    fast_final, fast = _run(CELLS)
    kernel_final, slow = _run(CELLS, engine="kernel")
    assert fast_final == kernel_final == {"status": "ok", "detail": "", "timed_out": [], "budget_hit": False}
    assert _shape(fast) == _shape(slow)
    assert [r["execution_count"] for r in fast] == [2, None, 3, 4, 5, 6, 7]     # the harness is 1; "" is skipped
    assert [o["text"] for o in slow[-1]["outputs"]] == ["a: b\n"]
    assert "is not available while grading" in fast[4]["outputs"][0]["evalue"]


def test_run_reports_timeouts_budget_and_death():
    final, records = _run(["import time\ntime.sleep(30)", "print('after')"], timeout=1)
    assert final["status"] == "timeout" and len(final["timed_out"]) == 1 and records[0]["timed_out"]
    assert records[1]["outputs"][0]["text"] == "after\n"
    final, records = _run(["import time\ntime.sleep(1.5)", "1", "2"], timeout=10, budget=1)
    assert final["status"] == "timeout" and final["budget_hit"] and "budget of 1 s" in final["detail"]
    assert [r["cell"] for r in records] == [0]
    final, records = _run(["x = 1", "import os\nos._exit(1)", "print(x)"])
    assert (final["status"], final["detail"]) == ("kernel_died", "Kernel died") and [r["cell"] for r in records] == [0]


def test_run_stops_a_stuck_cell_and_says_so(monkeypatch):
    monkeypatch.setattr(kernel, "GRACE", 0.5)
    final, records = _run(["import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)",
                           "print('never')"], timeout=1)
    assert final["status"] == "timeout" and "did not stop when interrupted" in final["detail"]
    assert [r["cell"] for r in records] == [0] and records[0]["timed_out"]


def test_run_replaces_too_large_outputs(monkeypatch):
    monkeypatch.setattr(execute, "MAX_CELL_OUTPUT", 2000)
    _, records = _run(["print('y' * 10000)", "print('small')"])
    assert "output removed" in records[0]["outputs"][0]["text"] and records[1]["outputs"][0]["text"] == "small\n"


# --- execute.py as the sandbox runs it: the kernel never holds the notebook -------------------------

SPY = '''
import os
_head, _tail = b"hidden-secret", b"-7f3a"       # never side by side here: only a copy of the hidden cell has both
_fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
_found = []
with open("/proc/self/maps") as _maps, open("/proc/self/mem", "rb", 0) as _mem:
    for _line in _maps:
        _lo, _hi = (int(x, 16) for x in _line.split()[0].split("-"))
        if "r" in _line.split()[1] and _hi - _lo < 1 << 28:
            try:
                _mem.seek(_lo)
                _data = _mem.read(_hi - _lo)
            except (OSError, ValueError, OverflowError):
                continue
            _i = _data.find(_head)
            while _i >= 0:
                if _data[_i + len(_head):_i + len(_head) + len(_tail)] == _tail:
                    _found.append(_line.split()[-1])
                _i = _data.find(_head, _i + 1)
            del _data
try:
    open(f"/proc/{os.getppid()}/mem", "rb").close()
    _parent = "readable"
except OSError:
    _parent = "denied"
print("FDS", _fds, "FOUND", _found, "PARENT", _parent)
'''


def test_the_kernel_never_holds_the_notebook_or_its_descriptors():
    """execute.py as the sandbox starts it, under a slot's uid when this runs as root (root may read any
    process's memory): the kernel finds no copy of a later cell in its own memory, cannot read the
    executor's, and holds only its standard streams and its two pipes."""
    nb = _notebook(SPY, "secret = 'hidden-secret-7f3a'")
    nb_r, nb_w = os.pipe()
    res_r, res_w = os.pipe()
    env = dict(os.environ, MPLBACKEND="Agg", IPYTHONDIR="/tmp/ipython-test-kernel", HOME="/tmp")
    drop = []
    if os.geteuid() == 0:
        uid = sandbox.slot_uids()[-1]
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    proc = subprocess.Popen([*drop, sys.executable, str(ROOT / "lib/dlcourse/grading/execute.py"), "--notebook-fd",
                             str(nb_r), "--result-fd", str(res_w), "--timeout", "30", "--engine", "fast"],
                            pass_fds=(nb_r, res_w), cwd="/", env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(nb_r)
    os.close(res_w)
    with os.fdopen(nb_w, "wb") as f:
        f.write(nbformat.writes(nb).encode())
    with os.fdopen(res_r, "rb") as f:
        lines = [json.loads(line) for line in f.read().splitlines()]
    assert proc.wait(timeout=60) == 0
    assert lines[-1]["final"]["status"] == "ok", lines
    printed = lines[0]["outputs"][0]["text"]
    assert "FOUND []" in printed and "PARENT denied" in printed, printed
    fds = json.loads(printed.split("FDS ")[1].split(" FOUND")[0])
    assert fds[:3] == [0, 1, 2] and len(fds) <= 6, printed         # stdio, two pipes, the listing itself


# --- dlcourse grade: both engines grade alike ----------------------------------------------------------


def test_grade_with_either_engine_and_either_start_gives_the_same_grades(tmp_path):
    attacks = corpus.adversarial("/nonexistent")
    submissions = {"reference": corpus.honest_and_mutants()["reference"],
                   "naive_sigmoid": corpus.honest_and_mutants()["naive_sigmoid"],
                   **{k_: attacks[k_] for k_ in ("kernel_exit", "uses_dlcourse_implementation", "patches_check")}}
    grades = {}
    for engine, start in (("kernel", "cold"), ("fast", "cold"), ("fast", "warm")):
        course = new_course(tmp_path / f"{engine}-{start}", "hw1") if (tmp_path / f"{engine}-{start}").mkdir() is None else None
        corpus.write(course, submissions)
        proc = run_dlcourse(course, "grade", "hw1", "--jobs", "2", "--timeout", "10", "--no-progress",
                            "--engine", engine, "--start", start)
        warm = engine == "fast" and start == "warm" and sandbox.level() == "bwrap-slots"
        assert f"engine {engine}" in proc.stderr and ("(warm start)" in proc.stderr) == warm, proc.stderr
        with open(course / "grades" / "hw1.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        assert all(float(r["seconds"]) > 0 for r in rows)
        grades[(engine, start)] = {r["student_id"]: {k_: v for k_, v in r.items() if k_ != "seconds"} for r in rows}
    assert grades[("fast", "warm")] == grades[("fast", "cold")] == grades[("kernel", "cold")]
    grades["fast"] = grades[("fast", "warm")]
    for name, (_, score, status) in submissions.items():
        assert (grades["fast"][name]["status"], float(grades["fast"][name]["score"])) == (status, score), name
