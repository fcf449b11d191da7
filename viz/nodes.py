"""What viz reads from an engine node (Value or Tensor), and the names it gives them.

A node has `.data`, `.grad`, `.parents`, `.op`, `.label`, `.scope`, `.local_grads` and
`.grad_passes`; a node whose data is an ndarray is a tensor node (no local derivatives, shown by
shape). Nothing here draws.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd import topological_order

from .format import format_array_rows, format_number, format_shape


def is_tensor(node: Any) -> bool:
    """Whether `node` holds an array (a Tensor) rather than a float (a Value)."""
    return isinstance(node.data, np.ndarray)


def plain(x: Any) -> Any:
    """A number or array from a gradient that may itself be a graph node (create_graph=True)."""
    if x is None or isinstance(x, (np.ndarray, numbers.Number)):
        return x
    return getattr(x, "data", x)


def is_const(node: Any) -> bool:
    """A constant lifted from a Python number (the 2 of x * 2): a leaf whose gradient is no
    one's, drawn without one."""
    return bool(getattr(node, "is_constant", False)) and not node.parents


def grad_of(node: Any) -> Any:
    """The node's gradient as a float or ndarray, or None when it has none."""
    return plain(node.grad)


def passes_summed(node: Any) -> int:
    """How many backward passes a leaf's .grad is the sum of (its .grad_passes; 1 for an engine
    without it). A node with parents always reports 1: backward() resets it each pass."""
    return 1 if node.parents else int(getattr(node, "grad_passes", 1))


def shape_of(x: Any, dtype: Any = None) -> str:
    """'(2, 3)' for an array-like (with its dtype when not float64)."""
    array = np.asarray(x)
    return format_shape(array.shape, array.dtype if dtype is None else dtype)


def short_text(x: Any, tensor: bool) -> str:
    """One line for an edge: the number for a Value or a 0-d Tensor, else the shape; '' for None."""
    if x is None:
        return ""
    return shape_of(x) if tensor and np.ndim(x) > 0 else format_number(x)


def long_lines(x: Any, tensor: bool) -> list[str]:
    """Lines for a node box: the number, or the shape plus the values of a small array
    (a 0-d array: 'shape () = number' on one line)."""
    if x is None:
        return []
    if not tensor:
        return [format_number(x)]
    rows = format_array_rows(np.asarray(x))
    if np.ndim(x) == 0:
        return [f"{shape_of(x)} = {rows[0]}"]
    return [shape_of(x)] + rows


def check_node(output: Any, what: str = "viz draws a Value or Tensor") -> None:
    """Refuse, with a TypeError, anything that is not a graph node (a Value or a Tensor)."""
    for attr in ("data", "grad", "parents", "op"):
        if not hasattr(output, attr):
            raise TypeError(f"{what}, got {type(output).__name__} (it has no .{attr})")


def as_outputs(output: Any) -> list:
    """The output nodes of a drawing: [output] for one node, the nodes of a list or tuple
    (duplicates dropped, order kept). An empty list (ValueError) or an item that is not a graph
    node (TypeError, naming its position) is refused."""
    if not isinstance(output, (list, tuple)):
        check_node(output)
        return [output]
    if not output:
        raise ValueError("output: got an empty list; pass a Value or Tensor, or a list of them")
    outputs: list = []
    for i, node in enumerate(output):
        check_node(node, f"output[{i}] must be a Value or Tensor")
        if not any(node is seen for seen in outputs):
            outputs.append(node)
    return outputs


def graph_order(output: Any) -> list:
    """Every node `output` (a node, or a list of nodes) depends on, each after its parents,
    inputs in the order written; with several outputs, the first one's graph comes first."""
    outputs = as_outputs(output)
    return topological_order(outputs)


def node_names(order: list) -> dict:
    """Each node's label, or a generated v1, v2, ... for unlabelled nodes in topological order."""
    names, count = {}, 0
    for node in order:
        label = str(getattr(node, "label", "") or "")
        if not label:
            count += 1
            label = f"v{count}"
        names[node] = label
    return names


def consumers_of(order: list) -> dict:
    """For each node, the (child, parent index) pairs of the nodes computed from it."""
    uses: dict = {node: [] for node in order}
    for child in order:
        for i, parent in enumerate(child.parents):
            uses[parent].append((child, i))
    return uses


def contribution(node: Any, uses: list) -> Any:
    """The gradient `node` receives from the given (child, index) uses in the last backward pass:
    the sum of upstream gradient x local derivative for a Value; its total gradient for a Tensor
    (no local numbers), or None when that total sums several passes (this pass's part is unknown)."""
    if is_tensor(node) or not uses:
        return _total_if_one_pass(node)
    total = 0.0
    for child, i in uses:
        upstream = grad_of(child)
        local = child.local_grads[i] if i < len(child.local_grads) else None
        if upstream is None or local is None:
            return _total_if_one_pass(node)
        total += float(plain(upstream)) * float(plain(local))
    return total


def _total_if_one_pass(node: Any) -> Any:
    """The node's gradient when it is one pass's (or only its shape is drawn), else None."""
    total = grad_of(node)
    if passes_summed(node) <= 1 or (is_tensor(node) and np.ndim(total) > 0):
        return total
    return None


def has_gradients(output: Any) -> bool:
    """Whether a backward pass seems to have run: the gradient of the output (of any one of a
    list of outputs) is set and nonzero."""
    for node in as_outputs(output):
        g = grad_of(node)
        if g is not None and np.any(np.asarray(g) != 0):
            return True
    return False
