"""A scalar automatic-differentiation engine (lecture 2), in the spirit of micrograd.

A `Value` is one number that remembers how it was computed: its operands and the
operation. Every operation follows the same template:

1. compute the output ``out`` from the operands' ``data``;
2. define, right beside it, ``_backward``: the chain rule for this operation only,
   ``operand.grad += (∂out/∂operand) * out.grad``;
3. return ``out``.

`Value.backward()` visits the graph from the root L back to the inputs and runs
each local ``_backward``; afterwards every node's ``grad`` holds ∂L/∂node.

`logistic_unit` builds lecture 1's logistic regression on one observation as such a
graph; `graph_layout` (pure) and `draw_graph` (matplotlib) show it.
"""

import math
import numbers
from dataclasses import dataclass, field

from ._validation import as_float_array


def _as_value(other, name="other"):
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return Value(other)
    raise TypeError(f"{name}: expected a Value or a real number, got {type(other).__name__}")


class Value:
    """A scalar in a computation graph.

    Parameters
    ----------
    data : real number
    label : str, optional
        A name for drawings and reprs, in the lecture's notation ("β0", "Z", "p̂", "L").

    Attributes
    ----------
    data : float
    grad : float
        ∂L/∂(this value) after ``L.backward()``; 0.0 before.
    op : str
        The operation that produced it ("" for an input).
    """

    # numpy scalars on the left (np.float64(2) * v) must defer to our reflected operators
    # instead of wrapping the Value in an object array.
    __array_ufunc__ = None

    def __init__(self, data, label="", *, _children=(), _op=""):
        if not isinstance(data, numbers.Real) or isinstance(data, bool):
            raise TypeError(f"data: expected a real number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = _op
        self._prev = tuple(_children)     # operands in order; `a * a` lists a twice
        self._backward = lambda: None     # inputs have no operands to pass gradient to

    @property
    def children(self):
        """The operands this value was computed from (empty for an input)."""
        return self._prev

    def __repr__(self):
        extra = (f", op={self.op!r}" if self.op else "") + (f", label={self.label!r}" if self.label else "")
        return f"Value(data={self.data:.3g}, grad={self.grad:.3g}{extra})"

    # ---- operations: forward, then the local chain rule, accumulated with += -------------
    # += and never =: a value used twice (a * a, z + z * a) receives gradient along both uses.

    def __add__(self, other):
        other = _as_value(other)
        out = Value(self.data + other.data, _children=(self, other), _op="+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __sub__(self, other):
        other = _as_value(other)
        out = Value(self.data - other.data, _children=(self, other), _op="-")

        def _backward():
            self.grad += out.grad
            other.grad += -out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = _as_value(other)
        out = Value(self.data * other.data, _children=(self, other), _op="*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = _as_value(other)
        if other.data == 0:
            raise ValueError(f"other: expected a nonzero divisor, got {other!r}")
        out = Value(self.data / other.data, _children=(self, other), _op="/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad += -self.data / other.data ** 2 * out.grad
        out._backward = _backward
        return out

    def __pow__(self, n):
        if not isinstance(n, numbers.Real) or isinstance(n, bool):
            raise TypeError(f"exponent: expected a real number (not a Value), got {type(n).__name__}")
        if self.data < 0 and n != int(n):
            raise ValueError(f"exponent: expected an integer for a negative base {self!r}, got {n}")
        if self.data == 0 and n < 0:
            raise ValueError(f"exponent: expected n >= 0 for a zero base {self!r}, got {n}")
        out = Value(self.data ** n, _children=(self,), _op=f"**{n:g}")

        def _backward():
            # d/da a**n = n a**(n-1); at a = 0 with n < 1 Python would divide by zero
            if self.data == 0 and n < 1:
                local = 0.0 if n == 0 else math.inf
            else:
                local = n * self.data ** (n - 1)
            self.grad += local * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        out = Value(-self.data, _children=(self,), _op="neg")

        def _backward():
            self.grad += -out.grad
        out._backward = _backward
        return out

    def exp(self):
        if self.data > 709.78:        # log(largest float64): exp would overflow
            raise ValueError(f"exp: expected data <= 709.78 (larger overflows), got {self!r}")
        out = Value(math.exp(self.data), _children=(self,), _op="exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log: expected data > 0, got {self!r}")
        out = Value(math.log(self.data), _children=(self,), _op="log")

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), _children=(self,), _op="tanh")

        def _backward():
            self.grad += (1 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        # exp of a negative number only: 1/(1+e^-z) for z >= 0, e^z/(1+e^z) for z < 0
        if self.data >= 0:
            s = 1 / (1 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1 + e)
        out = Value(s, _children=(self,), _op="sigmoid")

        def _backward():
            self.grad += out.data * (1 - out.data) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), _children=(self,), _op="relu")

        def _backward():
            self.grad += (self.data > 0) * out.grad     # derivative 0 at 0, as in PyTorch
        out._backward = _backward
        return out

    # plain numbers on the left: 2 * v, 1 - v, 3 / v
    def __radd__(self, other):
        return _as_value(other) + self

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rmul__(self, other):
        return _as_value(other) * self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    # ---- the whole graph ----------------------------------------------------------------

    def topological_order(self):
        """Every node of the graph ending here, each after its operands (this value last)."""
        # iterative depth-first search: a recursive one fails on graphs deeper than ~1000
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, operands_done = stack.pop()
            if operands_done:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if child not in seen)
        return order

    def zero_grad(self):
        """Set grad = 0 on every node of the graph ending here."""
        for node in self.topological_order():
            node.grad = 0.0

    def backward(self):
        """Fill every node's grad with ∂(this value)/∂node by the chain rule.

        Grads are reset first, so calling backward twice gives the same grads, not twice
        them. (A node shared with another graph loses that graph's grads.)
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0                       # ∂L/∂L
        for node in reversed(order):          # each node's grad is complete before it is passed on
            node._backward()


def logistic_unit(x, beta, y):
    """Lecture 1's logistic regression on one observation, as a graph of Values.

    Z = β0 + β1 X1 + ... + βp Xp,  p̂ = sigmoid(Z),
    L = −[y log p̂ + (1 − y) log(1 − p̂)].
    After ``L.backward()``: ∂L/∂β_j = (p̂ − y) X_j (with X_0 = 1) and ∂L/∂Z = p̂ − y.

    Parameters
    ----------
    x : array-like, shape (p,)
        One observation's features X1..Xp.
    beta : array-like, shape (p + 1,)
        β0 (intercept) first, then β1..βp.
    y : real number in [0, 1]
        The label.

    Returns
    -------
    L : Value
        The root; its graph holds nodes labelled "β0".."βp", "X1".."Xp", "β1·X1", ...,
        "Z", "p̂", "log p̂", "1 − p̂", "log(1 − p̂)" and "L". |Z| must stay below about 36,
        where 1 − p̂ rounds to 0 and its log is undefined.
    """
    x = as_float_array(x, "x", ndim=1)
    beta = as_float_array(beta, "beta", ndim=1)
    p = x.shape[0]
    if beta.shape != (p + 1,):
        raise ValueError(f"beta: expected {p + 1} entries (β0, then one per feature of x), got shape {beta.shape}")
    if not isinstance(y, numbers.Real) or isinstance(y, bool):
        raise TypeError(f"y: expected a real number in [0, 1], got {type(y).__name__}")
    if not 0 <= y <= 1:
        raise ValueError(f"y: expected a real number in [0, 1], got {y}")

    betas = [Value(float(b), f"β{j}") for j, b in enumerate(beta)]
    X = [Value(float(v), f"X{j}") for j, v in enumerate(x, start=1)]
    Z = betas[0]
    for j in range(1, p + 1):
        product = betas[j] * X[j - 1]
        product.label = f"β{j}·X{j}"
        Z = Z + product
    Z.label = "Z"
    p_hat = Z.sigmoid()
    p_hat.label = "p̂"
    log_p = p_hat.log()
    log_p.label = "log p̂"
    one_minus = 1 - p_hat
    one_minus.label = "1 − p̂"
    log_1m = one_minus.log()
    log_1m.label = "log(1 − p̂)"
    # the label as labelled constants, so the drawing says what each box is
    L = -(Value(y, "y") * log_p + Value(1 - y, "1 − y") * log_1m)
    L.label = "L"
    return L


# ---- drawing the graph ----------------------------------------------------------------

_CHAR_WIDTH = 0.09    # inches per character at font size 11 (digits are the widest)
_ROW_HEIGHT = 1.0     # inches between nodes of one column
_OP_WIDTH = 0.9


@dataclass
class Node:
    id: str
    kind: str        # "value" or "op"
    x: float         # centre, in inches at font size 11
    y: float
    label: str
    width: float     # estimated box size, for spacing (and for checking there is no overlap)
    height: float


@dataclass
class GraphLayout:
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)   # (source id, target id); an operand used twice gives two

    def node(self, id):
        return next(n for n in self.nodes if n.id == id)

    def count(self, kind):
        return sum(n.kind == kind for n in self.nodes)


def _number(v):
    if v == 0:
        return "0.00"         # also for -0.0
    return f"{v:.2f}" if 0.01 <= abs(v) < 1e4 else f"{v:.2e}"


def value_text(v):
    """A value node's text: "Z | data 0.40 | grad 0.23" (no label part when unlabelled)."""
    fields = ([v.label] if v.label else []) + [f"data {_number(v.data)}", f"grad {_number(v.grad)}"]
    return " | ".join(fields)


def graph_layout(root):
    """Positions of the values (boxes) and operations (circles) of the graph ending at `root`.

    Columns run left to right by the longest path to the root (inputs left, root right),
    so each constant sits next to the operation that uses it; value columns and operation
    columns alternate. Within a column, nodes are ordered by the mean height of the nodes
    they feed (fewer crossings) and spaced one row apart.

    Returns a GraphLayout: nodes ("v{i}" values, "op{i}" the operation that made value i)
    and edges (operand → operation → result).
    """
    if not isinstance(root, Value):
        raise TypeError(f"root: expected a Value, got {type(root).__name__}")
    order = root.topological_order()
    index = {v: i for i, v in enumerate(order)}
    depth = {root: 0}               # longest path to the root, counting operation nodes
    for v in reversed(order):       # consumers come before their operands here
        for child in v._prev:
            depth[child] = max(depth.get(child, 0), depth[v] + 2)

    nodes, consumers, edges = {}, {}, []
    for v in order:
        i = index[v]
        text = value_text(v)
        width = _CHAR_WIDTH * max(len(f) for f in text.split(" | ")) + 0.4
        nodes[f"v{i}"] = Node(f"v{i}", "value", 0.0, 0.0, text, width, 0.75)
        if v.op:
            nodes[f"op{i}"] = Node(f"op{i}", "op", 0.0, 0.0, v.op, _OP_WIDTH - 0.2, 0.6)
            edges.append((f"op{i}", f"v{i}"))
            consumers.setdefault(f"op{i}", []).append(f"v{i}")
            for child in v._prev:
                edges.append((f"v{index[child]}", f"op{i}"))
                consumers.setdefault(f"v{index[child]}", []).append(f"op{i}")
    column = {f"v{index[v]}": depth[v] for v in order}
    column.update({f"op{index[v]}": depth[v] + 1 for v in order if v.op})

    n_columns = max(column.values()) + 1
    members = [[] for _ in range(n_columns)]
    for node_id in nodes:
        members[column[node_id]].append(node_id)
    # x: columns from the root leftwards, each as wide as its widest node
    x = 0.0
    for c in range(n_columns):
        width = max(nodes[n].width for n in members[c])
        for n in members[c]:
            nodes[n].x = -(x + width / 2)
        x += width + 0.3
        ids = members[c]
        if c > 0:   # consumers sit in columns already placed (to the right)
            ids.sort(key=lambda n: sum(nodes[m].y for m in consumers[n]) / len(consumers[n]), reverse=True)
        for k, n in enumerate(ids):
            nodes[n].y = ((len(ids) - 1) / 2 - k) * _ROW_HEIGHT
    shift = -min(n.x - n.width / 2 for n in nodes.values())
    for n in nodes.values():
        n.x += shift
    return GraphLayout(list(nodes.values()), edges)


def draw_graph(root, ax=None):
    """Draw the graph ending at `root`: values as boxes, operations as circles, arrows left to right.

    Each box shows the fields of its layout label one per line (label, data, grad).
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    layout = graph_layout(root)
    xlim = (min(n.x - n.width / 2 for n in layout.nodes) - 0.3, max(n.x + n.width / 2 for n in layout.nodes) + 0.3)
    ylim = (min(n.y - n.height / 2 for n in layout.nodes) - 0.3, max(n.y + n.height / 2 for n in layout.nodes) + 0.3)
    if ax is None:
        # one layout unit = one inch, the scale at which the layout sized the boxes for font 11
        fig = plt.figure(figsize=(xlim[1] - xlim[0], ylim[1] - ylim[0]))
        ax = fig.add_axes((0, 0, 1, 1))
    texts = {}
    for n in layout.nodes:
        if n.kind == "value":
            box = dict(boxstyle="round,pad=0.4", facecolor="#e8f0fa", edgecolor="#2a5a8a")
            texts[n.id] = ax.text(n.x, n.y, n.label.replace(" | ", "\n"), ha="center", va="center",
                                  fontsize=11, bbox=box)
        else:
            box = dict(boxstyle="circle,pad=0.3", facecolor="#fdf0d8", edgecolor="#a06a10")
            texts[n.id] = ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=12, bbox=box)
    for src, dst in layout.edges:
        # anchored to the text artists so the arrows meet the boxes at any figure size
        ax.annotate("", xy=(0, 0.5), xycoords=texts[dst], xytext=(1, 0.5), textcoords=texts[src],
                    arrowprops=dict(arrowstyle="->", color="0.35", shrinkA=7, shrinkB=7))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    return ax
