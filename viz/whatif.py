"""What the explorer's page needs for what-if and practice (viz/static/whatif.js, practice.js).

What-if (scalar graphs): the page recomputes every value and gradient itself when a leaf changes,
with the rules of autograd/value.py written again in JavaScript (whatif.js). For that it needs,
per node, the exact value, the operation's name (already in the description) and, for `x ** n`
with a constant n, the exponent; and for the panel's text the two sides of each local rule.
A Tensor graph, or a scalar graph with an operation the page does not know (an
autograd.Function), stays read-only, and `editable` says why.

Practice (any graph): the page hides the gradients and checks the learner's answers against the
real ones. A Tensor node is answered by its shape and one element, chosen here (the entry of
largest |gradient|, the first of equals); the page gets that element's value and what each
consumer sent to it.

`practice(output)` is `explore(output)` opened in practice mode.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import backward_order

from .describe import _Describer, number, tensor_node
from .nodes import as_outputs, consumers_of, grad_of, graph_order, has_gradients, plain
from .rules import exponent_of, scalar_rule

# the scalar operations whatif.js recomputes: autograd/value.py's rules, by op_name
LIVE_OPS = frozenset({"add", "sub", "mul", "div", "pow", "neg", "exp", "log", "tanh", "sigmoid",
                      "relu", "sqrt", "abs"})
TENSOR_READ_ONLY = ("This is a Tensor graph: its values are read-only here. The page recomputes "
                    "scalar (Value) graphs only; a Tensor operation's forward and backward are "
                    "NumPy code the page does not carry. Change the data in Python and call "
                    "viz.explore again.")


def _element(x: Any, index: tuple) -> float | str:
    """One entry of an array (or the number itself for a 0-d one), for JSON."""
    return number(np.asarray(plain(x), dtype=np.float64)[index])


def _chosen_index(grad: Any) -> tuple:
    """The entry a learner answers for a Tensor: the largest |gradient| (the first of equals;
    nan counts as largest, so that it is asked about)."""
    a = np.abs(np.asarray(grad, dtype=np.float64))
    if a.ndim == 0:
        return ()
    a = np.where(np.isnan(a), np.inf, a)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(a)), a.shape))


def live_data(output: Any, collapse: bool = False, constants: str = "show") -> dict:
    """The page's what-if and practice data for the graph of `output`, node k as in describe().

    Keys: editable (True, or why the values are read-only), grads (whether a backward pass ran),
    nodes: per node {v: value (scalars), n: the exponent of x ** n, rules: [[lhs, rhs], ...]
    per input (scalars), need: whether it has a gradient to find, pick/shape/element/sent for a
    Tensor node with one}; order: the indices of the nodes with parents in the order the
    backward pass runs them (autograd.backward_order), which the page's backward pass follows.
    """
    order = graph_order(output)
    index = {n: k for k, n in enumerate(order)}
    describer = _Describer(output, 1, collapse, constants)
    tensor = tensor_node(output)
    grads = has_gradients(output)
    unknown = sorted({n.op_name for n in order if n.parents and not tensor_node(n)
                      and n.op_name not in LIVE_OPS})
    if tensor:
        editable: Any = TENSOR_READ_ONLY
    elif unknown:
        editable = (f"This graph uses {', '.join(unknown)}, an operation the page cannot "
                    "recompute (it knows autograd/value.py's own operations): its values are "
                    "read-only here.")
    else:
        editable = True
    uses = consumers_of(order)
    nodes = []
    for node in order:
        item: dict = {"need": bool(grads and describer.needs_grad(node) and node is not output)}
        if not tensor_node(node):
            item["v"] = float(node.data)
            n = exponent_of(node)
            if n is not None and node.op_name == "pow" and len(node.parents) == 1:
                item["n"] = n
            if node.parents:
                item["rules"] = [list(scalar_rule(node, i, describer.names))
                                 for i in range(len(node.parents))]
        elif item["need"]:
            g = np.asarray(grad_of(node), dtype=np.float64)
            pick = _chosen_index(g)
            item.update(pick=list(pick), shape=list(g.shape), element=_element(g, pick))
            sent = []
            for child, i in uses[node]:
                s = describer.sent.get(child, (None,) * 2)[i]
                ok = s is not None and np.shape(s) == g.shape
                sent.append({"child": index[child], "value": _element(s, pick) if ok else None})
            item["sent"] = sent
        nodes.append(item)
    order = [index[n] for n in backward_order(as_outputs(output))]  # the engine's order
    return {"editable": editable, "grads": grads, "nodes": nodes, "order": order}


def practice(output: Any, **options: Any) -> Any:
    """An explorer of `output` opened in practice mode: the gradients are hidden and the learner
    fills them in, node by node, in the backward pass's order or any order; each answer is checked
    (to the 6 digits the page shows, or 1e-3 relative), a wrong one answered with that node's
    chain rule in the learner's own upstream numbers. A Tensor node is answered by its shape and
    one element. Needs the gradients: call output.backward() first. Options as for viz.explore.
    """
    from .explore import Explorer

    if not has_gradients(output):
        name = getattr(output, "label", "") or "the output"
        raise ValueError(f"viz.practice: {name} has no gradients yet: call {name}.backward() "
                         "first (the page hides them until you find them)")
    options.setdefault("title", None)
    explorer = Explorer(output, options.pop("mode", "auto"), caller="viz.practice", **options)
    explorer.practice = True
    if options["title"] is None:
        explorer.title = f"Practise the backward pass: find every ∂{explorer.data['root']}/∂x"
    return explorer

