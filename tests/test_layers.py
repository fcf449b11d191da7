"""The chapter-5 layers: the lecture's numbers, gradients against central differences and PyTorch."""
import numpy as np
import pytest

from nn.functions import (cross_entropy_error, cross_entropy_from_logits, log_softmax,
                          numerical_gradient, sigmoid, softmax)
from nn.layers import Affine, AddLayer, MulLayer, Relu, Sigmoid, SoftmaxWithLoss

H = 1e-5  # central-difference step: truncation ~H^2, rounding ~1e-16/H, both far below RTOL
RTOL = 1e-7


def rel_err(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-300)


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch parity tests need torch (pip install '.[parity]')")


# --- the lecture's scripts --------------------------------------------------------------------

def test_buy_apple():
    apple, apple_num, tax = 100, 2, 1.1
    mul_apple_layer = MulLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    price = mul_tax_layer.forward(apple_price, tax)
    assert price == pytest.approx(220)  # 220.00000000000003 in floats

    dprice = 1
    dapple_price, dtax = mul_tax_layer.backward(dprice)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)
    assert (dapple, dapple_num, dtax) == pytest.approx((2.2, 110, 200))
    assert (mul_apple_layer.x, mul_apple_layer.y) == (100, 2)


def test_buy_apple_orange():
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple_layer = MulLayer()
    mul_orange_layer = MulLayer()
    add_apple_orange_layer = AddLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    orange_price = mul_orange_layer.forward(orange, orange_num)
    all_price = add_apple_orange_layer.forward(apple_price, orange_price)
    price = mul_tax_layer.forward(all_price, tax)

    dprice = 1
    dall_price, dtax = mul_tax_layer.backward(dprice)
    dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)
    dorange, dorange_num = mul_orange_layer.backward(dorange_price)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)

    assert price == pytest.approx(715)
    assert (dapple_num, dapple, dorange, dorange_num, dtax) == pytest.approx((110, 2.2, 3.3, 165, 650))
    # what the lecture prints, after rounding
    assert [round(v, 6) for v in (dapple_num, dapple, dorange, dorange_num, dtax)] == [110, 2.2, 3.3, 165, 650]


def test_mul_and_add_layers_on_arrays():
    x, y, dout = np.array([1.0, -2.0]), np.array([3.0, 4.0]), np.array([0.5, 2.0])
    mul = MulLayer()
    np.testing.assert_array_equal(mul.forward(x, y), [3.0, -8.0])
    dx, dy = mul.backward(dout)
    np.testing.assert_array_equal(dx, [1.5, 8.0])
    np.testing.assert_array_equal(dy, [0.5, -4.0])
    dx, dy = AddLayer().backward(dout)
    np.testing.assert_array_equal(dx, dout)
    np.testing.assert_array_equal(dy, dout)


# --- gradient checks --------------------------------------------------------------------------

def check_input_gradient(layer, x, rng):
    """backward(G) must equal the numerical gradient of sum(forward(x) * G) with respect to x."""
    G = rng.normal(size=layer.forward(x).shape)
    analytic = layer.backward(G)
    numeric = numerical_gradient(lambda x_: np.sum(layer.forward(x_) * G), x, h=H)
    assert analytic.shape == x.shape
    assert rel_err(analytic, numeric) < RTOL


def test_relu_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4))
    x[np.abs(x) < 1e-2] = 0.5  # keep the kink at 0 far from x +- H
    check_input_gradient(Relu(), x, rng)


def test_relu_at_exactly_zero_has_gradient_zero_and_copies():
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.0]])
    x_before = x.copy()
    relu = Relu()
    out = relu.forward(x)
    np.testing.assert_array_equal(out, [[0, 0, 2], [0, 3, 0]])
    np.testing.assert_array_equal(relu.mask, x <= 0)
    np.testing.assert_array_equal(x, x_before)  # forward left the caller's array alone

    dout = np.ones_like(x)
    dx = relu.backward(dout)
    np.testing.assert_array_equal(dx, [[0, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(dout, np.ones_like(x))  # and so did backward


def test_sigmoid_gradient_matches_central_differences():
    rng = np.random.default_rng(1)
    check_input_gradient(Sigmoid(), rng.normal(scale=3, size=(6, 3)), rng)


def test_sigmoid_derivative_is_y_times_one_minus_y():
    x = np.linspace(-6, 6, 25)
    y = 1 / (1 + np.exp(-x))
    layer = Sigmoid()
    np.testing.assert_allclose(layer.forward(x), y, rtol=1e-15)
    np.testing.assert_allclose(layer.out, y, rtol=1e-15)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), y * (1 - y), rtol=1e-14)
    np.testing.assert_allclose(layer.backward(2 * np.ones_like(x)), 2 * y * (1 - y), rtol=1e-14)


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise", invalid="raise"):  # underflow to 0 is fine
        y = sigmoid(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
    np.testing.assert_allclose(y, [0.0, np.exp(-40) / (1 + np.exp(-40)), 0.5, 1 / (1 + np.exp(-40)), 1.0],
                               rtol=1e-15, atol=0)


def test_affine_gradients_match_central_differences():
    rng = np.random.default_rng(2)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    layer = Affine(W, b)
    check_input_gradient(layer, x, rng)

    G = rng.normal(size=(4, 2))
    layer.forward(x)
    layer.backward(G)
    # numerical_gradient nudges W and b in place: the layer holds the very same arrays
    loss = lambda _: np.sum(layer.forward(x) * G)  # noqa: E731
    assert rel_err(layer.dW, numerical_gradient(loss, W, h=H)) < RTOL
    assert rel_err(layer.db, numerical_gradient(loss, b, h=H)) < RTOL


def test_affine_formulas_against_explicit_sums():
    rng = np.random.default_rng(3)
    N, D, M = 3, 4, 2
    x, W, b, dout = rng.normal(size=(N, D)), rng.normal(size=(D, M)), rng.normal(size=M), rng.normal(size=(N, M))
    layer = Affine(W, b)
    out = layer.forward(x)
    dx = layer.backward(dout)
    for n in range(N):
        for m in range(M):
            assert out[n, m] == pytest.approx(sum(x[n, d] * W[d, m] for d in range(D)) + b[m], rel=1e-14)
        for d in range(D):  # dx = dout . W^T
            assert dx[n, d] == pytest.approx(sum(dout[n, m] * W[d, m] for m in range(M)), rel=1e-14)
    for d in range(D):  # dW = x^T . dout
        for m in range(M):
            assert layer.dW[d, m] == pytest.approx(sum(x[n, d] * dout[n, m] for n in range(N)), rel=1e-14)
    for m in range(M):  # db = sum of dout over the batch
        assert layer.db[m] == pytest.approx(sum(dout[n, m] for n in range(N)), rel=1e-14)
    assert layer.W is W and layer.b is b
    np.testing.assert_array_equal(layer.x, x)


def test_affine_flattens_image_batches_and_restores_the_shape():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 2, 2))  # N=2 samples of 3*2*2 = 12 numbers
    W, b = rng.normal(size=(12, 5)), rng.normal(size=5)
    layer = Affine(W, b)
    np.testing.assert_allclose(layer.forward(x), x.reshape(2, 12) @ W + b, rtol=1e-14)
    assert layer.original_x_shape == (2, 3, 2, 2)
    assert layer.x.shape == (2, 12)
    check_input_gradient(layer, x, rng)


@pytest.mark.parametrize("x_shape", [(4, 5), (4, 2, 2), (7,)])
def test_affine_bad_input_shape_names_both_shapes(x_shape):
    layer = Affine(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros(x_shape))
    assert str(x_shape) in str(info.value) and "(3, 2)" in str(info.value)


def test_affine_bad_parameter_and_dout_shapes_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3,\)"):
        Affine(np.zeros((3, 2)), np.zeros(3))
    layer = Affine(np.zeros((3, 2)), np.zeros(2))
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


# --- softmax and the loss ---------------------------------------------------------------------

def reference_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def one_hot(labels, n_classes):
    t = np.zeros((len(labels), n_classes))
    t[np.arange(len(labels)), labels] = 1
    return t


@pytest.mark.parametrize("integer_labels", [False, True])
def test_softmax_with_loss_gradient_is_y_minus_t_over_n(integer_labels):
    rng = np.random.default_rng(5)
    N, C = 6, 4
    x, labels = rng.normal(scale=2, size=(N, C)), rng.integers(0, C, size=N)
    t = one_hot(labels, C)
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, labels if integer_labels else t)
    y = reference_softmax(x)
    assert loss == pytest.approx(-np.mean(np.log(y[np.arange(N), labels])), rel=1e-13)
    np.testing.assert_allclose(layer.y, y, rtol=1e-13)
    np.testing.assert_array_equal(layer.t, t)
    assert layer.loss == loss
    np.testing.assert_allclose(layer.backward(), (y - t) / N, rtol=1e-12, atol=1e-17)
    np.testing.assert_allclose(layer.backward(dout=3.0), 3 * (y - t) / N, rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize("integer_labels", [False, True])
def test_softmax_with_loss_gradient_matches_central_differences(integer_labels):
    rng = np.random.default_rng(6)
    N, C = 5, 3
    x, labels = rng.normal(scale=3, size=(N, C)), rng.integers(0, C, size=N)
    t = labels if integer_labels else one_hot(labels, C)
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    analytic = layer.backward()
    numeric = numerical_gradient(lambda x_: SoftmaxWithLoss().forward(x_, t), x, h=H)
    assert rel_err(analytic, numeric) < RTOL


def test_softmax_with_loss_single_sample():
    x, t = np.array([0.3, 2.9, 4.0]), np.array([0.0, 0.0, 1.0])
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    y = reference_softmax(x)
    assert loss == pytest.approx(-np.log(y[2]), rel=1e-14)
    np.testing.assert_allclose(layer.backward(), y - t, rtol=1e-14)  # a batch of one: divide by 1
    assert SoftmaxWithLoss().forward(x, 2) == pytest.approx(loss, rel=1e-15)
    assert SoftmaxWithLoss().forward(x, np.array([2])) == pytest.approx(loss, rel=1e-15)


def test_loss_has_no_1e7_fudge():
    # log(y + 1e-7) would cap this loss near 16.1; the true value is 1000
    layer = SoftmaxWithLoss()
    assert layer.forward(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0, rel=1e-15)
    np.testing.assert_allclose(layer.backward(), [[1.0, -1.0]])
    assert cross_entropy_error(np.array([0.5, 0.5]), np.array([1, 0])) == pytest.approx(np.log(2), rel=1e-15)
    with np.errstate(all="raise"):  # a zero probability elsewhere costs nothing, and warns of nothing
        assert cross_entropy_error(np.array([[0.0, 1.0]]), np.array([1])) == 0.0
    with np.errstate(divide="ignore"):
        assert cross_entropy_error(np.array([[1.0, 0.0]]), np.array([1])) == np.inf


def test_cross_entropy_error_one_hot_and_integer_labels_agree():
    rng = np.random.default_rng(7)
    y = reference_softmax(rng.normal(size=(5, 4)))
    labels = rng.integers(0, 4, size=5)
    expected = -np.mean(np.log(y[np.arange(5), labels]))
    assert cross_entropy_error(y, labels) == pytest.approx(expected, rel=1e-14)
    assert cross_entropy_error(y, one_hot(labels, 4)) == pytest.approx(expected, rel=1e-14)
    assert cross_entropy_from_logits(np.log(y) + 3.0, labels) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("t", [np.array([0, 1]), np.array([0.0, 1.0, 2.0]), np.zeros((3, 2)), np.array([0, 3, 1])])
def test_bad_labels_raise_value_error(t):
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        SoftmaxWithLoss().forward(np.zeros((3, 3)), t)


def test_softmax_and_log_softmax_are_stable():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    with np.errstate(all="raise"):
        y, log_y = softmax(x), log_softmax(x)
    expected = reference_softmax(np.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(y, [expected, expected[::-1]], rtol=1e-14)
    np.testing.assert_allclose(log_y, np.log([expected, expected[::-1]]), rtol=1e-14)
    np.testing.assert_allclose(softmax(np.array([1.0, 2.0, 3.0])), expected, rtol=1e-15)


# --- parity with PyTorch ----------------------------------------------------------------------

def test_softmax_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(8)
    for x in (rng.normal(scale=5, size=(4, 7)), rng.normal(size=7), np.array([[500.0, -500.0, 0.0]])):
        tx = torch.from_numpy(x)
        np.testing.assert_allclose(softmax(x), torch.softmax(tx, dim=-1).numpy(), rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(log_softmax(x), torch.log_softmax(tx, dim=-1).numpy(), rtol=1e-13)


@pytest.mark.parametrize("integer_labels", [False, True])
def test_softmax_with_loss_matches_torch_cross_entropy(integer_labels):
    torch = torch_or_skip()
    rng = np.random.default_rng(9)
    N, C = 8, 5
    x, labels = rng.normal(scale=4, size=(N, C)), rng.integers(0, C, size=N)
    t = labels if integer_labels else one_hot(labels, C)

    tx = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(tx, torch.from_numpy(t))  # mean over the batch
    expected.backward()

    layer = SoftmaxWithLoss()
    assert layer.forward(x, t) == pytest.approx(expected.item(), rel=1e-13)
    np.testing.assert_allclose(layer.backward(), tx.grad.numpy(), rtol=1e-10, atol=1e-15)


# --- numerical_gradient itself ----------------------------------------------------------------

def test_numerical_gradient_any_shape_and_restores_x():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 3, 4))
    before = x.copy()
    grad = numerical_gradient(lambda x_: np.sum(x_ ** 3), x)  # default h = 1e-4
    np.testing.assert_allclose(grad, 3 * before ** 2, rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(x, before)
    assert grad.shape == x.shape


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    before = x.copy()
    calls = []

    def f(x_):
        calls.append(x_.copy())
        if len(calls) == 4:  # second element, nudged down
            raise RuntimeError("boom")
        return float(np.sum(x_))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert calls[2][0, 1] == pytest.approx(0.2 + 1e-4)  # it really did nudge in place


def test_numerical_gradient_needs_a_float_array():
    with pytest.raises(TypeError):
        numerical_gradient(lambda x_: 0.0, np.array([1, 2, 3]))
