"""Every Tensor operation differentiated twice: Hessian-vector products against central
differences of first-order gradients (tests/gradcheck.py, order=2)."""
from __future__ import annotations

import numpy as np
import pytest

from gradcheck import away_from_zero, check_grads, distinct, rng
from autograd import cross_entropy, log_softmax, softmax

A = rng(1).standard_normal((2, 3))
B = rng(2).standard_normal((2, 3))
POS = np.abs(rng(3).standard_normal((2, 3))) + 0.5
ROW = rng(4).standard_normal(3)
LABELS = np.array([2, 0])
PROBS = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])

CASES = {
    "add broadcast": (lambda a, b: a + b, (A, ROW)),
    "sub broadcast": (lambda a, b: a - b, (A, ROW)),
    "mul broadcast": (lambda a, b: a * b, (A, ROW)),
    "div": (lambda a, b: a / b, (A, POS)),
    "pow tensor": (lambda a, b: a ** b, (POS, B)),
    "pow const 3": (lambda a: a ** 3, (A,)),
    "pow const 0.5": (lambda a: a ** 0.5, (POS,)),
    "neg": (lambda a: -a, (A,)),
    "exp": (lambda a: a.exp(), (A,)),
    "log": (lambda a: a.log(), (POS,)),
    "tanh": (lambda a: a.tanh(), (A,)),
    "sigmoid": (lambda a: a.sigmoid(), (A,)),
    "relu": (lambda a: a.relu() * a, (away_from_zero(A),)),
    "abs": (lambda a: abs(a) * a, (away_from_zero(A),)),
    "sum axis": (lambda a: a.sum(axis=0) ** 2, (A,)),
    "mean keepdims": (lambda a: a.mean(axis=1, keepdims=True) * a, (A,)),
    "max": (lambda a: a.max(axis=1) ** 2, (distinct((2, 3)),)),
    "reshape": (lambda a: a.reshape(3, 2) ** 2, (A,)),
    "transpose": (lambda a: a.T @ a, (A,)),
    "getitem int": (lambda a: a[np.array([1, 1, 0])] ** 2, (A,)),
    "getitem bool": (lambda a: a[np.array([True, False])] ** 3, (A,)),
    "getitem slice": (lambda a: a[:, 1:] ** 2, (A,)),
    "matmul": (lambda a, b: (a @ b.T) ** 2, (A, B)),
    "matmul vector": (lambda a, v: (a @ v) ** 2, (A, ROW)),
    "softmax": (lambda a: softmax(a, axis=1), (A,)),
    "log_softmax": (lambda a: log_softmax(a, axis=0), (A,)),
    "cross_entropy labels": (lambda a: cross_entropy(a, LABELS), (A,)),
    "cross_entropy probabilities": (lambda a: cross_entropy(a, PROBS), (A,)),
    "cross_entropy rows not summing to 1": (lambda a: cross_entropy(a, 2 * PROBS), (A,)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_operation_twice(name):
    f, arrays = CASES[name]
    check_grads(f, *arrays, order=2)
