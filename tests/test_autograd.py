"""The scalar autograd engine against PyTorch's autograd, closed forms and hand counts."""

import math

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from dlcourse.autograd import Value, draw_graph, graph_layout, logistic_unit  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12
N_INPUTS = 3


# ---- random expression trees, evaluated by the same code on Values and on torch tensors ----
# Every method used (exp, log, tanh, sigmoid, relu, **, reflected operators) exists on both.

def _safe_positive(a):
    return a * a + 1           # > 0 whatever a is: a safe argument for log, ** 0.5, division


def _on_positive(f):
    """f(w) + w with w = a² + 1: w is positive, and shared, so f's backward must accumulate."""
    def apply(a, *rest):
        w = _safe_positive(rest[0] if rest else a)
        return (f(a, w) if rest else f(w)) + w
    return apply


UNARY = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "exp": lambda a: a.exp(),
    "log": _on_positive(lambda w: w.log()),
    "sqrt": _on_positive(lambda w: w ** 0.5),
    "square": lambda a: a ** 2,
    "cube": lambda a: a ** 3,
    "inverse": _on_positive(lambda w: 1 / w),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": _on_positive(lambda a, w: a / w),
}
WITH_CONSTANT = {   # (constant on the left, constant on the right): 2 * v, v * 2, 1 - v, v / 3, 3 / v ...
    "add": (lambda c, a: c + a, lambda c, a: a + c),
    "sub": (lambda c, a: c - a, lambda c, a: a - c),
    "mul": (lambda c, a: c * a, lambda c, a: a * c),
    "div": (lambda c, a: c / _safe_positive(a), lambda c, a: a / c),
}


def _extend(children):
    constants = st.sampled_from([-2.0, -0.5, 0.5, 1.0, 3.0])
    return st.one_of(
        st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), children, children),
        st.tuples(st.just("constant"), st.sampled_from(sorted(WITH_CONSTANT)), constants, st.booleans(), children),
        # shared sub-expressions: one node used twice, where `=` instead of `+=` loses gradient
        st.tuples(st.just("twice"), st.sampled_from(["add", "sub", "mul"]), children),
        st.tuples(st.just("reuse"), children, children),
        # an operation's output combined with its own operand: u(s) + s or s * u(s), ...
        st.tuples(st.just("feedback"), st.sampled_from(sorted(UNARY)), st.sampled_from(sorted(BINARY)),
                  st.booleans(), children),
    )


expressions = st.recursive(st.tuples(st.just("x"), st.integers(0, N_INPUTS - 1)), _extend, max_leaves=8)
inputs = st.lists(st.floats(-2, 2, allow_nan=False), min_size=N_INPUTS, max_size=N_INPUTS)


def evaluate(tree, leaves, trace, cache=None):
    """Build the expression; equal subtrees become one shared node (so sharing is common)."""
    cache = {} if cache is None else cache
    if tree not in cache:
        cache[tree] = _build(tree, leaves, trace, cache)
    return cache[tree]


def _build(tree, leaves, trace, cache):
    kind = tree[0]
    if kind == "x":
        return leaves[tree[1]]
    if kind == "unary":
        out = UNARY[tree[1]](evaluate(tree[2], leaves, trace, cache))
    elif kind == "binary":
        out = BINARY[tree[1]](evaluate(tree[2], leaves, trace, cache), evaluate(tree[3], leaves, trace, cache))
    elif kind == "constant":
        _, name, c, on_left, sub = tree
        out = WITH_CONSTANT[name][0 if on_left else 1](c, evaluate(sub, leaves, trace, cache))
    elif kind == "twice":
        s = evaluate(tree[2], leaves, trace, cache)
        out = BINARY[tree[1]](s, s)
    elif kind == "reuse":                   # z = a*b; z + z*a: both z and a are shared
        a = evaluate(tree[1], leaves, trace, cache)
        z = a * evaluate(tree[2], leaves, trace, cache)
        out = z + z * a
    else:
        _, unary, binary, operand_first, sub = tree
        s = evaluate(sub, leaves, trace, cache)
        u = UNARY[unary](s)
        out = BINARY[binary](s, u) if operand_first else BINARY[binary](u, s)
    trace.append(out)
    return out


def torch_gradients(torch, tree, xs):
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    trace = []
    out = evaluate(tree, leaves, trace)
    # keep to trees whose intermediate values stay moderate (exp of exp of ... overflows)
    assume(all(math.isfinite(t.item()) and abs(t.item()) < 1e8 for t in trace))
    out.backward()
    grads = [0.0 if t.grad is None else float(t.grad) for t in leaves]
    return out.item(), grads


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(tree=expressions, xs=inputs)
def test_random_expression_gradients_match_torch(torch, tree, xs):
    """Value and grad of random expressions (shared sub-expressions included) equal torch.autograd's."""
    expected_value, expected_grads = torch_gradients(torch, tree, xs)
    leaves = [Value(x) for x in xs]
    out = evaluate(tree, leaves, [])
    out.backward()
    assert out.data == pytest.approx(expected_value, rel=RTOL, abs=ATOL)
    np.testing.assert_allclose([v.grad for v in leaves], expected_grads, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("build, closed_form", [
    (lambda a, b: a * a, lambda a, b: (2 * a, 0.0)),
    (lambda a, b: a + a + a, lambda a, b: (3.0, 0.0)),
    (lambda a, b: (lambda z: z + z * a)(a * b), lambda a, b: (b + 2 * a * b, a + a * a)),
    (lambda a, b: (lambda s: s * s.exp())(a * b), lambda a, b: ((1 + a * b) * math.exp(a * b) * b,
                                                                (1 + a * b) * math.exp(a * b) * a)),
])
def test_shared_subexpressions_accumulate_gradient(torch, build, closed_form):
    """A node used twice collects gradient from both uses (closed form and torch agree)."""
    a0, b0 = 0.7, -1.3
    a, b = Value(a0), Value(b0)
    build(a, b).backward()
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a0, b0))
    build(ta, tb).backward()
    torch_grads = [0.0 if t.grad is None else float(t.grad) for t in (ta, tb)]
    np.testing.assert_allclose([a.grad, b.grad], closed_form(a0, b0), rtol=RTOL)
    np.testing.assert_allclose([a.grad, b.grad], torch_grads, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("f", [
    lambda v: 2 * v, lambda v: 1 - v, lambda v: v / 3, lambda v: 3 / v, lambda v: 2 + v,
    lambda v: v ** 3, lambda v: v ** -1.5, lambda v: v ** 0.5, lambda v: -v,
    lambda v: v.exp(), lambda v: v.log(), lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v.relu(),
    lambda v: np.float64(2.5) * v,
], ids=["2*v", "1-v", "v/3", "3/v", "2+v", "v**3", "v**-1.5", "v**0.5", "-v",
        "exp", "log", "tanh", "sigmoid", "relu", "np.float64*v"])
@pytest.mark.parametrize("x", [0.3, 1.7, 25.0])
def test_each_operation_matches_torch(torch, f, x):
    """Each operation, with plain numbers on either side, against torch at small and large inputs."""
    v = Value(x)
    out = f(v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tout = f(t)
    tout.backward()
    assert isinstance(out, Value)
    assert out.data == pytest.approx(tout.item(), rel=RTOL)
    assert v.grad == pytest.approx(float(t.grad), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("x", [-3.0, -1e-3, 0.0, 2.0])
@pytest.mark.parametrize("f", [lambda v: v.relu(), lambda v: v ** 3, lambda v: v ** 2, lambda v: v ** 0],
                         ids=["relu", "v**3", "v**2", "v**0"])
def test_negative_and_zero_inputs_match_torch(torch, f, x):
    """relu's kink and integer powers of negative bases, as torch differentiates them."""
    v = Value(x)
    f(v).backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    f(t).backward()
    assert v.grad == pytest.approx(float(t.grad), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("z", [-800.0, -40.0, 40.0, 800.0])
def test_sigmoid_is_stable_for_large_inputs(torch, z):
    """No overflow at |Z| = 800; value and gradient equal torch's."""
    v = Value(z)
    s = v.sigmoid()
    s.backward()
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(t).backward()
    assert s.data == pytest.approx(float(torch.sigmoid(t.detach())), rel=RTOL, abs=1e-300)
    assert v.grad == pytest.approx(float(t.grad), rel=1e-8, abs=1e-300)


def test_backward_twice_gives_the_same_gradients():
    """backward resets the grads first, so a second call does not double them."""
    a, b = Value(2.0), Value(-3.0)
    L = a * b + a
    L.backward()
    L.backward()
    assert (a.grad, b.grad, L.grad) == (b.data + 1, a.data, 1.0)


def test_zero_grad_clears_the_whole_graph():
    """zero_grad sets grad = 0 on every node that feeds the root."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    L = c.tanh()
    L.backward()
    L.zero_grad()
    assert [a.grad, b.grad, c.grad, L.grad] == [0.0, 0.0, 0.0, 0.0]


def test_deep_graph_does_not_hit_the_recursion_limit():
    """20,000 chained operations: backward works and matches the closed form d/da (a·1.0001^n)."""
    n = 20_000
    a = Value(-3.0)
    x = a
    for _ in range(n):
        x = x * 1.0001
    x.backward()
    assert a.grad == pytest.approx(1.0001 ** n, rel=1e-9)
    assert len(x.topological_order()) == 2 * n + 1      # a, then each constant and product


def test_topological_order_lists_each_node_once_after_its_operands():
    """Hand-built graph: 5 nodes, each after the ones it was computed from, root last."""
    a, b = Value(1.0, "a"), Value(2.0, "b")
    z = a * b
    za = z * a
    L = z + za
    order = L.topological_order()
    assert len(order) == 5 and set(order) == {a, b, z, za, L}
    assert order[-1] is L
    position = {node: i for i, node in enumerate(order)}
    for node, operands in [(z, (a, b)), (za, (z, a)), (L, (z, za))]:
        assert all(position[o] < position[node] for o in operands)
    assert L.children == (z, za) and L.op == "+"


def test_repr_shows_data_grad_op_and_label():
    """The repr reads like the lecture's annotated node."""
    v = Value(1.0)
    p_hat = v.sigmoid()
    p_hat.label = "p̂"
    p_hat.backward()
    assert repr(p_hat) == "Value(data=0.731, grad=1, op='sigmoid', label='p̂')"
    assert repr(v) == "Value(data=1, grad=0.197)"       # σ(1)(1 − σ(1)) = 0.1966


# ---- the logistic unit --------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(
    x=st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=4),
    beta_seed=st.integers(0, 2**32 - 1),
    y=st.sampled_from([0.0, 1.0, 0.3]),
)
def test_logistic_unit_gradient_is_p_hat_minus_y_times_x(torch, x, beta_seed, y):
    """∂L/∂β_j = (p̂ − y) X_j with X_0 = 1, and L and all ∂L/∂β_j equal torch's."""
    beta = np.random.default_rng(beta_seed).normal(size=len(x) + 1)
    L = logistic_unit(x, beta, y)
    L.backward()
    nodes = {v.label: v for v in L.topological_order() if v.label}
    grads = np.array([nodes[f"β{j}"].grad for j in range(len(x) + 1)])

    X1 = np.concatenate([[1.0], x])
    p_hat = 1 / (1 + np.exp(-X1 @ beta))
    np.testing.assert_allclose(grads, (p_hat - y) * X1, rtol=1e-9, atol=1e-12)
    assert nodes["p̂"].data == pytest.approx(p_hat, rel=1e-12)
    assert nodes["Z"].grad == pytest.approx(p_hat - y, rel=1e-9, abs=1e-12)

    tb = torch.tensor(beta, dtype=torch.float64, requires_grad=True)
    tp = torch.sigmoid(tb[0] + torch.tensor(x, dtype=torch.float64) @ tb[1:])
    tL = -(y * torch.log(tp) + (1 - y) * torch.log(1 - tp))
    tL.backward()
    assert L.data == pytest.approx(tL.item(), rel=RTOL)
    np.testing.assert_allclose(grads, tb.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert [nodes[f"X{j}"].data for j in range(1, len(x) + 1)] == list(x)


# ---- errors ---------------------------------------------------------------------------------

def test_errors_name_the_argument():
    """TypeError/ValueError messages say what was expected and what arrived."""
    v = Value(2.0, "β0")
    with pytest.raises(TypeError, match="other: expected a Value or a real number, got str"):
        v + "a"
    with pytest.raises(TypeError, match="other: expected a Value or a real number, got str"):
        "a" * v
    with pytest.raises(TypeError, match="other: expected a Value or a real number, got list"):
        v - [1.0]
    with pytest.raises(TypeError, match="data: expected a real number, got str"):
        Value("3")
    with pytest.raises(TypeError, match=r"exponent: expected a real number \(not a Value\), got Value"):
        v ** Value(2.0)
    with pytest.raises(ValueError, match=r"log: expected data > 0, got Value\(data=-1, .*label='Z'\)"):
        Value(-1.0, "Z").log()
    with pytest.raises(ValueError, match=r"log: expected data > 0, got Value\(data=0"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="other: expected a nonzero divisor"):
        v / 0
    with pytest.raises(ValueError, match="exponent: expected an integer for a negative base"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="exp: expected data <= 709.78"):
        Value(710.0).exp()


def test_logistic_unit_checks_its_input():
    """Lengths of x and β, the range of y and non-numbers are reported by name."""
    with pytest.raises(ValueError, match=r"beta: expected 3 entries \(β0, then one per feature of x\), got shape \(2,\)"):
        logistic_unit([1.0, 2.0], [0.1, 0.2], 1)
    with pytest.raises(ValueError, match=r"y: expected a real number in \[0, 1\], got 2"):
        logistic_unit([1.0], [0.1, 0.2], 2)
    with pytest.raises(TypeError, match="y: expected a real number in .*, got str"):
        logistic_unit([1.0], [0.1, 0.2], "1")
    with pytest.raises(ValueError, match="x: expected a 1-D array"):
        logistic_unit([[1.0]], [0.1, 0.2], 1)


# ---- layout and drawing -----------------------------------------------------------------------

def _shared_graph():
    a, b = Value(1.5, "a"), Value(-2.0, "b")
    z = a * b
    z.label = "z"
    L = z + z * a
    L.label = "L"
    L.backward()
    return a, b, z, L


def _assert_no_overlaps(layout):
    for i, m in enumerate(layout.nodes):
        for n in layout.nodes[i + 1:]:
            apart_x = abs(m.x - n.x) >= (m.width + n.width) / 2
            apart_y = abs(m.y - n.y) >= (m.height + n.height) / 2
            assert apart_x or apart_y, (m, n)


def test_layout_of_a_shared_graph():
    """z = a·b; L = z + z·a: 5 values + 3 operations, edges left to right, labels with data and grad."""
    a, b, z, L = _shared_graph()
    layout = graph_layout(L)
    assert layout.count("value") == 5 and layout.count("op") == 3 and len(layout.nodes) == 8
    labels = {n.label for n in layout.nodes if n.kind == "value"}
    # ∂L/∂a = b + 2ab = -8, ∂L/∂b = a + a² = 3.75, ∂L/∂z = 1 + a = 2.5
    assert {"a | data 1.50 | grad -8.00", "b | data -2.00 | grad 3.75",
            "z | data -3.00 | grad 2.50", "L | data -7.50 | grad 1.00"} <= labels
    assert sorted(n.label for n in layout.nodes if n.kind == "op") == ["*", "*", "+"]
    assert len(layout.edges) == 3 + 2 * 3          # op → result, and two operands per op
    by_id = {n.id: n for n in layout.nodes}
    assert all(by_id[s].x < by_id[d].x for s, d in layout.edges)
    root = next(n for n in layout.nodes if n.label.startswith("L |"))
    assert root.x == max(n.x for n in layout.nodes)
    _assert_no_overlaps(layout)


def test_layout_of_the_logistic_unit():
    """p = 2: 20 values and 12 operations (hand count); inputs in the leftmost column; no overlaps."""
    L = logistic_unit([1.0, -2.0], [0.5, 0.3, -0.2], 1.0)
    L.backward()
    layout = graph_layout(L)
    assert layout.count("value") == 20 and layout.count("op") == 12
    p_hat = 1 / (1 + math.exp(-(0.5 + 0.3 * 1.0 - 0.2 * -2.0)))
    z_label = next(n.label for n in layout.nodes if n.label.startswith("Z |"))
    assert z_label == f"Z | data 1.20 | grad {p_hat - 1:.2f}"
    leftmost = min(n.x for n in layout.nodes)
    assert {n.label.split(" |")[0] for n in layout.nodes if n.x == leftmost} == {"X1", "β1"}
    _assert_no_overlaps(layout)
    for n in layout.nodes:
        if n.kind == "value":
            assert "data " in n.label and " | grad " in n.label


@settings(max_examples=40, deadline=None)
@given(tree=expressions, xs=inputs)
def test_random_graphs_lay_out_without_overlaps(tree, xs):
    """Any expression: every node placed once, edges point right, no two boxes overlap."""
    leaves = [Value(x) for x in xs]
    out = evaluate(tree, leaves, [])
    assume(isinstance(out, Value))
    layout = graph_layout(out)
    assert len({n.id for n in layout.nodes}) == len(layout.nodes)
    by_id = {n.id: n for n in layout.nodes}
    assert all(by_id[s].x < by_id[d].x for s, d in layout.edges)
    _assert_no_overlaps(layout)


def test_draw_graph_shows_every_node_headless():
    """draw_graph returns an Axes with each value's label/data/grad and each operation, font >= 11."""
    import matplotlib.pyplot as plt

    a, b, z, L = _shared_graph()
    ax = draw_graph(L)
    ax.figure.canvas.draw()           # arrows anchored to the boxes resolve at draw time
    texts = [t for t in ax.texts if t.get_text()]
    shown = [t.get_text() for t in texts]
    assert "z\ndata -3.00\ngrad 2.50" in shown and "a\ndata 1.50\ngrad -8.00" in shown
    assert sorted(s for s in shown if "\n" not in s) == ["*", "*", "+"]
    assert len(texts) == 8 and all(t.get_fontsize() >= 11 for t in texts)
    assert len(ax.texts) - len(texts) == 9        # one arrow per edge
    fig, given_ax = plt.subplots()
    assert draw_graph(L, ax=given_ax) is given_ax
    plt.close("all")


def test_layout_rejects_non_values():
    """graph_layout names its argument when given a plain number."""
    with pytest.raises(TypeError, match="root: expected a Value, got float"):
        graph_layout(1.0)
