"""`dlcourse grade` and `dlcourse feedback` with real nbgrader, real kernels and the real sandbox.

One temporary course is graded once (module fixture): the reference solution, the untouched student
version, six plausible bugs and seventeen attacks; then graded again to check that regrading agrees.
"""

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading import sandbox

from .grading import corpus
from .grading.homework import new_course

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TIMEOUT = 5     # seconds per cell: the infinite loop hits it, honest cells take milliseconds


def _env():
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def dlcourse(course, *args, check=True):
    proc = subprocess.run([str(BIN / "dlcourse"), *args], cwd=course, env=_env(), capture_output=True, text=True,
                          timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"dlcourse {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    return proc


def _read_csv(course):
    """The CSV's first four columns (student_id, score, max_score, status); the other columns
    (raw_score, late_penalty, timestamp, detail) are checked in tests/grading/test_trust.py."""
    with open(course / "grades" / "hw1.csv", newline="") as f:
        return [row[:4] for row in csv.reader(f)]


def _auto_scores(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        nb = gb.find_submission_notebook("hw1", "hw1", student)
        return {g.name: g.auto_score for g in nb.grades if g.name in corpus.POINTS}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = new_course(tmp_path_factory.mktemp("course"), "hw1")
    submissions = {**corpus.honest_and_mutants(), **corpus.adversarial(course)}
    corpus.write(course, submissions)
    started = time.perf_counter()
    first = dlcourse(course, "grade", "hw1", "--jobs", "2", "--timeout", str(TIMEOUT))
    elapsed = time.perf_counter() - started
    rows = _read_csv(course)
    gradebook_after_first = {s: _auto_scores(course, s) for s in submissions
                             if s not in ("truncated_notebook", "not_json")}
    time.sleep(3)   # give a detached child of a submission the time to act, if it survived
    return {"root": course, "submissions": submissions, "rows": rows, "stderr": first.stderr,
            "elapsed": elapsed, "gradebook": gradebook_after_first}


def _row(course, student):
    return next(r for r in course["rows"][1:] if r[0] == student)


def test_strongest_isolation_is_used():
    if sandbox.level() != "bwrap-slots" and os.geteuid() == 0:
        pytest.fail("bubblewrap is missing: `apt-get install bubblewrap` (make test installs it as root); "
                    "grading must be tested at the strongest isolation level")
    assert sandbox.level() in ("bwrap-slots", "bwrap-userns")
    if os.geteuid() == 0:        # per-sandbox uid and cgroup: fail loudly when the machine has no cgroups
        assert sandbox.cgroup_kind() in ("v1", "v2"), "no writable cgroups: per-sandbox limits are required"


def test_csv_has_exactly_the_header_and_one_row_per_student(course):
    assert course["rows"][0] == ["student_id", "score", "max_score", "status"]
    assert sorted(r[0] for r in course["rows"][1:]) == sorted(course["submissions"])
    assert "isolation: bwrap" in course["stderr"]


def test_reference_full_marks_and_untouched_zero_on_every_part(course):
    assert _auto_scores(course["root"], "reference") == {g: float(p) for g, p in corpus.POINTS.items()}
    assert _auto_scores(course["root"], "untouched") == {g: 0.0 for g in corpus.POINTS}
    assert _row(course, "reference")[1:] == [str(corpus.AUTO_TOTAL), "25", "ok"]


@pytest.mark.parametrize("name", sorted(corpus.MUTATIONS))
def test_each_mutation_loses_exactly_the_predicted_points(course, name):
    _, expected, status = course["submissions"][name]
    assert _row(course, name)[1:] == [f"{expected:g}", "25", status]


ADVERSARIAL = sorted(corpus.adversarial("/nonexistent"))


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_submission_scores_its_honest_score_with_its_status(course, name):
    _, honest, status = course["submissions"][name]
    row = _row(course, name)
    assert row[3] == status, row
    if honest is None:
        assert row[1] == "" and row[2] == "25"     # not a silent 0: no score, and the status says why
    else:
        assert float(row[1]) == honest


def test_attacks_left_no_trace(course):
    root = course["root"]
    assert not (root / "CANARY").exists(), "a detached child of a submission survived the sandbox"
    for path in (root / "autograded").glob("*/hw1/hw1.ipynb"):
        printed = [o.text for c in nbformat.read(path, 4).cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream"]
        assert not any("LEAK" in t for t in printed), (path, printed)
    # the gradebook write did not touch anyone: honest students keep exactly their points
    assert course["gradebook"]["reference"] == {g: float(p) for g, p in corpus.POINTS.items()}
    assert course["gradebook"]["untouched"] == {g: 0.0 for g in corpus.POINTS}


def test_failures_are_explained_in_the_autograded_notebook(course):
    nb = nbformat.read(course["root"] / "autograded" / "uses_dlcourse_implementation" / "hw1" / "hw1.ipynb", 4)
    errors = [o.evalue for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert any("not available while grading" in e for e in errors)
    nb = nbformat.read(course["root"] / "autograded" / "kernel_exit" / "hw1" / "hw1.ipynb", 4)
    errors = [o.evalue for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert "the kernel died before this test ran" in errors


def test_regrading_gives_the_same_grades(course):
    dlcourse(course["root"], "grade", "hw1", "--jobs", "2", "--timeout", str(TIMEOUT), "--no-progress")
    assert _read_csv(course["root"]) == course["rows"]


def test_feedback_shows_results_but_no_hidden_tests_or_paths(course):
    out = dlcourse(course["root"], "feedback", "hw1")
    pages = out.stdout.split()
    assert len(pages) == len(course["submissions"]) - 2          # the two unreadable files have no notebook
    root = str(course["root"])
    source = nbformat.read(course["root"] / "solutions" / "hw1" / "hw1.ipynb", 4)
    hidden_lines = [line.strip() for c in source.cells for line in c.source.split("### BEGIN HIDDEN TESTS")[-1]
                    .split("### END HIDDEN TESTS")[0].splitlines() if "HIDDEN" in c.source and line.strip()]
    assert len(hidden_lines) > 10
    for page in pages:
        text = Path(page).read_text()
        student = Path(page).parent.parent.name
        if root not in course["submissions"][student][0]:        # (attacks quote the path in their own code)
            assert root not in text and "/tmp/" not in text and "site-packages" not in text, page
        for line in hidden_lines:
            assert line not in text, (page, line)
    text = (course["root"] / "feedback" / "gradient_sign_error" / "hw1" / "hw1.html").read_text()
    assert "logistic_gradient" in text and "failed" in text and "passed" in text


def test_grading_error_exit_codes(tmp_path):
    proc = dlcourse(tmp_path, "grade", "hw1", check=False)
    assert proc.returncode == 2 and "nbgrader_config.py" in proc.stderr
    proc = dlcourse(tmp_path, "grade", "hw1", "--jobs", "0", check=False)
    assert proc.returncode == 2 and "--jobs: expected an integer >= 1" in proc.stderr


def test_feedback_can_be_released_through_nbgraders_exchange(course, tmp_path):
    """`nbgrader release_feedback` accepts what `dlcourse feedback` wrote (for collected submissions)."""
    root = course["root"]
    folder = root / "submitted" / "reference" / "hw1"
    (folder / "timestamp.txt").write_text("2026-11-28 10:00:00.000000 UTC")   # what `nbgrader collect` leaves
    (folder / "submission_secret.txt").write_text("a-secret")
    dlcourse(root, "feedback", "hw1")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "release_feedback", "hw1", f"--Exchange.root={exchange}",
                           "--student=reference"], cwd=root, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(list(exchange.glob("*/feedback/*.html"))) == 1


def test_the_gradebook_gets_the_alembic_revision_nbgrader_itself_would_write(course):
    """`dlcourse grade` runs generate_assignment in its own process and reads the alembic revision there
    (`autograde.alembic_head`): the revision stamped into the new gradebook is the one nbgrader's own
    `get_alembic_version` (the `alembic heads` command) gives."""
    import sqlite3

    from nbgrader.api import get_alembic_version

    from dlcourse.grading.autograde import alembic_head

    old_path = os.environ["PATH"]
    os.environ["PATH"] = _env()["PATH"]
    try:
        stock = get_alembic_version()
    finally:
        os.environ["PATH"] = old_path
    with sqlite3.connect(course["root"] / "gradebook.db") as db:
        stamped = db.execute("SELECT version_num FROM alembic_version").fetchall()
    assert stock and alembic_head() == stock and stamped == [(stock,)]


@pytest.mark.parametrize("student", ["reference", "untouched", "softmax_wrong_axis"])
def test_prefetched_lookups_answer_as_the_gradebook_does(course, student):
    """`prefetch.Prefetched` (OverwriteCells' and SaveAutoGrades' per-cell look-ups from one read per notebook)
    returns the very rows the gradebook's own find_* return for every cell of the notebook, and the same
    MissingEntry for a name that is not there."""
    from nbgrader.api import Gradebook, MissingEntry

    from dlcourse.grading.prefetch import Prefetched

    def answer(find, *args):
        try:
            return find(*args).id
        except MissingEntry:
            return MissingEntry

    with Gradebook(f"sqlite:///{course['root']}/gradebook.db") as gb:
        cached = Prefetched(gb, "hw1", "hw1", student)
        names = [c.name for c in gb.find_notebook("hw1", "hw1").source_cells] + ["no_such_cell"]
        assert len(names) > 20
        for name in names:
            assert answer(cached.find_source_cell, name, "hw1", "hw1") == answer(gb.find_source_cell, name, "hw1", "hw1")
            assert answer(cached.find_graded_cell, name, "hw1", "hw1") == answer(gb.find_graded_cell, name, "hw1", "hw1")
            for find in ("find_grade", "find_comment"):
                assert (answer(getattr(cached, find), name, "hw1", "hw1", student)
                        == answer(getattr(gb, find), name, "hw1", "hw1", student)), (find, name)
        assert answer(cached.find_grade, names[0], "hw1", "hw1", "reference-not-this-one") is MissingEntry
