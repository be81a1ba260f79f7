"""Homework 4 graded by `dlcourse grade`: reference, untouched release, mutations, adversarial suite, feedback."""

from .grading import hw4
from .grading.homework import Homework, grading_tests

globals().update(grading_tests(Homework("hw4"), hw4.mutations, timeout=60))
