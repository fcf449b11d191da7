"""Higher-order derivatives with Value and Tensor: backward(create_graph=True) and autograd.grad."""
import math

import numpy as np
import pytest

from gradcheck import rng

import autograd
from autograd import Tensor, Value, grad

TORCH_REASON = "parity tests need torch==2.13.0 (pip install -e '.[parity]')"


def num(g):
    """A gradient (float, Value, array or Tensor) as a float or float array."""
    if isinstance(g, Value):
        return g.data
    if isinstance(g, Tensor):
        g = g.data
    g = np.asarray(g, dtype=np.float64)
    return float(g) if g.ndim == 0 else g


def value_var(x):
    return Value(float(x))


def tensor_var(x):
    return Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


KINDS = pytest.mark.parametrize("var", [value_var, tensor_var], ids=["Value", "Tensor"])


def tanh(x):
    return x.tanh()


def clear(x):
    x.grad = 0.0 if isinstance(x, Value) else None


# ---- x³ ----------------------------------------------------------------------------------------
@KINDS
@pytest.mark.parametrize("x0", [2.0, -1.5, 0.5])
def test_second_derivative_of_cube_with_backward(var, x0):
    x = var(x0)
    (x ** 3).backward(create_graph=True)
    first = x.grad
    assert isinstance(first, (Value, Tensor)), "create_graph=True must give a differentiable grad"
    assert num(first) == pytest.approx(3 * x0 ** 2, rel=1e-14)
    clear(x)
    first.backward()
    assert num(x.grad) == pytest.approx(6 * x0, rel=1e-14)


@KINDS
@pytest.mark.parametrize("x0", [2.0, -1.5, 0.5])
def test_derivatives_of_cube_with_grad(var, x0):
    x = var(x0)
    y = x * x * x
    d1, = grad(y, x, create_graph=True)
    d2, = grad(d1, x, create_graph=True)
    d3, = grad(d2, x, create_graph=True)
    d4, = grad(d3, x)
    assert num(d1) == pytest.approx(3 * x0 ** 2, rel=1e-14)
    assert num(d2) == pytest.approx(6 * x0, rel=1e-14)
    assert num(d3) == pytest.approx(6.0, rel=1e-14)
    assert num(d4) == 0.0


def test_second_derivative_of_cube_vector_tensor():
    x0 = np.array([-2.0, 0.5, 3.0])
    x = Tensor(x0, requires_grad=True)
    d1, = grad((x ** 3).sum(), x, create_graph=True)
    d2, = grad(d1.sum(), x)
    np.testing.assert_allclose(num(d1), 3 * x0 ** 2, rtol=1e-14)
    np.testing.assert_allclose(num(d2), 6 * x0, rtol=1e-14)


# ---- tanh, four derivatives ------------------------------------------------------------------------
def tanh_derivatives(x):
    """d^k/dx^k tanh x for k = 1..4, written with t = tanh x."""
    t = np.tanh(x)
    s = 1 - t * t
    return [s, -2 * t * s, (6 * t * t - 2) * s, 8 * t * (2 - 3 * t * t) * s]


def test_tanh_closed_forms_are_consistent():
    # each closed form's central difference is the next one (no engine involved)
    x, h = np.linspace(-2.5, 2.5, 11), 1e-5
    exact = [np.tanh(x)] + tanh_derivatives(x)
    for k in range(4):
        f = (lambda z: np.tanh(z)) if k == 0 else (lambda z, k=k: tanh_derivatives(z)[k - 1])
        np.testing.assert_allclose((f(x + h) - f(x - h)) / (2 * h), exact[k + 1], atol=1e-8)


@KINDS
@pytest.mark.parametrize("x0", [-1.3, 0.0, 0.4, 2.0])
def test_four_derivatives_of_tanh(var, x0):
    x = var(x0)
    g = tanh(x)
    got = []
    for _ in range(4):
        g, = grad(g, x, create_graph=True)
        got.append(num(g))
    np.testing.assert_allclose(got, tanh_derivatives(x0), rtol=1e-12, atol=1e-15)


@KINDS
def test_four_derivatives_of_tanh_with_backward(var):
    x0 = 0.7
    x = var(x0)
    g = tanh(x)
    got = []
    for k in range(4):
        clear(x)
        g.backward(create_graph=k < 3)
        g = x.grad
        got.append(num(g))
    np.testing.assert_allclose(got, tanh_derivatives(x0), rtol=1e-12)


def test_four_derivatives_of_tanh_elementwise_tensor():
    x0 = np.linspace(-2, 2, 7)
    x = Tensor(x0, requires_grad=True)
    g = x.tanh()
    for k, expected in enumerate(tanh_derivatives(x0)):
        g, = grad(g.sum(), x, create_graph=True)
        np.testing.assert_allclose(num(g), expected, rtol=1e-12, atol=1e-15, err_msg=f"order {k + 1}")


# ---- Newton's method ---------------------------------------------------------------------------
@KINDS
def test_newton_minimises_quartic(var):
    # f = x⁴ − 2x², f' = 4x³ − 4x, f'' = 12x² − 4: from x = 2 Newton goes to the minimum at 1
    x0 = 2.0
    x = var(x0)
    path = []
    for _ in range(12):
        f = x ** 4 - 2 * x ** 2
        g, = grad(f, x, create_graph=True)
        h, = grad(g, x)
        assert num(h) == pytest.approx(12 * num(x) ** 2 - 4, rel=1e-12)
        x = var(num(x) - num(g) / num(h))
        path.append(num(x))
    assert path[0] == pytest.approx(2 - 24 / 44, rel=1e-14)  # the first step by hand
    assert path[-1] == pytest.approx(1.0, abs=1e-12)


# ---- Goldstein–Price ------------------------------------------------------------------------------
def goldstein_price(x, y):
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)
    return a * b


@KINDS
def test_goldstein_price_at_1_1(var):
    x, y = var(1.0), var(1.0)
    z = goldstein_price(x, y)
    assert num(z) == 1876.0
    z.backward()
    assert num(x.grad) == pytest.approx(-5376.0, rel=1e-12)
    assert num(y.grad) == pytest.approx(8064.0, rel=1e-12)


@KINDS
def test_goldstein_price_with_grad(var):
    x, y = var(1.0), var(1.0)
    gx, gy = grad(goldstein_price(x, y), [x, y])
    assert (num(gx), num(gy)) == (pytest.approx(-5376.0, rel=1e-12), pytest.approx(8064.0, rel=1e-12))


@KINDS
def test_goldstein_price_hessian_against_torch(var):
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    p = (0.3, -0.8)
    x, y = var(p[0]), var(p[1])
    gx, gy = grad(goldstein_price(x, y), [x, y], create_graph=True)
    ours = np.array([[num(g) for g in grad(gx, [x, y], retain_graph=True)],
                     [num(g) for g in grad(gy, [x, y])]])
    ref = torch.autograd.functional.hessian(
        lambda a, b: goldstein_price(a, b), (torch.tensor(p[0], dtype=torch.float64),
                                              torch.tensor(p[1], dtype=torch.float64)))
    ref = np.array([[ref[0][0].item(), ref[0][1].item()], [ref[1][0].item(), ref[1][1].item()]])
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


# ---- derivatives that stop depending on x -----------------------------------------------------
@KINDS
@pytest.mark.parametrize("f, slope", [
    (lambda x: 3 * x + 1, 3.0),
    (lambda x: x * 3 - 1, 3.0),
    (lambda x: x / 4 + x, 1.25),
    (lambda x: -x, -1.0),
    (lambda x: 2 - x, -1.0),
])
def test_second_derivative_of_a_linear_function_is_zero(var, f, slope):
    x = var(1.7)
    d1, = grad(f(x), x, create_graph=True)
    assert num(d1) == pytest.approx(slope, rel=1e-15)
    d2, = grad(d1, x)
    assert d2 is not None
    assert num(d2) == 0.0


@KINDS
def test_second_derivative_zero_after_backward_create_graph(var):
    x = var(-0.5)
    (3 * x + 1).backward(create_graph=True)
    d1 = x.grad
    clear(x)
    d2, = grad(d1, x)
    assert num(d1) == 3.0
    assert num(d2) == 0.0


@KINDS
def test_grad_of_unused_input_is_zero(var):
    x, y = var(2.0), var(5.0)
    gx, gy = grad(x * x, [x, y])
    assert num(gx) == 4.0
    assert num(gy) == 0.0


# ---- grad leaves .grad alone, grad_outputs, return types ---------------------------------------------
@KINDS
def test_grad_leaves_leaf_grads_untouched(var):
    x, y = var(2.0), var(3.0)
    (x * y).backward()
    before = (num(x.grad), num(y.grad))
    gx, = grad(x * y * y, x, create_graph=True)
    grad(gx, y)
    assert (num(x.grad), num(y.grad)) == before == (3.0, 2.0)
    assert num(gx) == 9.0


def test_grad_untouched_none_for_tensors():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    gx, = grad((x * x).sum(), x)
    np.testing.assert_array_equal(num(gx), [2.0, 4.0])
    assert x.grad is None


def test_grad_returns_arrays_without_create_graph_and_tensors_with():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    plain, = grad((x ** 2).sum(), x)
    assert isinstance(plain, np.ndarray)
    graph, = grad((x ** 2).sum(), x, create_graph=True)
    assert isinstance(graph, Tensor) and graph.requires_grad


def test_grad_with_grad_outputs():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    seed = np.array([1.0, 10.0, 100.0])
    gx, = grad(x ** 2, x, grad_outputs=seed)
    np.testing.assert_allclose(num(gx), 2 * x.data * seed, rtol=1e-15)


def test_value_grad_outputs_and_several_outputs():
    x = Value(3.0)
    gx, = grad([x * x, x * 5], x, grad_outputs=[2.0, 1.0])
    assert num(gx) == 2 * 6.0 + 5.0


def test_create_graph_keeps_the_graph_for_another_backward():
    x = Tensor(np.array([0.3, -0.7]), requires_grad=True)
    y = (x.tanh() * x).sum()
    y.backward(create_graph=True)
    first = num(x.grad).copy()
    clear(x)
    y.backward()  # must not complain that saved arrays were released
    np.testing.assert_allclose(num(x.grad), first, rtol=1e-15)


# ---- Hessian-vector products --------------------------------------------------------------------------
def hvp_function(W):
    def f(x):
        return (W @ x).tanh().sum() ** 2 + (x ** 3).sum()
    return f


def hessian_closed_form(W, x):
    t = np.tanh(W @ x)
    s = t.sum()
    u = W.T @ (1 - t * t)
    return 2 * np.outer(u, u) + 2 * s * W.T @ np.diag(-2 * t * (1 - t * t)) @ W + np.diag(6 * x)


def our_hvp(f, x0, v):
    x = Tensor(x0, requires_grad=True)
    g, = grad(f(x), x, create_graph=True)
    hv, = grad((g * v).sum(), x)
    return num(g), num(hv)


def test_hvp_closed_form():
    r = rng(3)
    W, x0, v = r.standard_normal((3, 4)), r.standard_normal(4), r.standard_normal(4)
    g, hv = our_hvp(hvp_function(W), x0, v)
    t = np.tanh(W @ x0)
    np.testing.assert_allclose(g, 2 * t.sum() * W.T @ (1 - t * t) + 3 * x0 ** 2, rtol=1e-12)
    np.testing.assert_allclose(hv, hessian_closed_form(W, x0) @ v, rtol=1e-10)


def test_hvp_against_torch():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    r = rng(4)
    W, x0, v = r.standard_normal((5, 4)), r.standard_normal(4), r.standard_normal(4)
    _, hv = our_hvp(hvp_function(W), x0, v)
    Wt = torch.from_numpy(W)
    _, ref = torch.autograd.functional.hvp(
        lambda x: torch.tanh(Wt @ x).sum() ** 2 + (x ** 3).sum(), torch.from_numpy(x0),
        torch.from_numpy(v))
    np.testing.assert_allclose(hv, ref.numpy(), rtol=1e-10)


# ---- every Tensor op differentiated three times, against torch ----------------------------------
def _cases():
    r = rng(7)
    A = r.standard_normal((3, 4))
    B = r.standard_normal((4, 2))
    batch = r.standard_normal((2, 4, 3))
    labels = np.array([1, 0, 3])
    idx = np.array([2, 0, 2, 1])

    # name: (shape of x, make(lib, K) -> f), with K turning a NumPy constant into lib's kind
    # (tracegrad takes arrays as they are; torch needs tensors). lib is autograd or torch.
    def pick(ours, theirs):
        return lambda lib, K: ours(K) if lib is autograd else theirs(lib, K)

    return {
        "add_broadcast": ((4,), lambda lib, K: lambda x: (x * x + K(A)) * x),
        "sub_broadcast": ((3, 1), lambda lib, K: lambda x: (K(A) - x * x) * x),
        "mul": ((3, 4), lambda lib, K: lambda x: x * x * x * K(A)),
        "div": ((3, 4), lambda lib, K: lambda x: K(A) / (x * x + 1) + x / (K(A) * K(A) + 1) * x),
        "pow_const": ((3, 4), lambda lib, K: lambda x: (x * x + 0.5) ** 1.5),
        "pow_tensor": ((3, 4), lambda lib, K: lambda x: (x * x + 0.5) ** (x * 0.5)),
        "rpow": ((4,), lambda lib, K: lambda x: 2.0 ** (x * x)),
        "neg": ((4,), lambda lib, K: lambda x: -(x ** 3)),
        "exp": ((3, 4), lambda lib, K: lambda x: (x * 0.5).exp()),
        "log": ((3, 4), lambda lib, K: lambda x: (x * x + 0.5).log()),
        "tanh": ((3, 4), lambda lib, K: lambda x: x.tanh()),
        "sigmoid": ((3, 4), lambda lib, K: lambda x: x.sigmoid()),
        "relu": ((3, 4), lambda lib, K: lambda x: (x ** 3).relu()),
        "sum_axis": ((3, 4), lambda lib, K: lambda x: (x ** 3).sum(0) * (x.sum(1, keepdims=True) ** 2)),
        "mean_axis": ((3, 4), lambda lib, K: lambda x: (x ** 3).mean(1) ** 2),
        "sum_all": ((3, 4), lambda lib, K: lambda x: (x ** 3).sum() * x),
        "max": ((3, 4), pick(lambda K: lambda x: (x ** 3).max(axis=1),
                             lambda lib, K: lambda x: lib.amax(x ** 3, dim=1))),
        "reshape_T": ((3, 4), lambda lib, K: lambda x: (x.reshape(4, 3) ** 2).T * x),
        "transpose_axes": ((2, 4, 3), pick(lambda K: lambda x: x.transpose(2, 0, 1) ** 3,
                                           lambda lib, K: lambda x: x.permute(2, 0, 1) ** 3)),
        "getitem_repeats": ((3, 2), lambda lib, K: lambda x: (x ** 3)[K(idx)] * x[K(idx)]),
        "getitem_slice": ((3, 4), lambda lib, K: lambda x: (x ** 3)[1:, ::2] * x[:2, 1::2]),
        "matmul": ((3, 4), lambda lib, K: lambda x: (x @ K(B)).tanh().T @ (x * x)),
        "matmul_batch_broadcast": ((3, 2), lambda lib, K: lambda x: (K(batch) @ (x * x * x)) * 2.0),
        "matmul_vector": ((4,), lambda lib, K: lambda x: (K(A) @ (x * x)) * x[0]),
        "softmax": ((3, 4), pick(lambda K: lambda x: (x * x).softmax(1),
                                 lambda lib, K: lambda x: lib.softmax(x * x, dim=1))),
        "log_softmax": ((3, 4), pick(lambda K: lambda x: (x * x).log_softmax(0),
                                     lambda lib, K: lambda x: lib.log_softmax(x * x, dim=0))),
        "cross_entropy": ((3, 4), pick(
            lambda K: lambda x: autograd.cross_entropy(x * x, labels),
            lambda lib, K: lambda x: lib.nn.functional.cross_entropy(x * x, K(labels)))),
    }


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_three_orders_against_torch(name):
    """g1 = ∇(f·R), g2 = ∇(g1·v), g3 = ∇(g2·w): each compared with torch's."""
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    shape, make = CASES[name]
    r = rng(11)
    x0 = r.standard_normal(shape)
    ours_f = make(autograd, lambda a: a)
    theirs_f = make(torch, torch.from_numpy)
    with autograd.no_grad():
        R = r.standard_normal(ours_f(Tensor(x0)).shape)
    v, w = r.standard_normal(shape), r.standard_normal(shape)

    def run(f, x, wrap, grad_fn):
        y = (f(x) * wrap(R)).sum()
        g1, = grad_fn(y, x)
        g2, = grad_fn((g1 * wrap(v)).sum(), x)
        g3, = grad_fn((g2 * wrap(w)).sum(), x)
        return [y, g1, g2, g3]

    x = Tensor(x0, requires_grad=True)
    ours = run(ours_f, x, Tensor, lambda y, x: grad(y, x, create_graph=True))
    xt = torch.tensor(x0, requires_grad=True)
    theirs = run(theirs_f, xt, torch.from_numpy,
                 lambda y, x: torch.autograd.grad(y, x, create_graph=True, allow_unused=True,
                                                  materialize_grads=True)
                 if y.requires_grad else (torch.zeros_like(x),))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        b = b.detach().numpy()
        scale = max(float(np.abs(b).max(initial=0.0)), 1.0)
        np.testing.assert_allclose(num(a), b, rtol=1e-9, atol=1e-9 * scale,
                                   err_msg=f"{name}: order {k}")


def test_value_second_derivatives_against_torch():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)

    def f(x, y, lib):
        if lib is None:  # Value
            return ((x * y).tanh() + x.exp() / (y ** 2 + 1) + x.log() * y.sigmoid()
                    + (x - y).relu() + x.sqrt() * abs(y) + x ** y + 2 ** x - 1 / y)
        return (torch.tanh(x * y) + torch.exp(x) / (y ** 2 + 1) + torch.log(x) * torch.sigmoid(y)
                + torch.relu(x - y) + torch.sqrt(x) * torch.abs(y) + x ** y + 2 ** x - 1 / y)

    for p in [(0.7, -1.2), (1.9, 0.4)]:
        x, y = Value(p[0]), Value(p[1])
        gx, gy = grad(f(x, y, None), [x, y], create_graph=True)
        ours = [num(gx), num(gy)] + [num(g) for g in grad(gx, [x, y], retain_graph=True)] + \
            [num(g) for g in grad(gy, [x, y])]
        xt = torch.tensor(p[0], dtype=torch.float64, requires_grad=True)
        yt = torch.tensor(p[1], dtype=torch.float64, requires_grad=True)
        tx, ty = torch.autograd.grad(f(xt, yt, torch), [xt, yt], create_graph=True)
        ref = [tx.item(), ty.item()] + \
            [g.item() for g in torch.autograd.grad(tx, [xt, yt], retain_graph=True)] + \
            [g.item() for g in torch.autograd.grad(ty, [xt, yt])]
        np.testing.assert_allclose(ours, ref, rtol=1e-11)


def test_value_and_tensor_agree_on_second_derivatives():
    def f(x):
        return (x * 0.5).sigmoid() * (x ** 2 + 1).log() - (x * x).tanh() / (x ** 2 + 2)

    for x0 in (-1.1, 0.3, 2.2):
        v = Value(x0)
        t = Tensor(x0, requires_grad=True)
        dv, = grad(f(v), v, create_graph=True)
        dt, = grad(f(t), t, create_graph=True)
        d2v, = grad(dv, v)
        d2t, = grad(dt, t)
        assert num(dv) == pytest.approx(num(dt), rel=1e-12)
        assert num(d2v) == pytest.approx(num(d2t), rel=1e-12)
        h = 1e-5  # and against central differences of the (engine-free) forward on floats
        fd = (f(Value(x0 + h)).data - 2 * f(Value(x0)).data + f(Value(x0 - h)).data) / h ** 2
        assert num(d2v) == pytest.approx(fd, rel=1e-4, abs=1e-5)


def test_math_sanity_of_value_forward_used_above():
    x = 0.37
    expected = (1 / (1 + math.exp(-x / 2))) * math.log(x * x + 1) - math.tanh(x * x) / (x * x + 2)
    v = Value(x)
    assert ((v * 0.5).sigmoid() * (v ** 2 + 1).log() - (v * v).tanh() / (v ** 2 + 2)).data == \
        pytest.approx(expected, rel=1e-14)
