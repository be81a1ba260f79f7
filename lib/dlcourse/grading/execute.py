"""Runs inside the sandbox: execute one notebook in a fresh kernel and report on fd 3.

    python -m dlcourse.grading.execute NOTEBOOK --timeout SECONDS --result-fd FD

The result (the executed notebook and a status) goes to the file descriptor
given by --result-fd, which the kernel does not inherit, so student code cannot forge it. Before any student
cell, a harness cell makes every dlcourse module unimportable except the allow-list
(`dlcourse.homework.allowed_modules`, passed with --allow): it fails closed, so a module added
to dlcourse later is blocked without editing any list. The harness is removed from the result.
"""

import argparse
import json
import os
import sys

HARNESS = '''
import os as _os, sys as _sys, importlib.abc as _abc
_ALLOWED = {allowed!r}
_os.environ[{env!r}] = ",".join(_ALLOWED)
def _allowed(name):
    if name != "dlcourse" and not name.startswith("dlcourse."):
        return True
    return any(name == a or (a != "dlcourse" and name.startswith(a + ".")) for a in _ALLOWED)
class _OnlyAllowedModules(_abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if not _allowed(name):
            raise ImportError(name + " is not available while grading: the homework asks you to write this yourself")
        return None
_sys.meta_path.insert(0, _OnlyAllowedModules())
for _name in [m for m in _sys.modules if not _allowed(m)]:
    _sys.modules.pop(_name)
del _os, _sys, _abc, _OnlyAllowedModules
'''


def skip_slow_optional_imports():
    """jsonschema imports `rfc3987_syntax` when installed, which builds a grammar for 1.4 s at import;
    only the "iri" format check needs it and notebooks never use that format. Mark it unavailable."""
    sys.modules.setdefault("rfc3987_syntax", None)


def run(path, timeout, allowed=()):
    skip_slow_optional_imports()
    import nbclient
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from dlcourse.homework import ALLOWED_ENV, allowed_modules

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(HARNESS.format(allowed=allowed_modules(allowed), env=ALLOWED_ENV)))
    status, detail = "ok", ""
    timed_out = []

    class Client(nbclient.NotebookClient):
        async def _async_handle_timeout(self, timeout, cell=None):   # note the cell, then interrupt
            timed_out.append(cell.get("id") if cell is not None else None)
            return await super()._async_handle_timeout(timeout, cell)

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
    if timed_out and status == "ok":
        status, detail = "timeout", f"{len(timed_out)} cell(s) ran longer than {timeout} s and were interrupted"
    harness = nb.cells.pop(0)
    if any(o.get("output_type") == "error" for o in harness.get("outputs", [])):
        status, detail = "grading_error", "the grading harness failed to start"
    return {"status": status, "detail": detail, "timed_out": timed_out, "notebook": nb}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("--timeout", type=int, default=30)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--allow", default="", help="comma-separated dlcourse modules the assignment declares")
    args = parser.parse_args(argv)
    os.set_inheritable(args.result_fd, False)        # never passed on to the kernel
    result = run(args.notebook, args.timeout, [m for m in args.allow.split(",") if m])
    with os.fdopen(args.result_fd, "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
