"""Higher-order derivatives (DeZero's tanh figure): differentiate tanh four times with
autograd.grad(create_graph=True) over x in [−7, 7], check each against its closed form in
t = tanh(x), and plot y, y', y'', y''', y'''' to tanh_derivatives.svg/.png.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from autograd import Tensor, Value, grad

from .common import DemoResult, fmt, parse_args, report_files, save_figure, save_graph

ORDERS = 4
X_GRAPH = 1.0  # where the drawn graph computes tanh''(x)


def closed_forms(x: np.ndarray) -> list[np.ndarray]:
    """tanh and its first four derivatives, written in t = tanh(x) (each is d/dt of the last × (1−t²))."""
    t = np.tanh(x)
    s = 1 - t ** 2
    return [t, s, -2 * t * s, (6 * t ** 2 - 2) * s, (16 * t - 24 * t ** 3) * s]


def derivatives(x: np.ndarray, n: int = ORDERS) -> list[np.ndarray]:
    """[tanh(x), tanh'(x), ..., n-th derivative] by differentiating the graph again and again."""
    xt = Tensor(x, requires_grad=True, label="x")
    y = xt.tanh()
    out, current = [y.data], y
    for _ in range(n):
        current = grad(current.sum(), xt, create_graph=True)[0]  # elementwise: sum is safe
        out.append(current.data)
    return out


def scalar_derivatives(x: float, n: int = ORDERS) -> list[float]:
    """The same for one Value x: [tanh(x), tanh'(x), ..., n-th derivative]."""
    xv = Value(x, label="x")
    current = xv.tanh()
    out = [current.data]
    for _ in range(n):
        current = grad(current, xv, create_graph=True)[0]
        out.append(current.data)
    return out


def second_derivative_graph(x: float = 1.0) -> Value:
    """The graph that computes tanh''(x) for one x: what create_graph=True builds."""
    xv = Value(x, label="x")
    y = xv.tanh()
    y.label = "y"
    gx = grad(y, xv, create_graph=True)[0]  # dy/dx = 1 - y², itself a graph
    gx2 = grad(gx, xv, create_graph=True)[0]
    gx2.label = "d²y/dx²"
    return gx2


def plot(x: np.ndarray, curves: list[np.ndarray], out: Path) -> list[Path]:
    """Draw the curves like DeZero's figure; write .svg and .png."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["y = tanh(x)", "y'", "y''", "y'''", "y''''"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, curve in zip(names, curves):
        ax.plot(x, curve, label=name)
    ax.set_xlabel("x")
    ax.set_title("tanh and its derivatives, by autograd.grad(create_graph=True)")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    paths = [save_figure(fig, out / f"tanh_derivatives.{ext}") for ext in ("svg", "png")]
    plt.close(fig)
    return paths


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print each order's largest error against the closed form; plot the curves.

    numbers: x_min, x_max, points, orders (the highest derivative), errors (the largest
    |autograd − closed form| per order, 0 = tanh itself), at_zero (tanh and its derivatives at
    0), x_graph and d2y (tanh''(x) of the drawn graph).
    """
    args = parse_args(__doc__, argv, out_dir)
    x = np.linspace(-7, 7, 200)
    curves = derivatives(x)
    errors = []
    for order, (got, want) in enumerate(zip(curves, closed_forms(x))):
        error = float(np.max(np.abs(got - want)))
        errors.append(error)
        print(f"order {order}: max |autograd - closed form| = {error:.1e}")
        if not error < 1e-9:
            raise AssertionError(f"derivative {order} of tanh is off by {error:.2g}")
    at_zero = scalar_derivatives(0.0)
    print(f"at x = 0 (a Value): tanh and its derivatives 1-4 = {fmt(*at_zero)}"
          " (closed forms: 0 1 0 -2 0)")
    files = plot(x, curves, args.out)
    d2y = second_derivative_graph(X_GRAPH)
    files.append(save_graph(d2y, args.out / "tanh_second_derivative_graph.svg", mode="forward"))
    report_files(files)
    numbers = {"x_min": float(x[0]), "x_max": float(x[-1]), "points": len(x),
               "orders": len(curves) - 1, "errors": errors, "at_zero": at_zero,
               "x_graph": X_GRAPH, "d2y": d2y.data}
    return DemoResult(files, numbers)


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
