"""Random scalar expression trees against PyTorch in float64: the value and every leaf's gradient."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from autograd import Value

torch = pytest.importorskip("torch", reason="parity tests need torch==2.13.0 "
                                            "(pip install -e '.[parity]')")

# Each operation on (ours, torch); the unsafe ones are guarded so the tree stays in the domain.
UNARY = {
    "exp": (lambda v: (v * 0.1).exp(), lambda t: (t * 0.1).exp()),
    "log": (lambda v: (v * v + 1).log(), lambda t: (t * t + 1).log()),
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "relu": (lambda v: v.relu(), torch.relu),
    "sqrt": (lambda v: (v * v + 0.5).sqrt(), lambda t: (t * t + 0.5).sqrt()),
    "abs": (abs, torch.abs),
    "neg": (lambda v: -v, lambda t: -t),
    "square": (lambda v: v ** 2, lambda t: t ** 2),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "pow": (lambda a, b: (a * a + 0.5) ** b.tanh(), lambda a, b: (a * a + 0.5) ** b.tanh()),
    "const": (lambda a, b: 2.5 * a - b / 3, lambda a, b: 2.5 * a - b / 3),
}

leaf_values = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).filter(
    lambda x: abs(x) > 1e-3)  # keep relu/abs away from their kinks


def trees(n_leaves: int):
    leaf = st.integers(0, n_leaves - 1).map(lambda i: ("leaf", i))
    return st.recursive(
        leaf,
        lambda kids: st.one_of(
            st.tuples(st.sampled_from(sorted(UNARY)), kids).map(lambda t: ("u",) + t),
            st.tuples(st.sampled_from(sorted(BINARY)), kids, kids).map(lambda t: ("b",) + t)),
        max_leaves=12)


def evaluate(tree, leaves, which):
    kind = tree[0]
    if kind == "leaf":
        return leaves[tree[1]]
    if kind == "u":
        return UNARY[tree[1]][which](evaluate(tree[2], leaves, which))
    return BINARY[tree[1]][which](evaluate(tree[2], leaves, which),
                                  evaluate(tree[3], leaves, which))


@settings(max_examples=150, deadline=None)
@given(values=st.lists(leaf_values, min_size=3, max_size=3), tree=trees(3))
def test_random_expression_matches_torch(values, tree):
    ours = [Value(v) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out = evaluate(tree, ours, 0)
    ref = evaluate(tree, theirs, 1)
    if not isinstance(out, Value):  # the tree is a bare leaf
        return
    out = out + 0.0
    ref = ref + 0.0
    assert out.data == pytest.approx(ref.item(), rel=1e-9, abs=1e-12)
    out.backward()
    ref.backward()
    for v, t in zip(ours, theirs):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert math.isfinite(v.grad)
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(40))
def test_gradients_are_summed_in_pytorchs_order_to_the_last_bit(seed):
    """Nodes used many times: the order in which their gradients are summed changes the last
    bits. The engine runs the nodes from the last made to the first, as PyTorch's engine does
    (the ready node with the highest sequence number first), so with + and × (whose local
    derivatives are the same floats in both) every gradient is torch's exactly. (Searching the
    graph depth first instead matched in about a third of such graphs.)"""
    import random

    def build(leaves):
        rng = random.Random(seed)
        nodes = list(leaves)
        for _ in range(60):
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(a + b if rng.random() < 0.5 else a * b)
        out = nodes[-1]
        for n in nodes[-8:-1]:
            out = out + n
        return out

    values = [random.Random(seed).uniform(-1, 1) for _ in range(4)]
    ours = [Value(v) for v in values]
    build(ours).backward()
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    build(theirs).backward()
    for v, t in zip(ours, theirs):
        assert v.grad == (t.grad.item() if t.grad is not None else 0.0)
