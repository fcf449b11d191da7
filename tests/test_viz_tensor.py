"""viz on Tensor graphs: shapes on nodes and edges (figure 5-24/5-25), module clusters, collapse."""
from __future__ import annotations

import numpy as np
import pytest

import autograd
import viz
from autograd import Tensor
from test_viz_graph import (black_lines, box_named, edge, label_lines, op_fed_by, parse_dot,
                            red_lines)


@pytest.fixture
def affine():
    """Y = X @ W + b with X (2, 3), W (3, 2), b (2,); L = sum(Y)."""
    X = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], label="X")
    W = Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True, label="W")
    b = Tensor([0.5, -0.5], requires_grad=True, label="b")
    XW = X @ W
    XW.label = "XW"
    Y = XW + b
    Y.label = "Y"
    L = Y.sum()
    L.label = "L"
    L.backward()
    return L


def test_affine_graph_shows_shapes_on_nodes_and_edges(affine):
    dot = parse_dot(viz.draw(affine, mode="both").source)
    X, W, b, XW, Y = (box_named(dot, n) for n in ("X", "W", "b", "XW", "Y"))
    matmul, plus = op_fed_by(dot, XW), op_fed_by(dot, Y)
    assert label_lines(dot["nodes"][matmul]["label"]) == ["a@b"]  # X enters at a, W at b
    assert edge(dot, X, matmul)["headport"] == "i0:w" and edge(dot, W, matmul)["headport"] == "i1:w"
    into_w = edge(dot, W, matmul)["label"]
    assert black_lines(into_w) == ["(3, 2)"] and red_lines(into_w) == ["(3, 2)"]
    into_b = edge(dot, b, plus)["label"]  # the bias is broadcast, its gradient summed back
    assert black_lines(into_b) == ["(2,)"] and red_lines(into_b) == ["(2,)"]
    into_x = edge(dot, X, matmul)["label"]  # X needs no gradient: none on its edge
    assert label_lines(into_x) == ["(2, 3)"] and red_lines(into_x) == []
    assert red_lines(edge(dot, XW, plus)["label"]) == ["(2, 2)"]


def test_small_tensors_show_values_and_gradients(affine):
    dot = parse_dot(viz.draw(affine, mode="both").source)
    assert label_lines(dot["nodes"][box_named(dot, "X")]["label"]) == \
        ["X", "(2, 3)", "[1, 2, 3]", "[4, 5, 6]"]
    # dL/db = column sums of ones(2, 2) = [2, 2]; dL/dW = X.T @ ones(2, 2): rows 5, 7, 9
    assert red_lines(dot["nodes"][box_named(dot, "b")]["label"]) == ["grad (2,)", "[2, 2]"]
    assert red_lines(dot["nodes"][box_named(dot, "W")]["label"]) == \
        ["grad (3, 2)", "[5, 5]", "[7, 7]", "[9, 9]"]
    # L = sum(X @ W + b): X @ W = [[1.6, 2.2], [3.4, 4.9]], plus b: total 12.1
    assert label_lines(dot["nodes"][box_named(dot, "L")]["label"]) == ["L", "() = 12.1", "grad () = 1"]


def test_large_tensors_never_show_values_and_dtype_is_named():
    A = Tensor(np.full((4, 5), 7.25), requires_grad=True, label="A")
    h = Tensor(np.ones((5,), dtype=np.float32), requires_grad=True, label="h")
    s = (A.sum() * 2.0)
    s.label = "s"
    s.backward()
    dot = parse_dot(viz.draw(s, mode="both").source)
    assert label_lines(dot["nodes"][box_named(dot, "A")]["label"]) == ["A", "(4, 5)", "grad (4, 5)"]
    assert "7.25" not in viz.draw(s).source
    dot = parse_dot(viz.draw(h * 3.0, mode="forward").source)
    assert label_lines(dot["nodes"][box_named(dot, "h")]["label"])[1] == "(5,) float32"


def two_layer_net(X: Tensor, t: np.ndarray):
    rng = np.random.default_rng(0)
    W1 = Tensor(rng.normal(size=(3, 4)), requires_grad=True, label="W1")
    b1 = Tensor(np.zeros(4), requires_grad=True, label="b1")
    W2 = Tensor(rng.normal(size=(4, 2)), requires_grad=True, label="W2")
    b2 = Tensor(np.zeros(2), requires_grad=True, label="b2")
    with autograd.scope("TwoLayerNet"):
        with autograd.scope("Affine1"):
            h = X @ W1 + b1
        with autograd.scope("Relu1"):
            h = h.relu()
        with autograd.scope("Affine2"):
            scores = h @ W2 + b2
        loss = autograd.cross_entropy(scores, t)
    loss.label = "loss"
    loss.backward()
    return loss


@pytest.fixture
def net():
    X = Tensor(np.linspace(-1, 1, 15).reshape(5, 3), label="X")
    return two_layer_net(X, np.array([0, 1, 1, 0, 1]))


def test_two_layer_net_is_drawn_in_module_clusters(net):
    dot = parse_dot(viz.draw(net, mode="both").source)
    clusters = dot["clusters"]
    assert clusters["cluster_TwoLayerNet"]["parent"] is None
    for name in ("Affine1", "Relu1", "Affine2"):
        cluster = clusters[f"cluster_TwoLayerNet/{name}"]
        assert cluster["parent"] == "cluster_TwoLayerNet"
        assert label_lines(cluster["attrs"]["label"]) == [name]
    relu = [i for i, a in dot["nodes"].items() if label_lines(a["label"]) == ["ReLU"]]
    assert len(relu) == 1
    assert dot["nodes"][relu[0]]["cluster"] == ("cluster_TwoLayerNet", "cluster_TwoLayerNet/Relu1")
    assert dot["nodes"][box_named(dot, "W1")]["cluster"] == ()  # made outside any forward
    into_w1 = [a["label"] for t, _, a in dot["edges"] if t == box_named(dot, "W1")]
    assert [black_lines(x) for x in into_w1] == [["(3, 4)"]]
    assert [red_lines(x) for x in into_w1] == [["(3, 4)"]]


def test_two_layer_net_collapsed_to_module_boxes(net):
    dot = parse_dot(viz.draw(net, mode="both", collapse=True).source)
    modules = {label_lines(a["label"])[0]: i for i, a in dot["nodes"].items()
               if "#e6f4ea" in a.get("fillcolor", "")}
    assert set(modules) == {"Affine1", "Relu1", "Affine2", "TwoLayerNet"}
    hidden = edge(dot, modules["Affine1"], modules["Relu1"])["label"]
    assert black_lines(hidden) == ["(5, 4)"] and red_lines(hidden) == ["(5, 4)"]
    assert black_lines(edge(dot, modules["Affine2"], modules["TwoLayerNet"])["label"]) == ["(5, 2)"]
    assert black_lines(edge(dot, box_named(dot, "X"), modules["Affine1"])["label"]) == ["(5, 3)"]
    assert black_lines(edge(dot, box_named(dot, "b2"), modules["Affine2"])["label"]) == ["(2,)"]
    assert not [a for a in dot["nodes"].values() if a.get("shape") == "circle"]


def test_tensor_steps_explain_with_shapes(affine):
    frames = list(viz.backward_steps(affine))
    assert [f.node.label for f in frames] == ["L", "Y", "XW"]
    last = frames[-1].text
    assert "grad (2, 2) → W: (3, 2)" in last
    assert "X: nothing (requires_grad=False)" in last
    assert "grad (2, 2) → b: (2,)" in frames[1].text
