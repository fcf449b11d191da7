"""`draw` a computational graph as a graphviz.Digraph, `save` it as svg, png, pdf or DOT."""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any

from .build import DEFAULT_MAX_NODES, build
from .dot import Graph
from .files import write_file
from .format import format_number

RENDERED_FORMATS = ("svg", "png", "pdf")
SOURCE_FORMATS = ("dot", "gv")
MAX_DPI = 1200  # a 100-node graph at 1200 dpi is already ~20000 pixels wide


def draw(output: Any, mode: str = "auto", *, collapse: bool = False,
         max_nodes: int = DEFAULT_MAX_NODES, constants: str = "show",
         rankdir: str = "LR") -> Graph:
    """The graph of everything `output` depends on, as a graphviz.Digraph.

    output: a Value or Tensor, or a list of them (`draw([loss, aux])`): the graph of everything
    any of them depends on, each output drawn with a double border.
    mode: 'forward' (values on the edges), 'backward' (gradients in red, arrows pointing back
    toward the inputs), 'both' (each edge reads its value, then its gradient in red),
    or 'auto' ('both' once backward() has run, else 'forward').
    collapse: draw each nn module (each innermost scope) as one box.
    max_nodes: refuse (ValueError) larger graphs instead of handing dot minutes of work.
    constants: 'show' draws a number lifted into the graph (the 2 of `x * 2`) as a dashed box
    without a gradient; 'fold' writes it into its operation instead ('×2', '10/').
    rankdir: the direction the graph flows in: 'LR' (left to right), 'TB', 'RL', 'BT'.
    Jupyter shows the result inline; `.source` is the DOT text, `.render()`/`.pipe()` need dot.
    """
    return build(output, mode, collapse=collapse, max_nodes=max_nodes, constants=constants,
                 rankdir=rankdir)


def check_dpi(dpi: Any, fmt: str) -> float:
    """`dpi` as a float for a PNG; a TypeError for a non-number, a ValueError for a number
    outside (0, MAX_DPI] or a format other than .png (SVG and PDF are vector pictures)."""
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real):
        raise TypeError(f"dpi must be a number (e.g. 150 or 300), got {type(dpi).__name__}")
    if not math.isfinite(dpi) or not 0 < dpi <= MAX_DPI:
        raise ValueError(f"dpi must be greater than 0 and at most {MAX_DPI}, got {dpi!r}")
    if fmt != "png":
        raise ValueError(f"dpi sets the pixel density of a .png picture; a .{fmt} file has "
                         "none: save to .png, or leave dpi out")
    return float(dpi)


def output_format(path: str | os.PathLike) -> str:
    """The format named by a file's extension: svg, png, pdf, or dot/gv for the DOT source."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in RENDERED_FORMATS + SOURCE_FORMATS:
        known = ", ".join("." + f for f in RENDERED_FORMATS + SOURCE_FORMATS)
        raise ValueError(f"cannot tell the format of {os.fspath(path)!r}: use one of {known}")
    return suffix


def save(output: Any, path: str | os.PathLike, mode: str = "auto", *, collapse: bool = False,
         max_nodes: int = DEFAULT_MAX_NODES, constants: str = "show", rankdir: str = "LR",
         dpi: float | None = None) -> str:
    """Draw `output` (see `draw` for the options) into `path`, the format taken from its
    extension; returns path.

    .dot/.gv write the DOT source (no Graphviz install needed); .svg/.png/.pdf run `dot` and
    raise GraphvizNotFoundError, saying how to install it, when it is missing. Missing folders
    are created; the file appears only once complete (see `files.write_file`).
    dpi: pixels per inch of a .png (dot's default is 96; 200 to 300 suit slides).
    """
    fmt = output_format(path)
    if dpi is not None:
        dpi = check_dpi(dpi, fmt)
    graph = draw(output, mode, collapse=collapse, max_nodes=max_nodes, constants=constants,
                 rankdir=rankdir)
    if dpi is not None:
        graph.graph_attr["dpi"] = format_number(dpi)
    write_graph(graph, path, fmt)
    return os.fspath(path)


def write_graph(graph: Graph, path: str | os.PathLike, fmt: str | None = None) -> None:
    """Write an already drawn graph to `path` (format from the extension unless given)."""
    fmt = fmt or output_format(path)
    write_file(path, graph.source if fmt in SOURCE_FORMATS else graph.pipe(format=fmt))
