"""Numerical gradients and gradient checks that are honest in float32.

The references are closed forms (d/dx Σx² = 2x, ...) or the same computation in float64.
"""
import warnings

import numpy as np
import pytest

from autograd import Function, Tensor, Value, cross_entropy
from autograd.tensor import apply
from nn import Affine, gradient_check
from nn.functions import UnreliableGradientWarning, numerical_gradient


def relative_to_largest(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnreliableGradientWarning)
        yield


# ---- numerical_gradient ---------------------------------------------------------------------------
def test_issue_example_float32_x_float64_f(no_warnings):
    """The issue's numbers: the book's h gave [2441.4, 5.994]; the step actually stored fixes it."""
    x = np.array([1000.0, 3.0], dtype=np.float32)
    grad = numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, [2000.0, 6.0], rtol=1e-4)


def test_float32_x_float32_f_says_which_entry_is_unreliable():
    """f in float32 too (f(x) ~ 1e6 rounds to 0.0625): the large entry is right to 1 %, the
    small one cannot be (d/dx at 3 is 6, but f's rounding is ~8 over the step): a warning names
    it and says by how much, instead of a silent 4.2."""
    x = np.array([1000.0, 3.0], dtype=np.float32)
    with pytest.warns(UnreliableGradientWarning, match=r"entry \(1,\) may be off by [0-9.]+"):
        grad = numerical_gradient(lambda v: np.sum(v ** 2), x)
    assert abs(grad[0] - 2000.0) < 20.0


def test_float32_smooth_function_within_one_percent(no_warnings):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    f = lambda v: np.sum(np.sin(v) * v)  # noqa: E731  d/dx = sin x + x cos x
    want = np.sin(x.astype(np.float64)) + x * np.cos(x.astype(np.float64))
    assert relative_to_largest(numerical_gradient(f, x), want) < 1e-3


def test_float64_keeps_the_books_step():
    """In float64 the result is the book's (f(x + h) - f(x - h)) / 2h, h = 1e-4."""
    x = np.array([3.0, -4.0, 0.5])
    f = lambda v: float(np.sum(np.exp(v / 3) * v ** 3))  # noqa: E731
    book = []
    for i in range(3):
        up, down = x.copy(), x.copy()
        up[i] += 1e-4
        down[i] -= 1e-4
        book.append((f(up) - f(down)) / 2e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(numerical_gradient(f, x), book, rtol=1e-9)


def test_unreliable_float32_check_warns_how_much():
    """f = Σx² + 1e8 in float32: 1e8 rounds to multiples of 8, far more than f changes."""
    x = np.array([1.0, 2.0], dtype=np.float32)
    says = r"numerical_gradient: unreliable .* may be off by [0-9.e+]+ where it reads"
    with pytest.warns(UnreliableGradientWarning, match=says):
        numerical_gradient(lambda v: np.sum(v ** 2) + np.float32(1e8), x)
    assert issubclass(UnreliableGradientWarning, RuntimeWarning)


def test_float64_warns_only_where_rounding_swamps_the_step():
    """float64 at |x| = 1e13: f ~ 1e26 rounds to ~1e10 per evaluation, so the check is noise."""
    with pytest.warns(UnreliableGradientWarning, match="numerical_gradient: unreliable"):
        numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1e13, 3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = numerical_gradient(lambda v: 1.0, np.array([1.0, 2.0]))  # f ignores x: no warning
    np.testing.assert_array_equal(grad, [0.0, 0.0])


def bits(array):
    return np.asarray(array).view(np.uint8).tobytes()


@pytest.mark.filterwarnings("ignore::nn.functions.UnreliableGradientWarning")
def test_numerical_gradient_restores_float32_bit_exactly_also_when_f_raises():
    x = np.array([1000.0001, -0.0, 1e-40, 3.0], dtype=np.float32)  # a subnormal and a -0
    before = bits(x)
    numerical_gradient(lambda v: np.sum(v ** 2), x)
    assert bits(x) == before
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 6:  # the second entry's second evaluation
            raise RuntimeError("boom")
        return np.sum(v ** 2)
    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert bits(x) == before


# ---- gradient_check on float32 Tensors ------------------------------------------------------------
def float32_affine_and_data():
    model = Affine(4, 3, init=1.0, rng=0, dtype=np.float32)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    return model, x, np.array([0, 2, 1, 1, 0])


def test_gradient_check_float32_affine(no_warnings):
    """It used to report relative errors of 0.17 and 0.83 here for a right gradient."""
    model, x, t = float32_affine_and_data()
    for f in (lambda: cross_entropy(model(x), t), lambda: (model(x) ** 2).sum()):
        report = gradient_check(f, model)
        assert set(report) == {"W", "b"}
        assert all(rel < 1e-3 for _, rel in report.values()), report


class WrongSquare(Function):
    """x² with a deliberately wrong backward (3x instead of 2x)."""

    def forward(self, x):
        return x * x

    def backward(self, g, x, out):
        return (g * 3 * x,)


def test_gradient_check_float32_still_catches_a_wrong_gradient():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32), requires_grad=True)
    abs_err, rel_err = gradient_check(lambda: apply(WrongSquare(), W).sum(), [W])["0"]
    assert abs_err == pytest.approx(3.0, rel=1e-3)  # max |3x - 2x| = 3
    assert rel_err == pytest.approx(1 / 3, rel=1e-3)


@pytest.mark.filterwarnings("ignore::nn.functions.UnreliableGradientWarning")
def test_gradient_check_restores_float32_bit_exactly_also_when_f_raises():
    model, x, t = float32_affine_and_data()
    model.W.data[0, 0] = np.float32(1000.0001)
    model.b.data[:] = np.array([-0.0, 1e-40, 0.1], dtype=np.float32)
    before = {name: bits(p.data) for name, p in model.named_parameters()}
    gradient_check(lambda: cross_entropy(model(x), t), model)
    assert {name: bits(p.data) for name, p in model.named_parameters()} == before
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 4:  # the analytic pass, then W[0, 0] nudged up, down, W[0, 1] up
            raise RuntimeError("boom")
        return cross_entropy(model(x), t)
    with pytest.raises(RuntimeError, match="boom"):
        gradient_check(f, model)
    assert {name: bits(p.data) for name, p in model.named_parameters()} == before


def test_gradient_check_restores_a_value_also_when_f_raises():
    v = Value(0.1)
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return v * v
    with pytest.raises(RuntimeError, match="boom"):
        gradient_check(f, [v])
    assert v.data == 0.1 and type(v.data) is float
    report = gradient_check(lambda: v * v, [v])
    assert report["0"][1] < 1e-8  # d/dv v² = 2v against central differences in float64


@pytest.mark.parametrize("f, x0, want", [
    (lambda v: np.sum(1 / v), 0.01, -1e4),          # the step must be relative near 0
    (lambda v: np.sum(np.log(v)), 1e-3, 1e3),       # ... and stay inside log's domain
])
def test_float32_steps_relative_to_small_values(f, x0, want):
    grad = numerical_gradient(f, np.array([x0], dtype=np.float32))
    assert abs(grad[0] - want) < 1e-2 * abs(want)


def test_float32_step_too_coarse_for_f_warns():
    """sin(1000x) at 0: d/dx = 1000, but any float32-sized step spans radians; the truncation
    estimate (two steps) catches it instead of a silent wrong number."""
    with pytest.warns(UnreliableGradientWarning, match="may be off"):
        numerical_gradient(lambda v: np.sum(np.sin(1000 * v)), np.array([0.0], dtype=np.float32))


def test_gradient_check_float32_near_zero():
    from autograd import Tensor
    p = Tensor(np.array([0.01], dtype=np.float32), requires_grad=True)
    report = gradient_check(lambda: (1 / p).sum(), [p])
    assert report["0"][1] < 1e-2
    q = Tensor(np.array([1e-3], dtype=np.float32), requires_grad=True)
    assert gradient_check(lambda: q.log().sum(), [q])["0"][1] < 1e-2


def test_gradient_check_float32_affine_with_the_books_small_weights():
    """Weights of std 0.01 in a loss of order 1: a step relative to |w| alone drowns in the
    loss's float32 rounding (a relative error of 0.12 on a right gradient); the step with the
    smaller estimated error is taken."""
    layer = Affine(4, 3, rng=0, dtype=np.float32)  # the book's std 0.01
    x = Tensor(np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32))
    labels = np.array([0, 1, 2, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreliableGradientWarning)
        report = gradient_check(lambda: cross_entropy(layer(x), labels), layer)
    assert max(rel for _, rel in report.values()) < 1e-2, report
