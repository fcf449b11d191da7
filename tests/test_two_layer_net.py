"""The lecture's TwoLayerNet: hand-written backward == autograd == numerical gradient."""
import numpy as np
import pytest

import nn.layers as L
from autograd import topological_order
from nn import TwoLayerNet
from nn.gradcheck import format_report
from nn.optim import SGD

KEYS = ("W1", "b1", "W2", "b2")


def rel_err(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)


def make(seed=0, n=12, d=20, hidden=10, classes=5, **kw):
    rng = np.random.default_rng(seed + 100)
    net = TwoLayerNet(d, hidden, classes, weight_init_std=0.5, seed=seed, **kw)
    net.params["b1"][...] = rng.normal(size=hidden) * 0.1  # non-zero biases get tested too
    net.params["b2"][...] = rng.normal(size=classes) * 0.1
    x = rng.normal(size=(n, d))
    t = rng.integers(0, classes, size=n)
    return net, x, t


def test_lecture_structure():
    net = TwoLayerNet(6, 4, 3, seed=0)
    assert list(net.layers) == ["Affine1", "Relu1", "Affine2"]
    assert isinstance(net.layers["Affine1"], L.Affine) and isinstance(net.layers["Relu1"], L.Relu)
    assert isinstance(net.lastLayer, L.SoftmaxWithLoss)
    assert {k: v.shape for k, v in net.params.items()} == {"W1": (6, 4), "b1": (4,), "W2": (4, 3),
                                                           "b2": (3,)}
    assert net.layers["Affine1"].W is net.params["W1"]
    assert net.layers["Affine2"].b is net.params["b2"]
    assert np.all(net.params["b1"] == 0)
    assert net.params["W1"].std() == pytest.approx(0.01, rel=0.5)  # the book's weight_init_std
    assert np.array_equal(net.params["W1"], TwoLayerNet(6, 4, 3, seed=0).params["W1"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_both_engines_agree(seed):
    net, x, t = make(seed)
    by_layers = net.gradient(x, t, engine="layers")
    by_autograd = net.gradient(x, t, engine="autograd")
    for k in KEYS:
        assert by_layers[k].shape == net.params[k].shape
        assert rel_err(by_layers[k], by_autograd[k]) < 1e-10, k


def test_loss_matches_autograd_graph_and_closed_form():
    net, x, t = make(3)
    h = np.maximum(x @ net.params["W1"] + net.params["b1"], 0)
    s = h @ net.params["W2"] + net.params["b2"]
    logp = s - s.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    expected = -np.mean(logp[np.arange(len(t)), t])
    assert net.loss(x, t) == pytest.approx(expected, rel=1e-12)
    assert net.graph(x, t).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("engine", ["layers", "autograd"])
def test_backprop_matches_numerical_gradient(engine):
    net, x, t = make(4)
    # the trap: a ReLU input within h = 1e-4 of 0 would flip under the perturbation
    pre = x @ net.params["W1"] + net.params["b1"]
    assert np.min(np.abs(pre)) > 1e-3
    numerical = net.numerical_gradient(x, t)
    backprop = net.gradient(x, t, engine=engine)
    for k in KEYS:
        assert rel_err(backprop[k], numerical[k]) < 1e-6, k
    diffs = net.gradient_check(x, t, engine=engine)  # the lecture's printout: mean |diff|
    assert list(diffs) == list(KEYS) and all(v < 1e-8 for v in diffs.values())
    assert format_report(diffs).splitlines()[0].startswith("W1:")


def test_autograd_engine_shares_the_arrays():
    net, x, t = make(5)
    loss = net.graph(x, t)
    leaves = {n.label: n for n in topological_order([loss]) if not n.parents and n.requires_grad}
    assert set(leaves) == set(KEYS)
    for k in KEYS:
        assert np.shares_memory(leaves[k].data, net.params[k])


def test_graph_scopes():
    net, x, t = make(6)
    loss = net.graph(x, t)
    nodes = topological_order([loss])
    by_op = {}
    for n in nodes:
        by_op.setdefault(n.op, set()).add(n.scope)
    assert by_op["@"] == {"TwoLayerNet/Affine1", "TwoLayerNet/Affine2"}
    assert by_op["ReLU"] == {"TwoLayerNet/Relu1"}
    assert by_op["cross_entropy"] == {"TwoLayerNet/SoftmaxWithLoss"}
    scopes = {n.label: n.scope for n in nodes if n.label}
    assert scopes["W1"] == "TwoLayerNet/Affine1" and scopes["b2"] == "TwoLayerNet/Affine2"


def test_update_in_place_keeps_layers_and_params_shared():
    net, x, t = make(7)
    arrays = {k: net.params[k] for k in KEYS}
    before = {k: v.copy() for k, v in net.params.items()}
    loss0 = net.loss(x, t)
    optimizer = SGD(lr=0.1)
    for engine in ("layers", "autograd", "layers"):
        grads = net.gradient(x, t, engine=engine)
        optimizer.update(net.params, grads)
    assert all(net.params[k] is arrays[k] for k in KEYS)
    for i in (1, 2):
        layer = net.layers[f"Affine{i}"]
        assert layer.W is net.params[f"W{i}"] and layer.b is net.params[f"b{i}"]
    assert not np.array_equal(before["W1"], net.params["W1"])
    assert net.loss(x, t) < loss0


def test_accuracy_int_and_one_hot():
    net, x, t = make(8, n=10)
    p = net.params
    scores = np.maximum(x @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
    predicted = np.argmax(scores, axis=1)
    labels = predicted.copy()
    labels[6:] = (labels[6:] + 1) % 5  # 6 right, 4 wrong
    assert net.accuracy(x, labels) == pytest.approx(0.6)
    assert net.accuracy(x, np.eye(5)[labels]) == pytest.approx(0.6)


def test_float32_engines_agree():
    net, x, t = make(9, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in net.params.values())
    a, b = net.gradient(x.astype(np.float32), t), net.gradient(x, t, engine="autograd")
    for k in KEYS:
        assert b[k].dtype == np.float32
        assert rel_err(a[k], b[k]) < 1e-5, k


def test_engine_choice():
    net, x, t = make(10, engine="autograd")
    assert net.engine == "autograd"
    g = net.gradient(x, t)
    assert rel_err(g["W1"], net.gradient(x, t, engine="layers")["W1"]) < 1e-10
    with pytest.raises(ValueError, match="engine"):
        TwoLayerNet(2, 2, 2, engine="torch")
    with pytest.raises(ValueError, match="engine"):
        net.gradient(x, t, engine="magic")
