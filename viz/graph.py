"""`draw` a computational graph as a graphviz.Digraph, `save` it as svg, png, pdf or DOT."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .build import DEFAULT_MAX_NODES, build
from .dot import Graph
from .files import write_file

RENDERED_FORMATS = ("svg", "png", "pdf")
SOURCE_FORMATS = ("dot", "gv")


def draw(output: Any, mode: str = "auto", *, collapse: bool = False,
         max_nodes: int = DEFAULT_MAX_NODES) -> Graph:
    """The graph of everything `output` (a Value or Tensor) depends on, as a graphviz.Digraph.

    mode: 'forward' (values on the edges), 'backward' (gradients in red, arrows pointing back
    toward the inputs), 'both' (value above, gradient below, like the lecture's figure 5-16),
    or 'auto' ('both' once output.backward() has run, else 'forward').
    collapse: draw each nn module (each innermost scope) as one box.
    max_nodes: refuse (ValueError) larger graphs instead of handing dot minutes of work.
    Jupyter shows the result inline; `.source` is the DOT text, `.render()`/`.pipe()` need dot.
    """
    return build(output, mode, collapse=collapse, max_nodes=max_nodes)


def output_format(path: str | os.PathLike) -> str:
    """The format named by a file's extension: svg, png, pdf, or dot/gv for the DOT source."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in RENDERED_FORMATS + SOURCE_FORMATS:
        known = ", ".join("." + f for f in RENDERED_FORMATS + SOURCE_FORMATS)
        raise ValueError(f"cannot tell the format of {os.fspath(path)!r}: use one of {known}")
    return suffix


def save(output: Any, path: str | os.PathLike, mode: str = "auto", *, collapse: bool = False,
         max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """Draw `output` (see `draw`) into `path`, the format taken from its extension; returns path.

    .dot/.gv write the DOT source (no Graphviz install needed); .svg/.png/.pdf run `dot` and
    raise GraphvizNotFoundError, saying how to install it, when it is missing. Missing folders
    are created; the file appears only once complete (see `files.write_file`).
    """
    fmt = output_format(path)
    graph = draw(output, mode, collapse=collapse, max_nodes=max_nodes)
    write_graph(graph, path, fmt)
    return os.fspath(path)


def write_graph(graph: Graph, path: str | os.PathLike, fmt: str | None = None) -> None:
    """Write an already drawn graph to `path` (format from the extension unless given)."""
    fmt = fmt or output_format(path)
    write_file(path, graph.source if fmt in SOURCE_FORMATS else graph.pipe(format=fmt))
