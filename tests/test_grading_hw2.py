"""Homework 2 graded by `dlcourse grade`: reference, untouched release, mutations, adversarial suite, feedback.

(The generic `detached_child` attack sends its child's output nowhere, so its late error message cannot
land in homework 2's longer-running cells.)
"""

from .grading import hw2
from .grading.homework import Homework, grading_tests

globals().update(grading_tests(Homework("hw2"), hw2.mutations, timeout=60))
