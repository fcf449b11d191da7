"""One policy for points where a value or a derivative does not exist (Value and Tensor alike).

Forward: a finite real result is computed, anything else is an error naming the operation and
the value. Backward: PyTorch's value at special points; inf or nan where the derivative is
infinite or undefined, with one GradientWarning per pass (an error under detect_anomaly()).
The expected numbers come from PyTorch (float64) and from closed forms.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd
from autograd import GradientWarning, Tensor, Value, detect_anomaly, grad

torch = pytest.importorskip("torch", reason="PyTorch parity needs torch==2.13.0 (the parity extra)")

INF, NAN = math.inf, math.nan


def _same(ours, expected) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-13, atol=0, equal_nan=True)


def _torch_pow_grads(a: float, b: float) -> tuple[float, float]:
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (ta ** tb).backward()
    return ta.grad.item(), tb.grad.item()


def _backward_quietly(out) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out.backward()
    return [w for w in caught if issubclass(w.category, GradientWarning)]


# ---- forward: every finite real result is computed ---------------------------------------------
@pytest.mark.parametrize("make, expected", [
    (lambda: Value(0.0).sqrt(), 0.0),
    (lambda: Value(0.0) ** 0.5, 0.0),
    (lambda: Value(-2.0) ** Value(2.0), 4.0),
    (lambda: Value(-2.0) ** 2, 4.0),
    (lambda: Value(0.0) ** Value(0.0), 1.0),
    (lambda: Value(0.0) ** 0, 1.0),
    (lambda: Value(0.0) ** 1.5, 0.0),
    (lambda: 0.0 ** Value(2.0), 0.0),
    (lambda: Tensor(0.0).sqrt(), 0.0),
    (lambda: Tensor(0.0) ** 0.5, 0.0),
    (lambda: Tensor(-2.0) ** Tensor(2.0), 4.0),
    (lambda: Tensor(0.0) ** Tensor(0.0), 1.0),
])
def test_finite_results_are_computed(make, expected):
    assert float(make().data) == expected


@pytest.mark.parametrize("make, kind, words", [
    (lambda: Value(0.0).log(), ValueError, ["log", "0.0"]),
    (lambda: Value(-2.0) ** 0.5, ValueError, ["power", "-2.0"]),
    (lambda: Value(-2.0) ** Value(0.5), ValueError, ["power", "-2.0"]),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, ["power", "0 **"]),
    (lambda: Value(0.0) ** Value(-1.0), ZeroDivisionError, ["power", "0 **"]),
    (lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000.0"]),
    (lambda: Value(-1.0).sqrt(), ValueError, ["sqrt", "-1.0"]),
    (lambda: Tensor([1.0, 0.0]).log(), ValueError, ["log", "0.0"]),
    (lambda: Tensor([-2.0]) ** 0.5, ValueError, ["pow", "0.5"]),
    (lambda: Tensor([-2.0]) ** Tensor([0.5]), ValueError, ["pow", "negative base"]),
    (lambda: Tensor([0.0]) ** -1, ValueError, ["pow", "-1"]),
    (lambda: Tensor([1000.0]).exp(), OverflowError, ["exp", "1000"]),
    (lambda: Tensor([1.0]) / Tensor([0.0]), ZeroDivisionError, ["div", "0"]),
])
def test_results_that_are_not_finite_reals_are_errors(make, kind, words):
    with pytest.raises(kind) as info:
        make()
    for word in words:
        assert word in str(info.value)


# ---- backward: PyTorch's values at the special points --------------------------------------------
POW_POINTS = [(0.0, 2.0), (0.0, 0.0), (2.0, 0.0), (-2.0, 2.0), (-2.0, 3.0), (0.0, 1.0),
              (0.0, 0.5), (0.0, 1.5), (3.0, 0.5), (-1.5, 0.0), (0.0, 3.0), (2.0, -1.0)]


@pytest.mark.parametrize("a, b", POW_POINTS)
def test_value_pow_gradients_match_torch(a, b):
    x, y = Value(a), Value(b)
    _backward_quietly(x ** y)
    _same([x.grad, y.grad], _torch_pow_grads(a, b))


@pytest.mark.parametrize("a, b", POW_POINTS)
def test_tensor_pow_gradients_match_torch(a, b):
    x, y = Tensor([a], requires_grad=True), Tensor([b], requires_grad=True)
    _backward_quietly((x ** y).sum())
    _same([x.grad[0], y.grad[0]], _torch_pow_grads(a, b))


def test_the_issue_examples():
    # d/da and d/db of a ** b at a = 0, b = 2 are both 0
    a, b = Value(0.0), Value(2.0)
    assert _backward_quietly(a ** b) == [] and (a.grad, b.grad) == (0.0, 0.0)
    # Value(-2) ** Value(2): 4, base gradient -4; the exponent's gradient is nan (ln of -2)
    a, b = Value(-2.0), Value(2.0)
    out = a ** b
    assert out.data == 4.0
    warned = _backward_quietly(out)
    assert a.grad == -4.0 and math.isnan(b.grad) and len(warned) == 1
    # Tensor([0., 2.]) ** Tensor([0., 0.]): d/da of a ** 0 is 0 everywhere, no warning
    a = Tensor([0.0, 2.0], requires_grad=True)
    assert _backward_quietly((a ** Tensor([0.0, 0.0])).sum()) == []
    _same(a.grad, [0.0, 0.0])


# every (x, n) whose x ** n is a finite real number (the others are forward errors, above)
CONSTANT_POWERS = [(x0, n) for x0 in (0.0, 2.0, -2.0) for n in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0,
                                                                  0.25)
                   if not (x0 == 0 and n < 0) and not (x0 < 0 and n != int(n))]


@pytest.mark.parametrize("x0, n", CONSTANT_POWERS)
def test_constant_exponent_gradients_match_torch(x0, n):
    t = torch.tensor([x0], dtype=torch.float64, requires_grad=True)
    (t ** n).sum().backward()
    v = Value(x0)
    _backward_quietly(v ** n)
    tensor = Tensor([x0], requires_grad=True)
    _backward_quietly((tensor ** n).sum())
    _same([v.grad, tensor.grad[0]], [t.grad.item()] * 2)


@pytest.mark.parametrize("x0", [0.0, 4.0])
def test_sqrt_matches_torch(x0):
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    t.sqrt().backward()
    v, tensor = Value(x0), Tensor(x0, requires_grad=True)
    _backward_quietly(v.sqrt())
    _backward_quietly(tensor.sqrt())
    _same([v.grad, tensor.grad], [t.grad.item()] * 2)
    assert (v.grad == INF) == (x0 == 0)


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_relu_and_abs_have_derivative_zero_at_zero(name):
    t = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    getattr(torch, name)(t).sum().backward()
    v = Value(0.0)
    getattr(v, name)().backward()
    assert v.grad == t.grad.item() == 0.0
    if name == "relu":
        x = Tensor([0.0], requires_grad=True)
        x.relu().sum().backward()
        assert x.grad[0] == 0.0


def test_sqrt_at_zero_with_zero_upstream_is_nan_as_in_torch():
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (t.sqrt() * 0.0).backward()
    v = Value(0.0)
    _backward_quietly(v.sqrt() * 0.0)
    assert math.isnan(v.grad) and math.isnan(t.grad.item())


# ---- the warning: tracegrad's own class, naming operation, point and input, once per pass ------
def test_one_warning_per_pass_naming_operation_point_and_input():
    x, y = Value(0.0, label="x"), Value(0.0, label="y")
    with pytest.warns(GradientWarning) as record:
        (x.sqrt() + y.sqrt()).backward()
    ours = [w for w in record if issubclass(w.category, GradientWarning)]
    assert len(ours) == 1
    text = str(ours[0].message)
    assert "sqrt" in text and "x = 0.0" in text and "inf" in text and "1 more" in text
    assert "'y'" in text or "y:" in text  # the input is named
    assert issubclass(GradientWarning, RuntimeWarning)


def test_tensor_warning_names_the_entry():
    x = Tensor([4.0, 0.0, 9.0], requires_grad=True, label="x")
    with pytest.warns(GradientWarning, match=r"x = 0\.0 \(entry \(1,\)\): d/dx is inf.*'x'"):
        x.sqrt().sum().backward()
    _same(x.grad, [0.25, INF, 1 / 6])


def test_no_warning_where_every_derivative_exists():
    x = Value(0.0)
    assert _backward_quietly((x ** 2 + x.relu() + abs(x)) * 3) == []
    t = Tensor([0.0, -2.0], requires_grad=True)
    assert _backward_quietly(((t ** 2) * (t ** Tensor([0.0, 2.0]))).sum()) == []


def test_anomaly_mode_turns_the_warning_into_an_error():
    x = Value(0.0, label="x")
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"sqrt.*x = 0\.0.*inf"):
        x.sqrt().backward()
    t = Tensor([-2.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"a = -2\.0.*d/db is nan"):
        (Tensor([-2.0]) ** t).sum().backward()


def test_only_inputs_that_need_a_gradient_are_affected():
    # a < 0 makes d/db undefined, but b needs no gradient: no nan, no warning
    a = Tensor([-2.0, 0.0], requires_grad=True)
    b = Tensor([3.0, 2.0])
    assert _backward_quietly((a ** b).sum()) == []
    _same(a.grad, [3 * 4.0, 0.0])
    # x ** 0.5 never looks at its constant exponent
    v = Value(4.0)
    assert _backward_quietly(v ** 0.5) == [] and v.grad == 0.25


# ---- higher order follows the same rule ----------------------------------------------------------
def test_first_derivative_of_x_to_1_5_at_zero_is_zero_then_the_second_is_inf():
    for make in (lambda: Value(0.0), lambda: Tensor(0.0, requires_grad=True)):
        v = make()
        d1, = grad(v ** 1.5, v, create_graph=True)  # 1.5 * sqrt(0): no error, no warning
        assert float(d1.data) == 0.0
        t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        td1, = torch.autograd.grad(t ** 1.5, t, create_graph=True)
        td2, = torch.autograd.grad(td1, t)
        with pytest.warns(GradientWarning):
            d2, = grad(d1, v)
        _same(float(np.asarray(getattr(d2, "data", d2))), td2.item())  # 0.75 / sqrt(0) = inf


def test_sqrt_at_zero_under_create_graph_gives_inf_like_torch():
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    td1, = torch.autograd.grad(t.sqrt(), t, create_graph=True)
    for v in (Value(0.0), Tensor(0.0, requires_grad=True)):
        with pytest.warns(GradientWarning):
            d1, = grad(v.sqrt(), v, create_graph=True)
        _same(float(np.asarray(d1.data)), td1.item())


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_relu_of_a_full_reduction_differentiates_twice(reduce):
    data = np.array([[0.5, -1.0], [2.0, 0.25]])
    x = Tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    y = getattr(x, reduce)().relu() ** 2
    ty = getattr(torch, "amax" if reduce == "max" else reduce)(t).relu() ** 2
    d1, = grad(y, x, create_graph=True)
    td1, = torch.autograd.grad(ty, t, create_graph=True)
    d2, = grad(d1.sum(), x)
    td2, = torch.autograd.grad(td1.sum(), t)
    _same(d1.data, td1.detach().numpy())
    _same(d2, td2.numpy())


@pytest.mark.parametrize("op", ["relu", "sigmoid", "tanh", "exp", "sqrt", "square", "neg"])
def test_zero_dimensional_tensors_differentiate_three_times(op):
    f = {"square": lambda z: z * z, "neg": lambda z: -z}.get(op, lambda z: getattr(z, op)())
    x = Tensor(0.7, requires_grad=True)
    t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    d = f(x)
    td = f(t)
    for _ in range(3):
        d, = grad(d, x, create_graph=True)
        # torch refuses to differentiate a constant: its derivative is 0
        td = (torch.autograd.grad(td, t, create_graph=True)[0] if td.requires_grad
              else torch.zeros((), dtype=torch.float64))
        _same(float(np.asarray(d.data)), td.item())


# ---- reductions over nothing ---------------------------------------------------------------------
def test_mean_of_nothing_is_nan_with_a_warning():
    with pytest.warns(RuntimeWarning, match="mean"):
        m = Tensor(np.zeros(0), requires_grad=True).mean()
    assert math.isnan(float(m.data)) and math.isnan(torch.zeros(0).mean().item())
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    with pytest.warns(RuntimeWarning):
        m = x.mean(axis=0)
    assert m.shape == (3,) and np.isnan(m.data).all()
    m.sum().backward()
    assert x.grad.shape == (0, 3)
    y = Tensor(np.zeros((3, 0)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is averaged over an empty set here
        m = y.mean(axis=0)
    assert m.shape == (0,)
    assert Tensor(np.zeros((2, 0))).sum().data == 0.0


@pytest.mark.parametrize("make, op", [
    (lambda: Tensor([1e200]) * Tensor([1e200]), "Mul"),
    (lambda: Tensor([1e308]) + 1e308, "Add"),
    (lambda: Tensor([-1e308]) - 1e308, "Sub"),
    (lambda: Tensor([1e300]) / 1e-300, "Div"),
    (lambda: Tensor([[1e200, 1e200]]) @ Tensor([[1e200], [1.0]]), "MatMul"),
    (lambda: Tensor([1e308, 1e308]).sum(), "Sum"),
    (lambda: Tensor([1e308, 1e308]).mean(), "mean"),
    (lambda: Tensor([1e300]).astype(np.float32), "float32"),
    (lambda: Value(1e200) * 1e200, "mul"),
    (lambda: Value(1e308) + Value(1e308), "add"),
    (lambda: Value(1e300) / 1e-300, "div"),
])
def test_an_overflowing_result_is_an_error_naming_the_operation(make, op):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own overflow note
        with pytest.raises(OverflowError, match=op):
            make()


def test_max_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="max.*empty"):
        Tensor(np.zeros(0)).max()


# ---- seeds ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [INF, NAN])
def test_a_non_finite_seed_is_refused(seed):
    with pytest.raises(ValueError, match="seed.*finite"):
        (Value(2.0) * 3).backward(seed)
    with pytest.raises(ValueError, match="seed.*finite"):
        (Tensor([2.0], requires_grad=True) * 3).backward(np.array([seed]))


def test_gradient_warning_is_exported():
    assert autograd.GradientWarning is GradientWarning
