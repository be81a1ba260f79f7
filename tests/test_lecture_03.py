"""Lecture 3 (deep learning for images): the notebook runs in its smoke setting, gives the same numbers twice,
and every number or claim its markdown states holds in its outputs; the explorer and the PyTorch helpers
behind it are checked against independent references (torch, scikit-learn, closed forms)."""

import io
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

matplotlib.use("Agg")

from dlcourse import conv, data, graphs, site  # noqa: E402
from dlcourse import torch as dtorch  # noqa: E402
from dlcourse.explorers import convolution as compute  # noqa: E402
from dlcourse.torch import vision  # noqa: E402
from dlcourse.widgets import convolution as conv_widgets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "lectures" / "03_images.ipynb"
TOPS = {"T-shirt/top", "Pullover", "Coat", "Shirt"}
TIMING = re.compile(r"training took \d+ seconds")


# --- the notebook ---------------------------------------------------------------------------------

def _texts(nb):
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            if "model_id" not in json.dumps(out.get("data", {})):
                texts.append(TIMING.sub("training took … seconds", text))
    return texts


@pytest.fixture(scope="module")
def executed(monkeypatch_module, executed_lecture):
    monkeypatch_module.setenv("DLCOURSE_SMOKE", "1")
    first = executed_lecture(LECTURE)                # the run's shared execution (site pages, decks)
    second = site.execute(LECTURE, timeout=300)      # and a second, compared with it
    return first, second


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def output(executed):
    return "\n".join(_texts(executed[0]))


@pytest.fixture(scope="module")
def markdown():
    nb = json.loads(LECTURE.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_stored_clean_with_smoke_and_full_settings():
    nb = json.loads(LECTURE.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and "if SMOKE else (60_000, 10_000, 3)" in "".join(params[0]["source"])
    for c in code:          # short calls only: no function or class defined in the lecture
        assert not re.search(r"^\s*(def|class) ", "".join(c["source"]), re.M)


def test_runs_headless_deterministically(executed):
    first, second = executed
    assert _texts(first) == _texts(second)
    joined = "\n".join(_texts(first))
    assert "nan" not in joined.lower() and "np.float" not in joined and "/tmp/" not in joined
    state = first.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 1 and images[0]["buffers"]                 # the filter explorer drew its figure


def test_quoted_data_facts(output, markdown):
    train, test = data.load_fashion_mnist("train"), data.load_fashion_mnist("test")
    assert len(train.y) == 60_000 and len(test.y) == 10_000 and len(test.class_names) == 10
    assert "70,000 grey photos of clothes, 28×28 pixels, $K = 10$" in markdown
    assert "test images: (10000, 28, 28), pixel values from 0 to 1, 10 classes" in output


def test_permutation_experiment_claims(output, markdown):
    """Smoke sizes, fixed seeds: the MLP's accuracies agree within 0.5 points; the CNN beats it on real images,
    drops by more than 2 points on shuffled ones, and is then within 1.5 points of the MLP."""
    prose = " ".join(markdown.split())
    assert "within half a percentage point). The CNN is the better model on real images, but shuffling costs it " \
           "several points and its lead: on shuffled images it is within about a point of the multi-layer network" in prose
    acc = {m: (float(a), float(b)) for m, a, b in
           re.findall(r"(multi-layer network|CNN): real ([\d.]+), shuffled ([\d.]+)", output)}
    assert set(acc) == {"multi-layer network", "CNN"}
    mlp_real, mlp_shuffled = acc["multi-layer network"]
    cnn_real, cnn_shuffled = acc["CNN"]
    assert abs(mlp_real - mlp_shuffled) <= 0.005
    assert cnn_real > mlp_real
    assert cnn_real - cnn_shuffled > 0.02
    assert abs(cnn_shuffled - mlp_shuffled) <= 0.015


def test_convolution_numbers(output, markdown):
    # the toy edge: the map is 3×3 and -4 where the window straddles the edge (torch prints the same)
    assert output.count("[-4., -4.,  0.]") == 6
    sizes = {(0, 1): 26, (1, 1): 28, (0, 2): 13, (1, 2): 14}
    assert str(sizes) in output
    for (p, s), n in sizes.items():                  # the formula, as a closed form
        assert n == (28 + 2 * p - 3) // s + 1
    assert "((8, 28, 28), 224)" in output and 8 * (3 * 3 * 3 + 1) == 224
    assert "stride 2 (the map shrinks to\n13×13)" in markdown


def test_parameter_counts_match_pytorch(output, markdown):
    mlp = sum(p.numel() for p in dtorch.MLP(784, 10, (256, 128)).parameters())
    cnn = sum(p.numel() for p in dtorch.SmallCNN(10, (16, 32)).parameters())
    assert f"multi-layer network: {mlp:,} parameters;  CNN: {cnn:,} parameters" in output
    assert mlp > cnn                                 # "more parameters than the whole CNN"
    first = sum(p.numel() for p in torch.nn.Conv2d(1, 16, 3).parameters())
    dense = sum(p.numel() for p in torch.nn.Linear(784, 16 * 28 * 28).parameters())
    assert f"conv layer: {first:,};  dense layer with the same outputs: {dense:,}" in output
    assert "16×28×28 = 12,544 outputs with 160 parameters" in markdown and first == 160
    total = re.search(r"^total\s+([\d,]+)$", output, re.M)
    assert total and total.group(1) == f"{cnn:,}"


def test_training_and_what_it_learned_claims(output):
    match = re.search(r"test accuracy after 2 epochs: ([\d.]+)", output)
    assert match and float(match.group(1)) > 0.75        # smoke: 2,000 images, 2 epochs
    hardest = re.search(r"hardest classes: (.*)", output).group(1)
    names = [re.sub(r" \([\d.]+\)$", "", part) for part in hardest.split(", ")]
    assert len(names) == 3 and "Shirt" in names          # "Shirt is among the hardest classes"
    mistaken = re.search(r"shirts mistaken for: (.*)", output).group(1)
    counts = [(re.sub(r" \(\d+\)$", "", part), int(re.search(r"\((\d+)\)$", part).group(1)))
              for part in mistaken.split(", ")]
    assert counts[0][0] in TOPS - {"Shirt"} and counts[0][1] >= counts[1][1] >= counts[2][1]


def test_augmentation_narrows_the_gap(output):
    rows = dict(re.findall(r"(without augmentation|with shifts and flips): (training accuracy [\d.]+, test accuracy [\d.]+)",
                           output))
    gaps = {k: float(re.findall(r"[\d.]+", v)[0]) - float(re.findall(r"[\d.]+", v)[1]) for k, v in rows.items()}
    assert set(gaps) == {"without augmentation", "with shifts and flips"}
    assert gaps["with shifts and flips"] < gaps["without augmentation"]


# --- the explorer: pure function and figure -------------------------------------------------------------

@pytest.fixture(scope="module")
def image():
    return data.load_fashion_mnist("test").images[0].astype(float)


@pytest.mark.parametrize("name", sorted(conv.FILTERS))
@pytest.mark.parametrize("padding, stride", [(0, 1), (1, 1), (2, 2), (0, 3)])
def test_feature_map_view_matches_torch(image, name, padding, stride):
    view = compute.feature_map_view(image, name, padding=padding, stride=stride)
    expected = torch.nn.functional.conv2d(torch.tensor(image)[None, None], torch.tensor(conv.FILTERS[name])[None, None],
                                          padding=padding, stride=stride)[0, 0].numpy()
    np.testing.assert_allclose(view.feature_map, expected, atol=1e-12)
    n = (28 + 2 * padding - 3) // stride + 1
    assert view.feature_map.shape == (n, n) and view.status.endswith(f"= {n}, a {n}×{n} feature map")
    # the marked window produces the marked output: the largest |S|, recomputed by hand from the padded image
    i, j = view.peak
    r, c = view.window
    X = np.pad(image, padding)
    by_hand = np.sum(X[r + padding:r + padding + 3, c + padding:c + padding + 3] * conv.FILTERS[name])
    assert by_hand == pytest.approx(view.feature_map[i, j]) and abs(view.feature_map[i, j]) == np.abs(expected).max()


def test_feature_map_view_names_edited_filters_and_rejects_bad_ones(image):
    assert compute.feature_map_view(image, np.ones((3, 3))).name == "your filter"
    assert compute.feature_map_view(image, conv.filter_named("blur")).name == "blur"
    with pytest.raises(ValueError, match=r"kernel: expected a filter name or a 3×3 array, got shape \(2, 2\)"):
        compute.feature_map_view(image, np.ones((2, 2)))
    with pytest.raises(ValueError, match="name: expected one of"):
        compute.feature_map_view(image, "emboss")


def test_pooling_view_matches_torch(image):
    view = compute.pooling_view(image, 2)
    expected = torch.nn.functional.max_pool2d(torch.tensor(image)[None, None], 2)[0, 0].numpy()
    np.testing.assert_array_equal(view.pooled, expected)
    assert view.status == "max pool 2×2: 28×28 → 14×14 (4× fewer numbers)"


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_feature_map_figure_redraws_what_the_view_says(image):
    fig = conv_widgets.FeatureMapFigure(image)
    status = fig.update("vertical edge", 0, 1)
    view = fig.view
    assert status == compute.feature_map_view(image, "vertical edge").status
    first = _pixels(fig.png())
    np.testing.assert_array_equal(fig.map.get_array(), view.feature_map)
    assert fig.map_title.get_text() == "feature map S (26×26)"
    assert [t.get_text() for t in fig.numbers] == ["1", "0", "-1", "2", "0", "-2", "1", "0", "-1"]
    fig.update("horizontal edge", 1, 2)
    second = _pixels(fig.png())
    assert fig.map_title.get_text() == "feature map S (14×14)" and fig.map.get_extent() == [-0.5, 13.5, 13.5, -0.5]
    assert first.shape == second.shape and np.abs(first - second).max() > 0
    fig.update("vertical edge", 0, 1)
    np.testing.assert_array_equal(_pixels(fig.png()), first)        # blitting leaves no trace behind


def test_filter_explorer_shell_wires_dropdown_cells_and_sliders(image):
    box = conv_widgets.filter_explorer(image, kernel="vertical edge")
    choose = box.children[0].children[0]
    cells = [c for row in box.children[0].children[1].children for c in row.children]
    pad, step = box.children[0].children[2].children
    status = box.children[1]
    assert status.value.startswith("<b>vertical edge, padding 0, stride 1: ⌊(28 + 2·0 − 3)/1⌋ + 1 = 26")
    choose.value = "blur"
    assert [c.value for c in cells] == list(conv.FILTERS["blur"].ravel()) and status.value.startswith("<b>blur, padding 0")
    step.value = 2
    assert "a 13×13 feature map" in status.value
    cells[4].value = 7.0                              # typing a number makes it "your filter"
    assert choose.value == "your filter" and status.value.startswith("<b>your filter, padding 0, stride 2")


# --- the CNN's architecture, the graph, and the PyTorch helpers -------------------------------------------

@pytest.mark.parametrize("channels, hidden", [((16, 32), 128), ((8,), 32), ((4, 6, 10), 20)])
def test_cnn_architecture_matches_pytorch_shapes_and_counts(channels, hidden):
    arch = conv.cnn_architecture((1, 28, 28), channels=channels, hidden=hidden) if len(channels) == 2 else None
    if arch is not None:                              # SmallCNN is two blocks: compare layer by layer
        model = dtorch.SmallCNN(10, channels)
        x = torch.zeros(1, 1, 28, 28)
        shapes = []
        for layer in [*model.features, *model.classifier]:
            x = layer(x)
            if not (isinstance(layer, torch.nn.ReLU) and x.dim() == 2):   # "dense + ReLU" is one row
                shapes.append(tuple(x.shape[1:]))
        assert [L.shape for L in arch[1:]] == shapes
        assert sum(L.n_params for L in arch) == sum(p.numel() for p in model.parameters())
    arch = conv.cnn_architecture((3, 32, 32), channels=channels, hidden=hidden, batch_norm=False)
    layers = []
    c_in = 3
    for c in channels:
        layers += [torch.nn.Conv2d(c_in, c, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        c_in = c
    side = 32 // 2 ** len(channels)
    layers += [torch.nn.Flatten(), torch.nn.Linear(c_in * side * side, hidden), torch.nn.ReLU(),
               torch.nn.Linear(hidden, 10)]
    net = torch.nn.Sequential(*layers)
    assert sum(L.n_params for L in arch) == sum(p.numel() for p in net.parameters())
    assert arch[-2].shape == (hidden,) and net(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_cnn_graph_shows_each_blocks_output_shapes():
    layout = graphs.graph_layout(conv.cnn_graph_layers(conv.cnn_architecture()), max_units=4)
    captions = [text for _, text in layout.captions]
    assert captions[0] == "image\n1×28×28"
    assert captions[1] == "conv 3×3 + ReLU\n16×28×28\nmax pool 2×2\n16×14×14"
    assert captions[2] == "conv 3×3 + ReLU\n32×14×14\nmax pool 2×2\n32×7×7"
    assert captions[3] == "flatten → dense\n128, ReLU" and layout.count("sum") == 10
    ax = graphs.draw_model(conv.cnn_graph_layers(conv.cnn_architecture()), max_units=4)
    assert "32×7×7" in "".join(t.get_text() for t in ax.texts)


def test_architecture_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"input_shape: expected a tuple \(C, h, w\), got \[28, 28\]"):
        conv.cnn_architecture([28, 28])
    with pytest.raises(ValueError, match="channels: expected"):
        conv.cnn_architecture(channels=(16, 0))


@pytest.fixture(scope="module")
def tiny():
    return dtorch.load_images("mnist-subset").subset(256, 128)


def test_permuted_images_are_one_fixed_permutation(tiny):
    shuffled = vision.permuted(tiny, seed=3)
    expected, perm = conv.permute_pixels(tiny.X_test[:, 0].numpy(), seed=3)
    np.testing.assert_array_equal(shuffled.X_test[:, 0].numpy(), expected)
    np.testing.assert_array_equal(vision.pixel_permutation(28, 28, seed=3).numpy(), perm)
    assert torch.equal(shuffled.y_train, tiny.y_train)


def test_reordered_first_layer_computes_the_same_on_shuffled_images(tiny):
    torch.manual_seed(0)
    mlp = dtorch.MLP(784, 10, (32,))
    before = mlp(tiny.X_test).detach()
    vision.reorder_first_layer(mlp, vision.pixel_permutation(28, 28, seed=5))
    after = mlp(vision.permuted(tiny, seed=5).X_test).detach()
    torch.testing.assert_close(after, before, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="model: expected a first nn.Linear layer with 784 inputs"):
        vision.reorder_first_layer(dtorch.MLP(100, 10, (4,)), torch.arange(784))


def test_shift_and_flip_moves_and_mirrors_images():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).reshape(2, 1, 5, 5)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(vision.shift_and_flip(x, g, max_shift=0, flip=False), x)
    out = vision.shift_and_flip(x, torch.Generator().manual_seed(1), max_shift=1, flip=False)
    for a in range(2):                                # each image is a copy shifted by at most one pixel
        matches = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                   if torch.equal(out[a, 0], torch.nn.functional.pad(x[a, 0], (1, 1, 1, 1))[1 + dr:6 + dr, 1 + dc:6 + dc])]
        assert len(matches) == 1
    flipped = vision.shift_and_flip(x, torch.Generator().manual_seed(2), max_shift=0, flip=True)
    assert all(torch.equal(flipped[a], x[a]) or torch.equal(flipped[a], x[a].flip(-1)) for a in range(2))


def test_train_with_an_identity_augmentation_changes_nothing(tiny):
    runs = []
    for augment in (None, lambda xb, generator: xb):
        torch.manual_seed(0)
        h = dtorch.train(dtorch.SoftmaxRegression(784, 10), tiny, epochs=2, seed=0, progress=False, augment=augment)
        runs.append((h.loss, h.test_accuracy))
    assert runs[0] == runs[1]


def test_most_confused_with_reads_the_row_without_its_diagonal():
    C = np.array([[50, 3, 9, 1], [0, 60, 0, 0], [7, 2, 40, 7], [1, 1, 1, 1]])
    np.testing.assert_array_equal(vision.most_confused_with(C, 0), [2, 1, 3])
    np.testing.assert_array_equal(vision.most_confused_with(C, 2, n=2), [0, 3])     # ties: the lower class first


def test_confusion_matrix_and_confident_mistakes_match_scikit_learn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    y, y_pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    np.testing.assert_array_equal(vision.confusion_matrix(y, y_pred, 4), confusion_matrix(y, y_pred, labels=range(4)))
    P = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    np.testing.assert_array_equal(vision.most_confident_mistakes(P, np.array([1, 1, 1, 0]), n=5), [0, 3, 2])
    with pytest.raises(ValueError, match="y, y_pred: expected two 1-D arrays of the same length"):
        vision.confusion_matrix(y, y_pred[:3], 4)


def test_feature_maps_and_filters_have_the_architectures_shapes(tiny):
    model = dtorch.SmallCNN(10, (4, 6))
    maps = vision.feature_maps(model, tiny.X_test[0])
    assert [(name, a.shape) for name, a in maps] == [
        ("block 1: conv + ReLU", (4, 28, 28)), ("block 1: max pool", (4, 14, 14)),
        ("block 2: conv + ReLU", (6, 14, 14)), ("block 2: max pool", (6, 7, 7))]
    assert all((a >= 0).all() for _, a in maps)      # after a ReLU, and max pools of ReLUs
    np.testing.assert_array_equal(vision.first_layer_filters(model), model.features[0].weight.detach().numpy())
    P = vision.predict_proba(model, tiny.X_test)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)


def test_deck_replays_the_explorer_as_captioned_frames(executed, image):
    """The four replay frames show the explorer's own status line for their setting, in order."""
    captions = [re.search(r"<figcaption[^>]*><b>(.*?)</b></figcaption>", out["data"]["text/html"]).group(1)
                for cell in executed[0].cells for out in cell.get("outputs", [])
                if "figcaption" in out.get("data", {}).get("text/html", "")]
    settings = [("vertical edge", 0, 1), ("horizontal edge", 0, 1), ("blur", 0, 1), ("sharpen", 1, 2)]
    assert captions == [compute.feature_map_view(image, k, padding=p, stride=s).status for k, p, s in settings]
