"""Pictures of tracegrad's computational graphs, drawn like the lecture's figures.

    draw(out, mode)          -> graphviz.Digraph (Jupyter shows it; .source is the DOT text)
    save(out, "graph.svg")   -> writes svg/png/pdf, or the DOT text for .dot/.gv
    backward_steps(out)      -> one Frame per node the backward pass visits
    save_steps(out, "s.html")-> one self-contained page stepping through the backward pass
    format_number(x)         -> how numbers read in the pictures: 220, 2.2, 1.1e-05
"""
from .build import DEFAULT_MAX_NODES, MODES
from .dot import INSTALL_HINT, Graph, GraphvizNotFoundError
from .format import format_number
from .graph import draw, save
from .steps import Frame, backward_steps, save_steps

__all__ = ["draw", "save", "backward_steps", "save_steps", "Frame", "format_number", "Graph",
           "GraphvizNotFoundError", "INSTALL_HINT", "MODES", "DEFAULT_MAX_NODES"]
