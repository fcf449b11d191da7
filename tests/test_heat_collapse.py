"""Gradient health (viz.health) and the clusters the page collapses (viz.layouts), in Python:
magnitudes, the colour scale, the static heat drawing, cluster ids, the output drawn outside its
module, sibling modules in natural order. The page itself: test_heat_collapse_browser.py."""
from __future__ import annotations

import math
import random
import re
import shutil

import numpy as np
import pytest

import viz
from autograd import Value
from nn import Sequential
from nn.autograd_layers import Affine, Sigmoid, SoftmaxWithLoss
from nn.scalar import MLP
from viz.health import RAMP, auto_scale, color, heat_data, heat_graph, magnitude, position
from viz.layouts import natural_key, scope_ids, scopes

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def mlp_out(sizes=(3, 1), seed=0):
    random.seed(seed)
    out = MLP(2, list(sizes))([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.label = "out"
    out.backward()
    return out


def test_magnitudes_are_abs_and_norms_and_edges_carry_what_was_sent():
    assert magnitude(-3.0) == 3.0 and magnitude(None) is None
    assert magnitude(np.array([3.0, 4.0])) == 5.0
    assert math.isinf(magnitude(np.array([1.0, np.inf]))) and math.isnan(magnitude(np.array([np.nan])))
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    d = c * 10
    d.label = "d"
    d.backward()
    data = heat_data(d)
    order = viz.nodes.graph_order(d)
    k = {n: i for i, n in enumerate(order)}
    assert data["nodes"][k[a]] == 30.0 and data["nodes"][k[b]] == 20.0 and data["nodes"][k[d]] == 1
    assert data["ins"][k[c]] == [30.0, 20.0]  # c sent -30 to a, 20 to b
    const = d.parents[1]
    assert data["nodes"][k[const]] is None and data["ins"][k[d]][1] is None  # no gradient
    assert (data["lo"], data["hi"]) == (0, 2)


def test_scale_positions_and_colours_are_ordered():
    assert auto_scale([1e-7, 0.0, None, 3.0, float("inf")]) == (-7, 1)
    assert auto_scale([]) == (-1, 1) and auto_scale([1.0]) == (0, 1)
    mags = [1e-9, 1e-6, 1e-3, 0.5, 1.0, 40.0, 1e5]
    ts = [position(m, -6, 3) for m in mags]
    assert ts == sorted(ts) and ts[0] == 0.0 and ts[-1] == 1.0
    assert position(0.0, -6, 3) is None and position(float("nan"), -6, 3) is None
    assert color(0.0) == RAMP[0][1] and color(1.0) == RAMP[-1][1] and color(0.5) == RAMP[2][1]


@needs_dot
def test_heat_graph_colours_edges_by_magnitude_with_a_legend():
    rng = np.random.default_rng(0)
    net = Sequential(Affine(4, 4, init=1.0, rng=rng), Sigmoid(), Affine(4, 3, init=1.0, rng=rng))
    loss = SoftmaxWithLoss()(net(rng.standard_normal((2, 4))), np.array([0, 2]))
    loss.backward()
    graph = heat_graph(loss, scale=(-4, 1), title="demo")
    source = graph.source
    assert "tg_heat_legend" in source and "1e-4" in source and "1e1" in source
    widths = {m.group(1): float(m.group(2)) for m in re.finditer(
        r"id=(n\d+_in\d+)[^\n]*penwidth=\"([\d.]+)\"", source)}
    data = heat_data(loss, (-4, 1))
    pairs = sorted((float(data["ins"][int(e[1:].split("_")[0])][int(e.split("in")[1])]), w)
                   for e, w in widths.items())
    assert len(pairs) >= 6 and [w for _, w in pairs] == sorted(w for _, w in pairs)
    assert graph.pipe(format="svg")  # dot accepts it
    with pytest.raises(ValueError, match="backward"):
        heat_graph(Value(1.0) * 2)


def test_scopes_sort_naturally_and_get_cluster_ids():
    out = mlp_out((3, 1))
    names = scopes(viz.nodes.graph_order(out))
    assert names[:3] == ["MLP", "MLP/layers.0", "MLP/layers.0/neurons.0"]
    assert sorted(["a.10", "a.9", "a.1"], key=natural_key) == ["a.1", "a.9", "a.10"]
    ids = scope_ids(viz.nodes.graph_order(out))
    source = viz.draw(out).source
    for scope, cid in ids.items():
        assert f"id={cid}" in source
    assert source.count('class="tg-cluster"') == len(ids)


@needs_dot
def test_the_output_is_drawn_outside_its_module_and_neurons_keep_their_order():
    out = mlp_out((4, 1))
    source = viz.draw(out, collapse=True).source
    k = len(viz.nodes.graph_order(out)) - 1
    top = source.split("subgraph")[0]
    assert f"n{k} [" in top and f"n{k}_op [" in top  # out and its + outside the modules
    expanded = viz.draw(out).source
    assert f"n{k} [" in expanded.split("subgraph")[0] and f"n{k}_op [" not in \
        expanded.split("subgraph")[0]
    # top to bottom: neurons.0 first, left to right in TB
    svg = viz.draw(out, rankdir="TB").pipe(format="svg", encoding="utf-8")
    xs = [(float(m.group(2)), int(m.group(1))) for m in re.finditer(
        r"<title>cluster_MLP/layers\.0/neurons\.(\d+)</title>.*?d=\"M([\d.-]+),", svg, re.S)]
    assert [n for _, n in sorted(xs)] == [0, 1, 2, 3]
    data = viz.explore(out).data
    assert data["scopes"][0] == "MLP" and data["view"] == "plain" and "heat" in data


@needs_dot
def test_gradient_health_demo_shows_the_sigmoid_gradient_shrinking(tmp_path):
    from demos import gradient_health
    result = gradient_health.run(["--batch", "4"], out_dir=tmp_path)
    names = sorted(p.name for p in result.files)
    assert "gradient_health_sigmoid.svg" in names and "gradient_health_relu_explorer.html" in names
    sig, relu = result.numbers["sigmoid"], result.numbers["relu"]
    # the first layer's weights get a far smaller gradient than the last's in the sigmoid net
    assert sig["first_W_grad_norm"] < sig["last_W_grad_norm"] / 5
    assert 0.5 < relu["first_W_grad_norm"] / relu["last_W_grad_norm"] < 2
    page = (tmp_path / "gradient_health_sigmoid_explorer.html").read_text(encoding="utf-8")
    assert '"view":"heat"' in page
