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
