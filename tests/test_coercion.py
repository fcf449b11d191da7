"""No silent wrong values from coercion: index Tensors keep their meaning, NumPy arrays never
turn Values into object arrays, NumPy integer scalars work wherever Python ints do."""
from __future__ import annotations

import operator

import numpy as np
import pytest

from autograd import Tensor, Value

torch = pytest.importorskip("torch", reason="PyTorch parity needs torch==2.13.0 (the parity extra)")


def _torch_index_grad(data, index):
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    t[torch.as_tensor(index)].sum().backward()
    return t[torch.as_tensor(index)].detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("index", [
    [True, False, True],
    [False, False, False],
    [2, 0, 2],
    [-1],
    np.array([True, True, False]),
    np.array([1, 1], dtype=np.int32),
])
def test_index_tensors_keep_their_meaning(index):
    data = [10.0, 20.0, 30.0]
    x = Tensor(data, requires_grad=True)
    y = x[Tensor(index)]
    y.sum().backward()
    expected, expected_grad = _torch_index_grad(data, np.asarray(index))
    np.testing.assert_array_equal(y.data, expected)
    np.testing.assert_array_equal(x.grad, expected_grad)


def test_the_issue_example_boolean_mask():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[Tensor([True, False, True])]
    np.testing.assert_array_equal(y.data, [1.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])


def test_two_dimensional_masks_and_tuples():
    data = np.arange(6.0).reshape(2, 3)
    mask = data > 2.5
    x = Tensor(data, requires_grad=True)
    x[Tensor(mask)].sum().backward()
    np.testing.assert_array_equal(x.grad, mask.astype(float))
    x = Tensor(data, requires_grad=True)
    y = x[Tensor([1, 0]), 1:]
    np.testing.assert_array_equal(y.data, data[[1, 0], 1:])


@pytest.mark.parametrize("index", [Tensor([0.0, 1.0]), Tensor([1.0]) + 0, Tensor([0.5])])
def test_a_float_index_tensor_is_a_clear_error(index):
    with pytest.raises(IndexError, match="integers or booleans"):
        Tensor([1.0, 2.0])[index]


def test_a_bool_or_int_tensor_still_computes_as_floats():
    mask = Tensor([True, False])
    assert mask.dtype == np.float64
    np.testing.assert_array_equal((mask * 2.5).data, [2.5, 0.0])


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow])
def test_numpy_arrays_and_values_refuse_both_orders(op):
    array = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match="Value and ndarray"):
        op(Value(2.0), array)
    with pytest.raises(TypeError, match="Value and ndarray"):  # not an object array of Values
        op(array, Value(2.0))


def test_numpy_scalars_still_combine_with_values():
    x = Value(3.0)
    y = np.float64(2.0) * x + np.int64(1) - x ** np.int64(2)
    y.backward()
    assert y.data == 2 * 3 + 1 - 9 and x.grad == 2 - 2 * 3


def test_numpy_functions_refuse_values():
    with pytest.raises(TypeError):
        np.exp(Value(1.0))


def test_values_cannot_enter_a_tensor():
    with pytest.raises(TypeError, match="Value"):
        Tensor([Value(1.0), Value(2.0)])
    with pytest.raises(TypeError, match="Value"):
        Tensor([1.0, 2.0]) * [Value(1.0), Value(2.0)]


@pytest.mark.parametrize("axis", [np.int64(-1), np.int32(0), (np.int64(0), np.int8(1))])
@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_numpy_integer_axes(axis, reduce):
    data = np.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    x = Tensor(data, requires_grad=True)
    y = getattr(x, reduce)(axis=axis)
    t = torch.tensor(data, requires_grad=True)
    dims = tuple(int(a) for a in axis) if isinstance(axis, tuple) else int(axis)
    ty = getattr(torch, "amax" if reduce == "max" else reduce)(t, dim=dims)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-15)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15)


def test_numpy_integers_in_shapes_axes_indices_and_exponents():
    data = np.arange(6.0).reshape(2, 3)
    x = Tensor(data, requires_grad=True)
    assert x.reshape(np.int64(3), np.int64(2)).shape == (3, 2)
    assert x.transpose(np.int64(1), np.int64(0)).shape == (3, 2)
    assert x.swapaxes(np.int64(0), np.int64(1)).shape == (3, 2)
    np.testing.assert_array_equal(x[np.int64(1)].data, data[1])
    np.testing.assert_array_equal((x ** np.int64(2)).data, data ** 2)
    assert x.softmax(axis=np.int64(0)).shape == (2, 3)
    (x ** np.int64(3)).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * data ** 2)


def test_bool_axis_is_refused():
    with pytest.raises(TypeError, match="axis"):
        Tensor([1.0, 2.0]).sum(axis=True)
