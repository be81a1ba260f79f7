"""Predictive models drawn as graphs, generated from the model's list of layers.

`graph_layout(model)` is pure: it returns the nodes (inputs, hidden units, summation nodes,
activation, outputs) and edges with their positions and labels. `draw_model` draws that
layout with matplotlib. One function serves every model that describes itself as a list
of `dlcourse.models.Layer` (its ``layers``): lecture 1's logistic and softmax models, a
flattened image feeding a softmax model, and lecture 2's multi-layer networks; a list of
layers can also be passed directly (e.g. to sketch a CNN's or an RNN's columns).
"""

from dataclasses import dataclass, field

import numpy as np

from .models import Layer

ACTIVATION_LABELS = {"sigmoid": "sigmoid", "softmax": "softmax", "tanh": "tanh", "relu": "ReLU",
                     "identity": "identity"}


@dataclass
class Node:
    id: str
    kind: str        # "input", "bias", "ellipsis", "hidden", "sum", "activation", "output"
    x: float
    y: float
    label: str


@dataclass
class GraphLayout:
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)   # (source id, target id, label)
    captions: list = field(default_factory=list)  # (x, text) under each column

    def node(self, id):
        return next(n for n in self.nodes if n.id == id)

    def count(self, kind):
        return sum(n.kind == kind for n in self.nodes)


def _column(n):
    """n evenly spaced heights centred on 0."""
    return np.linspace((n - 1) / 2, -(n - 1) / 2, n) if n > 1 else np.zeros(1)


def _shown(n, max_units):
    """Which units of a column to draw: all, or the first few, "⋮" (None) and the last."""
    return list(range(n)) if n <= max_units else [*range(max_units - 2), None, n - 1]


def _layers_of(model):
    layers = getattr(model, "layers", model)
    if not (isinstance(layers, (list, tuple)) and len(layers) >= 2 and all(isinstance(L, Layer) for L in layers)):
        raise TypeError(f"model: expected a dlcourse.models model (or network) with layers, or a list of "
                        f"at least two dlcourse.models.Layer, got {type(model).__name__}")
    return list(layers)


def graph_layout(model, *, max_inputs=6, max_units=6, input_labels=None):
    """Nodes and edges of f_β drawn as a graph, left to right: inputs → hidden layers → Σ → activation → output.

    model : a model with ``layers`` (LinearModel, LogisticModel, SoftmaxModel, networks.Network)
            or a list of `Layer`
    max_inputs, max_units : with more inputs (units) than this, the middle ones collapse into "⋮"
    """
    layers = _layers_of(model)
    first, hidden, out = layers[0], layers[1:-1], layers[-1]
    p, K = first.size, out.size
    labels = input_labels or [f"$X_{{{j}}}$" for j in range(1, p + 1)]
    layout = GraphLayout()

    def add_column(x, prefix, size, limit, label_of, kind, bias_id):
        shown = _shown(size, limit)
        ys = _column(len(shown) + (bias_id is not None)) * 1.2
        ids = []
        if bias_id is not None:
            layout.nodes.append(Node(bias_id, "bias", x, ys[0], "1"))
            ids.append(bias_id)
            ys = ys[1:]
        for y, j in zip(ys, shown):
            if j is None:
                layout.nodes.append(Node(f"{prefix}ellipsis", "ellipsis", x, y, r"$\vdots$"))
            else:
                layout.nodes.append(Node(f"{prefix}{j + 1}", kind, x, y, label_of(j)))
                ids.append(f"{prefix}{j + 1}")
        return ids

    sources = add_column(0.0, "x", p, max_inputs, lambda j: labels[j], "input", "bias")
    layout.captions.append((0.0, first.label or "input"))
    x = 0.0
    for ell, layer in enumerate(hidden, start=1):
        x += 2.5
        sup = f"^{{({ell})}}" if len(hidden) > 1 else ""
        units = add_column(x, f"h{ell}_", layer.size, max_units,
                           lambda k, sup=sup: f"$A{sup}_{{{k + 1}}}$", "hidden", f"bias{ell}")
        for src in sources:
            for dst in units[1:]:
                layout.edges.append((src, dst, ""))
        default = (f"hidden layer {ell}\n{ACTIVATION_LABELS[layer.activation]}"
                   if len(hidden) > 1 else f"hidden layer\n{ACTIVATION_LABELS[layer.activation]}")
        layout.captions.append((x, layer.label or default))
        sources = units
    x += 2.5
    shown = _shown(K, max(max_units, 12))      # lecture 1 draws all ten classes of the digits
    sum_ys = _column(len(shown)) * 1.6
    sums = []
    for k, y in zip(shown, sum_ys):
        if k is None:
            layout.nodes.append(Node("zellipsis", "ellipsis", x, y, r"$\vdots$"))
            continue
        sid = f"z{k + 1}"
        sums.append((sid, y, k))
        layout.nodes.append(Node(sid, "sum", x, y, "$Z$" if K == 1 else f"$Z_{{{k + 1}}}$"))
        for src in sources:
            j = 0 if src.startswith("bias") else int(src.rsplit("_", 1)[-1].lstrip("x"))
            beta = f"$\\beta_{{{j}}}$" if K == 1 and not hidden else ""
            layout.edges.append((src, sid, beta))
    layout.captions.append((x, f"summation\n{out.label}" if out.label else "summation"))
    if out.activation == "identity":
        layout.nodes.append(Node("out1", "output", x + 2.5, 0.0, r"$\hat Y$"))
        layout.edges.append(("z1", "out1", ""))
        layout.captions.append((x + 2.5, "output"))
        return layout
    layout.nodes.append(Node("act", "activation", x + 2.0, 0.0, ACTIVATION_LABELS[out.activation]))
    layout.captions.append((x + 2.0, "activation"))
    for sid, y, k in sums:
        layout.edges.append((sid, "act", ""))
        oid = f"out{k + 1}"
        layout.nodes.append(Node(oid, "output", x + 4.0, y, r"$\hat p$" if K == 1 else f"$\\hat p_{{{k + 1}}}$"))
        layout.edges.append(("act", oid, ""))
    layout.captions.append((x + 4.0, "output"))
    return layout


def draw_model(model, ax=None, *, max_inputs=6, max_units=6, input_labels=None, title=None):
    """Draw f_β as a graph; returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    from .plotting import BLUE, GREEN, ORANGE, PURPLE, SKY

    layout = graph_layout(model, max_inputs=max_inputs, max_units=max_units, input_labels=input_labels)
    height = max(max(abs(n.y) for n in layout.nodes) * 2 + 1.5, 3)
    width = max(n.x for n in layout.nodes)
    # sized to fill a slide's width (12 in at the deck's scale) with labels as large as the slide's text
    ax = ax or plt.subplots(figsize=(max(12, 1.5 * width + 1), min(0.55 * height + 1, 7)))[1]
    colours = {"input": BLUE, "bias": BLUE, "hidden": SKY, "sum": ORANGE, "activation": PURPLE, "output": GREEN}
    pos = {n.id: (n.x, n.y) for n in layout.nodes}
    dense = len(layout.edges) > 60
    for a, b, label in layout.edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1 - 0.35, y1 + (y0 - y1) * 0.35 / max(x1 - x0, 1e-9)), xytext=(x0 + 0.3, y0),
                    arrowprops=dict(arrowstyle="->", color="0.35", lw=0.8 if dense else 1.2,
                                    alpha=0.5 if dense else 1.0))
        if label:                                          # on a white patch, so its arrow never crosses it
            t = 0.3
            ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0) + 0.16, label, fontsize=17, ha="center", va="bottom",
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    for n in layout.nodes:
        if n.kind == "ellipsis":
            ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=22)
            continue
        box = "round,pad=0.4" if n.kind == "activation" else "circle,pad=0.3"
        # dark text on the light fills (orange, sky blue): contrast above 4.5:1
        ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=18,
                color="black" if n.kind in ("bias", "hidden", "sum") else "white",
                bbox=dict(boxstyle=box, fc=colours[n.kind] if n.kind != "bias" else "white", ec=colours[n.kind], lw=2))
    bottom = min(n.y for n in layout.nodes)
    for x, name in layout.captions:
        ax.text(x, bottom - 0.9, name, ha="center", va="top", fontsize=16, color="0.25")
    ax.set_xlim(-0.8, width + 0.8)
    ax.set_ylim(bottom - 1.8, max(n.y for n in layout.nodes) + 0.8)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=19)
    return ax


def rnn_unrolled_layout(T=4):
    """A recurrent network unrolled over T words (lecture 4): inputs X_t, states h_t, the output.

    Nodes: "x{t}" (input), "h{t}" (hidden, h_0 included as "h0"), "z" (sum) and "out" (the p̂ read
    from h_T). Edges: X_t → h_t labelled U, h_{t−1} → h_t labelled W (the same W and U at every
    step), h_T → Z → p̂. h_t = tanh(W h_{t−1} + U X_t + b).
    """
    T = int(T)
    if T < 1:
        raise ValueError(f"T: expected a positive number of steps, got {T}")
    layout = GraphLayout()
    layout.nodes.append(Node("h0", "bias", 0.0, 0.0, "$h_0$"))
    for t in range(1, T + 1):
        x = 2.2 * t
        layout.nodes.append(Node(f"x{t}", "input", x, -2.0, f"$X_{{{t}}}$"))
        layout.nodes.append(Node(f"h{t}", "hidden", x, 0.0, f"$h_{{{t}}}$"))
        layout.edges.append((f"x{t}", f"h{t}", "$U$"))
        layout.edges.append((f"h{t - 1}", f"h{t}", "$W$"))
        layout.captions.append((x, f"word {t}"))
    x = 2.2 * (T + 1)
    layout.nodes.append(Node("z", "sum", x, 0.0, "$Z$"))
    layout.nodes.append(Node("out", "output", x + 2.0, 0.0, r"$\hat p$"))
    layout.edges += [(f"h{T}", "z", ""), ("z", "out", "")]
    return layout


def draw_rnn_unrolled(T=4, ax=None, *, title=None):
    """Draw `rnn_unrolled_layout(T)`; returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    from .plotting import BLUE, GREEN, ORANGE, SKY

    layout = rnn_unrolled_layout(T)
    ax = ax or plt.subplots(figsize=(12, 3.6))[1]
    colours = {"input": BLUE, "bias": SKY, "hidden": SKY, "sum": ORANGE, "output": GREEN}
    pos = {n.id: (n.x, n.y) for n in layout.nodes}
    for a, b, label in layout.edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        vertical = abs(x1 - x0) < 1e-9
        end = (x1, y1 - 0.45) if vertical else (x1 - 0.45, y1)
        start = (x0, y0 + 0.45) if vertical else (x0 + 0.45, y0)
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", color="0.3", lw=1.6))
        if label:
            ax.text((x0 + x1) / 2 + (0.25 if vertical else 0), (y0 + y1) / 2 + (0 if vertical else 0.25), label,
                    fontsize=14, ha="center", va="center")
    for n in layout.nodes:
        ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=15,
                color="white" if n.kind in ("input", "sum", "output") else "black",
                bbox=dict(boxstyle="circle,pad=0.3", fc=colours[n.kind], ec=colours[n.kind], lw=2))
    for x, name in layout.captions:
        ax.text(x, -2.9, name, ha="center", va="top", fontsize=12, color="0.3")
    ax.set_xlim(-0.8, max(n.x for n in layout.nodes) + 0.8)
    ax.set_ylim(-3.6, 0.9)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


__all__ = ["graph_layout", "draw_model", "GraphLayout", "Node", "rnn_unrolled_layout", "draw_rnn_unrolled"]
