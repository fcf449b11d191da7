"""Bad input gives a clear error that names the operation; anomaly mode names the culprit."""
import re

import numpy as np
import pytest

import gradcheck  # noqa: F401  (puts the repository root on sys.path when needed)

import autograd
from autograd import Tensor, Value, cross_entropy, detect_anomaly


def t(*shape, value=1.0):
    return Tensor(np.full(shape, value), requires_grad=True)


def shape_text(shape):
    return re.escape(str(tuple(shape)))


# ---- incompatible shapes ---------------------------------------------------------------------
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("sa, sb", [((2, 3), (4,)), ((3, 2), (2, 3)), ((4, 1, 3), (2, 2))])
def test_elementwise_shape_mismatch_names_op_and_both_shapes(name, sa, sb):
    with pytest.raises(ValueError) as info:
        BINARY[name](t(*sa), t(*sb))
    message = str(info.value)
    assert name in message
    assert str(sa) in message and str(sb) in message, message


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_shape_mismatch_with_numpy_array_on_the_left(name):
    with pytest.raises(ValueError) as info:
        BINARY[name](np.ones(4), t(2, 3))
    message = str(info.value)
    assert name in message and "(4,)" in message and "(2, 3)" in message, message


@pytest.mark.parametrize("sa, sb", [
    ((2, 3), (4, 5)),
    ((2, 3, 4), (3, 4, 5)),  # batch axes that do not broadcast
    ((3, 2), (3, 2)),
])
def test_matmul_shape_mismatch_names_both_shapes(sa, sb):
    with pytest.raises(ValueError) as info:
        t(*sa) @ t(*sb)
    message = str(info.value)
    assert "matmul" in message
    assert str(sa) in message and str(sb) in message, message


@pytest.mark.parametrize("sa, sb", [((3,), (4, 5)), ((2, 3), (4,)), ((3,), (4,))])
def test_matmul_shape_mismatch_with_1d_operand_names_the_given_shapes(sa, sb):
    with pytest.raises(ValueError) as info:
        t(*sa) @ t(*sb)
    message = str(info.value)
    assert "matmul" in message
    assert str(sa) in message and str(sb) in message, message


def test_matmul_of_scalars_is_refused():
    with pytest.raises(ValueError, match="matmul"):
        t() @ t(3)


# ---- undefined values ---------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_log_of_non_positive(bad):
    with pytest.raises(ValueError, match="log"):
        Tensor(np.array([1.0, bad, 2.0]), requires_grad=True).log()


@pytest.mark.parametrize("f", [
    lambda x, z: x / z,
    lambda x, z: x / 0,
    lambda x, z: x / 0.0,
    lambda x, z: 1.0 / z,
    lambda x, z: x / np.array([1.0, 0.0, 1.0]),
], ids=["tensor/tensor", "tensor/0", "tensor/0.0", "number/tensor", "tensor/array"])
def test_division_by_zero(f):
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    z = Tensor(np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ZeroDivisionError, match="div"):
        f(x, z)


def test_negative_base_with_fractional_exponent():
    with pytest.raises(ValueError, match="pow"):
        Tensor(np.array([-1.0, 4.0])) ** 0.5
    with np.errstate(invalid="ignore"), pytest.raises(ValueError, match="pow"):
        Tensor(np.array([-1.0, 4.0])) ** Tensor(np.array([0.5, 0.5]))


def test_negative_base_with_tensor_exponent_raises_without_a_numpy_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="pow"):
            Tensor(np.array([-1.0, 4.0])) ** Tensor(np.array([0.5, 0.5]))


def test_exponent_gradient_at_a_negative_base_is_nan_with_a_warning():
    a = Tensor(np.array([-2.0, 3.0]))
    b = Tensor(np.array([2.0, 2.0]), requires_grad=True)
    y = (a ** b).sum()
    with pytest.warns(autograd.GradientWarning, match=r"(?i)pow.*a = -2\.0, b = 2\.0.*d/db is nan"):
        y.backward()
    assert np.isnan(b.grad[0]) and b.grad[1] == pytest.approx(9 * np.log(3.0), rel=1e-15)


def test_exp_overflow():
    with pytest.raises(OverflowError, match="exp"):
        Tensor(np.array([1.0, 1000.0])).exp()


# ---- seeds ---------------------------------------------------------------------------------------
def test_backward_without_seed_on_non_scalar_says_what_to_pass():
    y = t(2, 3) * 2.0
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "(2, 3)" in message
    assert "gradient" in message and "pass" in message
    assert ".sum()" in message or "np.ones" in message


def test_backward_on_size_one_output_needs_no_seed():
    x = t(1, 1)
    (x * 3.0).backward()
    np.testing.assert_array_equal(x.grad, [[3.0]])


@pytest.mark.parametrize("seed_shape", [(3, 2), (6,), (2, 3, 1), ()])
def test_backward_with_wrong_shaped_seed(seed_shape):
    y = t(2, 3) * 2.0
    with pytest.raises(ValueError) as info:
        y.backward(np.ones(seed_shape))
    message = str(info.value)
    assert str(seed_shape) in message and "(2, 3)" in message, message


def test_grad_with_wrong_number_of_grad_outputs():
    x = t(3)
    with pytest.raises(ValueError, match="grad_outputs"):
        autograd.grad([x * 2.0, x * 3.0], x, grad_outputs=[np.ones(3)])


def test_value_seed_must_be_a_number():
    with pytest.raises(TypeError):
        (Value(2.0) * 3).backward("1")


# ---- other bad input ------------------------------------------------------------------------------
def test_cross_entropy_bad_labels():
    scores = t(3, 4)
    with pytest.raises(ValueError, match="0..3"):
        cross_entropy(scores, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="labels"):
        cross_entropy(scores, np.array([0, 1]))
    with pytest.raises(ValueError, match="one-hot"):
        cross_entropy(scores, np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        cross_entropy(t(3), np.array([0, 1, 2]))


@pytest.mark.parametrize("op", [
    "sum",
    "mean",
    "max", "softmax", "log_softmax",
])
def test_axis_out_of_range_names_the_operation(op):
    with pytest.raises(ValueError) as info:
        getattr(t(2, 3), op)(axis=2)
    message = str(info.value)
    assert message.startswith(op + ":") and "(2, 3)" in message, message


def test_reshape_and_transpose_errors():
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\)"):
        t(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match="transpose"):
        t(2, 3, 4).transpose(0, 1)


def test_index_out_of_range():
    with pytest.raises(IndexError, match="getitem"):
        t(2, 3)[5]


def test_bad_operand_types():
    with pytest.raises(TypeError):
        t(3) + "a"
    with pytest.raises(TypeError):
        Tensor(t(3))
    with pytest.raises(TypeError):
        Tensor(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        t(3) * True


# ---- anomaly mode ----------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_sqrt_at_zero_names_the_operation():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    y = (x ** 0.5).sum()  # forward is fine; d/dx at 0 is infinite
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as info:
            y.backward(retain_graph=True)
    assert "Pow" in str(info.value) or "pow" in str(info.value), str(info.value)
    x.grad = None
    y.backward()  # without anomaly mode: no error, just an infinite gradient
    assert np.isinf(x.grad[0]) and x.grad[1] == 0.5


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_overflowing_log_gradient_names_the_operation():
    x = Tensor(np.array([1e-300, 1.0]), requires_grad=True)
    y = (x.log() * 1e300).sum()  # finite forward; 1e300 / 1e-300 overflows in log's backward
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match="Log"):
            y.backward(retain_graph=True)
    y.backward()
    assert np.isinf(x.grad[0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_names_the_first_bad_step_not_a_later_one():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    y = ((x ** 0.5).tanh() * 2.0 + 1.0).sum()
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert "Pow" in message and "Tanh" not in message and "Mul" not in message, message


def test_anomaly_with_value():
    x = Value(1e-300)
    y = x.log() * 1e300
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match="log"):
            y.backward()
    x.grad = 0.0
    y.backward()
    assert x.grad == float("inf")


def test_anomaly_mode_quiet_on_finite_gradients_and_restored():
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    with detect_anomaly():
        (x ** 0.5).sum().backward()
    np.testing.assert_allclose(x.grad, 0.5 / np.sqrt([0.5, 2.0]))
    assert autograd.engine.Mode.anomaly is False
    with pytest.raises(KeyError):
        with detect_anomaly():
            raise KeyError
    assert autograd.engine.Mode.anomaly is False
