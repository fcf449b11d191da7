"""Edge cases of the tape (engine.TAPE / engine._taped_order) that backward() reads its order off.

The oracle is always the plain way (engine.clear_tape() right before backward(), or
_taped_order forced to None): same nodes, same order, same floats, same messages.
The first five pin problems found in review of the tape's first version (commit 619439f).
"""
from __future__ import annotations

import copy
import math
import warnings

import pytest

from autograd import Value, engine, grad
from autograd.engine import clear_tape


@pytest.fixture(autouse=True)
def _fresh_tape():
    clear_tape()
    yield
    clear_tape()


@pytest.fixture
def plain(monkeypatch):
    """Turn the tape off: every backward() takes the plain way (search, sort by serial)."""
    def use():
        monkeypatch.setattr(engine, "_taped_order", lambda roots, reset=False: None)
    return use


def _small_tape(monkeypatch, n):
    """A tape swept every n operations (TAPE_LIMIT, and the limit in force now)."""
    monkeypatch.setattr(engine, "TAPE_LIMIT", n)
    monkeypatch.setattr(engine, "tape_limit", n)


def _messages(caught):
    return [(m.category.__name__, str(m.message)) for m in caught]


# ---- problems found ------------------------------------------------------------------------------
def test_deepcopy_of_a_taped_graph_differentiates_like_the_original():
    """A copied node keeps its _serial (>= the tape's start) but is not on the tape: the walk
    never meets it, so the tape must give up (the first version returned an empty graph and
    backward() silently left every gradient at 0; the plain way gives 5)."""
    x = Value(2.0, label="x")
    y = x * x + x
    y2 = copy.deepcopy(y)
    x2 = y2.parents[1]
    assert x2 is not x and x2.label == "x"
    y2.backward()
    assert x2.grad == 5.0  # d(x² + x)/dx at 2


def test_deepcopy_of_an_intermediate_node_used_in_a_new_graph():
    """The same with the copy inside the graph (a parent, not a root): the walk never reaches
    the copy's ancestors (the first version silently missed their gradients)."""
    x = Value(2.0, label="x")
    h = x * x
    h2 = copy.deepcopy(h)
    x2 = h2.parents[0]
    out = h2 * 3.0
    out.backward()
    assert x2.grad == 12.0  # d(3 x²)/dx at 2


def test_gradient_warning_names_the_same_leaf_with_and_without_the_tape(plain):
    """Leaves are listed in the order they were made, with or without the tape (the first
    version listed them as the walk back found them, so the GradientWarning, which names the
    first non-finite leaf, named y with the tape and x without)."""
    def run():
        clear_tape()
        x, y = Value(0.0, label="x"), Value(0.0, label="y")
        out = x.sqrt() + y.sqrt()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out.backward()
        return _messages(caught)
    taped = run()
    plain()
    reference = run()
    assert len(taped) == 1 and "reaches Value(x: data=0.0" in reference[0][1]
    assert taped == reference


def test_a_loop_that_never_calls_backward_does_not_grow_the_tape_without_bound(monkeypatch):
    """Evaluating a model on inputs that are already Values, without no_grad() and without
    backward() (a validation loop, a REPL), makes no new Value: the operations themselves
    sweep the tape (the first version checked its size only in Value.__init__, and the tape
    grew forever)."""
    from nn.scalar import MLP
    _small_tape(monkeypatch, 50)
    model = MLP(3, [4, 4, 1], rng=0)
    xs = [Value(0.1), Value(-0.2), Value(0.3)]
    model(xs)
    one_pass = len(engine.TAPE)
    for _ in range(100):
        model(xs)
    assert len(engine.TAPE) <= engine.TAPE_LIMIT + one_pass


def test_a_dropped_graph_is_freed_by_the_next_sweep_and_a_live_one_kept(monkeypatch):
    """The tape keeps what it holds alive, with everything those nodes were computed from. An
    operation that finds the tape at its limit sweeps it: a graph dropped without backward()
    (here a 4000-node chain) is freed then, while a live graph stays, in order, and its
    backward takes the fast way; the limit doubles while live graphs fill the tape."""
    _small_tape(monkeypatch, 50)
    x = Value(0.5)
    y = x
    for _ in range(2000):
        y = y * 0.999 + x  # live while it grows: every sweep keeps it, the limit doubles
    assert len(engine.TAPE) == 4000 and engine.tape_limit >= 4000
    keep = x * 3.0  # a small live graph
    del y
    while len(engine.TAPE) < engine.tape_limit:
        x * 1.0  # garbage: nothing keeps it
    z = x.tanh()  # the operation that sweeps
    assert [id(n) for n in engine.TAPE] == [id(keep), id(z)]  # the chain and garbage are gone
    assert engine._taped_order([keep]) is not None  # the live graph is still on the tape
    keep.backward()
    assert x.grad == 3.0 and engine.TAPE == []


def test_a_live_graph_larger_than_the_limit_keeps_the_fast_way(monkeypatch):
    """A graph built over several sweeps stays on the tape whole (the first version cleared the
    tape at its limit, and such graphs took the plain way: search and sort, 2.5 times slower for
    a 1,000,000-node chain)."""
    _small_tape(monkeypatch, 64)
    x = Value(0.5)
    y = x
    for _ in range(1000):
        y = (y * 0.999).tanh()
    assert engine._taped_order([y]) is not None
    ops, _ = engine._taped_order([y])
    assert len(ops) == 2000
    y.backward()
    clear_tape()
    x2 = Value(0.5)
    y2 = x2
    for _ in range(1000):
        y2 = (y2 * 0.999).tanh()
    clear_tape()  # the plain way
    y2.backward()
    assert x.grad == x2.grad


# ---- behaviour verified (pins) -------------------------------------------------------------------
def _train(steps, *, taped, limit=None, monkeypatch=None):
    from nn.scalar import MLP
    if limit is not None:
        _small_tape(monkeypatch, limit)
    model = MLP(2, [6, 6, 1], rng=3)
    data = [([0.5, -1.0], 1.0), ([1.5, 0.3], -1.0), ([-0.7, 0.8], 1.0), ([0.1, 0.2], -1.0)]
    history = []
    for _ in range(steps):
        scores = [model(x) for x, _ in data]
        loss = sum(((1 + -y * s).relu() for (_, y), s in zip(data, scores)), 0.0) / len(data)
        reg = 1e-4 * sum((p * p for p in model.parameters()), 0.0)
        total = loss + reg
        model.zero_grad()
        if not taped:
            clear_tape()
        total.backward()
        history.append((total.data, [p.grad for p in model.parameters()]))
        for p in model.parameters():
            p.data -= 0.05 * p.grad
    return history


@pytest.mark.parametrize("limit", [None, 5, 37])
def test_scalar_mlp_training_is_bit_identical_with_and_without_the_tape(limit, monkeypatch):
    taped = _train(5, taped=True, limit=limit, monkeypatch=monkeypatch)
    plain = _train(5, taped=False, limit=limit, monkeypatch=monkeypatch)
    assert taped == plain


def test_higher_order_derivatives_match_the_closed_form_and_the_plain_way(plain):
    """f = x·exp(x): f^(n) = exp(x)·(x + n), through grad(create_graph=True) three times and
    backward(create_graph=True) on a gradient."""
    def derivatives():
        clear_tape()
        x = Value(0.7)
        f = x * x.exp()
        g1, = grad(f, x, create_graph=True)
        g2, = grad(g1, x, create_graph=True)
        g3, = grad(g2, x)
        f.backward(create_graph=True)
        h = x.grad
        x.grad = 0.0
        h.backward()
        return g1.data, g2.data, g3, x.grad
    taped = derivatives()
    for n, d in zip((1, 2, 3, 2), taped):
        assert d == pytest.approx(math.exp(0.7) * (0.7 + n), rel=1e-13)
    plain()
    assert taped == derivatives()


def test_roots_twice_a_leaf_root_and_a_root_inside_another_roots_graph(plain):
    def run():
        clear_tape()
        x, y = Value(1.3, label="x"), Value(-0.4, label="y")
        h = (x * y).tanh()
        out = h * h + x
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.backward([out, out, h, x], [1.0, 0.5, 2.0, 3.0])
        return x.grad, y.grad, h.grad, _messages(caught)
    taped = run()
    plain()
    assert taped == run()


def test_interleaved_graphs_shared_nodes_and_repeated_passes(plain):
    """Three graphs over shared leaves and a shared subexpression, built interleaved and
    differentiated in an order that clears the tape between them, backward twice on one
    (leaves accumulate: one AccumulationWarning, not one per pass), grad() in between."""
    def run():
        clear_tape()
        a, b = Value(1.1, label="a"), Value(-0.4, label="b")
        s = (a * b).exp()
        l1 = s * a + b
        l2 = (s + a * a).tanh() * b
        l3 = l1 * l2 + s
        log = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            l2.backward()
            log.append((a.grad, b.grad, s.grad))
            log.append(tuple(grad(l3, [a, b, s])))
            l3.backward()
            l3.backward()
            log.append((a.grad, b.grad, s.grad))
            a.zero_grad(), b.zero_grad()
            l4 = l1 * l1  # built after the passes: on the tape again, over old nodes
            l4.backward()
            log.append((a.grad, b.grad))
        return log, _messages(caught)
    taped = run()
    assert [c for c, _ in taped[1]] == ["AccumulationWarning"]  # once: a leaf starts a 2nd pass
    plain()
    assert taped == run()


def test_an_error_mid_forward_leaves_nothing_that_breaks_the_next_pass(plain):
    def run():
        clear_tape()
        x = Value(0.5, label="x")
        partial = x * x - 1.0
        with pytest.raises(ValueError, match="log"):
            (partial * 2.0).log()  # x*x, -1, *2 are on the tape; log raised before its node
        out = (x * 3.0).tanh() + partial
        out.backward()
        return x.grad, partial.grad
    taped = run()
    plain()
    assert taped == run()


def test_viz_on_taped_cleared_and_gradient_graphs(monkeypatch, tmp_path):
    import viz
    _small_tape(monkeypatch, 5)  # swept several times while the graph is built
    a, b = Value(1.2, label="a"), Value(-0.3, label="b")
    h = (a * b).tanh()
    out = h * h + a * 3.0 + b
    order = [id(n) for n in engine.backward_order([out])]
    out.backward()
    frames = list(viz.backward_steps(out))
    assert [id(f.node) for f in frames] == order
    assert viz.explore(out).save(tmp_path / "out.html")
    a.grad = 0.0
    y = (a * a * a).exp()
    y.backward(create_graph=True)
    g = a.grad  # a gradient graph, on the new tape
    a.grad = 0.0
    g.backward()
    assert len(list(viz.backward_steps(g))) == len(engine.backward_order([g]))
    assert viz.save_steps(g, tmp_path / "steps.html")


def test_copies_and_pickled_graphs_differentiate_like_the_original():
    """A copy (copy.copy, deepcopy) is a node made now: new serials, recorded Values on the
    tape after their parents; Tensors too (not taped)."""
    import numpy as np

    from autograd import Tensor
    x = Value(1.5, label="x")
    y = (x * x).tanh() + x
    for _ in range(2):
        y2 = copy.deepcopy(y)
        x2 = y2.parents[1]
        y2.backward()
        assert x2.grad == pytest.approx(2 * 1.5 * (1 - math.tanh(2.25) ** 2) + 1, rel=1e-15)
        assert x.grad == 0.0  # the original is untouched
    h = x * 3.0
    h2 = copy.copy(h)  # shallow: the same parents, a new node
    (h2 * h2).backward()
    assert x.grad == pytest.approx(2 * 4.5 * 3.0, rel=1e-15)
    t = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    s = (t * t).sum()
    s2 = copy.deepcopy(s)
    s2.backward()
    np.testing.assert_array_equal(s2.parents[0].parents[0].grad, [2.0, -4.0])
    assert t.grad is None
