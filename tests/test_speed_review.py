"""Review of the speed changes (b3cbcd7..HEAD): every result, error and warning stays as it was.

Each test was checked against `git archive b3cbcd7`; the first ones pinned differences a
reviewer found (fixed since). The last two pin what changed on purpose: the backward pass runs
in creation order (PyTorch's), which decides which leaf a GradientWarning names and which step
detect_anomaly stops at.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import Tensor, detect_anomaly, sum_to
from nn.functions import cross_entropy_from_logits, numerical_gradient, softmax
from nn.layers import SoftmaxWithLoss
from nn.multi_layer_net import MultiLayerNetExtend
from nn.two_layer_net import TwoLayerNet

X = np.random.default_rng(1).standard_normal((5, 3))
T = np.array([0, 1, 1, 0, 1])


def _book_numerical_gradient(net):
    """The book's idiom, which numerical_gradient promised to reproduce: loss_W = net.loss(x, t)."""
    return {k: numerical_gradient(lambda W: net.loss(X, T), p) for k, p in net.params.items()}


# ---- 1. SoftmaxWithLoss.with_targets bypasses what a student overrides ----------------------

def test_numerical_gradient_uses_the_nets_own_loss():
    """A TwoLayerNet subclass adding weight decay in loss(): the book's numerical_gradient
    differentiates self.loss, so the gradient check compares like with like (checking t once
    must not skip a redefined loss and drop the L2 term)."""
    class L2Net(TwoLayerNet):
        def loss(self, x, t):
            return super().loss(x, t) + 0.05 * float(np.sum(self.params["W1"] ** 2))

    net = L2Net(3, 4, 2, seed=0)
    expected = _book_numerical_gradient(net)
    got = net.numerical_gradient(X, T)
    np.testing.assert_array_equal(got["W1"], expected["W1"])


def test_numerical_gradient_honours_a_subclassed_last_layer_forward():
    """net.lastLayer replaced by a SoftmaxWithLoss subclass overriding forward (label smoothing):
    that forward is what is differentiated, not the base class's loss."""
    class Smoothed(SoftmaxWithLoss):
        def forward(self, x, t):
            c = np.shape(x)[-1]
            return super().forward(x, np.eye(c)[t] * 0.9 + 0.1 / c)

    net = TwoLayerNet(3, 4, 2, seed=0)
    net.lastLayer = Smoothed()
    expected = _book_numerical_gradient(net)
    np.testing.assert_array_equal(net.numerical_gradient(X, T)["b2"], expected["b2"])


def test_numerical_gradient_with_the_books_own_last_layer():
    """A student plugging in the book's SoftmaxWithLoss (common/layers.py: forward/backward only,
    no with_targets) gets the book's numerical gradient."""
    class BookSoftmaxWithLoss:
        def __init__(self):
            self.loss = self.y = self.t = None

        def forward(self, x, t):
            self.t, self.y = t, softmax(x)
            self.loss = cross_entropy_from_logits(x, t)
            return self.loss

    net = TwoLayerNet(3, 4, 2, seed=0)
    net.lastLayer = BookSoftmaxWithLoss()
    expected = _book_numerical_gradient(net)
    np.testing.assert_array_equal(net.numerical_gradient(X, T)["b2"], expected["b2"])


def test_softmax_subclass_with_its_own_init_reads_y_as_none():
    """A subclass whose __init__ copies the book's (no super().__init__()): reading .y before a
    forward gives None (not an AttributeError from the lazy property)."""
    class Mine(SoftmaxWithLoss):
        def __init__(self):
            self.loss = None
            self.y = None
            self.t = None

    assert Mine().y is None


# ---- 1b. lazy y: softmax's warnings move from forward to backward ----------------------------

def test_backward_after_a_quiet_forward_does_not_warn():
    """forward under np.errstate(all='ignore') with an inf score, backward outside: forward
    computes softmax, as the book does, so its warnings stay where they were (silenced), not
    moved to backward."""
    layer = SoftmaxWithLoss()
    with np.errstate(all="ignore"):
        layer.forward(np.array([np.inf, 0.0]), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer.backward()


# ---- 1c. MultiLayerNetExtend: state not restored when t is refused ---------------------------

def test_extend_bad_targets_leave_batchnorm_state_untouched():
    """Checking t once runs an eval-mode predict; a refused t must leave BatchNorm's
    running_mean as it was (None), not initialised to zeros."""
    net = MultiLayerNetExtend(3, [4], 2, use_batchnorm=True, use_dropout=True, seed=0)
    bn = next(layer for key, layer in net.layers.items() if "BatchNorm" in key)
    assert bn.running_mean is None
    with pytest.raises(ValueError, match="SoftmaxWithLoss: each row of t must sum to 1"):
        net.numerical_gradient(X, np.array([[0.5, 0.6]] * 5))
    assert bn.running_mean is None


# ---- 2. central differences ------------------------------------------------------------------

def test_central_difference_python_float_then_numpy_float32():
    """A hinge f = max(0.0, v) returns the Python float 0.0 on one side and v (np.float32) on the
    other: the difference is taken in Python floats (b3cbcd7's -1.50000007), not in float32
    (-1.50000012) because only f+ was a Python float."""
    w = np.array([1 / 3, 0.5])
    got = numerical_gradient(lambda w: max(0.0, np.float32(1 - 3 * w[0])), w)
    f_plus = max(0.0, np.float32(1 - 3 * (1 / 3 + 1e-4)))
    f_minus = max(0.0, np.float32(1 - 3 * (1 / 3 - 1e-4)))
    assert type(f_plus) is float and isinstance(f_minus, np.float32)
    expected = (float(f_plus) - float(f_minus)) / ((1 / 3 + 1e-4) - (1 / 3 - 1e-4))
    assert got[0] == expected


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numerical_gradient_transposed_and_0d(dtype):
    """A transposed view and a 0-d x: restored bit for bit, gradient as np.ndindex gave."""
    x = (np.arange(6.0).reshape(2, 3) * 0.37 - 0.4).astype(dtype)
    xt = x.T
    before = xt.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = numerical_gradient(lambda a: float(np.sum(np.sin(a.astype(np.float64)))), xt)
        z = np.array(2.5, dtype=dtype)
        gz = numerical_gradient(lambda a: float(a) ** 3, z)
    np.testing.assert_array_equal(xt, before)
    assert g.shape == (3, 2) and gz.shape == ()
    np.testing.assert_allclose(g, np.cos(before.astype(np.float64)), rtol=1e-2)


# ---- 3. autograd ------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [(4,), (2,)])
def test_public_sum_to_refuses_a_shape_g_does_not_broadcast_from(target):
    """autograd.sum_to(g of shape (2, 3), (4,) or (2,)) raises ValueError (cannot reshape), as
    in b3cbcd7; the leading-axes shortcut must not return an array of shape (3,) silently."""
    with pytest.raises(ValueError):
        sum_to(np.ones((2, 3)), target)


@pytest.mark.parametrize("shape", [(1, 3), (3,), (), (2, 1), (1, 1)])
def test_sum_to_bias_shapes_match_plain_sum(shape):
    """The broadcasting shapes of a bias: bit-identical to sum-with-keepdims, reshaped."""
    g = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    expected = g.sum(axis=axes, keepdims=True).reshape(shape)
    got = sum_to(g, shape)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()


def test_huge_finite_leaf_gradient_no_runtime_warning():
    """Gradients beyond 1e154 overflow _all_finite's dot product: nothing escapes."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    c = Tensor(np.array([1e160, 1.0, 1e300]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * c).sum().backward()
    assert x.grad.tolist() == [1e160, 1.0, 1e300]


def test_gradient_warning_names_the_first_leaf_made():
    """Two leaves with inf gradients: the warning names the first leaf in the engine's order,
    the order they were made (b), as the backward pass now runs in creation order (PyTorch's);
    b3cbcd7's depth-first order named the first input (a)."""
    b = Tensor(np.array([0.0, 1.0]), requires_grad=True, label="b")
    a = Tensor(np.array([0.0, 2.0, 3.0]), requires_grad=True, label="a")
    z = (a ** 0.5).sum() + (b ** 0.5).sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        z.backward()
    assert len(caught) == 1
    assert "reaches Tensor([0., 1.]" in str(caught[0].message)


def test_detect_anomaly_stops_at_the_first_step_the_engine_runs():
    """p = b ** 0.5 made before q = a ** 0.5, z = q + p: the engine runs the last made first,
    so q's step (input of shape (3,)) fails first (b3cbcd7's reversed depth-first order ran p's
    first)."""
    b = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    a = Tensor(np.array([0.0, 2.0, 3.0]), requires_grad=True)
    p = b ** 0.5
    q = a ** 0.5
    z = q.sum() + p.sum()
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"input of shape \(3,\)"):
        z.backward()
