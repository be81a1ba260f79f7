"""`dlcourse report`: its numbers against the grades CSV and nbgrader's gradebook of a really graded class,
its page in real Chromium (offline, images decode, a screenshot for a reviewer), and its errors.

One small class (19 submissions: correct, buggy, broken, late, tampered, an odd id) is graded once
with the real `dlcourse grade` (module fixture, about 40 s on 2 cores); every expected number is
recomputed here from the CSV with the csv module and from the gradebook with nbgrader's API.
"""

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from statistics import mean, median

import pytest

from dlcourse.grading import report

from .grading import corpus
from .servers import SCREENSHOTS, chromium_page

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ODD = "<img src=x onerror=alert(1)>"      # refused by the grader (invalid_student_id), shown on the page
UNICODE = "zoë.o+test@uni"                # a valid id the CSV shows escaped


def _run(course, *args):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-m", "dlcourse.cli", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("report_course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    with open(course / "nbgrader_config.py", "a") as f:      # a due date and nbgrader's "zero" late penalty
        f.write('\nc.DlcourseGrading.due_dates = {"hw1": "2026-10-02 23:59:00 UTC"}\n'
                'c.LateSubmissionPlugin.penalty_method = "zero"\n')
    for folder in ("solutions/hw1", "assignments/hw1"):
        shutil.copytree(ROOT / folder, course / folder)
    attacks = corpus.adversarial(course)
    submissions = {**corpus.honest_and_mutants(),
                   **{k: attacks[k] for k in ("kernel_exit", "stripped_metadata", "deleted_test_cells", "infinite_loop",
                                              "truncated_notebook", "uses_dlcourse_implementation", "patches_check")}}
    submissions |= {ODD: submissions["reference"], UNICODE: submissions["naive_sigmoid"],
                    "late_reference": submissions["reference"], "early_reference": submissions["reference"]}
    corpus.write(course, submissions)
    (course / "submitted" / "late_reference" / "hw1" / "timestamp.txt").write_text("2026-10-05 10:00:00.000000 UTC")
    (course / "submitted" / "early_reference" / "hw1" / "timestamp.txt").write_text("2026-10-01 10:00:00.000000 UTC")
    proc = _run(course, "grade", "hw1", "--jobs", "2", "--timeout", "5", "--no-progress")
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _run(course, "report", "hw1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == [str(course / "reports" / "hw1.html"), str(course / "reports" / "hw1.csv")]
    return course


def _grades(course):
    with open(course / "grades" / "hw1.csv", newline="") as f:
        return list(csv.DictReader(f))


def _report(course, path="reports/hw1.csv", *, rows=False):
    """{(section, item, measure): (value, text)} from the report's CSV (with rows=True: the list of rows)."""
    with open(course / path, newline="") as f:
        found = list(csv.DictReader(f))
    assert found and list(found[0]) == ["section", "item", "measure", "value", "text"]
    return found if rows else {(r["section"], r["item"], r["measure"]): (r["value"], r["text"]) for r in found}


def _gradebook(course):
    """Independently of the report: {student as the CSV shows it: {grade_id: (score, max, needs_manual, auto)}},
    the test cells' names, and seconds late."""
    from nbgrader.api import Gradebook, MissingEntry

    shown = {r["student_id"] for r in _grades(course)}
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        cells, tests = [], set()
        for cell in gb.find_notebook("hw1", "hw1").grade_cells:
            cells.append(cell.name)
            try:
                gb.find_solution_cell(cell.name, "hw1", "hw1")
            except MissingEntry:
                if cell.cell_type == "code":
                    tests.add(cell.name)
        grades, late = {}, {}
        for sub in gb.find_assignment("hw1").submissions:
            student = sub.student_id.encode("unicode_escape").decode("ascii")    # as the CSV writes odd ids
            assert student in shown, student
            grades[student] = {g.name: (g.score, g.max_score, g.needs_manual_grade, g.auto_score)
                               for nb in sub.notebooks for g in nb.grades}
            late[student] = sub.total_seconds_late
    return cells, tests, grades, late


def _num(text):
    return float(text) if text != "" else None


def test_summary_and_histogram_equal_the_grades_csv(graded):
    rows, got = _grades(graded), _report(graded)
    scores = [float(r["score"]) for r in rows if r["score"]]
    assert got[("summary", "hw1", "submissions")][0] == str(len(rows)) == "19"
    assert got[("summary", "hw1", "graded")][0] == str(len(scores)) == "17"
    for measure, value in [("mean", mean(scores)), ("median", median(scores)), ("min", min(scores)),
                           ("max", max(scores)), ("max_score", 25)]:
        assert float(got[("summary", "hw1", measure)][0]) == pytest.approx(value, abs=1e-4), measure
    # whole-point scores out of 25: one bin per point, centred on it
    histogram = {float(item): int(value) for (section, item, _), (value, _) in got.items() if section == "histogram"}
    assert sorted(histogram) == [float(k) for k in range(26)]
    assert histogram == {k: Counter(scores)[k] for k in histogram}


def test_status_counts_and_late_equal_the_csv_and_the_gradebook(graded):
    rows, got = _grades(graded), _report(graded)
    _, _, _, late = _gradebook(graded)
    expected = Counter(r["status"] for r in rows)
    assert {item: int(v) for (section, item, _), (v, _) in got.items() if section == "status" and item != "late"} \
        == expected
    assert expected == {"ok": 13, "invalid_student_id": 1, "invalid_notebook": 1, "kernel_died": 1, "timeout": 1,
                        "tampered": 1, "missing_cells": 1}
    late_students = {s for s, seconds in late.items() if seconds and seconds > 0}
    assert late_students == {"late_reference"}
    assert got[("status", "late", "submissions")][0] == "1"
    assert float(got[("late", "late_reference", "seconds_late")][0]) == late["late_reference"]
    penalty = next(r["late_penalty"] for r in rows if r["student_id"] == "late_reference")
    assert got[("late", "late_reference", "late_penalty")][0] == penalty == "20"      # "zero": all 20 points off
    assert got[("not_graded", "truncated_notebook", "status")][0] == "invalid_notebook"


def test_parts_equal_the_gradebook(graded):
    got = _report(graded)
    cells, tests, grades, _ = _gradebook(graded)
    graded_ids = [r["student_id"] for r in _grades(graded) if r["score"]]
    assert set(corpus.POINTS) <= tests and len(cells) == 14
    for cell in cells:
        values = [grades[s][cell] for s in graded_ids]
        scored = [score for score, _, manual, _ in values if not manual]
        top = values[0][1]
        full = sum(score >= top for score in scored)
        item = f"hw1:{cell}"
        assert float(got[("part", item, "mean")][0]) == pytest.approx(mean(scored), abs=1e-4), cell
        assert float(got[("part", item, "best")][0]) == max(scored)
        assert float(got[("part", item, "max_score")][0]) == top
        assert int(got[("part", item, "full_marks")][0]) == full
        assert int(got[("part", item, "graded")][0]) == len(scored) == 17
        assert float(got[("part", item, "pass_rate")][0]) == pytest.approx(full / len(scored), abs=1e-4)
        assert got[("part", item, "mean")][1] == ("test" if cell in tests else "manual")
    # and they list the parts in the notebook's order
    parts = list(dict.fromkeys(item for (section, item, _) in got if section == "part"))
    assert parts == [f"hw1:{c}" for c in cells]


def test_failing_tests_in_the_notebooks_agree_with_the_gradebook(graded):
    """Failures are read from the autograded notebooks' error outputs; the gradebook scores the same cells 0."""
    got = _report(graded)
    _, tests, grades, _ = _gradebook(graded)
    graded_ids = [r["student_id"] for r in _grades(graded) if r["score"]]
    expected = {f"hw1:{t}": sum(grades[s][t][3] < grades[s][t][1] for s in graded_ids) for t in tests}
    failing = {item: int(v) for (section, item, measure), (v, _) in got.items()
               if section == "failing_test" and measure == "failures"}
    assert failing == {t: n for t, n in expected.items() if n}
    messages = {(r["item"], r["text"]): int(r["value"]) for r in _report(graded, rows=True)
                if r["section"] == "failing_test" and r["measure"] == "message"}
    assert messages[("hw1:logistic_gradient", "AssertionError (no message)")] == 2    # sign error, penalized intercept
    assert messages[("hw1:sigmoid_stable", "RuntimeWarning: overflow encountered in exp")] == 2    # naive sigmoid x2
    assert messages[("hw1:gd_path", "GradingCheckFailed: the kernel died before this test ran")] == 1
    assert messages[("hw1:sigmoid_values", "NameError: name 'sigmoid' is not defined")] == 1


def test_page_escapes_student_ids_and_messages(graded):
    page = (graded / "reports" / "hw1.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and ODD not in page
    assert page.count("<img ") == 1                           # the histogram only
    assert "zo\\xeb.o+test@uni" in page                        # as the CSV shows it
    assert "NameError: name &#x27;sigmoid&#x27; is not defined" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_slowest_submissions_equal_the_seconds_the_grader_recorded(graded):
    """`dlcourse grade` writes each submission's grading time (seconds, last column); the report lists the
    slowest first, on the page and in its CSV. The hanging notebook (5 s timeout) is among them."""
    rows = _grades(graded)
    assert list(rows[0])[-1] == "seconds"
    timed = [(r["student_id"], float(r["seconds"])) for r in rows if r["seconds"]]
    assert {r["student_id"] for r in rows if not r["seconds"]} == {ODD, "truncated_notebook"}    # nothing ran
    expected = sorted(timed, key=lambda x: -x[1])[: report.SLOWEST]
    got = _report(graded)
    assert [(item, float(v)) for (section, item, _), (v, _) in got.items() if section == "slowest"] == expected
    assert dict(expected).get("infinite_loop", 0) >= 5            # among the slowest (its cell ran into the 5 s timeout)
    page = (graded / "reports" / "hw1.html").read_text()
    assert "Grading times were not recorded" not in page
    table = page.split("<h2>Slowest submissions</h2>")[1].split("</table>")[0]
    shown = re.findall(r"<tr><td[^>]*><code>(.*?)</code></td><td[^>]*>([^<]*)</td>", table)
    assert [(html.unescape(student), float(value)) for student, value in shown] == \
        [(student, float(report._fmt(seconds))) for student, seconds in expected]


def test_page_in_chromium_offline_readable_and_same_numbers(graded):
    page_file = graded / "reports" / "hw1.html"
    got = _report(graded)
    with chromium_page() as page:
        requested, dialogs = [], []
        page.on("request", lambda r: requested.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.context.route("http*://**", lambda route: route.abort())
        page.context.set_offline(True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("() => [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert images and all(ok and w > 600 and h > 250 for ok, w, h in images), images
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280      # no sideways scrolling
        cells = page.evaluate("""() => [...document.querySelectorAll('h2')].find(h => h.textContent === 'Parts')
            .nextElementSibling.nextElementSibling.querySelectorAll('tbody tr')""" + ".length")
        assert cells == 14
        parts = page.evaluate("""() => { const t = [...document.querySelectorAll('table')][1];
            return [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim())); }""")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report_hw1.png"), full_page=True)
    for name, _, _, average, _, rate, count, _ in parts:
        item = f"hw1:{name}"
        assert float(average) == pytest.approx(float(got[("part", item, "mean")][0]), abs=0.006), name
        assert count == f"{got[('part', item, 'full_marks')][0]}/{got[('part', item, 'graded')][0]}"
        assert rate == f"{100 * float(got[('part', item, 'pass_rate')][0]):.0f}%"
    outside = [u for u in requested if not u.startswith(("file://", "data:"))]
    assert outside == [] and dialogs == []
    assert (SCREENSHOTS / "report_hw1.png").stat().st_size > 20_000


def test_slowest_submissions_come_from_a_seconds_column(graded, tmp_path):
    """When the grader records seconds per submission, the page lists the slowest first."""
    course = tmp_path / "course"
    shutil.copytree(graded, course, ignore=shutil.ignore_patterns("reports", "build", "submitted"))
    rows = _grades(course)
    for i, row in enumerate(rows):
        row["seconds"] = f"{1.5 + i:.1f}"
    with open(course / "grades" / "hw1.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*rows[0]])
        writer.writeheader()
        writer.writerows(rows)
    html_path, csv_path = report.write_report("hw1", root=course, out=tmp_path / "out")
    assert html_path == tmp_path / "out" / "hw1.html" and csv_path.exists()
    got = _report(tmp_path, "out/hw1.csv")
    slowest = [(item, float(v)) for (section, item, _), (v, _) in got.items() if section == "slowest"]
    expected = sorted(((r["student_id"], float(r["seconds"])) for r in rows), key=lambda x: -x[1])[: report.SLOWEST]
    assert slowest == expected
    assert "Grading times were not recorded" not in html_path.read_text()


def test_bad_input_is_a_clear_message_and_exit_code_2(graded, tmp_path, capsys):
    assert report.main(["hw9", "--root", str(graded)]) == 2
    assert "no assignment 'hw9': expected a folder" in capsys.readouterr().err
    ungraded = tmp_path / "ungraded"
    shutil.copytree(graded, ungraded, ignore=shutil.ignore_patterns("grades", "reports", "build", "submitted"))
    assert report.main(["hw1", "--root", str(ungraded)]) == 2
    assert "hw1 has not been graded yet: expected" in capsys.readouterr().err
    (ungraded / "grades").mkdir()
    (ungraded / "grades" / "hw1.csv").write_text("name,points\nana,3\n")
    assert report.main(["hw1", "--root", str(ungraded)]) == 2
    assert "expected the columns student_id, score, max_score, status" in capsys.readouterr().err
    assert report.main(["hw1", "--root", str(tmp_path)]) == 2
    assert "nbgrader_config.py" in capsys.readouterr().err
    with pytest.raises(SystemExit):                                 # argparse: no assignment given
        report.main([])


# --- the pure functions, on small hand-made data ------------------------------------------------


def _row(student, score, status="ok", seconds=None):
    return {"student": student, "score": score, "max_score": 4.0, "statuses": status.split("+"), "detail": "",
            "late_penalty": 0.0, "seconds": seconds}


def test_summarize_by_hand():
    parts = [{"notebook": "nb", "name": "a", "max_score": 2.0, "kind": "test"},
             {"notebook": "nb", "name": "b", "max_score": 2.0, "kind": "manual"}]
    rows = [_row("s1", 4.0, seconds=3.0), _row("s2", 2.0, "timeout+tampered", seconds=9.0), _row("s3", None, "symlink")]
    scores = {"s1": {("nb", "a"): 2.0, ("nb", "b"): 2.0}, "s2": {("nb", "a"): 0.0, ("nb", "b"): None}}
    failures = {"s2": [("nb", "a", "AssertionError (no message)")]}
    s = report.summarize("hw", rows, parts, scores, failures, {"s2": 60.0},
                         severity=("symlink", "timeout", "tampered", "ok"))
    assert (s["n_submissions"], s["n_graded"], s["score"]["mean"], s["score"]["median"]) == (3, 2, 3.0, 3.0)
    assert s["statuses"] == [("symlink", 1), ("timeout", 1), ("tampered", 1), ("ok", 1), ("late", 1)]
    a, b = s["parts"]
    assert (a["mean"], a["n_full"], a["pass_rate"], a["awaiting"]) == (1.0, 1, 0.5, 0)
    assert (b["mean"], b["n"], b["awaiting"]) == (2.0, 1, 1)
    assert s["failing_tests"] == [{"notebook": "nb", "name": "a", "failures": 1, "of": 2, "other_messages": 0,
                                   "messages": [{"message": "AssertionError (no message)", "count": 1,
                                                 "examples": ["s2"]}]}]
    assert [x["student"] for x in s["slowest"]] == ["s2", "s1", ] and s["not_graded"][0]["student"] == "s3"


def test_histogram_bins():
    assert report.histogram([], 3) == ([-0.5, 0.5, 1.5, 2.5, 3.5], [0, 0, 0, 0])
    edges, counts = report.histogram([0, 3, 3, 2.4], 3)
    assert counts == [1, 0, 1, 2]
    edges, counts = report.histogram([0, 50, 100], 100)       # wide totals: wider bins, about 30 of them
    assert edges[1] - edges[0] == 4 and sum(counts) == 3 and len(counts) <= 30


def test_first_line_and_importing_stays_light():
    assert report.first_line("\x1b[31mboom\x1b[0m\nmore") == "boom"
    assert report.first_line("x" * 500).endswith("…") and len(report.first_line("x" * 500)) == 160
    code = "import sys, dlcourse.grading.report; print(sorted({'matplotlib', 'nbgrader', 'nbformat'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
