"""What the explorer's page knows about a graph: one JSON-ready description, computed in Python.

Per node (in `graph_order`, so node k is the SVG's n{k}): its name, operation, value and gradient
(scalars in full precision, arrays in full when small, else summarised), how it was computed, its
local derivative per input as a rule and a number (rules.py), what it sent to each input, the
chain-rule terms that add up to its gradient, and "why this number": how many paths lead from the
output to it and the 20 whose products of local derivatives are largest. The numbers are exact
(the page only shows them), so the tests check them here against the engine; inf and nan travel
as the strings 'inf', '-inf', 'nan' (JSON has no such numbers) and the text says what they mean.

Names: a node's `name` is unique on the page (what tracegrad.select takes): a label that several
nodes share is qualified by as much of their scope as tells them apart ('layers.1/neurons.0/b').
In the text, a constant lifted from a Python number reads as its value ('v6 = 10 − x').
With collapse=True each nn module is one box (`modules`) and the playback steps through it at
once; with constants='fold' the folded constants have no box and no step.
"""
from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from autograd import backward_order

from .build import folded_constants, module_groups
from .format import format_number, format_shape, visible
from .nodes import (as_outputs, consumers_of, grad_of, graph_order, has_gradients, is_const,
                    is_tensor, node_names, passes_summed, plain)
from .rules import rule_text, scalar_rule, tensor_rule, term

MAX_MODULE_LINES = 40  # lines per list in a collapsed module's panel
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
    args = [term(names[p]) for p in node.parents]
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


def total_steps(data: dict, mode: str) -> int:
    """How many steps the `mode` playback has (step 0 is before the first)."""
    n = len(data["forward"])
    b = 1 + len(data["backward"]) if data["hasGrad"] else 0
    return {"forward": n, "backward": b, "both": n + b}[mode]


def step_text(data: dict, mode: str, step: int | None) -> str:
    """The text the page shows under its controls at `step` of the `mode` playback (the script
    writes the same; the page carries it so that it reads before the script runs)."""
    n, b_total = len(data["forward"]), 1 + len(data["backward"])
    total = total_steps(data, mode)
    step = total if step is None else max(0, min(total, step))
    if mode == "forward" or (mode == "both" and step <= n):
        if step == 0:
            return ("Forward pass: press Next or Play. Values appear in the order the graph "
                    "computes them.")
        return f"Forward {step}/{n}: {data['forward'][step - 1]['text']}"
    b = step if mode == "backward" else step - n
    root = data["root"]
    if b == 0:
        return (f"Backward pass: press Next or Play. It starts with the seed ∂{root}/∂{root} = 1, "
                "then visits each node in the engine's order; gradients flow back to the inputs "
                "(red).")
    if b == 1:
        return f"Backward 1/{b_total}: {data['seed']}"
    return f"Backward {b}/{b_total}: {data['backward'][b - 2]['text']}"


def backward_visits(output: Any) -> list:
    """The nodes the backward pass visits, in its order: the nodes that have parents, the last
    made first (autograd.backward_order)."""
    return backward_order(as_outputs(output))


def qualified_names(order: list, output: Any = None) -> tuple[dict, dict]:
    """Each node's unique name, and for a qualified one its alias (its whole scope path and label).

    A name (label, or the generated v1, v2, ...) that one node has stays as it is, and so does the
    output's (every formula names it). Other nodes that share a name get the shortest end of their
    scope that tells them apart ('layers.1/neurons.0/b'; one outside any scope keeps the bare name
    when that is free); any still alike are numbered: 'h#2', 'h#3'."""
    base = {n: visible(name) for n, name in node_names(order).items()}
    groups: dict = {}
    for n in order:
        groups.setdefault(base[n], []).append(n)
    names, aliases = {}, {}
    taken = {name for name, nodes in groups.items() if len(nodes) == 1}
    for name, nodes in groups.items():
        if len(nodes) == 1:
            names[nodes[0]] = name
            continue
        blocked = set(taken)
        if any(n is output for n in nodes):
            names[output] = name
            blocked.add(name)
            nodes = [n for n in nodes if n is not output]
        parts = [visible(n.scope).split("/") if n.scope else [] for n in nodes]
        best = None
        for k in range(0, max(len(p) for p in parts) + 1):
            candidate = ["/".join(p[len(p) - k:] + [name]) if k else name for p in parts]
            clash = len(candidate) - len(set(candidate)) + sum(c in blocked for c in candidate)
            if best is None or clash < best[0]:
                best = (clash, candidate)
            if not clash:
                break
        chosen, seen = [], set(blocked)
        for c in best[1]:
            q, i = c, 1
            while q in seen:
                i += 1
                q = f"{c}#{i}"
            seen.add(q)
            chosen.append(q)
        for n, q in zip(nodes, chosen):
            names[n] = q
            if q != name and n.scope:
                aliases[n] = "/".join([visible(n.scope), name])
        taken |= set(chosen)
    return names, aliases


def nonfinite_note(x: float, what: str) -> str:
    """What an inf or nan means where it appears; '' for a finite number."""
    if math.isnan(x):
        return (f"undefined (nan): {what} has no value at this point (a derivative that does not "
                "exist there, or 0 × inf on the way; PyTorch gives nan too)")
    if math.isinf(x):
        return (f"infinite: {what} grows without bound at this point (PyTorch gives "
                f"{'inf' if x > 0 else '-inf'} too)")
    return ""


def array_nonfinite(x: Any, what: str) -> list[str]:
    """A line counting the inf and nan entries of an array, [] when it has none."""
    a = np.asarray(x, dtype=np.float64)
    infs, nans = int(np.isinf(a).sum()), int(np.isnan(a).sum())
    if not infs and not nans:
        return []
    parts = ([f"{infs} infinite (inf)"] if infs else []) + ([f"{nans} undefined (nan)"]
                                                          if nans else [])
    return [f"{what} has {' and '.join(parts)} entries: the derivative is infinite or undefined "
            "there (PyTorch gives the same)"]


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
    def __init__(self, output: Any, max_paths: int, collapse: bool, constants: str) -> None:
        self.output = output
        self.order = graph_order(output)
        self.index = {n: k for k, n in enumerate(self.order)}
        # unique names (what the page's API takes); in the text a lifted constant reads as its
        # value. Characters XML cannot hold read as escapes, as in the drawings.
        self.keys, self.aliases = qualified_names(self.order, output)
        self.names = dict(self.keys)
        for n in self.order:
            if is_const(n) and not n.label and np.ndim(n.data) == 0:
                self.names[n] = format_number(np.asarray(n.data).item())
        self.uses = consumers_of(self.order)
        self.tensor = tensor_node(output)
        self.root = self.keys[output]
        self.grads = has_gradients(output)
        self.group, modules = module_groups(self.order, collapse, [output])
        self.modules = list(modules)  # scopes, module j is the SVG's m{j}
        self.module_index = {scope: j for j, scope in enumerate(self.modules)}
        self.folded = folded_constants(self.order, [output], self.uses, self.group, constants)
        self.sent: dict = {}  # node -> what it sent to each input (Tensor: recomputed once)
        if self.grads:
            for node in self.order:
                if node.parents:
                    self.sent[node] = tuple(node.input_grads())
        self.paths = _paths(self.order, self.uses, self.index, output, not self.tensor,
                            max_paths) if self.grads else {}

    # ---- what a node gets -------------------------------------------------------------------
    def needs_grad(self, node: Any) -> bool:
        """Whether the panel shows a gradient: not for constants, nor for what requires none."""
        return (self.grads and not is_const(node)
                and getattr(node, "requires_grad", True) and grad_of(node) is not None)

    def this_pass(self, node: Any) -> Any:
        """What the last backward pass sent to `node` (its terms added up); its .grad for the
        output (the seed)."""
        if node is self.output or not self.uses[node]:
            return grad_of(node)
        sent = [self.sent[c][i] for c, i in self.uses[node]]
        sent = [s for s in sent if s is not None]
        if tensor_node(node):
            return sum(np.asarray(s, dtype=np.float64) for s in sent) if sent else None
        return math.fsum(float(plain(s)) for s in sent) if all(
            math.isfinite(float(plain(s))) for s in sent) else sum(float(plain(s)) for s in sent)

    # ---- one node -------------------------------------------------------------------------
    def node(self, node: Any) -> dict:
        tensor = tensor_node(node)
        name = self.keys[node]
        needs = self.needs_grad(node)
        grad = grad_of(node) if needs else None
        op, op_name = node.op or "", node.op_name or ""
        same = "".join(ch for ch in op.lower() if ch.isalnum()) == op_name.lower()
        data: dict = {
            "name": name, "op": op, "opName": op_name,
            "title": op if same or not op_name else f"{op} ({op_name})",
            "parents": [self.index[p] for p in node.parents],
            "leaf": not node.parents, "const": is_const(node),
            "value": value_lines(node.data, tensor), "grad": value_lines(grad, tensor),
            "passes": passes_summed(node),
        }
        if name != self.names[node]:
            data["shown"] = self.names[node]
        if node in self.aliases:
            data["alias"] = self.aliases[node]
        base = str(getattr(node, "label", "") or "")
        if base and visible(base) != name:
            data["label"] = visible(base)
        if self.group[node] is not None:
            data["module"] = self.module_index[self.group[node]]
        if node in self.folded:
            data["folded"] = True
        if tensor:
            data["shape"] = format_shape(np.shape(node.data))
            data["dtype"] = str(np.asarray(node.data).dtype)
        else:
            data["gradNum"] = number(grad) if grad is not None else None
        if node.parents:
            data["expr"] = f"{self.names[node]} = {expression(node, self.names)}"
            data["locals"] = self.locals(node)
            if self.grads:
                data["sent"] = [summary(s) if tensor else number(s) for s in self.sent[node]]
        if needs:
            data["terms"] = self.terms(node)
            data["paths"] = self.paths[node]
        data["sections"] = self.sections(node, data)
        return data

    def value_text(self, node: Any) -> str:
        tensor = tensor_node(node)
        return (format_shape(np.shape(node.data)) if tensor and np.ndim(node.data)
                else format_number(np.asarray(node.data).item() if tensor else node.data))

    def forward_text(self, node: Any) -> str:
        name = self.names[node]
        if not node.parents:
            if is_const(node):
                return (f"{name}   (a constant)" if name == self.value_text(node)
                        else f"{name} = {self.value_text(node)}   (a constant)")
            return f"{name} = {self.value_text(node)}   (an input)"
        return f"{name} = {expression(node, self.names)} = {self.value_text(node)}"

    def locals(self, node: Any) -> list[dict]:
        """Per input: its index, the rule (text lines for a Tensor) and, for a Value, the number."""
        if tensor_node(node):
            return [{"input": self.index[p], "rule": tensor_rule(node, i, self.names)}
                    for i, p in enumerate(node.parents)]
        return [{"input": self.index[p], "rule": rule_text(node, i, self.names),
                 "number": number(d)}
                for i, (p, d) in enumerate(zip(node.parents, node.local_grads))]

    def terms(self, node: Any) -> list[dict]:
        """The chain rule's terms for this node's gradient, one per use (consumer c, input i):
        ∂L/∂c × ∂c/∂node for a Value; what c sent for a Tensor."""
        out = []
        for child, i, upstream, local in self.raw_terms(node):
            term_: dict = {"child": self.index[child], "input": i}
            if tensor_node(node):
                term_["sent"] = summary(self.sent[child][i])
            else:
                term_.update(upstream=number(upstream), local=number(local),
                             product=number(upstream * local))
            out.append(term_)
        return out

    def raw_terms(self, node: Any) -> list[tuple]:
        """(consumer, input slot, upstream gradient, local derivative) per use; the numbers are
        floats for a Value, None for a Tensor."""
        out = []
        for child, i in self.uses[node]:
            if tensor_node(node):
                out.append((child, i, None, None))
            else:
                out.append((child, i, float(plain(grad_of(child))),
                            float(plain(child.local_grads[i]))))
        return out

    def backward_lines(self, node: Any) -> list[str]:
        """The text of this node's backward step: upstream gradient × local derivative, per input."""
        name, names, keys = self.names[node], self.names, self.keys
        g = grad_of(node)
        if tensor_node(node):
            lines = [f"{name} = {expression(node, names)}   shape "
                     f"{format_shape(np.shape(node.data))}",
                     f"upstream gradient ∂{self.root}/∂{name}: {summary(g)}"]
            for i, parent in enumerate(node.parents):
                if is_const(parent) or not getattr(parent, "requires_grad", True):
                    what = "a constant" if is_const(parent) else "requires_grad=False"
                    lines.append(f"→ {names[parent]}: nothing ({what}: it needs no gradient)")
                    continue
                rule = "; ".join(tensor_rule(node, i, names))
                lines.append(f"→ {keys[parent]}: {rule}")
                lines += passes_note(parent, keys, summary(self.sent[node][i]))
            return lines
        lines = [f"{name} = {expression(node, names)} = {format_number(node.data)}",
                 f"upstream gradient ∂{self.root}/∂{name} = {format_number(plain(g))}"]
        for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            if is_const(parent):
                lines.append(f"→ {names[parent]}: nothing (a constant: it needs no gradient)")
                continue
            up, loc = float(plain(g)), float(plain(local))
            lines.append(f"→ {keys[parent]}: {format_number(up)} × {format_number(loc)} = "
                         f"{format_number(up * loc)}   ({rule_text(node, i, names)})")
            lines += passes_note(parent, keys, format_number(up * loc))
        return lines

    # ---- the panel's text -------------------------------------------------------------------
    def sections(self, node: Any, data: dict) -> list:
        """[title, lines] pairs the panel shows above the paths (which the page expands)."""
        tensor = tensor_node(node)
        out = [["Value", data["value"]]]
        if "module" in data:
            scope = self.modules[data["module"]]
            out.insert(0, ["Drawn inside", [f"the collapsed module {scope} (one box in the "
                                            "picture; explore with collapse=False to see it)"]])
        if data["const"]:
            out.append(["A constant", ["a number lifted into the graph from Python: it needs no "
                                       "gradient, so none is computed, and no path leads to it"]])
            return out
        if not self.grads:
            out.append(["Gradient", ["none yet: call backward() on the output"]])
        elif not data["grad"]:
            out.append(["Gradient", ["none: it needs no gradient (requires_grad=False), so the "
                                     "backward pass computes none and no path leads to it"]])
        else:
            out.append(self.gradient_section(node, data))
        if not node.parents:
            out.append(["How it was computed", ["an input (a leaf): nothing computed it"]])
        else:
            how = [data["expr"] + ("" if tensor else f" = {format_number(node.data)}")]
            given = [f"{self.keys[p]} = {format_number(p.data)}" for p in node.parents
                     if not tensor and self.names[p] != self.value_text(p)]
            if given:
                how.append("with " + ", ".join(given))
            out.append(["How it was computed", how])
            out.append(["Local derivatives", self.local_lines(node, data)])
        if data["grad"]:
            out.append(["Chain rule", self.chain_lines(node, data)])
        return out

    def gradient_section(self, node: Any, data: dict) -> list:
        name, root = self.keys[node], self.root
        tensor = tensor_node(node)
        grad = grad_of(node)
        lines = list(data["grad"])
        if tensor:
            lines += array_nonfinite(grad, f"∂{root}/∂{name}")
        else:
            note = nonfinite_note(float(plain(grad)), f"∂{root}/∂{name}")
            lines += [note] if note else []
        if data["passes"] > 1:
            now = self.this_pass(node)
            now_text = summary(now) if tensor else format_number(now)
            lines.append(f".grad holds the sum of {data['passes']} backward passes (leaves "
                         f"accumulate); this pass gave ∂{root}/∂{name} = {now_text}, the terms "
                         "below are this pass's")
            return [f"Gradient (.grad, {data['passes']} passes summed)", lines]
        return [f"Gradient ∂{root}/∂{name}", lines]

    def local_lines(self, node: Any, data: dict) -> list[str]:
        name, names, keys = self.names[node], self.names, self.keys
        lines = []
        for i, (parent, local) in enumerate(zip(node.parents, data["locals"])):
            if tensor_node(node):
                lines += [f"∂{name}/∂{names[parent]}:"] + ["  " + r for r in local["rule"]]
                continue
            d = float(plain(node.local_grads[i]))
            lhs, rhs = scalar_rule(node, i, names)
            text = f"∂{name}/∂{names[parent]} = {lhs}"
            number_text = format_number(d)
            if rhs and rhs != number_text:
                text += f" = {rhs}"
            text += f" = {number_text}"
            if not math.isfinite(d):
                what = "infinite" if math.isinf(d) else "undefined (nan)"
                text += f": {what} at {keys[parent]} = {format_number(parent.data)}"
            lines.append(text)
        return lines

    def chain_lines(self, node: Any, data: dict) -> list[str]:
        name, names, root = self.keys[node], self.names, self.root
        if node is self.output:
            return [f"∂{root}/∂{root} = {summary(grad_of(node))}: the seed the backward pass "
                    "starts from"]
        head = (f"∂{root}/∂{name} = Σ over every node that uses {name}: ∂{root}/∂(that node) × "
                f"∂(that node)/∂{name}")
        lines = [head]
        passes = data["passes"]
        if tensor_node(node):
            terms = data["terms"]
            for t in terms:
                child = self.order[t["child"]]
                lines.append(f"  from {self.keys[child]} ({child.op}): {t['sent']}")
                lines += ["    " + r for r in tensor_rule(child, t["input"], names)]
            plural = "" if len(terms) == 1 else f" (the sum of {len(terms)} terms)"
            if passes > 1:
                lines.append(f"  = {summary(self.this_pass(node))} in this pass{plural}")
                lines.append(f".grad holds {passes} passes: {summary(grad_of(node))}")
            else:
                lines.append(f"  = {summary(grad_of(node))}{plural}")
            return lines
        raw = self.raw_terms(node)
        for child, _, up, loc in raw:
            c = self.keys[child]
            lines.append(f"  via {c}: ∂{root}/∂{c} × ∂{c}/∂{name} = {format_number(up)} × "
                         f"{format_number(loc)} = {format_number(up * loc)}")
        products = " + ".join(f"{format_number(up)} × {format_number(loc)}"
                              for _, _, up, loc in raw)
        if passes > 1:
            now = self.this_pass(node)
            total = float(plain(grad_of(node)))
            lines.append(f"∂{root}/∂{name} = {format_number(now)} = {products}   (this pass)")
            lines.append(f".grad = {format_number(total)} holds {passes} backward passes: this "
                         f"pass's {format_number(now)} plus {format_number(total - now)} from "
                         "the earlier ones")
        else:
            lines.append(f"∂{root}/∂{name} = {format_number(plain(grad_of(node)))} = {products}")
        return lines

    # ---- collapsed modules -------------------------------------------------------------------
    def module(self, j: int) -> dict:
        scope = self.modules[j]
        inside = [n for n in self.order if self.group[n] == scope]
        members = set(inside)
        inputs, seen = [], set()
        for n in inside:
            for p in n.parents:
                if p not in members and p not in seen:
                    seen.add(p)
                    inputs.append(p)
        outputs = [n for n in inside
                   if n is self.output or any(c not in members for c, _ in self.uses[n])]
        leaves = [n for n in inside if not n.parents]
        ops = [n for n in inside if n.parents]

        def grad_part(n: Any) -> str:
            if not self.needs_grad(n):
                return ""
            g = grad_of(n)
            return f", gradient {summary(g) if tensor_node(n) else format_number(plain(g))}"

        def capped(lines: list[str]) -> list[str]:
            if len(lines) <= MAX_MODULE_LINES:
                return lines
            return lines[:MAX_MODULE_LINES] + [f"… and {len(lines) - MAX_MODULE_LINES} more"]

        sections = [["Module", [f"{scope}: {len(inside)} nodes drawn as one box "
                                "(explore with collapse=False to see them); "
                                "tracegrad.select(name) explains any of them"]]]
        if inputs:
            sections.append(["Inputs from outside", capped(
                [f"{self.keys[p]} = {self.value_text(p)}" for p in inputs])])
        sections.append(["Results it hands on", capped(
            [f"{self.keys[n]} = {expression(n, self.names) + ' = ' if n.parents else ''}"
             f"{self.value_text(n)}{grad_part(n)}" for n in outputs])])
        if leaves:
            sections.append(["Parameters and constants inside", capped(
                [f"{self.keys[n]} = {self.value_text(n)}"
                 f"{'   (a constant)' if is_const(n) else grad_part(n)}" for n in leaves])])
        if ops:
            sections.append(["Computed inside, in order", capped(
                [f"{self.keys[n]} = {expression(n, self.names)} = {self.value_text(n)}"
                 for n in ops])])
        outs = ", ".join(f"{self.keys[n]} = {self.value_text(n)}" for n in outputs[:3])
        fwd = (f"{scope} (one box: {len(inside)} nodes inside) computes {outs}"
               + ("" if len(outputs) <= 3 else f" and {len(outputs) - 3} more"))
        bwd = [f"{scope} (one box: {len(inside)} nodes inside) takes the gradient of "
               + ", ".join(self.keys[n] for n in outputs[:3])
               + (" …" if len(outputs) > 3 else "") + " back through its nodes"]
        if self.grads:
            for p in inputs[:5]:
                if self.needs_grad(p):
                    sent = [self.sent[c][i] for c, i in self.uses[p] if c in members]
                    total = (summary(sum(np.asarray(s) for s in sent)) if tensor_node(p)
                             else format_number(math.fsum(float(plain(s)) for s in sent)))
                    bwd.append(f"→ {self.keys[p]}: {total}")
            params = [n for n in leaves if self.needs_grad(n)]
            if params:
                bwd.append("its parameters get their gradients: " + ", ".join(
                    f"{self.keys[n]} {summary(grad_of(n))}" for n in params[:6])
                    + (" …" if len(params) > 6 else ""))
        return {"name": scope, "short": scope.rsplit("/", 1)[-1],
                "nodes": [self.index[n] for n in inside], "sections": sections,
                "fwd": fwd, "bwd": "\n".join(bwd)}

    # ---- the playback ------------------------------------------------------------------------
    def unit(self, node: Any) -> dict:
        g = self.group[node]
        return {"node": self.index[node]} if g is None else {"module": self.module_index[g]}

    def steps(self, sequence: list, modules: list[dict], key: str) -> list[dict]:
        """One step per node of `sequence` drawn on its own; folded constants none; the nodes of
        a collapsed module in one step: in the forward pass where its last node is computed (all
        of it is), in the backward pass where the engine first visits one of its nodes (the
        gradients of what it hands on are known then, those of its inputs not yet).
        `key`: 'fwd' or 'bwd'."""
        members: dict = {}
        for n in sequence:
            if self.group[n] is not None:
                members.setdefault(self.group[n], []).append(self.index[n])
        last = {}
        for pos, n in enumerate(sequence):
            if self.group[n] is not None and (key == "fwd" or self.group[n] not in last):
                last[self.group[n]] = pos
        out = []
        for pos, n in enumerate(sequence):
            g = self.group[n]
            if g is None:
                if n in self.folded:
                    continue
                text = (self.forward_text(n) if key == "fwd"
                        else "\n".join(self.backward_lines(n)))
                out.append({"node": self.index[n], "nodes": [self.index[n]], "text": text})
                continue
            if last[g] == pos:
                j = self.module_index[g]
                out.append({"module": j, "nodes": members[g], "text": modules[j][key]})
        return out

    # ---- the whole graph ------------------------------------------------------------------
    def describe(self) -> dict:
        nodes = [self.node(n) for n in self.order]
        modules = [self.module(j) for j in range(len(self.modules))]
        visits = backward_visits(self.output) if self.grads else []
        seed = (f"Seed: ∂{self.root}/∂{self.root} = "
                f"{summary(grad_of(self.output)) if self.grads else '—'}: the backward pass "
                f"starts at {self.root}")
        if self.group[self.output] is not None:
            seed += f" (inside the collapsed module {self.group[self.output]})"
        forward = self.steps(self.order, modules, "fwd")
        backward = self.steps(visits, modules, "bwd")
        for m in modules:
            del m["fwd"], m["bwd"]
        return {
            "output": self.index[self.output], "tensor": self.tensor, "hasGrad": self.grads,
            "root": self.root, "nodes": nodes, "modules": modules,
            "seedUnit": self.unit(self.output),
            "forward": forward, "backward": backward, "seed": seed,
        }


def describe(output: Any, *, max_paths: int = MAX_PATHS, collapse: bool = False,
             constants: str = "show") -> dict:
    """The explorer's JSON-ready description of the graph of `output` (a Value or Tensor).

    Keys: output (its index), tensor, hasGrad, root (its name), nodes (see the module's
    docstring; node k is the SVG's n{k}), modules (with collapse=True: module j is the SVG's
    m{j}: its scope, its nodes, its panel), forward and backward (the playback's steps: each
    {'node': k} or {'module': j}, the nodes it computes or visits, its text; the page plays the
    seed step before the backward ones), seedUnit, seed.
    """
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"describe: max_paths must be a positive int, got {max_paths!r}")
    if not isinstance(collapse, bool):
        raise TypeError(f"collapse must be True or False, got {collapse!r}")
    return _Describer(output, max_paths, collapse, constants).describe()


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
