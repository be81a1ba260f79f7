"""`dlcourse report ASSIGNMENT`: one offline HTML page and a CSV that a teaching team reads in a minute.

After `dlcourse grade`, from grades/<assignment>.csv, nbgrader's gradebook and the autograded notebooks:
the score distribution, each part's mean and pass rate, the tests that fail most often with the first
line of their message, the status counts and the slowest submissions (from the CSV's last column,
``seconds``: each submission's grading time as `dlcourse grade` records it; a CSV without it gets a note).
Writes reports/<assignment>.html (figures embedded, nothing fetched) and reports/<assignment>.csv (the same
numbers, one per row: ``section,item,measure,value,text``).

Three layers, as everywhere in dlcourse: readers turn the files into plain data, `summarize` computes
every number from that data alone, `render_html` / `write_csv` only show it.
"""

import argparse
import base64
import csv
import html
import io
import math
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

REQUIRED = ("student_id", "score", "max_score", "status")
TOP_TESTS = 10            # failing tests listed
TOP_MESSAGES = 3          # messages per failing test
EXAMPLES = 3              # student ids quoted per status
MESSAGE_EXAMPLES = 2      # and per failing test's message
SLOWEST = 10
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ReportError(ValueError):
    """Bad input for a report (no such assignment, not graded yet): a message for the user, exit code 2."""


# --- readers: files -> plain data ----------------------------------------------------------------


def _number(text):
    text = (text or "").strip()
    return float(text) if text else None


def read_grades(path):
    """Rows of grades/<assignment>.csv as dicts: student (as the CSV shows it), score (None: not graded),
    max_score, statuses (list), detail, late_penalty, seconds (None when the grader did not record it)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ReportError(f"{path}: expected the columns {', '.join(REQUIRED)} (as `dlcourse grade` writes "
                              f"them), got {', '.join(reader.fieldnames or []) or 'an empty file'}")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append({"student": row["student_id"], "score": _number(row["score"]),
                             "max_score": _number(row["max_score"]),
                             # one status today; several joined by ; , + | also read, should the grader list them all
                             "statuses": [s for s in re.split(r"[;,+|\s]+", row["status"] or "") if s] or ["ok"],
                             "detail": row.get("detail") or "", "late_penalty": _number(row.get("late_penalty")),
                             "seconds": _number(row.get("seconds"))})
            except ValueError as exc:
                raise ReportError(f"{path}, line {line}: expected numbers in score, max_score, late_penalty and "
                                  f"seconds, got {exc}") from None
    return rows


def source_order(notebook_path):
    """{grade_id: position} of the cells of a notebook (to list parts in the order students meet them)."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    return {g: i for i, g in enumerate(ids) if g}


def read_gradebook(db_url, assignment, shown, order=None):
    """Parts and per-part scores from nbgrader's gradebook.

    shown : function from a gradebook student id to the id as the CSV shows it
    order : {notebook: {grade_id: position}} (parts are listed in that order)
    Returns (parts, scores, seconds_late, ids):
      parts  [{"notebook", "name", "max_score", "kind": "test" | "manual"}]
      scores {student: {(notebook, name): score, or None while it awaits manual grading}}
      seconds_late {student: seconds after the due date (0 when on time or no due date)}
      ids    {gradebook id: id as the CSV shows it}
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            raise ReportError(f"the gradebook has no assignment {assignment!r}: run `dlcourse grade {assignment}` "
                              "first") from None
        parts = []
        for nb in a.notebooks:
            rank = (order or {}).get(nb.name, {})
            cells = sorted(nb.grade_cells, key=lambda c: (rank.get(c.name, math.inf), c.id))
            for cell in cells:
                try:
                    gb.find_solution_cell(cell.name, nb.name, assignment)
                    manual = True                  # an answer graded by a person (code or written)
                except MissingEntry:
                    manual = cell.cell_type != "code"
                parts.append({"notebook": nb.name, "name": cell.name, "max_score": float(cell.max_score),
                              "kind": "manual" if manual else "test"})
        scores, seconds_late, ids = {}, {}, {}
        for sub in a.submissions:
            student = ids[sub.student_id] = shown(sub.student_id)
            scores[student] = {(nb.name, g.name): (None if g.needs_manual_grade else float(g.score))
                               for nb in sub.notebooks for g in nb.grades}
            seconds_late[student] = float(sub.total_seconds_late or 0)
    return parts, scores, seconds_late, ids


def first_line(text, limit=160):
    """The first non-empty line of a message, without terminal colours, at most `limit` characters."""
    lines = [line.strip() for line in _ANSI.sub("", str(text)).splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def read_failures(folder, assignment, notebooks, students):
    """{student: [(notebook, grade_id, message)]}: the test cells with an error in the autograded notebooks.

    folder : autograded/ ; notebooks : the assignment's notebook names (without .ipynb) ;
    students : {gradebook id: id as the CSV shows it}. The message is "ename: first line of evalue"
    (the grader has already redacted hidden-test lines from it).
    """
    import nbformat

    from .feedback import scrub
    from .verify import is_test

    failures = {}
    for student, shown in students.items():
        found = []
        for notebook in notebooks:
            path = Path(folder) / student / assignment / f"{notebook}.ipynb"
            if path.is_symlink() or not path.is_file():
                continue
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"] if is_test(cell) else []
                if errors:
                    ename = str(errors[0].get("ename", "")).rstrip(":") or "Error"
                    evalue = first_line(scrub(str(errors[0].get("evalue", ""))))
                    found.append((notebook, cell.metadata.nbgrader["grade_id"],
                                  f"{ename}: {evalue}" if evalue else f"{ename} (no message)"))
        failures[shown] = found
    return failures


# --- numbers: plain data -> plain data -----------------------------------------------------------


def histogram(scores, max_score):
    """Bins centred on whole points (width 1, or wider for large totals): (edges, counts)."""
    top = max([max_score or 0, *scores]) if scores else (max_score or 1)
    low = min([0.0, *scores]) if scores else 0.0
    width = max(1.0, math.ceil((top - low) / 30))
    start = math.floor(low / width) * width - width / 2
    n_bins = int(math.floor((top - start) / width)) + 1
    edges = [start + k * width for k in range(n_bins + 1)]
    counts = [0] * n_bins
    for s in scores:
        counts[min(int((s - start) // width), n_bins - 1)] += 1
    return edges, counts


def _median(values):
    v = sorted(values)
    n = len(v)
    return None if n == 0 else (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2)


def summarize(assignment, rows, parts, scores, failures, seconds_late, *, severity=()):
    """Every number of the report, from plain data (the readers' outputs); returns plain data.

    rows : `read_grades`; parts, scores, seconds_late : `read_gradebook`; failures : `read_failures`.
    severity : status names, most severe first (the order of the status table).
    Parts and failing tests count the submissions that have a score in the CSV.
    """
    graded = [r for r in rows if r["score"] is not None]
    values = [r["score"] for r in graded]
    max_score = next((r["max_score"] for r in rows if r["max_score"] is not None), None)
    edges, counts = histogram(values, max_score)
    graded_ids = [r["student"] for r in graded if r["student"] in scores]

    part_rows = []
    for part in parts:
        key = (part["notebook"], part["name"])
        got = [scores[s].get(key) for s in graded_ids if key in scores[s]]
        scored = [g for g in got if g is not None]
        full = sum(g >= part["max_score"] for g in scored)
        part_rows.append({**part, "n": len(scored), "awaiting": len(got) - len(scored),
                          "mean": sum(scored) / len(scored) if scored else None,
                          "max": max(scored) if scored else None,
                          "n_full": full, "pass_rate": full / len(scored) if scored else None})

    by_test, messages = Counter(), defaultdict(Counter)
    examples = defaultdict(list)
    for student in (r["student"] for r in graded):
        for notebook, name, message in failures.get(student, []):
            by_test[(notebook, name)] += 1
            messages[(notebook, name)][message] += 1
            if len(examples[(notebook, name, message)]) < MESSAGE_EXAMPLES:
                examples[(notebook, name, message)].append(student)
    position = {(p["notebook"], p["name"]): i for i, p in enumerate(parts)}
    failing = [{"notebook": nb, "name": name, "failures": n, "of": len(graded_ids),
                "messages": [{"message": m, "count": c, "examples": examples[(nb, name, m)]}
                             for m, c in messages[(nb, name)].most_common(TOP_MESSAGES)],
                "other_messages": len(messages[(nb, name)]) - min(len(messages[(nb, name)]), TOP_MESSAGES)}
               for (nb, name), n in sorted(by_test.items(), key=lambda kv: (-kv[1], position.get(kv[0], math.inf)))]

    status_counts = Counter(s for r in rows for s in dict.fromkeys(r["statuses"]))
    ordered = [s for s in severity if s in status_counts] + sorted(s for s in status_counts if s not in severity)
    late = [{"student": r["student"], "seconds_late": seconds_late[r["student"]], "late_penalty": r["late_penalty"]}
            for r in rows if seconds_late.get(r["student"], 0) > 0]
    timed = [r for r in rows if r["seconds"] is not None]
    slowest = None if not timed else [
        {"student": r["student"], "seconds": r["seconds"], "status": "+".join(r["statuses"]), "score": r["score"]}
        for r in sorted(timed, key=lambda r: -r["seconds"])[:SLOWEST]]
    return {
        "assignment": assignment, "max_score": max_score, "n_submissions": len(rows), "n_graded": len(graded),
        "score": {"mean": sum(values) / len(values) if values else None, "median": _median(values),
                  "min": min(values, default=None), "max": max(values, default=None)},
        "histogram": {"edges": edges, "counts": counts},
        "not_graded": [{"student": r["student"], "status": "+".join(r["statuses"]), "detail": r["detail"]}
                       for r in rows if r["score"] is None],
        "statuses": [(s, status_counts[s]) for s in ordered] + ([("late", len(late))] if late else []),
        "status_examples": {s: [r["student"] for r in rows if s in r["statuses"]][:EXAMPLES] for s in ordered}
        | {"late": [x["student"] for x in late][:EXAMPLES]},
        "late": late,
        "parts": part_rows,
        "failing_tests": failing,
        "slowest": slowest, "n_timed": len(timed),
    }


# --- showing: plain data -> PNG, HTML, CSV ------------------------------------------------------


def histogram_png(summary):
    """The score distribution as PNG bytes (matplotlib's Agg canvas: no window, no global pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    edges, counts = summary["histogram"]["edges"], summary["histogram"]["counts"]
    fig = Figure(figsize=(6.4, 3.3), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    centres = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
    width = edges[1] - edges[0]
    bars = ax.bar(centres, counts, width=0.9 * width, color="#3b6ea8")
    ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], fontsize=8, padding=1)
    mean = summary["score"]["mean"]
    if mean is not None:
        ax.axvline(mean, color="#c0392b", linestyle="--", linewidth=1.2, label=f"mean {mean:.1f}", zorder=0)
        ax.legend(frameon=False, fontsize=9, loc="upper left")
    ax.set_xlabel(f"score (points, out of {summary['max_score']:g})" if summary["max_score"] else "score")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=14))
    ax.set_ylim(0, max(counts + [1]) * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _fmt(x, digits=1):
    return "–" if x is None else f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def _pct(x):
    return "–" if x is None else f"{100 * x:.0f}%"


def _e(text):
    return html.escape(str(text), quote=True)


def _table(head, rows, classes=()):
    cls = dict(enumerate(classes))
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:        # cells are already-escaped HTML
        out.append("<tr>" + "".join(f'<td class="{cls.get(i, "")}">{c}</td>' for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _bar(fraction):
    if fraction is None:
        return ""
    tone = "good" if fraction >= 0.8 else "mid" if fraction >= 0.5 else "bad"
    return f'<span class="bar"><span class="{tone}" style="width:{100 * fraction:.0f}%"></span></span>'


def _seconds(s):
    return f"{s / 86400:.1f} days" if s >= 86400 else f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.0f} min"


CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:18px 24px 40px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:26px 0 8px}
.sub{color:#5a6270;margin:0 0 14px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:6px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px} .card span{color:#5a6270;font-size:13px}
.row{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}
.row>section{flex:1 1 420px;min-width:0}
figure{margin:0;background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:6px}
figure img{width:100%;max-width:640px;height:auto;display:block}
table{border-collapse:collapse;background:#fff;width:100%;font-size:14px}
th,td{border-bottom:1px solid #e5e8ec;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nowrap{white-space:nowrap}
td.id,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;overflow-wrap:anywhere}
.bar{display:inline-block;width:110px;height:10px;background:#e5e8ec;border-radius:5px;vertical-align:middle;margin-left:6px}
.bar span{display:block;height:100%;border-radius:5px}
.good{background:#2e8b57}.mid{background:#d49a1a}.bad{background:#c0392b}
.msg{color:#7a2a20} .muted{color:#5a6270;font-size:13px}
.note{background:#fff8e1;border:1px solid #f0d98c;border-radius:6px;padding:8px 12px}
"""


def render_html(summary, png, *, sources=""):
    """The page: a self-contained HTML document (figure as a base64 PNG, styles inline, no scripts)."""
    s, mx = summary, summary["max_score"]
    score = s["score"]
    cards = [(f"{s['n_submissions']}", "submissions"), (f"{s['n_graded']}", "graded"),
             (_fmt(score["mean"]), f"mean score / {_fmt(mx)}"), (_fmt(score["median"]), "median"),
             (f"{_fmt(score['min'])}–{_fmt(score['max'])}", "range")]
    status_rows = [[f"<code>{_e(name)}</code>", str(n),
                    "" if name == "ok" else ", ".join(f"<code>{_e(x)}</code>" for x in s["status_examples"][name])
                    + (" …" if n > len(s["status_examples"][name]) else "")] for name, n in s["statuses"]]
    status_html = _table(["status", "submissions", "e.g."], status_rows, ("nowrap", "num", "id"))
    if s["late"]:
        status_html += "<p class='muted'>Late (after the due date, from the gradebook): " + ", ".join(
            f"<code>{_e(x['student'])}</code> {_e(_seconds(x['seconds_late']))}"
            + (f" (−{_fmt(x['late_penalty'])} points)" if x["late_penalty"] else "") for x in s["late"]) + \
            ". A late submission also counts under its grading status.</p>"
    if s["not_graded"]:
        status_html += "<p class='muted'>Not graded (no score): " + "; ".join(
            f"<code>{_e(x['student'])}</code> {_e(x['status'])}" for x in s["not_graded"]) + "</p>"

    part_rows = [[f"<code>{_e(p['name'])}</code>" + (f" <span class='muted'>({_e(p['notebook'])})</span>"
                                                      if len({q['notebook'] for q in s['parts']}) > 1 else ""),
                  "test" if p["kind"] == "test" else "by hand", _fmt(p["max_score"]),
                  _fmt(p["mean"], 2), _fmt(p["max"]),
                  f"{_pct(p['pass_rate'])}{_bar(p['pass_rate'])}", f"{p['n_full']}/{p['n']}",
                  str(p["awaiting"]) if p["awaiting"] else ""] for p in s["parts"]]
    parts_html = _table(["part (grade cell)", "graded", "points", "mean", "best", "full marks", "count",
                         "awaiting a grader"], part_rows, ("", "", "num", "num", "num", "num", "num", "num"))

    fail_rows = []
    for t in s["failing_tests"][:TOP_TESTS]:
        lines = "".join(f"<div><span class='msg'>{_e(m['message'])}</span> <span class='muted'>× {m['count']} — e.g. "
                        + ", ".join(f"<code>{_e(x)}</code>" for x in m["examples"]) + "</span></div>"
                        for m in t["messages"])
        if t["other_messages"]:
            lines += f"<div class='muted'>and {t['other_messages']} other message(s)</div>"
        fail_rows.append([f"<code>{_e(t['name'])}</code>", f"{t['failures']}/{t['of']}", lines])
    fail_html = (_table(["test", "failed", "first line of the error (most frequent first)"], fail_rows,
                        ("nowrap", "num", "")) if fail_rows else "<p>No test failed.</p>")
    if len(s["failing_tests"]) > TOP_TESTS:
        fail_html += f"<p class='muted'>{len(s['failing_tests']) - TOP_TESTS} more failing test(s) in the CSV.</p>"

    if s["slowest"] is None:
        slow_html = ("<p class='note'>Grading times were not recorded: the grades CSV has no <code>seconds</code> "
                     "column, so the slowest submissions cannot be shown.</p>")
    else:
        slow_html = _table(["submission", "seconds", "status", "score"],
                           [[f"<code>{_e(x['student'])}</code>", _fmt(x["seconds"]), f"<code>{_e(x['status'])}</code>",
                             _fmt(x["score"])] for x in s["slowest"]], ("id", "num", "", "num"))
    image = base64.b64encode(png).decode("ascii")
    title = f"{s['assignment']}: grading report"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<p class="sub">{_e(sources)}</p>
<div class="cards">{''.join(f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for v, k in cards)}</div>
<div class="row">
<section><h2>Score distribution</h2><figure><img alt="histogram of the scores of {s['n_graded']} graded submissions"
 src="data:image/png;base64,{image}"></figure></section>
<section><h2>Statuses</h2>{status_html}</section>
</div>
<h2>Parts</h2>
<p class="muted">Mean and best over the {s['n_graded']} graded submissions; full marks = the part's whole points
(for a test: the test passed).</p>
{parts_html}
<h2>Most frequent failing tests</h2>
{fail_html}
<h2>Slowest submissions</h2>
{slow_html}
</main></body></html>
"""


def _csv_text(text):
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text     # no spreadsheet formulas


def csv_rows(summary):
    """The page's numbers as rows (section, item, measure, value, text)."""
    s = summary
    rows = [("summary", s["assignment"], measure, value, "") for measure, value in
            [("submissions", s["n_submissions"]), ("graded", s["n_graded"]), ("max_score", s["max_score"]),
             *((k, v) for k, v in s["score"].items())]]
    edges, counts = s["histogram"]["edges"], s["histogram"]["counts"]
    rows += [("histogram", f"{(a + b) / 2:g}", "submissions", c, f"scores in [{a:g}, {b:g})")
             for a, b, c in zip(edges, edges[1:], counts)]
    rows += [("status", name, "submissions", n, "") for name, n in s["statuses"]]
    rows += [("late", x["student"], m, x[m], "") for x in s["late"] for m in ("seconds_late", "late_penalty")]
    rows += [("not_graded", x["student"], "status", x["status"], x["detail"]) for x in s["not_graded"]]
    for p in s["parts"]:
        item = f"{p['notebook']}:{p['name']}"
        rows += [("part", item, m, p[k], p["kind"]) for m, k in
                 [("max_score", "max_score"), ("mean", "mean"), ("best", "max"), ("pass_rate", "pass_rate"),
                  ("full_marks", "n_full"), ("graded", "n"), ("awaiting", "awaiting")]]
    for t in s["failing_tests"]:
        item = f"{t['notebook']}:{t['name']}"
        rows.append(("failing_test", item, "failures", t["failures"], ""))
        rows += [("failing_test", item, "message", m["count"], m["message"]) for m in t["messages"]]
    rows += [("slowest", x["student"], "seconds", x["seconds"], x["status"]) for x in s["slowest"] or []]
    return rows


def write_csv(summary, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["section", "item", "measure", "value", "text"])
        for section, item, measure, value, text in csv_rows(summary):
            value = "" if value is None else f"{value:g}" if isinstance(value, float) else value
            writer.writerow([section, _csv_text(item), measure, value, _csv_text(text)])
    return path


# --- the command ---------------------------------------------------------------------------------


def gather(assignment, root="."):
    """Read the CSV, the gradebook and the autograded notebooks of a graded assignment; returns the summary."""
    from .autograde import STATUSES, GradingError, _shown, load_course

    try:
        coursedir, _ = load_course(root)
    except GradingError as exc:
        raise ReportError(str(exc)) from None
    course = Path(coursedir.root)
    source = course / coursedir.source_directory
    if not (source / assignment).is_dir():
        known = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
        raise ReportError(f"no assignment {assignment!r}: expected a folder {source / assignment} "
                          f"(assignments here: {', '.join(known) or 'none'})")
    grades = course / "grades" / f"{assignment}.csv"
    if not grades.is_file():
        raise ReportError(f"{assignment} has not been graded yet: expected {grades}; run "
                          f"`dlcourse grade {assignment}` first")
    rows = read_grades(grades)
    db_url = coursedir.db_url
    if db_url.startswith("sqlite:///"):          # a relative sqlite path is relative to the course, not to the cwd
        db_file = course / db_url.removeprefix("sqlite:///")
        if not db_file.is_file():
            raise ReportError(f"no gradebook at {db_file} (nbgrader_config.py's db_url): run "
                              f"`dlcourse grade {assignment}` in {course} first")
        db_url = f"sqlite:///{db_file}"
    notebooks = sorted(p.stem for p in (source / assignment).glob("*.ipynb"))
    order = {n: source_order(source / assignment / f"{n}.ipynb") for n in notebooks}
    parts, scores, seconds_late, ids = read_gradebook(db_url, assignment, _shown, order)
    graded = {r["student"] for r in rows if r["score"] is not None}
    failures = read_failures(course / coursedir.autograded_directory, assignment, notebooks,
                             {real: shown for real, shown in ids.items() if shown in graded})
    return summarize(assignment, rows, parts, scores, failures, seconds_late, severity=STATUSES), grades


def write_report(assignment, root=".", out=None):
    """Write reports/<assignment>.html and reports/<assignment>.csv (or under `out`); returns both paths."""
    summary, grades = gather(assignment, root)
    folder = Path(out) if out else Path(root).resolve() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    changed = datetime.fromtimestamp(grades.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    sources = (f"From grades/{assignment}.csv (graded {changed}), nbgrader's gradebook and the autograded "
               f"notebooks; written {datetime.now():%Y-%m-%d %H:%M}.")
    page = folder / f"{assignment}.html"
    page.write_text(render_html(summary, histogram_png(summary), sources=sources), encoding="utf-8")
    return page, write_csv(summary, folder / f"{assignment}.csv")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="dlcourse report", description=(
        "After `dlcourse grade ASSIGNMENT`: write reports/ASSIGNMENT.html (one file, opens offline) and "
        "reports/ASSIGNMENT.csv — score distribution, each part's mean and pass rate, the most frequent "
        "failing tests, status counts, the slowest submissions."))
    parser.add_argument("assignment", help="e.g. hw1 (graded already: grades/ASSIGNMENT.csv exists)")
    parser.add_argument("--root", default=".", help="the course folder, where nbgrader_config.py is (default: .)")
    parser.add_argument("--out", default=None, help="folder for the page and the CSV (default: ROOT/reports)")
    args = parser.parse_args(argv)
    try:
        for path in write_report(args.assignment, root=args.root, out=args.out):
            print(path)
    except (ReportError, OSError) as exc:
        print(f"dlcourse report: {exc}", file=sys.stderr)
        return 2
    return 0
