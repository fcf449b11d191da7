"""ReLU and Sigmoid as computational graphs (Fig. 5-18, 5-20, 5-21). ReLU passes the gradient
where x > 0 and stops it elsewhere; Sigmoid's graph, step by step (×−1, exp, +1, 1/x), gives
dy/dx = y(1 − y), checked against central differences and the Sigmoid layer.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from autograd import Value
from nn.layers import Relu, Sigmoid

from .common import DemoResult, agree, fmt, parse_args, report_files, save_graph

XS = (-2.0, 0.0, 1.0, 3.0)
H = 1e-5  # step of the central difference


def one_node_graph(x: float, op: Callable[[Value], Value]) -> tuple[Value, Value]:
    """y = op(x) as a single node, backward done: (x, y)."""
    xv = Value(x, label="x")
    y = op(xv)
    y.label = "y"
    y.backward()
    return xv, y


def relu_graph(x: float) -> tuple[Value, Value]:
    """y = relu(x) (Fig. 5-18), backward done: (x, y)."""
    return one_node_graph(x, Value.relu)


def sigmoid_graph(x: float) -> tuple[Value, Value]:
    """y = 1 / (1 + exp(−x)) built from its four nodes (Fig. 5-20), backward done: (x, y)."""
    xv = Value(x, label="x")
    neg = xv * Value(-1, label="-1")
    neg.label = "-x"
    e = neg.exp()
    e.label = "exp(-x)"
    s = e + Value(1, label="1")
    s.label = "1+exp(-x)"
    y = s ** -1  # the lecture's '/' node: 1/x
    y.label = "y"
    y.backward()
    return xv, y


def sigmoid_node(x: float) -> tuple[Value, Value]:
    """The simplified graph, one 'sigmoid' node (Fig. 5-21), backward done: (x, y)."""
    return one_node_graph(x, Value.sigmoid)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print ReLU's gradients and Sigmoid's (graph, y(1−y), numerical, layer); draw both graphs.

    numbers: per drawn graph ("relu", "relu_negative", "sigmoid_graph", "sigmoid_simple"),
    x, y and dy/dx.
    """
    args = parse_args(__doc__, argv, out_dir)
    relu = Relu()
    relu.forward(np.array(XS))
    layer_dx = relu.backward(np.ones(len(XS)))
    for x, ldx in zip(XS, layer_dx):
        xv, y = relu_graph(x)
        print(f"ReLU    x={fmt(x)}: y={fmt(y.data)} dy/dx={fmt(xv.grad)} (Relu layer {fmt(ldx)})")
        agree([xv.grad], [ldx], "ReLU graph and layer")
    sig = Sigmoid()
    sig.forward(np.array(XS))
    layer_dx = sig.backward(np.ones(len(XS)))
    for x, ldx in zip(XS, layer_dx):
        xv, y = sigmoid_graph(x)
        formula = y.data * (1 - y.data)
        numerical = (_sigmoid(x + H) - _sigmoid(x - H)) / (2 * H)
        print(f"Sigmoid x={fmt(x)}: y={fmt(y.data)} graph dy/dx={fmt(xv.grad)} "
              f"y(1-y)={fmt(formula)} numerical={fmt(numerical)} |graph-numerical|="
              f"{abs(xv.grad - numerical):.1e} (Sigmoid layer {fmt(ldx)})")
        agree([xv.grad, xv.grad, sigmoid_node(x)[0].grad], [formula, ldx, formula],
              "Sigmoid graph, y(1-y) and layer")
        agree([xv.grad], [numerical], "graph and numerical", rel=1e-6)
    print("the Sigmoid graph's gradient is y(1-y), as the layer computes it")
    drawn = {"relu": relu_graph(XS[2]), "relu_negative": relu_graph(XS[0]),
             "sigmoid_graph": sigmoid_graph(XS[2]), "sigmoid_simple": sigmoid_node(XS[2])}
    files = [save_graph(y, args.out / f"{name}.svg") for name, (_, y) in drawn.items()]
    report_files(files)
    numbers = {name: {"x": xv.data, "y": y.data, "dy/dx": xv.grad} for name, (xv, y) in drawn.items()}
    return DemoResult(files, numbers, {name: y for name, (_, y) in drawn.items()})


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
