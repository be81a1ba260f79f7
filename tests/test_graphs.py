import matplotlib
import pytest

matplotlib.use("Agg")

from dlcourse import graphs, models, plotting  # noqa: E402


def test_logistic_graph_has_inputs_one_summation_sigmoid_output():
    layout = graphs.graph_layout(models.LogisticModel(3))
    assert layout.count("input") == 3 and layout.count("bias") == 1
    assert layout.count("sum") == 1 and layout.count("output") == 1
    assert layout.node("act").label == "sigmoid"
    labels = [lab for src, dst, lab in layout.edges if dst == "z1"]
    assert labels == [r"$\beta_{0}$", r"$\beta_{1}$", r"$\beta_{2}$", r"$\beta_{3}$"]


def test_softmax_graph_has_one_summation_node_per_class():
    layout = graphs.graph_layout(models.SoftmaxModel(3, 3))
    assert layout.count("sum") == 3 and layout.count("output") == 3
    assert layout.node("act").label == "softmax"
    assert sum(dst.startswith("z") for _, dst, _ in layout.edges) == 4 * 3   # every input to every Z_k


def test_flattened_image_collapses_inputs():
    layout = graphs.graph_layout(models.SoftmaxModel(64, 10), max_inputs=6)
    assert layout.count("input") == 5 and layout.count("ellipsis") == 1
    assert layout.node("x64").label == "$X_{64}$"
    assert layout.count("sum") == 10


def test_linear_model_has_no_activation_and_drawing_works():
    layout = graphs.graph_layout(models.LinearModel(2))
    assert layout.count("activation") == 0 and layout.node("out1").label == r"$\hat Y$"
    for model in (models.LinearModel(2), models.LogisticModel(3), models.SoftmaxModel(64, 10)):
        ax = graphs.draw_model(model)
        assert len(ax.texts) >= len(graphs.graph_layout(model).nodes)
    with pytest.raises(TypeError, match=r"model: expected a dlcourse.models model \(or network\) with layers"):
        graphs.graph_layout("logistic")


def test_course_style_is_large_and_colour_blind_safe():
    plotting.use_course_style()
    import matplotlib.pyplot as plt
    assert plt.rcParams["font.size"] >= 14
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"][:3] == ["#0072B2", "#E69F00", "#009E73"]


def test_network_graph_has_hidden_units_from_its_layers():
    from dlcourse import networks

    net = networks.Network(3, hidden=(4, 2), n_outputs=3, activation="relu")
    layout = graphs.graph_layout(net)
    assert layout.count("input") == 3 and layout.count("hidden") == 4 + 2 and layout.count("sum") == 3
    assert layout.count("bias") == 3                       # one "1" feeding each layer after the inputs
    assert layout.node("act").label == "softmax"
    # fully connected: (3 inputs + bias) → 4 units → (4 + bias) → 2 → (2 + bias) → 3 sums
    assert sum(d.startswith("h1_") for _, d, _ in layout.edges) == 4 * 4
    assert sum(d.startswith("h2_") for _, d, _ in layout.edges) == 5 * 2
    assert sum(d.startswith("z") for _, d, _ in layout.edges) == 3 * 3
    assert any("ReLU" in text for _, text in layout.captions)


def test_wide_layers_collapse_and_a_plain_list_of_layers_draws():
    layers = [models.Layer(784, "input"), models.Layer(128, "hidden", "relu", "A"),
              models.Layer(10, "output", "softmax", "Z")]
    layout = graphs.graph_layout(layers, max_units=6)
    assert layout.count("hidden") == 5 and layout.count("sum") == 10 and layout.count("ellipsis") == 2
    assert layout.node("h1_128").label == "$A_{128}$"
    ax = graphs.draw_model(layers)
    assert len(ax.texts) >= len(layout.nodes)


def test_rnn_unrolled_layout_shares_w_and_u_across_steps():
    from dlcourse.graphs import rnn_unrolled_layout

    layout = rnn_unrolled_layout(5)
    assert layout.count("input") == 5 and layout.count("hidden") == 5 and layout.count("sum") == 1
    labels = [label for _, _, label in layout.edges]
    assert labels.count("$W$") == 5 and labels.count("$U$") == 5      # one W and one U per step
    assert ("h4", "h5", "$W$") in layout.edges and ("x3", "h3", "$U$") in layout.edges
    assert ("h5", "z", "") in layout.edges                             # p̂ reads the last state
    with pytest.raises(ValueError, match="T: expected a positive number of steps"):
        rnn_unrolled_layout(0)


def test_draw_rnn_unrolled_labels_every_node():
    import matplotlib.pyplot as plt

    from dlcourse.graphs import draw_rnn_unrolled

    ax = draw_rnn_unrolled(3)
    texts = [t.get_text() for t in ax.texts]
    assert {"$h_0$", "$h_{3}$", "$X_{1}$", "$Z$", r"$\hat p$"} <= set(texts)
    plt.close(ax.figure)


def test_layer_labels_replace_the_column_captions():
    layers = [models.Layer(784, "input", label="image\n1×28×28"),
              models.Layer(3136, "hidden", "relu", "A", label="conv + pool\n16×14×14"),
              models.Layer(10, "output", "softmax", "Z", label="10 scores")]
    captions = [text for _, text in graphs.graph_layout(layers, max_units=4).captions]
    assert captions == ["image\n1×28×28", "conv + pool\n16×14×14", "summation\n10 scores", "activation", "output"]
    plain = [models.Layer(3, "input"), models.Layer(2, "hidden", "relu", "A"), models.Layer(1, "output", "sigmoid", "Z")]
    assert [t for _, t in graphs.graph_layout(plain).captions] == ["input", "hidden layer\nReLU", "summation",
                                                                   "activation", "output"]
