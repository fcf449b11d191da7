"""Following micrograd's demo and Karpathy's lecture with tracegrad gives their printed numbers.

The demo loop below is micrograd's demo.ipynb in our own words (only the imports differ): an
MLP(2, [16, 16, 1]) drawn from Python's `random` after random.seed(1337), trained on
make_moons(100, noise=0.1) after np.random.seed(1337), SVM max-margin loss plus 1e-4 L2, SGD with
a learning rate falling from 1.0. The expected numbers are the ones the notebook prints.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from autograd import Value
from nn.scalar import MLP
from nn.toy_datasets import make_moons

NOTEBOOK = {0: (0.8958441028683222, 0.50), 99: (0.010978370135492717, 1.00)}


@pytest.fixture
def seeded():
    """random.seed(1337) and np.random.seed(1337), as the notebook; the global states restored."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    random.seed(1337)
    np.random.seed(1337)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def test_micrograd_demo_prints_the_notebooks_numbers(seeded):
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1  # labels -1 / +1
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337

    def loss_and_accuracy():
        scores = [model([Value(a), Value(b)]) for a, b in X]
        margins = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]  # max-margin loss
        data_loss = sum(margins) * (1.0 / len(margins))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        right = [(yi > 0) == (s.data > 0) for yi, s in zip(y, scores)]
        return data_loss + reg_loss, sum(right) / len(right)

    printed = {}
    for step in range(100):
        total, accuracy = loss_and_accuracy()
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * step / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        printed[step] = (total.data, accuracy)
    assert printed[0] == NOTEBOOK[0]  # to the last digit: the same weights, the same forward pass
    loss_99, accuracy_99 = printed[99]
    # Later steps can differ in the last units: micrograd adds a shared node's gradient
    # contributions in the order of a Python set of its children (object ids), which no other
    # engine reproduces, and float addition is not associative.
    assert loss_99 == pytest.approx(NOTEBOOK[99][0], rel=1e-14) and accuracy_99 == NOTEBOOK[99][1]


def test_karpathys_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(2 ** -0.5, rel=1e-15)  # 0.7071...
    # d tanh = 1 - o**2 = 0.5, times the other input of each product
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-15)
    assert repr(o) == f"Value(data={o.data!r}, grad=1.0)"  # exact, as the lecture shows it


def test_an_explicit_rng_keeps_numpys_draws():
    a, b = MLP(2, [3, 1], rng=7), MLP(2, [3, 1], rng=np.random.default_rng(7))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    state = random.getstate()
    MLP(2, [3, 1], rng=7)
    assert random.getstate() == state  # Python's random untouched when rng is given


def test_make_moons_is_sklearns_algorithm():
    X, y = make_moons(n_samples=7, shuffle=False)
    n_out = 3
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, 7 - n_out)
    np.testing.assert_allclose(X[:n_out], np.c_[np.cos(t_out), np.sin(t_out)])
    np.testing.assert_allclose(X[n_out:], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)])
    assert y.tolist() == [0, 0, 0, 1, 1, 1, 1]
    with pytest.raises(ValueError, match="n_samples"):
        make_moons(0)
