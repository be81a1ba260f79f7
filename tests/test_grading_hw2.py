"""Homework 2 graded by `dlcourse grade`: reference, untouched release, mutations, adversarial suite, feedback."""

from .grading import hw2
from .grading.homework import Homework, grading_tests


class Homework2(Homework):
    """Homework 2 runs for several seconds, so the generic `detached_child` (which writes after 2 s) is still
    running when its `sh` fails to create the canary outside the sandbox: the shell's error message lands
    on stderr in whichever test cell is running then, and nbgrader fails that cell. The attack stays the
    same (a detached child that tries to write outside the sandbox, checked by `test_attacks_left_no_trace`);
    only the shell's own error message goes to /dev/null, so the honest score no longer depends on timing."""

    def adversarial(self, course_root):
        attacks = super().adversarial(course_root)
        text, honest, status = attacks["detached_child"]
        quiet = text.replace("start_new_session=True)", "start_new_session=True, stderr=subprocess.DEVNULL)")
        assert quiet != text, "the generic detached_child attack changed: revisit Homework2.adversarial"
        attacks["detached_child"] = (quiet, honest, status)
        return attacks


globals().update(grading_tests(Homework2("hw2"), hw2.mutations, timeout=30))
