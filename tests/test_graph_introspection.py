"""What viz reads from a node beyond data/grad/parents: constants, operation names, and what
each backward step sent to each input (checked against closed forms, not the engine)."""
from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value, cross_entropy


def test_lifted_numbers_are_constants_and_user_leaves_are_not():
    x = Value(2.0, label="x")
    y = x * 2 + 1.5
    assert not x.is_constant and not y.is_constant
    constants = [p for n in (y, y.parents[0]) for p in n.parents if p.is_constant]
    assert sorted(c.data for c in constants) == [1.5, 2.0]
    t = Tensor([1.0, 2.0], requires_grad=True)
    u = t * 3.0 + np.array([1.0, 1.0])
    assert u.parents[1].is_constant and u.parents[0].parents[1].is_constant
    assert not Tensor([1.0]).is_constant  # an input the user made is not a constant


def test_constants_still_behave_as_values():
    x = Value(3.0)
    c = (x * 2).parents[1]
    z = c * x + x / c - c ** 2 + 2 ** c
    z.backward()
    assert z.data == pytest.approx(2 * 3 + 3 / 2 - 4 + 4)
    assert x.grad == pytest.approx(2 + 1 / 2)


def test_op_names():
    x, y = Value(1.0), Value(2.0)
    assert (x * y).op_name == "mul" and x.sigmoid().op_name == "sigmoid" and x.op_name == ""
    assert (x ** 2).op_name == "pow" and (x / y).op_name == "div"
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    assert (a @ np.ones((3, 2))).op_name == "matmul" and a.sum().op_name == "sum"
    assert cross_entropy(a, np.array([0, 1])).op_name == "crossentropy"


def test_value_input_grads_are_upstream_times_local():
    a, b = Value(3.0), Value(4.0)
    c = a * b
    loss = c * c  # dloss/dc = 2c = 24
    loss.backward()
    assert c.input_grads() == (24.0 * 4.0, 24.0 * 3.0)
    assert a.input_grads() == ()


def test_tensor_input_grads_follow_the_affine_rules():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    x, w, bias = Tensor(X), Tensor(W, requires_grad=True), Tensor(b, requires_grad=True)
    xw = x @ w
    y = xw + bias
    t = np.array([0, 1, 1, 0])
    loss = cross_entropy(y, t)
    loss.backward()  # releases what the operations saved
    probs = np.exp(y.data) / np.exp(y.data).sum(axis=1, keepdims=True)
    dY = (probs - np.eye(2)[t]) / 4  # the lecture's (y - t) / N
    (d_scores,) = loss.input_grads()
    np.testing.assert_allclose(d_scores, dY, rtol=1e-12)
    d_xw, d_b = y.input_grads()
    np.testing.assert_allclose(d_b, dY.sum(axis=0), rtol=1e-12)  # summed over the batch
    d_x, d_w = xw.input_grads()
    assert d_x is None  # x needs no gradient
    np.testing.assert_allclose(d_w, X.T @ dY, rtol=1e-12)  # dW = X^T dY
    np.testing.assert_allclose(w.grad, d_w, rtol=1e-12)
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()  # asking did not bring the saved arrays back
