"""The backward pass of the apple example replayed node by node (Fig. 5-16): each step shows the
upstream gradient times the local derivative, written to one page, apple_steps.html.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import viz

from .buy_apple import with_value
from .common import parse_args, report_files


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Print each step's explanation; write the step-by-step page."""
    args = parse_args(__doc__, argv, out_dir)
    price, _ = with_value()
    frames = list(viz.backward_steps(price))
    for frame in frames:
        print(f"step {frame.index}/{frame.total}:")
        print("  " + frame.text.replace("\n", "\n  "))
    path = args.out / "apple_steps.html"
    try:
        viz.save_steps(price, path)
    except viz.GraphvizNotFoundError as e:
        print(f"note: {e}; no steps page", file=sys.stderr)
        return []
    report_files([path])
    return [path]


if __name__ == "__main__":
    main(sys.argv[1:])
