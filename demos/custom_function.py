"""Your own operation: define it as an `autograd.Function`, check it with `autograd.gradcheck`, and
find a mistake in it with `viz.check`.

    python -m demos.custom_function    # prints the reports, draws out/custom_function_check.svg

Softplus (log(1 + eˣ), whose derivative is sigmoid(x)) is written twice: right, and with the
sign of its backward flipped. gradcheck passes the first at orders 1 and 2 and catches the
second; inside a small network, viz.check names the wrong one as the node where the gradients go
wrong, and draws the graph coloured by each node's error.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

import numpy as np

import viz
from autograd import Function, Tensor, gradcheck


def _sigmoid(x):
    """sigmoid of an array (ordinary backward) or a Tensor (create_graph=True)."""
    return x.sigmoid() if isinstance(x, Tensor) else 1 / (1 + np.exp(-x))


class Softplus(Function):
    """log(1 + eˣ), forward and backward side by side."""
    symbol = "softplus"  # what the drawings write in the operation's circle

    def forward(self, x):
        return np.logaddexp(0.0, x)  # log(1 + eˣ) without overflow

    def backward(self, g, x, out):
        return (g * _sigmoid(x),)  # one gradient per input, as a tuple


class BrokenSoftplus(Softplus):
    """The same with a sign error in its backward."""

    def backward(self, g, x, out):
        return (-g * _sigmoid(x),)


def network(activation: type[Function], seed: int = 0) -> Tensor:
    """mean((softplus(x @ W + b) @ W2) ** 2) on a fixed random batch."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((4, 3)), label="x")
    W = Tensor(rng.standard_normal((3, 5)) * 0.5, requires_grad=True, label="W")
    b = Tensor(np.zeros(5), requires_grad=True, label="b")
    W2 = Tensor(rng.standard_normal((5, 2)), requires_grad=True, label="W2")
    h = activation()(x @ W + b)
    h.label = "h"
    loss = ((h @ W2) ** 2).mean()
    loss.label = "loss"
    return loss


def main(argv: Sequence[str] | None = None, out_dir: str | Path | None = None) -> dict:
    """Print the two gradchecks and viz.check's verdict; draw the checked graph. Returns the
    reports and the path of the drawing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the drawing (default: out)")
    args = parser.parse_args(argv)
    folder = Path(out_dir if out_dir is not None else args.out)
    x = np.random.default_rng(1).standard_normal((2, 3))
    right, broken = gradcheck(Softplus, x), gradcheck(BrokenSoftplus, x)
    print(right, "\n")
    print(broken, "\n")
    result = viz.check(network(BrokenSoftplus))
    print(result)
    path = None
    try:
        path = result.save(folder / "custom_function_check.svg")
        print(f"\nwrote {path}")
    except viz.GraphvizNotFoundError as e:
        print(f"\n(no drawing: {e})")
    return {"right": right, "broken": broken, "check": result, "drawing": path}


if __name__ == "__main__":
    main()
