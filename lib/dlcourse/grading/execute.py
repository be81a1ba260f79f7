"""Runs inside the sandbox: execute one notebook in a fresh kernel and report cell by cell.

    python execute.py --notebook-fd FD --result-fd FD --timeout SECONDS [--budget SECONDS] [--input DIR]
                      [--engine fast|kernel]

The notebook arrives on a pipe (--notebook-fd), never as a file the kernel could read: it holds the
hidden tests. The first thing this process does is to make itself non-dumpable, so the kernel
(same uid) cannot read its memory, its file descriptors or its environment through /proc or ptrace.
Results go to --result-fd, which the kernel does not inherit, so student code cannot forge them:
one JSON line per executed cell (its outputs, as soon as the cell ends, so that nothing already
obtained is lost if the sandbox is killed later), then a final line with the status.

Two engines run the cells, with the same records and statuses:
* ``fast`` (default): the minimal kernel of `kernel.py`, an IPython shell forked from this process
  *before* the notebook is read (the child never has the hidden tests in memory, and closes both
  descriptors), serving one cell at a time over pipes. No kernel process to start, no ZMQ, no nbclient.
* ``kernel``: a Jupyter kernel (ipykernel) driven by nbclient, as stock nbgrader runs notebooks.

Timeouts as nbgrader does them: a cell that runs longer than --timeout is interrupted, gets an
error, and execution goes on (fast engine: a cell that ignores the interrupt for `kernel.GRACE` s is
killed with its kernel, and the remaining cells do not run). --budget bounds the whole notebook: when
it is spent, the remaining cells do not run (status ``timeout``, stated in the detail) and the cells
that ran keep their results.

Before any student cell, a harness cell makes every dlcourse module unimportable except the
allow-list (passed with --allow), with a clear message; the sandbox's copy of dlcourse holds only
those modules anyway (fail closed). The harness is not reported.
"""

import argparse
import json
import os
import shutil
import sys
import time

HARNESS = '''
def _dlcourse_harness(allowed):         # leaves no name in the notebook's namespace; the finder keeps its own state
    import importlib.abc, os, sys
    os.environ[{env!r}] = ",".join(allowed)
    def is_allowed(name):
        if name != "dlcourse" and not name.startswith("dlcourse."):
            return True
        return any(name == a or (a != "dlcourse" and name.startswith(a + ".")) for a in allowed)
    class OnlyAllowedModules(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if not is_allowed(name):
                raise ImportError(name + " is not available while grading: the homework asks you to write this yourself")
            return None
    sys.meta_path.insert(0, OnlyAllowedModules())
    for name in [m for m in sys.modules if not is_allowed(m)]:
        sys.modules.pop(name)
_dlcourse_harness({allowed!r})
del _dlcourse_harness
'''

# Reference runs for many students in one kernel (assignments with per-student variants): the grader
# puts this cell before each student's copy of the reference notebook. Its first run takes a snapshot
# of the fresh kernel's state; every run puts that state back as a fresh kernel would have it (empty
# namespace, dlcourse imported anew, the working folder empty and current, environment, sys.path,
# warning filters, numpy's error handling, print options and random state, Python's random state, no
# open figures) and sets the next student's id where `dlcourse.homework.student_id()` reads it.
BATCH_RESET = '''
import sys as _sys
if "_dlcourse_batch" not in _sys.modules:
    import types as _types
    _sys.modules["_dlcourse_batch"] = _types.ModuleType("_dlcourse_batch")
    exec({helper!r}, _sys.modules["_dlcourse_batch"].__dict__)
    del _types
_sys.modules["_dlcourse_batch"].next_student({student!r}, {env!r}, get_ipython())
'''
BATCH_HELPER = '''
import os, random, shutil, sys, warnings
import numpy

HOME, ENVIRON, PATH, FILTERS = os.getcwd(), dict(os.environ), list(sys.path), list(warnings.filters)
RANDOM, NUMPY = random.getstate(), (numpy.geterr(), numpy.get_printoptions(), numpy.random.get_state())

def next_student(student, env, shell):
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    shell.reset(new_session=False)
    for name in [m for m in sys.modules if m == "dlcourse" or m.startswith("dlcourse.")]:
        del sys.modules[name]
    os.chdir(HOME)
    for entry in os.listdir(HOME):
        path = os.path.join(HOME, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    os.environ.clear()
    os.environ.update(ENVIRON)
    os.environ[env] = student
    sys.path[:] = PATH
    warnings.filters[:] = FILTERS
    warnings._filters_mutated()          # forget which warnings were already shown
    random.setstate(RANDOM)
    numpy.seterr(**NUMPY[0])
    numpy.set_printoptions(**NUMPY[1])
    numpy.random.set_state(NUMPY[2])
'''


def batch_reset(student, env):
    """The source of the cell that starts `student`'s run in a batch of reference runs (`BATCH_RESET`)."""
    return BATCH_RESET.format(helper=BATCH_HELPER, student=student, env=env)


MAX_CELL_OUTPUT = 8 * 1024**2      # bytes of JSON per cell; larger outputs are replaced by a note


def non_dumpable():
    """prctl(PR_SET_DUMPABLE, 0): /proc/<pid>/{mem,fd,environ,maps} become root's, ptrace is refused."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:          # PR_SET_DUMPABLE = 4
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def skip_slow_optional_imports():
    """jsonschema imports `rfc3987_syntax` when installed, which builds a grammar for 1.4 s at import;
    only the "iri" format check needs it and notebooks never use that format. Mark it unavailable."""
    sys.modules.setdefault("rfc3987_syntax", None)


def copy_inputs(src, dest="."):
    """The submission's files (read-only at `src`) into the working folder, as regular files."""
    for entry in sorted(os.listdir(src)):
        s, d = os.path.join(src, entry), os.path.join(dest, entry)
        if os.path.islink(s):
            continue
        if os.path.isdir(s):
            shutil.copytree(s, d, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copyfile(s, d)


ENGINES = ("fast", "kernel")


def run(nb, timeout, allowed=(), *, budget=None, emit=lambda record: None, engine="fast", kernel=None):
    """Execute `nb` (a NotebookNode, or the same as plain dicts for the fast engine); `emit(record)` is
    called after every cell. Returns the final record.

    record per cell: {"cell": index, "execution_count": n, "outputs": [...], "timed_out": bool}
    final: {"status": ..., "detail": ..., "timed_out": [cell ids], "budget_hit": bool}
    engine : "fast" (`run_fast`) or "kernel" (`run_kernel`)
    kernel : for the fast engine, a `kernel.Kernel` already started (`main` starts it before reading the
        notebook); None: started here
    """
    if engine == "fast":
        return run_fast(nb, timeout, allowed, budget=budget, emit=emit, kernel=kernel)
    if engine != "kernel":
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    return run_kernel(nb, timeout, allowed, budget=budget, emit=emit)


def _kernel_module():
    """kernel.py: a sibling module (in the sandbox, both files sit in the executor folder)."""
    if __package__:
        from . import kernel
    else:
        import kernel
    return kernel


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def run_fast(nb, timeout, allowed=(), *, budget=None, emit=lambda record: None, kernel=None):
    """`run` with the minimal kernel (kernel.py): the same records and final record as `run_kernel`."""
    from dlcourse.homework import ALLOWED_ENV, allowed_modules

    km = _kernel_module()
    if kernel is None:
        kernel = km.Kernel.start()
    status, detail = "ok", ""
    timed_out, skipped = [], []
    started = time.monotonic()
    try:
        harness = kernel.execute(HARNESS.format(allowed=allowed_modules(allowed), env=ALLOWED_ENV), timeout,
                                 max_output=MAX_CELL_OUTPUT)
        if harness.status != "ok" or any(o.get("output_type") == "error" for o in harness.outputs):
            return {"status": "grading_error", "detail": "the grading harness failed to start", "timed_out": [],
                    "budget_hit": False}
        executed = 1                                  # the harness was cell 1, as nbclient numbers them
        for index, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            if budget is not None and time.monotonic() - started > budget:
                skipped.append(index)
                continue
            source = _source(cell)
            if not source.strip():                    # nbclient skips it: reported as it came
                emit({"cell": index, "execution_count": cell.get("execution_count"),
                      "outputs": cell.get("outputs", []), "timed_out": False})
                continue
            executed += 1
            reply = kernel.execute(source, timeout, max_output=MAX_CELL_OUTPUT)
            if reply.status == "died":
                status, detail = "kernel_died", "Kernel died"
                break
            if reply.status in ("timeout", "stuck"):
                timed_out.append(cell.get("id"))
            outputs = reply.outputs
            if reply.overflow or len(json.dumps(outputs)) > MAX_CELL_OUTPUT:
                outputs = [{"output_type": "stream", "name": "stdout",
                            "text": f"[output removed: more than {MAX_CELL_OUTPUT} bytes]\n"}]
            emit({"cell": index, "execution_count": executed, "outputs": outputs,
                  "timed_out": reply.status in ("timeout", "stuck")})
            if reply.status == "stuck":
                status, detail = "timeout", (f"a cell ran longer than {timeout} s and did not stop when interrupted: "
                                             f"it was stopped and the cells after it did not run; the cells that ran "
                                             f"keep their results")
                break
    finally:
        kernel.shutdown()
    if skipped and status == "ok":
        status, detail = "timeout", (f"the notebook budget of {budget:g} s was spent: {len(skipped)} cell(s) did not "
                                     f"run; the cells that ran keep their results")
    if timed_out and status == "ok":
        status, detail = "timeout", f"{len(timed_out)} cell(s) ran longer than {timeout} s and were interrupted"
    return {"status": status, "detail": detail, "timed_out": timed_out, "budget_hit": bool(skipped)}


def run_kernel(nb, timeout, allowed=(), *, budget=None, emit=lambda record: None):
    """`run` in a Jupyter kernel (ipykernel) driven by nbclient, as stock nbgrader executes notebooks."""
    skip_slow_optional_imports()
    import nbclient
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from dlcourse.homework import ALLOWED_ENV, allowed_modules

    nb.cells.insert(0, nbformat.v4.new_code_cell(HARNESS.format(allowed=allowed_modules(allowed), env=ALLOWED_ENV)))
    status, detail = "ok", ""
    timed_out, skipped = [], []
    started = time.monotonic()
    harness_failed = []

    class Client(nbclient.NotebookClient):
        async def _async_handle_timeout(self, timeout, cell=None):   # note the cell, then interrupt
            timed_out.append(cell.get("id") if cell is not None else None)
            return await super()._async_handle_timeout(timeout, cell)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if budget is not None and time.monotonic() - started > budget and cell.cell_type == "code":
                skipped.append(cell_index)
                return cell
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if cell_index == 0:
                if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    harness_failed.append(True)
                return cell
            if cell.cell_type == "code":
                outputs = join_streams(cell.get("outputs", []))     # as the fast engine records them
                if len(json.dumps(outputs)) > MAX_CELL_OUTPUT:
                    outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                      text=f"[output removed: more than {MAX_CELL_OUTPUT} bytes]\n")]
                emit({"cell": cell_index - 1, "execution_count": cell.get("execution_count"), "outputs": outputs,
                      "timed_out": cell.get("id") in timed_out})
            return cell

    client = Client(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                    interrupt_on_timeout=True, record_timing=False, shutdown_kernel="immediate",
                    extra_arguments=["--HistoryManager.enabled=False"],   # no history database per run
                    error_on_timeout={"ename": "TimeoutError", "evalue": f"the cell ran longer than {timeout} s",
                                      "traceback": [f"TimeoutError: the cell ran longer than {timeout} s"]},
                    resources={"metadata": {"path": os.getcwd()}})
    try:
        client.execute()
    except DeadKernelError as exc:
        status, detail = "kernel_died", str(exc).splitlines()[0] if str(exc) else "the kernel died"
    except CellTimeoutError:
        status = "timeout"
    except Exception as exc:  # anything else is a failure of the run, reported, never hidden
        status, detail = "kernel_died", f"{type(exc).__name__}: {exc}"
    if skipped and status == "ok":
        status, detail = "timeout", (f"the notebook budget of {budget:g} s was spent: {len(skipped)} cell(s) did not "
                                     f"run; the cells that ran keep their results")
    if timed_out and status == "ok":
        status, detail = "timeout", f"{len(timed_out)} cell(s) ran longer than {timeout} s and were interrupted"
    if harness_failed:
        status, detail = "grading_error", "the grading harness failed to start"
    return {"status": status, "detail": detail, "timed_out": timed_out, "budget_hit": bool(skipped)}


def join_streams(outputs):
    """One output per run of same-named stream outputs (stdout and stderr stay apart): the kernel sends a
    print's text in chunks, split at points that depend on timing, so `print("a:", x)` may arrive as one
    output or two. nbconvert's CoalesceStreamsPreprocessor joins the same way (it also drops text a carriage return
    overwrote); kernel.py's `_Cell.add` records this way."""
    joined = []
    for out in outputs:
        last = joined[-1] if joined else None
        if (out.get("output_type") == "stream" and last is not None and last.get("output_type") == "stream"
                and last.get("name") == out.get("name")):
            last["text"] = last["text"] + out["text"]
        else:
            joined.append(out)
    return joined


def main(argv=None):
    non_dumpable()
    parser = argparse.ArgumentParser()
    parser.add_argument("--notebook-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--timeout", type=int, default=30)
    parser.add_argument("--budget", type=float, default=None, help="seconds for the whole notebook")
    parser.add_argument("--input", default=None, help="a folder whose files are copied into the working folder")
    parser.add_argument("--allow", default="", help="comma-separated dlcourse modules the assignment declares")
    parser.add_argument("--engine", choices=ENGINES, default="fast", help="what runs the cells (default: fast)")
    args = parser.parse_args(argv)
    os.set_inheritable(args.result_fd, False)        # never passed on to the kernel
    kernel = None
    if args.engine == "fast":                        # forked before the notebook is read, without its descriptors
        kernel = _kernel_module().Kernel.start(close=(args.notebook_fd, args.result_fd))
    with os.fdopen(args.notebook_fd, "rb") as f:
        text = f.read()
    if args.engine == "fast":
        nb = json.loads(text.decode("utf-8"))       # the grader sent nbformat v4 JSON; no nbformat needed
    else:
        skip_slow_optional_imports()
        import nbformat

        nb = nbformat.reads(text.decode("utf-8"), as_version=4)
    del text
    if args.input:
        copy_inputs(args.input)
    out = os.fdopen(args.result_fd, "w")

    def emit(record):
        out.write(json.dumps(record) + "\n")
        out.flush()

    result = run(nb, args.timeout, [m for m in args.allow.split(",") if m], budget=args.budget, emit=emit,
                 engine=args.engine, kernel=kernel)
    emit({"final": result})
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
