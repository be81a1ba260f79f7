"""`dlcourse feedback`: per-student HTML from the autograded notebooks and the gradebook.

Shows the whole grade as formgrader has it — each part's autograded and manual score, the TA's
comments, the late penalty and the total — then the student's own code and outputs, each test's
verdict and message; never the hidden tests' source (not in cells, not in outputs, not in
tracebacks) and no server paths.

Student code runs in the same kernel as the hidden tests while grading, so whatever it prints there
may carry them in any encoding (a `pre_run_cell` hook sees every test cell's source; base64 or zlib
defeat any text filter). Feedback therefore never shows output of the grading run except the
verdicts: a code cell shows the outputs the student's own submitted notebook holds (made before the
tests existed for them), and a test cell shows only its verdict (one line, at most
`verify.MAX_MESSAGE` characters: `verify.public_outputs`).
"""

import html
import re
import secrets
from pathlib import Path

from .autograde import load_course
from .verify import hidden_lines, is_test, public_outputs, redact

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
_PATH = re.compile(r"(?:/[\w.\-+@~]+){2,}/?")       # absolute paths of two or more parts


def scrub(text):
    """Replace absolute paths (server folders, temp files) by <path>."""
    return _PATH.sub("<path>", text)


def clear_hidden(source):
    """Source with every hidden-test block removed."""
    out, hidden = [], False
    for line in source.splitlines():
        if line.strip().startswith(BEGIN):
            hidden = True
        elif line.strip().startswith(END):
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def _key(cell):
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return ("grade_id", grade_id) if grade_id else ("id", cell.get("id"))


def own_outputs(submitted):
    """{cell key: outputs} of the student's own submitted notebook (nothing when it is unreadable)."""
    import nbformat

    try:
        if not submitted.is_file() or submitted.is_symlink():
            return {}
        nb = nbformat.read(submitted, as_version=4)
    except Exception:                 # a broken submission: its grading says why; feedback shows no outputs
        return {}
    return {_key(c): c.get("outputs", []) for c in nb.cells if c.cell_type == "code" and _key(c)[1]}


def show_own_outputs(nb, own):
    """In place: every code cell that is not a test shows `own` outputs (from `own_outputs`), no run count."""
    import nbformat

    for cell in nb.cells:
        if cell.cell_type == "code" and not is_test(cell):
            cell.outputs = [nbformat.from_dict(o) for o in own.get(_key(cell), [])]
            cell.execution_count = None
    return nb


def sanitize(nb, source_tests, hidden=frozenset(), own=None):
    """Feedback-safe copy in place: hidden tests out of test cells, test outputs reduced to the grader's
    verdict, other cells' outputs replaced by the student's own (`own`,
    from `own_outputs`; None keeps the grading run's), hidden lines redacted, paths scrubbed.

    source_tests : {grade_id: source of the test cell in the source notebook} — test cells are shown
    from this (minus hidden blocks), whatever the submission's copy says.
    hidden : the hidden-test lines of the source notebook (`verify.hidden_lines`).
    Returns [(grade_id, points, passed, message)] for the test cells.
    """
    public_outputs(nb, hidden)
    if own is not None:
        show_own_outputs(nb, own)
    results = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        test = is_test(cell)
        if test:
            grade_id = cell.metadata.nbgrader["grade_id"]
            cell.source = clear_hidden(source_tests.get(grade_id, cell.source))
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                out.evalue = scrub(redact(str(out.evalue), hidden))
                out.traceback = [f"{out.ename}: {out.evalue}"]       # never the quoted lines around a failure
            elif out.output_type == "stream":
                out.text = scrub(redact(out.text, hidden))
            elif "data" in out:
                for mime in [m for m in out.data if m.startswith("text/")]:
                    value = out.data[mime]
                    out.data[mime] = scrub(redact("".join(value) if isinstance(value, list) else value, hidden))
        if test:
            error = next((o for o in cell.outputs if o.output_type == "error"), None)
            points = float(cell.metadata.nbgrader.get("points", 0))
            results.append((cell.metadata.nbgrader["grade_id"], points, error is None,
                            "passed" if error is None else f"{error.ename}: {error.evalue}"))
    return results


def grade_rows(gradebook, assignment, notebook, student, order=()):
    """[(part, kind, score or None while pending, max_score, comment)] from the gradebook, in `order`
    (grade ids in notebook order), and the notebook's (score, max_score, late penalty) — what formgrader shows."""
    sub_nb = gradebook.find_submission_notebook(notebook, assignment, student)
    comments = {c.name: (c.manual_comment or c.auto_comment or "") for c in sub_nb.comments}
    position = {g: i for i, g in enumerate(order)}
    rows = []
    for grade in sorted(sub_nb.grades, key=lambda g: position.get(g.name, len(position))):
        kind = "written" if grade.cell_type == "markdown" else "autograded"
        if grade.manual_score is not None:
            kind += ", score set by the course staff"
        pending = grade.needs_manual_grade and grade.manual_score is None
        rows.append((grade.name, kind, None if pending else float(grade.score), float(grade.max_score),
                     comments.get(grade.name, "")))
    return rows, (float(sub_nb.score), float(sub_nb.max_score), float(sub_nb.late_submission_penalty or 0))


def summary_html(student, assignment, results, rows=None, totals=None):
    verdicts = {g: (ok, m) for g, _, ok, m in results}
    if rows is None:       # no gradebook entry: the autograded tests only
        rows = [(g, "autograded", p if ok else 0.0, p, "") for g, p, ok, _ in results]
    body = []
    for name, kind, score, max_score, comment in rows:
        ok, message = verdicts.get(name, (None, ""))
        shown = "pending" if score is None else f"{score:g}"
        if ok is not None and "staff" not in kind:
            result = "passed" if ok else "failed"
        else:
            result = "graded" if score is not None else "to be graded"
        colour = {"passed": "#009E73", "failed": "#D55E00"}.get(result, "#333333")
        note = " — ".join(x for x in (message if ok is False else "", f"comment: {comment}" if comment else "") if x)
        body.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(kind)}</td><td>{shown} / {max_score:g}</td>"
                    f"<td style='color:{colour}'>{result}</td><td>{html.escape(scrub(note))}</td></tr>")
    if totals is None:
        got = sum(p for _, p, ok, _ in results if ok)
        total = sum(p for _, p, _, _ in results)
        lines = f"<p>Autograded tests: {got:g} / {total:g} points.</p>"
    else:
        raw, max_score, penalty = totals
        lines = (f"<p class='dlcourse-total'>Total: <b>{raw - penalty:g} / {max_score:g}</b>"
                 + (f" (late penalty: −{penalty:g} points, before the penalty {raw:g})" if penalty else "")
                 + "</p>")
    return (f"<h1>Feedback: {html.escape(assignment)} — {html.escape(student)}</h1>{lines}"
            f"<table><tr><th>part</th><th>kind</th><th>points</th><th>result</th><th>message and comments</th></tr>"
            f"{''.join(body)}</table>")


def write_feedback(assignment, *, root="."):
    """Write feedback/<student>/<assignment>/<notebook>.html for every autograded submission."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbgrader.api import Gradebook, MissingEntry

    coursedir, _ = load_course(root)
    root = Path(coursedir.root)
    source_dir = root / coursedir.source_directory / assignment
    autograded = root / coursedir.autograded_directory
    written = []
    sources = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for path in sorted(autograded.glob(f"*/{assignment}/*.ipynb")):
            student, notebook = path.parent.parent.name, path.stem
            if path.is_symlink() or path.parent.is_symlink() or path.parent.parent.is_symlink():
                continue
            if notebook not in sources:
                source = nbformat.read(source_dir / f"{notebook}.ipynb", as_version=4)
                sources[notebook] = ({c.metadata.nbgrader["grade_id"]: c.source for c in source.cells if is_test(c)},
                                     hidden_lines(source))
            source_tests, hidden = sources[notebook]
            nb = nbformat.read(path, as_version=4)
            submitted = root / coursedir.submitted_directory / student / assignment / f"{notebook}.ipynb"
            results = sanitize(nb, source_tests, hidden, own=own_outputs(submitted))
            try:
                order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
                rows, totals = grade_rows(gb, assignment, notebook, student, order)
            except MissingEntry:
                rows, totals = None, None
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(summary_html(student, assignment, results, rows, totals)))
            nb.metadata.pop("widgets", None)
            body, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
            out = root / coursedir.feedback_directory / student / assignment / f"{notebook}.html"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(body, encoding="utf-8")
            _release_files(root / coursedir.submitted_directory / student / assignment, out.parent, gb, assignment,
                           student)
            written.append(out)
    return written


def _release_files(submitted, dest, gb, assignment, student):
    """timestamp.txt and submission_secret.txt beside the feedback, which `nbgrader release_feedback` needs
    for every student: from `nbgrader collect` when there, else the gradebook's time and a new secret
    (a submission that never went through the exchange cannot be fetched there, but nothing crashes)."""
    from nbgrader.api import MissingEntry

    for name in ("timestamp.txt", "submission_secret.txt"):
        kept = submitted / name
        if kept.is_file() and not kept.is_symlink():
            (dest / name).write_text(kept.read_text())
        elif name == "timestamp.txt":
            try:
                when = gb.find_submission(assignment, student).timestamp
            except MissingEntry:
                when = None
            import datetime

            when = when or datetime.datetime.now(datetime.UTC)
            (dest / name).write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        elif not (dest / name).exists():
            (dest / name).write_text(secrets.token_hex(16))
