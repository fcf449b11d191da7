"""Every speed trick in autograd against the plain version written beside it (nanoGPT's
`if flash: ... else: # manual`): the plain one is the oracle."""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor, Value, topological_order, topological_order_plain
from autograd.softmax_ops import CrossEntropy

ROOT = Path(__file__).resolve().parents[1]


def random_value_graph(seed: int, size: int = 60) -> list:
    """Random expressions over shared nodes (every node may be reused by later ones)."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(0.5, 2.0), label=f"x{i}") for i in range(4)]
    for _ in range(size):
        a, b = rng.choice(nodes), rng.choice(nodes)
        nodes.append(rng.choice([lambda: a + b, lambda: a * b, lambda: a - b, lambda: a.tanh(),
                                 lambda: (a * 0.1).exp(), lambda: a + 1.5])())
    return nodes


@pytest.mark.parametrize("seed", range(20))
def test_topological_order_equals_the_plain_one(seed):
    nodes = random_value_graph(seed)
    roots = [nodes[-1], nodes[len(nodes) // 2]]
    fast, plain = topological_order(roots), topological_order_plain(roots)
    assert [id(n) for n in fast] == [id(n) for n in plain]


def test_topological_order_on_tensors():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = (x * x).sum(axis=0) + x.mean(axis=0)
    z = (y * y).sum() + y.max()
    assert [id(n) for n in topological_order([z])] == [id(n) for n in topological_order_plain([z])]


def test_value_operations_set_the_slots_init_sets():
    """_unary/_binary build a result without __init__ (faster); they must set the same slots."""
    def set_slots(v):
        return {s for s in type(v).__slots__ if hasattr(v, s)}
    init = set_slots(Value(1.0))
    x, y = Value(2.0), Value(3.0)
    for made in (x * y, x.tanh(), x + y, x ** 2):
        assert set_slots(made) >= init, init - set_slots(made)
    tensor_init = set_slots(Tensor([1.0]))
    t = Tensor([1.0, 2.0], requires_grad=True)
    for made in (t * t, t.sum(), Tensor([1.0]) * 2):  # recorded and not
        assert set_slots(made) == tensor_init, tensor_init ^ set_slots(made)
    with pytest.raises(IndexError, match="integers or booleans"):  # a recorded float Tensor
        Tensor([3.0, 4.0])[t * 0]


@pytest.mark.parametrize("seed", range(5))
def test_cross_entropy_fast_backward_equals_the_plain_one(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    fast, plain = CrossEntropy(labels), CrossEntropy(np.eye(4)[labels])  # rows take the plain way
    fast.forward(x)
    plain.forward(x)
    g = np.asarray(0.7)
    np.testing.assert_allclose(fast.backward(g, x, None)[0], plain.backward(g, x, None)[0],
                               rtol=1e-15, atol=1e-17)


def test_tensor_ops_imports_first_in_a_fresh_interpreter():
    """tensor.py and tensor_ops.py import each other (an operation needs Tensor, Tensor's methods
    need the operations): importing either first must work."""
    for module in ("autograd.tensor_ops", "autograd.tensor", "autograd.softmax_ops"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_all_finite_equals_the_plain_check(dtype):
    """_all_finite (a dot product of the entries with themselves) against np.isfinite().all(),
    including entries so large that the dot product overflows although each is finite; inside
    the backward pass's quiet context, as the engine calls it, it warns about nothing."""
    import warnings
    from autograd.tensor import _all_finite
    big = float(np.finfo(dtype).max) / 2
    rng = np.random.default_rng(0)
    for special in (None, np.inf, -np.inf, np.nan, big, -big, 0.0):
        for shape in [(), (0,), (5,), (4, 7), (3, 1, 5)]:
            a = rng.standard_normal(shape).astype(dtype)
            if special is not None and a.size:
                a.flat[a.size // 2] = special
            for view in (a, a.T, a[..., ::2] if a.ndim else a):
                with warnings.catch_warnings(), Tensor._quiet_arithmetic():
                    warnings.simplefilter("error")
                    assert _all_finite(view) == bool(np.isfinite(view).all()), (special, shape)


def _plain_numerical_gradient(net, x, t, **loss_kwargs):
    """The book's idiom: every forward pass is net.loss(x, t), targets checked each time."""
    from nn import numerical_gradient
    return {key: numerical_gradient(lambda W: net.loss(x, t, **loss_kwargs), p)
            for key, p in net.params.items()}


def test_numerical_gradient_with_targets_checked_once_equals_the_plain_one():
    """TwoLayerNet/MultiLayerNet(Extend)/SimpleConvNet check t once (SoftmaxWithLoss.
    with_targets): the gradients must be the plain idiom's to the last bit."""
    from nn import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet, numerical_gradient
    from nn.simple_conv_net import SimpleConvNet
    rng = np.random.default_rng(3)
    x, labels = rng.standard_normal((3, 6)), np.array([0, 2, 1])
    onehot = np.eye(3)[labels]
    for t in (labels, onehot):
        for net in (TwoLayerNet(6, 5, 3, seed=1),
                    MultiLayerNet(6, [5, 4], 3, weight_decay_lambda=0.1, seed=2)):
            fast = net.numerical_gradient(x, t)
            plain = _plain_numerical_gradient(net, x, t)
            for key in plain:
                np.testing.assert_array_equal(fast[key], plain[key], err_msg=key)
    net = MultiLayerNetExtend(6, [5], 3, use_batchnorm=True, use_dropout=True,
                              weight_decay_lambda=0.1, seed=5)
    state = net._save_state()  # the plain idiom needs the same masks for every evaluation
    fast = net.numerical_gradient(x, labels)
    plain = {}
    for key, p in net.params.items():
        def loss(_):
            net._restore_state(state)
            return net.loss(x, labels, train_flg=True)
        plain[key] = numerical_gradient(loss, p)
    for key in plain:
        np.testing.assert_array_equal(fast[key], plain[key], err_msg=key)
    conv = SimpleConvNet((1, 6, 6), {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 1},
                         hidden_size=4, output_size=3, seed=0)
    xc = rng.standard_normal((2, 1, 6, 6))
    fast = conv.numerical_gradient(xc, labels[:2])
    plain = {key: numerical_gradient(lambda W: conv.loss(xc, labels[:2]), conv.params[key])
             for key in fast}
    for key in plain:
        np.testing.assert_array_equal(fast[key], plain[key], err_msg=key)


def test_softmax_with_loss_keeps_the_forward_scores_for_its_lazy_y():
    """forward computes y as the book does; the loss function of with_targets leaves it to the
    first read, from a copy of the scores: changing the caller's array afterwards must not
    change y, and the numbers must be forward's."""
    from nn.functions import softmax
    from nn.layers import SoftmaxWithLoss
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((4, 3)), np.array([0, 1, 2, 1])
    eager, lazy = SoftmaxWithLoss(), SoftmaxWithLoss()
    assert eager.y is None and lazy.y is None
    expected = softmax(x.copy())
    loss = eager.forward(x, t)
    assert lazy.with_targets(x, t)(x) == loss
    assert lazy._y is None  # not computed yet
    x += 5.0
    np.testing.assert_array_equal(eager.y, expected)
    np.testing.assert_array_equal(lazy.y, expected)
    np.testing.assert_array_equal(lazy.backward(), (expected - np.eye(3)[t]) / 4)
    assert loss == pytest.approx(-np.mean(np.log(expected[np.arange(4), t])), rel=1e-14)
    forward = lazy.with_targets(np.zeros((4, 3)), t)
    with pytest.raises(ValueError, match=r"scores of shape \(2, 3\)"):
        forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="SoftmaxWithLoss"):
        lazy.with_targets(np.zeros((4, 3)), np.array([0, 1, 2, 3]))


# ---- the tape (engine.creation_order) against the plain way: search the graph, sort ----------
def _plain_creation_order(roots):
    from autograd.engine import _by_serial
    order = sorted(topological_order_plain(roots), key=_by_serial)
    return [n for n in order if n.parents], [n for n in order if not n.parents]


def _ids(nodes):
    return [id(n) for n in nodes]


@pytest.mark.parametrize("seed", range(20))
def test_the_tape_gives_the_plain_creation_order(seed):
    from autograd import creation_order
    from autograd.engine import _taped_order, clear_tape
    clear_tape()
    nodes = random_value_graph(seed)
    rng = random.Random(seed)
    roots = [nodes[-1], nodes[len(nodes) // 2], rng.choice(nodes[:4])]  # a leaf root too
    taped = _taped_order(roots)
    assert taped is not None  # the whole graph is on the tape
    ops, leaves = creation_order(roots)
    plain_ops, plain_leaves = _plain_creation_order(roots)
    assert _ids(ops) == _ids(plain_ops) == _ids(taped[0])
    assert _ids(leaves) == _ids(plain_leaves) == _ids(taped[1])


def test_a_graph_partly_made_before_the_tape_was_cleared_takes_the_plain_way():
    from autograd import creation_order
    from autograd.engine import TAPE, _taped_order, clear_tape
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    h = (x * y).tanh() + x
    other = y * 3.0
    other.backward()  # clears the tape: h's nodes are no longer on it
    assert not TAPE
    out = h * h + y
    assert _taped_order([out]) is None
    ops, _ = creation_order([out])
    assert _ids(ops) == _ids(_plain_creation_order([out])[0])
    x.grad = y.grad = 0.0  # (other's pass left y.grad = 3)
    out.backward()
    expected = _gradients(lambda a, b: ((a * b).tanh() + a) * ((a * b).tanh() + a) + b, 1.5, -0.5)
    assert (x.grad, y.grad) == expected
    clear_tape()


def _gradients(f, *values, taped=True):
    """(d f / d each input) by backward(), with the tape or (taped=False) the plain way."""
    from autograd.engine import clear_tape
    clear_tape()
    inputs = [Value(v) for v in values]
    out = f(*inputs)
    if not taped:
        clear_tape()  # backward() now searches the graph and sorts it
    out.backward()
    return tuple(v.grad for v in inputs)


@pytest.mark.parametrize("seed", range(30))
def test_gradients_by_the_tape_equal_the_plain_ones_to_the_last_bit(seed):
    """The same random graph (nodes used up to many times, so the order of the sums matters)
    differentiated with the tape and the plain way: identical floats."""
    def f(*leaves):
        rng = random.Random(seed)
        nodes = list(leaves)
        for _ in range(80):
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(rng.choice([lambda: a + b, lambda: a * b, lambda: a - b,
                                     lambda: (a * 0.3).tanh(), lambda: a / (b * b + 1.0),
                                     lambda: (a * 0.1).exp(), lambda: a.relu()])())
        return sum(nodes[-10:], nodes[4])
    values = [random.Random(seed).uniform(-1.5, 1.5) for _ in range(5)]
    assert _gradients(f, *values) == _gradients(f, *values, taped=False)


def test_the_tape_is_cleared_by_backward_and_swept_when_it_is_full(monkeypatch):
    from autograd import engine
    engine.clear_tape()
    x = Value(2.0)
    y = x * x + x
    assert len(engine.TAPE) == 2
    y.backward()
    assert engine.TAPE == []  # nothing kept alive after the pass
    z = (x * x).tanh()
    z.backward(create_graph=True)  # the gradient's own nodes start a new tape
    assert engine.TAPE and all(n.parents for n in engine.TAPE)
    engine.clear_tape()
    monkeypatch.setattr(engine, "TAPE_LIMIT", 50)
    monkeypatch.setattr(engine, "tape_limit", 50)
    for _ in range(30):
        y = y * 1.0001  # y is live: sweeps keep it
        (x * 2.0).tanh()  # garbage: sweeps drop it
    assert 0 < len(engine.TAPE) <= 50 + 3
    x.grad = 0.0
    y.backward()  # made partly before the tape was cleared: the plain way, same gradient
    assert x.grad == pytest.approx(5 * 1.0001 ** 30, rel=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_values_inline_backward_steps_equal_the_plain_loop(seed, monkeypatch):
    """Value._backward_steps writes the step inline; Node's loop calls _backward_step per node:
    the same gradients to the last bit (relu's hard zero and shared nodes included)."""
    from autograd.engine import Node

    def f(*leaves):
        rng = random.Random(seed)
        nodes = list(leaves)
        for _ in range(60):
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(rng.choice([lambda: a * b, lambda: a + b, lambda: (a - b).relu(),
                                     lambda: (a * 0.2).sigmoid(), lambda: a / (b * b + 0.5)])())
        return sum(nodes[-6:], nodes[3])
    values = [random.Random(seed).uniform(-1, 1) for _ in range(4)]
    inline = _gradients(f, *values)
    monkeypatch.setattr(Value, "_backward_steps", staticmethod(Node._backward_steps))
    assert inline == _gradients(f, *values)
