"""What a backward pass keeps: saved arrays are released unless retain_graph; no growth in training."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

from gradcheck import rng

from autograd import Tensor, Value, cross_entropy, no_grad, topological_order


def small_net(seed=0):
    r = rng(seed)
    X = r.standard_normal((16, 20))
    labels = r.integers(0, 4, size=16)
    params = [Tensor(r.standard_normal((20, 10)) * 0.3, requires_grad=True),
              Tensor(np.zeros(10), requires_grad=True),
              Tensor(r.standard_normal((10, 4)) * 0.3, requires_grad=True),
              Tensor(np.zeros(4), requires_grad=True)]
    return X, labels, params


def forward(X, labels, params):
    W1, b1, W2, b2 = params
    h = (Tensor(X) @ W1 + b1).relu()
    return cross_entropy(h @ W2 + b2, labels)


def nodes_with_fn(root):
    return [n for n in topological_order([root]) if n._op is not None]


# ---- release after backward ---------------------------------------------------------------------
def test_backward_releases_what_operations_saved():
    X, labels, params = small_net()
    loss = forward(X, labels, params)
    nodes = nodes_with_fn(loss)
    assert loss._op.saved is not None  # cross_entropy keeps probabilities for backward
    loss.backward()
    for node in nodes:
        assert node._op.released, node._op
        assert node._op.saved is None, node._op
        assert isinstance(node.data, np.ndarray)  # node data stays
        assert node.grad is not None  # and so do the grads of this pass
    assert all(p.grad is not None for p in params)


def test_retain_graph_keeps_what_operations_saved():
    X, labels, params = small_net()
    loss = forward(X, labels, params)
    loss.backward(retain_graph=True)
    assert loss._op.saved is not None
    assert not any(node._op.released for node in nodes_with_fn(loss))


def test_max_saved_mask_released():
    x = Tensor(rng().standard_normal((3, 4)), requires_grad=True)
    y = x.max(axis=1)
    assert y._op.saved is not None
    y.sum().backward()
    assert y._op.saved is None


SECOND_BACKWARD = {
    "mul": lambda x: (x * x).sum(),
    "div": lambda x: (1.0 / (x * x + 1)).sum(),
    "exp": lambda x: x.exp().sum(),
    "tanh": lambda x: x.tanh().sum(),
    "matmul": lambda x: (x @ x.T).sum(),
    "max": lambda x: x.max(axis=0).sum(),
    "softmax": lambda x: (x.softmax() * np.arange(4.0)).sum(),
    "cross_entropy": lambda x: cross_entropy(x, np.array([0, 3, 1])),
}


@pytest.mark.parametrize("name", list(SECOND_BACKWARD))
def test_second_backward_without_retain_graph_raises(name):
    x = Tensor(rng().standard_normal((3, 4)), requires_grad=True)
    y = SECOND_BACKWARD[name](x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


@pytest.mark.parametrize("name", list(SECOND_BACKWARD))
def test_second_backward_with_retain_graph_doubles_leaf_grads(name):
    x = Tensor(rng().standard_normal((3, 4)), requires_grad=True)
    y = SECOND_BACKWARD[name](x)
    y.backward(retain_graph=True)
    once = x.grad.copy()
    assert np.abs(once).max() > 0
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * once, rtol=1e-15)


def test_intermediates_hold_this_pass_not_the_sum():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = a * a
    y = (h * 3.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(h.grad, [3.0, 3.0])  # this pass only
    np.testing.assert_array_equal(a.grad, [12.0, 24.0])  # two passes of 6a


def test_value_graph_runs_backward_twice():
    x, y = Value(2.0), Value(-3.0)
    z = (x * y).tanh() + x.exp() / y ** 2 + (x * x).log()
    z.backward()
    once = (x.grad, y.grad)
    z.backward()
    assert x.grad == pytest.approx(2 * once[0], rel=1e-15)
    assert y.grad == pytest.approx(2 * once[1], rel=1e-15)
    assert z.grad == 1.0  # the output's grad is this pass's seed


def test_no_grad_forward_keeps_no_graph():
    X, labels, params = small_net()
    with no_grad():
        loss = forward(X, labels, params)
    assert loss._op is None and loss.parents == () and not loss.requires_grad


def test_graph_freed_by_reference_counting_alone():
    """Without the cycle collector the arrays of a finished step are gone: no reference cycles."""
    X, labels, params = small_net()
    gc.collect()
    gc.disable()
    try:
        loss = forward(X, labels, params)
        arrays = [weakref.ref(n.data) for n in topological_order([loss]) if n._parents]
        saved = weakref.ref(loss._op.saved[0])
        loss.backward()
        grads = [weakref.ref(n.grad) for n in topological_order([loss]) if n._parents]
        del loss
        assert all(r() is None for r in arrays), "intermediate data outlived the graph"
        assert all(r() is None for r in grads), "intermediate grads outlived the graph"
        assert saved() is None
    finally:
        gc.enable()


# ---- a training loop does not grow -------------------------------------------------------------------
def test_training_loop_memory_is_flat():
    X, labels, params = small_net(1)
    lr = 0.1

    def step():
        loss = forward(X, labels, params)
        loss.backward()
        with no_grad():
            for p in params:
                p.data -= lr * p.grad  # in place
                p.grad = None
        return loss.item()

    tracemalloc.start()
    try:
        losses = []
        for i in range(1, 1001):
            losses.append(step())
            if i == 100:  # after a warm-up of 100 steps (caches, NumPy's small-array pools)
                gc.collect()
                at_100 = tracemalloc.get_traced_memory()[0]
        gc.collect()
        at_1000 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert at_1000 - at_100 < 50_000, f"traced memory grew by {at_1000 - at_100} bytes"
    assert losses[-1] < 0.5 * losses[0]  # and it did train
    assert all(p.grad is None for p in params)
