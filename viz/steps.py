"""The backward pass replayed one node at a time: which node, what it multiplies, what it sends.

`save_steps` writes the explorer's page (explore.py) opened on the backward playback; the
`backward_steps` frames remain for Python use (one DOT graph per step, no page). The frames follow
the engine: nodes with parents, the last made first (autograd.backward_order). Frame k shows
the graph as it stands once the k-th node has pushed its gradient to its parents: the first frame
shows the output's gradient and what it sends to its inputs, the last frame every gradient.
When an input's .grad is the sum of several backward passes, the step that sends to it says so.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from autograd import backward_order

from .build import DEFAULT_MAX_NODES, Progress, build
from .dot import Graph
from .describe import expression, passes_note
from .explore import Explorer
from .format import format_number
from .nodes import grad_of, graph_order, has_gradients, is_tensor, node_names, plain, shape_of


@dataclass
class Frame:
    """One step of the backward pass: the node visited, the explanation, the graph so far."""

    index: int  # 1-based
    total: int
    node: Any
    lines: tuple  # the explanation, one string per line
    graph: Graph  # the whole graph, gradients known so far, this node highlighted

    @property
    def text(self) -> str:
        """The explanation lines joined by newlines."""
        return "\n".join(self.lines)


def explain(node: Any, names: dict, root_name: str) -> list[str]:
    """Lines saying: node = expression; upstream gradient; upstream × local = sent, per parent
    (and, for an input whose .grad sums several passes, that it does)."""
    name = names[node]
    if is_tensor(node):
        upstream = grad_of(node)
        shown = shape_of(upstream) if upstream is not None else "none"
        lines = [f"{name} = {expression(node, names)}   shape {shape_of(node.data)}",
                 f"upstream gradient ∂{root_name}/∂{name}: {shown}"]
        for parent in node.parents:
            g = grad_of(parent)
            sent = shape_of(g) if g is not None else "nothing (requires_grad=False)"
            lines.append(f"grad {shown} → {names[parent]}: {sent}")
            lines += passes_note(parent, names, sent)
        return lines
    upstream = float(plain(grad_of(node)))
    lines = [f"{name} = {expression(node, names)} = {format_number(node.data)}",
             f"upstream gradient ∂{root_name}/∂{name} = {format_number(upstream)}"]
    for parent, local in zip(node.parents, node.local_grads):
        local = float(plain(local))
        product = f"{format_number(upstream)} × {format_number(local)}"
        sent = format_number(upstream * local)
        lines.append(f"→ {names[parent]}: {product} = {sent}"
                     f"   (upstream × ∂{name}/∂{names[parent]})")
        lines += passes_note(parent, names, sent)
    return lines


def backward_steps(output: Any, mode: str = "both", *,
                   max_nodes: int = DEFAULT_MAX_NODES) -> Iterator[Frame]:
    """One Frame per node the backward pass visits, in its order (autograd.backward_order: the
    nodes with parents, the last made first). Needs output.backward() to have run: raises ValueError otherwise
    (viz never runs it for you, because leaves accumulate gradients)."""
    if not has_gradients(output):
        raise ValueError("backward_steps needs the gradients: call output.backward() first")
    visits = backward_order([output])  # the engine's order
    # refuse a bad mode or a huge graph right away
    build(output, mode, max_nodes=max_nodes, caller="viz.backward_steps")
    return _frames(output, mode, max_nodes, visits)


def _frames(output: Any, mode: str, max_nodes: int, visits: list) -> Iterator[Frame]:
    names = node_names(graph_order(output))
    done: set = set()
    for k, node in enumerate(visits, 1):
        done.add(node)
        graph = build(output, mode, max_nodes=max_nodes, caller="viz.backward_steps",
                      progress=Progress(done=set(done), current=node))
        yield Frame(k, len(visits), node, tuple(explain(node, names, names[output])), graph)


def save_steps(output: Any, path: str | os.PathLike, mode: str = "both", *,
               max_nodes: int = DEFAULT_MAX_NODES, collapse: bool = False,
               constants: str = "show", rankdir: str = "LR") -> str:
    """Write the explorer's page (see `viz.explore`) opened on the backward pass at its first
    step, the seed ∂L/∂L = 1: Previous/Next/Play, a slider and the arrow keys step through it,
    one layout for every step, no network needed; returns the path. Needs `dot` and
    output.backward() to have run (ValueError otherwise). `mode` must be 'both' or 'backward'
    (the page always shows values and gradients). Missing folders are created; the page appears
    only once complete. collapse, constants, rankdir: as for viz.draw and viz.explore."""
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"save_steps writes an HTML page: name it *.html, got {os.fspath(path)!r}")
    if not has_gradients(output):
        raise ValueError("save_steps needs the gradients: call output.backward() first")
    if mode not in ("both", "backward"):
        raise ValueError(f"save_steps plays the backward pass: mode must be 'both' or 'backward', "
                         f"got {mode!r} (viz.explore(output, 'forward') plays the forward pass)")
    title = f"Backward pass of {node_names(graph_order(output))[output]}, step by step"
    return Explorer(output, "backward", step=1, max_nodes=max_nodes, title=title,
                    collapse=collapse, constants=constants, rankdir=rankdir,
                    caller="viz.save_steps").save(path)
