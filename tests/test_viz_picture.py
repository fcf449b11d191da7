"""The picture itself, read from the SVG that dot lays out: where each edge's value and gradient
sit, constants shown or folded, the operands of / − ** @ marked, dpi, rankdir, several outputs.

Expected numbers are the lecture's closed forms (apple=100, apple_num=2, tax=1.1: d price/d apple
= apple_num × tax = 2.2, d price/d apple_num = apple × tax = 110), never read back from viz.
"""
from __future__ import annotations

import math
import re
import shutil
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import viz
from autograd import Tensor, Value
from graphs import micrograd_expression

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
pytestmark = needs_dot

SVG = "{http://www.w3.org/2000/svg}"
Point = tuple[float, float]


# ---- reading the SVG ------------------------------------------------------------------------
def svg_root(graph: viz.Graph) -> ET.Element:
    return ET.fromstring(graph.pipe(format="svg"))


def groups(root: ET.Element) -> dict:
    """{id: <g>} for every node and edge group."""
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def texts(g: ET.Element) -> list[tuple[str, Point, bool]]:
    """(text, (x, y) of its baseline start, drawn in red) for each <text> of a group."""
    return [(t.text or "", (float(t.get("x")), float(t.get("y"))), t.get("fill") == "red")
            for t in g.iter(f"{SVG}text")]


def value_and_grad(g: ET.Element) -> tuple[tuple[str, Point], tuple[str, Point]]:
    """An edge's value text (not red) and gradient text (red): exactly one of each."""
    black = [(s, p) for s, p, red in texts(g) if not red]
    red = [(s, p) for s, p, is_red in texts(g) if is_red]
    assert len(black) == 1 and len(red) == 1, texts(g)
    return black[0], red[0]


def path_points(g: ET.Element, samples: int = 40) -> list[Point]:
    """Points along an edge's path (the cubic Béziers 'M x,y C x,y x,y x,y ...' dot writes)."""
    d = g.find(f"{SVG}path").get("d")
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)]
    pts = list(zip(nums[0::2], nums[1::2]))
    out = [pts[0]]
    for i in range(1, len(pts) - 2, 3):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(1, samples + 1):
            t = k / samples
            out.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t * t * c
                             + t ** 3 * e for a, b, c, e in zip(p0, p1, p2, p3)))
    return out


def distance(p: Point, path: list[Point]) -> float:
    return min(math.dist(p, q) for q in path)


def path_y_at(path: list[Point], x: float) -> float:
    """The path's y where it passes x (the sampled point nearest in x)."""
    return min(path, key=lambda q: abs(q[0] - x))[1]


def center(g: ET.Element) -> Point:
    """The middle of a node's shape (its first ellipse, polygon or path)."""
    shape = next(e for e in g if e.tag in (f"{SVG}ellipse", f"{SVG}polygon", f"{SVG}path"))
    if shape.tag == f"{SVG}ellipse":
        return float(shape.get("cx")), float(shape.get("cy"))
    raw = shape.get("points") or shape.get("d")
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", raw)]
    xs, ys = nums[0::2], nums[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


# ---- graphs ---------------------------------------------------------------------------------
def apple_graph() -> Value:
    apple, num, tax = Value(100.0, "apple"), Value(2.0, "apple_num"), Value(1.1, "tax")
    price = apple * num * tax
    price.label = "price"
    price.backward()
    return price


# ---- value and gradient on each edge ----------------------------------------------------------
def test_each_edge_reads_value_then_gradient_on_one_line_above_it():
    root = svg_root(viz.draw(apple_graph(), "both"))
    edges = [g for g in root.iter(f"{SVG}g") if "tg-edge" in g.get("class", "")]
    assert len(edges) == 6
    for g in edges:
        (value, (vx, vy)), (grad, (gx, gy)) = value_and_grad(g)
        assert vy == pytest.approx(gy, abs=0.5), g.get("id")  # one line ...
        assert vx < gx, g.get("id")  # ... the value first
        path = path_points(g)
        for x, y in ((vx, vy), (gx, gy)):  # rankdir LR: beside the edge = above it
            assert y < path_y_at(path, x), g.get("id")


def test_converging_edges_keep_their_own_value_and_gradient():
    root = svg_root(viz.draw(apple_graph(), "both"))
    by_id = groups(root)
    # apple n0 and apple_num n1 both feed the first ×, n2_op
    apple_in, num_in = by_id["n2_in0"], by_id["n2_in1"]
    (apple_value, _), (apple_grad, _) = value_and_grad(apple_in)
    (num_value, _), (num_grad, _) = value_and_grad(num_in)
    assert (apple_value, apple_grad) == ("100", "2.2")  # 2.2 = apple_num × tax = 2 × 1.1
    assert (num_value, num_grad) == ("2", "110")  # 110 = apple × tax = 100 × 1.1
    for own, other in ((apple_in, num_in), (num_in, apple_in)):
        own_path, other_path = path_points(own), path_points(other)
        for _, point, _ in texts(own):
            assert distance(point, own_path) < distance(point, other_path)


def test_harder_graph_every_edge_pairs_its_value_and_gradient():
    root = svg_root(viz.draw(micrograd_expression()[0], "both"))
    by_id = groups(root)
    edges = [g for g in by_id.values() if "tg-edge" in g.get("class", "")]
    constants = 0
    for g in edges:
        tail = g.find(f"{SVG}title").text.split("->")[0]  # 'n3->n5_op:w'
        if "tg-const" in by_id[tail].get("class", ""):
            constants += 1  # a constant's edge carries its value only
            assert [red for _, _, red in texts(g)] == [False]
            continue
        (_, (vx, vy)), (_, (gx, gy)) = value_and_grad(g)
        assert vy == pytest.approx(gy, abs=0.5) and vx < gx
    # the numbers lifted: c + 1, 1 + c, d * 2, 3 * d, e ** 2 (folded already), f / 2, 10 / f
    assert constants == 6


def test_backward_mode_shows_gradients_only_with_arrows_back():
    graph = viz.draw(apple_graph(), "backward")
    assert "dir=back" in graph.source
    for g in svg_root(graph).iter(f"{SVG}g"):
        if "tg-edge" in g.get("class", ""):
            assert [red for _, _, red in texts(g)] == [True]


# ---- constants ------------------------------------------------------------------------------
def times_two() -> Value:
    x = Value(3.0, "x")
    y = x * 2
    y.label = "y"
    y.backward()
    return y


def test_constants_shown_as_dashed_boxes_without_gradient():
    graph = viz.draw(times_two(), "both", constants="show")
    by_id = groups(svg_root(graph))
    const = [g for g in by_id.values() if "tg-const" in g.get("class", "")]
    assert len(const) == 1
    assert [(s, red) for s, _, red in texts(const[0])] == [("2", False)]  # no name, no gradient
    assert "stroke-dasharray" in ET.tostring(const[0], encoding="unicode")
    # x n0, the constant n1, y n2: the constant's edge carries 2 and no gradient
    assert [(s, red) for s, _, red in texts(by_id["n2_in1"])] == [("2", False)]
    # x's edge: value 3, gradient 2 (dy/dx = 2)
    (value, _), (grad, _) = value_and_grad(by_id["n2_in0"])
    assert (value, grad) == ("3", "2")


def test_constants_folded_into_their_operation():
    shown = groups(svg_root(viz.draw(times_two(), "both", constants="show")))
    by_id = groups(svg_root(viz.draw(times_two(), "both", constants="fold")))
    assert not [g for g in by_id.values() if "tg-const" in g.get("class", "")]
    assert [s for s, _, _ in texts(by_id["n2_op"])] == ["×2"]
    assert "n1" not in by_id and "n2_in1" not in by_id
    assert set(by_id) == set(shown) - {"n1", "n2_in1"}  # the other ids stay


def test_folded_constant_keeps_its_side():
    x = Value(4.0, "x")
    y = 10.0 / x - 1
    y.backward()
    source = viz.draw(y, "both", constants="fold").source
    assert "label=<10/>" in source and "label=<−1>" in source  # 10 / x, then (10 / x) − 1
    z = Value(2.0, "z") * -3
    assert "×(-3)" in viz.draw(z, "forward", constants="fold").source


def test_tensor_constant_folds_too():
    X = Tensor(np.ones((2, 2)), requires_grad=True, label="X")
    y = (X / 2).sum()
    y.backward()
    by_id = groups(svg_root(viz.draw(y, "both", constants="fold")))
    assert any([s for s, _, _ in texts(g)] == ["/2"] for g in by_id.values()
               if "tg-op" in g.get("class", ""))
    shown = groups(svg_root(viz.draw(y, "both")))
    const = [g for g in shown.values() if "tg-const" in g.get("class", "")]
    assert [s for s, _, _ in texts(const[0])] == ["2"]


# ---- operand order ----------------------------------------------------------------------------
def mark_of_each_input(graph: viz.Graph, op_index: int) -> dict:
    """For the operation n{op_index}_op: {input i: the mark ('a'/'b') its edge ends nearest}."""
    by_id = groups(svg_root(graph))
    op_texts = texts(by_id[f"n{op_index}_op"])
    marks = {s: p for s, p, _ in op_texts if s in ("a", "b")}
    assert set(marks) == {"a", "b"}, op_texts
    found = {}
    for i in (0, 1):
        end = path_points(by_id[f"n{op_index}_in{i}"])[-1]
        found[i] = min(marks, key=lambda m: math.dist(marks[m], end))
    return found


OPS = {"/": lambda a, b: a / b, "−": lambda a, b: a - b, "**": lambda a, b: a ** b}


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("swap", [False, True])
def test_value_operands_of_ordered_operations_are_marked(op, swap):
    num, den = Value(3.0, "num"), Value(2.0, "den")
    first, second = (den, num) if swap else (num, den)
    out = OPS[op](first, second)
    out.backward()
    graph = viz.draw(out, "both")
    by_id = groups(svg_root(graph))
    assert [s for s, _, _ in texts(by_id["n2_op"])] == ["a", op, "b"]
    assert mark_of_each_input(graph, 2) == {0: "a", 1: "b"}  # the left operand enters at a
    # and it is the left operand's box the edge into 'a' comes from: n0, drawn first
    assert texts(by_id["n0"])[0][0] == first.label


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_tensor_operands_are_marked(rankdir):
    X = Tensor(np.ones((2, 3)), label="X")
    W = Tensor(np.ones((3, 2)), requires_grad=True, label="W")
    Y = Tensor(np.ones((2, 2)), requires_grad=True, label="Y")
    out = ((X @ W) - Y).sum()
    out.backward()
    graph = viz.draw(out, "both", rankdir=rankdir)
    # order: X n0, W n1, X@W n2, Y n3, (X@W)−Y n4, sum n5
    assert mark_of_each_input(graph, 2) == {0: "a", 1: "b"}
    assert mark_of_each_input(graph, 4) == {0: "a", 1: "b"}


def test_commutative_operations_are_not_marked():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    out = x * y + x
    out.backward()
    for g in groups(svg_root(viz.draw(out, "both"))).values():
        if "tg-op" in g.get("class", ""):
            assert [s for s, _, _ in texts(g)] in (["×"], ["+"])


# ---- dpi, rankdir -----------------------------------------------------------------------------
def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_dpi_scales_the_png(tmp_path):
    price = apple_graph()
    w1, h1 = png_size(viz.save(price, tmp_path / "a.png", dpi=72))
    w2, h2 = png_size(viz.save(price, tmp_path / "b.png", dpi=144))
    assert w2 / w1 == pytest.approx(2, rel=0.03) and h2 / h1 == pytest.approx(2, rel=0.03)


@pytest.mark.parametrize("dpi, error", [(0, ValueError), (-5, ValueError),
                                        (float("nan"), ValueError), (1e6, ValueError),
                                        ("300", TypeError), (True, TypeError)])
def test_bad_dpi_is_refused_naming_it(tmp_path, dpi, error):
    with pytest.raises(error, match="dpi"):
        viz.save(apple_graph(), tmp_path / "a.png", dpi=dpi)
    assert not (tmp_path / "a.png").exists()


def test_dpi_only_for_png(tmp_path):
    with pytest.raises(ValueError, match="dpi.*png"):
        viz.save(apple_graph(), tmp_path / "a.svg", dpi=200)


def test_rankdir_tb_runs_top_to_bottom():
    price = apple_graph()
    for rankdir, axis in (("LR", 0), ("TB", 1)):
        by_id = groups(svg_root(viz.draw(price, "both", rankdir=rankdir)))
        # apple n0 ... price n4: the output lies further along the flow than the input
        start, end = center(by_id["n0"]), center(by_id["n4"])
        assert end[axis] - start[axis] > abs(end[1 - axis] - start[1 - axis])
    assert "rankdir=TB" in viz.draw(price, rankdir="tb").source


@pytest.mark.parametrize("kwargs", [{"rankdir": "XY"}, {"rankdir": 3}, {"constants": "hide"}])
def test_bad_options_name_the_parameter(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        viz.draw(apple_graph(), **kwargs)


# ---- several outputs --------------------------------------------------------------------------
def test_several_outputs_in_one_graph():
    x = Value(2.0, "x")
    loss = x * x
    loss.label = "loss"
    aux = x + Value(1.0, "one")
    aux.label = "aux"
    loss.backward()
    graph = viz.draw([loss, aux], "both")
    by_id = groups(svg_root(graph))
    outputs = [g for g in by_id.values() if "tg-output" in g.get("class", "")]
    names = {texts(g)[0][0] for g in outputs}
    assert names == {"loss", "aux"}
    for g in outputs:  # a double border: two outlines
        assert len(g.findall(f"{SVG}path")) + len(g.findall(f"{SVG}polygon")) == 2
    # order: x n0, loss n1, one n2, aux n3 (the first output's graph first)
    assert [texts(by_id[f"n{k}"])[0][0] for k in range(4)] == ["x", "loss", "one", "aux"]
    assert "x" in {texts(g)[0][0] for g in by_id.values() if "tg-leaf" in g.get("class", "")}
    # d loss/dx = 2x = 4
    assert [s for s, _, red in texts(by_id["n0"]) if red] == ["grad 4"]
    assert viz.draw((loss, loss)).source == viz.draw([loss]).source  # repeats count once


def test_several_outputs_errors_name_the_parameter():
    x = Value(1.0)
    with pytest.raises(ValueError, match="output.*empty"):
        viz.draw([])
    with pytest.raises(TypeError, match=r"output\[1\]"):
        viz.draw([x, 3.0])
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw([x * 2, x + 1], max_nodes=3)


# ---- the CLI ------------------------------------------------------------------------------------
def test_cli_takes_dpi_and_rankdir(tmp_path, capsys):
    from viz.cli import main
    small, large = tmp_path / "s.png", tmp_path / "l.png"
    assert main(["x / y", "x=1", "y=2", "-o", str(small), "--dpi", "48"]) == 0
    assert main(["x / y", "x=1", "y=2", "-o", str(large), "--dpi", "96", "--rankdir", "tb"]) == 0
    (ws, hs), (wl, hl) = png_size(small), png_size(large)
    assert hl / hs > 2.5 and wl / ws < 2  # twice the dpi, and top to bottom: taller, not wider
    capsys.readouterr()
    assert main(["x / y", "x=1", "y=2", "-o", str(tmp_path / "a.svg"), "--dpi", "96"]) == 2
    assert "dpi" in capsys.readouterr().err and not (tmp_path / "a.svg").exists()
