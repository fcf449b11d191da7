"""Every drawing carries stable SVG ids and classes (the explorer's contract, viz.build.edge_id)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from autograd import Value
import viz

SVG = "{http://www.w3.org/2000/svg}"


def test_boxes_operations_and_edges_have_ids_and_classes():
    apple, num, tax = Value(100.0, "apple"), Value(2.0, "num"), Value(1.1, "tax")
    price = apple * num * tax * 2
    price.backward()
    root = ET.fromstring(viz.draw(price, "both").pipe(format="svg"))
    groups = {g.get("id"): g.get("class", "") for g in root.iter(f"{SVG}g")}
    # topological order: apple n0, num n1, apple*num n2, tax n3, *tax n4, the constant 2 n5, out n6
    assert groups["n0"] == "node tg-var tg-leaf"
    assert groups["n5"] == "node tg-var tg-leaf tg-const"
    assert groups["n6"] == "node tg-var tg-output"
    assert groups["n2_op"] == "node tg-op"
    assert groups["n2_in0"] == "edge tg-edge tg-in" and groups["n2_in1"] == "edge tg-edge tg-in"
    assert groups["n6_out"] == "edge tg-edge tg-out"
    assert sum(c.startswith("edge") for c in groups.values()) == 3 * 3


def _groups(graph) -> dict:
    return {g.get("id"): g.get("class", "") for g in
            ET.fromstring(graph.pipe(format="svg")).iter(f"{SVG}g")}


def test_folding_a_constant_removes_only_its_box_and_edge():
    apple, num, tax = Value(100.0, "apple"), Value(2.0, "num"), Value(1.1, "tax")
    price = apple * num * tax * 2
    price.backward()
    shown = _groups(viz.draw(price, "both", constants="show"))
    folded = _groups(viz.draw(price, "both", constants="fold"))
    # the constant 2 is n5 and enters n6's operation as input 1
    assert shown["n5"] == "node tg-var tg-leaf tg-const"
    assert set(folded) == set(shown) - {"n5", "n6_in1"}
    assert all(folded[k] == shown[k] for k in folded)


def test_marked_operations_and_several_outputs_keep_the_ids():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    q = a / b
    r = a - b
    q.backward()
    groups = _groups(viz.draw([q, r], "both"))
    # a n0, b n1, q n2, r n3: both outputs tg-output, edges into their operands' marks
    assert groups["n2"] == groups["n3"] == "node tg-var tg-output"
    assert groups["n2_op"] == groups["n3_op"] == "node tg-op"
    for k in (2, 3):
        for i in (0, 1):
            assert groups[f"n{k}_in{i}"] == "edge tg-edge tg-in"
