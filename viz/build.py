"""Turn a computational graph into DOT, drawn like the lecture's figures.

Variables are boxes (name, value, gradient in red), operations are circles feeding the box of
their result, edges carry the value (and/or the gradient) that flows along them, left to right.
Nodes made inside an nn module sit in a cluster per module, or become one box with `collapse`.
`Progress` lets the step-by-step view show only the gradients known at a given step.
A leaf whose .grad sums several backward passes says so ("grad 4.4 (sum of 2 passes)"); its edges
show only what this pass sent. Labels, module and scope names may hold any text: see
`format.visible` for the characters that are shown as escapes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphviz import nohtml

from .dot import Graph
from .format import NAME_CHARS, TOOLTIP_CHARS, escape_label, escape_string, shorten, visible
from .nodes import (consumers_of, contribution, grad_of, graph_order, has_gradients, is_tensor,
                    long_lines, node_names, passes_summed, short_text)

MODES = ("forward", "backward", "both")
DEFAULT_MAX_NODES = 500
# dot routes an edge across every rank it spans; in x + x + ... + x (n terms) the edges leaving x
# cross ~n²/2 ranks, and dot took 0.7 s at n = 30, 4 s at 40, 34 s at 50 here (a neuron summing 100
# products, whose long edges leave different nodes, takes 0.3 s). A larger max_nodes raises it too.
LONG_EDGE_LIMIT = 500
GRAD_COLOR = "red"
HIGHLIGHT = {"color": "#1f6feb", "penwidth": "3", "fillcolor": "#fff3b0"}


@dataclass
class Progress:
    """How far a backward pass has gone: `done` nodes have pushed their gradient to their parents;
    `current` is highlighted."""

    done: set = field(default_factory=set)
    current: Any = None


def check_mode(mode: str, output: Any) -> str:
    """The drawing mode to use; 'auto' means 'both' once backward() has run, else 'forward'."""
    if mode == "auto":
        return "both" if has_gradients(output) else "forward"
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)} or 'auto', got {mode!r}")
    if mode != "forward" and not has_gradients(output):
        raise ValueError(f"mode={mode!r} shows gradients but the output has none yet: "
                         "call output.backward() first, or draw with mode='forward'")
    return mode


def _grad_font(lines: list[str]) -> str:
    return "<BR/>".join(f'<FONT COLOR="{GRAD_COLOR}">{escape_label(t)}</FONT>' for t in lines)


def _module_name(scope: str) -> str:
    """'Affine1' for the scope 'TwoLayerNet/Affine1'."""
    return scope.rsplit("/", 1)[-1]


def _enclosing(scope: str) -> str | None:
    """'TwoLayerNet' for 'TwoLayerNet/Affine1'; None for a top-level scope."""
    return scope.rsplit("/", 1)[0] if "/" in scope else None


def _tooltip(text: str) -> Any:
    """A tooltip that dot shows literally, whatever `text` holds (cut to TOOLTIP_CHARS)."""
    return nohtml(escape_string(shorten(text, TOOLTIP_CHARS)))


def _name(name: str) -> str:
    """A name for an HTML-like label: escaped and cut to NAME_CHARS."""
    return escape_label(shorten(name, NAME_CHARS))


def _bold(name: str) -> str:
    """A name in bold; '' for an empty name (dot refuses an empty <B></B>)."""
    return f"<B>{_name(name)}</B>" if name else ""


def _grad_line(grad_lines: list[str], passes: int) -> list[str]:
    """'grad 4.4', or 'grad 4.4 (sum of 2 passes)' when a leaf's .grad sums several passes."""
    note = f" (sum of {passes} passes)" if passes > 1 else ""
    return [f"grad {grad_lines[0]}{note}"] + grad_lines[1:]


def _html(*parts: str) -> str:
    return "<" + "<BR/>".join(p for p in parts if p) + ">"


def _long_edge_cost(order: list) -> int:
    """The most extra ranks that the edges leaving one node must cross (sum of span - 1 over its
    uses; a node's rank is its depth). dot slows down sharply when one value feeds operations far
    apart: x + x + ... + x; many separate long edges (a neuron's sum) stay fast."""
    depth: dict = {}
    cost: dict = {}
    for node in order:  # parents come first
        parents = node.parents
        depth[node] = d = 1 + max(depth[p] for p in parents) if parents else 0
        for p in parents:
            cost[p] = cost.get(p, 0) + d - depth[p] - 1
    return max(cost.values(), default=0)


def edge_id(child_index: int, i: int) -> str:
    """The DOT/SVG id of the edge carrying input i into node n{child_index}'s operation.

    The ids every drawing carries (the explorer's contract): a variable's box n{k} (k: its
    position in `graph_order`), its operation n{k}_op, the edge from the operation to the box
    n{k}_out, the edge of its input i n{k}_in{i}, a collapsed module m{j}; classes tg-var
    (tg-leaf, tg-const, tg-output), tg-op, tg-module, tg-edge (tg-in, tg-out). Inside an edge,
    gradient text is drawn in GRAD_COLOR and value text is not."""
    return f"n{child_index}_in{i}"


class _Builder:
    def __init__(self, output: Any, mode: str, collapse: bool, max_nodes: int,
                 progress: Progress | None) -> None:
        if not isinstance(max_nodes, int) or max_nodes < 1:
            raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
        self.output, self.progress = output, progress
        self.mode = check_mode(mode, output)
        self.order = graph_order(output)
        self.group = {n: (n.scope or None) if collapse else None for n in self.order}
        self.modules: dict = {}
        for n in self.order:
            if self.group[n] is not None and self.group[n] not in self.modules:
                self.modules[self.group[n]] = f"m{len(self.modules)}"
        drawn = sum(1 for n in self.order if self.group[n] is None) + len(self.modules)
        if drawn > max_nodes:
            raise ValueError(
                f"the graph has {drawn} nodes, more than max_nodes={max_nodes}; laying it out "
                "with dot could take minutes. Draw it with collapse=True (one box per nn "
                "module), draw a subgraph (pass an intermediate node as the output), or raise "
                "max_nodes.")
        limit = LONG_EDGE_LIMIT * max(max_nodes, DEFAULT_MAX_NODES) // DEFAULT_MAX_NODES
        if not collapse and _long_edge_cost(self.order) > limit:
            raise ValueError(
                f"a value in this graph feeds many far-apart operations (its edges cross "
                f"{_long_edge_cost(self.order)} layers, more than {limit}), which makes dot take "
                "minutes. Draw a subgraph (pass an intermediate node as the output), or raise "
                "max_nodes to allow more.")
        self.index = {n: i for i, n in enumerate(self.order)}
        self.names = node_names(self.order)
        self.uses = consumers_of(self.order)
        self.items: dict = {}  # scope -> [(name, attrs)] of nodes declared inside its cluster
        self.cluster_names: dict = {}  # scope -> its subgraph's DOT name, unique

    # ---- what is known ----------------------------------------------------------------------
    def shows_grads(self) -> bool:
        return self.mode != "forward"

    def grad_known(self, node: Any) -> bool:
        """A node's gradient is final once every node computed from it has been visited."""
        return self.progress is None or all(c in self.progress.done for c, _ in self.uses[node])

    # ---- nodes -------------------------------------------------------------------------------
    def box_id(self, node: Any) -> str:
        group = self.group[node]
        return f"n{self.index[node]}" if group is None else self.modules[group]

    def op_id(self, node: Any) -> str:
        group = self.group[node]
        return f"n{self.index[node]}_op" if group is None else self.modules[group]

    def classes(self, node: Any) -> str:
        """The SVG classes of a variable's box: tg-var, plus tg-leaf, tg-const, tg-output."""
        names = ["tg-var"]
        if not node.parents:
            names.append("tg-leaf")
        if getattr(node, "is_constant", False):
            names.append("tg-const")
        if node is self.output:
            names.append("tg-output")
        return " ".join(names)

    def add(self, scope: str | None, name: str, attrs: dict) -> None:
        self.items.setdefault(scope, []).append((name, attrs))

    def highlighted(self, node: Any) -> bool:
        return self.progress is not None and self.progress.current is node

    def add_variable(self, node: Any) -> None:
        tensor = is_tensor(node)
        lines = [_bold(self.names[node])]
        lines += [escape_label(line) for line in long_lines(node.data, tensor)]
        if self.shows_grads() and self.grad_known(node):
            grad = long_lines(grad_of(node), tensor)
            if grad:
                lines.append(_grad_font(_grad_line(grad, passes_summed(node))))
        attrs = {"label": _html(*lines), "shape": "box", "style": "rounded,filled",
                 "fillcolor": "white" if node.parents else "#f2f2f2",
                 "id": self.box_id(node), "class": self.classes(node)}
        if len(self.names[node]) > NAME_CHARS:
            attrs["tooltip"] = _tooltip(self.names[node])
        if node is self.output:
            attrs["peripheries"] = "2"
        if self.highlighted(node):
            attrs.update(HIGHLIGHT)
        self.add(node.scope or None, self.box_id(node), attrs)
        if node.parents:
            op = node.op or "?"
            attrs = {"label": _html(escape_label(op)), "style": "filled", "margin": "0.04",
                     "shape": "circle" if len(op) <= 4 else "ellipse", "fillcolor": "#e8f0fe",
                     "id": self.op_id(node), "class": "tg-op"}
            if self.highlighted(node):
                attrs.update(HIGHLIGHT)
            self.add(node.scope or None, self.op_id(node), attrs)

    def add_module(self, scope: str, name: str) -> None:
        attrs = {"label": _html(_bold(_module_name(scope))), "shape": "box",
                 "style": "rounded,filled,bold", "fillcolor": "#e6f4ea", "tooltip": _tooltip(scope),
                 "id": name, "class": "tg-module"}
        current = self.progress.current if self.progress else None
        if current is not None and self.group.get(current) == scope:
            attrs.update(HIGHLIGHT)
        self.add(_enclosing(scope), name, attrs)

    # ---- edges -------------------------------------------------------------------------------
    def edge_attrs(self, node: Any, grad: Any, known: bool, hot: bool) -> dict:
        """Label an edge with the value flowing forward and the gradient flowing back."""
        tensor = is_tensor(node)
        value = escape_label(short_text(node.data, tensor))
        grad_text = short_text(grad, tensor) if known and self.shows_grads() else ""
        grad_html = _grad_font([grad_text]) if grad_text else ""
        parts = {"forward": [value], "backward": [grad_html], "both": [value, grad_html]}
        label = _html(*parts[self.mode])
        attrs = {"label": label if label != "<>" else ""}
        if self.mode == "backward":
            attrs.update(dir="back", color=GRAD_COLOR, fontcolor=GRAD_COLOR)
        if hot:
            attrs.update(color=GRAD_COLOR, penwidth="2.5")
        return attrs

    def edges(self) -> list:
        """(tail, head, attrs) for every edge: parent -> operation, operation -> result."""
        out, crossing = [], {}
        for child in self.order:
            inside = self.group[child]
            for i, parent in enumerate(child.parents):
                if inside is not None and self.group[parent] == inside:
                    continue  # hidden inside one collapsed module
                # one edge per use, except that a value entering a collapsed module enters once
                key = (parent, self.op_id(child), None if inside is not None else i)
                crossing.setdefault(key, []).append((child, i))
            if inside is None and child.parents:
                attrs = self.edge_attrs(child, grad_of(child), self.grad_known(child), False)
                attrs.update({"id": f"n{self.index[child]}_out", "class": "tg-edge tg-out"})
                out.append((self.op_id(child), self.box_id(child), attrs))
        current = self.progress.current if self.progress else None
        for (parent, head, _), uses in crossing.items():
            hot = current is not None and any(c is current for c, _ in uses)
            known = self.progress is None or all(c in self.progress.done for c, _ in uses)
            attrs = self.edge_attrs(parent, contribution(parent, uses), known, hot)
            child, i = uses[0]
            attrs.update({"id": edge_id(self.index[child], i), "class": "tg-edge tg-in"})
            out.append((self.box_id(parent), head, attrs))
        return out

    # ---- assembly ----------------------------------------------------------------------------
    def build(self) -> Graph:
        """Nodes first (inside their clusters), then edges, so no node lands outside its cluster."""
        for node in self.order:
            if self.group[node] is None:
                self.add_variable(node)
        for scope, name in self.modules.items():
            self.add_module(scope, name)
        graph = Graph(name="tracegrad", graph_attr={"rankdir": "LR", "nodesep": "0.3",
                                                    "ranksep": "0.45"},
                      node_attr={"fontsize": "11"}, edge_attr={"fontsize": "10"})
        self.emit(graph, None, self.children())
        for tail, head, attrs in self.edges():
            graph.edge(tail, head, **attrs)
        return graph

    def children(self) -> dict:
        """The nested scopes: {scope: [the scopes directly inside it]}, None at the top."""
        tree: dict = {None: []}
        for scope in list(self.items):
            while scope is not None:
                parent = _enclosing(scope)
                tree.setdefault(scope, [])
                if scope in tree.setdefault(parent, []):
                    break
                tree[parent].append(scope)
                scope = parent
        return tree

    def cluster_name(self, scope: str) -> Any:
        """'cluster_Net/Affine1': the scope made visible and lexable (backslashes doubled), with
        '_' appended until unique (scopes that differ only in hidden characters stay apart)."""
        name = "cluster_" + visible(shorten(scope, TOOLTIP_CHARS)).replace("\\", "\\\\")
        while name in self.cluster_names.values():
            name += "_"
        self.cluster_names[scope] = name
        return nohtml(name)

    def emit(self, graph: Graph, scope: str | None, tree: dict) -> None:
        """Declare the nodes of `scope`, then each scope inside it as a nested cluster."""
        for name, attrs in self.items.get(scope, []):
            graph.node(name, **attrs)
        for child in tree.get(scope, []):
            with graph.subgraph(name=self.cluster_name(child)) as sub:
                sub.attr(label=_html(_name(_module_name(child))), style="rounded,dashed",
                         color="gray45", fontcolor="gray25", tooltip=_tooltip(child))
                self.emit(sub, child, tree)


def build(output: Any, mode: str = "auto", *, collapse: bool = False,
          max_nodes: int = DEFAULT_MAX_NODES, progress: Progress | None = None) -> Graph:
    """The DOT graph of everything `output` depends on (see `viz.draw` for the options)."""
    return _Builder(output, mode, collapse, max_nodes, progress).build()
