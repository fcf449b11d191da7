"""`viz.check(output)`: every node's gradient against a reference, and the operation that breaks it.

    result = viz.check(loss)                      # or reference="torch"
    result.ok, result.first_bad                   # True/False, the node whose backward is wrong
    print(result)                                 # the verdict and a table, node by node
    result.draw()                                 # the graph coloured by each node's error

The engine's gradient of every node (one backward pass, `autograd.grad`, leaving `.grad` alone) is
compared with a reference:
- "numerical": each node's value is nudged by ±h, entry by entry, and the recorded operations
  downstream of it are replayed (`node.recompute`) up to the output: central differences in
  float64;
- "torch": the graph is replayed in PyTorch, operation by operation, and PyTorch differentiates it
  (a custom Function is replayed with its `torch_forward`, or through `torch_ops`, else its
  derivative comes from central differences of its forward, and the result says so).
Each operation's backward step is checked on its own too: what it sends to each input, given the
gradient it received, against the same reference for that one operation. The operation named is
the first node, in the backward pass's order, whose own gradient agrees with the reference but
which sends a wrong gradient to at least one of its inputs: everything before it in the pass is
right, everything after it has received its mistake.
"""
from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from autograd import Tensor, grad, topological_order
from autograd.gradcheck import differences, kink_text, mismatch_hint

from .build import build
from .dot import Graph
from .graph import write_graph
from .nodes import check_node, node_names
from .page import inline_svg

REFERENCES = ("numerical", "torch")
H = 1e-6  # relative step of the central differences: h·max(1, |x|)
MAX_ENTRIES = 200  # entries per node perturbed by the numerical reference (a seeded sample beyond)
OK_FILL, NEAR_FILL, BAD_FILL = "#d8f5dc", "#ffe2b3", "#ffb3b3"
BAD_OP_FILL, BAD_COLOR = "#ff6b6b", "#cf222e"


@dataclass
class SendCheck:
    """What one node's backward step sent to one input, against the reference for that step."""

    index: int  # which input of the operation (0: a / x, 1: b)
    input: str  # the input's name in the drawing
    abs_error: float
    rel_error: float
    ok: bool
    hint: str = ""
    kink: bool = False  # not checkable: an input entry sits at a kink of the operation


@dataclass
class NodeCheck:
    """One node: its gradient from the engine against the reference, and its backward step."""

    node: Any
    name: str  # its name in the drawing (label, or v1, v2, ...)
    op: str  # the operation that computed it ('leaf' for an input)
    shape: tuple
    grad: Any  # the engine's gradient (this pass)
    reference: Any  # the reference gradient (NaN where an entry was not sampled)
    abs_error: float
    rel_error: float  # max |grad − reference| / max(max |grad|, max |reference|)
    ok: bool
    worst: tuple | None = None  # the entry with the largest error
    sends: list[SendCheck] = field(default_factory=list)
    sampled: int | None = None  # how many entries were perturbed, when not all
    hint: str = ""
    kink: bool = False  # not checkable: the node's value sits at a kink of the function

    @property
    def sends_ok(self) -> bool:
        """Whether this node's backward sent the right gradient to every input."""
        return all(s.ok for s in self.sends)


@dataclass
class CheckResult:
    """What `viz.check` found: `.ok`, `.first_bad` (the node whose backward is wrong, or None),
    `.nodes` (a NodeCheck per node, in the backward pass's order), `.errors` (node -> relative
    error), the tolerance and why; prints as a verdict and a table, draws coloured (`.draw()`,
    `.save(path)`), shows both in Jupyter."""

    output: Any
    reference: str
    nodes: list[NodeCheck]
    rtol: float
    atol: float
    why: str  # why the tolerance is what it is
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok and c.sends_ok for c in self.nodes)

    @property
    def first_bad_check(self) -> NodeCheck | None:
        """The NodeCheck of the first node (backward order) whose own gradient is right and
        which sends a wrong one."""
        return next((c for c in self.nodes if c.ok and not c.sends_ok
                     and not all(s.kink for s in c.sends if not s.ok)), None)

    @property
    def first_bad(self) -> Any:
        found = self.first_bad_check
        return found.node if found is not None else None

    @property
    def errors(self) -> dict:
        """node -> the relative error of its gradient against the reference."""
        return {c.node: c.rel_error for c in self.nodes}

    @property
    def tolerance(self) -> str:
        return (f"a gradient agrees when, entry by entry, |engine − reference| <= rtol·max("
                f"|engine|, |reference|) + atol·(the node's largest |gradient|) + the reference's "
                f"own error allowance for that entry (numerical: the rounding of the terms "
                f"differenced and the truncation), with rtol = {self.rtol:g}, atol = "
                f"{self.atol:.3g}: {self.why}")

    def verdict(self) -> str:
        head = f"viz.check ({self.reference})"
        bad = self.first_bad_check
        if bad is not None:
            wrong = [s for s in bad.sends if not s.ok]
            where = "; ".join(
                f"to its input {s.input!r} (input {s.index}) it sends rel. error "
                f"{_num(s.rel_error)}" + (f": {s.hint}" if s.hint else "") for s in wrong)
            return (f"{head}: the backward of {bad.name} = {bad.op} is wrong. Its own gradient "
                    f"agrees with the reference (rel. error {_num(bad.rel_error)}), but {where}. "
                    f"Every node before it in the backward pass is right.")
        if self.ok:
            largest = max((c.rel_error for c in self.nodes), default=0.0)
            return (f"{head}: all {len(self.nodes)} gradients agree with the reference "
                    f"(largest rel. error {_num(largest)})")
        kinks = [x for c in self.nodes for x in [c] + c.sends if not x.ok and x.kink]
        if kinks:
            return f"{head}: not checkable here: {kinks[0].hint}"
        wrong = next(c for c in self.nodes if not c.ok)
        return (f"{head}: the gradient of {wrong.name} disagrees with the reference (rel. error "
                f"{_num(wrong.rel_error)}), yet no single operation's backward step is wrong: the "
                f"gradients are summed wrongly, or the reference is unreliable here (a kink "
                f"within h, e.g. relu at 0)")

    def rows(self) -> list[tuple[str, ...]]:
        """The table: one row per node in the backward pass's order."""
        first = self.first_bad_check
        out = []
        for c in self.nodes:
            sends = ", ".join(f"{s.input}: {_num(s.rel_error)}" for s in c.sends) or "-"
            status = ("← FIRST BAD (its backward)" if c is first else
                      "ok" if c.ok and c.sends_ok else
                      "wrong grad" if not c.ok else "sends wrong")
            out.append((c.name, c.op, str(c.shape), _num(c.rel_error), sends, status))
        return out

    def __str__(self) -> str:
        header = ("node", "op", "shape", "grad rel err", "sends (rel err)", "verdict")
        body = self.rows()
        widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
        table = ["  " + "  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip()
                 for r in [header] + body]
        lines = [textwrap.fill(self.verdict(), 100, subsequent_indent="  "), ""]
        lines += table[:1] + ["  " + "  ".join("-" * w for w in widths)] + table[1:]
        if self.notes:
            lines.append("notes:")
            lines += [textwrap.fill(n, 100, initial_indent="  - ", subsequent_indent="    ")
                      for n in self.notes]
        lines.append(textwrap.fill(f"tolerance: {self.tolerance}", 100, subsequent_indent="  "))
        return "\n".join(lines)

    __repr__ = __str__

    def draw(self, **options: Any) -> Graph:
        """The graph (viz.draw's options), each variable's box filled by its gradient's error
        (green: agrees, orange: off by up to 1 %, red: more), each operation whose backward
        sends a wrong gradient red, the first bad one with a thick border, errors as tooltips."""
        graph = build(self.output, options.pop("mode", "auto"), **options)
        index = {n: i for i, n in enumerate(topological_order(reversed([self.output])))}
        first = self.first_bad
        for c in self.nodes:
            k = index.get(c.node)
            if k is None:
                continue
            fill = OK_FILL if c.ok else NEAR_FILL if c.rel_error < 1e-2 else BAD_FILL
            graph.node(f"n{k}", fillcolor=fill,
                       tooltip=f"{c.name}: grad rel. error {_num(c.rel_error)} ({self.reference})")
            if c.node.parents and not c.sends_ok:
                attrs = {"fillcolor": BAD_OP_FILL, "tooltip": f"{c.op}: its backward sends "
                         + ", ".join(f"{s.input}: rel. error {_num(s.rel_error)}"
                                     for s in c.sends)}
                if c.node is first:
                    attrs.update(color=BAD_COLOR, penwidth="4", xlabel="first bad")
                graph.node(f"n{k}_op", **attrs)
        graph.attr(label=self.verdict().split(". ")[0], labelloc="t", fontsize="12")
        return graph

    def save(self, path: str, **options: Any) -> str:
        """Write the coloured drawing (svg, png, pdf, or DOT for .dot/.gv); returns path."""
        write_graph(self.draw(**options), path)
        return str(path)

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.ok else BAD_COLOR
        try:
            picture = inline_svg(self.draw().pipe(format="svg").decode("utf-8"))
        except Exception:  # noqa: BLE001 - no Graphviz: the table still shows
            picture = ""
        cells = "".join(f"<th>{h}</th>" for h in ("node", "op", "shape", "grad rel err",
                                                   "sends (rel err)", "verdict"))
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in r) + "</tr>"
                       for r in self.rows())
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes + [self.tolerance])
        return (f'<div><p style="color:{color}"><b>{html.escape(self.verdict())}</b></p>'
                f"{picture}<table><tr>{cells}</tr>{rows}</table><ul>{notes}</ul></div>")


def _num(x: float) -> str:
    return "-" if x is None or np.isnan(x) else f"{x:.2g}"


# ---- the check ----------------------------------------------------------------------------------
def check(output: Any, reference: str = "numerical", *, seed: int = 0, h: float = H,
          rtol: float | None = None, atol: float | None = None, max_entries: int = MAX_ENTRIES,
          torch_ops: Mapping[Any, Callable[..., Any]] | None = None) -> CheckResult:
    """Check the gradient of every node of `output`'s graph against a reference, and name the
    operation whose backward is wrong (see the module's docstring).

    output: a Value or a Tensor (a non-scalar Tensor is reduced to sum(output·R), R a seeded
    random array). reference: "numerical" (central differences in float64, replaying the recorded
    operations) or "torch" (the graph replayed in PyTorch). rtol, atol: the tolerance (by default
    chosen from the reference and the graph's dtype; the result says why). max_entries: the
    numerical reference perturbs at most this many entries per node (a seeded sample).
    torch_ops: for reference="torch", PyTorch versions of custom operations, keyed by Function
    class or op_name: {MyOp: lambda x: torch.nn.functional.softplus(x)}.
    The graph and every `.grad` are left as they were.
    """
    check_node(output, "viz.check checks a Value or Tensor")
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {', '.join(map(repr, REFERENCES))}, "
                         f"got {reference!r}")
    if not output.parents:
        raise ValueError("viz.check: the output is a leaf; there is no operation to check")
    order = topological_order(reversed([output]))
    names = node_names(order)
    graph = _Graph(output, order, seed)
    engine, notes = graph.engine_gradients()
    nodes = graph.gradients_and_sends(engine)
    if reference == "numerical":
        ref = _Numerical(graph, h, max_entries, seed)
    else:
        ref = _Torch(graph, h, torch_ops or {})
    own = ref.own()
    dtype_note, default_rtol, default_atol, why = _tolerance(graph, reference, ref.fallbacks, h)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if rtol != default_rtol or atol != default_atol:
        why = "given by the caller"
    notes += dtype_note + ref.notes
    checks = []
    for node in reversed(order):
        if node not in nodes:
            continue
        g, sent = nodes[node]
        r, sampled, allow, kink = own[node]
        c = _compare_node(node, names[node], g, r, rtol, atol, sampled, allow, kink)
        for i, s in sent.items():
            parent = node.parents[i]
            try:
                expected, allow, kink = ref.send(node, i, g)
            except Exception as e:  # noqa: BLE001 - e.g. it received a gradient of a wrong shape
                c.sends.append(SendCheck(i, names[parent], np.nan, np.nan, False,
                                         f"not checked: {type(e).__name__}: {e}"))
                continue
            abs_e, rel_e, ok, hint = _compare(s, expected, rtol, atol, names[parent], allow,
                                              kink, graph.values[parent])
            c.sends.append(SendCheck(i, names[parent], abs_e, rel_e, ok, hint,
                                     kink is not None and bool(np.any(np.asarray(kink) > 0))))
        checks.append(c)
    return CheckResult(output, reference, checks, rtol, atol, why, notes)


def _op_title(node: Any) -> str:
    fn = getattr(node, "function", None)
    return repr(fn) if fn is not None else (node.op_name or node.op or "leaf")


def _needs(node: Any) -> bool:
    """Whether a node gets a gradient worth checking (not a constant, not plain data)."""
    return bool(node.requires_grad) and not getattr(node, "is_constant", False)


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) or hasattr(x, "parents") else x


class _Graph:
    """The graph being checked: its order, float64 values, seed, and the engine's gradients."""

    def __init__(self, output: Any, order: list, seed: int) -> None:
        self.output, self.order = output, order
        self.tensor = isinstance(output, Tensor)
        self.values = {n: self.float64(n.data) for n in order}
        self.consumers: dict = {n: [] for n in order}
        for n in order:
            for p in n.parents:
                self.consumers[p].append(n)
        shape = np.shape(output.data)
        self.seed = (np.ones(shape) if np.size(output.data) == 1
                     else np.random.default_rng(seed).standard_normal(shape))
        self.needing = [n for n in order if _needs(n)]

    def float64(self, x: Any) -> Any:
        return np.array(x, dtype=np.float64) if self.tensor else float(x)

    def loss(self, out: Any) -> float:
        return float(np.sum(self.terms(out)))

    def terms(self, out: Any) -> np.ndarray:
        """The terms of the loss sum(output·seed), one per output entry."""
        return np.asarray(out, dtype=np.float64) * self.seed

    def recompute(self, node: Any, inputs: list) -> Any:
        if self.tensor:
            return np.asarray(node.recompute(*inputs), dtype=np.float64)
        return float(node.recompute(*(float(x) for x in inputs)))

    def downstream(self, node: Any) -> list:
        """The nodes computed from `node`, directly or not, in topological order."""
        reached, stack = {node}, [node]
        while stack:
            for c in self.consumers[stack.pop()]:
                if c not in reached:
                    reached.add(c)
                    stack.append(c)
        return [n for n in self.order if n in reached and n is not node]

    def engine_gradients(self) -> tuple[dict | None, list[str]]:
        """node -> its gradient from one engine pass (autograd.grad), or None when the engine
        cannot run it (then the gradients are accumulated from each node's input_grads)."""
        seed = self.seed if self.tensor else 1.0
        try:
            found = grad(self.output, self.needing, seed, retain_graph=True)
        except Exception as e:  # noqa: BLE001 - e.g. released by an earlier backward()
            why = ("backward() had run and released what the operations saved"
                   if "second time" in str(e) else f"{type(e).__name__}: {e}")
            return None, [f"the engine could not run a pass ({why}); each node's gradient was "
                          f"summed from what its consumers' backward steps send (input_grads)"]
        return {n: _plain(g) for n, g in zip(self.needing, found)}, []

    def gradients_and_sends(self, engine: dict | None) -> dict:
        """node -> (its gradient, {input index: what its backward sent there}) for every node
        that needs a gradient, walking the backward pass's order."""
        walked: dict = {self.output: self.seed if self.tensor else 1.0}
        out = {}
        for node in reversed(self.order):
            if not _needs(node):
                continue
            g = engine[node] if engine is not None else walked.get(node, self.zeros(node))
            g = self.float64(g) if g is not None else self.zeros(node)
            sent = {}
            if node.parents:
                for i, s in enumerate(self.input_grads(node, g)):
                    parent = node.parents[i]
                    if s is None or not _needs(parent):
                        continue
                    sent[i] = self.float64(s)
                    if engine is None and np.shape(s) == np.shape(parent.data):
                        walked[parent] = walked.get(parent, self.zeros(parent)) + sent[i]
            out[node] = (g, sent)
        return out

    def zeros(self, node: Any) -> Any:
        return np.zeros(np.shape(node.data)) if self.tensor else 0.0

    @staticmethod
    def input_grads(node: Any, g: Any) -> tuple:
        """What the node's backward sends to each input given gradient g (node.input_grads, with
        .grad set to g for the call and put back after)."""
        kept = node.grad
        try:
            node.grad = np.asarray(g, dtype=np.asarray(node.data).dtype) if isinstance(
                node, Tensor) else float(g)
            return node.input_grads()
        finally:
            node.grad = kept


def _entries(shape: tuple, limit: int, rng: np.random.Generator) -> tuple[list, int | None]:
    """Every index of `shape`, or a seeded sample of `limit` of them (and how many)."""
    every = list(np.ndindex(*shape))
    if len(every) <= limit:
        return every, None
    picked = sorted(rng.choice(len(every), size=limit, replace=False))
    return [every[i] for i in picked], limit


class _Numerical:
    """Central differences in float64, replaying the recorded operations with node.recompute."""

    def __init__(self, graph: _Graph, h: float, max_entries: int, seed: int) -> None:
        self.graph, self.h, self.max_entries = graph, h, max_entries
        self.rng = np.random.default_rng(seed + 1)
        self.fallbacks: list = []
        self.notes: list[str] = []
        self.sampled: dict = {}

    def own(self) -> dict:
        """node -> (the reference gradient, how many entries were sampled or None)."""
        g = self.graph
        out = {}
        for node in g.needing:
            after = g.downstream(node)

            def loss_at(value: Any, node: Any = node, after: list = after) -> Any:
                local = {node: value}
                for d in after:
                    local[d] = g.recompute(d, [local.get(p, g.values[p]) for p in d.parents])
                return g.terms(local.get(g.output, g.values[g.output]))

            out[node] = self.differences(loss_at, g.values[node])
        if any(v[1] for v in out.values()):
            self.notes.append(f"nodes with more than {self.max_entries} entries were checked on "
                              "a seeded random sample of them (max_entries)")
        return out

    def send(self, node: Any, i: int, g: Any) -> Any:
        """What a right backward of `node` sends to input i given gradient g: the central
        differences of <g, node recomputed with input i nudged>."""
        graph = self.graph
        inputs = [graph.values[p] for p in node.parents]

        def pairing(value: Any) -> float:
            args = list(inputs)
            args[i] = value
            out = graph.recompute(node, args)
            if np.shape(out) != np.shape(g):
                raise ValueError(f"gradient of shape {np.shape(g)} for {node!r}")
            return np.asarray(out, dtype=np.float64) * g
        d, _, allow, kink = self.differences(pairing, inputs[i])
        return d, allow, kink

    def differences(self, f: Callable[[Any], Any], x: Any) -> tuple:
        """(gradient, sampled, allowance, kink) of sum(f(x)): central differences term by term
        (autograd.gradcheck.differences), with each entry's error allowance and kink test."""
        if not isinstance(x, np.ndarray):
            d, allow, kink = differences(f, x, self.h)
            return d, None, allow, kink
        idx, sampled = _entries(x.shape, self.max_entries, self.rng)
        d, allow, kink = differences(f, x, self.h, idx)
        return d, sampled, allow, kink


class _Torch:
    """The graph replayed in PyTorch (float64), op by op; PyTorch's gradients of every node."""

    def __init__(self, graph: _Graph, h: float, torch_ops: Mapping) -> None:
        try:
            import torch
        except ImportError:
            raise ImportError("viz.check(reference='torch') needs PyTorch: pip install torch "
                              "(or use reference='numerical')") from None
        self.torch, self.graph, self.h, self.torch_ops = torch, graph, h, torch_ops
        self.fallbacks: list = []
        self.notes: list[str] = []

    def as_torch(self, x: Any, requires_grad: bool = False) -> Any:
        return self.torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)

    def own(self) -> dict:
        g = self.graph
        t: dict = {}
        for node in g.order:
            if not node.parents:
                t[node] = self.as_torch(g.values[node], _needs(node))
            else:
                t[node] = self.op(node)(*(t[p] for p in node.parents))
                if t[node].requires_grad:
                    t[node].retain_grad()
        loss = (t[g.output] * self.as_torch(g.seed)).sum()
        loss.backward()
        out = {}
        for node in g.needing:
            r = t[node].grad
            r = np.zeros(np.shape(node.data)) if r is None else r.detach().numpy()
            out[node] = ((r if g.tensor else float(r)), None, None, None)
        return out

    def send(self, node: Any, i: int, g: Any) -> Any:
        graph = self.graph
        inputs = [self.as_torch(graph.values[p], True) for p in node.parents]
        out = self.op(node)(*inputs)
        if tuple(out.shape) != np.shape(g):
            raise ValueError(f"viz.check: {node!r} received a gradient of shape {np.shape(g)} "
                             f"for its output of shape {tuple(out.shape)}")
        r, = self.torch.autograd.grad(out, [inputs[i]], self.as_torch(g), allow_unused=True)
        r = np.zeros(np.shape(graph.values[node.parents[i]])) if r is None else r.numpy()
        return (r if graph.tensor else float(r)), None, None

    def op(self, node: Any) -> Callable[..., Any]:
        """A PyTorch function computing `node` from its parents."""
        fn = getattr(node, "function", None)
        for key in (type(fn) if fn is not None else None, node.op_name):
            if key is not None and key in self.torch_ops:
                return self.torch_ops[key]
        if fn is not None and hasattr(fn, "torch_forward"):
            return fn.torch_forward
        known = (_tensor_op(self.torch, node.op_name, fn) if fn is not None
                 else _value_op(self.torch, node))
        if known is not None:
            return known
        if node not in self.fallbacks:
            self.fallbacks.append(node)
            self.notes.append(f"{_op_title(node)} has no PyTorch equivalent (give it a "
                              f"torch_forward, or pass torch_ops): its local derivative comes "
                              f"from central differences of its forward")
        return self.numerical_op(node)

    def numerical_op(self, node: Any) -> Callable[..., Any]:
        """A torch.autograd.Function whose forward is node.recompute and whose backward is the
        central-difference vector-Jacobian product (for operations PyTorch does not know)."""
        torch, graph, h = self.torch, self.graph, self.h

        class Numerical(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *xs):
                ctx.inputs = [x.detach().numpy().copy() for x in xs]
                return torch.tensor(graph.recompute(node, ctx.inputs))

            @staticmethod
            def backward(ctx, g):
                g, inputs, grads = g.numpy(), ctx.inputs, []
                for i, x in enumerate(inputs):
                    d = np.zeros(x.shape)
                    for idx in np.ndindex(*x.shape):
                        step = h * max(1.0, abs(float(x[idx])))
                        args = list(inputs)
                        args[i] = x.copy()
                        args[i][idx] += step
                        up = graph.recompute(node, args) * g
                        args[i][idx] -= 2 * step  # differenced term by term, then summed
                        d[idx] = np.sum(up - graph.recompute(node, args) * g) / (2 * step)
                    grads.append(torch.tensor(d))
                return tuple(grads)

        return Numerical.apply


def _value_op(torch: Any, node: Any) -> Callable[..., Any] | None:
    """PyTorch for a Value's operation (by op_name; x ** n reads n from its symbol '**n')."""
    name, n_in = node.op_name, len(node.parents)
    if name == "pow" and n_in == 1:
        n = float(node.op[2:])
        return lambda x: x ** n
    return {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
            "pow": torch.pow, "neg": torch.neg, "exp": torch.exp, "log": torch.log,
            "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
            "sqrt": torch.sqrt, "abs": torch.abs, "where": lambda x: x * 0.0}.get(name)


def _dims(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_index(torch: Any, index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_torch_index(torch, i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.as_tensor(index)
    return index


def _tensor_op(torch: Any, name: str, fn: Any) -> Callable[..., Any] | None:
    """PyTorch for a built-in Tensor operation (by op_name, parameters read from the Function)."""
    F = torch.nn.functional
    simple = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
              "pow": torch.pow, "neg": torch.neg, "exp": torch.exp, "log": torch.log,
              "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
              "abs": torch.abs, "matmul": torch.matmul, "astype": lambda x: x}
    if name in simple:
        return simple[name]
    if name == "powconst":
        return lambda x: x ** fn.n
    if name in ("sum", "mean", "max"):
        reduce = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[name]
        return lambda x: reduce(x, dim=_dims(fn.axis, x.ndim), keepdim=fn.keepdims) \
            if x.ndim else x * 1.0
    if name == "reshape":
        return lambda x: x.reshape(fn.shape)
    if name == "transpose":
        return lambda x: x.permute(fn.axes if fn.axes is not None
                                   else tuple(reversed(range(x.ndim))))
    if name == "broadcastto":
        return lambda x: x.expand(fn.shape)
    if name == "sumto":
        def sum_to(x: Any) -> Any:
            lead = x.ndim - len(fn.shape)
            dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(fn.shape)
                                              if n == 1 and x.shape[lead + i] != 1)
            return (x.sum(dim=dims, keepdim=True) if dims else x).reshape(fn.shape)
        return sum_to
    if name == "masked":
        return lambda x: torch.where(torch.as_tensor(np.asarray(fn.mask)),
                                     torch.tensor(float(fn.fill), dtype=x.dtype), x)
    if name == "getitem":
        return lambda x: x[_torch_index(torch, fn.index)]
    if name == "softmax":
        return lambda x: torch.softmax(x, dim=fn.axis)
    if name == "logsoftmax":
        return lambda x: torch.log_softmax(x, dim=fn.axis)
    if name == "crossentropy":
        from autograd.softmax_ops import check_targets

        def cross_entropy(x: Any) -> Any:
            labels, rows = check_targets("cross_entropy", tuple(x.shape), fn.target)
            if labels is not None:
                return F.cross_entropy(x, torch.as_tensor(labels, dtype=torch.long))
            return -(torch.as_tensor(rows, dtype=x.dtype) * torch.log_softmax(x, 1)).sum() \
                / x.shape[0]
        return cross_entropy
    return None


def _tolerance(graph: _Graph, reference: str, fallbacks: list,
               h: float) -> tuple[list[str], float, float, str]:
    """(notes, rtol, atol, why) from the reference and the graph's precision; atol is relative to
    each node's largest |gradient| (never to the loss), and the numerical reference adds each
    entry's own error allowance."""
    dtypes = {np.asarray(n.data).dtype for n in graph.order}
    low = [d for d in dtypes if d.kind == "f" and d.itemsize < 8]
    if low:
        worst = min(low, key=lambda d: d.itemsize)
        rtol = 1e-3 if worst.itemsize == 4 else 3e-2
        return ([f"the graph computes in {worst}; the reference in float64"], rtol, rtol * 1e-1,
                f"the graph computes in {worst} (precision {np.finfo(worst).eps:.1g}), so its "
                f"gradients carry that rounding, grown by each operation; a mistake in a formula "
                f"is off by far more")
    if reference == "torch" and not fallbacks:
        return ([], 1e-9, 1e-13,
                "both sides compute the same operations in float64 and differ only in the order "
                "of their roundings (~1e-15 relative); a mistake is off by far more")
    return ([], 1e-5, 1e-14,
            f"central differences in float64 with a step of {h:g}·max(1, |x|), term by term; "
            f"each entry's allowance is its own rounding and truncation, so a right gradient "
            f"agrees to ~1e-8 and a mistake in a formula is off by far more")


def _compare_node(node: Any, name: str, g: Any, r: Any, rtol: float, atol: float,
                  sampled: int | None, allow: Any = None, kink: Any = None) -> NodeCheck:
    abs_e, rel_e, ok, hint = _compare(g, r, rtol, atol, name, allow, kink, node.data)
    worst = None
    if np.ndim(g) and np.shape(g) == np.shape(r):
        diff = np.where(np.isnan(r), -1.0, np.abs(np.asarray(g) - r))
        worst = tuple(int(k) for k in np.unravel_index(np.argmax(diff), np.shape(g)))
    return NodeCheck(node, name, _op_title(node), tuple(np.shape(node.data)), g, r, abs_e, rel_e,
                     ok, worst, sampled=sampled, hint=hint,
                     kink=kink is not None and bool(np.any(np.asarray(kink) > 0)))


def _compare(a: Any, r: Any, rtol: float, atol: float, what: str, allow: Any = None,
             kink: Any = None, value: Any = None) -> tuple[float, float, bool, str]:
    """(max abs error, relative error, agrees, hint) of a gradient against the reference, over
    the entries the reference holds (a sample leaves NaN elsewhere). Entry by entry:
    |a − r| <= rtol·max(|a|, |r|) + atol·max over the node + allow (the reference's own error).
    An entry at a kink cannot be checked: it fails with words saying so, not blaming a backward."""
    a, r = np.asarray(a, dtype=np.float64), np.asarray(r, dtype=np.float64)
    if a.shape != r.shape:
        return (np.nan, np.inf, False, f"a gradient of shape {a.shape} for {what!r} of shape "
                f"{r.shape}" + (": not summed back over the broadcast axes (sum_to)"
                                if a.size > r.size else ""))
    allow = np.zeros(r.shape) if allow is None else np.asarray(allow, dtype=np.float64)
    kink = np.zeros(r.shape) if kink is None else np.asarray(kink, dtype=np.float64)
    held = ~np.isnan(r)
    if np.any(held & (kink > 0)):
        text = kink_text(what, np.where(held & (kink > 0), value, 0.0) if np.ndim(value)
                         else value, np.where(held, kink, 0.0))
        return np.nan, np.nan, False, text
    a, r, allow = a[held], r[held], allow[held]
    if not np.all(np.isfinite(a)):
        return np.inf, np.inf, False, "holds inf or nan"
    diff_all = np.abs(a - r)
    diff = float(np.max(diff_all, initial=0.0))
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(r), initial=0.0)))
    bound = rtol * np.maximum(np.abs(a), np.abs(r)) + atol * scale + allow
    ok = bool(np.all(diff_all <= bound))
    rel = diff / scale if scale > 0 else 0.0
    return diff, rel, ok, "" if ok else mismatch_hint(a, r, rtol, atol * scale + allow)
