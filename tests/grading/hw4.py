"""Homework 4's mutations: bugs students make, each with the score it must earn.

Parts build on each other only where the notebook says so: `encode` feeds the GRU's hidden test, the
attention tests (E) and the RNN (F) use their own random inputs, so a bug there stays in its part.
"""

MASK_AFTER_SOFTMAX = '''    E = np.exp(S - S.max(axis=-1, keepdims=True))
    W = E / E.sum(axis=-1, keepdims=True)
    if mask is not None:
        W = np.where(mask, W, 0.0)'''


def mutations(hw):
    """{name: (answers, expected autograded score)}."""
    return {
        "attention_without_sqrt_d": (
            hw.mutate("attention_solution", " / np.sqrt(Q.shape[-1])", ""),
            hw.lost("attention_unmasked", "attention_masked")),
        "softmax_over_the_queries": (
            hw.mutate("attention_solution", "S.max(axis=-1, keepdims=True))\n    W = E / E.sum(axis=-1",
                      "S.max(axis=-2, keepdims=True))\n    W = E / E.sum(axis=-2"),
            hw.lost("attention_unmasked", "attention_masked")),
        "mask_applied_after_the_softmax": (
            hw.mutate("attention_solution",
                      "    if mask is not None:\n        S = np.where(mask, S, -np.inf)\n"
                      "    E = np.exp(S - S.max(axis=-1, keepdims=True))\n    W = E / E.sum(axis=-1, keepdims=True)",
                      MASK_AFTER_SOFTMAX),
            hw.lost("attention_masked")),
        "padding_off_by_one": (
            hw.mutate("vocabulary_solution", "ids[i, :len(row)] = row", "ids[i, 1:len(row) + 1] = row[:max_len - 1]"),
            hw.lost("encode_padding", "gru_last_state")),
        "rnn_forgets_the_previous_state": (
            hw.mutate("rnn_solution", "h = np.tanh(h @ W + X[:, t] @ U + b)", "h = np.tanh(X[:, t] @ U + b)"),
            hw.lost("rnn_states_values")),
        "gru_reads_the_last_padded_position": (
            hw.mutate("gru_solution", "last = (ids != 0).sum(1) - 1", "last = ids.shape[1] - 1"),
            hw.lost("gru_last_state")),
        "ridge_gradient_without_the_2": (
            hw.mutate("sgd_solution", "X.T @ r + 2 * lam * beta[1:]", "X.T @ r + lam * beta[1:]"),
            hw.lost("logistic_gradient_value")),
    }
