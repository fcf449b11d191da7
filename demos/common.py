"""What every demo shares: its command line (--out, and checked numeric options), the output
folder, numbers printed like the lecture (220, 2.2 110 200), saving a graph (falling back to DOT
text when Graphviz is missing) or a figure (whole or not at all), and ending with one line of
error instead of a traceback.
"""
from __future__ import annotations

import argparse
import io
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import viz
from viz.files import write_file


class DemoError(Exception):
    """A demo cannot go on (e.g. training diverged); `run_script` prints it as one line."""


@dataclass
class DemoResult:
    """What one demo run produced, for whoever shows it (the tour):

    files:   the files written, in order;
    numbers: what it computed, by name (nested dicts per example where a demo has several),
             so that every number a caption shows comes from this run;
    graphs:  the computational graphs it drew, by the stem of their figure's file name
             ("buy_apple" for buy_apple.svg): the output node, backward done.
    """

    files: list[Path]
    numbers: dict[str, Any] = field(default_factory=dict)
    graphs: dict[str, Any] = field(default_factory=dict)


def integer(low: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least `low` (a clear message otherwise)."""
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return check


def real(positive: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number (nan and inf refused), > 0 when `positive`."""
    def check(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if positive and not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
        return value
    return check


def fmt(*numbers: Any) -> str:
    """Numbers as the lecture prints them, space-separated: fmt(2.2000000000000003, 110, 200.0)
    -> '2.2 110 200'."""
    return " ".join(viz.format_number(float(x)) for x in numbers)


def parse_args(doc: str | None, argv: Sequence[str] | None, out_dir: str | Path,
               add: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """The demo's options: --out (default `out_dir`) plus whatever `add` puts on the parser."""
    summary = " ".join((doc or "").strip().split("\n\n")[0].split())  # the docstring's first paragraph
    parser = argparse.ArgumentParser(description=summary or None)
    parser.add_argument("--out", default=str(out_dir), metavar="DIR",
                        help=f"where figures are written (default: {out_dir})")
    if add is not None:
        add(parser)
    args = parser.parse_args(list(argv or []))  # None: the defaults (the script passes sys.argv)
    args.out = Path(args.out)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        parser.error(f"argument --out: cannot create the folder {args.out}: {e.strerror or e}")
    return args


def save_graph(output: Any, path: Path, mode: str = "both", **kwargs: Any) -> Path:
    """Draw `output` into `path` (.svg); without Graphviz's `dot`, write the DOT text beside it."""
    try:
        viz.save(output, path, mode=mode, **kwargs)
    except viz.GraphvizNotFoundError as e:
        path = path.with_suffix(".dot")
        viz.save(output, path, mode=mode, **kwargs)
        print(f"note: {e}; wrote the DOT text to {path} instead", file=sys.stderr)
    return path


def save_figure(fig: Any, path: Path) -> Path:
    """Save a matplotlib figure (format from the suffix) whole: rendered in memory, then written
    through viz's write_file (a temporary file, then os.replace)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix.lstrip("."))
    return write_file(path, buffer.getvalue())


def save_figures(fig: Any, out: Path, stem: str) -> list[Path]:
    """`fig` saved as out/stem.png and out/stem.svg (each whole, by save_figure)."""
    return [save_figure(fig, out / f"{stem}.{ext}") for ext in ("png", "svg")]


def agree(a: Sequence[float], b: Sequence[float], what: str, rel: float = 1e-9) -> str:
    """'both agree' if every pair matches to `rel`, else raise: a demo that proves something."""
    if len(a) != len(b) or not all(math.isclose(x, y, rel_tol=rel, abs_tol=1e-12) for x, y in zip(a, b)):
        raise AssertionError(f"{what} disagree: {fmt(*a)} vs {fmt(*b)}")
    return f"{what} agree"


def report_files(paths: Sequence[Path]) -> None:
    """One 'wrote PATH' line per file."""
    for p in paths:
        print(f"wrote {p}")


def run_script(main: Callable[..., Any]) -> None:
    """`main(sys.argv[1:])` for `python -m demos.x`: a missing data set or a DemoError ends with
    its message and status 1, not a traceback."""
    from nn.datasets import DatasetError

    try:
        main(sys.argv[1:])
    except (DatasetError, DemoError) as e:
        raise SystemExit(f"error: {e}") from None
    except MemoryError as e:
        raise SystemExit(f"error: not enough memory for this run ({e or 'MemoryError'}); use a "
                         "smaller --batch-size or --hidden-size") from None
