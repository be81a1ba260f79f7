"""A grading-test harness for any homework: honest, mutated and adversarial submissions, graded once.

Homework 1 has its own, longer corpus (`tests/grading/corpus.py`); homeworks 2–4 use this one.
A homework's test module is three lines plus its mutations::

    # tests/test_grading_hw3.py
    from .grading import hw3
    from .grading.homework import Homework, grading_tests

    globals().update(grading_tests(Homework("hw3"), hw3.mutations, timeout=60))

and ``tests/grading/hw3.py`` defines ``mutations(hw)`` returning
``{name: (answers, score)}``, built with ``hw.mutate(solution_id, old, new)`` (a bug a student
makes in the reference code) and ``hw.lost(*test_ids)`` (the score that bug should earn).

What the generated tests check (with real nbgrader, real kernels and the real sandbox):

* the reference solution gets full marks on every part, the untouched release 0 on every part;
* each mutation loses exactly the points predicted;
* every attack of the generic adversarial suite (`Homework.adversarial`) scores exactly its honest
  score with its status, and leaves no trace (no leaks printed, no file outside the sandbox, the
  gradebook untouched for honest students);
* the feedback pages show no hidden test and no server path.

Points are read from the SOURCE notebook's nbgrader metadata, never typed twice.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


class Homework:
    """One assignment's source and release notebooks, and submissions built from them."""

    def __init__(self, assignment, notebook=None):
        self.assignment = assignment
        self.notebook = notebook or assignment
        self.source_path = ROOT / "solutions" / assignment / f"{self.notebook}.ipynb"
        self.release_path = ROOT / "assignments" / assignment / f"{self.notebook}.ipynb"
        source = nbformat.read(self.source_path, as_version=4)
        self.order = []                                    # grade_ids in notebook order
        self.points, self.solutions, self.max_score = {}, [], 0.0
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader", {})
            if "grade_id" not in meta:
                continue
            self.order.append(meta["grade_id"])
            if meta.get("grade"):
                self.max_score += float(meta.get("points", 0))
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                self.points[meta["grade_id"]] = float(meta.get("points", 0))
            if cell.cell_type == "code" and meta.get("solution"):
                self.solutions.append(meta["grade_id"])
        self.auto_total = sum(self.points.values())

    # --- answers and notebooks --------------------------------------------------------------------

    def reference_answers(self):
        """{solution grade_id: the reference code without the solution markers}."""
        answers = {}
        for cell in nbformat.read(self.source_path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                answers[meta["grade_id"]] = re.sub(r"\s*### (BEGIN|END) SOLUTION", "", cell.source)
        return answers

    def stub_answers(self):
        return {k: STUB for k in self.solutions}

    def build(self, answers=None, edit=None):
        """The released notebook with solution cells replaced by `answers`, then `edit(nb)` applied."""
        nb = nbformat.read(self.release_path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if answers and grade_id in answers:
                cell.source = answers[grade_id]
        if edit:
            edit(nb)
        return nbformat.writes(nb)

    def mutate(self, solution_id, old, new, answers=None):
        """The reference answers with `old` replaced by `new` in one solution cell (which must contain it)."""
        answers = dict(answers or self.reference_answers())
        assert old in answers[solution_id], f"{solution_id} does not contain {old!r}"
        answers[solution_id] = answers[solution_id].replace(old, new)
        return answers

    def lost(self, *test_ids):
        """The autograded score after losing the parts `test_ids`."""
        unknown = set(test_ids) - set(self.points)
        assert not unknown, f"not autograded test cells of {self.assignment}: {sorted(unknown)}"
        return self.auto_total - sum(self.points[t] for t in test_ids)

    def tests_after(self, grade_id):
        """The autograded tests that come after the cell `grade_id` in the notebook."""
        later = self.order[self.order.index(grade_id) + 1:]
        return [g for g in later if g in self.points]

    def tests_before(self, grade_id):
        return [g for g in self.order[: self.order.index(grade_id)] if g in self.points]

    def _prepend(self, solution_id, code, answers):
        answers = dict(answers)
        answers[solution_id] = code + "\n" + answers.get(solution_id, STUB)
        return answers

    def _append(self, solution_id, code, answers):
        answers = dict(answers)
        answers[solution_id] = answers.get(solution_id, STUB) + "\n" + code
        return answers

    # --- the generic adversarial suite ---------------------------------------------------------------

    def adversarial(self, course_root, base=None):
        """{name: (notebook text, honest score or None, status)}: attacks any homework must withstand.

        Each attack sits in the first or the last solution cell, so its honest score follows from the
        notebook's order alone (this assumes that the tests after the last solution cell test that cell,
        as in every homework's last part). `course_root` is where the attacks look for the course's files.
        base : (answers, the tests they lose) that the attacks carrying answers start from instead of the
        reference (a homework whose reference is expensive to grade, e.g. hw3's CNN training); its last
        answer must run without an error, so that code appended to it runs too.
        """
        root, first, last = str(course_root), self.solutions[0], self.solutions[-1]
        ref, base_lost = base or (self.reference_answers(), ())
        stub = self.stub_answers()
        steal = f'''
import glob, json
for _p in glob.glob({root!r} + "/solutions/*/*.ipynb") + glob.glob("../../../solutions/*/*.ipynb"):
    for _c in json.load(open(_p))["cells"]:
        if "BEGIN SOLUTION" in "".join(_c["source"]):
            try:
                exec("".join(_c["source"]), globals())
            except Exception:
                pass
    print("LEAK: read", _p)
'''
        gradebook = f'''
import sqlite3
for _db in [{root!r} + "/gradebook.db", "../../../gradebook.db"]:
    try:
        _con = sqlite3.connect(_db); _con.execute("UPDATE grade SET auto_score = 99"); _con.commit()
        print("LEAK: wrote", _db)
    except Exception:
        pass
'''
        others = f'''
import glob, socket
for _p in glob.glob({root!r} + "/submitted/*/*/*.ipynb") + glob.glob("../../*/*/*.ipynb"):
    print("LEAK: other student", _p)
try:
    socket.create_connection(("pypi.org", 443), timeout=3); print("LEAK: network")
except OSError:
    pass
'''
        patch = '''
import builtins, numpy.testing, dlcourse.homework
numpy.testing.assert_allclose = lambda *a, **k: None
builtins.abs = lambda x: 0
dlcourse.homework.check = lambda *a, **k: None
check = dlcourse.homework.check
'''
        detached = f'''
import subprocess
subprocess.Popen(["sh", "-c", "sleep 2; echo pwned > {root}/CANARY"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''
        first_test, last_test = next(iter(self.points)), list(self.points)[-1]

        def strip(nb):
            for c in nb.cells:
                c.metadata.pop("nbgrader", None)

        def inflate(nb):
            for c in nb.cells:
                meta = c.metadata.get("nbgrader", {})
                if meta.get("grade_id") == first_test:
                    meta["points"] = 100
                if meta.get("grade_id") == last_test:
                    meta["grade"] = False

        def empty_tests(nb):
            for c in nb.cells:
                if c.metadata.get("nbgrader", {}).get("grade_id") in self.points:
                    c.source = "pass  # test removed"

        def delete_tests(nb):
            nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                        not in (first_test, last_test)]

        full = self.lost(*base_lost)
        return {
            "steals_solutions": (self.build(self._prepend(first, steal, stub)), 0, "ok"),
            "writes_gradebook": (self.build(self._prepend(first, gradebook, stub)), 0, "ok"),
            "reads_other_students": (self.build(self._prepend(first, others, ref)), full, "ok"),
            # every check and assert silenced from the first cell on, with no answers: nothing to earn
            "patches_checks_and_asserts": (self.build(self._prepend(first, patch, stub)), 0, "ok"),
            # the same patch before the last answer: the tests before it keep their points
            "patches_checks_late": (self.build(self._prepend(last, patch, {**ref, last: STUB})),
                                    sum(self.points[t] for t in self.tests_before(last) if t not in base_lost), "ok"),
            "empties_test_cells": (self.build(stub, empty_tests), 0, "ok"),
            "deleted_test_cells": (self.build(ref, delete_tests), full, "missing_cells"),
            "stripped_metadata": (self.build(ref, strip), full, "tampered"),
            "changed_test_metadata": (self.build(ref, inflate), full, "tampered"),
            "kernel_exit": (self.build(self._prepend(last, "import os\nos._exit(1)", ref)),
                            self.lost(*{*base_lost, *self.tests_after(last)}), "kernel_died"),
            "kills_its_grader": (self.build(self._prepend(first, "import os, signal\n"
                                                                  "os.kill(os.getppid(), signal.SIGKILL)", ref)),
                                 0, "kernel_died"),
            # answers first, then a cell that never ends, interrupted by the per-cell timeout: the earned
            # points stay. It hangs asleep: a busy loop would burn a core for the whole timeout in every
            # homework's tests (homework 1's corpus has the busy loop, interrupted the same way). Its name sorts
            # first, so it is graded first and its timeout overlaps the other submissions' grading.
            "a_cell_hangs_after_answers": (self.build(self._append(last, "import time\ntime.sleep(10**6)", ref)),
                                           full, "timeout"),
            "memory_hog_after_answers": (self.build(self._append(last, "_x = np.ones(10**10)", ref)), full, "ok"),
            "detached_child": (self.build(self._prepend(first, detached, ref)), full, "ok"),
            "truncated_notebook": (self.build(ref)[:4000], None, "invalid_notebook"),
            "not_json": ("this is not a notebook", None, "invalid_notebook"),
        }

    def honest_and_mutants(self, mutations):
        return {
            "reference": (self.build(self.reference_answers()), self.auto_total, "ok"),
            "untouched": (self.release_path.read_text(), 0, "ok"),
            **{name: (self.build(answers), score, "ok") for name, (answers, score) in mutations.items()},
        }

    def write(self, course_root, submissions):
        for name, (text, _, _) in submissions.items():
            folder = Path(course_root) / "submitted" / name / self.assignment
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{self.notebook}.ipynb").write_text(text)


# --- running `dlcourse` on a temporary course ---------------------------------------------------------

def new_course(root, assignment):
    """A course folder at `root` with this repository's nbgrader_config.py and the assignment's source and
    release folders (no submissions yet); returns `root` as a Path."""
    root = Path(root)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for folder in (f"solutions/{assignment}", f"assignments/{assignment}"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def _env():
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def run_dlcourse(course, *args, check=True):
    proc = subprocess.run([str(BIN / "dlcourse"), *args], cwd=course, env=_env(), capture_output=True, text=True,
                          timeout=1800)
    if check and proc.returncode != 0:
        raise AssertionError(f"dlcourse {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    return proc


def read_csv(course, assignment, full=False):
    """grades/<assignment>.csv as rows; by default its first four columns (student_id, score, max_score,
    status), which every caller compares; full=True adds raw_score, late_penalty, timestamp, detail."""
    with open(Path(course) / "grades" / f"{assignment}.csv", newline="") as f:
        return [row if full else row[:4] for row in csv.reader(f)]


def auto_scores(course, hw, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        nb = gb.find_submission_notebook(hw.assignment, hw.notebook, student)
        return {g.name: g.auto_score for g in nb.grades if g.name in hw.points}


def grading_tests(hw, mutations, *, timeout, attack_base=None):
    """The standard grading tests for `hw`, as {name: function} to put in a test module's globals().

    mutations : a function hw -> {name: (answers, expected score)}
    timeout : the per-cell timeout in seconds (above the slowest honest cell, with a margin)
    attack_base : a function hw -> (answers, the tests they lose), what the adversarial suite's attacks that
        carry answers start from (`Homework.adversarial`'s base); default: the reference answers
    """
    muts = mutations(hw)
    base = attack_base(hw) if attack_base else None
    assert len(muts) >= 6, "the lecture checklist asks for at least 6 mutations"
    adversarial_names = sorted(hw.adversarial("/nonexistent"))

    @pytest.fixture(scope="module")
    def course(tmp_path_factory):
        root = new_course(tmp_path_factory.mktemp(f"course_{hw.assignment}"), hw.assignment)
        submissions = {**hw.honest_and_mutants(muts), **hw.adversarial(root, base)}
        hw.write(root, submissions)
        started = time.perf_counter()
        first = run_dlcourse(root, "grade", hw.assignment, "--jobs", "2", "--timeout", str(timeout), "--no-progress")
        rows = read_csv(root, hw.assignment)
        readable = [s for s, (_, honest, _) in submissions.items() if honest is not None]
        gradebook = {s: auto_scores(root, hw, s) for s in ("reference", "untouched")}
        time.sleep(3)   # give a detached child the time to act, if it survived
        return {"root": root, "submissions": submissions, "rows": rows, "stderr": first.stderr,
                "elapsed": time.perf_counter() - started, "gradebook": gradebook, "readable": readable}

    def _row(course, student):
        return next(r for r in course["rows"][1:] if r[0] == student)

    def test_csv_has_one_row_per_submission_and_the_isolation_level(course):
        assert course["rows"][0] == ["student_id", "score", "max_score", "status"]
        assert sorted(r[0] for r in course["rows"][1:]) == sorted(course["submissions"])
        assert "isolation: bwrap" in course["stderr"]

    def test_reference_full_marks_and_untouched_zero_on_every_part(course):
        assert course["gradebook"]["reference"] == hw.points
        assert course["gradebook"]["untouched"] == {g: 0.0 for g in hw.points}
        assert _row(course, "reference")[1:] == [f"{hw.auto_total:g}", f"{hw.max_score:g}", "ok"]

    @pytest.mark.parametrize("name", sorted(muts))
    def test_each_mutation_loses_exactly_the_predicted_points(course, name):
        _, expected, status = course["submissions"][name]
        assert expected < hw.auto_total, f"mutation {name} is predicted to lose nothing"
        assert _row(course, name)[1:] == [f"{expected:g}", f"{hw.max_score:g}", status]

    @pytest.mark.parametrize("name", adversarial_names)
    def test_adversarial_submission_scores_its_honest_score_with_its_status(course, name):
        _, honest, status = course["submissions"][name]
        row = _row(course, name)
        assert row[3] == status, row
        if honest is None:
            assert row[1] == "" and row[2] == f"{hw.max_score:g}"   # not a silent 0: no score, a status
        else:
            assert float(row[1]) == honest, row

    def test_attacks_left_no_trace(course):
        root = course["root"]
        assert not (root / "CANARY").exists(), "a detached child of a submission survived the sandbox"
        for path in (root / "autograded").glob(f"*/{hw.assignment}/*.ipynb"):
            printed = [o.get("text", "") for c in nbformat.read(path, 4).cells if c.cell_type == "code"
                       for o in c.outputs if o.output_type == "stream"]
            assert not any("LEAK" in t for t in printed), (path, printed)

    def test_feedback_shows_results_but_no_hidden_tests_or_paths(course):
        out = run_dlcourse(course["root"], "feedback", hw.assignment)
        pages = out.stdout.split()
        assert len(pages) == len(course["readable"])
        source = nbformat.read(hw.source_path, 4)
        hidden = [line.strip() for c in source.cells if "BEGIN HIDDEN TESTS" in c.source
                  for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
                  if line.strip()]
        assert hidden, f"{hw.assignment} has no hidden tests"
        root = str(course["root"])
        for page in pages:
            text = Path(page).read_text()
            student = Path(page).parent.parent.name
            if root not in course["submissions"][student][0]:       # (attacks quote the path in their own code)
                assert root not in text and "site-packages" not in text, page
            for line in hidden:
                assert line not in text, (page, line)

    return {name: obj for name, obj in locals().items() if name.startswith("test_") or name == "course"}


__all__ = ["Homework", "grading_tests", "run_dlcourse", "read_csv", "auto_scores", "STUB"]
