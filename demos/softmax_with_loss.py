"""Softmax-with-Loss (Fig. 5-29/5-30): softmax, then cross-entropy, averaged over N samples; its
backward is simply (y − t) / N. Shown for N = 2 with the layer, the one-node autograd op and the
graph built from softmax, log, ×, sum, which all give (y − t) / N.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from autograd import Tensor, cross_entropy, softmax
from nn.layers import SoftmaxWithLoss

from .common import DemoResult, fmt, parse_args, report_files, save_graph

A = np.array([[0.3, 2.9, 4.0], [1.0, 2.0, 0.5]])  # scores; the first row is the book's softmax example
T = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])  # one-hot labels


def detailed_graph() -> tuple[Tensor, Tensor]:
    """L = −Σ t·log(softmax(a)) / N built from its nodes (Fig. 5-29), backward done: (a, L)."""
    a = Tensor(A, requires_grad=True, label="a")
    y = softmax(a)
    y.label = "y"
    log_y = y.log()
    log_y.label = "log y"
    t = Tensor(T, label="t")
    prod = t * log_y
    prod.label = "t·log y"
    total = prod.sum()
    total.label = "Σ t·log y"
    loss = total * Tensor(-1 / len(A), label="-1/N")
    loss.label = "L"
    loss.backward()
    return a, loss


def simple_graph() -> tuple[Tensor, Tensor]:
    """The same loss as one cross_entropy node (Fig. 5-30), backward done: (a, L)."""
    a = Tensor(A, requires_grad=True, label="a")
    loss = cross_entropy(a, T)
    loss.label = "L"
    loss.backward()
    return a, loss


def _rows(array: np.ndarray) -> str:
    return " | ".join(fmt(*row) for row in np.round(array, 6))


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print y, t, the loss and (y − t)/N three ways; draw the detailed and the simple graph.

    numbers: N, loss (the layer's), y (softmax), t, and dL/da of the detailed graph (an array).
    """
    args = parse_args(__doc__, argv, out_dir)
    layer = SoftmaxWithLoss()
    loss = layer.forward(A, T)
    dx = layer.backward(1)
    y = layer.y
    expected = (y - T) / len(A)
    print(f"a (scores)  = {_rows(A)}")
    print(f"y (softmax) = {_rows(y)}")
    print(f"t (labels)  = {_rows(T)}")
    print(f"loss        = {fmt(loss)}")
    print(f"(y - t) / N = {_rows(expected)}   (N = {len(A)})")
    a_simple, l_simple = simple_graph()
    a_detail, l_detail = detailed_graph()
    results = (("SoftmaxWithLoss layer", dx, loss), ("autograd cross_entropy", a_simple.grad, l_simple.item()),
               ("autograd softmax-log-sum", a_detail.grad, l_detail.item()))
    for name, grad, value in results:
        if not (np.allclose(grad, expected) and np.isclose(value, loss)):
            raise AssertionError(f"{name}: gradient {grad} / loss {value}, expected {expected} / {loss}")
        print(f"{name:24} loss {fmt(value)}  dL/da = {_rows(grad)}")
    print("all three give dL/da = (y - t) / N")
    files = [save_graph(l_detail, args.out / "softmax_with_loss.svg", mode="both"),
             save_graph(l_simple, args.out / "softmax_with_loss_simple.svg", mode="both")]
    report_files(files)
    numbers = {"N": len(A), "loss": float(loss), "y": y, "t": T, "dL/da": a_detail.grad}
    return DemoResult(files, numbers, {"softmax_with_loss": l_detail,
                                       "softmax_with_loss_simple": l_simple})


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
