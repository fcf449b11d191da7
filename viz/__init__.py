"""Pictures of tracegrad's computational graphs, drawn like the lecture's figures.

    draw(out, mode)          -> graphviz.Digraph (Jupyter shows it; .source is the DOT text)
    save(out, "graph.svg")   -> writes svg/png/pdf, or the DOT text for .dot/.gv
    backward_steps(out)      -> one Frame per node the backward pass visits
    explore(out)             -> Explorer: one interactive page (Jupyter shows it; .save("g.html")):
                                forward/backward playback, click a node for why its gradient is so
    save_steps(out, "s.html")-> the explorer's page, opened on the backward pass's first step
    practice(out)            -> the explorer in practice mode: the gradients hidden, the learner
                                finds them node by node and is told where a wrong one went wrong
    format_number(x)         -> how numbers read in the pictures: 220, 2.2, 1.1e-05
    check(out, reference)    -> CheckResult: every node's gradient against central differences
                                ("numerical") or PyTorch ("torch"), the first operation whose
                                backward is wrong (.first_bad), a drawing coloured by error
"""
from .build import DEFAULT_MAX_NODES, MODES
from .check import CheckResult, check
from .dot import INSTALL_HINT, Graph, GraphvizNotFoundError
from .explore import Explorer, explore
from .format import format_number
from .graph import draw, save
from .steps import Frame, backward_steps, save_steps
from .whatif import practice

__all__ = ["draw", "save", "explore", "practice", "Explorer", "backward_steps", "save_steps",
           "Frame",
           "format_number", "Graph", "GraphvizNotFoundError", "INSTALL_HINT", "MODES",
           "DEFAULT_MAX_NODES", "check", "CheckResult"]
