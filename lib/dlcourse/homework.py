"""Helpers that homework test cells call: `check` and `assert_own_work`.

`check(key, value, expected=None)` compares your answer with `expected` when
one is given (a visible check, with a readable message). While the course
staff grade, it also hands `value` to the grader, which compares it with the
reference solution's value outside your notebook's kernel: tests cannot be
passed by replacing assert functions.

`assert_own_work(fn)` fails when `fn` calls dlcourse's own implementation of
what the homework asks you to write.
"""

import os

import numpy as np

GRADING_ENV = "DLCOURSE_GRADING"
RECORD_MIME = "application/vnd.dlcourse.check+json"
# Modules whose functions are the homework's answers: not allowed in your solutions.
RESERVED_MODULES = ("dlcourse.models", "dlcourse.losses", "dlcourse.penalties", "dlcourse.objectives",
                    "dlcourse.optim", "dlcourse.networks", "dlcourse.explorers", "dlcourse.gradcheck",
                    "dlcourse.convexity")


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
    for name in code.co_names:
        obj = globals_.get(name)
        module = obj.__name__ if isinstance(obj, type(np)) else getattr(obj, "__module__", None)
        if isinstance(module, str) and module.startswith(RESERVED_MODULES):
            yield f"{module}.{getattr(obj, '__name__', name)}" if not isinstance(obj, type(np)) else module
        elif callable(obj) and hasattr(obj, "__code__") and obj.__code__ not in seen:
            seen.add(obj.__code__)
            yield from _library_uses(obj.__code__, obj.__globals__, seen)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            yield from _library_uses(const, globals_, seen)


def assert_own_work(fn):
    """Fail with a clear message when `fn` (or a function it calls) uses dlcourse's implementation."""
    if getattr(fn, "__module__", "").startswith(RESERVED_MODULES):
        raise AssertionError(f"{fn.__name__} is dlcourse's own implementation "
                             f"({fn.__module__}): the homework asks you to write it yourself")
    code = getattr(fn, "__code__", None)
    if code is None:
        raise AssertionError(f"expected a function you wrote, got {type(fn).__name__}")
    used = sorted(set(_library_uses(code, fn.__globals__, {code})))
    if used:
        raise AssertionError(f"{fn.__name__} calls {', '.join(used)}: the homework asks you to write "
                             f"this yourself, without dlcourse's implementation")


__all__ = ["check", "assert_own_work", "GRADING_ENV", "RECORD_MIME", "RESERVED_MODULES"]
