"""Grading a course can trust (issue 15), with real nbgrader, real kernels and the real sandbox.

One temporary homework-1 course with a due date and nbgrader's "zero" late penalty is graded once by
`dlcourse grade --jobs 2` (module fixture); a second copy with the same submissions is graded by stock
`nbgrader autograde` for the comparisons. Each case has its predicted score and status:

1. a fork bomb beside three correct neighbours: all three full marks (per-sandbox uid and cgroup);
2. a correct but slow notebook: the notebook budget is spent, its tests keep their points;
3. late and on-time submissions: penalized exactly as stock nbgrader penalizes them; formgrader's
   submissions API lists every graded submission as autograded with its score; formgrader's Autograde
   (nbgrader's Autograde app with this course's config) runs student code in the sandbox;
4. a symlinked notebook, folder and extra file: status ``symlink``, no score;
5. dlcourse's models.py loaded from its file under another name: not there to load;
6. hidden tests hunted on disk and in /proc, and printed from an IPython pre_run_cell hook:
   none in autograded/, in `dlcourse feedback` or in `nbgrader generate_feedback`; printed base64-encoded
   (no text filter can catch that): they reach the instructor's autograded/ copy, never the feedback;
7. feedback with a TA's manual score and comment, the late penalty and the total; release_feedback
   works for a submission without timestamp.txt;
8. a release file in a subfolder and the student's own helper module: available while grading and
   copied into autograded/;
9. a 250-character id, an id with a space and an oversized notebook: a status, never a crash.
"""

import base64
import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading import sandbox

from . import corpus
from .homework import run_dlcourse

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Generous against a loaded machine (the suite runs files in parallel on 2 cores): forking to the limit
# or walking the disk can take 10 s there; the sleeps below are wall time and cost no CPU.
TIMEOUT = 30            # seconds per cell (the fork bomb's parent sleeps 5 s per cell)
BUDGET = 60             # seconds per notebook: the slow notebook needs ~80 s after its tests
DUE = "2026-03-01 12:00:00 UTC"
FULL = corpus.AUTO_TOTAL
REF = corpus.reference_answers()

# Appended after the last answer: it forks until the per-uid process limit stops it, its children stay
# (sleeping) while the parent sleeps in four more cells (~20 s), so all three neighbours run beside it.
FORK_BOMB = '''
import os, time
_children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
        _children += 1
except OSError as _e:
    print("forked", _children, "then", type(_e).__name__)
'''


def _fork_bomb():
    def edit(nb):
        nb.cells += [nbformat.v4.new_code_cell(FORK_BOMB)]
        nb.cells += [nbformat.v4.new_code_cell("time.sleep(5)") for _ in range(4)]
    return corpus.build(REF, edit)


LOADER = '''
import importlib.util, os, dlcourse
_path = os.path.join(os.path.dirname(dlcourse.__file__), "models.py")
_spec = importlib.util.spec_from_file_location("my_own_models", _path)
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
sigmoid = _mod.sigmoid
'''

# Looks for the hidden tests everywhere the kernel can reach: files, and every other process's cmdline,
# environment, open files and memory. The marker is built at run time, so this cell does not contain it.
HUNTER = '''
import os, re
_marker = ("sigmoid_values" + "_hidden").encode()     # a hidden test's own words (nbgrader's source has the markers)
_found = []
def _look(data, where):
    if _marker in data:
        _found.append(where)
for _top in ("/grading", "/input", "/tmp", "/opt", os.path.expanduser("~")):
    for _dir, _dirs, _files in os.walk(_top):
        for _f in _files:
            try:
                _look(open(os.path.join(_dir, _f), "rb").read(), os.path.join(_dir, _f))
            except OSError:
                pass
_denied = 0
for _pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
    for _name in ("cmdline", "environ"):
        try:
            _look(open(f"/proc/{_pid}/{_name}", "rb").read(), f"/proc/{_pid}/{_name}")
        except OSError:
            _denied += 1
    try:
        for _fd in os.listdir(f"/proc/{_pid}/fd"):
            try:
                _h = os.open(f"/proc/{_pid}/fd/{_fd}", os.O_RDONLY | os.O_NONBLOCK)
                _look(os.read(_h, 1 << 24), f"/proc/{_pid}/fd/{_fd}")
                os.close(_h)
            except OSError:
                pass
    except OSError:
        _denied += 1
    try:
        with open(f"/proc/{_pid}/maps") as _maps, open(f"/proc/{_pid}/mem", "rb", 0) as _mem:
            for _line in _maps:
                _lo, _hi = (int(x, 16) for x in _line.split()[0].split("-"))
                if "r" in _line.split()[1] and _hi - _lo < 1 << 28:
                    try:
                        _mem.seek(_lo)
                        _look(_mem.read(_hi - _lo), f"/proc/{_pid}/mem")
                    except (OSError, ValueError, OverflowError):
                        pass
    except OSError:
        _denied += 1
print("HUNT", "LEAK" if _found else "nothing found", sorted(set(_found))[:5], "denied", _denied > 0)
'''

HOOK = '''
_seen = []
def _spy(info):
    _seen.append(info.raw_cell)
    print(info.raw_cell)
get_ipython().events.register("pre_run_cell", _spy)
'''

ENCODED_HOOK = '''
import base64 as _b64
_stash = []
def _spy64(info):
    _stash.append(_b64.b64encode(info.raw_cell.encode()).decode())
    print(_stash[-1])
get_ipython().events.register("pre_run_cell", _spy64)
'''

EXTRA = '''
import helper
with open("data/numbers.txt") as _f:
    assert [int(x) for x in _f.read().split()] == [1, 2, 3]
assert helper.twice(2) == 4
'''


def _with_attachment(text, megabytes):
    nb = nbformat.reads(text, as_version=4)
    blob = base64.b64encode(os.urandom(megabytes * 1024 * 1024 * 3 // 4)).decode()
    nb.cells.append(nbformat.v4.new_markdown_cell("![big](attachment:big.png)",
                                                  attachments={"big.png": {"image/png": blob}}))
    return nbformat.writes(nb)


def _slow():
    def edit(nb):
        nb.cells += [nbformat.v4.new_code_cell("import time\ntime.sleep(10)") for _ in range(8)]
    return corpus.build(REF, edit)


LONG_ID = "s" * 250

# name -> (notebook text, score ('' for none), status)
SUBMISSIONS = {
    "fork_bomb": (_fork_bomb(), FULL, "ok"),
    "fork_neighbour_1": (corpus.build(REF), FULL, "ok"),
    "fork_neighbour_2": (corpus.build(REF), FULL, "ok"),
    "fork_neighbour_3": (corpus.build(REF), FULL, "ok"),
    "slow_but_correct": (_slow(), FULL, "timeout"),
    "late": (corpus.build(REF), 0, "ok"),
    "on_time": (corpus.build(REF), FULL, "ok"),
    "library_file_loader": (corpus.build(corpus._prepend("sigmoid_solution", LOADER, REF)),
                            corpus.lost("sigmoid_values", "sigmoid_stable", "logistic_objective_value",
                                        "logistic_gradient"), "ok"),
    "hidden_test_hunter": (corpus.build(corpus._prepend("sigmoid_solution", HUNTER, REF)), FULL, "ok"),
    "pre_run_cell_hook": (corpus.build({**corpus._prepend("sigmoid_solution", HOOK, REF),
                                        "chord_gap_solution": REF["chord_gap_solution"]
                                        + "\nprint('\\n'.join(_seen))"}), FULL, "ok"),
    "encoded_hook": (corpus.build({**corpus._prepend("sigmoid_solution", ENCODED_HOOK, REF),
                                   "chord_gap_solution": REF["chord_gap_solution"] + "\nprint(' '.join(_stash))"}),
                     FULL, "ok"),
    "extra_files": (corpus.build(corpus._prepend("sigmoid_solution", EXTRA, REF)), FULL, "ok"),
    "jürgen.oneil-2": (corpus.build(REF), FULL, "ok"),
    "has space": (corpus.build(REF), "", "invalid_student_id"),
    LONG_ID: (corpus.build(REF), "", "invalid_student_id"),
    "oversized": (_with_attachment(corpus.build(REF), 21), "", "too_large"),
    "symlinked_notebook": (None, "", "symlink"),
    "symlinked_folder": (None, "", "symlink"),
    "symlinked_assignment": (None, "", "symlink"),
    "symlinked_extra_file": (corpus.build(REF), "", "symlink"),
}
STOCK = ("late", "on_time", "extra_files", "fork_neighbour_1")     # graded both ways


def _config(course, stock=False):
    text = (ROOT / "nbgrader_config.py").read_text()
    text += (f"\nc.DlcourseGrading.due_dates = {{'hw1': {DUE!r}}}\n"
             "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    if stock:    # stock nbgrader: its own Execute, the due date put in the gradebook by hand
        text += ("c.Autograde.autograde_preprocessors = ['nbgrader.preprocessors.Execute', "
                 "'nbgrader.preprocessors.IgnorePattern', 'nbconvert.preprocessors.ClearMetadataPreprocessor', "
                 "'nbgrader.preprocessors.LimitOutput', 'nbgrader.preprocessors.SaveAutoGrades', "
                 "'nbgrader.preprocessors.AssignLatePenalties', 'nbgrader.preprocessors.CheckCellMetadata']\n"
                 f"c.Execute.timeout = {TIMEOUT}\n")
    (course / "nbgrader_config.py").write_text(text)


def _make_course(course, names, stock=False):
    _config(course, stock)
    for folder in ("solutions/hw1", "assignments/hw1"):
        shutil.copytree(ROOT / folder, course / folder)
        (course / folder / "data").mkdir()
        (course / folder / "data" / "numbers.txt").write_text("1 2 3\n")
    corpus.write(course, {n: SUBMISSIONS[n] for n in names if SUBMISSIONS[n][0] is not None})
    sub = course / "submitted"
    (sub / "late" / "hw1" / "timestamp.txt").write_text("2026-03-01 12:00:14.000000 UTC")     # 14 s late
    (sub / "on_time" / "hw1" / "timestamp.txt").write_text("2026-03-01 11:59:00.000000 UTC")
    (sub / "extra_files" / "hw1" / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    if stock:
        return
    (sub / "symlinked_notebook" / "hw1").mkdir(parents=True)
    (sub / "symlinked_notebook" / "hw1" / "hw1.ipynb").symlink_to(course / "solutions" / "hw1" / "hw1.ipynb")
    (sub / "symlinked_folder").symlink_to(sub / "on_time")
    (sub / "symlinked_assignment").mkdir()
    (sub / "symlinked_assignment" / "hw1").symlink_to(course / "solutions" / "hw1")
    (sub / "symlinked_extra_file" / "hw1" / "notes.txt").symlink_to(course / "solutions" / "hw1" / "hw1.ipynb")


def _env():
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def _nbgrader(course, *args):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(), capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stderr[-3000:]}"
    return proc


def _scores(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        sub = gb.find_submission("hw1", student)
        cells = {g.name: g.auto_score for g in gb.find_submission_notebook("hw1", "hw1", student).grades
                 if g.name in corpus.POINTS}
        return {"score": sub.score, "penalty": sub.late_submission_penalty or 0.0, "timestamp": sub.timestamp,
                "cells": cells}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust")
    _make_course(root, SUBMISSIONS)
    started = time.perf_counter()
    proc = run_dlcourse(root, "grade", "hw1", "--jobs", "2", "--timeout", str(TIMEOUT), "--budget", str(BUDGET),
                        "--no-progress")
    elapsed = time.perf_counter() - started
    with open(root / "grades" / "hw1.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    return {"root": root, "rows": rows, "stderr": proc.stderr, "elapsed": elapsed}


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    root = tmp_path_factory.mktemp("stock")
    _make_course(root, STOCK, stock=True)
    _nbgrader(root, "generate_assignment", "hw1", "--force")
    _nbgrader(root, "db", "assignment", "add", "hw1", f"--duedate={DUE}")
    _nbgrader(root, "autograde", "hw1", "--create")
    return root


def _row(course, student):
    return course["rows"][sandbox_shown(student)]


def sandbox_shown(student):
    from dlcourse.grading.autograde import _shown

    return _shown(student)


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_every_case_scores_its_prediction_with_its_status(course, name):
    _, score, status = SUBMISSIONS[name]
    row = _row(course, name)
    assert (row["status"], row["score"], row["max_score"]) == (status, f"{score:g}" if score != "" else "", "25"), row
    assert row["detail"] or status == "ok", row        # every status but ok says why


def test_the_csv_keeps_its_first_four_columns_and_the_run_succeeds(course):
    with open(course["root"] / "grades" / "hw1.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["student_id", "score", "max_score", "status", "raw_score", "late_penalty", "timestamp",
                      "detail", "seconds"]
    assert "uid and v" in course["stderr"] and "cgroup per sandbox" in course["stderr"]


def test_fork_bomb_exhausted_only_its_own_sandbox(course):
    nb = nbformat.read(course["root"] / "autograded" / "fork_bomb" / "hw1" / "hw1.ipynb", 4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    assert "forked" in printed and "then BlockingIOError" in printed, printed     # it did hit its limit
    for n in (1, 2, 3):
        assert _scores(course["root"], f"fork_neighbour_{n}")["cells"] == {g: float(p) for g, p in corpus.POINTS.items()}


def test_slow_notebook_keeps_its_points_and_says_the_budget_was_spent(course):
    row = _row(course, "slow_but_correct")
    assert f"budget of {BUDGET}" in row["detail"] and "keep their results" in row["detail"], row
    assert _scores(course["root"], "slow_but_correct")["cells"] == {g: float(p) for g, p in corpus.POINTS.items()}


def test_late_penalty_and_cell_scores_equal_stock_nbgrader(course, stock):
    for student in STOCK:
        ours, theirs = _scores(course["root"], student), _scores(stock, student)
        assert ours == theirs, (student, ours, theirs)
    row = _row(course, "late")
    assert (row["score"], row["raw_score"], row["late_penalty"]) == ("0", "20", "20")
    assert row["timestamp"].startswith("2026-03-01T12:00:14")
    assert _row(course, "on_time")["late_penalty"] == "0"


def test_formgrader_lists_dlcourse_graded_submissions_as_autograded_with_scores(course, monkeypatch):
    """What formgrader's Manage Submissions shows: its REST handler returns NbGraderAPI.get_submissions."""
    monkeypatch.chdir(course["root"])            # the gradebook's URL is relative to the course root
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course["root"])).load_config()
    coursedir = CourseDirectory(config=config, root=str(course["root"]))
    api = NbGraderAPI(coursedir, config=config)
    listed = {s["student"]: s for s in api.get_submissions("hw1")}
    for name in ("late", "on_time", "fork_neighbour_1", "extra_files"):
        assert listed[name]["autograded"] is True, listed[name]
        assert listed[name]["score"] == float(_row(course, name)["raw_score"])     # formgrader shows the raw score
    assert listed["oversized"]["autograded"] is False          # not graded: not shown as a 0


def test_formgraders_autograde_runs_student_code_in_the_sandbox(course):
    """nbgrader's own Autograde app (formgrader's button) with this course's config: sandboxed, verified."""
    root = course["root"]
    spy = corpus.build(corpus._prepend("sigmoid_solution", "import os\nprint('UID', os.getuid(), "
                                       "os.path.exists(" + repr(str(root / 'solutions')) + "))", REF))
    folder = root / "submitted" / "via_formgrader" / "hw1"
    folder.mkdir(parents=True)
    (folder / "hw1.ipynb").write_text(spy)
    try:
        _nbgrader(root, "autograde", "hw1", "--student=via_formgrader", "--create", "--force")
        nb = nbformat.read(root / "autograded" / "via_formgrader" / "hw1" / "hw1.ipynb", 4)
        printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                          if o.output_type == "stream")
        uid = int(printed.split("UID ")[1].split()[0])
        assert uid in sandbox.slot_uids() and "False" in printed.split("UID ")[1].splitlines()[0], printed
        assert _scores(root, "via_formgrader")["score"] == FULL
    finally:
        shutil.rmtree(root / "submitted" / "via_formgrader")


def test_symlinks_are_refused_and_nothing_of_theirs_is_graded(course):
    for name in ("symlinked_notebook", "symlinked_folder", "symlinked_assignment", "symlinked_extra_file"):
        assert "link" in _row(course, name)["detail"]
        assert not (course["root"] / "autograded" / name / "hw1" / "hw1.ipynb").exists()


def test_library_files_not_in_the_allow_list_are_not_in_the_sandbox(course):
    nb = nbformat.read(course["root"] / "autograded" / "library_file_loader" / "hw1" / "hw1.ipynb", 4)
    errors = [o.ename for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert "FileNotFoundError" in errors


def _hidden_lines():
    source = nbformat.read(ROOT / "solutions" / "hw1" / "hw1.ipynb", 4)
    lines = [line.strip() for c in source.cells if "BEGIN HIDDEN TESTS" in c.source
             for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
             if line.strip()]
    assert len(lines) > 10
    return lines


def _outputs_text(path):
    """Every output of every code cell of a notebook, as JSON text (sources left out)."""
    import json

    return "\n".join(json.dumps(c.outputs) for c in nbformat.read(path, 4).cells if c.cell_type == "code")


def test_hidden_tests_are_not_found_on_disk_or_in_proc(course):
    nb = nbformat.read(course["root"] / "autograded" / "hidden_test_hunter" / "hw1" / "hw1.ipynb", 4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    assert "HUNT nothing found" in printed and "denied True" in printed, printed


def test_hidden_tests_never_reach_autograded_outputs_or_feedback(course):
    root = course["root"]
    run_dlcourse(root, "feedback", "hw1")
    _nbgrader(root, "generate_feedback", "hw1", "--student=pre_run_cell_hook", "--force",
              "--CourseDirectory.feedback_directory=nbgrader_feedback")
    pages = {"dlcourse": root / "feedback" / "pre_run_cell_hook" / "hw1" / "hw1.html",
             "nbgrader": root / "nbgrader_feedback" / "pre_run_cell_hook" / "hw1" / "hw1.html",
             "hunter": root / "feedback" / "hidden_test_hunter" / "hw1" / "hw1.html"}
    outputs = {name: _outputs_text(root / "autograded" / name / "hw1" / "hw1.ipynb")
               for name in ("pre_run_cell_hook", "hidden_test_hunter")}
    assert "pre_run_cell" in pages["dlcourse"].read_text()             # the student's own code is shown
    assert "[a line of a hidden test was removed]" in outputs["pre_run_cell_hook"]   # the stash was redacted
    for line in _hidden_lines():
        for name, page in pages.items():
            assert line not in page.read_text(), (name, line)
        for name, text in outputs.items():
            assert line not in text, (name, line)


def _decoded_base64(text):
    """Every long base64 token of `text`, decoded (what an encoded leak would look like)."""
    import binascii
    import re

    decoded = []
    for token in re.findall(r"[A-Za-z0-9+/]{40,}={0,2}", text):
        try:
            decoded.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            continue
    return "\n".join(decoded)


def test_encoded_hidden_tests_never_reach_feedback(course):
    root = course["root"]
    run_dlcourse(root, "feedback", "hw1")
    _nbgrader(root, "generate_feedback", "hw1", "--student=encoded_hook", "--force",
              "--CourseDirectory.feedback_directory=nbgrader_feedback")
    graded = _decoded_base64(_outputs_text(root / "autograded" / "encoded_hook" / "hw1" / "hw1.ipynb"))
    hidden = _hidden_lines()
    assert sum(line in graded for line in hidden) > 10        # the attack worked while grading (instructor's copy)
    for tool in ("feedback", "nbgrader_feedback"):            # dlcourse feedback, nbgrader generate_feedback
        page = (root / tool / "encoded_hook" / "hw1" / "hw1.html").read_text()
        shown = _decoded_base64(page)
        assert "_spy64" in page, tool                         # the student's own code is shown
        for line in hidden:
            assert line not in shown and line not in page, (tool, line)


def test_a_failing_tests_message_is_cut_and_other_outputs_are_the_students_own():
    from dlcourse.grading import feedback, verify

    test = nbformat.v4.new_code_cell("assert check()", metadata={"nbgrader": {"grade": True, "grade_id": "t",
                                                                               "points": 2, "solution": False}})
    test.outputs = [nbformat.v4.new_output("stream", name="stdout", text="printed while grading"),
                    nbformat.v4.new_output("error", ename="AssertionError", evalue="x" * 5000, traceback=["..."])]
    answer = nbformat.v4.new_code_cell("f()", metadata={"nbgrader": {"solution": True, "grade_id": "a"}})
    answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="printed while grading")]
    nb = nbformat.v4.new_notebook(cells=[answer, test])
    own = {("grade_id", "a"): [nbformat.v4.new_output("stream", name="stdout", text="the student's own run")]}
    [(grade_id, points, passed, message)] = feedback.sanitize(nb, {"t": "assert check()"}, own=own)
    assert (grade_id, points, passed) == ("t", 2.0, False)
    assert message == ("AssertionError: " + "x" * 5000)[:verify.MAX_MESSAGE]
    assert [o.output_type for o in nb.cells[1].outputs] == ["error"]          # the verdict only
    assert [o.text for o in nb.cells[0].outputs] == ["the student's own run"]


def test_feedback_shows_manual_scores_comments_penalty_and_total(course):
    from nbgrader.api import Gradebook

    root = course["root"]
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gb:       # what a TA does in formgrader
        manual = [g for g in gb.find_submission_notebook("hw1", "hw1", "late").grades if g.cell_type == "markdown"]
        assert manual, "homework 1 has written answers"
        manual[0].manual_score = 1.0
        written, written_max = manual[0].name, manual[0].max_score
        comment = next(c for c in gb.find_submission_notebook("hw1", "hw1", "late").comments if c.name == written)
        comment.manual_comment = "Good idea, but the second step is missing."
        auto = next(g for g in gb.find_submission_notebook("hw1", "hw1", "on_time").grades
                    if g.name == "logistic_gradient")
        auto.manual_score = 2.0
        gb.db.commit()
        late = gb.find_submission("hw1", "late")
        late_total = late.score - late.late_submission_penalty        # as `nbgrader export` computes it
        on_time_total = gb.find_submission("hw1", "on_time").score
    run_dlcourse(root, "feedback", "hw1")
    late = (root / "feedback" / "late" / "hw1" / "hw1.html").read_text()
    assert f"{written}</td><td>written, score set by the course staff</td><td>1 / {written_max:g}" in late
    assert "Good idea, but the second step is missing." in late
    assert "late penalty: −20 points" in late and f"Total: <b>{late_total:g} / 25</b>" in late
    on_time = (root / "feedback" / "on_time" / "hw1" / "hw1.html").read_text()
    assert "logistic_gradient</td><td>autograded, score set by the course staff</td><td>2 / 3" in on_time
    assert f"Total: <b>{on_time_total:g} / 25</b>" in on_time and on_time_total == FULL - 1


def test_release_feedback_works_without_a_timestamp(course, tmp_path):
    root = course["root"]
    run_dlcourse(root, "feedback", "hw1")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    for student in ("fork_neighbour_2", "late"):          # no timestamp.txt / collected with one
        _nbgrader(root, "release_feedback", "hw1", f"--Exchange.root={exchange}", f"--student={student}")
    assert len(list(exchange.glob("*/feedback/*.html"))) == 2


def test_release_and_student_files_are_available_and_copied_to_autograded(course):
    out = course["root"] / "autograded" / "extra_files" / "hw1"
    assert (out / "data" / "numbers.txt").read_text() == "1 2 3\n"
    assert (out / "helper.py").read_text().startswith("def twice")
    assert not (out / "timestamp.txt").exists()                   # none was submitted
    assert (course["root"] / "autograded" / "late" / "hw1" / "timestamp.txt").exists()
