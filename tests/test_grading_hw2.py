"""Homework 2 graded by `dlcourse grade`: reference, untouched release, mutations, adversarial suite, feedback.

(The generic `detached_child` attack sends its child's output nowhere, so its late error message cannot
land in homework 2's longer-running cells.) The generic attacks start from answers whose `train_network` is
not written yet (`hw2.attack_base`): only the reference and the mutations train on MNIST.
"""

from .grading import hw2
from .grading.homework import Homework, grading_tests

globals().update(grading_tests(Homework("hw2"), hw2.mutations, timeout=60, attack_base=hw2.attack_base))
