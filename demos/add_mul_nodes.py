"""Backward through one node: an add node passes the upstream gradient unchanged to both inputs
(Fig. 5-11: 10 + 5, upstream 1.3 -> 1.3 1.3); a mul node multiplies it by the other input
(Fig. 5-13: 10 × 5, upstream 1.3 -> 6.5 13; the apple node 100 × 2, upstream 1.1 -> 2.2 110).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from autograd import Value
from nn.layers import AddLayer, MulLayer

from .common import DemoResult, agree, fmt, parse_args, report_files, save_graph

# (figure, name, layer, x, y, upstream, labels)
EXAMPLES = (
    ("Fig. 5-11", "add_node", AddLayer, 10, 5, 1.3, ("x", "y", "z")),
    ("Fig. 5-13", "mul_node", MulLayer, 10, 5, 1.3, ("x", "y", "z")),
    ("Fig. 5-14", "apple_mul_node", MulLayer, 100, 2, 1.1, ("apple", "apple_num", "apple_price")),
)


def node(layer: type, x: float, y: float, upstream: float,
         labels: tuple[str, str, str]) -> tuple[Value, Value, Value]:
    """z = x + y or x * y as Values, backward from `upstream`: (x, y, z)."""
    xv, yv = Value(x, label=labels[0]), Value(y, label=labels[1])
    z = xv + yv if layer is AddLayer else xv * yv
    z.label = labels[2]
    z.backward(upstream)
    return xv, yv, z


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print each node's forward value and the two gradients it sends down; draw each node.

    numbers: per example name ("add_node", "mul_node", "apple_mul_node"), the op ("+" or "×"),
    x, y, z, upstream, dx, dy (Value's) and the labels.
    """
    args = parse_args(__doc__, argv, out_dir)
    files, numbers, graphs = [], {}, {}
    for figure, name, layer_type, x, y, upstream, labels in EXAMPLES:
        layer = layer_type()
        out = layer.forward(x, y)
        dx, dy = layer.backward(upstream)
        op = "+" if layer_type is AddLayer else "×"
        print(f"{figure} {layer_type.__name__}: {fmt(x)} {op} {fmt(y)} = {fmt(out)}; "
              f"upstream {fmt(upstream)} -> d{labels[0]} d{labels[1]} = {fmt(dx, dy)}")
        xv, yv, z = node(layer_type, x, y, upstream, labels)
        print(f"{'':9} Value: {fmt(z.data)}; {fmt(xv.grad, yv.grad)}   "
              + agree([out, dx, dy], [z.data, xv.grad, yv.grad], "layer and Value"))
        files.append(save_graph(z, args.out / f"{name}.svg", mode="both"))
        numbers[name] = {"op": op, "x": xv.data, "y": yv.data, "z": z.data, "upstream": z.grad,
                         "dx": xv.grad, "dy": yv.grad, "labels": labels}
        graphs[name] = z
    report_files(files)
    return DemoResult(files, numbers, graphs)


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
