"""viz.backward_steps / viz.save_steps: frames in the engine's order, gradients appearing."""
from __future__ import annotations

import re
import shutil

import pytest

import viz
from autograd import Value
from test_viz_graph import apple_graph, label_lines, parse_dot, red_lines

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@pytest.fixture
def apple():
    price, apple, apple_num, tax = apple_graph()
    price.backward()
    return price, apple, apple_num, tax


def shown_grads(frame) -> dict:
    dot = parse_dot(frame.graph.source)
    return {label_lines(a["label"])[0]: red_lines(a["label"])
            for a in dot["nodes"].values() if a.get("shape") == "box"}


def test_one_frame_per_node_in_backward_order(apple):
    price, *_ = apple
    frames = list(viz.backward_steps(price))
    assert [f.node for f in frames] == [price, price.parents[0]]  # price, then apple_price
    assert [(f.index, f.total) for f in frames] == [(1, 2), (2, 2)]


def test_frames_explain_upstream_times_local(apple):
    price, *_ = apple
    first, last = (f.text for f in viz.backward_steps(price))
    assert "price = apple_price × tax = 220" in first
    assert "→ tax: 1 × 200 = 200" in first  # d price/d tax = apple_price = 200
    assert "→ apple_price: 1 × 1.1 = 1.1" in first
    assert "→ apple: 1.1 × 2 = 2.2" in last
    assert "→ apple_num: 1.1 × 100 = 110" in last


def test_gradients_appear_as_the_pass_reaches_them(apple):
    price, *_ = apple
    first, last = viz.backward_steps(price)
    grads = shown_grads(first)
    assert grads["price"] == ["grad 1"]
    assert grads["tax"] == ["grad 200"] and grads["apple_price"] == ["grad 1.1"]
    assert grads["apple"] == [] and grads["apple_num"] == []  # not reached yet
    grads = shown_grads(last)
    assert grads == {"apple": ["grad 2.2"], "apple_num": ["grad 110"], "tax": ["grad 200"],
                     "apple_price": ["grad 1.1"], "price": ["grad 1"]}


def test_the_current_node_is_highlighted(apple):
    price, *_ = apple
    for frame, name in zip(viz.backward_steps(price), ["price", "apple_price"]):
        dot = parse_dot(frame.graph.source)
        highlighted = [label_lines(a["label"])[0] for a in dot["nodes"].values()
                       if a.get("penwidth") == "3" and a.get("shape") == "box"]
        assert highlighted == [name]


def test_steps_need_backward_first():
    price, *_ = apple_graph()
    with pytest.raises(ValueError, match=r"backward\(\)"):
        viz.backward_steps(price)


def test_chain_rule_steps():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    z = (x + y) ** 2
    z.label = "z"
    z.backward()
    square, plus = viz.backward_steps(z)
    assert "→ v1: 1 × 6 = 6" in square.text  # dz/dt = 2t = 6
    assert "→ x: 6 × 1 = 6" in plus.text and "→ y: 6 × 1 = 6" in plus.text


@needs_dot
def test_save_steps_writes_the_explorer_opened_on_the_backward_pass(apple, tmp_path):
    price, *_ = apple
    path = viz.save_steps(price, tmp_path / "steps.html")
    page = open(path, encoding="utf-8").read()
    assert page.count("<svg") == 1  # one layout for every step
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert not re.search(r"<(script|link|img)[^>]*(src|href)=", page)  # nothing fetched
    assert "→ apple: 1.1 × 2 = 2.2" in page  # the step texts, in the page's data
    assert '"mode":"backward"' in page and '"step":1' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    with pytest.raises(ValueError, match="html"):
        viz.save_steps(price, tmp_path / "steps.svg")
    with pytest.raises(ValueError, match="mode"):
        viz.save_steps(price, tmp_path / "steps.html", mode="forward")
    fresh, *_ = apple_graph()
    with pytest.raises(ValueError, match=r"backward\(\)"):
        viz.save_steps(fresh, tmp_path / "steps.html")
