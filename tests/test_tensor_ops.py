"""Every Tensor operation against central differences (tests/gradcheck.py), plus closed forms.

Forward values are compared with NumPy written out independently; gradients with central
differences of sum(f(x) * R) for a fixed random R, so non-scalar outputs are covered.
"""
import numpy as np
import pytest

from gradcheck import away_from_zero, check_grads, distinct, rng

import autograd
from autograd import Function, Tensor, cross_entropy, log_softmax, softmax
from autograd.tensor import apply


def randn(*shape, seed=0):
    return rng(seed).standard_normal(shape)


def positive(*shape, seed=0):
    return rng(seed).uniform(0.5, 2.0, shape)


# ---- the helper itself can fail ---------------------------------------------------------------
class _WrongSquare(Function):
    """x**2 with a wrong derivative (x instead of 2x)."""

    def forward(self, x):
        return x * x

    def backward(self, g, x, out):
        return (g * x,)


class _DropsOneOutput(Function):
    """Identity whose backward forgets the last output entry (invisible to a sum-only check)."""

    saves_values = False

    def forward(self, x):
        return x.copy()

    def backward(self, g, x, out):
        g = g.copy()
        g.reshape(-1)[-1] = 0.0
        return (g,)


@pytest.mark.parametrize("fn", [_WrongSquare, _DropsOneOutput])
def test_gradcheck_catches_a_wrong_backward(fn):
    with pytest.raises(AssertionError):
        check_grads(lambda x: apply(fn(), x), randn(2, 3))


def test_gradcheck_catches_a_wrong_forward_value():
    with pytest.raises(AssertionError):
        check_grads(lambda x: x * 2, randn(3), expected=randn(3) * 3)


# ---- arithmetic ---------------------------------------------------------------------------------
def test_add():
    a, b = randn(3, 4), randn(3, 4, seed=1)
    check_grads(lambda a, b: a + b, a, b, expected=a + b)


def test_sub():
    a, b = randn(3, 4), randn(3, 4, seed=1)
    check_grads(lambda a, b: a - b, a, b, expected=a - b)


def test_mul():
    a, b = randn(3, 4), randn(3, 4, seed=1)
    check_grads(lambda a, b: a * b, a, b, expected=a * b)


def test_div():
    a, b = randn(3, 4), away_from_zero(randn(3, 4, seed=1), 0.5)
    check_grads(lambda a, b: a / b, a, b, expected=a / b)


def test_pow_tensor_exponent_positive_base():
    a, b = positive(3, 4), randn(3, 4, seed=1)
    check_grads(lambda a, b: a ** b, a, b, expected=a ** b)


@pytest.mark.parametrize("n", [2, 3, -1, 0.5, 1.5, -2.5, 1])
def test_pow_constant_exponent(n):
    x = positive(3, 4)
    check_grads(lambda x: x ** n, x, expected=x ** n)


def test_pow_integer_exponent_negative_base():
    x = away_from_zero(randn(3, 4))
    check_grads(lambda x: x ** 3, x, expected=x ** 3)


def test_pow_zero_exponent_has_zero_gradient_at_zero():
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    with np.errstate(all="ignore"):
        (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_rpow_number_base():
    x = randn(5)
    check_grads(lambda x: 2.0 ** x, x, expected=2.0 ** x)


def test_neg():
    x = randn(3, 4)
    check_grads(lambda x: -x, x, expected=-x)


def test_pos_is_identity():
    x = Tensor(randn(3), requires_grad=True)
    assert (+x) is x


# ---- matrix product -----------------------------------------------------------------------------
@pytest.mark.parametrize("sa, sb", [
    ((3, 4), (4, 5)),  # 2-D
    ((2, 3, 4), (2, 4, 5)),  # batched
    ((2, 3, 4), (4, 5)),  # batch broadcast on the left
    ((3, 4), (2, 4, 5)),  # batch broadcast on the right
    ((2, 1, 3, 4), (5, 4, 2)),  # both batch axes broadcast
    ((4,), (4, 5)),  # 1-D on the left
    ((3, 4), (4,)),  # 1-D on the right
    ((4,), (4,)),  # 1-D on both sides
    ((4,), (2, 4, 5)),  # 1-D with a batched right
    ((2, 3, 4), (4,)),  # batched left with a 1-D right
])
def test_matmul(sa, sb):
    a, b = randn(*sa), randn(*sb, seed=1)
    check_grads(lambda a, b: a @ b, a, b, expected=np.matmul(a, b))


def test_matmul_method_and_function():
    a, b = randn(3, 4), randn(4, 2, seed=1)
    check_grads(lambda a, b: a.matmul(b), a, b, expected=a @ b)
    check_grads(lambda a, b: autograd.matmul(a, b), a, b, expected=a @ b)


def test_matmul_numpy_array_on_either_side():
    a, w = randn(3, 4), randn(4, 2, seed=1)
    check_grads(lambda a: a @ w, a, expected=a @ w)
    check_grads(lambda w: a @ w, w, expected=a @ w)


# ---- elementwise functions -----------------------------------------------------------------------
def test_exp():
    x = randn(3, 4)
    check_grads(lambda x: x.exp(), x, expected=np.exp(x))
    check_grads(lambda x: autograd.exp(x), x, expected=np.exp(x))


def test_log():
    x = positive(3, 4)
    check_grads(lambda x: x.log(), x, expected=np.log(x))
    check_grads(lambda x: autograd.log(x), x, expected=np.log(x))


def test_tanh():
    x = randn(3, 4)
    check_grads(lambda x: x.tanh(), x, expected=np.tanh(x))
    check_grads(lambda x: autograd.tanh(x), x, expected=np.tanh(x))


def test_sigmoid():
    x = randn(3, 4) * 3
    check_grads(lambda x: x.sigmoid(), x, expected=1 / (1 + np.exp(-x)))
    check_grads(lambda x: autograd.sigmoid(x), x, expected=1 / (1 + np.exp(-x)))


def test_sigmoid_large_inputs_do_not_overflow():
    x = Tensor(np.array([-800.0, 0.0, 800.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_allclose(y.data, [0.0, 0.5, 1.0], atol=1e-300)
    np.testing.assert_allclose(x.grad, [0.0, 0.25, 0.0], atol=1e-300)


def test_relu_away_from_zero():
    x = away_from_zero(randn(3, 4))
    check_grads(lambda x: x.relu(), x, expected=np.maximum(x, 0))
    grads = check_grads(lambda x: autograd.relu(x), x)
    # closed form: the gradient of sum(relu(x) * R) is R where x > 0, else 0
    R = rng(12345).standard_normal((3, 4))
    np.testing.assert_allclose(grads[0], np.where(x > 0, R, 0.0), rtol=1e-15)


def test_sqrt():
    x = positive(5)
    check_grads(lambda x: x.sqrt(), x, expected=np.sqrt(x))


# ---- reductions -----------------------------------------------------------------------------------
AXES = [None, 0, 1, -1, 2, (0, 2), (1, 2), (0, 1, 2), (-1, 0)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
def test_sum(axis, keepdims):
    x = randn(2, 3, 4)
    check_grads(lambda x: x.sum(axis=axis, keepdims=keepdims), x,
                expected=x.sum(axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
def test_mean(axis, keepdims):
    x = randn(2, 3, 4)
    check_grads(lambda x: x.mean(axis=axis, keepdims=keepdims), x,
                expected=x.mean(axis=axis, keepdims=keepdims))


def test_mean_closed_form():
    x = Tensor(randn(4, 5), requires_grad=True)
    x.mean().backward()
    np.testing.assert_array_equal(x.grad, np.full((4, 5), 1 / 20))
    x.grad = None
    x.mean(axis=0).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((4, 5), 1 / 4), rtol=1e-15)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
def test_max_distinct_values(axis, keepdims):
    x = distinct((2, 3, 4))
    check_grads(lambda x: x.max(axis=axis, keepdims=keepdims), x,
                expected=x.max(axis=axis, keepdims=keepdims))


def test_max_ties_share_the_gradient_evenly():
    x = Tensor(np.array([[1.0, 3.0, 3.0],
                         [2.0, 2.0, 2.0],
                         [5.0, 0.0, 4.0]]), requires_grad=True)
    seed = np.array([6.0, 9.0, 2.0])
    x.max(axis=1).backward(seed)
    np.testing.assert_allclose(x.grad, [[0.0, 3.0, 3.0],
                                        [3.0, 3.0, 3.0],
                                        [2.0, 0.0, 0.0]], rtol=1e-15)


def test_max_ties_over_everything():
    x = Tensor(np.array([[1.0, 7.0], [7.0, 7.0]]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 1 / 3], [1 / 3, 1 / 3]], rtol=1e-15)


# ---- shapes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(12,), (4, 3), (2, 2, 3), (-1, 6), (3, -1, 2)])
def test_reshape(shape):
    x = randn(2, 6)
    check_grads(lambda x: x.reshape(shape), x, expected=x.reshape(shape))


def test_reshape_varargs():
    x = randn(2, 6)
    check_grads(lambda x: x.reshape(3, 4) * 1.0, x, expected=x.reshape(3, 4))


def test_transpose_T():
    x = randn(3, 4)
    check_grads(lambda x: x.T, x, expected=x.T)


@pytest.mark.parametrize("axes", [None, (0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, 1)])
def test_transpose_axes(axes):
    x = randn(2, 3, 4)
    f = (lambda x: x.transpose()) if axes is None else (lambda x: x.transpose(axes))
    check_grads(f, x, expected=np.transpose(x, axes))


def test_transpose_varargs_and_swapaxes():
    x = randn(2, 3, 4)
    check_grads(lambda x: x.transpose(2, 0, 1), x, expected=np.transpose(x, (2, 0, 1)))
    check_grads(lambda x: x.swapaxes(0, 2), x, expected=np.swapaxes(x, 0, 2))


# ---- indexing ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", [
    1,
    -1,
    (1, 2),
    slice(1, 3),
    (slice(None), 2),
    (slice(None, None, 2), slice(1, None)),
    (Ellipsis, 0),
    np.array([2, 0]),
    (np.array([0, 2, 1]), np.array([1, 1, 3])),
    (slice(None), np.array([3, 0])),
    np.array([[0, 1], [2, 2]]),
], ids=lambda i: repr(i).replace(" ", ""))
def test_getitem(index):
    x = randn(3, 4)
    check_grads(lambda x: x[index], x, expected=x[index])


def test_getitem_boolean_mask():
    x = randn(3, 4)
    mask = x > 0
    check_grads(lambda x: x[mask], x, expected=x[mask])


def test_getitem_repeated_indices_accumulate():
    x = Tensor(np.arange(5.0), requires_grad=True)
    x[np.array([0, 3, 0, 0, 4, 3])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 0.0, 2.0, 1.0])  # how often each was taken


def test_getitem_repeated_rows_gradcheck():
    x = randn(3, 2)
    idx = np.array([2, 2, 0, 2])
    check_grads(lambda x: x[idx], x, expected=x[idx])


def test_getitem_repeated_pairs_accumulate_with_weights():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    rows, cols = np.array([1, 0, 1, 1]), np.array([2, 0, 2, 1])
    x[rows, cols].backward(np.array([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(x.grad, [[10.0, 0.0, 0.0], [0.0, 1000.0, 101.0]])


# ---- softmax and the loss -----------------------------------------------------------------------
def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax(axis):
    x = randn(3, 4)
    check_grads(lambda x: x.softmax(axis), x, expected=np_softmax(x, axis))
    check_grads(lambda x: softmax(x, axis=axis), x, expected=np_softmax(x, axis))


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_log_softmax(axis):
    x = randn(3, 4)
    check_grads(lambda x: x.log_softmax(axis), x, expected=np.log(np_softmax(x, axis)))
    check_grads(lambda x: log_softmax(x, axis=axis), x, expected=np.log(np_softmax(x, axis)))


def test_softmax_large_scores_are_stable():
    x = Tensor(np.array([[1000.0, 1001.0, 999.0]]), requires_grad=True)
    p = softmax(x)
    np.testing.assert_allclose(p.data, np_softmax(np.array([[0.0, 1.0, -1.0]])), rtol=1e-14)
    (p * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert np.isfinite(x.grad).all()


def np_cross_entropy(x, onehot):
    return -(onehot * np.log(np_softmax(x, 1))).sum() / x.shape[0]


def test_cross_entropy_integer_labels():
    x, labels = randn(5, 4), np.array([0, 3, 1, 1, 2])
    onehot = np.eye(4)[labels]
    check_grads(lambda x: cross_entropy(x, labels), x, expected=np_cross_entropy(x, onehot))


def test_cross_entropy_one_hot_rows():
    x, labels = randn(5, 4), np.array([0, 3, 1, 1, 2])
    onehot = np.eye(4)[labels]
    check_grads(lambda x: cross_entropy(x, onehot), x, expected=np_cross_entropy(x, onehot))


def test_cross_entropy_soft_targets():
    x, t = randn(3, 4), np_softmax(randn(3, 4, seed=1))
    check_grads(lambda x: cross_entropy(x, t), x, expected=np_cross_entropy(x, t))


def test_softmax_with_loss_gradient_is_y_minus_t_over_n():
    x, labels = randn(6, 5) * 3, np.array([4, 0, 2, 2, 1, 3])
    t = np.eye(5)[labels]
    for target in (labels, t):
        scores = Tensor(x, requires_grad=True)
        cross_entropy(scores, target).backward()
        np.testing.assert_allclose(scores.grad, (np_softmax(x, 1) - t) / 6, rtol=1e-12,
                                   atol=1e-15)


def test_cross_entropy_scaled_by_upstream_gradient():
    x, labels = randn(4, 3), np.array([0, 2, 1, 1])
    scores = Tensor(x, requires_grad=True)
    (cross_entropy(scores, labels) * 2.5).backward()
    np.testing.assert_allclose(scores.grad, 2.5 * (np_softmax(x, 1) - np.eye(3)[labels]) / 4,
                               rtol=1e-12, atol=1e-15)


# ---- the book's Affine layer ---------------------------------------------------------------------
def test_affine_formulas():
    X, W, b = randn(5, 4), randn(4, 3, seed=1), randn(3, seed=2)
    dY = randn(5, 3, seed=3)
    x, w, bias = (Tensor(a, requires_grad=True) for a in (X, W, b))
    y = x @ w + bias
    np.testing.assert_allclose(y.data, X @ W + b, rtol=1e-14)
    y.backward(dY)
    np.testing.assert_allclose(x.grad, dY @ W.T, rtol=1e-12)  # dX = dY · Wᵀ
    np.testing.assert_allclose(w.grad, X.T @ dY, rtol=1e-12)  # dW = Xᵀ · dY
    np.testing.assert_allclose(bias.grad, dY.sum(axis=0), rtol=1e-12)  # db = Σ_rows dY


# ---- broadcasting --------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
@pytest.mark.parametrize("sa, sb", [
    ((4, 3), (3,)),
    ((3,), (4, 3)),
    ((4, 1), (1, 5)),
    ((4, 3), ()),
    ((), (4, 3)),
    ((2, 1, 3), (4, 1)),
    ((4, 3), (4, 1)),
    ((1, 3), (4, 3)),
])
def test_broadcasting_between_tensors(op, sa, sb):
    a, b = randn(*sa), away_from_zero(randn(*sb, seed=1), 0.5)
    f = {"+": lambda a, b: a + b, "-": lambda a, b: a - b,
         "*": lambda a, b: a * b, "/": lambda a, b: a / b}[op]
    check_grads(f, a, b, expected=f(a, b))


def test_broadcasting_pow_tensor_exponent():
    a, b = positive(4, 3), randn(3, seed=1)
    check_grads(lambda a, b: a ** b, a, b, expected=a ** b)
    check_grads(lambda b, a: a ** b, b, a, expected=a ** b)


def test_broadcast_closed_form_bias_and_outer():
    a = Tensor(randn(4, 3), requires_grad=True)
    b = Tensor(randn(3, seed=1), requires_grad=True)
    (a + b).sum().backward()
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])  # each bias entry used 4 times
    u = Tensor(randn(4, 1), requires_grad=True)
    v = Tensor(randn(1, 5, seed=1), requires_grad=True)
    (u * v).sum().backward()
    np.testing.assert_allclose(u.grad, np.full((4, 1), v.data.sum()), rtol=1e-14)
    np.testing.assert_allclose(v.grad, np.full((1, 5), u.data.sum()), rtol=1e-14)


@pytest.mark.parametrize("name, f, ref", [
    ("2 * x", lambda x: 2 * x, lambda x: 2 * x),
    ("x * 2", lambda x: x * 2, lambda x: x * 2),
    ("2.5 + x", lambda x: 2.5 + x, lambda x: 2.5 + x),
    ("1 - x", lambda x: 1 - x, lambda x: 1 - x),
    ("x - 1", lambda x: x - 1, lambda x: x - 1),
    ("3 / x", lambda x: 3 / x, lambda x: 3 / x),
    ("x / 4", lambda x: x / 4, lambda x: x / 4),
    ("x ** 2", lambda x: x ** 2, lambda x: x ** 2),
    ("np.float64(2) * x", lambda x: np.float64(2) * x, lambda x: 2 * x),
    ("np.ones(3) + x", lambda x: np.ones(3) + x, lambda x: np.ones(3) + x),
    ("np.arange(3) - x", lambda x: np.arange(3.0) - x, lambda x: np.arange(3.0) - x),
    ("np.full((2,3),2) * x", lambda x: np.full((2, 3), 2.0) * x, lambda x: np.full((2, 3), 2.0) * x),
    ("np.ones((4,1)) / x", lambda x: np.ones((4, 1)) / x, lambda x: np.ones((4, 1)) / x),
    ("x + [1,2,3]", lambda x: x + [1.0, 2.0, 3.0], lambda x: x + np.array([1.0, 2.0, 3.0])),
    ("np.eye(3) @ x", lambda x: np.eye(3)[:2] @ x, lambda x: np.eye(3)[:2] @ x),
])
def test_python_numbers_and_numpy_arrays_on_either_side(name, f, ref):
    x = away_from_zero(randn(3), 0.5)
    out = f(Tensor(x))
    assert isinstance(out, Tensor), f"{name} gave {type(out).__name__}"
    check_grads(f, x, expected=ref(x))


def test_scalar_tensor_on_either_side():
    s, x = randn(), randn(2, 3, seed=1)
    check_grads(lambda s, x: s * x + x / (s * s + 1) - s, s, x,
                expected=s * x + x / (s * s + 1) - s)


# ---- composite expressions -----------------------------------------------------------------------
def test_composite_mlp():
    X, labels = randn(6, 4), np.array([0, 2, 1, 1, 0, 2])
    W1, b1 = randn(4, 5, seed=1) * 0.5, randn(5, seed=2) * 0.1
    W2, b2 = randn(5, 3, seed=3) * 0.5, randn(3, seed=4) * 0.1

    def f(W1, b1, W2, b2):
        h = (X @ W1 + b1).tanh()
        return cross_entropy(h @ W2 + b2, labels)

    check_grads(f, W1, b1, W2, b2)


def test_same_tensor_used_many_times():
    x = randn(3)
    check_grads(lambda x: x * x * x + x.exp() * x - x / (x * x + 1), x,
                expected=x ** 3 + np.exp(x) * x - x / (x * x + 1))
    xt = Tensor(np.array([2.0]), requires_grad=True)
    (xt * xt + xt).backward(np.ones(1))
    np.testing.assert_allclose(xt.grad, [5.0])


def test_diamond_graph():
    x = randn(2, 3)
    check_grads(lambda x: (lambda y: y.tanh() * y.sigmoid() + y)(x * 2 + 1).sum(axis=0), x)


# ---- dtypes: float32 stays float32, no silent upcasts --------------------------------------------
F32_OPS = {
    "x + 1": lambda x: x + 1,
    "2 * x": lambda x: 2 * x,
    "x * np.float64(2)": lambda x: x * np.float64(2.0),
    "x - float64 array": lambda x: x - np.ones(4),
    "float64 array - x": lambda x: np.linspace(0, 1, 4) - x,
    "x / 3.0": lambda x: x / 3.0,
    "3.0 / x": lambda x: 3.0 / x,
    "x ** 2": lambda x: x ** 2,
    "x ** 0.5": lambda x: x ** 0.5,
    "x ** tensor32": lambda x: x ** Tensor(np.full(4, 1.5, np.float32)),
    "x ** float64 array": lambda x: x ** np.full(4, 1.5),
    "2.0 ** x": lambda x: 2.0 ** x,
    "-x": lambda x: -x,
    "x @ float64 array": lambda x: x @ np.ones((4, 2)),
    "float64 array @ x": lambda x: np.ones((2, 3)) @ x,
    "x @ vector": lambda x: x @ np.ones(4),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: (x - 1.0).relu(),
    "sum": lambda x: x.sum(axis=0),
    "sum all": lambda x: x.sum(),
    "mean": lambda x: x.mean(axis=1, keepdims=True),
    "mean all": lambda x: x.mean(),
    "max": lambda x: x.max(axis=1),
    "max all": lambda x: x.max(),
    "reshape": lambda x: x.reshape(2, 6),
    "T": lambda x: x.T,
    "transpose": lambda x: x.transpose(1, 0),
    "getitem": lambda x: x[np.array([0, 0, 2]), 1:],
    "softmax": lambda x: x.softmax(),
    "log_softmax": lambda x: x.log_softmax(axis=0),
    "cross_entropy labels": lambda x: cross_entropy(x, np.array([0, 3, 1])),
    "cross_entropy one-hot float64": lambda x: cross_entropy(x, np.eye(4)[[0, 3, 1]]),
    "astype": lambda x: x.astype(np.float32),
}
def f32_input():
    return Tensor(positive(3, 4).astype(np.float32), requires_grad=True)


@pytest.mark.parametrize("name", list(F32_OPS))
def test_float32_stays_float32(name):
    x = f32_input()
    y = F32_OPS[name](x)
    assert y.dtype == np.float32, f"{name}: output {y.dtype}"
    (y * np.ones(y.shape)).sum().backward()  # a float64 constant on the way back, too
    assert x.grad is not None
    assert np.asarray(x.grad).dtype == np.float32, f"{name}: grad {np.asarray(x.grad).dtype}"


@pytest.mark.parametrize("name", list(F32_OPS))
def test_float32_stays_float32_second_order(name):
    x = f32_input()
    g, = autograd.grad((F32_OPS[name](x) * 1.5).sum(), x, create_graph=True)
    assert g.dtype == np.float32, f"{name}: first-order grad {g.dtype}"
    if not g.requires_grad:  # linear in x: nothing more to differentiate
        return
    g2, = autograd.grad((g * g).sum(), x)
    assert np.asarray(g2).dtype == np.float32, f"{name}: second-order grad {np.asarray(g2).dtype}"


def test_float32_network_end_to_end():
    r = rng(5)
    X = r.standard_normal((6, 5)).astype(np.float32)
    W = Tensor(r.standard_normal((5, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(3, np.float32), requires_grad=True)
    h = (Tensor(X) @ W + b).tanh() * 2.0 - np.float64(0.5)
    loss = cross_entropy(h.softmax().log() + h.sigmoid(), np.array([0, 1, 2, 0, 1, 2]))
    nodes = autograd.topological_order([loss])
    loss.backward()
    for node in nodes:
        assert node.dtype == np.float32, node
        if node.grad is not None:
            assert node.grad.dtype == np.float32, node
    assert W.grad.dtype == b.grad.dtype == np.float32


def test_float64_tensor_seed_on_float32_output():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x * 2.0
    try:
        y.backward(Tensor(np.ones(3)))
    except TypeError:
        return  # refusing the mix is fine
    assert x.grad.dtype == np.float32  # ...and so is converting it


def test_float64_numpy_seed_on_float32_output_is_converted():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    (x * 2.0).backward(np.ones(3))
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("f", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a ** b, lambda a, b: a @ b,
], ids=["+", "-", "*", "/", "**", "@"])
@pytest.mark.parametrize("order", ["f32 op f64", "f64 op f32"])
def test_mixing_float32_and_float64_tensors_raises(f, order):
    a = Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    b = Tensor(np.ones((2, 2)), requires_grad=True)
    if order == "f64 op f32":
        a, b = b, a
    with pytest.raises(TypeError, match="float32"):
        f(a, b)


@pytest.mark.parametrize("data", [np.arange(3), [1, 2, 3], np.array([1, 2], np.int32),
                                  np.array([3], np.uint8), np.array([True, False]), 7],
                         ids=["int64 array", "int list", "int32", "uint8", "bool", "int"])
def test_integer_input_becomes_float64(data):
    x = Tensor(data, requires_grad=True)
    assert x.dtype == np.float64
    (x * x).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, 2 * np.asarray(data, dtype=np.float64))


def test_explicit_dtype_and_astype():
    x = Tensor([1, 2], dtype=np.float32, requires_grad=True)
    assert x.dtype == np.float32
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


# ---- gradient bookkeeping ----------------------------------------------------------------------
def test_grad_is_none_until_reached():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    unused = Tensor(np.array([5.0]), requires_grad=True)
    other = (unused * 2.0).sum()  # a separate graph
    assert a.grad is None and unused.grad is None
    (a * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [3.0, 3.0])
    assert unused.grad is None and other.grad is None


def test_leaves_accumulate_across_backward_calls():
    a = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    for k in range(1, 4):
        (a * a).sum().backward()  # a fresh graph each time
        np.testing.assert_array_equal(a.grad, k * 2 * a.data)


def test_assigning_none_clears():
    a = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    (a * a).sum().backward()
    a.grad = None
    (a * 5.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [5.0, 5.0])
    a.zero_grad()
    assert a.grad is None
    y = (a * a).sum()
    y.backward()
    autograd.zero_grad(y)
    assert a.grad is None


def test_requires_grad_false_inputs_get_no_grad():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = Tensor(np.array([3.0, 4.0]))
    d = c * 2.0 + 1.0  # only constants: no graph
    assert not d.requires_grad and d.parents == ()
    (a * c + d * a).sum().backward()
    assert c.grad is None and d.grad is None
    np.testing.assert_array_equal(a.grad, c.data + d.data)


def test_no_grad_records_nothing():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with autograd.no_grad():
        assert not autograd.is_grad_enabled()
        y = (a * a).exp().sum()
        with autograd.enable_grad():
            z = (a * a).sum()
    assert autograd.is_grad_enabled()
    assert not y.requires_grad and y.parents == () and y.op == ""
    assert z.requires_grad and z.parents
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()  # no graph was recorded: an error, as in PyTorch
    assert a.grad is None


def _views(arrays):
    return [np.asarray(a.data if isinstance(a, Tensor) else a) for a in arrays]


@pytest.mark.parametrize("build", [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: (a + b) + a,
    lambda a, b: a.reshape(2, 3).reshape(6) + b.T.T,
    lambda a, b: a[np.arange(6)] + b[:],
    lambda a, b: (a ** 1) + b * 1.0,
], ids=["a+b", "a-b", "(a+b)+a", "reshape/T views", "getitem", "pow1"])
def test_leaf_grads_are_never_aliases(build):
    a = Tensor(np.arange(6.0), requires_grad=True)
    b = Tensor(np.ones(6), requires_grad=True)
    y = build(a, b)
    seed = np.linspace(1, 2, 6)
    y.backward(seed)
    others = [b.grad, y.grad, seed]
    for g in others:
        assert not np.shares_memory(a.grad, g)
    assert not np.shares_memory(b.grad, y.grad) and not np.shares_memory(b.grad, seed)
    a.grad[...] = 0.0  # writing one leaf's grad leaves everything else alone
    assert b.grad.any() and y.grad.any()


def test_leaf_grads_are_never_aliases_with_create_graph():
    a = Tensor(np.arange(3.0), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    y = a + b
    y.backward(np.ones(3), create_graph=True)
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, np.asarray(y.grad.data if isinstance(y.grad, Tensor)
                                                        else y.grad))


def test_leaf_root_grad_is_not_the_seed_array():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    (b * 2.0).sum().backward()
    a.backward(b.grad)
    assert not np.shares_memory(a.grad, b.grad)
