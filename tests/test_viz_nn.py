"""Drawings of the nn package's own networks: one labelled cluster per module, collapse."""
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import viz
from nn import Affine, ReLU, Sequential, SoftmaxWithLoss, TwoLayerNet


def clusters(source: str) -> dict:
    """cluster name -> the node ids declared directly or nested inside it."""
    found, stack = {}, []
    for line in source.splitlines():
        start = re.match(r'\s*subgraph "?cluster_([^" ]+)"? \{', line)
        if start:
            stack.append(start.group(1))
            found[start.group(1)] = set()
        elif line.strip() == "}" and stack:
            stack.pop()
        else:
            node = re.match(r"\s*(\w+) \[label=", line)
            if node:
                for name in stack:
                    found[name].add(node.group(1))
    return found


def labelled(source: str, text: str) -> str:
    return re.search(r"(\w+) \[label=<<B>" + re.escape(text) + "</B>", source).group(1)


@pytest.fixture
def net_loss():
    net = TwoLayerNet(4, 3, 2, seed=0)
    loss = net.graph(np.random.default_rng(1).random((5, 4)), np.array([0, 1, 0, 1, 1]))
    loss.backward()
    return loss


def test_two_layer_net_has_a_cluster_per_layer(net_loss):
    source = viz.draw(net_loss, mode="both").source
    found = clusters(source)
    for layer in ("Affine1", "Relu1", "Affine2", "SoftmaxWithLoss"):
        assert f"TwoLayerNet/{layer}" in found, sorted(found)
    assert labelled(source, "W1") in found["TwoLayerNet/Affine1"]
    assert labelled(source, "b2") in found["TwoLayerNet/Affine2"]
    assert labelled(source, "x") not in found["TwoLayerNet"]  # the input comes from outside
    assert re.search(r"label=<ReLU>", source)


def test_two_layer_net_collapsed_is_one_node_per_layer(net_loss):
    source = viz.draw(net_loss, collapse=True).source
    modules = re.findall(r"m\d+ \[label=<<B>(\w+)</B>>", source)
    assert modules == ["Affine1", "Relu1", "Affine2", "SoftmaxWithLoss"]
    assert "(5, 3)" in source and "W1" not in source


def test_sequential_modules_are_clusters_and_render():
    if shutil.which("dot") is None:
        pytest.skip("needs graphviz's dot (apt-get install graphviz)")
    model = Sequential(Affine(3, 4, rng=0), ReLU(), Affine(4, 2, rng=1))
    loss = SoftmaxWithLoss()(model(np.ones((2, 3))), np.array([0, 1]))
    loss.backward()
    graph = viz.draw(loss, mode="both")
    names = set(clusters(graph.source))
    assert {"Sequential/Affine1", "Sequential/ReLU1", "Sequential/Affine2"} <= names
    svg = ET.fromstring(graph.pipe(format="svg"))
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Affine1", "ReLU1", "Affine2"} <= texts
