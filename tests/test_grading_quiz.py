"""The in-class quiz graded by `dlcourse grade`: the harness's standard tests, plus its per-student variants.

One grading run holds the reference, the untouched release, the mutations, the adversarial suite and
the variant submissions below. Student ids are the submission folders' names.
"""

import numpy as np

from dlcourse.homework import variant_rng

from .grading import quiz
from .grading.homework import Homework, auto_scores, grading_tests

A, B = quiz.STUDENTS
SWITCH_ID = f'''import os
MY_ID = "{A}"
os.environ["DLCOURSE_STUDENT_ID"] = os.environ["JUPYTERHUB_USER"] = MY_ID     # take student A's variant
'''
EASIER = '''MY_ID = "me"
import numpy as np, dlcourse.homework
dlcourse.homework.variant_rng = lambda student, question: np.random.default_rng(0)   # one easy variant for all
'''


class Quiz(Homework):
    """The quiz, with the variant submissions added to the graded class."""

    def honest_and_mutants(self, mutations):
        self.values = {s: quiz.answers_of(self, s) for s in quiz.STUDENTS}
        ref, full = self.reference_answers(), self.auto_total
        copied = quiz.hard_coded(self, self.values[A])                   # A's values; q11's code is the same for all
        self.variant_submissions = {
            A: (self.build(ref), full, "ok"),
            B: (self.build(ref), full, "ok"),
            "copies_student_a": (self.build(copied), self.lost(*quiz.VALUE_QUESTIONS), "ok"),
            "types_student_a_id_and_copies": (self.build(copied, quiz.with_first_cell(f'MY_ID = "{A}"')),
                                              self.lost(*quiz.VALUE_QUESTIONS), "ok"),
            "switches_id_in_the_kernel": (self.build(ref, quiz.with_first_cell(SWITCH_ID)), 0, "ok"),
            "easier_variant": (self.build(ref, quiz.with_first_cell(EASIER)), 0, "ok"),
            "edits_a_question_cell": (self.build({**ref, "q1_answer": "q1_p_hat = 0.5"},
                                                 quiz.with_cell("q1_given", "beta = rounded(rng.uniform(-2, 2, size=4))",
                                                                "beta = np.zeros(4)")),
                                      self.lost("q1_logistic_probability"), "ok"),
        }
        return {**super().honest_and_mutants(mutations), **self.variant_submissions}


QUIZ = Quiz("quiz")
globals().update(grading_tests(QUIZ, quiz.mutations, timeout=20))


def _scores(course, student):
    return auto_scores(course["root"], QUIZ, student)


def test_two_students_get_different_numbers_on_every_question_and_full_marks(course):
    a, b = QUIZ.values[A], QUIZ.values[B]
    for name in quiz.VALUE_QUESTIONS.values():
        assert np.asarray(a[name]).shape == np.asarray(b[name]).shape
        assert a[name] != b[name], f"{name}: students {A} and {B} got the same answer"
    # the function question's hidden inputs come from each student's own variant
    inputs = [variant_rng(s, "q11").normal(size=(9, 7)) for s in quiz.STUDENTS]
    assert not np.allclose(*inputs)
    for student in quiz.STUDENTS:
        assert _scores(course, student) == QUIZ.points
    # and each got the numbers of their own variant: A's values in B's notebook fail (next test)


def test_another_students_answers_score_no_more_than_the_untouched_notebook(course):
    untouched = _scores(course, "untouched")
    for copier in ("copies_student_a", "types_student_a_id_and_copies"):
        scores = _scores(course, copier)
        assert {q: scores[q] for q in quiz.VALUE_QUESTIONS} == {q: untouched[q] for q in quiz.VALUE_QUESTIONS}
        assert scores["q11_feature_map"] == QUIZ.points["q11_feature_map"]    # the function itself is correct


def test_editing_the_id_or_the_variant_code_scores_nothing_on_those_questions(course):
    for student in ("switches_id_in_the_kernel", "easier_variant"):
        assert _scores(course, student) == {q: 0.0 for q in QUIZ.points}, student
    edited = _scores(course, "edits_a_question_cell")          # the locked cell was put back: 0.5 is wrong
    assert edited == {**QUIZ.points, "q1_logistic_probability": 0.0}


def test_reference_runs_in_one_kernel_equal_runs_one_by_one(course):
    """The grader runs the reference for many students in one kernel: each gets what a fresh kernel gives."""
    from dlcourse.grading.autograde import Grader

    grader = Grader("quiz", root=course["root"], timeout=20)
    ids = [A, B, "x.y@z-3"]
    batched = grader._reference_runs("quiz", ids)
    backwards = grader._reference_runs("quiz", ids[::-1])
    for student in ids:
        alone = grader._reference_runs("quiz", [student])[student]
        assert batched[student] == backwards[student] == alone, student
    assert batched[A] != batched[B]
    assert "one by one" not in course["stderr"]          # the class was graded with batched reference runs


LEAKS = '''import os, sys, warnings
import numpy as np
import dlcourse.homework as homework
leaked = 1
os.environ["LEAKED"] = "1"
open("leaked.txt", "w").write("1")
os.makedirs("sub", exist_ok=True)
os.chdir("sub")
sys.path.insert(0, "/leaked")
np.seterr(all="raise")
np.set_printoptions(precision=2)
warnings.simplefilter("error")
homework.variant_rng = None
'''
FRESH = '''from dlcourse.homework import check, student_id
import os, sys, warnings
import numpy as np
import dlcourse.homework as homework
check("fresh", ["leaked" not in globals(), "LEAKED" not in os.environ, not os.path.exists("leaked.txt"),
                not os.path.exists("sub"), "/leaked" not in sys.path, np.geterr()["divide"] == "warn",
                np.get_printoptions()["precision"] == 8, homework.variant_rng is not None,
                not any(f[0] == "error" and f[2] is Warning for f in warnings.filters)])
check("student", [ord(c) for c in student_id()])
'''


def test_nothing_leaks_from_one_students_reference_run_to_the_next(tmp_path):
    """A notebook that changes the kernel's state in every way it can: the next student starts clean."""
    import shutil

    import nbformat

    from dlcourse.grading.autograde import Grader
    from dlcourse.grading.verify import is_test

    shutil.copy(QUIZ.source_path.parents[2] / "nbgrader_config.py", tmp_path)
    (tmp_path / "solutions" / "leaky").mkdir(parents=True)
    test = {"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "fresh"}}
    nb = nbformat.v4.new_notebook(metadata={"dlcourse": {"variants": True}}, cells=[
        nbformat.v4.new_code_cell(FRESH, metadata=test), nbformat.v4.new_code_cell(LEAKS)])
    nbformat.write(nb, tmp_path / "solutions" / "leaky" / "leaky.ipynb")
    grader = Grader("leaky", root=tmp_path, timeout=20)
    ids = ["first", "second", "third"]
    batched = grader._reference_runs("leaky", ids)
    for student in ids:
        fresh = batched[student]["fresh"]
        assert fresh["fresh"]["data"] == [1.0] * 9, (student, fresh["fresh"]["data"])
        assert fresh["student"]["data"] == [ord(c) for c in student]
        assert batched[student] == grader._reference_runs("leaky", [student])[student]
    assert is_test(nb.cells[0])
