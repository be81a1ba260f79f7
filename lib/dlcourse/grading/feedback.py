"""`dlcourse feedback`: per-student HTML from the autograded notebooks.

Shows each test's result and message and the student's own code and outputs; never the
hidden tests' source (not in cells, not in tracebacks) and no server paths.
"""

import html
import re
from pathlib import Path

from .autograde import load_course
from .verify import is_test

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


def sanitize(nb, source_tests):
    """Feedback-safe copy in place: hidden tests out of test cells, tracebacks reduced to one line.

    source_tests : {grade_id: source of the test cell in the source notebook} — test cells are shown
    from this (minus hidden blocks), whatever the submission's copy says.
    """
    import nbformat

    results = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        test = is_test(cell)
        if test:
            grade_id = cell.metadata.nbgrader["grade_id"]
            cell.source = clear_hidden(source_tests.get(grade_id, cell.source))
        outputs = []
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                # tracebacks quote the lines around the failure, hidden ones included: keep only the message
                outputs.append(nbformat.from_dict({"output_type": "error", "ename": out.ename,
                                                   "evalue": scrub(str(out.evalue)),
                                                   "traceback": [f"{out.ename}: {scrub(str(out.evalue))}"]}))
            elif out.output_type == "stream":
                out.text = scrub(out.text)
                outputs.append(out)
            elif not test:
                outputs.append(out)
        cell.outputs = outputs
        if test:
            error = next((o for o in outputs if o.output_type == "error"), None)
            points = float(cell.metadata.nbgrader.get("points", 0))
            results.append((cell.metadata.nbgrader["grade_id"], points, error is None,
                            "passed" if error is None else f"{error.ename}: {error.evalue}"))
    return results


def summary_html(student, assignment, results):
    rows = "".join(
        f"<tr><td>{html.escape(g)}</td><td>{p if ok else 0:g} / {p:g}</td>"
        f"<td style='color:{'#009E73' if ok else '#D55E00'}'>{'passed' if ok else 'failed'}</td>"
        f"<td>{html.escape(m)}</td></tr>" for g, p, ok, m in results)
    got = sum(p for _, p, ok, _ in results if ok)
    total = sum(p for _, p, _, _ in results)
    return (f"<h1>Feedback: {html.escape(assignment)} — {html.escape(student)}</h1>"
            f"<p>Autograded tests: {got:g} / {total:g} points. Written answers are graded by the course staff.</p>"
            f"<table><tr><th>test</th><th>points</th><th>result</th><th>message</th></tr>{rows}</table>")


def write_feedback(assignment, *, root="."):
    """Write feedback/<student>/<assignment>/<notebook>.html for every autograded submission."""
    import nbformat
    from nbconvert import HTMLExporter

    coursedir, _ = load_course(root)
    root = Path(coursedir.root)
    source_dir = root / coursedir.source_directory / assignment
    autograded = root / coursedir.autograded_directory
    written = []
    for path in sorted(autograded.glob(f"*/{assignment}/*.ipynb")):
        student, notebook = path.parent.parent.name, path.stem
        source = nbformat.read(source_dir / f"{notebook}.ipynb", as_version=4)
        source_tests = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells if is_test(c)}
        nb = nbformat.read(path, as_version=4)
        results = sanitize(nb, source_tests)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(summary_html(student, assignment, results)))
        nb.metadata.pop("widgets", None)
        body, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
        out = root / coursedir.feedback_directory / student / assignment / f"{notebook}.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body, encoding="utf-8")
        for name in ("timestamp.txt", "submission_secret.txt"):   # from `nbgrader collect`; `release_feedback`
            kept = root / coursedir.submitted_directory / student / assignment / name   # needs them beside the
            if kept.exists():                                                          # feedback
                (out.parent / name).write_text(kept.read_text())
        written.append(out)
    return written
