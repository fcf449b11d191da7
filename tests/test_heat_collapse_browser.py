"""The heat view and in-page collapsing in headless Chromium: heat colours and widths ordered by
gradient magnitude (the same colours as Python's), the legend, a what-if edit recolours; modules
collapse and expand with every node keeping its place, edges cut at the box, collapse all, the
script API's refusals, no console errors."""
from __future__ import annotations

import random
import time

import numpy as np
import pytest

import viz
from autograd import Value
from nn.scalar import MLP
from test_explorer_browser import (POSITIONS, assert_no_errors, browser, errors_of, load,  # noqa: F401
                                   pytestmark)  # (browser: the fixture)
from viz.health import color, position

HEAT = """
return Array.from(document.querySelectorAll('g.tg-edge[data-heat], g.tg-var[data-heat]'))
  .filter(function (g) { return g.getAttribute('data-heat-magnitude') !== ''; })
  .map(function (g) {
    var shape = g.querySelector('path');
    var s = getComputedStyle(shape);
    return [g.id, parseFloat(g.getAttribute('data-heat-magnitude')), s.stroke, parseFloat(s.strokeWidth),
            g.classList.contains('tg-edge')]; });"""


STROKES = """
return Array.from(document.querySelectorAll('g.tg-edge > path, g.tg-var path')).map(function (p) {
  var s = getComputedStyle(p); return [s.stroke, s.strokeWidth]; });"""


def rgb(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text[text.index("(") + 1:-1].split(","))


@pytest.fixture(scope="module")
def mlp_page(tmp_path_factory):
    random.seed(0)
    out = MLP(3, [4, 4, 1])([Value(1.0, label="x0"), Value(-2.0, label="x1"),
                             Value(0.5, label="x2")])
    out.label = "out"
    out.backward()
    return viz.explore(out).save(tmp_path_factory.mktemp("mlp") / "mlp.html")


def test_heat_colours_and_widths_follow_the_gradient_magnitude(browser, mlp_page):
    load(browser, mlp_page)
    assert browser.execute_script("return tracegrad.state().view") == "plain"
    plain = browser.execute_script(STROKES)
    state = browser.execute_script("return tracegrad.view('heat')")
    assert state["view"] == "heat"
    lo, hi = browser.execute_script("var h = tracegrad.first().data.heat; return [h.lo, h.hi];")
    rows = browser.execute_script(HEAT)
    nonzero = [r for r in rows if r[1] > 0]
    assert len(nonzero) > 50
    for _, m, stroke, width, _ in nonzero:  # the colour of Python's scale, within rounding
        want = color(position(m, lo, hi))
        want = tuple(int(want[i:i + 2], 16) for i in (1, 3, 5))
        assert all(abs(a - b) <= 1 for a, b in zip(rgb(stroke), want)), (m, stroke, want)
    edges = sorted((m, w) for _, m, _, w, edge in nonzero if edge)
    assert [w for _, w in edges] == sorted(w for _, w in edges)  # larger, thicker
    assert edges[-1][1] > 3 * edges[0][1]
    zeros = [r for r in rows if r[1] == 0]  # dead ReLUs send nothing back: grey
    assert zeros and all(rgb(r[2]) == (176, 176, 176) for r in zeros)
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('.tg-heat-legend')).display") == "block"
    browser.execute_script("tracegrad.view('plain')")
    assert browser.execute_script(STROKES) == plain  # the plain view as it was
    assert errors_of(browser, ["tracegrad.view('hot')"])[0].startswith("tracegrad.view: use")
    assert_no_errors(browser)


def test_collapse_and_expand_keep_every_node_in_place(browser, mlp_page):
    from selenium.webdriver.common.by import By

    load(browser, mlp_page)
    before = browser.execute_script(POSITIONS)
    hidden = "return Array.from(document.querySelectorAll('g.node.tg-gone')).length"
    # a neuron by its unique scope, with the script API
    state = browser.execute_script("return tracegrad.collapse('MLP/layers.0/neurons.1', true)")
    assert state["collapsed"] == ["MLP/layers.0/neurons.1"]
    assert browser.execute_script(POSITIONS) == before
    # inside: w0..w2 and b, three products and three sums (box and operation each), the ReLU
    assert browser.execute_script(hidden) == 4 + 6 + 6 + 2
    box = browser.execute_script(
        "var b = document.querySelector('g.tg-cbox:not(.tg-gone) rect').getBBox();"
        "var c = document.querySelector('g.tg-cluster[data-scope=\"MLP/layers.0/neurons.1\"] path')"
        ".getBBox(); return [b.x, b.y, b.width, b.height, c.x, c.y, c.width, c.height];")
    assert box[:4] == pytest.approx(box[4:], abs=0.01)  # the box covers the cluster exactly
    # the edges in and out of it are cut at its border (x0, x1, x2 in; its ReLU to the four
    # neurons of the next layer); other edges that dot routed across its area pass behind it
    cut = browser.execute_script("""
      var r = document.querySelector('g.tg-cbox:not(.tg-gone) rect').getBBox();
      return Array.from(document.querySelectorAll('g.tg-edge:not(.tg-gone) > path')).filter(function (p) {
        return p.getAttribute('d').indexOf('L') > 0; }).map(function (p) {
        var n = p.getTotalLength(), ok = true;
        for (var s = 0; s <= 40; s++) { var q = p.getPointAtLength(n * s / 40);
          if (q.x > r.x + 1 && q.x < r.x + r.width - 1 && q.y > r.y + 1 && q.y < r.y + r.height - 1) { ok = false; } }
        return ok; });""")
    assert cut == [True] * 7
    # click the box: expanded again, everything as before
    browser.execute_script("tracegrad.first().fit()")
    time.sleep(0.1)
    browser.find_element(By.CSS_SELECTOR, "g.tg-cbox:not(.tg-gone) .tg-cbox-name").click()
    assert browser.execute_script("return tracegrad.state().collapsed") == []
    assert browser.execute_script(hidden) == 0
    # click a cluster's name: that layer collapses (its four neurons in one box)
    label = browser.find_element(By.CSS_SELECTOR,
                                 'g.tg-cluster[data-scope="MLP/layers.1"] text.tg-cluster-label')
    label.click()
    assert browser.execute_script("return tracegrad.state().collapsed") == ["MLP/layers.1"]
    assert browser.execute_script(POSITIONS) == before
    # collapse all: the innermost modules, the nine neurons; inputs and output stay in sight
    browser.execute_script("tracegrad.collapse('MLP/layers.1', false)")
    browser.find_element(By.CSS_SELECTOR, ".tg-collapse-all").click()
    state = browser.execute_script("return tracegrad.state()")
    assert len(state["collapsed"]) == 9 and all("/neurons." in s for s in state["collapsed"])
    visible = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.tg-var:not(.tg-gone)'))"
        ".map(function (g) { return g.getAttribute('data-name'); }).sort()")
    assert visible == ["out", "x0", "x1", "x2"]
    assert browser.execute_script(POSITIONS) == before
    # the boxes of a layer read in order (LR: dot draws neurons.0 at the bottom)
    order = browser.execute_script("""
      return Array.from(document.querySelectorAll('g.tg-cbox:not(.tg-gone)')).filter(function (g) {
        return g.getAttribute('data-name').indexOf('MLP/layers.0/') === 0; })
        .map(function (g) { return [g.querySelector('rect').getBBox().y, g.getAttribute('data-name')]; })
        .sort(function (a, b) { return b[0] - a[0]; }).map(function (p) { return p[1].slice(-1); });""")
    assert order == ["0", "1", "2", "3"]
    # playback marks the box holding the current node; the heat view still works
    browser.execute_script("tracegrad.mode('backward'); tracegrad.step(3)")
    assert browser.execute_script("return document.querySelectorAll('g.tg-cbox.tg-current').length") == 1
    browser.execute_script("tracegrad.view('heat'); tracegrad.collapse('all', false)")
    assert browser.execute_script(hidden) == 0 and browser.execute_script(POSITIONS) == before
    messages = errors_of(browser, ["tracegrad.collapse('nope')", "tracegrad.collapse('neurons.0')"])
    assert messages[0].startswith('tracegrad.collapse: no module named "nope"')
    assert messages[1].startswith('tracegrad.collapse: 3 modules are named "neurons.0"')
    assert_no_errors(browser)


def test_a_tensor_graph_collapses_and_shows_norms(browser, tmp_path):
    from nn import TwoLayerNet
    net = TwoLayerNet(4, 5, 3, seed=0)
    loss = net.graph(np.random.default_rng(1).standard_normal((3, 4)), np.array([0, 2, 1]))
    loss.backward()
    load(browser, viz.explore(loss).save(tmp_path / "net.html"))
    before = browser.execute_script(POSITIONS)
    state = browser.execute_script("tracegrad.view('heat'); return tracegrad.collapse('all')")
    assert "TwoLayerNet/Affine1" in state["collapsed"]
    assert browser.execute_script(POSITIONS) == before
    norms = browser.execute_script(
        "return document.querySelector('g.tg-var[data-name=\"W1\"]').getAttribute('data-heat-magnitude')")
    [w1] = [n for n in viz.nodes.graph_order(loss) if n.label == "W1"]
    assert float(norms) == pytest.approx(np.linalg.norm(w1.grad), rel=1e-12)
    assert_no_errors(browser)
