"""The backward pass of the apple example replayed node by node (Fig. 5-16): each step shows the
upstream gradient times the local derivative, written to one page, apple_steps.html.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import viz

from .buy_apple import with_value
from .common import DemoResult, parse_args, report_files


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print each step's explanation; write the step-by-step page.

    numbers: steps (how many), texts (each step's explanation, as printed).
    """
    args = parse_args(__doc__, argv, out_dir)
    price, _ = with_value()
    frames = list(viz.backward_steps(price))
    for frame in frames:
        print(f"step {frame.index}/{frame.total}:")
        print("  " + frame.text.replace("\n", "\n  "))
    numbers = {"steps": len(frames), "texts": [frame.text for frame in frames]}
    path = args.out / "apple_steps.html"
    try:
        viz.save_steps(price, path)
    except viz.GraphvizNotFoundError as e:
        print(f"note: {e}; no steps page", file=sys.stderr)
        return DemoResult([], numbers)
    report_files([path])
    return DemoResult([path], numbers)


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
