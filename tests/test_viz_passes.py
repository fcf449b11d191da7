"""A drawing or a step never mixes two backward passes without saying so.

After backward() twice, a leaf's .grad is the sum of both passes while every edge shows what
this pass sent: the lecture's apple example (apple=100, apple_num=2, tax=1.1) has
d price/d apple = apple_num × tax = 2.2 per pass, so apple.grad = 4.4 after two passes.
"""
from __future__ import annotations

import re
import shutil
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd
import viz
from autograd import Tensor
from test_viz_graph import apple_graph, box_named, edge, op_fed_by, parse_dot, red_lines

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

D_APPLE = 2 * 1.1  # apple_num × tax
D_APPLE_NUM = 100 * 1.1  # apple × tax
D_TAX = 100 * 2  # apple × apple_num


def backward(out, times: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the engine warns that leaves accumulate: that is the point
        for _ in range(times):
            out.backward()


def number(text: str) -> float:
    return float(re.search(r"-?[\d.]+(?:e[-+]?\d+)?", text).group())


def grad_line(dot: dict, name: str) -> str:
    lines = red_lines(dot["nodes"][box_named(dot, name)]["label"])
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("mode", ["backward", "both"])
def test_two_passes_the_leaf_says_it_sums_them_and_the_edge_shows_one(mode):
    price, apple, *_ = apple_graph()
    backward(price, 2)
    dot = parse_dot(viz.draw(price, mode).source)
    line = grad_line(dot, "apple")
    assert line.startswith("grad ") and number(line) == pytest.approx(2 * D_APPLE)
    assert line.endswith("(sum of 2 passes)")
    assert number(grad_line(dot, "tax")) == pytest.approx(2 * D_TAX)
    assert "(sum of 2 passes)" in grad_line(dot, "tax")
    into = edge(dot, box_named(dot, "apple"), op_fed_by(dot, box_named(dot, "apple_price")))
    assert [number(t) for t in red_lines(into["label"])] == pytest.approx([D_APPLE])
    # nodes with parents hold this pass's gradient: no note
    assert "sum" not in grad_line(dot, "apple_price") and "sum" not in grad_line(dot, "price")


def test_one_pass_and_zeroing_say_nothing_more():
    price, apple, *_ = apple_graph()
    backward(price, 1)
    dot = parse_dot(viz.draw(price, "both").source)
    assert number(grad_line(dot, "apple")) == pytest.approx(D_APPLE)
    assert "sum" not in grad_line(dot, "apple")
    backward(price, 2)
    autograd.zero_grad(price)
    backward(price, 1)
    dot = parse_dot(viz.draw(price, "both").source)
    assert number(grad_line(dot, "apple")) == pytest.approx(D_APPLE)
    assert "sum" not in grad_line(dot, "apple")


def test_three_passes_are_counted():
    price, *_ = apple_graph()
    backward(price, 3)
    line = grad_line(parse_dot(viz.draw(price, "both").source), "apple_num")
    assert number(line) == pytest.approx(3 * D_APPLE_NUM) and line.endswith("(sum of 3 passes)")


def test_forward_mode_shows_no_gradient_at_all():
    price, *_ = apple_graph()
    backward(price, 2)
    assert "sum of" not in viz.draw(price, "forward").source


def test_the_step_that_sends_to_a_summed_leaf_says_so():
    price, *_ = apple_graph()
    backward(price, 2)
    first, last = (f.text for f in viz.backward_steps(price))
    note = [line for line in last.splitlines() if line.strip().startswith("apple.grad")]
    assert len(note) == 1
    assert "sum of 2 backward passes" in note[0]
    shown = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", note[0].replace("2 backward", ""))]
    assert shown == pytest.approx([2 * D_APPLE, D_APPLE])  # .grad 4.4, this pass 2.2
    assert "→ apple: 1.1 × 2 = 2.2" in last  # the step itself is this pass's
    assert any(line.strip().startswith("tax.grad") and "sum of 2" in line for line in first.splitlines())


def test_after_one_pass_the_steps_have_no_note():
    price, *_ = apple_graph()
    backward(price, 1)
    assert not any("backward passes" in f.text for f in viz.backward_steps(price))


def test_the_frames_boxes_say_it_too():
    price, *_ = apple_graph()
    backward(price, 2)
    last = list(viz.backward_steps(price))[-1]
    assert grad_line(parse_dot(last.graph.source), "apple").endswith("(sum of 2 passes)")


def test_a_scalar_tensor_leaf_edge_does_not_show_the_sum():
    """A Tensor has no local numbers to recompute this pass's share: a 0-d leaf summed over two
    passes shows no number on its edge rather than the sum. w*w at w=3: d/dw = 2w = 6 per pass."""
    w = Tensor(np.array(3.0), requires_grad=True, label="w")
    y = w * w
    y.label = "y"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y.backward(retain_graph=True)
        y.backward()
    dot = parse_dot(viz.draw(y, "both").source)
    line = grad_line(dot, "w")
    assert number(line.split("=")[-1]) == pytest.approx(12) and line.endswith("(sum of 2 passes)")
    for tail, head, attrs in dot["edges"]:
        if tail == box_named(dot, "w"):
            assert red_lines(attrs["label"]) == []


@needs_dot
def test_rendered_svg_and_page_show_the_sum(tmp_path):
    price, *_ = apple_graph()
    backward(price, 2)
    viz.save(price, tmp_path / "apple.svg")
    text = " ".join(ET.parse(tmp_path / "apple.svg").getroot().itertext())
    assert "grad 4.4 (sum of 2 passes)" in text
    page = viz.save_steps(price, tmp_path / "steps.html")
    html = open(page, encoding="utf-8").read()
    assert "apple.grad = 4.4 holds the sum of 2 backward passes" in html
    assert "grad 4.4 (sum of 2 passes)" in html
