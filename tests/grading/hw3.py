"""Homework 3's mutations: bugs students make, each with the score it must earn.

`conv2d_loops` (Part C) calls the student's `output_size` (Part A), so a wrong output size costs Part C
too; the vectorized version (Part D) computes its shape from the windows and does not call it. The
visible checks use square filters with stride = pooling size; the hidden ones use other shapes,
strides and paddings, so bugs that only show there still lose the part.
"""

from .homework import STUB

REFERENCE_WINDOW = "np.sum(X[i:i + k, j:j + k] * W)"
CONV_LOOP_TESTS = ("conv2d_channels", "conv2d_padding_stride")


def _without_the_cnn(hw, answers, *lost):
    """A Part A-F bug in a submission that leaves Part G (the CNN) undone: training a CNN costs ~15 s of CPU
    per submission and Part G uses PyTorch, not the student's numpy functions, so it proves nothing here."""
    return {**answers, "build_cnn_solution": STUB}, hw.lost(*lost, "cnn_accuracy")


def attack_base(hw):
    """What the generic adversarial suite's attacks start from: the reference answers with a network without
    convolutions, which loses Part G only (its check stops before training). The attacks test the sandbox, not
    the CNN; with the reference, 9 of them would each train a CNN (~15 s of CPU apiece)."""
    return _bugs(hw)["network_without_convolutions"]


def mutations(hw):
    return {name: (_without_the_cnn(hw, answers, *lost) if name != "network_without_convolutions"
                   else (answers, hw.lost(*lost)))
            for name, (answers, lost) in _bugs(hw).items()}


def _bugs(hw):
    """{name: (answers, the tests it loses)}."""
    return {
        # Part B: true convolution (the filter flipped) instead of cross-correlation, what conv2d computes
        "flipped_kernel_true_convolution": (
            hw.mutate("conv_single_solution", REFERENCE_WINDOW, "np.sum(X[i:i + k, j:j + k] * W[::-1, ::-1])"),
            ("conv_single_values",)),
        # Part A: the "+ 1" forgotten; Part C sizes its output with it
        "output_size_off_by_one": (
            hw.mutate("output_size_solution", "// stride + 1", "// stride"),
            ("output_size_values", *CONV_LOOP_TESTS)),
        # Part C: all 2p zeros on the bottom and right (the shape is right, the values are not)
        "padding_on_one_side": (
            hw.mutate("conv2d_loops_solution", "(padding, padding), (padding, padding)",
                      "(0, 2 * padding), (0, 2 * padding)"),
            ("conv2d_padding_stride",)),
        # Part C: the channels averaged instead of summed (right for C = 1 only)
        "channels_averaged_not_summed": (
            hw.mutate("conv2d_loops_solution", "np.sum(window * W[o])", "np.sum(window * W[o]) / C"),
            CONV_LOOP_TESTS),
        # Part D: every window kept (stride ignored): right for stride 1 only, the visible check uses 2
        "vectorized_ignores_stride": (
            hw.mutate("conv2d_vectorized_solution", "[:, ::stride, ::stride]", ""),
            ("conv2d_vectorized",)),
        # Part E: windows step by the pooling size instead of the stride: the visible check (2, 2) passes,
        # the hidden ones (3, 1), (3, 2), (2, 3) do not
        "pooling_steps_by_size_not_stride": (
            hw.mutate("max_pool_solution", "[:, ::stride, ::stride]", "[:, ::size, ::size]"),
            ("max_pool_values",)),
        # Part F: the biases not counted
        "parameter_count_without_biases": (
            hw.mutate("n_params_solution", "c * (C * k * k + 1)", "c * C * k * k"),
            ("n_params_values",)),
        # Part G: a multi-layer network instead of a CNN (the check stops before training)
        "network_without_convolutions": (
            hw.mutate("build_cnn_solution",
                      """nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # (16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (32, 7, 7)
        nn.Flatten(), nn.Linear(32 * 7 * 7, 64),""", "nn.Flatten(), nn.Linear(28 * 28, 64),"),
            ("cnn_accuracy",)),
    }
