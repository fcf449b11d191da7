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
