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




# --- what students may see of an executed notebook ------------------------------------------------------

BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
REDACTED = "[a line of a hidden test was removed]"
MIN_HIDDEN_LINE = 6          # shorter lines ("pass", ")") tell nothing and would redact everything
MAX_MESSAGE = 300


def hidden_lines(source_nb):
    """The stripped lines of every hidden-test block of a SOURCE notebook (long enough to matter)."""
    lines, hidden = set(), False
    for cell in source_nb.cells:
        for line in cell.get("source", "").splitlines():
            text = line.strip()
            if text.startswith(BEGIN_HIDDEN):
                hidden = True
            elif text.startswith(END_HIDDEN):
                hidden = False
            elif hidden and len(text) >= MIN_HIDDEN_LINE:
                lines.add(text)
        hidden = False
    return frozenset(lines)


def redact(text, hidden):
    """`text` with every line that quotes a hidden-test line replaced by a note."""
    if not hidden or not isinstance(text, str):
        return text
    out = []
    for line in text.split("\n"):
        squeezed = line.strip()
        out.append(REDACTED if any(h in squeezed for h in hidden) else line)
    return "\n".join(out)


def _redact_output(out, hidden):
    if out.get("output_type") == "stream":
        out["text"] = redact("".join(out.get("text", "")), hidden)
    elif out.get("output_type") == "error":
        out["evalue"] = redact(str(out.get("evalue", "")), hidden)
        out["traceback"] = [redact(t, hidden) for t in out.get("traceback", [])]
    else:
        for mime, value in list(out.get("data", {}).items()):
            if mime.startswith("text/") or mime.endswith("json"):
                text = "".join(value) if isinstance(value, list) else value
                if isinstance(text, str):
                    out["data"][mime] = redact(text, hidden)
    return out


def verdict(cell):
    """A failed test cell's message as the grader states it: one line, hidden lines redacted, bounded."""
    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if error is None:
        return None
    message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip().splitlines() or ["failed"]
    return message[0][:MAX_MESSAGE]


def public_outputs(nb, hidden):
    """In place: every test cell keeps only the grader's verdict (an error when it failed, nothing when it
    passed) — whatever student code printed while the test ran (hooks, patched display, tracebacks) is
    gone; every other output has the lines that quote hidden tests redacted. Scores are unchanged:
    a failing test cell still has exactly one error output."""
    import nbformat

    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        if is_test(cell):
            message = verdict(cell)
            if message is None:
                cell.outputs = []
            else:
                ename, _, evalue = message.partition(": ")
                evalue = redact(evalue, hidden)
                cell.outputs = [nbformat.from_dict({"output_type": "error", "ename": redact(ename, hidden)[:80],
                                                    "evalue": evalue, "traceback": [f"{ename}: {evalue}"]})]
        else:
            cell.outputs = [_redact_output(o, hidden) for o in cell.get("outputs", [])]
    return nb


__all__ = ["verify", "records", "reference_records", "matches", "is_test", "hidden_lines", "redact", "public_outputs",
           "verdict"]
