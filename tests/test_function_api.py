"""autograd.Function as the public way to define an operation, and autograd.gradcheck.

Each broken operation below has one deliberate mistake of a kind learners make; gradcheck must
report it (and, where it can tell, say which kind). The right operations must pass orders 1 and 2.
"""
from __future__ import annotations

import numpy as np
import pytest

import autograd
import viz
from autograd import Function, GradcheckReport, Tensor, gradcheck, sum_to
from autograd.tensor import apply
from functions import Softplus, SoftplusWrongSign


class Cube(Function):
    """c·x³ with a parameter."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c

    def forward(self, x):
        return self.c * x ** 3

    def backward(self, g, x, out):
        return (g * 3 * self.c * x * x,)


class AddTwice(Function):
    """a + 2b, b broadcast against a."""
    symbol = "a+2b"

    def forward(self, a, b):
        return a + 2 * b

    def backward(self, g, a, b, out):
        return sum_to(g, a.shape), sum_to(2 * g, b.shape)


class Divide(Function):
    symbol = "a÷b"

    def forward(self, a, b):
        return a / b

    def backward(self, g, a, b, out):
        return g / b, -g * a / (b * b)


# ---- one mistake each ----------------------------------------------------------------------------
class CubeMissingFactor(Cube):
    def backward(self, g, x, out):
        return (g * self.c * x * x,)  # the 3 of 3x² is missing


class DivideSwapped(Divide):
    def backward(self, g, a, b, out):
        return -g * a / (b * b), g / b  # returned in the wrong order


class AddTwiceNotSummed(AddTwice):
    def backward(self, g, a, b, out):
        return g, 2 * g  # b's gradient keeps the broadcast shape


class SoftplusSavedArray(Softplus):
    """Right once; the saved array is a constant to the second derivative."""

    def forward(self, x):
        self.saved = 1 / (1 + np.exp(-x))
        return np.logaddexp(0.0, x)

    def backward(self, g, x, out):
        return (g * self.saved,)


class CubeBareArray(Cube):
    def backward(self, g, x, out):
        return g * 3 * self.c * x * x  # not a tuple


class DivideOneGradient(Divide):
    def backward(self, g, a, b, out):
        return (g / b,)


RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
POSITIVE = RNG.uniform(1.0, 2.0, (3, 4))
BIAS = RNG.standard_normal(4)


# ---- the Function API ----------------------------------------------------------------------------
def test_call_applies_the_operation_and_backward_uses_its_formula():
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = Cube(2.0)(x)
    assert np.allclose(y.data, [2.0, -16.0])
    y.sum().backward()
    assert np.allclose(x.grad, [6.0, 24.0])  # 6x²
    z = apply(Cube(2.0), x)
    assert np.allclose(z.data, y.data)


def test_numbers_beside_a_tensor_become_constants_and_a_tensor_is_required():
    a = Tensor(np.ones((2, 4)), requires_grad=True)
    y = AddTwice()(a, np.arange(4.0))
    assert np.allclose(y.data, 1 + 2 * np.arange(4.0))
    assert y.parents[1].is_constant
    with pytest.raises(TypeError, match="AddTwice: expected at least one Tensor"):
        AddTwice()(np.ones(2), np.ones(2))


def test_an_instance_is_one_application():
    op = Cube()
    op(Tensor([1.0], requires_grad=True))
    with pytest.raises(RuntimeError, match=r"Cube was already applied once.*Cube\(\.\.\.\)\(x\)"):
        op(Tensor([2.0], requires_grad=True))


def test_symbol_defaults_to_the_class_name_and_is_drawn_like_a_builtin():
    x = Tensor([0.5], requires_grad=True)
    assert Cube()(x).op == "Cube" and Cube()(x).op_name == "cube"
    y = Softplus()(x)
    assert y.op == "softplus"
    source = viz.draw(y).source
    assert 'class="tg-op"' in source and "softplus" in source
    assert Function.symbol == "?"  # the base class keeps its placeholder


def test_builtins_do_not_go_through_call(monkeypatch):
    def refuse(self, *inputs):
        raise AssertionError(f"{self!r} went through Function.__call__")
    monkeypatch.setattr(Function, "__call__", refuse)
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    loss = autograd.cross_entropy((x * 2 + 1).exp() @ np.ones((3, 2)), np.array([0, 1]))
    loss.backward()
    assert x.grad.shape == (2, 3)


# ---- gradcheck: right operations pass ------------------------------------------------------------
@pytest.mark.parametrize("fn, inputs", [
    (Softplus, (X,)),
    (Cube(2.0), (X,)),
    (AddTwice, (X, BIAS)),
    (Divide, (X, POSITIVE)),
    (lambda a, b: (a * b).tanh().sum(axis=0), (X, POSITIVE)),
], ids=["softplus", "cube-instance", "broadcast", "divide", "composite"])
def test_right_operations_pass_orders_1_and_2(fn, inputs):
    report = gradcheck(fn, *inputs)
    assert isinstance(report, GradcheckReport)
    assert report.ok, str(report)
    assert {r.order for r in report.rows} == {1, 2}
    assert all(r.max_rel < 1e-6 for r in report.rows), str(report)


def test_a_constant_input_is_not_checked():
    report = gradcheck(AddTwice, X, Tensor(BIAS))
    assert report.ok and [r.input for r in report.rows] == ["a", "a"]


# ---- gradcheck: each mistake is caught and named ------------------------------------------------
@pytest.mark.parametrize("fn, inputs, order, words", [
    (SoftplusWrongSign, (X,), 1, "wrong sign"),
    (CubeMissingFactor(2.0), (X,), 1, "0.3333 × the right one"),
    (DivideSwapped, (X, POSITIVE), 1, "exchanged"),
    (AddTwiceNotSummed, (X, BIAS), 1, "sum_to"),
    (SoftplusSavedArray, (X,), 2, "constant to the second derivative"),
], ids=["sign", "factor", "order", "not-summed", "not-twice-differentiable"])
def test_each_kind_of_mistake_is_caught(fn, inputs, order, words):
    report = gradcheck(fn, *inputs)
    assert not report.ok
    assert any(not r.ok for r in report.rows if r.order == order)
    if order == 2:
        assert all(r.ok for r in report.rows if r.order == 1), "first order is right"
    assert words in str(report)


def test_a_bare_array_or_too_few_gradients_is_a_problem_before_any_number():
    report = gradcheck(CubeBareArray, X)
    assert not report.ok and "not a tuple" in report.problems[0]
    report = gradcheck(DivideOneGradient, X, POSITIVE, order=1)
    assert not report.ok and "1 gradient(s) for 2 input(s)" in report.problems[0]


def test_the_report_reads_as_a_table_and_in_jupyter():
    report = gradcheck(CubeMissingFactor(2.0), X)
    text = str(report)
    assert text.splitlines()[0] == "gradcheck CubeMissingFactor: FAILED (order 1 wrong)"
    assert "max abs err" in text and "worst at" in text and "WRONG" in text
    assert "tolerance:" in text
    row = report.rows[0]
    assert row.order == 1 and row.input == "x" and row.shape == (3, 4) and not row.ok
    worst = row.worst
    expected = 6.0 * X[worst] ** 2  # d(2x³)/dx times R, R unknown here: compare the ratio
    assert row.analytic / row.numerical == pytest.approx(1 / 3, rel=1e-6)
    assert abs(row.numerical) <= abs(expected) * 10  # the worst entry is a real entry
    html = report._repr_html_()
    assert "<table>" in html and "WRONG" in html


def test_float32_inputs_are_checked_in_float64():
    report = gradcheck(Softplus, Tensor(X.astype(np.float32), requires_grad=True))
    assert report.ok and "float64" in report.notes[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        gradcheck(Softplus, X, order=3)
    with pytest.raises(TypeError, match="give the inputs"):
        gradcheck(Softplus)
    with pytest.raises(TypeError, match="Function"):
        gradcheck(42, X)


def test_right_operations_at_mixed_scales_pass():
    # built-ins, whose gradients are right: exp' = exp, (a·a)' = 2a, matmul's closed forms
    assert gradcheck(lambda t: t.exp(), np.array([15.0, 1.0])).ok
    assert gradcheck(lambda a: (a * a).sum(), np.array([1e4, 1e-3])).ok
    rng = np.random.default_rng(0)
    assert gradcheck(lambda a, b: a @ b, 1e3 * rng.standard_normal((3, 3)),
                     1e3 * rng.standard_normal((3, 3))).ok


def test_a_wrong_small_entry_next_to_a_huge_one_fails():
    class ExpBad(Function):
        def forward(self, x):
            return np.exp(x)

        def backward(self, g, x, out):
            return (g * out * np.where(x < 10, -1.0, 1.0),)  # wrong sign for small x
    report = gradcheck(ExpBad, np.array([30.0, 1.0, -3.0]), order=1)
    assert not report.ok and report.rows[0].worst in ((1,), (2,))


def test_an_input_at_a_kink_is_said_so():
    class Relu(Function):
        def forward(self, x):
            return np.maximum(x, 0)

        def backward(self, g, x, out):
            return (g * (x > 0),)
    report = gradcheck(Relu, np.array([0.0, 1.0, -1.0]), order=1)
    assert not report.ok
    assert "x[0] = 0 is at a kink" in report.rows[0].hint and "kink" in report.verdict()
    assert gradcheck(Relu, np.array([0.3, 1.0, -1.0])).ok


def test_inputs_are_named_whatever_forwards_first_parameter_is_called():
    class Mul(Function):
        def forward(s, a, b):  # noqa: N805 - not called self
            return a * b

        def backward(s, g, a, b, out):  # noqa: N805
            return (g * a, g * b)  # exchanged
    report = gradcheck(Mul, np.array([1.0, 2.0]), np.array([3.0, -1.0]), order=1)
    assert [r.input for r in report.rows] == ["a", "b"]


def test_a_backward_returning_the_wrong_number_of_gradients_is_named():
    """One gradient per input, in a tuple (a list is taken too): a missing one, or a bare array,
    is a TypeError naming the operation, not a silently dropped gradient."""
    import numpy as np
    import pytest

    from autograd import Function, Tensor

    class Short(Function):
        symbol = "short"

        def forward(self, x, y):
            return x * y

        def backward(self, g, x, y, out):
            return (g * y,)

    class Bare(Function):
        symbol = "bare"

        def forward(self, x):
            return 2 * x

        def backward(self, g, x, out):
            return 2 * g

    class AsList(Function):
        symbol = "list"

        def forward(self, x):
            return 2 * x

        def backward(self, g, x, out):
            return [2 * g]

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"Short.backward must return a tuple with one gradient "
                                        r"per input \(2\), got tuple of 1"):
        Short()(x, x).sum().backward()
    with pytest.raises(TypeError, match=r"Bare.backward .* \(1\), got ndarray"):
        Bare()(x).sum().backward()
    x.grad = None
    AsList()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
