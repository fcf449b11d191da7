"""viz.check: every node's gradient against a reference, and the operation whose backward is wrong.

A custom Function with one mistake in its backward sits in the middle of a small network; the
check must name exactly that node, with the numerical reference and with PyTorch. Right graphs
(scalar and Tensor, micrograd's README expression, TwoLayerNet) must be all within tolerance.
"""
from __future__ import annotations

import numpy as np
import pytest

import viz
from autograd import Function, Tensor, Value, sum_to
from functions import Softplus, SoftplusWrongSign, sigmoid
from graphs import micrograd_expression

REFERENCES = ["numerical", "torch"]


def _reference(name: str) -> str:
    if name == "torch":
        pytest.importorskip("torch")
    return name


class SoftplusMissingFactor(Softplus):
    def backward(self, g, x, out):
        return (g * sigmoid(x) * sigmoid(x),)  # an extra factor sigmoid(x)


class AddBias(Function):
    """a + b, b of shape (n,) broadcast over the rows of a."""
    symbol = "+b"

    def forward(self, a, b):
        return a + b

    def backward(self, g, a, b, out):
        return sum_to(g, a.shape), sum_to(g, b.shape)


class AddBiasNotSummed(AddBias):
    def backward(self, g, a, b, out):
        return g, g  # b's gradient keeps shape (N, n)


class Scale(Function):
    """a · b elementwise (no torch_forward: PyTorch replays it numerically)."""
    symbol = "a·b"

    def forward(self, a, b):
        return a * b

    def backward(self, g, a, b, out):
        return g * b, g * a


class ScaleSwapped(Scale):
    def backward(self, g, a, b, out):
        return g * a, g * b  # each input gets the other's gradient


def network(activation=Softplus, bias=AddBias, scale=Scale, seed=0):
    """x @ W, a bias, a custom scale, an activation, a squared mean: (the loss, the nodes)."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((3, 4)), label="x")
    W = Tensor(rng.standard_normal((4, 5)) * 0.5, requires_grad=True, label="W")
    b = Tensor(rng.standard_normal(5) * 0.1, requires_grad=True, label="b")
    s = Tensor(rng.uniform(0.5, 1.5, (3, 5)), requires_grad=True, label="s")
    z = bias()(x @ W, b)
    z.label = "z"
    u = scale()(z, s)
    u.label = "u"
    h = activation()(u)
    h.label = "h"
    W2 = Tensor(rng.standard_normal((5, 2)), requires_grad=True, label="W2")
    loss = ((h @ W2).tanh() ** 2).mean()
    loss.label = "loss"
    return loss, {"z": z, "u": u, "h": h, "W": W, "b": b, "s": s}


@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("kind, where, words", [
    ({"activation": SoftplusWrongSign}, "h", "wrong sign"),
    ({"activation": SoftplusMissingFactor}, "h", ""),
    ({"bias": AddBiasNotSummed}, "z", "sum_to"),
    ({"scale": ScaleSwapped}, "u", ""),
], ids=["sign", "factor", "not-summed", "swapped"])
def test_a_wrong_backward_is_named_at_its_node(kind, where, words, reference):
    loss, nodes = network(**kind)
    result = viz.check(loss, _reference(reference))
    assert not result.ok
    assert result.first_bad is nodes[where], str(result)
    bad = result.first_bad_check
    assert bad.ok and not bad.sends_ok  # its own gradient is right, what it sends is not
    assert f"the backward of {where} = " in result.verdict()
    assert words in str(result)
    upstream = [c for c in result.nodes if c.node is not loss][:3]  # loss side of the bug
    assert all(c.ok for c in upstream)


@pytest.mark.parametrize("reference", REFERENCES)
def test_a_right_network_with_custom_functions_is_all_within_tolerance(reference):
    loss, _ = network()
    result = viz.check(loss, _reference(reference))
    assert result.ok and result.first_bad is None, str(result)
    assert len(result.nodes) == 12  # every node that needs a gradient (not x)
    assert max(result.errors.values()) < result.rtol


def test_torch_replays_known_ops_and_says_when_it_falls_back():
    pytest.importorskip("torch")
    loss, _ = network()
    result = viz.check(loss, "torch")
    assert any("Scale has no PyTorch equivalent" in n for n in result.notes)  # no torch_forward
    assert not any("Softplus" in n for n in result.notes)  # has one
    import torch
    result = viz.check(network()[0], "torch", torch_ops={Scale: torch.mul, "addbias": torch.add})
    assert not any("PyTorch equivalent" in n for n in result.notes) and result.ok
    assert result.rtol == 1e-9  # all in PyTorch: the tight tolerance


@pytest.mark.parametrize("reference", REFERENCES)
def test_micrograds_readme_expression_is_right(reference):
    g, a, b = micrograd_expression(backward=False)
    result = viz.check(g, _reference(reference))
    assert result.ok, str(result)
    checked = {c.node: c for c in result.nodes}
    assert checked[a].grad == pytest.approx(138.83381924198252, rel=1e-12)  # micrograd's README
    assert checked[b].grad == pytest.approx(645.5772594752186, rel=1e-12)
    assert a.grad == 0.0 and b.grad == 0.0  # the check leaves .grad alone


@pytest.mark.parametrize("reference", REFERENCES)
def test_two_layer_nets_autograd_graph_is_right(reference):
    from nn import TwoLayerNet
    net = TwoLayerNet(4, 5, 3, weight_init_std=0.5, seed=0)
    x = np.random.default_rng(1).standard_normal((6, 4))
    loss = net.graph(x, np.array([0, 1, 2, 0, 1, 2]))
    result = viz.check(loss, _reference(reference))
    assert result.ok, str(result)
    assert {c.op for c in result.nodes} >= {"CrossEntropy", "MatMul", "Relu", "Add", "leaf"}


def test_after_backward_the_check_still_runs_and_says_how():
    loss, nodes = network(activation=SoftplusWrongSign)
    loss.backward()  # releases what the operations saved
    W_grad = nodes["W"].grad.copy()
    result = viz.check(loss)
    assert result.first_bad is nodes["h"]
    assert "released" in result.notes[0]
    assert np.array_equal(nodes["W"].grad, W_grad)


def test_float32_graphs_get_a_float32_tolerance():
    from nn import TwoLayerNet
    net = TwoLayerNet(4, 5, 3, weight_init_std=0.5, seed=0, dtype=np.float32)
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    result = viz.check(net.graph(x, np.array([0, 1, 2, 0, 1, 2])))
    assert result.ok and result.rtol == 1e-3 and "float32" in result.why


def test_the_drawing_marks_the_first_bad_node():
    from autograd import topological_order
    loss, nodes = network(activation=SoftplusWrongSign)
    result = viz.check(loss)
    lines = result.draw().source.splitlines()
    k = topological_order([loss]).index(nodes["h"])  # drawings number nodes in this order
    marked = [line for line in lines if "first bad" in line]
    assert len(marked) == 1 and marked[0].strip().startswith(f"n{k}_op [")
    assert 'fillcolor="#ff6b6b"' in marked[0] and "penwidth=4" in marked[0]
    k_W = topological_order([loss]).index(nodes["W"])  # received the mistake: red
    assert any(line.strip().startswith(f"n{k_W} [") and "#ffb3b3" in line for line in lines)
    k_W2 = topological_order([loss]).index(loss.parents[0].parents[0].parents[0].parents[1])
    assert any(line.strip().startswith(f"n{k_W2} [") and "#d8f5dc" in line for line in lines)
    assert "<table>" in result._repr_html_()


def test_a_large_node_is_sampled():
    x = Tensor(np.random.default_rng(0).standard_normal((30, 20)), requires_grad=True)
    result = viz.check(Softplus()(x).sum(), max_entries=50)
    assert result.ok
    leaf = next(c for c in result.nodes if c.node is x)
    assert leaf.sampled == 50 and np.isnan(leaf.reference).sum() == 600 - 50
    assert "sample" in result.notes[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="reference must be one of"):
        viz.check(micrograd_expression(backward=False)[0], "exact")
    with pytest.raises(ValueError, match="leaf"):
        viz.check(Value(1.0))
    with pytest.raises(TypeError, match="viz.check checks a Value or Tensor"):
        viz.check(3.0)


def test_the_demo_prints_the_verdict_and_draws(tmp_path, capsys):
    from demos import custom_function
    found = custom_function.main([], out_dir=tmp_path)
    assert found["right"].ok and not found["broken"].ok
    assert found["check"].first_bad.label == "h"
    out = capsys.readouterr().out
    assert "the backward of h = BrokenSoftplus is wrong" in out
    if found["drawing"] is not None:
        assert (tmp_path / "custom_function_check.svg").read_text().startswith("<?xml")


class _SqSignWrong(Function):
    symbol = "sqbad"

    def forward(self, x):
        return x * x

    def backward(self, g, x, out):
        return (-2 * g * x,)  # the sign is wrong


@pytest.mark.parametrize("reference", REFERENCES)
def test_a_large_loss_does_not_hide_a_wrong_small_gradient(reference):
    # the true gradient of w is 2w = [0.02, -0.04] (closed form); the loss is ~1e8
    big = Tensor(np.array([1e4]), requires_grad=True, label="big")
    w = Tensor(np.array([0.01, -0.02]), requires_grad=True, label="w")
    s = _SqSignWrong()(w)
    s.label = "s"
    loss = (big * big).sum() + s.sum()
    result = viz.check(loss, _reference(reference))
    assert not result.ok and result.first_bad is s, str(result)
    sent = next(c for c in result.nodes if c.node is s).sends[0]
    assert "wrong sign" in sent.hint


@pytest.mark.parametrize("reference", REFERENCES)
def test_right_gradients_of_mixed_scales_pass(reference):
    x = Tensor(np.array([15.0, 1.0, -3.0]), requires_grad=True, label="x")
    assert viz.check(x.exp().sum(), _reference(reference)).ok
    y = Tensor(np.array([1e4, 1e-3]), requires_grad=True, label="y")
    assert viz.check((y * y).sum(), _reference(reference)).ok


def test_an_input_at_a_kink_is_not_blamed_on_a_backward():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True, label="x")
    result = viz.check(x.relu().sum())
    assert result.first_bad is None
    assert "x[0] = 0 is at a kink" in result.verdict() and "move the input away" in result.verdict()
    a = Value(0.0, label="a")
    result = viz.check(a.relu() + a)
    assert result.first_bad is None and "a = 0 is at a kink" in result.verdict()
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True, label="x")  # away from it: fine
    assert viz.check(x.relu().sum()).ok
