"""The scalar engine: every rule against central differences and closed forms, the lecture's
numbers, micrograd's README example, and the backward-pass semantics."""
import math

import pytest

import autograd

from autograd import Value, no_grad, topological_order, zero_grad
from graphs import micrograd_expression

H = 1e-6


def central(f, x: float) -> float:
    return (f(x + H) - f(x - H)) / (2 * H)


def autograd_derivative(op, x: float) -> float:
    v = Value(x)
    op(v).backward()
    return v.grad


# (name, op on a Value, the same op on a float, closed-form derivative, points)
UNARY = [
    ("exp", lambda v: v.exp(), math.exp, math.exp, [-3.0, 0.0, 0.7, 5.0]),
    ("log", lambda v: v.log(), math.log, lambda x: 1 / x, [0.01, 0.5, 1.0, 30.0]),
    ("tanh", lambda v: v.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2,
     [-20.0, -1.3, 0.0, 0.4, 20.0]),
    ("sigmoid", lambda v: v.sigmoid(), lambda x: 1 / (1 + math.exp(-x)),
     lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, [-30.0, -2.0, 0.0, 1.5, 30.0]),
    ("relu", lambda v: v.relu(), lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0,
     [-2.0, -1e-3, 1e-3, 3.0]),
    ("sqrt", lambda v: v.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x), [1e-2, 0.25, 9.0]),
    ("abs", abs, abs, lambda x: math.copysign(1.0, x), [-2.5, -1e-3, 1e-3, 4.0]),
    ("neg", lambda v: -v, lambda x: -x, lambda x: -1.0, [-1.0, 2.0]),
    ("square", lambda v: v ** 2, lambda x: x ** 2, lambda x: 2 * x, [-3.0, 0.0, 1.5]),
    ("cube", lambda v: v ** 3, lambda x: x ** 3, lambda x: 3 * x * x, [-2.0, 0.5]),
    ("inverse", lambda v: v ** -1, lambda x: x ** -1, lambda x: -x ** -2, [-2.0, 0.5, 3.0]),
    ("root", lambda v: v ** 0.5, lambda x: x ** 0.5, lambda x: 0.5 * x ** -0.5, [0.3, 4.0]),
    ("rpow", lambda v: 2 ** v, lambda x: 2 ** x, lambda x: 2 ** x * math.log(2), [-1.0, 0.0, 3.0]),
    ("radd", lambda v: 3 + v, lambda x: 3 + x, lambda x: 1.0, [1.0]),
    ("rsub", lambda v: 3 - v, lambda x: 3 - x, lambda x: -1.0, [1.0]),
    ("rmul", lambda v: 2 * v, lambda x: 2 * x, lambda x: 2.0, [1.0]),
    ("rdiv", lambda v: 1 / v, lambda x: 1 / x, lambda x: -1 / x ** 2, [-0.5, 2.0]),
]


@pytest.mark.parametrize("name,op,f,closed,points", UNARY, ids=[u[0] for u in UNARY])
def test_unary_rule_against_central_difference_and_closed_form(name, op, f, closed, points):
    for x in points:
        got = autograd_derivative(op, x)
        assert got == pytest.approx(closed(x), rel=1e-12, abs=1e-15), (name, x)
        if name not in ("relu", "abs") or abs(x) > 10 * H:
            assert got == pytest.approx(central(f, x), rel=1e-6, abs=1e-8), (name, x)
        assert op(Value(x)).data == pytest.approx(f(x), rel=1e-15, abs=1e-300)


BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    ("sub", lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    ("mul", lambda a, b: a * b, lambda a, b: (b, a)),
    ("div", lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2)),
    ("pow", lambda a, b: a ** b, lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
]


@pytest.mark.parametrize("name,op,closed", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("a,b", [(1.5, 2.0), (0.3, -1.7), (4.0, 0.5)])
def test_binary_rule_against_central_difference_and_closed_form(name, op, closed, a, b):
    va, vb = Value(a), Value(b)
    op(va, vb).backward()
    da, db = closed(a, b)
    assert va.grad == pytest.approx(da, rel=1e-12)
    assert vb.grad == pytest.approx(db, rel=1e-12)
    assert va.grad == pytest.approx(central(lambda x: op(x, b), a), rel=1e-6)
    assert vb.grad == pytest.approx(central(lambda y: op(a, y), b), rel=1e-6)


def test_lecture_buy_apple():
    apple, apple_num, tax = Value(100, label="apple"), Value(2, label="apple_num"), Value(1.1)
    price = apple * apple_num * tax
    price.backward()
    assert round(price.data, 10) == 220
    assert (round(apple.grad, 10), round(apple_num.grad, 10), round(tax.grad, 10)) == (2.2, 110, 200)


def test_lecture_buy_apple_orange():
    apple, apple_num, orange, orange_num, tax = (Value(v) for v in (100, 2, 150, 3, 1.1))
    price = (apple * apple_num + orange * orange_num) * tax
    price.backward()
    assert round(price.data, 10) == 715
    grads = [round(v.grad, 10) for v in (apple_num, apple, orange, orange_num, tax)]
    assert grads == [110, 2.2, 3.3, 165, 650]


@pytest.mark.parametrize("x,y", [(1.0, 2.0), (-3.0, 0.5), (0.0, 0.0)])
def test_chain_rule_square_of_sum(x, y):
    vx, vy = Value(x), Value(y)
    z = (vx + vy) ** 2
    z.backward()
    assert vx.grad == 2 * (x + y) and vy.grad == 2 * (x + y)


def test_micrograd_readme_expression():
    g, a, b = micrograd_expression()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_leaves_accumulate_intermediates_hold_this_pass():
    a = Value(-4.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad) == (4.0, 2.0)
    c.backward()
    assert (a.grad, b.grad) == (8.0, 2.0)
    zero_grad(c)
    assert a.grad == 0.0 and b.grad == 2.0
    c.backward()
    assert a.grad == 4.0


def test_node_used_several_times_and_shared_subexpressions():
    x = Value(3.0)
    y = x * x * x  # 3x^2
    y.backward()
    assert x.grad == pytest.approx(27.0)
    x.zero_grad()
    s = x.tanh()
    out = s * s + s  # d/dx = (2s + 1)(1 - s^2)
    out.backward()
    t = math.tanh(3.0)
    assert x.grad == pytest.approx((2 * t + 1) * (1 - t * t), rel=1e-12)
    assert len([n for n in topological_order([out]) if n is s]) == 1


def test_backward_from_a_leaf_and_unreached_leaf():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0
    a, unused = Value(1.0), Value(2.0)
    y = a * 3
    y.backward()
    assert unused.grad == 0.0 and unused.grad is not None


def test_parents_in_order_and_repr_label():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = b - a
    assert c.parents == (b, a) and c.op == "−"
    assert c.local_grads == (1.0, -1.0)
    c.label = "c"
    c.backward()
    assert repr(c) == "Value(c: data=1.0, grad=1.0)"
    assert repr(a) == "Value(a: data=2.0, grad=-1.0)"


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
    assert y.parents == () and y.data == 5.0
    z = x * x
    assert z.parents == (x, x)


def test_comparisons_compare_data_and_build_no_graph():
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1 and 2 >= b and a == 1.0 and a != b
    assert len({a, Value(1.0)}) == 2  # hashing stays by identity


@pytest.mark.parametrize("expr,kind,words", [
    (lambda: Value(1.0) + "x", TypeError, ["+", "str"]),
    (lambda: [1] * Value(1.0), TypeError, ["*", "list"]),
    (lambda: Value(0.0).log(), ValueError, ["log", "0.0"]),
    (lambda: Value(-2.0).log(), ValueError, ["log", "-2.0"]),
    (lambda: Value(-4.0) ** 0.5, ValueError, ["power", "-4.0"]),
    (lambda: Value(-4.0).sqrt(), ValueError, ["sqrt", "-4.0"]),
    (lambda: Value(3.0) / 0, ZeroDivisionError, ["division", "3.0"]),
    (lambda: 1 / Value(0.0), ZeroDivisionError, ["division", "0.0"]),
    (lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000.0"]),
    (lambda: Value(1e200) * Value(1e200), OverflowError, ["mul"]),
    (lambda: Value(float("nan")), ValueError, ["finite"]),
])
def test_bad_input_raises_a_clear_error(expr, kind, words):
    with pytest.raises(kind) as info:
        expr()
    for word in words:
        assert word in str(info.value)


def test_failed_operation_leaves_the_graph_as_it_was():
    x = Value(-1.0)
    y = x * 2
    before = topological_order([y])
    with pytest.raises(ValueError):
        y.log()
    assert topological_order([y]) == before
    y.backward()
    assert x.grad == 2.0


def test_million_node_chain_backward():
    """Iterative topological sort: micrograd's recursive one dies near a depth of 1,000."""
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y.relu()
    y = y * 3.0
    y.backward()
    assert x.grad == 3.0


def test_local_grads_of_unary_and_binary_nodes():
    x = Value(2.0)
    assert x.local_grads == ()
    assert x.exp().local_grads == (pytest.approx(math.exp(2.0)),)
    assert (x * 3).local_grads == (3.0, 2.0)


def test_power_zero_and_one_at_zero():
    for n, expected in ((0, 0.0), (1, 1.0), (2, 0.0)):
        x = Value(0.0)
        (x ** n).backward()
        assert x.grad == expected, n
    x = Value(0.0)
    assert (x ** 0.5).data == 0.0  # the value exists; only the derivative is infinite
    with pytest.warns(autograd.GradientWarning, match=r"x = 0\.0: d/dx is inf"):
        (x ** 0.5).backward()
    assert x.grad == math.inf
