"""Turn a computational graph into DOT, drawn like the lecture's figures.

Variables are boxes (name, value, gradient in red), operations are circles feeding the box of
their result, edges carry the value (and/or the gradient) that flows along them, left to right.
Nodes made inside an nn module sit in a cluster per module, or become one box with `collapse`.
`Progress` lets the step-by-step view show only the gradients known at a given step.
A leaf whose .grad sums several backward passes says so ("grad 4.4 (sum of 2 passes)"); its edges
show only what this pass sent. Labels, module and scope names may hold any text: see
`format.visible` for the characters that are shown as escapes.

How the picture reads (chosen by looking at rendered graphs, see the README):
- each edge carries one line, beside the edge (above it for rankdir LR): the value, then the
  gradient in red. Two lines (value over gradient) stacked into one ambiguous column where edges
  converge, and a gradient placed on its own (xlabel, head/tail labels) landed on other nodes.
- the inputs of `/`, `−`, `**` and `@` enter their operation at a small 'a' (left operand,
  numerator, base) and 'b': the operation reads a/b, a−b, a**b, a@b.
- constants lifted from Python numbers (`node.is_constant`) are dashed boxes with no gradient
  (constants='show'), or written into their operation, '×2', '10/' (constants='fold').
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from graphviz import nohtml

from .dot import Graph
from .format import (NAME_CHARS, TOOLTIP_CHARS, escape_label, escape_string, format_number,
                     format_operand, shorten, visible)
from .layouts import cluster_order, scope_ids
from .nodes import (as_outputs, consumers_of, contribution, grad_of, graph_order, has_gradients,
                    is_const, is_tensor, long_lines, node_names, passes_summed, short_text)

MODES = ("forward", "backward", "both")
DEFAULT_MAX_NODES = 500
# dot routes an edge across every rank it spans; in x + x + ... + x (n terms) the edges leaving x
# cross ~n²/2 ranks, and dot took 0.7 s at n = 30, 4 s at 40, 34 s at 50 here (a neuron summing 100
# products, whose long edges leave different nodes, takes 0.3 s). A larger max_nodes raises it too.
LONG_EDGE_LIMIT = 500
GRAD_COLOR = "red"
CONSTANTS = ("show", "fold")  # how constants lifted from Python numbers are drawn
RANKDIRS = ("LR", "TB", "RL", "BT")  # the direction the graph flows in, as dot names it
# operations whose inputs are not interchangeable: each input enters at its mark, 'a' or 'b'
ORDERED_OPS = ("−", "-", "/", "**", "@")
OPERAND_MARKS = ("a", "b")
MARK_COLOR = "gray35"
ENTRY_SIDE = {"LR": "w", "TB": "n", "RL": "e", "BT": "s"}  # where edges enter a node
CONST_STYLE = {"style": "rounded,dashed,filled", "fillcolor": "#fbfbfb", "color": "gray45"}
HIGHLIGHT = {"color": "#1f6feb", "penwidth": "3", "fillcolor": "#fff3b0"}


@dataclass
class Progress:
    """How far a backward pass has gone: `done` nodes have pushed their gradient to their parents;
    `current` is highlighted."""

    done: set = field(default_factory=set)
    current: Any = None


def check_mode(mode: str, output: Any) -> str:
    """The drawing mode to use; 'auto' means 'both' once backward() has run, else 'forward'.
    `output` is a node or a list of nodes (gradients are shown if any of them has one)."""
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


def _side_by_side(parts: list[str]) -> str:
    """'' for no parts, else the parts on one line, a small gap between them, each its own
    text in the SVG (so the value text holds the value alone)."""
    if not parts:
        return ""
    cells = "".join(f"<TD>{p}</TD>" for p in parts)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="0">'
            f"<TR>{cells}</TR></TABLE>>")


def check_constants(constants: str) -> str:
    """'show' or 'fold', else a ValueError naming the parameter."""
    if constants not in CONSTANTS:
        raise ValueError(f"constants must be one of {', '.join(map(repr, CONSTANTS))}, "
                         f"got {constants!r}")
    return constants


def check_rankdir(rankdir: str) -> str:
    """'LR', 'TB', 'RL' or 'BT' (any case, returned upper-case), else a ValueError."""
    if not isinstance(rankdir, str) or rankdir.upper() not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)} (LR: left to right, "
                         f"TB: top to bottom), got {rankdir!r}")
    return rankdir.upper()


def _is_ordered(node: Any) -> bool:
    """Whether `node`'s two inputs play different parts (a/b, a−b, a**b, a@b)."""
    return len(node.parents) == 2 and node.op in ORDERED_OPS


def _marked_op(op: str, vertical: bool) -> str:
    """An operation label with its operands' places, as an HTML table whose cells 'a' and 'b'
    are the ports (i0, i1) its input edges enter: a column a / op / b when the graph flows
    left to right (the edges come from the side), a row when it flows top to bottom."""
    cells = [f'<TD PORT="i{i}"><FONT POINT-SIZE="8" COLOR="{MARK_COLOR}">{m}</FONT></TD>'
             for i, m in enumerate(OPERAND_MARKS)]
    middle = f"<TD>{escape_label(op)}</TD>"
    row = [cells[0], middle, cells[1]]
    body = "".join(f"<TR>{c}</TR>" for c in row) if vertical else f"<TR>{''.join(row)}</TR>"
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{body}</TABLE>>'


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
    gradient text is drawn in GRAD_COLOR and value text is not (each is one <text>, value
    first). With several outputs k counts over `graph_order(outputs)` and each output is
    tg-output. A constant folded into its operation (constants='fold') has no box and no edge;
    the other ids stay as they are. An operation whose operands are marked (a/b, a−b, a**b, a@b)
    holds three texts: 'a', its symbol, 'b'."""
    return f"n{child_index}_in{i}"


def pulled_outputs(order: list, outputs: list) -> list:
    """The outputs drawn outside their module (so that they stay in sight when it is collapsed):
    those whose module computes other nodes too (an MLP's last neuron); an output that is all its
    module computes (SoftmaxWithLoss's loss) stays its module."""
    computed: dict = {}
    for n in order:
        if n.parents and n.scope:
            computed[n.scope] = computed.get(n.scope, 0) + 1
    return [o for o in outputs if o.scope and o.parents and computed.get(o.scope, 0) > 1]


def module_groups(order: list, collapse: bool, outputs: list = ()) -> tuple[dict, dict]:
    """With `collapse`: each node's collapsed module (its innermost scope; None outside any, and
    for the `pulled_outputs`, drawn on their own) and each module's id, m0, m1, ... in order of
    first appearance; without: no groups, no modules."""
    pulled = pulled_outputs(order, list(outputs)) if collapse else []
    group = {n: (n.scope or None) if collapse and not any(n is o for o in pulled) else None
             for n in order}
    modules: dict = {}
    for n in order:
        if group[n] is not None and group[n] not in modules:
            modules[group[n]] = f"m{len(modules)}"
    return group, modules


def folded_constants(order: list, outputs: list, uses: dict, group: dict, constants: str) -> set:
    """With constants='fold': the scalar constants written into their operations ('×2'): not an
    output, used only by two-input operations drawn on their own (not inside a collapsed
    module). Empty with constants='show'."""
    if check_constants(constants) != "fold":
        return set()
    return {n for n in order
            if is_const(n) and np.ndim(n.data) == 0 and not any(n is o for o in outputs)
            and bool(uses[n])
            and all(len(c.parents) == 2 and group[c] is None for c, _ in uses[n])}


def _too_big(order: list, drawn: int, max_nodes: int, collapse: bool, caller: str) -> str:
    """Why a graph is refused, and what `caller` (the function the user called) can do."""
    head = (f"the graph has {drawn} nodes{' once collapsed' if collapse else ''}, more than "
            f"max_nodes={max_nodes}; laying it out with dot could take minutes. ")
    subgraph = (f"call {caller} on a subgraph (pass an intermediate node as the output), or "
                f"raise max_nodes.")
    if collapse:
        return head + "Collapsing its nn modules was not enough: " + subgraph
    _, modules = module_groups(order, True)
    if not modules:
        return (head + f"It has no nn modules, so {caller}(..., collapse=True) (one box per nn "
                "module) would not shrink it: " + subgraph)
    collapsed = sum(1 for n in order if not n.scope) + len(modules)
    return (head + f"Call {caller}(..., collapse=True) to draw each nn module as one box "
            f"({collapsed} nodes then), or " + subgraph)


def check_drawable(order: list, group: dict, modules: dict, max_nodes: int, collapse: bool,
                   caller: str) -> None:
    """Refuse (ValueError, saying what to do) a graph that dot would take minutes to lay out:
    more boxes than max_nodes, or, drawn in full, edges that cross too many layers."""
    drawn = sum(1 for n in order if group[n] is None) + len(modules)
    if drawn > max_nodes:
        raise ValueError(_too_big(order, drawn, max_nodes, collapse, caller))
    limit = LONG_EDGE_LIMIT * max(max_nodes, DEFAULT_MAX_NODES) // DEFAULT_MAX_NODES
    if not collapse and _long_edge_cost(order) > limit:
        raise ValueError(
            f"a value in this graph feeds many far-apart operations (its edges cross "
            f"{_long_edge_cost(order)} layers, more than {limit}), which makes dot take "
            f"minutes. Call {caller} on a subgraph (pass an intermediate node as the output), "
            "or raise max_nodes to allow more.")


class _Builder:
    def __init__(self, output: Any, mode: str, collapse: bool, max_nodes: int,
                 progress: Progress | None, constants: str = "show", rankdir: str = "LR",
                 caller: str = "viz.draw") -> None:
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
            raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
        self.outputs = as_outputs(output)
        self.progress = progress
        self.constants = check_constants(constants)
        self.rankdir = check_rankdir(rankdir)
        self.mode = check_mode(mode, self.outputs)
        self.order = graph_order(self.outputs)
        self.collapse = collapse
        self.group, self.modules = module_groups(self.order, collapse, self.outputs)
        self.scope_ids = scope_ids(self.order)
        self.pulled = pulled_outputs(self.order, self.outputs)
        check_drawable(self.order, self.group, self.modules, max_nodes, collapse, caller)
        self.index = {n: i for i, n in enumerate(self.order)}
        self.names = node_names(self.order)
        self.uses = consumers_of(self.order)
        self.items: dict = {}  # scope -> [(name, attrs)] of nodes declared inside its cluster
        self.cluster_names: dict = {}  # scope -> its subgraph's DOT name, unique
        self.folded = folded_constants(self.order, self.outputs, self.uses, self.group,
                                       self.constants)

    # ---- constants ---------------------------------------------------------------------------
    def is_output(self, node: Any) -> bool:
        return any(node is out for out in self.outputs)

    def op_text(self, node: Any) -> str:
        """The operation's symbol, with folded constants written in: '×2', '10/', '+(-1)'."""
        op = node.op or "?"
        if len(node.parents) != 2 or not any(p in self.folded for p in node.parents):
            return op
        left, right = (format_operand(p.data) if p in self.folded else "" for p in node.parents)
        return f"{left}{op}{right}"

    def marked(self, node: Any) -> bool:
        """Whether the operation of `node` marks its operands' places (both are drawn)."""
        return (_is_ordered(node) and self.group[node] is None
                and not any(p in self.folded for p in node.parents))

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
        if is_const(node):
            names.append("tg-const")
        if self.is_output(node):
            names.append("tg-output")
        return " ".join(names)

    def add(self, scope: str | None, name: str, attrs: dict) -> None:
        self.items.setdefault(scope, []).append((name, attrs))

    def highlighted(self, node: Any) -> bool:
        return self.progress is not None and self.progress.current is node

    def add_variable(self, node: Any) -> None:
        """The box of a variable (and the circle of the operation that computed it)."""
        if node in self.folded:
            return  # written into the operations that use it
        tensor = is_tensor(node)
        const = is_const(node)
        # a lifted constant shows its number only: its generated name and gradient mean nothing
        lines = [] if const and not node.label else [_bold(self.names[node])]
        if const and np.ndim(node.data) == 0:
            lines.append(escape_label(format_number(node.data)))  # '2', not '() = 2'
        else:
            lines += [escape_label(line) for line in long_lines(node.data, tensor)]
        if self.shows_grads() and self.grad_known(node) and not const:
            grad = long_lines(grad_of(node), tensor)
            if grad:
                lines.append(_grad_font(_grad_line(grad, passes_summed(node))))
        attrs = {"label": _html(*lines), "shape": "box", "style": "rounded,filled",
                 "fillcolor": "white" if node.parents else "#f2f2f2",
                 "id": self.box_id(node), "class": self.classes(node)}
        if const:
            attrs.update(CONST_STYLE)
        if len(self.names[node]) > NAME_CHARS:
            attrs["tooltip"] = _tooltip(self.names[node])
        if self.is_output(node):
            attrs["peripheries"] = "2"
        if self.highlighted(node):
            attrs.update(HIGHLIGHT)
        # the graph's output is drawn outside any module, so that it stays in sight when its
        # module is collapsed (its operation stays inside, unless the module is one box)
        outside = any(node is o for o in self.pulled)
        self.add(None if outside else node.scope or None, self.box_id(node), attrs)
        if node.parents:
            op = self.op_text(node)
            label = (_marked_op(op, self.rankdir in ("LR", "RL")) if self.marked(node)
                     else _html(escape_label(op)))
            attrs = {"label": label, "style": "filled", "margin": "0.04",
                     "shape": "circle" if len(op) <= 4 else "ellipse", "fillcolor": "#e8f0fe",
                     "id": self.op_id(node), "class": "tg-op"}
            if self.highlighted(node):
                attrs.update(HIGHLIGHT)
            self.add(None if outside and self.collapse else node.scope or None, self.op_id(node),
                     attrs)

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
        """Label an edge with the value flowing forward and the gradient flowing back: one line,
        value then gradient (red), so that each edge's pair reads as one unit beside it.
        A constant's edge carries its value only, dashed: no gradient flows into it."""
        tensor = is_tensor(node)
        const = is_const(node)
        value = escape_label(short_text(node.data, tensor))
        grad_text = (short_text(grad, tensor)
                     if known and self.shows_grads() and not const else "")
        grad_html = _grad_font([grad_text]) if grad_text else ""
        parts = {"forward": [value], "backward": [grad_html] if not const else [],
                 "both": [value, grad_html]}[self.mode]
        parts = [p for p in parts if p]
        attrs = {"label": f"<{parts[0]}>" if len(parts) == 1 else _side_by_side(parts)}
        if self.mode == "backward":
            attrs.update(dir="back", color=GRAD_COLOR, fontcolor=GRAD_COLOR)
        if const:
            attrs.update(style="dashed", color="gray45")
            if self.mode == "backward":
                attrs["dir"] = "none"
        if hot:
            attrs.update(color=GRAD_COLOR, penwidth="2.5")
        return attrs

    def edges(self) -> list:
        """(tail, head, attrs) for every edge: parent -> operation, operation -> result.

        The edges into operations are gathered first in `crossing`, keyed by what makes one
        drawn edge: (the parent, the operation's DOT id, the input position). A collapsed module
        is one DOT id for all its operations and drops the position (None), so a value entering
        it several times is drawn once; each key keeps the list of (child, input) uses it carries.
        """
        out, crossing = [], {}
        for child in self.order:
            inside = self.group[child]
            for i, parent in enumerate(child.parents):
                if inside is not None and self.group[parent] == inside:
                    continue  # hidden inside one collapsed module
                if parent in self.folded:
                    continue  # written into the operation's symbol
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
            if len(uses) == 1 and self.marked(child):
                # enters at its operand's mark, 'a' or 'b', from the side the inputs come from
                attrs["headport"] = f"i{i}:{ENTRY_SIDE[self.rankdir]}"
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
        graph = Graph(name="tracegrad", graph_attr={"rankdir": self.rankdir, "nodesep": "0.3",
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
        name = name.replace("&", "&amp;")  # dot copies the name into the SVG's <title>, and
        # leaves "&...;" there as if it were an entity ("&;" would break the XML)
        while name in self.cluster_names.values():
            name += "_"
        self.cluster_names[scope] = name
        return nohtml(name)

    def emit(self, graph: Graph, scope: str | None, tree: dict) -> None:
        """Declare the nodes of `scope`, then each scope inside it as a nested cluster."""
        for name, attrs in self.items.get(scope, []):
            graph.node(name, **attrs)
        for child in cluster_order(tree.get(scope, []), self.rankdir):
            with graph.subgraph(name=self.cluster_name(child)) as sub:
                sub.attr(label=_html(_name(_module_name(child))), style="rounded,dashed",
                         color="gray45", fontcolor="gray25", tooltip=_tooltip(child),
                         id=self.scope_ids[child], **{"class": "tg-cluster"})
                self.emit(sub, child, tree)


def build(output: Any, mode: str = "auto", *, collapse: bool = False,
          max_nodes: int = DEFAULT_MAX_NODES, progress: Progress | None = None,
          constants: str = "show", rankdir: str = "LR", caller: str = "viz.draw") -> Graph:
    """The DOT graph of everything `output` (a node, or a list of nodes) depends on (see
    `viz.draw` for the options). `caller` names the function a refusal advises to call again."""
    return _Builder(output, mode, collapse, max_nodes, progress, constants, rankdir,
                    caller).build()
