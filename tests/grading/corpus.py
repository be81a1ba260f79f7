"""Submissions for the grading tests: honest, mutated and adversarial, built from the released notebook.

Each entry: name -> (notebook text or None for "file as given", honest score, expected status).
The honest score is what the submission's own code earns when graded fairly; no submission may
score above it. Scores count the 20 autograded points (the 5 manual points are not graded here).
"""

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "solutions" / "hw1" / "hw1.ipynb"
RELEASE = ROOT / "assignments" / "hw1" / "hw1.ipynb"

POINTS = {"sigmoid_values": 1, "sigmoid_stable": 1, "softmax_rows": 2, "softmax_stable": 1,
          "cross_entropy_values": 2, "logistic_objective_value": 2, "logistic_gradient": 3, "gd_path": 2,
          "learning_rate_regimes": 2, "restarts_best": 2, "chord_gap_values": 2}
AUTO_TOTAL = sum(POINTS.values())


def reference_answers():
    """{solution grade_id: the reference code without the solution markers}."""
    answers = {}
    for cell in nbformat.read(SOURCE, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            answers[meta["grade_id"]] = re.sub(r"\s*### (BEGIN|END) SOLUTION", "", cell.source)
    return answers


def build(answers=None, edit=None):
    """The released notebook with solution cells replaced by `answers`, then `edit(nb)` applied."""
    nb = nbformat.read(RELEASE, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
    if edit:
        edit(nb)
    return nbformat.writes(nb)


def mutate(grade_id, old, new):
    answers = reference_answers()
    assert old in answers[grade_id], (grade_id, old)
    answers[grade_id] = answers[grade_id].replace(old, new)
    return answers


def lost(*grade_ids):
    return AUTO_TOTAL - sum(POINTS[g] for g in grade_ids)


# Mutations: plausible student bugs, each losing exactly the predicted parts.
MUTATIONS = {
    "softmax_wrong_axis": (mutate("softmax_solution", "Z.max(axis=1, keepdims=True))\n    return E / E.sum(axis=1",
                                  "Z.max(axis=0, keepdims=True))\n    return E / E.sum(axis=0"),
                           lost("softmax_rows", "softmax_stable")),
    "softmax_no_max_subtraction": (mutate("softmax_solution", "np.exp(Z - Z.max(axis=1, keepdims=True))", "np.exp(Z)"),
                                   lost("softmax_stable")),
    "intercept_penalized": (mutate("logistic_gradient_solution", "np.r_[0.0, beta[1:]]", "beta"),
                            lost("logistic_gradient")),
    "gradient_sign_error": (mutate("logistic_gradient_solution", "(p_hat - y)", "(y - p_hat)"),
                            lost("logistic_gradient")),
    "wrong_update_rule": (mutate("gradient_descent_solution", "path[-1] - learning_rate", "path[-1] + learning_rate"),
                          lost("gd_path", "learning_rate_regimes", "restarts_best")),
    "naive_sigmoid": (mutate("sigmoid_solution",
                             "e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                             "return 1.0 / (1.0 + np.exp(-z))"),
                      lost("sigmoid_stable")),
}


def _prepend(grade_id, code, answers=None):
    answers = dict(answers or reference_answers())
    answers[grade_id] = code + "\n" + answers.get(grade_id, "raise NotImplementedError()")
    return answers


def _stub_answers():
    return {k: "# YOUR CODE HERE\nraise NotImplementedError()" for k in reference_answers()}


def _delete_tests(nb, ids):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ids]


def _strip_metadata(nb):
    for c in nb.cells:
        c.metadata.pop("nbgrader", None)


def _inflate_points(nb):
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "sigmoid_values":
            meta["points"] = 100
        if meta.get("grade_id") == "softmax_rows":
            meta["grade"] = False


def _replace_test_source(nb):
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "logistic_gradient":
            c.source = "pass  # test removed"


def adversarial(course_root):
    """Attacks on the grader; `course_root` is where the attack looks for the course files."""
    root = str(course_root)
    steal = f'''
import glob, json, os
for _p in glob.glob({root!r} + "/solutions/*/*.ipynb") + glob.glob("../../../solutions/*/*.ipynb"):
    for _c in json.load(open(_p))["cells"]:
        if "BEGIN SOLUTION" in "".join(_c["source"]):
            exec("".join(_c["source"]), globals())
    print("LEAK: read", _p)
'''
    gradebook = f'''
import sqlite3
for _db in [{root!r} + "/gradebook.db", "../../../gradebook.db"]:
    try:
        _con = sqlite3.connect(_db); _con.execute("UPDATE grade SET auto_score = 99"); _con.commit()
        print("LEAK: wrote", _db)
    except Exception as _e:
        pass
'''
    others = f'''
import glob
for _p in glob.glob({root!r} + "/submitted/*/hw1/*.ipynb") + glob.glob("../../*/hw1/*.ipynb"):
    print("LEAK: other student", _p)
'''
    network = '''
import socket
try:
    socket.create_connection(("pypi.org", 443), timeout=3); print("LEAK: network")
except OSError:
    pass
'''
    patch_asserts = '''
import builtins, numpy.testing
numpy.testing.assert_allclose = lambda *a, **k: None
builtins.abs = lambda x: 0
def sigmoid(z):
    return np.zeros_like(np.asarray(z, dtype=float))
'''
    patch_check = '''
import dlcourse.homework
dlcourse.homework.check = lambda *a, **k: None
check = dlcourse.homework.check
def softmax(Z):
    return np.ones_like(np.asarray(Z, dtype=float))
'''
    detached = f'''
import subprocess
subprocess.Popen(["sh", "-c", "sleep 2; echo pwned > {root}/CANARY"], start_new_session=True)
'''
    ref = reference_answers()
    stub = _stub_answers()
    A = {  # name: (notebook text, honest score, status)
        "steals_solutions": (build(_prepend("sigmoid_solution", steal, stub)), 0, "ok"),
        "writes_gradebook": (build(_prepend("sigmoid_solution", gradebook, stub)), 0, "ok"),
        "reads_other_students": (build(_prepend("sigmoid_solution", others + network, ref)), AUTO_TOTAL, "ok"),
        "patches_asserts_and_abs": (build(_prepend("sigmoid_solution", patch_asserts, stub)), 0, "ok"),
        # replacing `check` silences every later test: only part A (before the patch) keeps its points
        "patches_check": (build(_prepend("softmax_solution", patch_check, {**ref, "softmax_solution": ""})),
                          POINTS["sigmoid_values"] + POINTS["sigmoid_stable"], "ok"),
        "uses_dlcourse_implementation": (build({**ref, "sigmoid_solution": "from dlcourse.models import sigmoid",
                                                "softmax_solution": "import dlcourse\nsoftmax = dlcourse.models.softmax"}),
                                         # parts D and E call the missing sigmoid too
                                         lost("sigmoid_values", "sigmoid_stable", "softmax_rows", "softmax_stable",
                                              "logistic_objective_value", "logistic_gradient"), "ok"),
        "deleted_test_cells": (build(ref, lambda nb: _delete_tests(nb, {"sigmoid_values", "gd_path"})),
                               AUTO_TOTAL, "missing_cells"),
        "replaced_test_source": (build({**ref, "logistic_gradient_solution": "def logistic_gradient(beta, X, y, lam):\n    return beta"},
                                       _replace_test_source), lost("logistic_gradient"), "ok"),
        "stripped_metadata": (build(ref, _strip_metadata), AUTO_TOTAL, "tampered"),
        "changed_test_metadata": (build(ref, _inflate_points), AUTO_TOTAL, "tampered"),
        "kernel_exit": (build(_prepend("gradient_descent_solution", "import os\nos._exit(1)", ref)),
                        lost("gd_path", "learning_rate_regimes", "restarts_best", "chord_gap_values"), "kernel_died"),
        "kills_its_grader": (build(_prepend("sigmoid_solution", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", ref)),
                             0, "kernel_died"),
        "infinite_loop": (build(_prepend("cross_entropy_solution", "while True:\n    pass", ref)),
                          lost("cross_entropy_values"), "timeout"),
        "memory_hog": (build(_prepend("chord_gap_solution", "_x = np.ones(10**10)", ref)),
                       lost("chord_gap_values"), "ok"),
        "detached_child": (build(_prepend("sigmoid_solution", detached, ref)), AUTO_TOTAL, "ok"),
        "truncated_notebook": (build(ref)[: 4000], None, "invalid_notebook"),
        "not_json": ("this is not a notebook", None, "invalid_notebook"),
    }
    return A


def honest_and_mutants():
    return {
        "reference": (build(reference_answers()), AUTO_TOTAL, "ok"),
        "untouched": (RELEASE.read_text(), 0, "ok"),
        **{name: (build(answers), score, "ok") for name, (answers, score) in MUTATIONS.items()},
    }


def write(course_root, submissions):
    for name, (text, _, _) in submissions.items():
        folder = Path(course_root) / "submitted" / name / "hw1"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "hw1.ipynb").write_text(text)


__all__ = ["honest_and_mutants", "adversarial", "write", "POINTS", "AUTO_TOTAL", "reference_answers"]
