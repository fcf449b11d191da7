"""What the explorer's page gets for what-if and practice (viz/whatif.py), without a browser:
every rule of autograd/value.py has its JavaScript twin, the exact values and exponents travel,
Tensor graphs say why they are read-only, a Tensor node's practice element is its gradient's, and
viz.practice refuses a graph with no gradients. The browser side is test_whatif_browser.py."""
from __future__ import annotations

import json
import math
import re
import shutil
from importlib import resources

import numpy as np
import pytest

import viz
from autograd import Value, value as value_module
from nn import TwoLayerNet
from test_viz_graph import apple_graph
from viz.whatif import LIVE_OPS, TENSOR_READ_ONLY, live_data

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def js_rule_names() -> set[str]:
    """The operations whatif.js's RULES table defines."""
    text = resources.files("viz").joinpath("static", "whatif.js").read_text("utf-8")
    table = text[text.index("var RULES = {"):text.index("function powerRule")]
    return set(re.findall(r"^    (\w+): \{", table, re.M))


def test_every_value_rule_has_a_javascript_twin():
    rules = {r.name for r in vars(value_module).values() if isinstance(r, value_module.Rule)}
    rules.discard("where")  # only inside derivatives recorded with create_graph
    assert rules == LIVE_OPS == js_rule_names()
    assert value_module.power_rule(3.0).name == "pow"  # x ** n: whatif.js's powerRule


def test_apple_values_exponents_and_rules_travel_exactly():
    price, *_ = apple_graph()
    price.backward()
    live = live_data(price)
    assert live["editable"] is True and live["grads"] is True
    names = [n["name"] for n in viz.describe.describe(price)["nodes"]]
    by_name = dict(zip(names, live["nodes"]))
    assert by_name["apple"]["v"] == 100.0 and by_name["tax"]["v"] == 1.1
    assert by_name["price"]["v"] == 100 * 2 * 1.1  # 220.00000000000003, not the 220 shown
    assert by_name["price"]["rules"] == [["∂(apple_price × tax)/∂apple_price", "tax"],
                                         ["∂(apple_price × tax)/∂tax", "apple_price"]]
    assert not by_name["price"]["need"] and by_name["apple"]["need"]  # the seed is given

    x = Value(0.7, label="x")
    y = x ** (1 / 3) + x ** -2 + x ** Value(2.5, label="e")
    y.backward()
    exponents = [n.get("n") for n in live_data(y)["nodes"] if "n" in n]
    assert exponents == [1 / 3, -2.0]  # the exact exponents, not the 0.333333 drawn


def test_tensor_graphs_are_read_only_and_answer_one_element():
    net = TwoLayerNet(4, 5, 3, seed=0)
    loss = net.graph(np.random.default_rng(1).standard_normal((3, 4)), np.array([0, 2, 1]))
    loss.backward()
    live = live_data(loss)
    assert live["editable"] == TENSOR_READ_ONLY and "read-only" in live["editable"]
    order = viz.nodes.graph_order(loss)
    asked = [(node, item) for node, item in zip(order, live["nodes"]) if item["need"]]
    assert asked and all("v" not in item for _, item in asked)
    for node, item in asked:
        grad = np.asarray(node.grad, dtype=np.float64)
        assert item["shape"] == list(grad.shape)
        assert item["element"] == grad[tuple(item["pick"])]
        assert abs(grad[tuple(item["pick"])]) == np.abs(grad).max()  # the largest entry
        assert len(item["sent"]) >= 1
    # what each consumer sent there adds up to the element (one consumer each here)
    for node, item in asked:
        parts = [s["value"] for s in item["sent"] if s["value"] is not None]
        if len(parts) == len(item["sent"]):
            assert math.isclose(sum(parts), item["element"], rel_tol=1e-12, abs_tol=1e-15)


def test_an_operation_the_page_does_not_know_makes_the_values_read_only():
    rule = value_module.Rule("softplus", "softplus", lambda a: math.log1p(math.exp(a)),
                             lambda a, out: (1 / (1 + math.exp(-a)),))
    x = Value(0.5, label="x")
    y = value_module._unary(rule, x) * 2
    y.backward()
    assert "softplus" in live_data(y)["editable"] and "read-only" in live_data(y)["editable"]


@needs_dot
def test_practice_opens_an_explorer_in_practice_mode():
    price, *_ = apple_graph()
    with pytest.raises(ValueError, match=r"price has no gradients yet: call price.backward\(\)"):
        viz.practice(price)
    price.backward()
    page = viz.practice(price)
    assert isinstance(page, viz.Explorer) and page.practice is True
    assert page.title == "Practise the backward pass: find every ∂price/∂x"
    html = page.html()
    data = json.loads(re.search(r'<script type="application/json" class="tg-data">(.*?)</script>',
                                html, re.S).group(1))
    assert data["practice"] is True and data["live"]["editable"] is True
    assert "tracegrad.plugin" in html and "checkScalar" in html  # whatif.js and practice.js inlined
    assert viz.explore(price).practice is False
    assert viz.practice(price, title="Homework 3").title == "Homework 3"
