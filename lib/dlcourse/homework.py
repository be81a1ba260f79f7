"""Helpers that homework test cells call: `check` and `assert_own_work`.

`check(key, value, expected=None)` compares your answer with `expected` when
one is given (a visible check, with a readable message). While the course
staff grade, it also hands `value` to the grader, which compares it with the
reference solution's value outside your notebook's kernel: tests cannot be
passed by replacing assert functions.

`assert_own_work(fn)` fails when `fn` calls dlcourse's own implementation of
what the homework asks you to write.

Fail closed: while grading, every dlcourse module is unimportable except the allow-list
`ALLOWED_MODULES` (data, landscapes, this module) plus what an assignment declares in its
source notebook's metadata, ``{"dlcourse": {"allowed_modules": ["dlcourse.plotting"]}}``.
A module added to dlcourse later is blocked until someone allows it.
"""

import hashlib
import os

import numpy as np

GRADING_ENV = "DLCOURSE_GRADING"
RECORD_MIME = "application/vnd.dlcourse.check+json"
ALLOWED_ENV = "DLCOURSE_ALLOWED_MODULES"
# The only dlcourse modules homework may use (a name allows its submodules too); "dlcourse" is the
# bare package, whose lazy attributes import submodules through the same check.
ALLOWED_MODULES = ("dlcourse", "dlcourse._validation", "dlcourse.data", "dlcourse.homework", "dlcourse.landscapes")
METADATA_KEY = "dlcourse"


STUDENT_ENV = "DLCOURSE_STUDENT_ID"


def student_id(default=None):
    """Whose variant this is: while grading, the id the grader takes from the submission's folder;
    on a JupyterHub, the hub user; otherwise `default` (what the student typed in the first cell).
    """
    sid = os.environ.get(STUDENT_ENV) if os.environ.get(GRADING_ENV) else None
    sid = sid or os.environ.get("JUPYTERHUB_USER") or default
    if sid is None or not str(sid).strip():
        raise ValueError("student_id: expected your student id (type it in the first cell, e.g. "
                         "STUDENT_ID = \"jdoe42\"), got nothing")
    return str(sid).strip()


def variant_rng(student_id, question):
    """A numpy Generator for one question of one student's variant: seeded by a stable hash of both.

    Every student gets different numbers on every question; the same student always the same.
    """
    if not isinstance(student_id, str) or not student_id:
        raise TypeError(f"student_id: expected a non-empty string, got {student_id!r}")
    digest = hashlib.sha256(f"{student_id}\x00{question}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def uses_variants(notebook_metadata):
    """True when a (source) notebook declares per-student variants: {"dlcourse": {"variants": true}}."""
    return bool((notebook_metadata or {}).get(METADATA_KEY, {}).get("variants", False))


def allowed_modules(declared=()):
    """The allow-list: `ALLOWED_MODULES` and the `declared` ones (names starting with "dlcourse.")."""
    declared = list(declared or ())
    for name in declared:
        if not isinstance(name, str) or not (name == "dlcourse" or name.startswith("dlcourse.")):
            raise ValueError(f"allowed_modules: expected names of dlcourse modules like 'dlcourse.plotting', "
                             f"got {name!r}")
    return tuple(sorted(set(ALLOWED_MODULES) | set(declared)))


def declared_modules(notebook_metadata):
    """What a (source) notebook's metadata declares its homework may use."""
    return list((notebook_metadata or {}).get(METADATA_KEY, {}).get("allowed_modules", []))


def is_allowed(module, allowed=None):
    """True for a module outside dlcourse, or a dlcourse module on the allow-list (or below one)."""
    allowed = _current_allowed() if allowed is None else allowed
    if module != "dlcourse" and not module.startswith("dlcourse."):
        return True
    return any(module == a or (a != "dlcourse" and module.startswith(a + ".")) for a in allowed)


def _current_allowed():
    from_env = os.environ.get(ALLOWED_ENV)
    return allowed_modules(from_env.split(",") if from_env else ())


def _encode(value):
    arr = np.asarray(value, dtype=np.float64)
    data = [x if np.isfinite(x) else repr(float(x)) for x in arr.ravel().tolist()]
    return {"shape": list(arr.shape), "data": data}


def check(key, value, expected=None, *, rtol=1e-6, atol=1e-9):
    """Check an answer (numbers or arrays); `expected` gives a visible check with a message."""
    try:
        encoded = _encode(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{key}: expected numbers or an array of numbers, got {type(value).__name__}") from None
    if os.environ.get(GRADING_ENV):
        from IPython.display import publish_display_data

        publish_display_data({RECORD_MIME: {"key": key, "rtol": rtol, "atol": atol, **encoded}})
    if expected is not None:
        actual = np.asarray(value, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        if actual.shape != expected.shape:
            raise AssertionError(f"{key}: expected shape {expected.shape}, got shape {actual.shape}")
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"{key}: wrong values")


def _library_uses(code, globals_, seen):
    for name in (*code.co_names, *code.co_freevars):
        obj = globals_.get(name)
        module = obj.__name__ if isinstance(obj, type(np)) else getattr(obj, "__module__", None)
        if isinstance(module, str) and not is_allowed(module):
            yield f"{module}.{getattr(obj, '__name__', name)}" if not isinstance(obj, type(np)) else module
        elif callable(obj) and hasattr(obj, "__code__") and obj.__code__ not in seen:
            seen.add(obj.__code__)
            yield from _library_uses(obj.__code__, obj.__globals__, seen)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            yield from _library_uses(const, globals_, seen)


def assert_own_work(fn):
    """Fail with a clear message when `fn` (or a function it calls) uses dlcourse's implementation."""
    if not is_allowed(getattr(fn, "__module__", None) or ""):
        raise AssertionError(f"{fn.__name__} is dlcourse's own implementation "
                             f"({fn.__module__}): the homework asks you to write it yourself")
    code = getattr(fn, "__code__", None)
    if code is None:
        raise AssertionError(f"expected a function you wrote, got {type(fn).__name__}")
    names = dict(fn.__globals__)
    for var, cell in zip(code.co_freevars, fn.__closure__ or ()):   # names from an enclosing function
        try:
            names[var] = cell.cell_contents
        except ValueError:                                          # an empty cell
            pass
    used = sorted(set(_library_uses(code, names, {code})))
    if used:
        raise AssertionError(f"{fn.__name__} calls {', '.join(used)}: the homework asks you to write "
                             f"this yourself, without dlcourse's implementation")


__all__ = ["check", "assert_own_work", "GRADING_ENV", "RECORD_MIME", "ALLOWED_MODULES", "ALLOWED_ENV",
           "allowed_modules", "declared_modules", "is_allowed", "STUDENT_ENV", "student_id", "variant_rng",
           "uses_variants"]
