"""The chain rule on z = (x + y)² (Fig. 5-7/5-8): with t = x + y, dz/dx = dz/dt · dt/dx = 2t · 1
= 2(x + y). Value's backward gives the same, for the pairs printed.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from autograd import Value

from .common import DemoResult, agree, fmt, parse_args, real, report_files, save_graph

PAIRS = ((1.0, 2.0), (3.0, -1.0), (0.5, 0.25), (-2.0, -3.0))


def chain(x: float, y: float) -> tuple[Value, Value, Value, Value]:
    """z = t ** 2 with t = x + y, backward done: (x, y, t, z)."""
    xv, yv = Value(x, label="x"), Value(y, label="y")
    t = xv + yv
    t.label = "t"
    z = t ** 2
    z.label = "z"
    z.backward()
    return xv, yv, t, z


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print z, dz/dt, dz/dx, dz/dy and 2(x+y) for a few (x, y); draw the graph for the first.

    numbers (of the drawn graph): x, y, t, z, dz/dt, dz/dx, dz/dy.
    """
    args = parse_args(__doc__, argv, out_dir, lambda p: (
        p.add_argument("--x", type=real(), default=PAIRS[0][0], help="x of the drawn graph"),
        p.add_argument("--y", type=real(), default=PAIRS[0][1], help="y of the drawn graph")))
    pairs = ((args.x, args.y),) + tuple(p for p in PAIRS if p != (args.x, args.y))
    for x, y in pairs:
        xv, yv, t, z = chain(x, y)
        print(f"x={fmt(x)} y={fmt(y)}: z={fmt(z.data)}  dz/dt=2t={fmt(t.grad)}  "
              f"dz/dx={fmt(xv.grad)}  dz/dy={fmt(yv.grad)}  2(x+y)={fmt(2 * (x + y))}")
        agree([xv.grad, yv.grad], [2 * (x + y)] * 2, "dz/dx, dz/dy and 2(x+y)")
    print("dz/dx = dz/dy = 2(x+y) for every pair")
    xv, yv, t, z = chain(*pairs[0])
    files = [save_graph(z, args.out / "chain_rule.svg", mode="both")]
    report_files(files)
    numbers = {"x": xv.data, "y": yv.data, "t": t.data, "z": z.data,
               "dz/dt": t.grad, "dz/dx": xv.grad, "dz/dy": yv.grad}
    return DemoResult(files, numbers, {"chain_rule": z})


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
