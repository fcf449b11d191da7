"""The one backward pass shared by Value and Tensor, and the switches that steer recording.

A graph node (Value or Tensor) is a `Node`: `_op` is the operation that made it (None for a
leaf), `_a` and `_b` its one or two inputs, and it has a `grad`. `Node` declares every attribute
and hook the pass relies on, each with a line saying what it is for; the pass itself is
`backward` below. Nothing here knows about floats or arrays.

The pass runs the operation nodes from the last made to the first, as PyTorch does
(`creation_order`); a scalar graph's order is read off a tape (TAPE) rather than searched for.

Where a derivative is infinite or undefined (sqrt at 0, d/db of a ** b for a < 0) the gradient is
PyTorch's value (inf or nan), and the pass ends with one `GradientWarning` naming the operation,
the point and the input; inside `detect_anomaly()` the first such step is an error instead.
"""
from __future__ import annotations

import itertools
import sys
import warnings
from contextlib import AbstractContextManager, contextmanager, nullcontext
from operator import attrgetter
from typing import Any, Iterable, Iterator, Sequence


class GradientWarning(RuntimeWarning):
    """A backward pass produced an infinite or undefined (nan) gradient; the message says where."""


class AccumulationWarning(UserWarning):
    """backward() added to leaf gradients left by an earlier pass (leaves accumulate)."""


ACCUMULATION_MESSAGE = (
    "backward(): leaves accumulate: some leaf .grad already held a gradient from an earlier "
    "pass, so it now holds the sum of both passes. To get this pass alone, zero them first "
    "(autograd.zero_grad(output), module.zero_grad(), optimizer.zero_grad(), or x.grad = 0 / "
    "None); to differentiate without touching .grad, use autograd.grad(output, inputs).")

NO_GRAPH = -1  # `_passes` of a node computed under no_grad(): no graph was recorded behind it


class Node:
    """What Value and Tensor share, and the protocol the backward pass relies on.

    Every operation of the lecture, and of this engine, takes one or two inputs; keeping them in
    two slots, not a tuple, makes a node a single object (see benchmarks/bench_value.py).
    Value and Tensor each define the attributes and override every method below.
    """

    __slots__ = ()
    # ---- attributes (slots of Value and Tensor) ---------------------------------------------
    _op: Any  # the operation that made this node (a Rule or a Function); None for a leaf
    _a: Any  # the first input (None for a leaf)
    _b: Any  # the second input (None for a leaf or a one-input operation)
    _visited: object  # the token of the last search (topological_order, the tape) to reach it
    _passes: int  # a leaf: backward passes summed in .grad (NO_GRAPH: computed under no_grad)
    _serial: int  # when the node was made: a number from `new_serial`, larger for later nodes
    _taped = False  # whether operations of this kind write their results on the TAPE (Value)
    _NO_GRAD: Any  # what .grad is reset to: 0.0 for a Value, None for a Tensor
    requires_grad: bool  # whether the backward pass computes a gradient for this node
    is_constant: bool  # a number an operation lifted into the graph (the 2 of x * 2)

    # ---- hooks the backward pass calls --------------------------------------------------------
    def _seed(self, grad: Any, op: str) -> Any:
        """The checked gradient to start a pass from this output (`op` names the caller)."""
        raise NotImplementedError("a node kind must override _seed")

    def _accumulate(self, g: Any) -> None:
        """Add g to .grad (the seed of a pass)."""
        raise NotImplementedError("a node kind must override _accumulate")

    def _backward_step(self, create_graph: bool, release: bool) -> None:
        """Push .grad through this node's operation into its inputs' .grad (the chain rule)."""
        raise NotImplementedError("a node kind must override _backward_step")

    @staticmethod
    def _backward_steps(ops: list, create_graph: bool, release: bool) -> None:
        """Every step of a pass, the last made node first. A node kind may override this with
        the same arithmetic written inline (Value does); this plain loop is the tests' oracle."""
        for node in reversed(ops):
            node._backward_step(create_graph, release)

    def _check_finite(self) -> bool:
        """Whether .grad is finite (anomaly mode and the end-of-pass check)."""
        raise NotImplementedError("a node kind must override _check_finite")

    def _holds_grad(self) -> bool:
        """Whether .grad holds something other than zero (a leaf about to accumulate)."""
        raise NotImplementedError("a node kind must override _holds_grad")

    def _grad_or_zero(self, create_graph: bool = False) -> Any:
        """.grad for grad()'s answer, or a zero gradient where none reached this node."""
        raise NotImplementedError("a node kind must override _grad_or_zero")

    def _zero_grad(self, create_graph: bool = False) -> Any:
        """A zero gradient of this node's shape (a Constant/Tensor under create_graph)."""
        raise NotImplementedError("a node kind must override _zero_grad")

    def _undefined_derivative(self) -> str | None:
        """A sentence naming where this operation's derivative is infinite or undefined."""
        raise NotImplementedError("a node kind must override _undefined_derivative")

    def _op_name(self) -> str:
        """The operation's name for error messages ('leaf' for a leaf)."""
        raise NotImplementedError("a node kind must override _op_name")

    @staticmethod
    def _quiet_arithmetic() -> Any:
        """A context for the whole pass: silences the number library's own inf/nan warnings
        (the pass reports a non-finite gradient once, itself)."""
        return nullcontext()

    def zero_grad(self) -> None:
        """Forget this node's gradient and its count of accumulated passes."""
        raise NotImplementedError("a node kind must override zero_grad")

    def __setstate__(self, state: Any) -> None:
        """copy, deepcopy and pickle make a node anew: it takes a new serial, and a recorded
        Value goes on the tape (after its parents: they are restored first), so that a copied
        graph is differentiated like any other."""
        _, slots = state if isinstance(state, tuple) else (state, None)
        for name, value in (slots or {}).items():
            object.__setattr__(self, name, value)
        self._serial = new_serial()
        if self._taped and self._op is not None:
            TAPE.append(self)

    # ---- public, shared -------------------------------------------------------------------------
    @property
    def grad_passes(self) -> int:
        """How many backward passes are summed in `.grad`: for a leaf, the passes since its grad
        was last zero (0 before any; 2 after backward() twice without zeroing: leaves
        accumulate). A node computed by an operation always holds one pass's gradient: 1."""
        if self._op is not None:
            return 1
        return max(self._passes, 0) if self._holds_grad() else 0

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

    __slots__ = ("grad_enabled", "anomaly", "scope", "in_backward")

    def __init__(self) -> None:
        self.grad_enabled: bool = True  # record parents and local derivatives?
        self.anomaly: bool = False  # check every gradient for NaN/inf during backward?
        self.scope: str | None = None  # the nn module whose forward is running ("Net/Affine1")
        # Inside a backward pass a non-finite intermediate is a gradient (inf at sqrt'(0)), which
        # the gradient policy reports, not a forward error: operations then give IEEE results.
        self.in_backward: bool = False


Mode = _Mode()


@contextmanager
def _switch(name: str, value: Any) -> Iterator[None]:
    """Set one of Mode's switches inside the block; restore it after, however the block ends.
    no_grad, enable_grad, scope and detect_anomaly are this, with their own names."""
    previous = getattr(Mode, name)
    setattr(Mode, name, value)
    try:
        yield
    finally:
        setattr(Mode, name, previous)


def no_grad() -> AbstractContextManager[None]:
    """Operations inside record no graph (inference, optimizer updates)."""
    return _switch("grad_enabled", False)


def enable_grad() -> AbstractContextManager[None]:
    """Record the graph again inside a `no_grad` block."""
    return _switch("grad_enabled", True)


def is_grad_enabled() -> bool:
    """Whether operations record the graph now (False inside no_grad())."""
    return Mode.grad_enabled


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise as soon as a backward step produces NaN or inf, naming the operation."""
    return _switch("anomaly", True)


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Tag every node created inside with `name` (nested scopes join with '/'); viz groups by it.
    The path is joined when the block is entered, inside whatever scope is current then."""
    if not isinstance(name, str):
        raise TypeError(f"scope: the name must be a str, got {type(name).__name__} {name!r}")
    with _switch("scope", name if Mode.scope is None else f"{Mode.scope}/{name}"):
        yield


def current_scope() -> str | None:
    """The scope nodes created now are tagged with ('Net/Affine1'), or None outside any."""
    return Mode.scope


def topological_order(roots: Iterable[Any]) -> list:
    """Every node the roots depend on, each after all of its parents, first inputs first (the
    order of the drawings; backward() runs in `creation_order`, another topological order).

    The plain version is `topological_order_plain` below (a recursive depth-first search, as
    micrograd's build_topo); this one gives the same list faster, and for graphs of any depth:
    - an explicit stack instead of recursion (a 1,000,000-node chain would overflow Python's);
    - a node is emitted when the marker _EMIT pushed above its parents comes back off the stack,
      i.e. once all its parents are in `order` (where the recursion would return);
    - "seen" is a token stored on the node, not a set (no hashing per node), and the stack's
      methods are bound once to locals (no attribute lookups in the loop).
    """
    order: list = []
    token = object()
    stack = list(roots)[::-1]  # the first root on top: it is laid out first
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


_EMIT = object()  # the marker topological_order pushes above a node's parents


def topological_order_plain(roots: Iterable[Any]) -> list:
    """The same order as `topological_order`, written as a learner expects (micrograd's
    build_topo): visit each parent first, then append the node. Recursive, so only for graphs a
    few hundred nodes deep; the tests compare the two on random graphs."""
    order: list = []
    seen: set = set()  # ids: a Value's == compares numbers, not nodes

    def visit(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    for root in roots:
        visit(root)
    return order


# ---- the order backward() runs in: the order the nodes were made -----------------------------
# A node's parents always exist before it, so running the operation nodes from the last made to
# the first is a valid backward order; it is PyTorch's too (its engine runs the ready node with
# the highest sequence number first), so gradients are summed in the same order as there.
new_serial = itertools.count().__next__  # every node takes one when it is made

TAPE: list = []  # every Value an operation recorded since the last backward(), in creation order
# The tape keeps its Values (and what they were computed from) alive until the next backward().
# So that graphs never differentiated (a loss printed, a validation loop, a REPL) cannot pile up,
# an operation that finds `tape_limit` nodes on the tape sweeps it first (sweep_tape): graphs
# dropped since are freed, live ones stay. TAPE_LIMIT nodes is ~200 bytes each, so ~50 MB of
# garbage at most; the limit doubles while live graphs fill the tape (a 1,000,000-node graph).
TAPE_LIMIT = 1 << 18
tape_limit = TAPE_LIMIT  # the tape's size at which the next operation sweeps it


def creation_order(roots: Iterable[Any]) -> tuple[list, list]:
    """(the operation nodes of the roots' graph, in the order they were made; its leaves).

    The plain way: every node `topological_order` finds, sorted by when it was made. The fast
    way, for a scalar graph built since the last backward(): read it off the TAPE (see
    `_taped_order`), with no search of the graph and no sort. The tests compare the two."""
    roots = list(roots)
    found = _taped_order(roots)
    return found if found is not None else _sorted_order(roots)


def _sorted_order(roots: list) -> tuple[list, list]:
    """creation_order the plain way: search the graph, sort by serial."""
    ops: list = []
    leaves: list = []
    for node in sorted(topological_order(roots), key=_by_serial):
        (leaves if node._op is None else ops).append(node)
    return ops, leaves


_by_serial = attrgetter("_serial")


def backward_order(roots: Iterable[Any]) -> list:
    """The operation nodes of the roots' graph in the order backward() runs them: the last made
    first (PyTorch's order; see `creation_order`). The step-by-step pictures follow it."""
    return creation_order(roots)[0][::-1]


def _taped_order(roots: list, reset: bool = False) -> tuple[list, list] | None:
    """creation_order's answer read off the TAPE, or None when the tape does not hold every
    operation node of the graph (a node made before the tape was last cleared, or a Tensor).

    The tape lists the scalar graph's nodes in the order they were made. Walking it from the end,
    a node is in the roots' graph exactly when it is a root or a parent of a node already found:
    every node that uses it was made after it, so has been walked already. With `reset` (for
    backward) the operation nodes' gradients are reset as they are found."""
    if not TAPE:
        return None
    start = TAPE[0]._serial
    token = object()
    ops: list = []
    leaves: list = []
    for root in roots:
        if root._visited is token:
            continue
        if root._op is None:
            leaves.append(root)
        elif not root._taped or root._serial < start:
            return None
        elif reset:
            root.grad = root._NO_GRAD
        root._visited = token
    append, found = ops.append, leaves.append
    for node in reversed(TAPE):
        if node._visited is token:
            append(node)
            parent = node._a  # (the two parents written out: this loop runs once per node)
            if parent._visited is not token:
                parent._visited = token
                if parent._op is None:
                    found(parent)
                elif parent._serial < start:
                    return None  # made before the tape was cleared: not on it
                elif reset:
                    parent.grad = parent._NO_GRAD
            parent = node._b
            if parent is not None and parent._visited is not token:
                parent._visited = token
                if parent._op is None:
                    found(parent)
                elif parent._serial < start:
                    return None
                elif reset:
                    parent.grad = parent._NO_GRAD
    ops.reverse()
    leaves.sort(key=_by_serial)  # in the order they were made, as the plain way lists them
    return ops, leaves


def clear_tape() -> None:
    """Forget the tape (backward() does): the Values on it are freed once nothing else holds
    them; their graphs take the plain way."""
    global tape_limit
    TAPE.clear()
    tape_limit = TAPE_LIMIT


def _references_of_a_local() -> int:
    probe = object()  # held by this one name only
    return sys.getrefcount(probe)


_HELD_BY_ONE_NAME = _references_of_a_local()  # what getrefcount says then (2 on CPython 3.11)


def sweep_tape() -> None:
    """Drop from the tape every Value that nothing but the tape holds (graphs dropped without a
    backward()); live graphs stay on it, in order, so they keep the fast way. Walking from the
    last made: a node the tape alone refers to is garbage, and freeing it drops its references
    to its parents, which come earlier. The next sweep waits until the tape has doubled (and
    holds at least TAPE_LIMIT), so sweeping costs O(1) per operation."""
    global tape_limit
    kept: list = []
    pop, keep, references = TAPE.pop, kept.append, sys.getrefcount
    while TAPE:
        node = pop()
        if references(node) > _HELD_BY_ONE_NAME:  # something besides `node` here holds it
            keep(node)
    node = None
    kept.reverse()
    TAPE.extend(kept)
    tape_limit = max(TAPE_LIMIT, 2 * len(TAPE))


def backward(roots: Sequence[Any], seeds: Sequence[Any], *, retain_graph: bool = False,
             create_graph: bool = False) -> list:
    """The chain rule over the graph of `roots`, each seeded with its gradient; returns the nodes
    it ran over (leaves, then the operation nodes in the order they were made).

    The operation nodes run from the last made to the first (`creation_order`).
    Intermediate nodes are reset first and then hold this pass's gradient; leaves accumulate.
    With `create_graph` the gradients are themselves graph nodes, so they can be differentiated.
    Unless `retain_graph` (implied by `create_graph`), what operations saved is released.
    A non-finite gradient ends the pass with one GradientWarning (an error under detect_anomaly).
    """
    roots = list(roots)
    taped = _taped_order(roots, reset=True)  # (see creation_order)
    if taped is None:
        ops, leaves = _sorted_order(roots)
        for node in ops:
            node.grad = node._NO_GRAD
    else:
        ops, leaves = taped
    clear_tape()  # nodes the pass records (create_graph) start a new tape
    _count_passes(leaves)
    for root, seed in zip(roots, seeds):
        root._accumulate(seed)
    release = not (retain_graph or create_graph)
    anomaly = Mode.anomaly
    previous = Mode.grad_enabled, Mode.in_backward
    Mode.grad_enabled = create_graph
    Mode.in_backward = True
    try:
        with roots[0]._quiet_arithmetic():  # inf/nan are reported below, once, by tracegrad
            if anomaly:
                for node in reversed(ops):
                    node._backward_step(create_graph, release)
                    _check_step(node)
            else:
                roots[0]._backward_steps(ops, create_graph, release)
            bad = next((leaf for leaf in leaves
                        if not leaf.is_constant and not leaf._check_finite()), None)
    finally:
        Mode.grad_enabled, Mode.in_backward = previous
    if bad is not None:
        warnings.warn(_nonfinite_message(ops, bad), GradientWarning, stacklevel=3)
    return leaves + ops


def _count_passes(leaves: list) -> None:
    """Count, on each leaf that will receive a gradient, the passes summed in its grad; warn
    (AccumulationWarning) when a leaf starts to hold a second pass."""
    warn = False
    for leaf in leaves:
        if not leaf.requires_grad or leaf.is_constant:  # (a lifted number's grad is no one's)
            continue
        if leaf._holds_grad():
            leaf._passes = max(leaf._passes, 1) + 1
            warn = warn or leaf._passes == 2
        else:
            leaf._passes = 1
    if warn:
        warnings.warn(ACCUMULATION_MESSAGE, AccumulationWarning, stacklevel=4)


def _check_step(node: Any) -> None:
    """detect_anomaly(): raise if this backward step sent a non-finite gradient to a parent."""
    for parent in node._parents:
        if parent.requires_grad and not parent.is_constant and not parent._check_finite():
            where = node._undefined_derivative() or (
                f"the backward step of {node._op_name()} produced a non-finite gradient for its "
                f"input {parent!r}")
            raise FloatingPointError(f"anomaly: {where}")


def _nonfinite_message(ops: list, leaf: Any) -> str:
    """Why a leaf's gradient is not finite: the first operation (in backward order) with an
    infinite or undefined derivative at its point, else an overflow or a non-finite seed."""
    found = [text for node in reversed(ops)
             for text in (node._undefined_derivative(),) if text]
    if found:
        more = f" ({len(found) - 1} more operation(s) like it)" if len(found) > 1 else ""
        return (f"backward: the derivative is infinite or undefined at this point: {found[0]}"
                f"{more}. The gradient is PyTorch's value there (inf or nan), and it reaches "
                f"{leaf!r}. Move the point (e.g. sqrt(x + 1e-12)) or compute what needs no "
                f"gradient under no_grad(); inside detect_anomaly() this is an error.")
    return (f"backward: the gradient of {leaf!r} is not finite although every derivative on the "
            f"way is: a product of large derivatives overflowed, or the seed was not finite")


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, *, create_graph: bool = False,
         retain_graph: bool | None = None) -> list:
    """d(outputs)/d(inputs) as a list, like torch.autograd.grad; every node's `.grad` is left as
    it was (leaves and intermediates alike).

    Every gradient returned comes from this pass: an input the outputs do not depend on gets a
    zero gradient (never None, never what an earlier pass left on it), leaf or not.
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
    for i, node in enumerate(inputs):
        if not node.requires_grad:
            raise RuntimeError(f"grad: input {i} ({node!r}) does not require a gradient, so none "
                               "is computed for it; create it with requires_grad=True")
    nodes = topological_order(outputs + inputs)
    kept = [(node.grad, node._passes if node._op is None else 0) for node in nodes]
    for node in nodes:
        if node._op is None:
            node.grad = node._NO_GRAD
    try:
        reached = set(backward(outputs, seeds, create_graph=create_graph,
                               retain_graph=create_graph if retain_graph is None else retain_graph))
        return [node._grad_or_zero(create_graph) if node in reached
                else node._zero_grad(create_graph) for node in inputs]
    finally:  # every .grad as it was: a drawing never mixes this pass with an earlier one
        for node, (g, passes) in zip(nodes, kept):
            node.grad = g
            if node._op is None:
                node._passes = passes


def zero_grad(*roots: Any) -> None:
    """Set the gradient of every leaf in the graphs of `roots` to zero (leaves accumulate)."""
    for node in topological_order(roots):
        if node._op is None:
            node.zero_grad()
