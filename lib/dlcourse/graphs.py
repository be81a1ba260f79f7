"""Predictive models drawn as graphs, generated from the model object.

`graph_layout(model)` is pure: it returns the nodes (inputs, summation nodes,
activation, outputs) and edges with their positions and labels. `draw_model`
draws that layout with matplotlib. The same code draws the logistic model,
the softmax model (one summation node per class) and a flattened image
feeding a softmax model.
"""

from dataclasses import dataclass, field

import numpy as np

from .models import LinearModel, LogisticModel, SoftmaxModel


@dataclass
class Node:
    id: str
    kind: str        # "input", "bias", "ellipsis", "sum", "activation", "output"
    x: float
    y: float
    label: str


@dataclass
class GraphLayout:
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)   # (source id, target id, label)

    def node(self, id):
        return next(n for n in self.nodes if n.id == id)

    def count(self, kind):
        return sum(n.kind == kind for n in self.nodes)


def _column(n):
    """n evenly spaced heights centred on 0."""
    return np.linspace((n - 1) / 2, -(n - 1) / 2, n) if n > 1 else np.zeros(1)


def graph_layout(model, *, max_inputs=6, input_labels=None):
    """Nodes and edges of f_β drawn as a graph (left to right: inputs → Σ → activation → output).

    model : LinearModel, LogisticModel or SoftmaxModel
    max_inputs : with more features than this, the middle ones collapse into "⋮"
    """
    if not isinstance(model, (LinearModel, LogisticModel, SoftmaxModel)):
        raise TypeError(f"model: expected a dlcourse.models model, got {type(model).__name__}")
    p, K = model.n_features, model.n_outputs
    labels = input_labels or [f"$X_{{{j}}}$" for j in range(1, p + 1)]
    shown = list(range(p)) if p <= max_inputs else [*range(max_inputs - 2), None, p - 1]
    layout = GraphLayout()
    ys = _column(len(shown) + 1) * 1.2
    layout.nodes.append(Node("bias", "bias", 0.0, ys[0], "1"))
    for y, j in zip(ys[1:], shown):
        if j is None:
            layout.nodes.append(Node("ellipsis", "ellipsis", 0.0, y, r"$\vdots$"))
        else:
            layout.nodes.append(Node(f"x{j + 1}", "input", 0.0, y, labels[j]))
    sources = [n for n in layout.nodes if n.kind in ("bias", "input")]
    sum_ys = _column(K) * 1.6
    for k, y in enumerate(sum_ys):
        sid = f"z{k + 1}"
        layout.nodes.append(Node(sid, "sum", 2.5, y, "$Z$" if K == 1 else f"$Z_{{{k + 1}}}$"))
        for src in sources:
            j = 0 if src.id == "bias" else int(src.id[1:])
            beta = f"$\\beta_{{{j}}}$" if K == 1 else ""
            layout.edges.append((src.id, sid, beta))
    if model.activation == "identity":
        layout.nodes.append(Node("out1", "output", 5.0, 0.0, r"$\hat Y$"))
        layout.edges.append(("z1", "out1", ""))
        return layout
    act_label = "sigmoid" if model.activation == "sigmoid" else "softmax"
    layout.nodes.append(Node("act", "activation", 4.5, 0.0, act_label))
    for k, y in enumerate(sum_ys):
        layout.edges.append((f"z{k + 1}", "act", ""))
        oid = f"out{k + 1}"
        layout.nodes.append(Node(oid, "output", 6.5, y, r"$\hat p$" if K == 1 else f"$\\hat p_{{{k + 1}}}$"))
        layout.edges.append(("act", oid, ""))
    return layout


def draw_model(model, ax=None, *, max_inputs=6, input_labels=None, title=None):
    """Draw f_β as a graph; returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    from .plotting import BLUE, GREEN, ORANGE, PURPLE

    layout = graph_layout(model, max_inputs=max_inputs, input_labels=input_labels)
    height = max(max(abs(n.y) for n in layout.nodes) * 2 + 1.5, 3)
    ax = ax or plt.subplots(figsize=(9, min(0.55 * height + 1, 8)))[1]
    colours = {"input": BLUE, "bias": BLUE, "sum": ORANGE, "activation": PURPLE, "output": GREEN}
    pos = {n.id: (n.x, n.y) for n in layout.nodes}
    for a, b, label in layout.edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1 - 0.35, y1 + (y0 - y1) * 0.35 / max(x1 - x0, 1e-9)), xytext=(x0 + 0.3, y0),
                    arrowprops=dict(arrowstyle="->", color="0.35", lw=1.2))
        if label:
            t = 0.3
            ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0) + 0.12, label, fontsize=12, ha="center")
    for n in layout.nodes:
        if n.kind == "ellipsis":
            ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=18)
            continue
        box = "round,pad=0.4" if n.kind == "activation" else "circle,pad=0.3"
        ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=14, color="white" if n.kind != "bias" else "black",
                bbox=dict(boxstyle=box, fc=colours[n.kind] if n.kind != "bias" else "white", ec=colours[n.kind], lw=2))
    for x, name in [(0, "input"), (2.5, "summation"), (4.5, "activation"), (6.5, "output")]:
        if model.activation == "identity" and x > 2.5:
            name, x = ("output", 5.0) if x == 6.5 else (None, x)
        if name:
            ax.text(x, min(n.y for n in layout.nodes) - 0.9, name, ha="center", fontsize=12, color="0.3")
    ax.set_xlim(-0.8, 7.3)
    ax.set_ylim(min(n.y for n in layout.nodes) - 1.2, max(n.y for n in layout.nodes) + 0.8)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


__all__ = ["graph_layout", "draw_model", "GraphLayout", "Node"]
