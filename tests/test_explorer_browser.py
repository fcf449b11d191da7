"""The explorer's page in a real headless Chromium: playback forward and backward (buttons, keys,
script API), clicking a node explains its gradient, nodes never move, zoom and fit, two explorers
on one page stay apart, a 500-node page loads. One browser for the whole module."""
from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

import viz
from autograd import Value
from headless import chromium, needs_chromium
from nn import TwoLayerNet
from graphs import micrograd_expression
from test_viz_graph import apple_graph

pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
]

POSITIONS = """
return Array.from(document.querySelectorAll('g.node')).map(function (g) {
  var b = g.getBBox(); return [g.id, b.x, b.y, b.width, b.height]; });"""
SHOWN_GRADS = """
var root = arguments[0] ? document.getElementById(arguments[0]) : document;
return Array.from(root.querySelectorAll('g.tg-var')).filter(function (g) {
  return Array.from(g.querySelectorAll('text[fill="red"]')).some(function (t) {
    return getComputedStyle(t).visibility === 'visible'; }); })
  .map(function (g) { return g.getAttribute('data-name'); }).sort();"""
SHOWN_VALUES = """
return Array.from(document.querySelectorAll('g.tg-var')).filter(function (g) {
  return !g.classList.contains('tg-dim'); }).map(function (g) {
  return g.getAttribute('data-name'); }).sort();"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium"), window_size="1400,900") as driver:
        yield driver


def load(browser, path) -> None:
    browser.get(f"file://{path}")
    browser.get_log("browser")  # (start each page with an empty log)


def assert_no_errors(browser) -> None:
    assert browser.execute_script("return window.vizErrors") == []
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def transform(browser, root_id: str) -> str:
    time.sleep(0.1)  # Panzoom applies its transform on the next animation frame
    return browser.execute_script(
        "return document.querySelector('#' + arguments[0] + ' .tg-canvas').style.transform",
        root_id)


@pytest.fixture(scope="module")
def apple_page(tmp_path_factory):
    price, *_ = apple_graph()
    price.backward()
    return viz.explore(price).save(tmp_path_factory.mktemp("apple") / "apple.html")


def test_apple_playback_click_positions_and_zoom(browser, apple_page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    load(browser, apple_page)
    state = browser.execute_script("return tracegrad.state()")
    assert state["mode"] == "both" and state["step"] == state["total"] == 5 + 3
    positions = browser.execute_script(POSITIONS)
    assert len(positions) == 5 + 2  # five boxes, two operations

    # forward, with the API: values appear in topological order
    state = browser.execute_script("return tracegrad.mode('forward')")
    assert (state["step"], state["total"]) == (0, 5)
    assert browser.execute_script(SHOWN_VALUES) == []
    state = browser.execute_script("return tracegrad.step(3)")
    assert state["current"] == "apple_price" and "apple_price = apple × apple_num = 200" in \
        state["stepText"]
    assert browser.execute_script(SHOWN_VALUES) == ["apple", "apple_num", "apple_price"]
    assert browser.execute_script(SHOWN_GRADS) == []

    # backward, with the buttons: the seed, then price, then apple_price
    browser.execute_script("tracegrad.mode('backward')")
    nxt = browser.find_element(By.CSS_SELECTOR, ".tg-next")
    counter = browser.find_element(By.CSS_SELECTOR, ".tg-counter")
    assert counter.text == "step 0 / 3"
    nxt.click()
    assert browser.execute_script(SHOWN_GRADS) == ["price"]  # ∂L/∂L = 1
    assert "Seed" in browser.find_element(By.CSS_SELECTOR, ".tg-steptext").text
    nxt.click()
    assert browser.execute_script(SHOWN_GRADS) == ["apple_price", "price", "tax"]
    assert browser.execute_script("return tracegrad.state().current") == "price"
    # the keys: on the page (a saved page listens everywhere) and on the explorer itself
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert counter.text == "step 3 / 3"
    assert browser.execute_script(SHOWN_GRADS) == ["apple", "apple_num", "apple_price", "price",
                                                   "tax"]
    sent = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.tg-edge.tg-back')).length")
    assert sent == 6  # every edge carries its gradient back, arrowhead toward the input
    root = browser.find_element(By.CSS_SELECTOR, ".tg-explorer")
    root.send_keys(Keys.ARROW_LEFT)
    assert counter.text == "step 2 / 3"
    browser.find_element(By.CSS_SELECTOR, ".tg-prev").click()
    assert counter.text == "step 1 / 3"
    browser.find_element(By.CSS_SELECTOR, ".tg-play").click()
    time.sleep(0.1)
    browser.find_element(By.CSS_SELECTOR, ".tg-play").click()  # pause

    # clicking apple explains its gradient
    browser.execute_script("tracegrad.step(3)")
    browser.find_element(By.CSS_SELECTOR, 'g.node[data-name="apple"]').click()
    panel = browser.find_element(By.CSS_SELECTOR, ".tg-panel").text
    assert "∂price/∂apple = 2.2 = 1.1 × 2" in panel
    assert "price → apple_price → apple: 1.1 × 2 = 2.2" in panel
    assert browser.execute_script("return tracegrad.state().selected") == "apple"

    # nodes never moved, whatever the step and mode
    for mode in ("forward", "both"):
        browser.execute_script("tracegrad.mode(arguments[0])", mode)
        for k in range(browser.execute_script("return tracegrad.state().total") + 1):
            browser.execute_script("tracegrad.step(arguments[0])", k)
            assert browser.execute_script(POSITIONS) == positions

    # zoom in changes the transform; fit puts it back
    root_id = root.get_attribute("id")
    fitted = transform(browser, root_id)
    browser.find_element(By.CSS_SELECTOR, ".tg-zoom-in").click()
    zoomed = transform(browser, root_id)
    assert zoomed != fitted and "scale(" in zoomed
    browser.find_element(By.CSS_SELECTOR, ".tg-fit").click()
    assert transform(browser, root_id) == fitted
    assert_no_errors(browser)


def test_two_explorers_on_one_page_stay_apart(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    price, *_ = apple_graph()
    price.backward()
    g, *_ = micrograd_expression()
    first, second = viz.explore(price), viz.explore(g, "backward", step=0)
    page = tmp_path / "two.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><script>window.vizErrors"
                    "=[];window.addEventListener('error',function(e){window.vizErrors.push("
                    "e.message)})</script></head><body>" + first._repr_html_()
                    + second._repr_html_() + "</body></html>", encoding="utf-8")
    load(browser, page)
    ids = browser.execute_script("return tracegrad.explorers.map(function (h) { return h.id; })")
    assert len(ids) == 2 and ids[0] != ids[1]
    one, two = ids
    browser.execute_script("tracegrad.get(arguments[0]).step(4)", two)
    states = browser.execute_script("return tracegrad.explorers.map(function (h) { "
                                    "return h.state(); })")
    assert states[0]["step"] == 8 and states[1]["step"] == 4 and states[1]["mode"] == "backward"
    browser.execute_script("tracegrad.get(arguments[0]).select('b')", two)
    assert browser.execute_script("return tracegrad.state().selected") is None  # the first
    assert "645.577" in browser.execute_script("return tracegrad.get(arguments[0]).state().panel",
                                               two)
    assert "30 paths lead from g to b" in browser.execute_script(
        "return tracegrad.get(arguments[0]).state().panel", two)
    browser.find_element(By.ID, two).send_keys(Keys.ARROW_RIGHT)  # keys go to the focused one
    assert browser.execute_script("return tracegrad.get(arguments[0]).state().step", two) == 5
    assert browser.execute_script("return tracegrad.state().step") == 8
    grads_first = browser.execute_script(SHOWN_GRADS, one)
    assert grads_first == ["apple", "apple_num", "apple_price", "price", "tax"]
    assert browser.execute_script(SHOWN_GRADS, two) != grads_first
    assert_no_errors(browser)


def test_two_layer_net_panel_shows_matrix_rules(browser, tmp_path):
    net = TwoLayerNet(4, 5, 3, seed=0)
    loss = net.graph(np.random.default_rng(1).standard_normal((3, 4)), np.array([0, 2, 1]))
    loss.backward()
    load(browser, viz.explore(loss).save(tmp_path / "net.html"))
    panel = browser.execute_script("return tracegrad.select('v1').panel")
    assert "dW1 = xᵀ·dv1: (4, 3)·(3, 5) → (4, 5)" in panel
    panel = browser.execute_script("return tracegrad.select('b2').panel")
    assert "shape (3,), dtype float64" in panel and "1 path leads from loss to b2" in panel
    assert "Tensor gradients are arrays" in panel
    assert_no_errors(browser)


def test_a_500_node_page_loads(browser, tmp_path):
    x = Value(0.3, label="x")
    v = x
    for i in range(166):  # three nodes per round: a constant, ×, tanh
        v = (v * 1.01).tanh()
    v.label = "y"
    v.backward()
    path = viz.explore(v).save(tmp_path / "big.html")
    started = time.perf_counter()
    load(browser, path)
    assert time.perf_counter() - started < 10
    state = browser.execute_script("return tracegrad.step(200)")
    assert state["total"] == 499 + 1 + 332 and state["current"]
    assert "x" in browser.execute_script("return tracegrad.select('x').panel")
    assert_no_errors(browser)


# ---- issue 10's second round ------------------------------------------------------------------
def errors_of(browser, calls: list[str]) -> list[str]:
    """The message each script call throws ('' when it does not)."""
    return browser.execute_script(
        "return arguments[0].map(function (c) { try { eval(c); return ''; } "
        "catch (e) { return String(e.message); } });", calls)


def test_the_page_opens_showing_its_current_node(browser, tmp_path):
    x = Value(0.3, label="x")
    v = x
    for _ in range(166):
        v = (v * 1.01).tanh()
    v.label = "y"
    v.backward()
    load(browser, viz.explore(v).save(tmp_path / "big.html"))
    time.sleep(0.3)  # (Panzoom starts in a timeout)
    state = browser.execute_script("return tracegrad.state()")
    assert state["step"] == state["total"] and state["current"] not in (None, "y")
    inside = """
    var name = tracegrad.state().current;
    var g = Array.from(document.querySelectorAll('g.node')).filter(function (e) {
      return e.getAttribute('data-name') === name; })[0].getBoundingClientRect();
    var v = document.querySelector('.tg-view').getBoundingClientRect();
    return g.right > v.left && g.left < v.right && g.bottom > v.top && g.top < v.bottom;"""
    assert browser.execute_script(inside)
    browser.execute_script("tracegrad.step(1)")  # the first value, at the other end
    time.sleep(0.1)
    assert browser.execute_script(inside)
    assert_no_errors(browser)


def test_collapsed_mlp_modules_click_and_play(browser, tmp_path):
    import random

    from nn.scalar import MLP
    from selenium.webdriver.common.by import By
    random.seed(0)
    out = MLP(2, [3, 1])([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.label = "out"
    out.backward()
    load(browser, viz.explore(out, collapse=True).save(tmp_path / "mlp.html"))
    state = browser.execute_script("return tracegrad.mode('backward')")
    # the seed, the output (drawn outside its neuron, issue 11), then one step per neuron
    assert state["total"] == 1 + 1 + 4
    state = browser.execute_script("return tracegrad.step(2)")
    assert state["current"] == "out"
    assert browser.execute_script(SHOWN_GRADS) == ["out"]  # (the module boxes carry no numbers)
    state = browser.execute_script("return tracegrad.step(3)")
    assert state["current"] == "MLP/layers.1/neurons.0" and "one box" in state["stepText"]
    for k in range(3, 7):
        state = browser.execute_script("return tracegrad.step(arguments[0])", k)
        assert state["current"].startswith("MLP/layers.") and "one box" in state["stepText"]
    browser.find_element(By.CSS_SELECTOR, 'g.node[data-name="MLP/layers.0/neurons.1"]').click()
    state = browser.execute_script("return tracegrad.state()")
    assert state["selected"] == "MLP/layers.0/neurons.1"
    assert "collapsed module" in state["panel"] and "layers.0/neurons.1/b = 0, gradient" in \
        state["panel"]
    # names: a repeated label is refused with the candidates; a qualified one is taken
    [message] = errors_of(browser, ["tracegrad.select('b')"])
    assert message.startswith('tracegrad.select: 4 nodes are named "b"; name one of them: ')
    assert '"layers.0/neurons.1/b"' in message
    state = browser.execute_script("return tracegrad.select('layers.0/neurons.1/b')")
    assert state["selected"] == "layers.0/neurons.1/b" and "Drawn inside" in state["panel"]
    state = browser.execute_script("return tracegrad.select('MLP/layers.0/neurons.2/w1')")
    assert state["selected"] == "layers.0/neurons.2/w1"
    assert browser.execute_script("return tracegrad.select('x0').selected") == "x0"
    assert_no_errors(browser)


def test_twice_backward_infinite_gradients_and_numbers_in_the_paths(browser, tmp_path):
    import warnings
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y.backward()
        y.backward()
    load(browser, viz.explore(y).save(tmp_path / "twice.html"))
    panel = browser.execute_script("return tracegrad.select('x').panel")
    assert "Sum of the products: 6 = ∂y/∂x in this pass (.grad = 12 holds 2 backward passes)." \
        in panel
    assert "∂y/∂x = 12" not in panel
    # sqrt at 0: the page loads and says what inf means
    z = Value(0.0, label="z")
    r = z.sqrt()
    r.label = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r.backward()
    load(browser, viz.explore(r).save(tmp_path / "inf.html"))
    panel = browser.execute_script("return tracegrad.select('z').panel")
    assert "infinite" in panel and "r → z: inf = inf" in panel and "Sum of the products: inf" in \
        panel
    assert_no_errors(browser)
    # numbers in the paths read as everywhere else (Python's format_number)
    a = Value(2.0, label="a")
    big, small = Value(7.90334e19, label="big"), Value(1.1e-05, label="small")
    out = a * big + a * small
    out.label = "out"
    out.backward()
    load(browser, viz.explore(out).save(tmp_path / "numbers.html"))
    panel = browser.execute_script("return tracegrad.select('a').panel")
    assert "7.90334e+19" in panel and "1.1e-05" in panel and "790334" not in panel.replace(
        "7.90334e+19", "")
    rng = np.random.default_rng(0)
    numbers = [0.0, -0.0, 1.0, -1.5, 220.00000000000003, 1e-5, 1.1e-05, 123456.7, 1234567.0,
               999999.5, 0.0001, 0.00009999996, 1e16, 2.5e-300, float("inf"), -float("inf")]
    numbers += list(rng.standard_normal(40) * 10.0 ** rng.integers(-12, 12, 40))
    shown = browser.execute_script(  # (as text: WebDriver's JSON has no inf, and drops -0)
        "return arguments[0].map(function (s) { return tracegrad.formatNumber("
        "/^-?inf$|^nan$/.test(s) ? s : parseFloat(s)); })", [repr(float(v)) for v in numbers])
    assert shown == [viz.format_number(v) for v in numbers]
    assert browser.execute_script("return tracegrad.formatNumber('nan')") == "nan"
    assert_no_errors(browser)


def test_step_refuses_what_is_not_a_step_and_long_labels_wrap(browser, tmp_path, apple_page):
    load(browser, apple_page)
    messages = errors_of(browser, ["tracegrad.step('abc')", "tracegrad.step(NaN)",
                                   "tracegrad.step(1.5)", "tracegrad.step(-5)",
                                   "tracegrad.step(999)", "tracegrad.step(3)"])
    assert all(m.startswith("tracegrad.step: the step must be an integer from 0 to 8")
               for m in messages[:3]), messages
    assert messages[3:] == ["tracegrad.step(-5): out of range: the both playback has steps 0 to 8",
                            "tracegrad.step(999): out of range: the both playback has steps 0 "
                            "to 8", ""]
    assert browser.execute_script("return tracegrad.state().step") == 3
    # a 300-character label wraps in the panel instead of making it scroll sideways
    a = Value(1.0, label="L" * 300)
    b = a * 2
    b.label = "b"
    b.backward()
    load(browser, viz.explore(b).save(tmp_path / "long.html"))
    browser.execute_script("tracegrad.select(arguments[0])", "L" * 300)
    assert browser.execute_script(
        "var p = document.querySelector('.tg-panel'); return p.scrollWidth <= p.clientWidth")
    assert_no_errors(browser)
