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
from autograd import Tensor, Value, cross_entropy
from nn import TwoLayerNet
from graphs import micrograd_expression
from test_viz_graph import apple_graph
from viz.describe import describe, expand_path

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


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
    assert locals_ == ["∂price/∂apple_price = ∂(apple_price × tax)/∂apple_price = tax = 1.1",
                       "∂price/∂tax = ∂(apple_price × tax)/∂tax = apple_price = 200"]
    assert [s["node"] for s in data["backward"]] == [4, 2]
    assert data["nodes"][data["output"]]["name"] == "price"


def test_micrograd_terms_and_paths_add_up_to_every_gradient():
    g, a, b = micrograd_expression()
    assert (f"{g.data:.4f}", f"{a.grad:.4f}", f"{b.grad:.4f}") == ("24.7041", "138.8338", "645.5773")
    data = describe(g)
    order = viz.nodes.graph_order(g)
    assert len(data["nodes"]) == len(order)
    for k, (node, engine_node) in enumerate(zip(data["nodes"], order)):
        grad = engine_node.grad
        if engine_node.is_constant:  # a lifted constant: no gradient, no terms, no paths
            assert node["gradNum"] is None and "paths" not in node and "terms" not in node
            continue
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
    assert sig == [f"∂y/∂x = σ'(x) = y·(1 − y) = {viz.format_number(y.data * (1 - y.data))}"]
    div = dict(by_name(data, "q")["sections"])["Local derivatives"]
    assert div[1].startswith("∂q/∂y = ∂(p / y)/∂y = −p/y² = ")
    square = [n for n in data["nodes"] if n["op"] == "**2"][0]
    assert dict(square["sections"])["Local derivatives"][0].endswith("∂(q²)/∂q = 2·q = "
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


# ---- issue 10's second round: what a tester found ---------------------------------------------
def page_data(explorer_or_path) -> dict:
    """The JSON a saved page or an Explorer carries (parsed strictly: no NaN or Infinity)."""
    page = (explorer_or_path.html() if isinstance(explorer_or_path, viz.Explorer)
            else open(explorer_or_path, encoding="utf-8").read())
    [blob] = re.findall(r'<script type="application/json" class="tg-data">(.*?)</script>', page,
                        re.DOTALL)

    def refuse(name):
        raise AssertionError(f"the page's JSON holds {name}")
    return json.loads(blob, parse_constant=refuse)


def section(data: dict, name: str, title: str) -> list[str]:
    for t, lines in by_name(data, name)["sections"]:
        if t.startswith(title):
            return lines
    raise KeyError(title)


def quiet_backward(*outputs):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GradientWarning, AccumulationWarning: expected here
        for out in outputs:
            out.backward()


@needs_dot
def test_infinite_and_undefined_gradients_are_shown_and_the_json_stays_valid(tmp_path):
    # (1) sqrt at 0: ∂y/∂x = inf
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.label = "y"
    quiet_backward(y)
    data = page_data(viz.explore(y))
    assert by_name(data, "x")["gradNum"] == "inf"
    assert any("infinite" in line for line in section(data, "x", "Gradient"))
    [local] = section(data, "y", "Local derivatives")
    assert local == "∂y/∂x = ∂(√x)/∂x = 1/(2√x) = inf: infinite at x = 0"
    assert "∂y/∂x = inf = 1 × inf" in section(data, "x", "Chain rule")
    assert by_name(data, "x")["paths"]["sum"] == "inf"
    page_data(viz.save_steps(y, tmp_path / "inf.html"))
    # sqrt(0) × 0: nan; Value(-2) ** Value(2): the exponent's gradient is nan (ln of -2)
    x = Value(0.0, label="x")
    z = x.sqrt() * 0
    z.label = "z"
    a, b = Value(-2.0, label="a"), Value(2.0, label="b")
    p = a ** b
    p.label = "p"
    quiet_backward(z, p)
    data = page_data(viz.explore(z))
    assert by_name(data, "x")["gradNum"] == "nan"
    assert any("undefined (nan)" in line for line in section(data, "x", "Gradient"))
    data = page_data(viz.explore(p))
    assert by_name(data, "b")["gradNum"] == "nan"
    assert section(data, "p", "Local derivatives")[1].endswith("= nan: undefined (nan) at b = 2")
    # the Tensor path: an array gradient holding inf says so
    t = Tensor(np.array([0.0, 4.0]), requires_grad=True, label="t")
    s = t.sqrt().sum()
    s.label = "s"
    quiet_backward(s)
    data = page_data(viz.explore(s))
    assert any("1 infinite (inf)" in line for line in section(data, "t", "Gradient"))


def test_after_two_backward_passes_every_equation_is_true():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    quiet_backward(y, y)
    assert x.grad == 12 and x.grad_passes == 2
    data = describe(y)
    chain = section(data, "x", "Chain rule")
    assert "∂y/∂x = 6 = 1 × 3 + 1 × 3   (this pass)" in chain
    assert ".grad = 12 holds 2 backward passes: this pass's 6 plus 6 from the earlier ones" in chain
    assert not any(line.startswith("∂y/∂x = 12") for line in chain)
    [title] = [t for t, _ in by_name(data, "x")["sections"] if t.startswith("Gradient")]
    assert title == "Gradient (.grad, 2 passes summed)"  # not "∂y/∂x": .grad is no derivative
    assert by_name(data, "x")["paths"]["sum"] == 6.0 and by_name(data, "x")["passes"] == 2
    # Tensors
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="w")
    loss = (w * w).sum()
    loss.label = "loss"
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss.backward(retain_graph=True)
        loss.backward()
    chain = section(describe(loss), "w", "Chain rule")
    assert "  = (2,) [2., 4.] in this pass (the sum of 2 terms)" in chain
    assert ".grad holds 2 passes: (2,) [4., 8.]" in chain


@needs_dot
def test_explore_and_save_steps_take_collapse_constants_and_rankdir(tmp_path):
    import random
    from nn.scalar import MLP
    random.seed(0)
    net = MLP(2, [3, 1])
    out = net([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.label = "out"
    out.backward()
    explorer = viz.explore(out, collapse=True)
    data = explorer.data
    assert [m["name"] for m in data["modules"]] == ["MLP/layers.1/neurons.0",
                                                    "MLP/layers.0/neurons.0",
                                                    "MLP/layers.0/neurons.1",
                                                    "MLP/layers.0/neurons.2"]
    page = explorer.html()
    for j, m in enumerate(data["modules"]):
        assert f'data-module="{j}" data-name="{m["name"]}"' in page
    # playback: one step per box (two inputs, four modules), nothing hidden gets a step of its own
    assert len(data["forward"]) == 2 + 4 + 1  # the output is drawn on its own (issue 11)
    modules = [s.get("module") for s in data["backward"]]  # the output, then its neuron
    assert modules[0] is None and modules[1] == 0 and sorted(modules[1:]) == [0, 1, 2, 3]
    assert data["seedUnit"] == {"node": data["output"]}
    inside = {k for s in data["backward"] for k in s["nodes"]}
    assert inside == {k for k, n in enumerate(data["nodes"]) if n["parents"]}
    panel = dict(data["modules"][1]["sections"])
    assert "x0 = 1" in panel["Inputs from outside"]
    assert any(line.startswith("layers.0/neurons.0/b = 0, gradient ")
               for line in panel["Parameters and constants inside"])
    # constants folded: no box, no step; rankdir reaches the drawing
    x = Value(3.0, label="x")
    y = (x * 2 + 1) / (10 - x) ** 2
    y.label = "y"
    y.backward()
    folded = viz.explore(y, constants="fold", rankdir="TB")
    consts = [k for k, n in enumerate(folded.data["nodes"]) if n["const"]]
    assert consts and all(folded.data["nodes"][k].get("folded") for k in consts)
    assert not {k for s in folded.data["forward"] for k in s["nodes"]} & set(consts)
    assert 'id="n%d"' % consts[0] not in folded.svg and "rankdir" not in folded.svg
    assert viz.build.build(y, constants="fold", rankdir="TB").graph_attr["rankdir"] == "TB"
    viz.save_steps(out, tmp_path / "mlp.html", collapse=True, constants="fold", rankdir="TB")
    # the refusal names the function that was called, and says whether collapsing helps
    with pytest.raises(ValueError, match=r"viz\.explore\(\.\.\., collapse=True\)") as info:
        viz.explore(out, max_nodes=10)
    assert "6 nodes then" in str(info.value)  # two inputs, four neurons
    with pytest.raises(ValueError, match=r"viz\.save_steps\(\.\.\., collapse=True\)"):
        viz.save_steps(out, tmp_path / "big.html", max_nodes=10)
    with pytest.raises(ValueError, match="Collapsing its nn modules was not enough"):
        viz.explore(out, collapse=True, max_nodes=3)
    with pytest.raises(ValueError, match="no nn modules"):
        viz.explore(y, max_nodes=3)
    with pytest.raises(ValueError, match="constants"):
        viz.explore(y, constants="hide")


def test_constants_get_no_gradient_and_read_as_their_value():
    x = Value(3.0, label="x")
    y = (x * 2 + 1) / (10 - x) ** 2
    y.label = "y"
    y.backward()
    data = describe(y)
    two = [n for n in data["nodes"] if n["const"] and n["value"] == ["2.0"]][0]
    assert two["gradNum"] is None and not two["grad"] and "paths" not in two
    assert "terms" not in two
    titles = [t for t, _ in two["sections"]]
    assert titles == ["Value", "A constant"]
    texts = [s["text"] for s in data["forward"] + data["backward"]]
    assert "v6 = 10 − x = 7" in texts
    everything = "\n".join(texts)
    assert "→ 2: nothing (a constant: it needs no gradient)" in everything
    for k in (k for k, n in enumerate(data["nodes"]) if n["const"]):  # nothing sent to them
        assert f"→ {data['nodes'][k]['name']}:" not in everything
    assert "2   (a constant)" in texts
    assert section(data, "v6", "Local derivatives") == ["∂v6/∂10 = ∂(10 − x)/∂10 = 1",
                                                        "∂v6/∂x = ∂(10 − x)/∂x = −1 = -1"]


def test_repeated_names_are_qualified_by_scope():
    import random
    from nn.scalar import MLP
    random.seed(0)
    out = MLP(2, [3, 1])([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.backward()
    data = describe(out)
    names = [n["name"] for n in data["nodes"]]
    assert len(set(names)) == len(names)
    bs = sorted(n for n in names if n.endswith("/b"))
    assert bs == ["layers.0/neurons.0/b", "layers.0/neurons.1/b", "layers.0/neurons.2/b",
                  "layers.1/neurons.0/b"]
    node = by_name(data, "layers.0/neurons.1/b")
    assert node["alias"] == "MLP/layers.0/neurons.1/b" and node["label"] == "b"
    text = "\n".join(s["text"] for s in data["backward"])
    assert "→ layers.0/neurons.1/b: " in text and "→ b:" not in text
    # the same label in the same scope: numbered, the output keeps its own
    a = Value(2.0, label="h")
    h = a * a
    h.label = "h"
    h.backward()
    assert [n["name"] for n in describe(h)["nodes"]] == ["h#2", "h"]


def test_rules_never_mix_template_letters_with_labels():
    b, a = Value(2.0, label="b"), Value(3.0, label="a")
    c = b * a
    c.label = "c"
    y = c + a
    y.label = "o"
    y.backward()
    data = describe(y)
    assert section(data, "c", "Local derivatives") == ["∂c/∂b = ∂(b × a)/∂b = a = 3",
                                                       "∂c/∂a = ∂(b × a)/∂a = b = 2"]
    chain = section(data, "c", "Chain rule")
    assert chain[0] == "∂o/∂c = Σ over every node that uses c: ∂o/∂(that node) × ∂(that node)/∂c"
    assert section(data, "o", "How it was computed") == ["o = c + a = 9", "with c = 6, a = 3"]
    # scores named y, a loss named L: the Softmax-with-Loss rule binds no letter of its own
    scores = Tensor(np.array([[1.0, 2.0, 0.5]]), requires_grad=True, label="y")
    loss = cross_entropy(scores, np.array([1]))
    loss.label = "L"
    loss.backward()
    [rule] = [r for n in describe(loss)["nodes"] for loc in n.get("locals", [])
              for r in loc["rule"] if "softmax" in r]
    assert rule.startswith("dy = (softmax(y) − targets)/N · dL") and "y = softmax" not in rule
    assert dict(by_name(describe(loss), "L")["sections"])  # (and the title below)
    assert by_name(describe(loss), "L")["title"] == "cross_entropy"  # not "(crossentropy)"


def test_nodes_that_need_no_gradient_list_no_paths():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="w")
    k = Tensor(np.array([3.0, 4.0]), label="k")  # requires_grad=False
    loss = (w * k).sum()
    loss.label = "loss"
    loss.backward()
    node = by_name(describe(loss), "k")
    assert "paths" not in node and "terms" not in node
    assert dict(node["sections"])["Gradient"] == [
        "none: it needs no gradient (requires_grad=False), so the backward pass computes none "
        "and no path leads to it"]
    assert "Chain rule" not in dict(node["sections"])


def test_constant_rules_drop_the_repeated_number():
    x, z = Value(1.0, label="x"), Value(2.0, label="z")
    y = x + z
    y.label = "y"
    y.backward()
    assert section(describe(y), "y", "Local derivatives") == ["∂y/∂x = ∂(x + z)/∂x = 1",
                                                              "∂y/∂z = ∂(x + z)/∂z = 1"]


@needs_dot
def test_explore_refuses_loose_arguments_and_names_the_path_it_cannot_write(tmp_path):
    price, *_ = apple_graph()
    price.backward()
    for bad in (True, 1.0, "1"):
        with pytest.raises(ValueError, match="step"):
            viz.explore(price, step=bad)
    with pytest.raises(ValueError, match="steps 0 to 8"):
        viz.explore(price, step=9)
    with pytest.raises(ValueError, match="play_ms"):
        viz.explore(price, play_ms=True)
    with pytest.raises(TypeError, match="collapse"):
        viz.explore(price, collapse="yes")
    (tmp_path / "d.html").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        viz.explore(price).save(tmp_path / "d.html")
    assert str(tmp_path / "d.html") in str(info.value) and ".part" not in str(info.value)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="file"):
        viz.save_steps(price, tmp_path / "file" / "s.html")
    import os
    if os.geteuid() != 0:  # (root may write anywhere)
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(PermissionError) as info:
            viz.explore(price).save(locked / "p.html")
        assert str(locked / "p.html") in str(info.value) and ".part" not in str(info.value)
