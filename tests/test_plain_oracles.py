"""Every speed trick in autograd against the plain version written beside it (nanoGPT's
`if flash: ... else: # manual`): the plain one is the oracle."""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor, Value, topological_order, topological_order_plain
from autograd.softmax_ops import CrossEntropy

ROOT = Path(__file__).resolve().parents[1]


def random_value_graph(seed: int, size: int = 60) -> list:
    """Random expressions over shared nodes (every node may be reused by later ones)."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(0.5, 2.0), label=f"x{i}") for i in range(4)]
    for _ in range(size):
        a, b = rng.choice(nodes), rng.choice(nodes)
        nodes.append(rng.choice([lambda: a + b, lambda: a * b, lambda: a - b, lambda: a.tanh(),
                                 lambda: (a * 0.1).exp(), lambda: a + 1.5])())
    return nodes


@pytest.mark.parametrize("seed", range(20))
def test_topological_order_equals_the_plain_one(seed):
    nodes = random_value_graph(seed)
    roots = [nodes[-1], nodes[len(nodes) // 2]]
    fast, plain = topological_order(roots), topological_order_plain(roots)
    assert [id(n) for n in fast] == [id(n) for n in plain]


def test_topological_order_on_tensors():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = (x * x).sum(axis=0) + x.mean(axis=0)
    z = (y * y).sum() + y.max()
    assert [id(n) for n in topological_order([z])] == [id(n) for n in topological_order_plain([z])]


def test_value_operations_set_the_slots_init_sets():
    """_unary/_binary build a result without __init__ (faster); they must set the same slots."""
    def set_slots(v):
        return {s for s in type(v).__slots__ if hasattr(v, s)}
    init = set_slots(Value(1.0))
    x, y = Value(2.0), Value(3.0)
    for made in (x * y, x.tanh(), x + y, x ** 2):
        assert set_slots(made) >= init, init - set_slots(made)
    tensor_init = set_slots(Tensor([1.0]))
    t = Tensor([1.0, 2.0], requires_grad=True)
    for made in (t * t, t.sum(), Tensor([1.0]) * 2):  # recorded and not
        assert set_slots(made) == tensor_init, tensor_init ^ set_slots(made)
    with pytest.raises(IndexError, match="integers or booleans"):  # a recorded float Tensor
        Tensor([3.0, 4.0])[t * 0]


@pytest.mark.parametrize("seed", range(5))
def test_cross_entropy_fast_backward_equals_the_plain_one(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    fast, plain = CrossEntropy(labels), CrossEntropy(np.eye(4)[labels])  # rows take the plain way
    fast.forward(x)
    plain.forward(x)
    g = np.asarray(0.7)
    np.testing.assert_allclose(fast.backward(g, x, None)[0], plain.backward(g, x, None)[0],
                               rtol=1e-15, atol=1e-17)


def test_tensor_ops_imports_first_in_a_fresh_interpreter():
    """tensor.py and tensor_ops.py import each other (an operation needs Tensor, Tensor's methods
    need the operations): importing either first must work."""
    for module in ("autograd.tensor_ops", "autograd.tensor", "autograd.softmax_ops"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
