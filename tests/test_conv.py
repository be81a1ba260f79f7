import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse import conv


@st.composite
def conv_cases(draw):
    """A batch x, filters W, biases b and (padding, stride) for which the kernel fits."""
    n, C, C_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k, padding, stride = draw(st.integers(1, 4)), draw(st.integers(0, 2)), draw(st.integers(1, 3))
    smallest = max(1, k - 2 * padding)
    H, W = draw(st.integers(smallest, 7)), draw(st.integers(smallest, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(n, C, H, W))
    return x, rng.normal(size=(C_out, C, k, k)), rng.normal(size=C_out), padding, stride


def torch_conv(torch, x, W, b, padding, stride):
    return torch.nn.functional.conv2d(
        torch.tensor(x), torch.tensor(W), None if b is None else torch.tensor(b),
        padding=padding, stride=stride,
    )


def count_positions(n, k, padding, stride):
    """Independent of the formula: count the window starts that fit in the padded side."""
    return sum(1 for start in range(0, n + 2 * padding, stride) if start + k <= n + 2 * padding)


@settings(max_examples=40, deadline=None)
@given(conv_cases(), st.booleans())
def test_conv2d_and_loops_match_torch(torch, case, with_bias):
    x, W, b, padding, stride = case
    b = b if with_bias else None
    expected = torch_conv(torch, x, W, b, padding, stride).numpy()
    for f in (conv.conv2d, conv.conv2d_loops):
        S = f(x, W, b, padding=padding, stride=stride)
        np.testing.assert_allclose(S, expected, rtol=1e-12, atol=1e-12)
        S1 = f(x[0], W, b, padding=padding, stride=stride)          # one image (C, H, W)
        np.testing.assert_allclose(S1, expected[0], rtol=1e-12, atol=1e-12)
    k = W.shape[2]
    assert expected.shape[2:] == tuple(
        conv.output_size(side, k, padding=padding, stride=stride) for side in x.shape[2:]
    )


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_conv2d_backward_matches_torch_autograd(torch, case):
    x, W, b, padding, stride = case
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    S = torch.nn.functional.conv2d(xt, Wt, bt, padding=padding, stride=stride)
    dS = np.random.default_rng(0).normal(size=tuple(S.shape))
    (S * torch.tensor(dS)).sum().backward()                       # L = Σ S·dS, so ∂L/∂S = dS
    dx, dW, db = conv.conv2d_backward(x, W, dS, padding=padding, stride=stride)
    for ours, theirs in ((dx, xt), (dW, Wt), (db, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    dx1, dW1, db1 = conv.conv2d_backward(x[0], W, dS[0], padding=padding, stride=stride)
    assert dx1.shape == x.shape[1:] and dW1.shape == W.shape and db1.shape == b.shape


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 2), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9),
    st.integers(1, 3), st.one_of(st.none(), st.integers(1, 3)), st.integers(0, 2**32 - 1),
)
def test_max_pool_and_backward_match_torch(torch, n, C, H, W, size, stride, seed):
    size = min(size, H, W)
    x = np.random.default_rng(seed).normal(size=(n, C, H, W))    # continuous: no ties
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(xt, size, stride=stride)
    dOut = np.random.default_rng(seed + 1).normal(size=tuple(out.shape))
    (out * torch.tensor(dOut)).sum().backward()
    np.testing.assert_array_equal(conv.max_pool2d(x, size, stride), out.detach().numpy())
    np.testing.assert_allclose(
        conv.max_pool2d_backward(x, dOut, size, stride), xt.grad.numpy(), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(conv.max_pool2d(x[0], size, stride), out.detach().numpy()[0])


@settings(deadline=None)          # a busy machine may stall one example past Hypothesis' 200 ms
@given(st.integers(1, 30), st.integers(1, 8), st.integers(0, 3), st.integers(1, 4))
def test_output_size_counts_window_positions(n, k, padding, stride):
    if k > n + 2 * padding:
        with pytest.raises(ValueError, match=r"kernel_size: expected at most"):
            conv.output_size(n, k, padding=padding, stride=stride)
    else:
        assert conv.output_size(n, k, padding=padding, stride=stride) == count_positions(n, k, padding, stride)


def test_output_size_examples():
    assert conv.output_size(28, 5) == 24                          # the MNIST example: 28 - 5 + 1
    assert conv.output_size(28, 3, padding=1) == 28               # "same" padding keeps the size
    assert conv.output_size(32, 3, padding=1, stride=2) == 16


def test_feature_map_matches_torch(torch, rng):
    image, kernel = rng.normal(size=(9, 7)), rng.normal(size=(3, 3))
    expected = torch.nn.functional.conv2d(
        torch.tensor(image)[None, None], torch.tensor(kernel)[None, None], padding=1, stride=2
    )[0, 0].numpy()
    np.testing.assert_allclose(conv.feature_map(image, kernel, padding=1, stride=2), expected, atol=1e-12)


def edge_images():
    """A vertical edge (bright left half) and a horizontal edge (bright top half), 8×8."""
    vertical = np.zeros((8, 8))
    vertical[:, :4] = 1.0
    return vertical, vertical.T.copy()


def test_edge_filters_respond_to_their_own_edge_only():
    vertical, horizontal = edge_images()
    for name, own, other in (("vertical edge", vertical, horizontal), ("horizontal edge", horizontal, vertical)):
        kernel = conv.filter_named(name)
        assert np.abs(conv.feature_map(own, kernel)).max() == pytest.approx(4.0)  # 1+2+1 across the edge
        np.testing.assert_allclose(conv.feature_map(other, kernel), 0.0, atol=1e-12)


def test_vertical_edge_map_is_nonzero_only_at_the_edge():
    vertical, _ = edge_images()
    S = conv.feature_map(vertical, conv.filter_named("vertical edge"))   # (6, 6); window j covers columns j..j+2
    np.testing.assert_allclose(S[:, [2, 3]], 4.0)                 # windows straddling columns 3|4
    np.testing.assert_allclose(S[:, [0, 1, 4, 5]], 0.0)


@pytest.mark.parametrize("name", ["blur", "sharpen", "identity"])
def test_smoothing_filters_keep_a_constant_image_interior(name):
    image = np.full((6, 5), 3.5)
    S = conv.feature_map(image, conv.filter_named(name), padding=1)
    np.testing.assert_allclose(S[1:-1, 1:-1], 3.5, rtol=1e-12)


def test_identity_filter_returns_the_image(rng):
    image = rng.normal(size=(5, 6))
    np.testing.assert_array_equal(conv.feature_map(image, conv.filter_named("identity"), padding=1), image)


def test_filters_are_3x3_and_protected():
    assert set(conv.FILTERS) == {"vertical edge", "horizontal edge", "blur", "sharpen", "identity"}
    assert all(f.shape == (3, 3) for f in conv.FILTERS.values())
    with pytest.raises(ValueError, match="read-only"):
        conv.FILTERS["blur"][0, 0] = 1.0
    copy = conv.filter_named("blur")
    copy[0, 0] = 100.0                                            # students may edit their copy
    assert conv.FILTERS["blur"][0, 0] == pytest.approx(1 / 16)


def test_unknown_filter_lists_the_choices():
    with pytest.raises(ValueError, match=r"name: expected one of 'vertical edge', .*'identity', got 'edges'"):
        conv.filter_named("edges")


def test_permute_pixels_uses_one_bijection_for_every_image(rng):
    X = rng.normal(size=(4, 3, 5))
    Xp, perm = conv.permute_pixels(X, seed=7)
    assert Xp.shape == X.shape and sorted(perm.tolist()) == list(range(15))
    flat = X.reshape(4, 15)
    for a in range(4):                                            # the same permutation, pixel by pixel
        for j in range(15):
            assert Xp.reshape(4, 15)[a, j] == flat[a, perm[j]]
    np.testing.assert_array_equal(Xp.reshape(4, 15)[:, np.argsort(perm)], flat)   # the inverse undoes it


def test_permute_pixels_seed_int_and_generator_reproducible(rng):
    X = rng.normal(size=(3, 20))
    a, perm_a = conv.permute_pixels(X, seed=3)
    b, perm_b = conv.permute_pixels(X, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(perm_a, perm_b)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(perm_a, np.random.default_rng(3).permutation(20))
    assert not np.array_equal(conv.permute_pixels(X, seed=4)[1], perm_a)


def test_permute_pixels_keeps_dtype():
    X = np.arange(2 * 2 * 3, dtype=np.uint8).reshape(2, 2, 3)
    Xp, perm = conv.permute_pixels(X)
    assert Xp.dtype == np.uint8
    np.testing.assert_array_equal(np.sort(Xp.reshape(2, -1), axis=1), X.reshape(2, -1))


@pytest.mark.parametrize("C_in, C_out, k", [(1, 6, 5), (3, 16, 3), (64, 128, 1)])
def test_n_params_conv_matches_torch(torch, C_in, C_out, k):
    layer = torch.nn.Conv2d(C_in, C_out, k)
    assert conv.n_params_conv(C_in, C_out, k) == sum(p.numel() for p in layer.parameters())


@pytest.mark.parametrize("fan_in, fan_out", [(784, 100), (1, 1), (3 * 32 * 32, 10)])
def test_n_params_dense_matches_torch(torch, fan_in, fan_out):
    layer = torch.nn.Linear(fan_in, fan_out)
    assert conv.n_params_dense(fan_in, fan_out) == sum(p.numel() for p in layer.parameters())


def test_errors():
    x, W = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3))
    for f in (conv.conv2d, conv.conv2d_loops):
        with pytest.raises(ValueError, match=r"x: expected a \(C, H, W\) or \(n, C, H, W\) array, got shape \(5, 5\)"):
            f(np.zeros((5, 5)), W)
        with pytest.raises(ValueError, match=r"W: expected 2 input channels to match x's C = 2, got shape \(3, 1, 3, 3\)"):
            f(x, np.zeros((3, 1, 3, 3)))
        with pytest.raises(ValueError, match=r"W: expected a \(C_out, C, k, k\) array of square filters"):
            f(x, np.zeros((3, 2, 3, 2)))
        with pytest.raises(ValueError, match=r"W: expected a kernel of at most 5 pixels .* got k = 6"):
            f(x, np.zeros((3, 2, 6, 6)))
        with pytest.raises(ValueError, match=r"b: expected 3 entries \(one per filter\), got shape \(2,\)"):
            f(x, W, np.zeros(2))
        with pytest.raises(ValueError, match=r"stride: expected an integer >= 1, got 0"):
            f(x, W, stride=0)
        with pytest.raises(ValueError, match=r"padding: expected an integer >= 0, got -1"):
            f(x, W, padding=-1)
    with pytest.raises(ValueError, match=r"x: expected finite values"):
        conv.conv2d(np.full((1, 2, 5, 5), np.nan), W)
    with pytest.raises(ValueError, match=r"dS: expected shape \(1, 3, 3, 3\) .*, got shape \(3, 3, 3\)"):
        conv.conv2d_backward(x, W, np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match=r"size: expected at most 5 \(the smaller side of x\), got 6"):
        conv.max_pool2d(x, 6)
    with pytest.raises(ValueError, match=r"dOut: expected shape \(1, 2, 2, 2\)"):
        conv.max_pool2d_backward(x, np.zeros((1, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"x: expected an \(H, W\), \(C, H, W\) or \(n, C, H, W\) array"):
        conv.max_pool2d(np.zeros(5))
    with pytest.raises(ValueError, match=r"kernel: expected a square \(k, k\) array, got shape \(3, 2\)"):
        conv.feature_map(np.zeros((5, 5)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"image: expected a 2-D array"):
        conv.feature_map(np.zeros((1, 5, 5)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"X: expected an \(n, h, w\) or \(n, p\) array"):
        conv.permute_pixels(np.zeros(5))
    for bad in (1.5, -1, True):
        with pytest.raises(TypeError, match=rf"seed: expected an integer >= 0 or a numpy Generator, got {bad!r}"):
            conv.permute_pixels(np.zeros((2, 4)), seed=bad)
    with pytest.raises(ValueError, match=r"kernel_size: expected at most n \+ 2·padding = 4, got 5"):
        conv.output_size(4, 5)
    with pytest.raises(ValueError, match=r"n: expected an integer >= 1, got 0"):
        conv.output_size(0, 1)
    with pytest.raises(ValueError, match=r"C_in: expected an integer >= 1"):
        conv.n_params_conv(0, 1, 3)
