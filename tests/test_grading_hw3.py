"""Homework 3 graded by `dlcourse grade`: reference, untouched release, mutations, adversarial suite, feedback.

The per-cell timeout is 240 s: the CNN check (Part G) trains for 12-17 s on an idle 2-core machine and for 55 s
when measured beside other work, and `make test` runs test files in parallel on CI's 2 cores (two other files
may be grading or executing at the same time), so the margin must cover a 3-4x slowdown. The generic hang
attack sleeps through one timeout in one of the two grading slots: wall time, no CPU. The generic attacks
start from answers without a CNN (`hw3.attack_base`), so that only the reference trains one.
"""

from .grading import hw3
from .grading.homework import Homework, grading_tests

globals().update(grading_tests(Homework("hw3"), hw3.mutations, timeout=240, attack_base=hw3.attack_base))


def test_the_answer_module_stays_blocked_while_grading():
    """hw3 may use dlcourse.torch (and what it imports), never dlcourse.conv, which implements the answers."""
    import nbformat

    from dlcourse.homework import allowed_modules, declared_modules, is_allowed

    allowed = allowed_modules(declared_modules(nbformat.read(Homework("hw3").source_path, 4).metadata))
    assert is_allowed("dlcourse.torch.training", allowed) and not is_allowed("dlcourse.conv", allowed)
