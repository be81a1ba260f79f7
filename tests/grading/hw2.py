"""Homework 2's mutations: bugs students make, each with the score it must earn.

A bug in an early function propagates to the later parts that call it: the two-layer network (D) calls
Parts A–C, `sgd` (E) calls `minibatches`, and the MNIST parts (F) call everything. The tests of
`numerical_gradient` and `sgd` use their own inputs (a cubic, least squares), so a bug elsewhere does
not reach them, and `backprop_ridge_penalty` compares the gradients with and without λ.
"""

F_TESTS = ("train_network_other_shapes", "mnist_test_accuracy")
BACKPROP_TESTS = ("backprop_gradients", "backprop_ridge_penalty")

SEPARATE_PERMUTATIONS = '''    X_shuffled, y_shuffled = rng.permutation(X), rng.permutation(y)
    for start in range(0, len(y), batch_size):
        yield X_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size]'''

REFERENCE_MINIBATCHES = '''    order = rng.permutation(len(y))
    for start in range(0, len(y), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]'''

REFERENCE_STEP = '''            for name in params:
                params[name] = params[name] - learning_rate * grads[name]'''

ACCUMULATED_STEP = '''            for name in params:
                total[name] = total[name] + grads[name]          # never reset: the sum of all past gradients
                params[name] = params[name] - learning_rate * total[name]'''


REFERENCE_TRAINING = "    rng = np.random.default_rng(seed)\n    params = init_params("


def attack_base(hw):
    """What the generic adversarial suite's attacks start from: the reference answers with Part F's
    `train_network` not written yet (it raises), which loses the Part F tests only. The attacks test the
    sandbox, not the training; with the reference, 9 of them would each train on MNIST (~8 s of CPU apiece)."""
    answers = hw.mutate("train_network_solution", REFERENCE_TRAINING,
                        '    raise NotImplementedError("train_network is not written yet")\n' + REFERENCE_TRAINING)
    return answers, F_TESTS


def mutations(hw):
    def penalizes_biases():
        answers = hw.mutate("two_layer_solution", "np.sum(W2 ** 2))", "np.sum(W2 ** 2) + np.sum(b1 ** 2) + np.sum(b2 ** 2))")
        answers = hw.mutate("two_layer_solution", '"b1": db1,', '"b1": db1 + 2 * lam * b1,', answers)
        return hw.mutate("two_layer_solution", '"b2": db2}', '"b2": db2 + 2 * lam * b2}', answers)

    def accumulates_gradients():
        answers = hw.mutate("sgd_solution", "losses = []",
                            "losses = []\n    total = {name: np.zeros_like(value) for name, value in params.items()}")
        return hw.mutate("sgd_solution", REFERENCE_STEP, ACCUMULATED_STEP, answers)

    return {
        # Part A: db = row sums (n,) instead of column sums (p_out,); the network cannot use it
        "db_summed_over_the_wrong_axis": (
            hw.mutate("dense_layer_solution", "db = dZ.sum(axis=0)", "db = dZ.sum(axis=1)"),
            hw.lost("dense_backward_values", *BACKPROP_TESTS, *F_TESTS)),
        # Part B: the derivative on the wrong side of 0: backprop is wrong, the network learns badly
        "relu_derivative_on_the_wrong_side": (
            hw.mutate("relu_solution", "np.asarray(Z) > 0", "np.asarray(Z) < 0"),
            hw.lost("relu_derivative_values", *BACKPROP_TESTS, *F_TESTS)),
        # Part B: relu'(0) = 1; scores are never exactly 0 in the network, so only Part B notices
        "relu_derivative_one_at_zero": (
            hw.mutate("relu_solution", "np.asarray(Z) > 0", "np.asarray(Z) >= 0"),
            hw.lost("relu_derivative_values")),
        # Part C: the sum instead of the mean: gradients n times too large, training diverges
        "cross_entropy_backward_forgets_1_over_n": (
            hw.mutate("cross_entropy_solution", "return (softmax(Z) - one_hot) / n", "return softmax(Z) - one_hot"),
            hw.lost("cross_entropy_backward_values", *BACKPROP_TESTS, *F_TESTS)),
        # Part D: the one-sided difference (error of order h)
        "finite_difference_one_sided": (
            hw.mutate("numerical_gradient_solution", "(f(x + e) - f(x - e)) / (2 * h)", "(f(x + e) - f(x)) / h"),
            hw.lost("numerical_gradient_values")),
        # Part D: the central difference divided by h instead of 2h
        "finite_difference_wrong_scale": (
            hw.mutate("numerical_gradient_solution", "(f(x + e) - f(x - e)) / (2 * h)", "(f(x + e) - f(x - e)) / h"),
            hw.lost("numerical_gradient_values")),
        # Part D: ridge on the biases too; the training (λ = 0) does not notice
        "ridge_penalizes_the_biases": (penalizes_biases(), hw.lost("backprop_ridge_penalty")),
        # Part E: X and y shuffled with two different permutations: images lose their labels
        "minibatches_shuffle_features_and_labels_separately": (
            hw.mutate("minibatches_solution", REFERENCE_MINIBATCHES, SEPARATE_PERMUTATIONS),
            hw.lost("minibatch_batches", "sgd_steps", *F_TESTS)),
        # Part E: the last, smaller batch dropped; 4,000 = 125 x 32 so the MNIST training is unaffected,
        # but the small training problem of Part F (30 rows, batches of 7) is
        "minibatches_drop_the_last_batch": (
            hw.mutate("minibatches_solution", "range(0, len(y), batch_size)",
                      "range(0, len(y) - batch_size + 1, batch_size)"),
            hw.lost("minibatch_batches", "sgd_steps", "train_network_other_shapes")),
        # Part E: gradients accumulated across steps (never reset), like PyTorch without zero_grad()
        "sgd_accumulates_gradients": (accumulates_gradients(), hw.lost("sgd_steps", *F_TESTS)),
    }
