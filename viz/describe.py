"""What the explorer's page knows about a graph: one JSON-ready description, computed in Python.

Per node (in `graph_order`, so node k is the SVG's n{k}): its name, operation, value and gradient
(scalars in full precision, arrays in full when small, else summarised), how it was computed, its
local derivative per input as a rule and a number (rules.py), what it sent to each input, the
chain-rule terms that add up to its gradient, and "why this number": how many paths lead from the
output to it and the 20 whose products of local derivatives are largest. The numbers are exact
(the page only shows them), so the tests check them here against the engine.
"""
from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from .format import format_number, format_shape, visible
from .nodes import (consumers_of, grad_of, graph_order, has_gradients, is_tensor, node_names,
                    passes_summed, plain)
from .rules import legend, scalar_form, scalar_rule, tensor_rule

MAX_PATHS = 20  # paths listed per node (the count is always given)
FULL_ARRAY_SIZE = 30  # arrays up to this many entries are shown in full
JSON_INT_LIMIT = 2 ** 53  # larger path counts travel as strings (JavaScript numbers are doubles)


def tensor_node(node: Any) -> bool:
    """Whether a node is a Tensor's: it holds an array, or it has no scalar local derivatives (a
    Tensor whose data came out as a NumPy scalar)."""
    return is_tensor(node) or not hasattr(node, "local_grads")


def number(x: Any) -> float | str:
    """A float for JSON, or 'inf', '-inf', 'nan' (JSON has no such numbers)."""
    x = float(plain(x))
    return x if math.isfinite(x) else repr(x)


def array_lines(x: Any) -> list[str]:
    """An array in full when it has at most FULL_ARRAY_SIZE entries, else 'min …, mean …, max …,
    norm …' (nan-aware: an array holding nan says so)."""
    a = np.asarray(x)
    if a.size <= FULL_ARRAY_SIZE:
        return np.array2string(a, separator=", ", precision=8, max_line_width=64,
                               threshold=FULL_ARRAY_SIZE + 1).splitlines()
    f = a.astype(np.float64)
    stats = (f"min {format_number(f.min())}, mean {format_number(f.mean())}, "
             f"max {format_number(f.max())}, norm {format_number(np.linalg.norm(f))}")
    return [stats + f"   ({a.size} entries)"]


def value_lines(x: Any, tensor: bool) -> list[str]:
    """A value or gradient for the panel: repr of a float (full precision), or shape, dtype and
    the array (see array_lines)."""
    if x is None:
        return []
    if not tensor:
        return [repr(float(plain(x)))]
    a = np.asarray(x)
    return [f"shape {format_shape(a.shape)}, dtype {a.dtype}"] + array_lines(a)


def summary(x: Any) -> str:
    """One short line for an array sent along an edge: '(3, 5) min …, max …' or the values."""
    if x is None:
        return "nothing (requires_grad=False)"
    a = np.asarray(x)
    if a.ndim == 0:
        return format_number(a.item())
    if a.size <= 6:
        return (format_shape(a.shape) + " " + np.array2string(a, separator=", ", precision=4)
                .replace("\n", ""))
    return (f"{format_shape(a.shape)} min {format_number(a.min(), 4)}, max "
            f"{format_number(a.max(), 4)}, norm {format_number(np.linalg.norm(a), 4)}")


def expression(node: Any, names: dict) -> str:
    """'apple × apple_num', 'exp(x)', 't**2': how the node was computed from its parents."""
    args = [names[p] for p in node.parents]
    op = node.op or "?"
    if len(args) == 2 and len(op) <= 2:
        return f"{args[0]} {op} {args[1]}"
    if len(args) == 1 and op.startswith("**"):
        return f"{args[0]}{op}"
    if len(args) == 1 and op in ("−", "-"):
        return f"−{args[0]}"
    return f"{op}({', '.join(args)})"


def passes_note(parent: Any, names: dict, sent: str) -> list[str]:
    """A line for an input whose .grad sums several backward passes; [] otherwise."""
    passes = passes_summed(parent)
    if passes <= 1:
        return []
    g = grad_of(parent)
    total = format_number(plain(g)) if not tensor_node(parent) or np.ndim(g) == 0 else \
        format_shape(np.shape(g))
    return [f"  {names[parent]}.grad = {total} holds the sum of {passes} backward passes; "
            f"the edge shows this pass's contribution ({sent})"]


def step_text(data: dict, mode: str, step: int | None) -> str:
    """The text the page shows under its controls at `step` of the `mode` playback (the script
    writes the same; the page carries it so that it reads before the script runs)."""
    n, visits = len(data["nodes"]), data["backward"]
    b_total = 1 + len(visits) if data["hasGrad"] else 0
    total = {"forward": n, "backward": b_total, "both": n + b_total}[mode]
    step = total if step is None else max(0, min(total, step))
    if mode == "forward" or (mode == "both" and step <= n):
        if step == 0:
            return ("Forward pass: press Next or Play. Values appear in the order the graph "
                    "computes them.")
        return f"Forward {step}/{n}: {data['nodes'][data['forward'][step - 1]]['fwd']}"
    b = step if mode == "backward" else step - n
    root = data["root"]
    if b == 0:
        return (f"Backward pass: press Next or Play. It starts with the seed ∂{root}/∂{root} = 1, "
                "then visits each node in the engine's order; gradients flow back to the inputs "
                "(red).")
    if b == 1:
        return f"Backward 1/{b_total}: {data['seed']}"
    return f"Backward {b}/{b_total}: " + "\n".join(data["nodes"][visits[b - 2]].get("bwd", []))


def backward_visits(order: list) -> list:
    """The nodes the backward pass visits, in its order: reversed topological order of the nodes
    that have parents (engine.backward)."""
    return [n for n in reversed(order) if n.parents]


def _paths(order: list, uses: dict, index: dict, output: Any, scalar: bool,
           limit: int) -> dict:
    """For each node: how many paths lead from the output to it (Python ints: the count may be
    exponential), the `limit` largest by |product of local derivatives| (for Tensors: the first
    `limit`, no products), each as (product, consumer index, input slot, rank of the consumer's
    path it extends), and the sum of all products (the chain rule again, path by path)."""
    count: dict = {output: 1}
    top: dict = {output: [(1.0, -1, -1, -1)]}
    total: dict = {output: 1.0}
    for node in reversed(order):
        if node is output:
            continue
        n, candidates, s = 0, [], 0.0
        for child, i in uses[node]:
            n += count[child]
            local = float(plain(child.local_grads[i])) if scalar else None
            if scalar:
                s += total[child] * local
            for j, (p, *_) in enumerate(top[child]):
                candidates.append((p * local if scalar else None, index[child], i, j))
        count[node], total[node] = n, s
        top[node] = (heapq.nlargest(limit, candidates, key=lambda t: abs(t[0])) if scalar
                     else candidates[:limit])
    return {node: {"count": count[node] if count[node] < JSON_INT_LIMIT else str(count[node]),
                   "top": [[None if p is None else number(p), c, i, j]
                           for p, c, i, j in top[node]],
                   "sum": number(total[node]) if scalar else None}
            for node in order}


class _Describer:
    def __init__(self, output: Any, max_paths: int) -> None:
        self.output = output
        self.order = graph_order(output)
        self.index = {n: k for k, n in enumerate(self.order)}
        # names as the drawings show them: characters XML cannot hold read as escapes
        self.names = {n: visible(name) for n, name in node_names(self.order).items()}
        self.uses = consumers_of(self.order)
        self.tensor = tensor_node(output)
        self.root = self.names[output]
        self.grads = has_gradients(output)
        self.sent: dict = {}  # node -> what it sent to each input (Tensor: recomputed once)
        if self.grads:
            for node in self.order:
                if node.parents:
                    self.sent[node] = tuple(node.input_grads())
        self.paths = _paths(self.order, self.uses, self.index, output, not self.tensor,
                            max_paths) if self.grads else {}

    # ---- one node -------------------------------------------------------------------------
    def node(self, node: Any) -> dict:
        tensor = tensor_node(node)
        name = self.names[node]
        grad = grad_of(node) if self.grads else None
        data: dict = {
            "name": name, "op": node.op or "", "opName": node.op_name or "",
            "parents": [self.index[p] for p in node.parents],
            "leaf": not node.parents, "const": bool(getattr(node, "is_constant", False)),
            "value": value_lines(node.data, tensor), "grad": value_lines(grad, tensor),
            "passes": passes_summed(node),
        }
        if tensor:
            data["shape"] = format_shape(np.shape(node.data))
            data["dtype"] = str(np.asarray(node.data).dtype)
        else:
            data["gradNum"] = number(grad) if grad is not None else None
        data["fwd"] = self.forward_text(node)
        if node.parents:
            data["expr"] = f"{name} = {expression(node, self.names)}"
            data["locals"] = self.locals(node)
            if self.grads:
                data["sent"] = [summary(s) if tensor else number(s) for s in self.sent[node]]
                data["bwd"] = self.backward_lines(node)
        if self.grads:
            data["terms"] = self.terms(node)
            data["paths"] = self.paths[node]
        data["sections"] = self.sections(node, data)
        return data

    def forward_text(self, node: Any) -> str:
        name = self.names[node]
        tensor = tensor_node(node)
        shown = (format_shape(np.shape(node.data)) if tensor and np.ndim(node.data)
                 else format_number(np.asarray(node.data).item() if tensor else node.data))
        if not node.parents:
            kind = "a constant" if getattr(node, "is_constant", False) else "an input"
            return f"{name} = {shown}   ({kind})"
        return f"{name} = {expression(node, self.names)} = {shown}"

    def locals(self, node: Any) -> list[dict]:
        """Per input: its index, the rule (text lines for a Tensor) and, for a Value, the number."""
        if tensor_node(node):
            return [{"input": self.index[p], "rule": tensor_rule(node, i, self.names)}
                    for i, p in enumerate(node.parents)]
        return [{"input": self.index[p], "rule": scalar_rule(node, i), "number": number(d)}
                for i, (p, d) in enumerate(zip(node.parents, node.local_grads))]

    def terms(self, node: Any) -> list[dict]:
        """The chain rule's terms for this node's gradient, one per use (consumer c, input i):
        ∂L/∂c × ∂c/∂node for a Value; what c sent for a Tensor."""
        out = []
        for child, i in self.uses[node]:
            sent = self.sent[child][i]
            term: dict = {"child": self.index[child], "input": i}
            if tensor_node(node):
                term["sent"] = summary(sent)
            else:
                upstream = float(plain(grad_of(child)))
                local = float(plain(child.local_grads[i]))
                term.update(upstream=number(upstream), local=number(local),
                            product=number(upstream * local))
            out.append(term)
        return out

    def backward_lines(self, node: Any) -> list[str]:
        """The text of this node's backward step: upstream gradient × local derivative, per input."""
        name, names = self.names[node], self.names
        g = grad_of(node)
        if tensor_node(node):
            lines = [f"{name} = {expression(node, names)}   shape "
                     f"{format_shape(np.shape(node.data))}",
                     f"upstream gradient ∂{self.root}/∂{name}: {summary(g)}"]
            for i, parent in enumerate(node.parents):
                if not getattr(parent, "requires_grad", True):
                    lines.append(f"→ {names[parent]}: nothing (it needs no gradient)")
                    continue
                rule = "; ".join(tensor_rule(node, i, names))
                lines.append(f"→ {names[parent]}: {rule}")
                lines += passes_note(parent, names, summary(self.sent[node][i]))
            return lines
        lines = [f"{name} = {expression(node, names)} = {format_number(node.data)}",
                 f"upstream gradient ∂{self.root}/∂{name} = {format_number(plain(g))}"]
        for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            up, loc = float(plain(g)), float(plain(local))
            lines.append(f"→ {names[parent]}: {format_number(up)} × {format_number(loc)} = "
                         f"{format_number(up * loc)}   ({scalar_rule(node, i)})")
            lines += passes_note(parent, names, format_number(up * loc))
        return lines

    # ---- the panel's text -------------------------------------------------------------------
    def sections(self, node: Any, data: dict) -> list:
        """[title, lines] pairs the panel shows above the paths (which the page expands)."""
        name, names, root = self.names[node], self.names, self.root
        tensor = tensor_node(node)
        out = [["Value", data["value"]]]
        if not self.grads:
            out.append(["Gradient", ["none yet: call backward() on the output"]])
        elif not data["grad"]:
            out.append([f"Gradient ∂{root}/∂{name}", ["none: requires_grad=False (it needs no "
                                                     "gradient)"]])
        else:
            lines = list(data["grad"])
            if data["passes"] > 1:
                lines.append(f"(the sum of {data['passes']} backward passes; the terms below "
                             "are this pass's)")
            out.append([f"Gradient ∂{root}/∂{name}", lines])
        if not node.parents:
            kind = ("a constant: a Python number lifted into the graph" if data["const"]
                    else "an input (a leaf): nothing computed it")
            out.append(["How it was computed", [kind]])
        else:
            how = [data["expr"] + ("" if tensor else f" = {format_number(node.data)}")]
            if not tensor:
                how.append(f"{scalar_form(node)} with {legend(node, names)}")
            out.append(["How it was computed", how])
            out.append(["Local derivatives", self.local_lines(node, data)])
        if self.grads and data["grad"]:
            out.append(["Chain rule", self.chain_lines(node, data)])
        return out

    def local_lines(self, node: Any, data: dict) -> list[str]:
        name, names = self.names[node], self.names
        lines = []
        for i, (parent, local) in enumerate(zip(node.parents, data["locals"])):
            if tensor_node(node):
                lines += [f"∂{name}/∂{names[parent]}:"] + ["  " + r for r in local["rule"]]
            else:
                lines.append(f"∂{name}/∂{names[parent]}: {local['rule']} = "
                             f"{format_number(node.local_grads[i])}")
        return lines

    def chain_lines(self, node: Any, data: dict) -> list[str]:
        name, names, root = self.names[node], self.names, self.root
        if node is self.output:
            return [f"∂{root}/∂{root} = {summary(grad_of(node))}: the seed the backward pass "
                    "starts from"]
        head = (f"∂{root}/∂{name} = Σ over the nodes c that use {name} of "
                f"∂{root}/∂c × ∂c/∂{name}")
        lines = [head]
        terms = data["terms"]
        if tensor_node(node):
            for t in terms:
                child = self.order[t["child"]]
                lines.append(f"  from {names[child]} ({child.op}): {t['sent']}")
                lines += ["    " + r for r in tensor_rule(child, t["input"], names)]
            lines.append(f"  = {summary(grad_of(node))}" + ("" if len(terms) == 1 else
                                                           f" (the sum of {len(terms)} terms)"))
            return lines
        for t in terms:
            child = self.order[t["child"]]
            lines.append(f"  via {names[child]}: ∂{root}/∂{names[child]} × "
                         f"∂{names[child]}/∂{name} = {format_number(t['upstream'])} × "
                         f"{format_number(t['local'])} = {format_number(t['product'])}")
        products = " + ".join(f"{format_number(t['upstream'])} × {format_number(t['local'])}"
                              for t in terms)
        lines.append(f"∂{root}/∂{name} = {format_number(plain(grad_of(node)))} = {products}")
        return lines

    # ---- the whole graph ------------------------------------------------------------------
    def describe(self) -> dict:
        nodes = [self.node(n) for n in self.order]
        visits = backward_visits(self.order) if self.grads else []
        seed = (f"Seed: ∂{self.root}/∂{self.root} = "
                f"{summary(grad_of(self.output)) if self.grads else '—'}: the backward pass "
                f"starts at {self.root}")
        return {
            "output": self.index[self.output], "tensor": self.tensor, "hasGrad": self.grads,
            "root": self.root, "nodes": nodes,
            "forward": list(range(len(self.order))),
            "backward": [self.index[n] for n in visits],
            "seed": seed,
        }


def describe(output: Any, *, max_paths: int = MAX_PATHS) -> dict:
    """The explorer's JSON-ready description of the graph of `output` (a Value or Tensor).

    Keys: output (its index), tensor, hasGrad, root (its name), nodes (see the module's
    docstring; node k is the SVG's n{k}), forward (the order values are computed), backward (the
    nodes the backward pass visits, in its order; the page plays the seed step first), seed.
    """
    if not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"describe: max_paths must be a positive int, got {max_paths!r}")
    return _Describer(output, max_paths).describe()


def expand_path(data: dict, k: int, rank: int) -> list[tuple[int, float | None]]:
    """Path number `rank` of node k as [(node index, local derivative into it), ...] from the
    output (local None there, and for Tensors) down to k: how the page reads the path links."""
    steps = []
    while True:
        product, child, i, j = data["nodes"][k]["paths"]["top"][rank]
        if child < 0:
            steps.append((k, None))
            return steps[::-1]
        local = data["nodes"][child]["locals"][i].get("number")
        steps.append((k, local))
        k, rank = child, j
