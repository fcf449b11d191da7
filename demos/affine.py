"""The Affine layer Y = X·W + B for a batch (Fig. 5-24/5-27): X (2, 2) · W (2, 3) + B (3,) = Y (2, 3),
and backward dX = dY·Wᵀ (2, 2), dW = Xᵀ·dY (2, 3), dB = dY summed over the batch (3,), from
the formulas, the Affine layer and autograd, which all agree.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from autograd import Tensor
from nn.layers import Affine

from .common import DemoResult, parse_args, report_files, save_graph

X = np.array([[1.0, 2.0], [3.0, 4.0]])
W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]) / 10
B = np.array([1.0, 2.0, 3.0])
DY = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])  # upstream dL/dY


def affine_graph() -> tuple[Tensor, dict[str, Tensor]]:
    """Y = X @ W + B as Tensors, backward from DY: (Y, {'X': .., 'W': .., 'B': ..})."""
    x = Tensor(X, requires_grad=True, label="X")
    w = Tensor(W, requires_grad=True, label="W")
    b = Tensor(B, requires_grad=True, label="B")
    xw = x @ w
    xw.label = "X·W"
    y = xw + b
    y.label = "Y"
    y.backward(DY)
    return y, {"X": x, "W": w, "B": b}


def _show(name: str, shape_note: str, array: np.ndarray) -> None:
    rows = np.array2string(np.asarray(array), precision=4, suppress_small=True, separator=" ")
    note = f" {shape_note}" if shape_note else ""
    print(f"{name}{note}, shape {np.shape(array)}:\n  " + rows.replace("\n", "\n  "))


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print Y and the three gradients with their shapes, check them, draw the graph with shapes.

    numbers: the shapes of X, W, B, Y (under those names) and of the gradients (dX, dW, dB),
    as autograd computed them, and N, the batch size.
    """
    args = parse_args(__doc__, argv, out_dir)
    formulas = {"X": DY @ W.T, "W": X.T @ DY, "B": DY.sum(axis=0)}
    layer = Affine(W.copy(), B.copy())
    y_layer = layer.forward(X)
    layers = {"X": layer.backward(DY), "W": layer.dW, "B": layer.db}
    y, leaves = affine_graph()
    _show("Y = X·W + B", "(N=2)", y.data)
    _show("dY (upstream)", "", DY)
    notes = {"X": "= dY·Wᵀ  (2, 3)·(3, 2)", "W": "= Xᵀ·dY  (2, 2)·(2, 3)", "B": "= sum of dY over axis 0"}
    for key in ("X", "W", "B"):
        _show(f"d{key}", notes[key], formulas[key])
        for source, value in (("Affine layer", layers[key]), ("autograd", leaves[key].grad)):
            if value.shape != formulas[key].shape or not np.allclose(value, formulas[key]):
                raise AssertionError(f"d{key}: the {source} gives {value}, expected {formulas[key]}")
    if not np.allclose(y_layer, y.data):
        raise AssertionError("the Affine layer and autograd disagree on Y")
    print("formulas, Affine layer and autograd agree on Y, dX, dW, dB (values and shapes)")
    files = [save_graph(y, args.out / "affine.svg", mode="both")]
    report_files(files)
    numbers = {"N": y.shape[0], "Y": y.shape, **{key: leaf.shape for key, leaf in leaves.items()},
               **{f"d{key}": np.shape(leaf.grad) for key, leaf in leaves.items()}}
    return DemoResult(files, numbers, {"affine": y})


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
