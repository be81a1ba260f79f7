"""Outside the sandbox: judge each test cell by the values it handed over, not only by its errors.

A test cell passes when it ran, raised no error and printed nothing on stderr
(nbgrader's own rule), *and* every value it checked (`dlcourse.homework.check`)
matches the reference solution's value for the same key, within the tolerance
the reference run recorded. Replacing `assert_allclose`, `abs` or `check` inside
the kernel therefore cannot turn a wrong answer into points.
"""

import numpy as np

from ..homework import RECORD_MIME

FAILED = "GradingCheckFailed"


def is_test(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution")


def records(cell):
    """{key: record} from a cell's check outputs (later records with the same key win)."""
    found = {}
    for out in cell.get("outputs", []):
        rec = out.get("data", {}).get(RECORD_MIME) if out.get("output_type") == "display_data" else None
        if isinstance(rec, dict) and isinstance(rec.get("key"), str):
            found[rec["key"]] = rec
    return found


def reference_records(executed):
    """{grade_id: {key: record}} from the reference solution's executed notebook."""
    ref = {}
    for cell in executed.cells:
        if is_test(cell):
            ref[cell.metadata.nbgrader["grade_id"]] = records(cell)
    return ref


def _decode(rec):
    data = [float(x) if isinstance(x, str) else x for x in rec.get("data", [])]
    return np.array(data, dtype=np.float64).reshape(rec.get("shape", [len(data)]))


def matches(value_rec, ref_rec):
    """Same shape and allclose with the reference's tolerance (NaN never matches)."""
    try:
        a, b = _decode(value_rec), _decode(ref_rec)
    except (TypeError, ValueError):
        return False
    rtol, atol = float(ref_rec.get("rtol", 1e-6)), float(ref_rec.get("atol", 1e-9))
    return a.shape == b.shape and not np.isnan(a).any() and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _error(message):
    import nbformat

    return nbformat.from_dict({"output_type": "error", "ename": FAILED, "evalue": message, "traceback": [f"{FAILED}: {message}"]})


def verify(nb, reference, *, timed_out=(), kernel_died=False):
    """Judge every test cell in place; returns {grade_id: (passed, message)}.

    Check outputs and any `execute_result` (which nbgrader would read as partial credit)
    are removed from test cells; a failing cell always ends up with an error output.
    """
    verdicts = {}
    for cell in nb.cells:
        if not is_test(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        got = records(cell)
        cell.outputs = [o for o in cell.get("outputs", [])
                        if not (o.get("output_type") == "display_data" and RECORD_MIME in o.get("data", {}))
                        and o.get("output_type") != "execute_result"]
        expected = reference.get(grade_id, {})
        if cell.get("execution_count") is None:
            why = "the kernel died before this test ran" if kernel_died else "this test did not run"
            message = why
        elif cell.get("id") in timed_out:
            message = "this test ran out of time"
        elif any(o.get("output_type") == "error" for o in cell.outputs):
            message = next(f"{o['ename']}: {o['evalue']}" for o in cell.outputs if o.get("output_type") == "error")
        elif any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.outputs):
            message = "the test wrote to stderr (a warning or an error message)"
        else:
            missing = [k for k in expected if k not in got]
            wrong = [k for k in expected if k in got and not matches(got[k], expected[k])]
            if missing:
                message = f"check {missing[0]!r} did not report a value"
            elif wrong:
                message = f"check {wrong[0]!r}: the value does not match the reference solution"
            else:
                verdicts[grade_id] = (True, "passed")
                continue
        if not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.append(_error(message))
        verdicts[grade_id] = (False, message)
    return verdicts


__all__ = ["verify", "records", "reference_records", "matches", "is_test"]
