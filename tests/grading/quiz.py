"""The quiz's mutations, and the submissions that test its per-student variants.

Every autograded question takes its numbers from `variant_rng(student id, question)`, so a mutation's
predicted loss holds for any id (the variant ranges avoid the cases where a bug would not show: β0 is
never needed to be 0, B never divides n, h + 2·padding − k is always odd).

Variant submissions (graded with the harness's others, in one run):
* two students with the reference code (full marks, different numbers);
* a student who copies another student's correct answers (the values, hard-coded);
* a student who edits the id (or the environment, or `variant_rng`) to get another or an easier variant;
* a student who edits a locked question cell to make it easier (nbgrader puts the cell back).
"""

import json
import os

import nbformat
from nbclient import NotebookClient

from dlcourse.grading.execute import join_streams

from .homework import ROOT

# the answer variable of each value question, by its test cell; q11 asks for a function (the same code for all)
VALUE_QUESTIONS = {
    "q1_logistic_probability": "q1_p_hat", "q2_cross_entropy": "q2_loss", "q3_gradient_descent": "q3_beta",
    "q4_diverging_learning_rates": "q4_choice", "q5_ridge_objective": "q5_F", "q6_parameter_count": "q6_n_params",
    "q7_forward_pass": "q7_p_hat", "q8_sgd_steps": "q8_steps", "q9_output_size": "q9_rows",
    "q10_conv_parameters": "q10_n_params", "q12_attention_weights": "q12_weights", "q13_rnn_state": "q13_h2",
    "q14_bag_of_words": "q14_counts",
}
FUNCTION_QUESTIONS = ("q11_feature_map",)
STUDENTS = ("student_a", "student_b")


def mutations(hw):
    m = hw.mutate
    return {
        "q1_forgets_the_intercept": (m("q1_answer", "beta[0] + beta[1:] @ x", "beta[1:] @ x"),
                                     hw.lost("q1_logistic_probability")),
        "q2_mean_instead_of_sum_in_softmax": (m("q2_answer", "np.log(np.sum(np.exp(Z)))", "np.log(np.mean(np.exp(Z)))"),
                                              hw.lost("q2_cross_entropy")),
        "q3_gradient_without_the_2": (m("q3_answer", "gamma * 2 * a *", "gamma * a *"), hw.lost("q3_gradient_descent")),
        # the threshold of F'' = 2a (γ < 2/F'') taken as 2/a: no rate diverges
        "q4_threshold_2_over_a": (m("q4_answer", "if g > 1 / a", "if g > 2 / a"), hw.lost("q4_diverging_learning_rates")),
        "q5_penalizes_the_intercept": (m("q5_answer", "np.sum(beta_ridge[1:] ** 2)", "np.sum(beta_ridge ** 2)"),
                                       hw.lost("q5_ridge_objective")),
        "q6_forgets_the_biases": (m("q6_answer", "(p + 1) * H1 + (H1 + 1) * H2 + (H2 + 1) * K", "p * H1 + H1 * H2 + H2 * K"),
                                  hw.lost("q6_parameter_count")),
        "q8_drops_the_last_minibatch": (m("q8_answer", "int(np.ceil(n / B))", "n // B"), hw.lost("q8_sgd_steps")),
        "q9_no_floor": (m("q9_answer", "(h + 2 * padding - k) // stride", "(h + 2 * padding - k) / stride"),
                        hw.lost("q9_output_size")),
        "q11_ignores_the_stride": (m("q11_answer", "X[i * stride:i * stride + k, j * stride:j * stride + k]",
                                     "X[i:i + k, j:j + k]"), hw.lost("q11_feature_map")),
        "q12_forgets_sqrt_d": (m("q12_answer", "K @ q / np.sqrt(4)", "K @ q"), hw.lost("q12_attention_weights")),
        "q13_forgets_the_recurrence": (m("q13_answer", "np.tanh(W_h @ h1 + U @ X2 + b_h)", "np.tanh(U @ X2 + b_h)"),
                                       hw.lost("q13_rnn_state")),
    }


# --- a student's own answers, computed outside the grader ---------------------------------------------

def answers_of(hw, student):
    """{variable: value} of the reference solution run as `student` would at home (the hub user's id)."""
    nb = nbformat.read(hw.source_path, as_version=4)
    names = list(VALUE_QUESTIONS.values())
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nprint(_json.dumps({_n: (globals()[_n] if isinstance(globals()[_n], str) "
        f"else np.asarray(globals()[_n]).tolist()) for _n in {names!r}}}))"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLCOURSE_")}
    env["JUPYTERHUB_USER"] = student
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute(env=env)
    return json.loads(join_streams(nb.cells[-1].outputs)[0]["text"])   # one print may come in chunks


def hard_coded(hw, values, answers=None):
    """The answers with every value question's cell replaced by its value, hard-coded (what a copier writes)."""
    answers = dict(answers or hw.reference_answers())
    for test_id, name in VALUE_QUESTIONS.items():
        cell = f"{test_id.split('_')[0]}_answer"
        value = values[name]
        answers[cell] = f"{name} = {value!r}" if isinstance(value, str) else f"{name} = np.array({value!r})"
    return answers


def with_first_cell(source):
    """An edit that replaces the notebook's first code cell (where a student types MY_ID)."""
    def edit(nb):
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert "MY_ID" in first.source and "nbgrader" not in first.metadata
        first.source = source
    return edit


def with_cell(grade_id, old, new):
    """An edit of a locked cell's source (nbgrader restores locked cells when grading)."""
    def edit(nb):
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert old in cell.source, f"{grade_id} does not contain {old!r}"
        cell.source = cell.source.replace(old, new)
    return edit


__all__ = ["mutations", "answers_of", "hard_coded", "with_first_cell", "with_cell", "VALUE_QUESTIONS",
           "FUNCTION_QUESTIONS", "STUDENTS"]
