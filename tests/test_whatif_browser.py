"""What-if and practice in a real headless Chromium (viz/static/whatif.js, practice.js).

What-if: the apple example (apple 120 -> price 264, ∂price/∂tax 240) in the picture, the panel
and the step texts; the page's recomputation against the Python engine on random expression
graphs using every scalar operation, with shared sub-expressions, at 200 random points, to 1e-12
relative; the page's text at an unchanged point is describe.py's, character for character; the
policy where a value or a derivative does not exist; dragging and typing; Tensor graphs
read-only. Practice: a round with wrong and right answers on the apple graph, the switch in any
explorer, a Tensor graph's shape-and-element answers. No console errors anywhere.
"""
from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest

import viz
from autograd import Value
from nn import TwoLayerNet
from graphs import micrograd_expression
import test_explorer_browser as shared
from test_explorer_browser import SHOWN_GRADS, assert_no_errors, errors_of, load
from test_viz_graph import apple_graph
from viz.describe import qualified_names
from viz.nodes import graph_order
from viz.whatif import LIVE_OPS

pytestmark = shared.pytestmark  # chromium, chromedriver and dot, as the explorer's own tests
browser = shared.browser  # one headless Chromium for the module
apple_page = shared.apple_page  # the apple example's explorer page

BOX_TEXTS = """
var name = arguments[0];
var g = Array.from(document.querySelectorAll('g.node.tg-var')).filter(function (e) {
  return e.getAttribute('data-name') === name; })[0];
return Array.from(g.querySelectorAll('text')).map(function (t) { return t.textContent; });"""


# ---- what-if ----------------------------------------------------------------------------------
def test_apple_what_if_120(browser, apple_page):
    load(browser, apple_page)
    state = browser.execute_script("return tracegrad.setValue('apple', 120)")
    assert state["values"]["price"] == 264 and state["grads"]["tax"] == 240
    assert state["grads"]["apple_num"] == 132 and state["grads"]["apple"] == pytest.approx(2.2)
    assert state["error"] is None
    # the picture, the panel and the step text follow
    assert browser.execute_script(BOX_TEXTS, "price")[1:] == ["264", "grad 1"]
    value, grad = browser.execute_script(BOX_TEXTS, "tax")[1:]  # (value: with its drag tooltip)
    assert value == "1.1drag sideways to change tax (shift: 10 times faster)" and grad == "grad 240"
    assert "∂price/∂tax = 240 = 1 × 240" in browser.execute_script(
        "return tracegrad.select('tax').panel")
    assert "→ apple_num: 1.1 × 120 = 132" in state["stepText"]
    assert "What if: apple = 120 (was 100)" in browser.execute_script(
        "return document.querySelector('.tg-whatif-bar').textContent")
    state = browser.execute_script("return tracegrad.step(5)")  # forward: price's step
    assert state["stepText"] == "Forward 5/5: price = apple_price × tax = 264"
    state = browser.execute_script("return tracegrad.resetValues()")
    assert state["values"]["price"] == 100 * 2 * 1.1 and state["grads"]["tax"] == 200
    assert state["stepText"] == "Forward 5/5: price = apple_price × tax = 220"
    messages = errors_of(browser, ["tracegrad.setValue('price', 1)", "tracegrad.setValue('x', 1)",
                                   "tracegrad.setValue('tax', Infinity)"])
    assert messages[0].startswith("tracegrad.setValue: price is computed (price = apple_price × "
                                  "tax); change an input instead: apple, apple_num, tax")
    assert messages[1] == 'tracegrad.setValue: no node named "x"'
    assert "must be a finite number" in messages[2]
    assert_no_errors(browser)


def test_the_page_writes_describes_text_at_the_same_point(browser, tmp_path):
    g, a, b = micrograd_expression()  # relu, **, /, constants, shared sub-expressions
    load(browser, viz.explore(g).save(tmp_path / "micrograd.html"))
    names = browser.execute_script("return tracegrad.explorers[0].explorer.nodes"
                                   ".map(function (n) { return n.name; })")
    read = """var out = {}; arguments[0].forEach(function (n) { out[n] = tracegrad.select(n).panel; });
    var st = tracegrad.state(), steps = [];
    for (var k = 0; k <= st.total; k++) { steps.push(tracegrad.step(k).stepText); }
    out.steps = steps; return out;"""
    before = browser.execute_script(read, names)
    state = browser.execute_script("tracegrad.setValue('a', -4.0); return tracegrad.setValue('b', 2)")
    assert state["values"]["g"] == g.data and state["grads"]["a"] == a.grad
    assert browser.execute_script(read, names) == before
    assert_no_errors(browser)


def random_graph(seed: int, xs: list[float]) -> Value:
    """An expression over four inputs with every scalar operation, reusing earlier results
    (shared sub-expressions); the same seed gives the same graph at any point. Each operation
    gets operands where it is defined, so the random points never leave its domain."""
    rng = random.Random(seed)
    pool = [Value(x, label=name) for x, name in zip(xs, "xyzw")]

    def pick() -> Value:
        return rng.choice(pool[-6:] if rng.random() < 0.7 else pool)

    def bounded(v: Value) -> Value:
        return v.tanh() * 2.0  # in (-2, 2)

    makers = [
        lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
        lambda a, b: a / (b * b + 0.5), lambda a, b: 1.5 / (abs(b) + 0.25),
        lambda a, b: (abs(a) + 0.5) ** bounded(b),  # a Value exponent
        lambda a, b: bounded(a) ** 3, lambda a, b: bounded(a) ** 2,
        lambda a, b: (abs(a) + 0.1) ** 0.5, lambda a, b: (abs(a) + 0.2) ** -1.5,
        lambda a, b: 2.0 ** bounded(b), lambda a, b: -a, lambda a, b: bounded(a).exp(),
        lambda a, b: (a * a + 0.3).log(), lambda a, b: a.tanh(), lambda a, b: (a * 3.0).sigmoid(),
        lambda a, b: a.relu(), lambda a, b: (abs(a) + 0.05).sqrt(), lambda a, b: abs(a - b),
        lambda a, b: 3.0 - a,
    ]
    for _ in range(14):
        pool.append(bounded(rng.choice(makers)(pick(), pick())) * 0.9 + pick() * 0.1)
    out = pool[-1] + pool[-2] * pool[-3] + pool[4:][rng.randrange(len(pool) - 4)]
    out.label = "out"
    return out


def named(out: Value) -> dict:
    """{name: (value, gradient)} with the page's names."""
    order = graph_order(out)
    names, _ = qualified_names(order, out)
    return {names[n]: (n.data, None if n.is_constant else n.grad) for n in order}


def test_random_graphs_agree_with_the_python_engine(browser, tmp_path):
    graphs, per_graph = 10, 20  # 200 random points
    rng = np.random.default_rng(11)
    worst, compared, seen = 0.0, 0, set()
    for seed in range(graphs):
        start = random_graph(seed, [0.5, -1.0, 1.5, 0.25])
        start.backward()
        load(browser, viz.explore(start).save(tmp_path / f"g{seed}.html"))
        seen |= {n.op_name for n in graph_order(start) if n.op_name}
        points = rng.uniform(-2.0, 2.0, (per_graph, 4)).round(6)
        leaves = [n.label for n in graph_order(start) if n.label in "xyzw" and n.label]
        states = browser.execute_script(
            """var leaves = arguments[0], out = [];
            arguments[1].forEach(function (p) {
              leaves.forEach(function (name) { tracegrad.setValue(name, p['xyzw'.indexOf(name)]); });
              var st = tracegrad.state(); out.push({values: st.values, grads: st.grads, error: st.error});
            });
            return out;""", leaves, points.tolist())
        for point, state in zip(points, states):
            out = random_graph(seed, [float(v) for v in point])
            out.backward()
            expected = named(out)
            assert state["error"] is None
            assert set(state["values"]) == set(expected)
            for name, (value, grad) in expected.items():
                for got, want in ((state["values"][name], value), (state["grads"][name], grad)):
                    if want is None:
                        assert got is None
                        continue
                    diff = abs(got - want) / max(abs(want), 1e-300) if want else abs(got)
                    worst = max(worst, diff)
                    compared += 1
                    assert diff <= 1e-12, (seed, point, name, got, want)
        assert_no_errors(browser)
    assert seen == LIVE_OPS  # every scalar operation, with constant and Value exponents
    print(f"\nwhat-if vs Python: {graphs * per_graph} points, {compared} numbers, max relative "
          f"difference {worst:.3g}")


def test_where_a_value_or_derivative_does_not_exist(browser, tmp_path):
    x, y = Value(4.0, label="x"), Value(2.0, label="y")
    parts = [x.sqrt(), x.log(), x.exp(), 1.0 / (y + 1.0), y ** 0.5, x ** y, x.relu(),
             abs(x)]
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    out.label = "out"
    out.backward()
    load(browser, viz.explore(out).save(tmp_path / "policy.html"))
    # forward: each error reads as Python's, on the node, and nothing after it is computed
    cases = [("x", -1.0, lambda v: Value(v).sqrt()), ("x", 0.0, lambda v: Value(v).log()),
             ("x", 800.0, lambda v: Value(v).exp()), ("y", -1.0, lambda v: 1.0 / (Value(v) + 1.0)),
             ("y", -2.0, lambda v: Value(v) ** 0.5)]
    for name, value, python in cases:
        with pytest.raises(Exception) as raised:
            python(value)
        state = browser.execute_script("tracegrad.resetValues(); return tracegrad.setValue("
                                       "arguments[0], arguments[1])", name, value)
        assert state["error"]["message"] == str(raised.value)
        assert state["error"]["type"] == type(raised.value).__name__
        assert state["values"]["out"] is None and set(state["grads"].values()) == {None}
        assert browser.execute_script(SHOWN_GRADS) == []
        failed = browser.execute_script(BOX_TEXTS, state["error"]["node"])
        assert failed[1].startswith("✗ ")
        assert "The forward pass stops at" in browser.execute_script(
            "return document.querySelector('.tg-whatif-bar').textContent")
    # backward: inf and nan as PyTorch, like the Python engine; relu'(0) = abs'(0) = 0
    state = browser.execute_script("tracegrad.setValue('y', 0); return tracegrad.setValue('x', 4)")
    x2, y2 = Value(4.0, label="x"), Value(0.0, label="y")
    ps = [x2.sqrt(), x2.log(), x2.exp(), 1.0 / (y2 + 1.0), y2 ** 0.5, x2 ** y2, x2.relu(),
          abs(x2)]
    o = ps[0]
    for p in ps[1:]:
        o = o + p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o.backward()
    assert state["error"] is None and state["values"]["out"] == o.data
    assert state["grads"]["y"] == "inf" == repr(y2.grad)  # sqrt'(0), through y ** 0.5
    assert state["grads"]["x"] == pytest.approx(x2.grad, rel=1e-12)
    assert "infinite" in browser.execute_script("return tracegrad.select('y').panel")

    def zero_graph(zv: float, wv: float) -> Value:
        z, w, e = Value(zv, label="z"), Value(wv, label="w"), Value(0.0, label="e")
        r = z.relu() + abs(z) + z * w ** e
        r.label = "r"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r.backward()
        return r

    load(browser, viz.explore(zero_graph(1.0, 1.0)).save(tmp_path / "zero.html"))
    for zv, wv in [(0.0, 0.0), (0.0, -2.0)]:  # relu'(0), abs'(0), 0 ** 0; (-2) ** e: d/de nan
        state = browser.execute_script("tracegrad.setValue('z', arguments[0]); return "
                                       "tracegrad.setValue('w', arguments[1])", zv, wv)
        want = named(zero_graph(zv, wv))
        for name in "zwe":
            got, grad = state["grads"][name], want[name][1]
            assert got == (grad if math.isfinite(grad) else repr(grad)), (zv, wv, name)
    assert state["grads"]["e"] == "nan"
    assert_no_errors(browser)


def test_drag_and_type_a_value(browser, apple_page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    load(browser, apple_page)
    text = browser.find_element(By.CSS_SELECTOR, 'g.node[data-name="apple"] text.tg-whatif-drag')
    ActionChains(browser).click_and_hold(text).move_by_offset(20, 0).release().perform()
    state = browser.execute_script("return tracegrad.state()")
    moved = state["values"]["apple"]
    assert moved > 100 and state["values"]["price"] == pytest.approx(moved * 2.2)
    browser.execute_script("tracegrad.resetValues(); tracegrad.select('tax')")
    field = browser.find_element(By.CSS_SELECTOR, ".tg-whatif-input")
    field.clear()
    field.send_keys("2")
    state = browser.execute_script("return tracegrad.state()")
    assert state["values"]["price"] == 400 and state["grads"]["apple"] == 4
    assert browser.execute_script("return document.activeElement.className") == "tg-whatif-input"
    assert_no_errors(browser)


def test_tensor_graphs_say_why_their_values_are_read_only(browser, tmp_path):
    net = TwoLayerNet(4, 5, 3, seed=0)
    loss = net.graph(np.random.default_rng(1).standard_normal((3, 4)), np.array([0, 2, 1]))
    loss.backward()
    load(browser, viz.explore(loss).save(tmp_path / "net.html"))
    assert "This is a Tensor graph: its values are read-only here" in browser.execute_script(
        "return tracegrad.select('W1').panel")
    [message] = errors_of(browser, ["tracegrad.setValue('W1', 1)"])
    assert message.startswith("tracegrad.setValue: This is a Tensor graph")
    assert_no_errors(browser)


# ---- practice -----------------------------------------------------------------------------------
def test_a_practice_round_on_the_apple_graph(browser, tmp_path):
    price, *_ = apple_graph()
    price.backward()
    load(browser, viz.practice(price).save(tmp_path / "practice.html"))
    state = browser.execute_script("return tracegrad.state()")
    assert state["practice"] and state["mode"] == "forward" and state["step"] == state["total"]
    assert state["score"] == {"right": 0, "wrong": 0, "found": 0, "total": 4, "done": False}
    assert browser.execute_script(SHOWN_GRADS) == ["price"]  # only the seed
    back = "return document.querySelectorAll('g.edge.tg-back').length"
    assert browser.execute_script(back) == 3  # price's arrow, and back to apple_price and tax
    # out of order: the chain rule needs apple_price first
    result = browser.execute_script("return tracegrad.answer('apple', 3)")
    assert not result["right"] and "? (not found yet)" in result["explanation"]
    assert "needs ∂price/∂apple_price first" in result["explanation"]
    # a wrong answer, then a right one; then a wrong upstream number carried down
    result = browser.execute_script("return tracegrad.answer('apple_price', 2)")
    assert not result["right"] and "1 (the seed) × tax = 1 × 1.1 = 1.1" in result["explanation"]
    result = browser.execute_script("return tracegrad.answer('apple_num', 2.2)")
    assert "2 (your answer, not right yet) × apple = 2 × 100 = 200" in result["explanation"]
    result = browser.execute_script("return tracegrad.answer('apple_price', '1.1')")
    assert result["right"] and "red arrows back to apple, apple_num" in result["explanation"]
    assert browser.execute_script(SHOWN_GRADS) == ["apple_price", "price"]
    assert browser.execute_script(back) == 6  # and apple_price's, and back to apple, apple_num
    for name, answer in [("tax", "200"), ("apple", 2.2), ("apple_num", "110.0001")]:
        assert browser.execute_script("return tracegrad.answer(arguments[0], arguments[1])",
                                      name, answer)["right"], name
    state = browser.execute_script("return tracegrad.state()")
    assert state["score"] == {"right": 4, "wrong": 3, "found": 4, "total": 4, "done": True}
    for again in ("200", "7"):  # a node already found is not scored again, and stays found
        result = browser.execute_script("return tracegrad.answer('tax', arguments[0])", again)
        assert "Already found" in result["explanation"]
    state = browser.execute_script("return tracegrad.state()")
    assert state["score"] == {"right": 4, "wrong": 3, "found": 4, "total": 4, "done": True}
    assert browser.execute_script(SHOWN_GRADS) == ["apple", "apple_num", "apple_price", "price",
                                                   "tax"]
    assert "✓ Found: ∂price/∂apple = 2.2" in browser.execute_script(
        "return tracegrad.select('apple').panel")
    state = browser.execute_script("return tracegrad.resetPractice()")
    assert state["score"]["found"] == 0 and browser.execute_script(SHOWN_GRADS) == ["price"]
    # the panel's form
    from selenium.webdriver.common.by import By
    browser.execute_script("tracegrad.select('tax')")
    field = browser.find_element(By.CSS_SELECTOR, ".tg-practice-input")
    field.send_keys("200\n")
    assert "✓ Found: ∂price/∂tax = 200" in browser.execute_script("return tracegrad.state().panel")
    # switched off: the explorer as it was
    state = browser.execute_script("return tracegrad.practice(false)")
    assert not state["practice"] and state["mode"] == "both"
    assert len(browser.execute_script(SHOWN_GRADS)) == 5
    assert_no_errors(browser)


def test_the_switch_in_any_explorer_and_a_tensor_round(browser, tmp_path):
    net = TwoLayerNet(4, 5, 3, seed=0)
    loss = net.graph(np.random.default_rng(1).standard_normal((3, 4)), np.array([0, 2, 1]))
    loss.backward()
    load(browser, viz.explore(loss).save(tmp_path / "net.html"))
    from selenium.webdriver.common.by import By
    browser.find_element(By.CSS_SELECTOR, ".tg-practice-switch input").click()
    state = browser.execute_script("return tracegrad.state()")
    assert state["practice"] and browser.execute_script(SHOWN_GRADS) == ["loss"]
    [b2] = [n for n in graph_order(loss) if n.label == "b2"]
    grad = b2.grad
    pick = int(np.argmax(np.abs(grad)))
    result = browser.execute_script("return tracegrad.answer('b2', {shape: [4], element: 0})")
    assert not result["right"] and "has the shape of b2 itself, (3,)" in result["explanation"]
    result = browser.execute_script("return tracegrad.answer('b2', {shape: '(3,)', "
                                    "element: arguments[0]})", float(grad[pick]))
    assert result["right"] and f"[{pick}]" in result["explanation"]
    assert "b2" in browser.execute_script(SHOWN_GRADS)
    [message] = errors_of(browser, ["tracegrad.answer('b2', 1)"])
    assert "shape and one element" in message
    assert_no_errors(browser)


def test_practice_needs_gradients(browser, tmp_path):
    price, *_ = apple_graph()
    load(browser, viz.explore(price).save(tmp_path / "forward.html"))
    [message] = errors_of(browser, ["tracegrad.practice(true)"])
    assert "call backward() before exploring" in message
    state = browser.execute_script("return tracegrad.setValue('apple', 120)")  # values only
    assert state["values"]["price"] == 264 and state["grads"]["tax"] is None
    assert math.isclose(state["values"]["apple_price"], 240)
    assert_no_errors(browser)


def test_numbers_in_messages_read_as_pythons_repr(browser, apple_page):
    load(browser, apple_page)
    rng = np.random.default_rng(3)
    numbers = [0.0, -0.0, 1.0, 100.0, -2.5, 0.0001, 0.00001, 1e16, 1234567890123456.0, 1e22,
               2.5e-300, 1.7976931348623157e308, 5e-324, 220.00000000000003, 1 / 3]
    numbers += list(rng.standard_normal(30) * 10.0 ** rng.integers(-20, 20, 30))
    shown = browser.execute_script(  # (as text: WebDriver's JSON drops -0)
        "return arguments[0].map(function (s) { return tracegrad.whatif.pyRepr(parseFloat(s)); })",
        [repr(float(v)) for v in numbers])
    assert shown == [repr(float(v)) for v in numbers]
    assert_no_errors(browser)
