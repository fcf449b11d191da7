"""viz.draw / viz.save on scalar graphs: the DOT structure, real rendering, refusals, dot missing.

The expected numbers are the lecture's (apple=100, apple_num=2, tax=1.1: price 220; dapple 2.2,
dapple_num 110, dtax 200) or worked out by hand in the comments, never read back from viz.
"""
from __future__ import annotations

import html
import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import pytest

import autograd
import viz
from autograd import Value

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


# ---- a small reader of the DOT text graphviz writes -------------------------------------------
_ATTR = re.compile(r'(\w+)=(<(?:[^<>]|<[^<>]*>)*>|"(?:[^"\\]|\\.)*"|[^\s\]]+)')
_NODE = re.compile(r'^\s*("?[^\s"]+"?) \[(.*)\]$')
_EDGE = re.compile(r'^\s*("?[^\s"]+"?) -> ("?[^\s"]+"?)(?: \[(.*)\])?$')
_SUB = re.compile(r'^\s*subgraph ("?[^"{]+"?) \{$')


def _unquote(text: str) -> str:
    return text[1:-1] if text.startswith('"') else text


def _attrs(text: str | None) -> dict:
    return {k: _unquote(v) for k, v in _ATTR.findall(text or "")}


def label_lines(label: str) -> list[str]:
    """The text lines of an HTML-like label, tags removed, entities decoded."""
    inner = label[1:-1] if label.startswith("<") else label
    return [html.unescape(re.sub(r"<[^>]+>", "", part)) for part in re.split(r"<BR/>", inner)]


def red_lines(label: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<FONT COLOR="red">(.*?)</FONT>', label)]


def black_lines(label: str) -> list[str]:
    """The lines of a label outside its coloured (gradient) parts, stripped; empty ones dropped.
    An edge's label is one line, the value and then the gradient in red."""
    inner = label[1:-1] if label.startswith("<") else label
    inner = re.sub(r'<FONT COLOR="[^"]*">.*?</FONT>', "", inner)
    lines = [html.unescape(re.sub(r"<[^>]+>", "", part)).strip() for part in inner.split("<BR/>")]
    return [line for line in lines if line]


def parse_dot(source: str) -> dict:
    """{'nodes': {id: attrs (+ 'cluster': path of cluster names)}, 'edges': [(tail, head, attrs)],
    'clusters': {name: {'parent': name or None, 'attrs': {...}}}, 'graph': attrs}."""
    nodes, edges, clusters, stack, graph = {}, [], {}, [], {}
    for line in source.splitlines():
        if m := _SUB.match(line):
            name = _unquote(m.group(1))
            clusters[name] = {"parent": stack[-1] if stack else None, "attrs": {}}
            stack.append(name)
        elif line.strip() == "}":
            if stack:
                stack.pop()
        elif m := _EDGE.match(line):
            head, attrs = m.group(2), _attrs(m.group(3))
            if not head.startswith('"') and ":" in head:  # n4_op:i0:w, an operand's port
                head, attrs["headport"] = head.split(":", 1)
            edges.append((_unquote(m.group(1)), _unquote(head), attrs))
        elif m := _NODE.match(line):
            name, attrs = _unquote(m.group(1)), _attrs(m.group(2))
            if name == "graph" and not stack:
                graph.update(attrs)
            elif name not in ("graph", "node", "edge"):
                attrs["cluster"] = tuple(stack)
                nodes[name] = attrs
        elif stack and "=" in line and "->" not in line:
            clusters[stack[-1]]["attrs"].update(_attrs(line))
    return {"nodes": nodes, "edges": edges, "clusters": clusters, "graph": graph}


def box_named(dot: dict, name: str) -> str:
    """The id of the variable box whose first label line is `name`."""
    found = [i for i, a in dot["nodes"].items()
             if a.get("shape") == "box" and label_lines(a["label"])[0] == name]
    assert len(found) == 1, f"expected one box named {name!r}, found {found}"
    return found[0]


def edge(dot: dict, tail: str, head: str) -> dict:
    found = [a for t, h, a in dot["edges"] if t == tail and h == head]
    assert len(found) == 1, f"expected one edge {tail} -> {head}, found {len(found)}"
    return found[0]


def op_fed_by(dot: dict, box: str) -> str:
    """The operation circle that computes `box` (the node with an edge into it)."""
    heads = [t for t, h, _ in dot["edges"] if h == box]
    assert len(heads) == 1
    return heads[0]


def apple_graph():
    apple, apple_num, tax = Value(100, label="apple"), Value(2, label="apple_num"), Value(1.1, label="tax")
    apple_price = apple * apple_num
    apple_price.label = "apple_price"
    price = apple_price * tax
    price.label = "price"
    return price, apple, apple_num, tax


@pytest.fixture
def apple():
    price, *_ = apple_graph()
    price.backward()
    return price


# ---- the apple graph (figures 5-2 and 5-16) ----------------------------------------------------
def test_draw_returns_a_left_to_right_digraph(apple):
    g = viz.draw(apple, mode="both")
    assert isinstance(g, graphviz.Digraph)
    assert parse_dot(g.source)["graph"]["rankdir"] == "LR"


def test_apple_graph_structure_values_and_gradients_on_the_right_edges(apple):
    dot = parse_dot(viz.draw(apple, mode="both").source)
    boxes = {i for i, a in dot["nodes"].items() if a.get("shape") == "box"}
    circles = {i for i, a in dot["nodes"].items() if a.get("shape") == "circle"}
    assert len(boxes) == 5 and len(circles) == 2
    assert len(dot["edges"]) == 6  # 4 inputs into the two ×, 2 × into their results
    tax, price = box_named(dot, "tax"), box_named(dot, "price")
    times_tax = op_fed_by(dot, price)
    assert label_lines(dot["nodes"][times_tax]["label"]) == ["×"]
    into = edge(dot, tax, times_tax)["label"]
    assert black_lines(into) == ["1.1"] and red_lines(into) == ["200"]
    times_apple = op_fed_by(dot, box_named(dot, "apple_price"))
    for name, value, grad in [("apple", "100", "2.2"), ("apple_num", "2", "110")]:
        label = edge(dot, box_named(dot, name), times_apple)["label"]
        assert black_lines(label) == [value] and red_lines(label) == [grad]
    label = edge(dot, box_named(dot, "apple_price"), times_tax)["label"]
    assert black_lines(label) == ["200"] and red_lines(label) == ["1.1"]
    out = edge(dot, times_tax, price)["label"]
    assert black_lines(out) == ["220"] and red_lines(out) == ["1"]


def test_boxes_show_name_value_and_gradient(apple):
    dot = parse_dot(viz.draw(apple, mode="both").source)
    expected = {"apple": ("100", "grad 2.2"), "apple_num": ("2", "grad 110"),
                "tax": ("1.1", "grad 200"), "apple_price": ("200", "grad 1.1"),
                "price": ("220", "grad 1")}
    for name, (value, grad) in expected.items():
        label = dot["nodes"][box_named(dot, name)]["label"]
        assert label_lines(label) == [name, value, grad]
        assert red_lines(label) == [grad]


def test_forward_mode_shows_values_only(apple):
    dot = parse_dot(viz.draw(apple, mode="forward").source)
    assert all("red" not in a.get("label", "") for _, _, a in dot["edges"])
    assert all("grad" not in a.get("label", "") for a in dot["nodes"].values())
    tax = box_named(dot, "tax")
    assert label_lines(edge(dot, tax, op_fed_by(dot, box_named(dot, "price")))["label"]) == ["1.1"]


def test_backward_mode_arrows_point_back_and_carry_gradients(apple):
    dot = parse_dot(viz.draw(apple, mode="backward").source)
    assert all(a.get("dir") == "back" for _, _, a in dot["edges"])
    tax, price = box_named(dot, "tax"), box_named(dot, "price")
    label = edge(dot, tax, op_fed_by(dot, price))["label"]
    assert label_lines(label) == ["200"] and red_lines(label) == ["200"]


def test_auto_mode_and_gradients_before_backward():
    price, *_ = apple_graph()
    source = viz.draw(price).source  # auto: no gradients to show yet, so 'forward'
    assert "<BR/>grad " not in source and 'COLOR="red"' not in source
    with pytest.raises(ValueError, match=r"backward\(\)"):
        viz.draw(price, mode="both")
    with pytest.raises(ValueError, match="mode"):
        viz.draw(price, mode="sideways")


# ---- the chain rule graph z = (x + y) ** 2 (figure 5-7) ----------------------------------------
def test_chain_rule_graph_with_generated_names():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    z = (x + y) ** 2
    z.backward()  # dz/dx = dz/dy = 2(x + y) = 6
    source = viz.draw(z, mode="both").source
    assert source == viz.draw(z, mode="both").source  # deterministic
    dot = parse_dot(source)
    t, out = box_named(dot, "v1"), box_named(dot, "v2")  # unnamed, in topological order
    assert label_lines(dot["nodes"][t]["label"]) == ["v1", "3", "grad 6"]
    assert label_lines(dot["nodes"][out]["label"]) == ["v2", "9", "grad 1"]
    plus, square = op_fed_by(dot, t), op_fed_by(dot, out)
    assert label_lines(dot["nodes"][plus]["label"]) == ["+"]
    assert label_lines(dot["nodes"][square]["label"]) == ["**2"]
    for name, value in [("x", "1"), ("y", "2")]:
        label = edge(dot, box_named(dot, name), plus)["label"]
        assert black_lines(label) == [value] and red_lines(label) == ["6"]
    assert red_lines(edge(dot, t, square)["label"]) == ["6"]


def test_a_value_used_twice_gets_one_edge_per_use():
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    f = x * y + x  # df/dx = y + 1 = 5, sent as 4 through × and 1 through +
    f.backward()
    dot = parse_dot(viz.draw(f, mode="both").source)
    xs = box_named(dot, "x")
    grads = sorted(red_lines(a["label"])[0] for t, _, a in dot["edges"] if t == xs)
    assert grads == ["1", "4"]
    assert red_lines(dot["nodes"][xs]["label"]) == ["grad 5"]
    sq = x * x  # d(x*x)/dx = 2x = 6: two edges of 3 each
    sq.backward()
    dot = parse_dot(viz.draw(sq, mode="backward").source)
    assert [red_lines(a["label"]) for t, _, a in dot["edges"] if t == box_named(dot, "x")] \
        == [["3"], ["3"]]


def test_gradients_that_are_values_after_create_graph():
    x = Value(3.0, label="x")
    y = x ** 3
    y.label = "y"
    y.backward(create_graph=True)  # dy/dx = 3x^2 = 27, itself a Value
    dot = parse_dot(viz.draw(y, mode="both").source)
    assert red_lines(dot["nodes"][box_named(dot, "x")]["label"]) == ["grad 27"]
    assert red_lines(edge(dot, box_named(dot, "x"), op_fed_by(dot, box_named(dot, "y")))["label"]) \
        == ["27"]


# ---- modules: clusters and collapse ------------------------------------------------------------
def scoped_graph():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    with autograd.scope("Net"):
        with autograd.scope("Square"):
            s = (x + y) ** 2
        s.label = "s"
        out = s * x
    out.label = "out"
    out.backward()  # d out/dx = s + x * 2(x + y) = 9 + 6 = 15; d out/dy = x * 2(x+y) = 6
    return out


def test_nodes_made_in_modules_sit_in_nested_labelled_clusters():
    dot = parse_dot(viz.draw(scoped_graph(), mode="both").source)
    clusters = dot["clusters"]
    assert clusters["cluster_Net"]["parent"] is None
    assert clusters["cluster_Net/Square"]["parent"] == "cluster_Net"
    assert label_lines(clusters["cluster_Net"]["attrs"]["label"]) == ["Net"]
    assert label_lines(clusters["cluster_Net/Square"]["attrs"]["label"]) == ["Square"]
    assert dot["nodes"][box_named(dot, "x")]["cluster"] == ()
    assert dot["nodes"][box_named(dot, "s")]["cluster"] == ("cluster_Net", "cluster_Net/Square")
    assert dot["nodes"][box_named(dot, "out")]["cluster"] == ("cluster_Net",)
    assert dot["nodes"][op_fed_by(dot, box_named(dot, "out"))]["cluster"] == ("cluster_Net",)


def test_collapse_draws_each_module_as_one_box():
    dot = parse_dot(viz.draw(scoped_graph(), mode="both", collapse=True).source)
    modules = {label_lines(a["label"])[0]: i for i, a in dot["nodes"].items()
               if a.get("shape") == "box" and "#e6f4ea" in a.get("fillcolor", "")}
    assert set(modules) == {"Square", "Net"}
    assert [a for a in dot["nodes"].values() if a.get("shape") == "circle"] == []
    x, y = box_named(dot, "x"), box_named(dot, "y")
    into_square = edge(dot, x, modules["Square"])["label"]
    assert black_lines(into_square) == ["1"] and red_lines(into_square) == ["6"]
    assert red_lines(edge(dot, y, modules["Square"])["label"]) == ["6"]
    crossing = edge(dot, modules["Square"], modules["Net"])["label"]
    assert black_lines(crossing) == ["9"] and red_lines(crossing) == ["1"]
    assert red_lines(edge(dot, x, modules["Net"])["label"]) == ["9"]  # x's use in s * x
    assert dot["nodes"][modules["Square"]]["cluster"] == ("cluster_Net",)


# ---- rendering through dot ---------------------------------------------------------------------
def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


@needs_dot
def test_save_svg_renders_the_numbers(apple, tmp_path):
    path = viz.save(apple, tmp_path / "apple.svg", mode="both")
    texts = svg_texts(open(path, encoding="utf-8").read())
    for expected in ["apple", "apple_num", "tax", "price", "100", "2", "1.1", "220",
                     "grad 2.2", "grad 110", "grad 200", "2.2", "110", "200"]:
        assert expected in texts


@needs_dot
def test_save_picks_the_format_from_the_file_name(apple, tmp_path):
    assert (tmp_path / "a.png").exists() is False
    assert open(viz.save(apple, tmp_path / "a.png"), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert open(viz.save(apple, tmp_path / "a.pdf"), "rb").read(5) == b"%PDF-"
    for name in ("a.dot", "a.gv"):
        text = open(viz.save(apple, tmp_path / name), encoding="utf-8").read()
        assert text.startswith("digraph") and "rankdir=LR" in text
    with pytest.raises(ValueError, match=r"\.svg"):
        viz.save(apple, tmp_path / "a.bmp")


@needs_dot
def test_labels_are_escaped_for_dot_and_svg(tmp_path):
    a = Value(2.0, label='<x>&"\\N')
    b = a * 3
    b.label = "</TD>"
    b.backward()
    source = viz.draw(b).source
    assert "<x>&" not in source and "&lt;x&gt;&amp;" in source
    texts = svg_texts(open(viz.save(b, tmp_path / "e.svg"), encoding="utf-8").read())
    assert '<x>&"\\N' in texts and "</TD>" in texts


# ---- refusals ----------------------------------------------------------------------------------
def long_chain(n: int, scope: str | None = None) -> Value:
    x = Value(1.0, label="x")
    out = x
    for _ in range(n):
        if scope:
            with autograd.scope(scope):
                out = out + 1.0
        else:
            out = out + 1.0
    return out


def test_a_graph_over_max_nodes_is_refused_with_advice():
    big = long_chain(300)  # 1 + 300 results + 300 constants = 601 nodes
    with pytest.raises(ValueError, match="collapse=True") as info:
        viz.draw(big)
    assert "subgraph" in str(info.value) and "601" in str(info.value)
    assert viz.draw(long_chain(10), max_nodes=21) is not None
    with pytest.raises(ValueError, match="max_nodes=20"):
        viz.draw(long_chain(10), max_nodes=20)


def test_collapse_brings_a_big_graph_under_the_limit():
    dot = parse_dot(viz.draw(long_chain(300, scope="Big"), collapse=True).source)
    # x, the Big module, and the output (its box and the operation that made it) drawn outside
    # the module, so that the collapsed picture still shows the result
    assert len(dot["nodes"]) == 4


def test_bad_arguments_are_refused_where_they_enter(apple):
    with pytest.raises(TypeError, match="Value or Tensor"):
        viz.draw(3.0)
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw(apple, max_nodes=0)


def test_dot_missing_explains_how_to_install(apple, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    graph = viz.draw(apple)
    assert graph.source.startswith("digraph")  # the DOT text needs no dot
    for attempt in (lambda: viz.save(apple, tmp_path / "a.svg"),
                    lambda: graph.render(outfile=tmp_path / "b.png"),
                    lambda: graph.pipe(format="svg"),
                    lambda: graph._repr_mimebundle_()):
        with pytest.raises(viz.GraphvizNotFoundError) as info:
            attempt()
        message = str(info.value)
        for hint in ("apt-get install graphviz", "brew install graphviz",
                     "conda install -c conda-forge graphviz"):
            assert hint in message
    assert isinstance(info.value, RuntimeError)
    assert "digraph" in open(viz.save(apple, tmp_path / "a.dot"), encoding="utf-8").read()


def test_far_reaching_edges_are_refused_before_dot_runs():
    """x + x + ... + x: dot needs ~0.7 s for 30 terms and minutes for 60 (each edge from x
    crosses every layer in between), so the long one is refused with advice, the short drawn."""
    import time
    from autograd import Value
    x = Value(1.0, label="x")
    out = x
    for _ in range(59):
        out = out + x
    started = time.perf_counter()
    with pytest.raises(ValueError, match="subgraph"):
        viz.draw(out)
    assert time.perf_counter() - started < 1.0
    short = x
    for _ in range(19):
        short = short + x
    assert "n0" in viz.draw(short).source
