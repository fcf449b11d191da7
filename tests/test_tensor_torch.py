"""Random shapes and expressions against PyTorch in float64: values and every gradient."""
import numpy as np
import pytest

from gradcheck import away_from_zero

torch = pytest.importorskip("torch", reason="parity tests need torch==2.13.0 (pip install -e '.[parity]')")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import autograd  # noqa: E402
from autograd import Tensor  # noqa: E402

RTOL = 1e-9
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_close(ours, theirs, what):
    ours = np.asarray(ours.data if isinstance(ours, Tensor) else ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    scale = max(float(np.abs(theirs).max(initial=0.0)), 1.0)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * scale, err_msg=what)


class Pair:
    """The same expression built twice: with tracegrad and with torch (float64)."""

    def __init__(self, rng):
        self.rng = rng
        self.leaves = []  # (ours, theirs, name)

    def leaf(self, array, name):
        ours = Tensor(array.copy(), requires_grad=True)
        theirs = torch.tensor(array.copy(), dtype=torch.float64, requires_grad=True)
        self.leaves.append((ours, theirs, name))
        return ours, theirs

    def randn(self, shape, name):
        return self.leaf(self.rng.standard_normal(shape), name)


def broadcast_partner(rng, shape):
    """A shape that broadcasts against `shape`: some axes set to 1, some leading axes dropped."""
    shape = list(shape)
    partner = [1 if rng.random() < 0.4 else n for n in shape]
    drop = rng.integers(0, len(partner) + 1)
    return tuple(partner[drop:])


# Each step maps (ours, theirs) to (ours, theirs); `p` makes new leaves, `rng` picks parameters.
def step_unary(name):
    def step(p, a, b):
        if name == "exp":
            return (a * 0.3).exp(), (b * 0.3).exp()
        if name == "log":
            return (a * a + 0.5).log(), (b * b + 0.5).log()
        if name == "relu":
            return a.relu(), b.relu()
        if name == "neg":
            return -a, -b
        if name == "pow3":
            return a ** 3, b ** 3
        if name == "sqrt":
            return (a * a + 1.0) ** 0.5, (b * b + 1.0) ** 0.5
        return getattr(a, name)(), getattr(b, name)()
    step.__name__ = name
    return step


def step_binary(op):
    def step(p, a, b):
        # half the time the partner has the full shape, else one that broadcasts against it
        shape = a.shape if p.rng.random() < 0.5 else broadcast_partner(p.rng, a.shape)
        left = p.rng.random() < 0.5
        c, d = p.randn(shape, f"{op} partner {shape}")
        if op == "+":
            return (c + a, d + b) if left else (a + c, b + d)
        if op == "-":
            return (c - a, d - b) if left else (a - c, b - d)
        if op == "*":
            return (c * a, d * b) if left else (a * c, b * d)
        if op == "/":
            if left:
                return c / (a * a + 0.5), d / (b * b + 0.5)
            return a / (c * c + 0.5), b / (d * d + 0.5)
        if op == "**":  # positive base, tensor exponent
            if left:
                return (c * c + 0.5) ** (a * 0.5).tanh(), (d * d + 0.5) ** (b * 0.5).tanh()
            return (a * a + 0.5) ** (c * 0.5).tanh(), (b * b + 0.5) ** (d * 0.5).tanh()
        raise AssertionError(op)
    step.__name__ = op
    return step


def step_constant(p, a, b):
    k = float(p.rng.uniform(-2, 2))
    arr = p.rng.standard_normal(a.shape[-1:])
    return (k * a + arr) / 2.0 - arr * k, (k * b + torch.from_numpy(arr)) / 2.0 - torch.from_numpy(arr) * k


def step_reduce(kind):
    def step(p, a, b):
        if a.ndim == 0:
            return a, b
        axis = int(p.rng.integers(-a.ndim, a.ndim))
        keep = bool(p.rng.random() < 0.5)
        if p.rng.random() < 0.2:
            ours = getattr(a, kind)(keepdims=keep)
            theirs = {"sum": torch.sum, "mean": torch.mean,
                      "max": torch.amax}[kind](b, dim=tuple(range(b.ndim)), keepdim=keep)
            return ours, theirs
        ours = getattr(a, kind)(axis=axis, keepdims=keep)
        theirs = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[kind](b, dim=axis,
                                                                                  keepdim=keep)
        return ours, theirs
    step.__name__ = kind
    return step


def step_softmax(kind):
    def step(p, a, b):
        if a.ndim == 0:
            return a, b
        axis = int(p.rng.integers(-a.ndim, a.ndim))
        fn = {"softmax": torch.softmax, "log_softmax": torch.log_softmax}[kind]
        return getattr(autograd, kind)(a, axis=axis), fn(b, dim=axis)
    step.__name__ = kind
    return step


def step_transpose(p, a, b):
    if a.ndim < 2:
        return a, b
    if p.rng.random() < 0.3:
        return a.T, b.permute(*reversed(range(b.ndim)))
    axes = tuple(int(i) for i in p.rng.permutation(a.ndim))
    return a.transpose(axes), b.permute(*axes)


def step_reshape(p, a, b):
    if a.ndim == 0:
        return a.reshape(1, 1), b.reshape(1, 1)
    flat = (a.size,)
    if p.rng.random() < 0.5 or a.size == 1:
        return a.reshape(flat), b.reshape(flat)
    return a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])


def step_getitem(p, a, b):
    if a.ndim == 0 or a.shape[0] == 0:
        return a, b
    idx = p.rng.integers(0, a.shape[0], size=int(p.rng.integers(1, 5)))  # repeats likely
    if p.rng.random() < 0.5:
        return a[idx], b[torch.from_numpy(idx)]
    lo = int(p.rng.integers(0, a.shape[0]))
    return a[lo:], b[lo:]


def step_matmul(p, a, b):
    if a.ndim == 0:
        return a, b
    m = int(p.rng.integers(1, 4))
    kind = p.rng.integers(0, 3)
    if kind == 0:  # right-multiply by a matrix (batch broadcast when a is 3-D)
        c, d = p.randn((a.shape[-1], m), "matmul right")
        return a @ c, b @ d
    if kind == 1:  # left-multiply
        if a.ndim == 1:
            c, d = p.randn((m, a.shape[0]), "matmul left")
        else:
            c, d = p.randn((m, a.shape[-2]), "matmul left")
        return c @ a, d @ b
    c, d = p.randn((a.shape[-1],), "matmul vector")  # 1-D on the right
    return a @ c, b @ d


STEPS = ([step_unary(n) for n in ("exp", "log", "tanh", "sigmoid", "relu", "neg", "pow3", "sqrt")]
         + [step_binary(op) for op in ("+", "-", "*", "/", "**")]
         + [step_constant]
         + [step_reduce(k) for k in ("sum", "mean", "max")]
         + [step_softmax("softmax"), step_softmax("log_softmax")]
         + [step_transpose, step_reshape, step_getitem, step_matmul])

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@SETTINGS
@given(shape=shapes, steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=6),
       seed=st.integers(0, 2 ** 32 - 1))
def test_random_expression_matches_torch(shape, steps, seed):
    rng = np.random.default_rng(seed)
    p = Pair(rng)
    a, b = p.randn(shape, "x")
    trace = [f"x{shape}"]
    for step in steps:
        if a.size > 200:  # keep examples small
            break
        a, b = step(p, a, b)
        trace.append(f"{step.__name__} -> {a.shape}")
        assert_close(a, b, " / ".join(trace))
    R = rng.standard_normal(a.shape)
    (a * Tensor(R)).sum().backward()
    (b * torch.from_numpy(R)).sum().backward()
    for ours, theirs, name in p.leaves:
        assert ours.grad is not None, f"{name} got no gradient ({' / '.join(trace)})"
        assert_close(ours.grad, theirs.grad, f"grad of {name} ({' / '.join(trace)})")


@SETTINGS
@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple),
       n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4),
       drop_left=st.booleans(), drop_right=st.integers(0, 2), seed=st.integers(0, 2 ** 32 - 1))
def test_random_matmul_matches_torch(batch, n, k, m, drop_left, drop_right, seed):
    rng = np.random.default_rng(seed)
    sa = batch + (n, k)
    sb = tuple(1 if rng.random() < 0.5 else d for d in batch)[drop_right:] + (k, m)
    if drop_left:
        sa = (k,)
    if rng.random() < 0.2:
        sb = (k,)
    p = Pair(rng)
    a, b = p.randn(sa, "a")
    c, d = p.randn(sb, "b")
    out, ref = a @ c, b @ d
    assert_close(out, ref, f"{sa} @ {sb}")
    R = rng.standard_normal(ref.shape)
    (out * Tensor(R)).sum().backward()
    (ref * torch.from_numpy(R)).sum().backward()
    for ours, theirs, name in p.leaves:
        assert_close(ours.grad, theirs.grad, f"grad of {name}: {sa} @ {sb}")


@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(1, 5), scale=st.floats(0.1, 30.0),
       onehot=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_random_cross_entropy_matches_torch(n, c, scale, onehot, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c)) * scale
    labels = rng.integers(0, c, size=n)
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    target = np.eye(c)[labels] if onehot else labels
    loss = autograd.cross_entropy(ours, target)
    ref = torch.nn.functional.cross_entropy(theirs, torch.from_numpy(labels))
    assert_close(loss, ref, "cross_entropy value")
    loss.backward()
    ref.backward()
    assert_close(ours.grad, theirs.grad, "cross_entropy grad")


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
       seed=st.integers(0, 2 ** 32 - 1))
def test_random_elementwise_chain_matches_torch(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    y = away_from_zero(rng.standard_normal(shape[-1:]), 0.3)
    ours_x, ours_y = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)

    def f(x, y, lib):
        z = lib.tanh(x) * y - lib.sigmoid(x / y) + lib.exp(-x * x) * 2.0
        return (z ** 2 + 1.0).log() + lib.relu(x - 0.1) - 3.0 / (1.0 + z * z)

    out = f(ours_x, ours_y, autograd)
    ref = f(tx, ty, torch)
    assert_close(out, ref, "value")
    R = rng.standard_normal(shape)
    (out * Tensor(R)).sum().backward()
    (ref * torch.from_numpy(R)).sum().backward()
    assert_close(ours_x.grad, tx.grad, "grad x")
    assert_close(ours_y.grad, ty.grad, "grad y")
