"""Homework 3 graded by `dlcourse grade`: reference, untouched release, mutations, adversarial suite, feedback.

The per-cell timeout is 120 s: the CNN check (Part G) trains for about 10 s on an idle 2-core machine and this
suite grades 26 submissions two at a time, most of them training that CNN, so 120 s leaves a wide margin on CI's
2 cores (the infinite-loop attack costs one timeout of wall time, so a longer one slows the whole suite).
"""

from .grading import hw3
from .grading.homework import Homework, grading_tests

globals().update(grading_tests(Homework("hw3"), hw3.mutations, timeout=120))


def test_the_answer_module_stays_blocked_while_grading():
    """hw3 may use dlcourse.torch (and what it imports), never dlcourse.conv, which implements the answers."""
    import nbformat

    from dlcourse.homework import allowed_modules, declared_modules, is_allowed

    allowed = allowed_modules(declared_modules(nbformat.read(Homework("hw3").source_path, 4).metadata))
    assert is_allowed("dlcourse.torch.training", allowed) and not is_allowed("dlcourse.conv", allowed)
