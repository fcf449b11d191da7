"""viz.explore's description of a graph (viz.describe): chain-rule terms and path products add up
to the engine's gradients, local derivatives read as rules, Tensor rules carry the real shapes;
and the page it writes (one SVG, the JSON, no network)."""
from __future__ import annotations

import json
import math
import re
import shutil

import numpy as np
import pytest

import viz
from autograd import Value
from nn import TwoLayerNet
from test_viz_graph import apple_graph
from viz.describe import describe, expand_path

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def micrograd_expression():
    """micrograd's README expression: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773."""
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    g.backward()
    return g, a, b


def by_name(data: dict, name: str) -> dict:
    [node] = [n for n in data["nodes"] if n["name"] == name]
    return node


def all_path_products(data: dict, k: int) -> list[float]:
    """Every path from the output to node k, enumerated independently of the page's top list."""
    parents = [n["parents"] for n in data["nodes"]]
    out = data["output"]
    products = []

    def walk(node: int, product: float) -> None:
        if node == k:
            products.append(product)  # (a path ends at k; k's own parents lead elsewhere)
            return
        for i, p in enumerate(parents[node]):
            walk(p, product * data["nodes"][node]["locals"][i]["number"])

    walk(out, 1.0)
    return products


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300) or abs(a - b) <= rel * max(1.0, abs(b))


def test_apple_chain_rule_and_path():
    price, apple, apple_num, tax = apple_graph()
    price.backward()
    data = describe(price)
    node = by_name(data, "apple")
    [term] = node["terms"]
    assert (term["upstream"], term["local"]) == (1.1, 2.0)
    assert term["product"] == pytest.approx(2.2) and data["nodes"][term["child"]]["name"] == "apple_price"
    chain = dict(node["sections"])["Chain rule"]
    assert "∂price/∂apple = 2.2 = 1.1 × 2" in chain
    assert node["paths"]["count"] == 1
    [(product, *_)] = node["paths"]["top"]
    assert product == pytest.approx(2.2)
    names = [(data["nodes"][k]["name"], local) for k, local in expand_path(data, 0, 0)]
    assert names == [("price", None), ("apple_price", 1.1), ("apple", 2.0)]
    locals_ = dict(by_name(data, "price")["sections"])["Local derivatives"]
    assert locals_ == ["∂price/∂apple_price: ∂(a×b)/∂a = b = 1.1",
                       "∂price/∂tax: ∂(a×b)/∂b = a = 200"]
    assert data["backward"] == [4, 2] and data["nodes"][data["output"]]["name"] == "price"


def test_micrograd_terms_and_paths_add_up_to_every_gradient():
    g, a, b = micrograd_expression()
    assert (f"{g.data:.4f}", f"{a.grad:.4f}", f"{b.grad:.4f}") == ("24.7041", "138.8338", "645.5773")
    data = describe(g)
    order = viz.nodes.graph_order(g)
    assert len(data["nodes"]) == len(order)
    for k, (node, engine_node) in enumerate(zip(data["nodes"], order)):
        grad = engine_node.grad
        assert node["gradNum"] == grad
        if engine_node is not g:
            assert close(math.fsum(t["product"] for t in node["terms"]), grad)
        products = all_path_products(data, k)  # (not order.index: Values compare by data)
        assert len(products) == int(node["paths"]["count"])
        assert close(math.fsum(products), grad) and close(node["paths"]["sum"], grad)
        top = [p for p, *_ in node["paths"]["top"]]
        assert len(top) == min(20, len(products))
        assert sorted(map(abs, top), reverse=True) == sorted(map(abs, products), reverse=True)[:20]
    a_node = by_name(data, "a")
    assert a_node["paths"]["count"] == 24 and len(a_node["paths"]["top"]) == 20


def test_micrograd_against_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install '.[parity]')")
    a, b = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True), \
        torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    f = (c - d) ** 2
    g = f / 2.0 + 10.0 / f
    g.backward()
    ours, va, vb = micrograd_expression()
    data = describe(ours)
    assert close(by_name(data, "a")["paths"]["sum"], a.grad.item(), 1e-12)
    assert close(by_name(data, "b")["paths"]["sum"], b.grad.item(), 1e-12)
    assert close(math.fsum(t["product"] for t in by_name(data, "b")["terms"]), b.grad.item())


def test_scalar_rules_read_like_the_lecture():
    x = Value(1.4, label="x")
    y = x.sigmoid()
    y.label = "y"
    q = Value(3.0, label="p") / y
    q.label = "q"
    s = (q ** 2) * 1.0
    s.backward()
    data = describe(s)
    sig = dict(by_name(data, "y")["sections"])["Local derivatives"]
    assert sig == [f"∂y/∂x: σ'(x) = y(1 − y) = {viz.format_number(y.data * (1 - y.data))}"]
    div = dict(by_name(data, "q")["sections"])["Local derivatives"]
    assert div[1].startswith("∂q/∂y: ∂(a/b)/∂b = −a/b² = ")
    square = [n for n in data["nodes"] if n["op"] == "**2"][0]
    assert dict(square["sections"])["Local derivatives"][0].endswith("d(x²)/dx = 2x = "
                                                                       + viz.format_number(2 * q.data))


def test_two_layer_net_rules_show_the_real_shapes():
    net = TwoLayerNet(4, 5, 3, seed=0)
    x = np.random.default_rng(1).standard_normal((3, 4))
    loss = net.graph(x, np.array([0, 2, 1]))
    loss.backward()
    data = describe(loss)
    assert data["tensor"]
    text = json.dumps(data, ensure_ascii=False)
    assert "dW1 = xᵀ·dv1: (4, 3)·(3, 5) → (4, 5)" in text
    assert "dv3 = dv4·W2ᵀ: (3, 3)·(3, 5) → (3, 5)" in text
    assert "summed over axis 0: b2 (3,) was broadcast to (3, 3)" in text
    assert "Σ_batch" in text
    assert "(y − t)/N" in text and "N = 3" in text
    w1 = by_name(data, "W1")
    assert w1["shape"] == "(4, 5)" and w1["dtype"] == "float64"
    assert w1["paths"]["count"] == 1 and w1["paths"]["sum"] is None  # no scalar product
    # the terms of every Tensor node add up to its gradient
    order = viz.nodes.graph_order(loss)
    for node in order:
        if node.grad is None or node is loss:
            continue
        sent = [c.input_grads()[i] for c in order for i, p in enumerate(c.parents) if p is node]
        np.testing.assert_allclose(sum(sent), node.grad, rtol=1e-12, atol=1e-15)


def test_large_arrays_are_summarised():
    from viz.describe import value_lines
    lines = value_lines(np.arange(100.0).reshape(10, 10), True)
    assert lines[0] == "shape (10, 10), dtype float64"
    assert lines[1].startswith("min 0, mean 49.5, max 99, norm ")
    assert value_lines(0.1 + 0.2, False) == ["0.30000000000000004"]  # scalars in full


def test_path_counts_beyond_javascript_numbers():
    x = Value(1.0, label="x")
    y = x
    for _ in range(60):  # 2**60 paths from y to x
        y = y + y
    y.backward()
    data = describe(y)
    node = by_name(data, "x")
    assert node["paths"]["count"] == str(2 ** 60) and len(node["paths"]["top"]) == 20
    assert node["paths"]["sum"] == float(2 ** 60) == x.grad


@needs_dot
def test_page_is_one_svg_with_json_and_no_network(tmp_path):
    price, *_ = apple_graph()
    price.backward()
    explorer = viz.explore(price)
    path = explorer.save(tmp_path / "apple.html")
    page = open(path, encoding="utf-8").read()
    assert page.count("<svg") == 1 and "<?xml" not in page
    assert not re.search(r"<(script|link|img)[^>]*(src|href)=", page)  # nothing fetched
    assert 'data-name="apple"' in page and 'data-name="apple_price"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    [blob] = re.findall(r'<script type="application/json" class="tg-data">(.*?)</script>', page,
                        re.DOTALL)
    data = json.loads(blob)
    assert by_name(data, "apple")["terms"][0]["local"] == 2.0
    first, second = explorer._repr_html_(), explorer._repr_html_()
    root = re.compile(r'<div class="tg-explorer" id="([^"]+)"')
    assert root.search(first)[1] != root.search(second)[1]  # two displays never share ids
    with pytest.raises(ValueError, match="html"):
        explorer.save(tmp_path / "apple.svg")


@needs_dot
def test_explore_checks_its_arguments():
    price, *_ = apple_graph()
    with pytest.raises(ValueError, match=r"backward\(\)"):
        viz.explore(price, "backward")
    assert viz.explore(price).data["hasGrad"] is False  # forward only until backward() runs
    with pytest.raises(ValueError, match="step"):
        viz.explore(price, step=-1)
    with pytest.raises(TypeError, match="Value or Tensor"):
        viz.explore(3.0)
