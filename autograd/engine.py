"""The one backward pass shared by Value and Tensor, and the switches that steer recording.

A graph node (Value or Tensor) is a `Node`: `_op` is the operation that made it (None for a
leaf), `_a` and `_b` its one or two inputs, and it has a `grad` and two methods the pass calls:
`_backward_step(create_graph, release)` pushes the node's grad into its parents, and
`_check_finite()` is used by anomaly mode. Nothing here knows about floats or arrays.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence


class Node:
    """What Value and Tensor share: an operation (`_op`) with one or two inputs (`_a`, `_b`).

    Every operation of the lecture, and of this engine, takes one or two inputs; keeping them in
    two slots, not a tuple, makes a node a single object (see benchmarks/bench_value.py).
    """

    __slots__ = ()
    _visited: object  # the token of the last topological_order that reached this node

    @property
    def parents(self) -> tuple:
        """The inputs this node was computed from, in order (empty for a leaf)."""
        a = self._a
        if a is None:
            return ()
        return (a,) if self._b is None else (a, self._b)

    _parents = parents


class _Mode:
    """Global switches read when a node is created or a backward pass runs.

    One instance with slots, not class attributes: every node creation reads two of them, and
    slot reads are the kind CPython 3.11 specialises (a class attribute takes the slow lookup).
    """

    __slots__ = ("grad_enabled", "anomaly", "scope")

    def __init__(self) -> None:
        self.grad_enabled: bool = True  # record parents and local derivatives?
        self.anomaly: bool = False  # check every gradient for NaN/inf during backward?
        self.scope: str | None = None  # the nn module whose forward is running ("Net/Affine1")


Mode = _Mode()


@contextmanager
def no_grad() -> Iterator[None]:
    """Operations inside record no graph (inference, optimizer updates)."""
    previous = Mode.grad_enabled
    Mode.grad_enabled = False
    try:
        yield
    finally:
        Mode.grad_enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside a `no_grad` block."""
    previous = Mode.grad_enabled
    Mode.grad_enabled = True
    try:
        yield
    finally:
        Mode.grad_enabled = previous


def is_grad_enabled() -> bool:
    return Mode.grad_enabled


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Tag every node created inside with `name` (nested scopes join with '/'); viz groups by it."""
    previous = Mode.scope
    Mode.scope = name if previous is None else f"{previous}/{name}"
    try:
        yield
    finally:
        Mode.scope = previous


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise as soon as a backward step produces NaN or inf, naming the operation."""
    previous = Mode.anomaly
    Mode.anomaly = True
    try:
        yield
    finally:
        Mode.anomaly = previous


def topological_order(roots: Iterable[Any]) -> list:
    """Every node the roots depend on, each after all of its parents. Iterative: no depth limit.

    A node is marked as visited by storing this traversal's token on it (cheaper than a set).
    """
    order: list = []
    token = object()
    stack = list(roots)
    pop, push, emit = stack.pop, stack.append, order.append
    while stack:
        node = pop()
        if node is _EMIT:  # all parents of the node below the marker are in `order` now
            emit(pop())
        elif node._visited is not token:
            node._visited = token
            if node._op is None:  # a leaf has no parents to wait for
                emit(node)
            else:
                push(node)
                push(_EMIT)
                if node._b is not None:  # pushed first, so the first input is laid out first
                    push(node._b)
                push(node._a)
    return order


_EMIT = object()


def backward(roots: Sequence[Any], seeds: Sequence[Any], *, retain_graph: bool = False,
             create_graph: bool = False) -> None:
    """The chain rule over the graph of `roots`, each seeded with its gradient.

    Intermediate nodes are reset first and then hold this pass's gradient; leaves accumulate.
    With `create_graph` the gradients are themselves graph nodes, so they can be differentiated.
    Unless `retain_graph` (implied by `create_graph`), what operations saved is released.
    """
    order = topological_order(roots)
    for node in order:
        if node._op is not None:
            node.grad = node._NO_GRAD
    for root, seed in zip(roots, seeds):
        root._accumulate(seed)
    release = not (retain_graph or create_graph)
    anomaly = Mode.anomaly
    previous = Mode.grad_enabled
    Mode.grad_enabled = create_graph
    try:
        for node in reversed(order):
            if node._op is not None:
                node._backward_step(create_graph, release)
                if anomaly:
                    for parent in node._parents:
                        if not parent._check_finite():
                            raise FloatingPointError(
                                f"anomaly: the backward step of {node._op_name()} produced a "
                                f"non-finite gradient for its input {parent!r}")
    finally:
        Mode.grad_enabled = previous


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, *, create_graph: bool = False,
         retain_graph: bool | None = None) -> list:
    """d(outputs)/d(inputs) as a list, like torch.autograd.grad; leaves' `.grad` are left as they were.

    An input the outputs do not depend on gets a zero gradient (never None).
    """
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    seeds = [out._seed(g, "grad") for out, g in zip(outputs, grad_outputs)]
    order = topological_order(outputs + inputs)
    leaves = [node for node in order if node._op is None]
    kept = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = leaf._NO_GRAD
    try:
        backward(outputs, seeds, create_graph=create_graph,
                 retain_graph=create_graph if retain_graph is None else retain_graph)
        return [node._grad_or_zero() for node in inputs]
    finally:
        for leaf, g in zip(leaves, kept):
            leaf.grad = g


def zero_grad(*roots: Any) -> None:
    """Set the gradient of every leaf in the graphs of `roots` to zero (leaves accumulate)."""
    for node in topological_order(roots):
        if node._op is None:
            node.grad = node._NO_GRAD
