"""Chapter 7's convolution and pooling against torch.nn.functional, in float64 to 1e-10 relative:
the autograd operations conv2d and max_pool2d (forward, first and second order), the book's
hand-written im2col/col2im, Convolution and Pooling layers, the modules, and the errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograd import Tensor, grad
from autograd import conv_ops
from autograd.conv_ops import col2im, conv2d, im2col, max_pool2d
from nn import Sequential
from nn import convolution as book
from nn.conv_modules import Conv2d, Flatten, MaxPool2d

REL = 1e-10

# (x shape (N, C, H, W), W shape (FN, C, FH, FW), stride, pad)
CONV_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), 1, 0),
    ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1),
    ((1, 2, 5, 5), (3, 2, 5, 5), 1, 2),
    ((3, 1, 9, 8), (2, 1, 2, 3), 3, 1),
    ((2, 2, 6, 7), (5, 2, 1, 1), 1, 0),
    ((1, 1, 4, 4), (1, 1, 4, 4), 1, 0),  # the kernel as large as the input: one output
]
# (x shape, (pool_h, pool_w), stride, pad)
POOL_CASES = [
    ((2, 3, 8, 8), (2, 2), 2, 0),  # the book's
    ((2, 3, 7, 6), (3, 3), 1, 1),  # overlapping windows, padding
    ((2, 2, 7, 9), (3, 2), 2, 1),
    ((1, 2, 5, 5), (2, 3), 3, 0),
    ((2, 1, 6, 6), (3, 3), 3, 0),
]


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)) if b.size else 0.0


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def torch_leaves(*arrays):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


def ours_leaves(*arrays):
    return [Tensor(a.copy(), requires_grad=True) for a in arrays]


# ---------------------------------------------------------------- conv2d, first order


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_conv2d_matches_torch(x_shape, w_shape, stride, pad, bias):
    r = rng(sum(x_shape) + sum(w_shape) + stride + 3 * pad)
    x, w, b = r.standard_normal(x_shape), r.standard_normal(w_shape), r.standard_normal(w_shape[0])
    X, W, B = ours_leaves(x, w, b)
    out = conv2d(X, W, B if bias else None, stride, pad)
    tx, tw, tb = torch_leaves(x, w, b)
    ref = F.conv2d(tx, tw, tb if bias else None, stride=stride, padding=pad)
    assert out.shape == tuple(ref.shape)
    assert rel_err(out.data, ref.detach().numpy()) < REL
    R = r.standard_normal(out.shape)
    (out * Tensor(R)).sum().backward()
    (ref * torch.tensor(R)).sum().backward()
    assert rel_err(X.grad, tx.grad.numpy()) < REL
    assert rel_err(W.grad, tw.grad.numpy()) < REL
    if bias:
        assert rel_err(B.grad, tb.grad.numpy()) < REL
    else:
        assert B.grad is None


def test_conv2d_skips_the_input_gradient_it_does_not_need(monkeypatch):
    """The first layer's input needs no gradient: no col2im is run for it (that is most of the
    speed of autograd against the book's layers, which always compute dx)."""
    calls = []
    real = conv_ops.col2im
    monkeypatch.setattr(conv_ops, "col2im", lambda *a: calls.append(a[1]) or real(*a))
    r = rng(1)
    W = Tensor(r.standard_normal((2, 1, 3, 3)), requires_grad=True)
    x = r.standard_normal((2, 1, 6, 6))
    conv2d(Tensor(x), W).sum().backward()
    assert calls == [] and W.grad.shape == W.shape
    X = Tensor(x, requires_grad=True)
    conv2d(X, Tensor(W.data)).sum().backward()
    assert calls == [(2, 1, 6, 6)] and X.grad.shape == x.shape


# ---------------------------------------------------------------- conv2d, second order


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES[:4])
def test_conv2d_second_order_matches_torch(x_shape, w_shape, stride, pad):
    """d/d(x, W, b) of Σ (dL/dx·S1 + dL/dW·S2 + dL/db·S3), L = Σ tanh(conv2d(x, W, b))·R: the
    backward pass recorded (create_graph) and differentiated again, as torch's double backward."""
    r = rng(7 + stride + pad)
    x, w, b = r.standard_normal(x_shape), 0.5 * r.standard_normal(w_shape), r.standard_normal(
        w_shape[0])
    X, W, B = ours_leaves(x, w, b)
    tx, tw, tb = torch_leaves(x, w, b)
    out = conv2d(X, W, B, stride, pad).tanh()
    tout = torch.tanh(F.conv2d(tx, tw, tb, stride=stride, padding=pad))
    R = r.standard_normal(out.shape)
    S = [r.standard_normal(s) for s in (x.shape, w.shape, b.shape)]
    firsts = grad((out * Tensor(R)).sum(), [X, W, B], create_graph=True)
    tfirsts = torch.autograd.grad((tout * torch.tensor(R)).sum(), [tx, tw, tb], create_graph=True)
    for g, tg in zip(firsts, tfirsts):
        assert rel_err(g.data, tg.detach().numpy()) < REL
    M = sum((g * Tensor(s)).sum() for g, s in zip(firsts, S))
    tM = sum((g * torch.tensor(s)).sum() for g, s in zip(tfirsts, S))
    seconds = grad(M, [X, W, B])
    tseconds = torch.autograd.grad(tM, [tx, tw, tb])
    for g, tg in zip(seconds, tseconds):
        assert rel_err(g, tg.numpy()) < REL


def test_conv2d_third_order_through_col2im():
    """im2col and col2im are each other's backward, so any order works: d³/dx³ of Σ tanh(conv)."""
    r = rng(3)
    x, w = r.standard_normal((1, 2, 5, 5)), 0.5 * r.standard_normal((2, 2, 3, 3))
    X, = ours_leaves(x)
    tx, = torch_leaves(x)
    ours = conv2d(X, Tensor(w), None, 2, 1).tanh().sum()
    theirs = torch.tanh(F.conv2d(tx, torch.tensor(w), stride=2, padding=1)).sum()
    for _ in range(2):
        g, = grad(ours, [X], create_graph=True)
        tg, = torch.autograd.grad(theirs, [tx], create_graph=True)
        ours, theirs = (g * g).sum(), (tg * tg).sum()
    g, = grad(ours, [X])
    tg, = torch.autograd.grad(theirs, [tx])
    assert rel_err(g, tg.numpy()) < REL


# ---------------------------------------------------------------- max_pool2d


def pool_input(shape, seed, ties=False):
    r = rng(seed)
    if ties:  # few distinct values: many windows hold tied maxima
        return r.integers(-2, 3, shape).astype(np.float64)
    return r.standard_normal(shape)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("x_shape, pool, stride, pad", POOL_CASES)
def test_max_pool2d_matches_torch(x_shape, pool, stride, pad, ties):
    x = pool_input(x_shape, sum(x_shape) + stride, ties)
    X, = ours_leaves(x)
    tx, = torch_leaves(x)
    out = max_pool2d(X, pool[0], pool[1], stride, pad)
    ref = F.max_pool2d(tx, pool, stride=stride, padding=pad)
    assert out.shape == tuple(ref.shape)
    assert rel_err(out.data, ref.detach().numpy()) == 0  # the same entries, exactly
    R = rng(5).standard_normal(out.shape)
    (out * Tensor(R)).sum().backward()
    (ref * torch.tensor(R)).sum().backward()
    assert rel_err(X.grad, tx.grad.numpy()) < REL  # ties: the whole gradient to the same entry


@pytest.mark.parametrize("x_shape, pool, stride, pad", POOL_CASES)
def test_max_pool2d_second_order_matches_torch(x_shape, pool, stride, pad):
    """L = Σ pool(x)³·R; then d/dx of Σ dL/dx·S (torch's max_pool2d double backward: a gather)."""
    x = pool_input(x_shape, 11 + stride)
    X, = ours_leaves(x)
    tx, = torch_leaves(x)
    out = max_pool2d(X, pool[0], pool[1], stride, pad)
    tout = F.max_pool2d(tx, pool, stride=stride, padding=pad)
    R, S = rng(1).standard_normal(out.shape), rng(2).standard_normal(x.shape)
    g, = grad((out ** 3 * Tensor(R)).sum(), [X], create_graph=True)
    tg, = torch.autograd.grad((tout ** 3 * torch.tensor(R)).sum(), [tx], create_graph=True)
    assert rel_err(g.data, tg.detach().numpy()) < REL
    g2, = grad((g * Tensor(S)).sum(), [X])
    tg2, = torch.autograd.grad((tg * torch.tensor(S)).sum(), [tx])
    assert rel_err(g2, tg2.numpy()) < REL


def test_max_pool2d_padding_is_never_the_maximum():
    """Padding is −inf to torch: a window of negative entries at the border keeps its largest
    one (the book's Pooling, padding with zeros, would give 0 there)."""
    x = -1 - rng(4).random((1, 1, 4, 4))
    out = max_pool2d(Tensor(x), 3, 3, 2, 1)
    ref = F.max_pool2d(torch.tensor(x), 3, stride=2, padding=1).numpy()
    assert np.array_equal(out.data, ref) and (out.data < -1).all()
    by_book = book.Pooling(3, 3, stride=2, pad=1).forward(x)  # windows at the top or left border
    assert (by_book[..., 0, :] == 0).all() and (by_book[..., :, 0] == 0).all()
    assert by_book[0, 0, 1, 1] == ref[0, 0, 1, 1]  # the one window inside the image


def test_max_pool2d_nan_and_inf_as_torch():
    x = rng(6).standard_normal((1, 2, 4, 4))
    x[0, 0, 1, 1] = np.nan
    x[0, 1, 0, 0] = -np.inf
    x[0, 1, 0, 1] = x[0, 1, 1, 0] = x[0, 1, 1, 1] = -np.inf
    X, = ours_leaves(x)
    tx, = torch_leaves(x)
    out = max_pool2d(X, 2)
    ref = F.max_pool2d(tx, 2)
    np.testing.assert_array_equal(out.data, ref.detach().numpy())  # nan and -inf in place
    out.backward(np.ones(out.shape))
    ref.backward(torch.ones(ref.shape, dtype=torch.float64))
    np.testing.assert_array_equal(X.grad, tx.grad.numpy())


def test_max_pool2d_defaults_and_float32():
    x = rng(8).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out = max_pool2d(Tensor(x), 2)  # 2×2, stride 2 (torch's default stride: the window)
    assert out.dtype == np.float32 and out.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(out.data, F.max_pool2d(torch.tensor(x), 2).numpy())
    c = conv2d(Tensor(x), Tensor(rng(9).standard_normal((4, 3, 3, 3)).astype(np.float32)))
    assert c.dtype == np.float32 and c.shape == (2, 4, 4, 4)


# ---------------------------------------------------------------- the book's layers


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_book_im2col_and_col2im(x_shape, w_shape, stride, pad):
    """The book's loops and the vectorised im2col agree; col2im is im2col's adjoint:
    <im2col(x), c> = <x, col2im(c)>."""
    x = rng(10).standard_normal(x_shape)
    kh, kw = w_shape[2:]
    col = book.im2col(x, kh, kw, stride, pad)
    np.testing.assert_array_equal(col, im2col(x, kh, kw, stride, pad))
    assert col.shape == (x_shape[0] * np.prod(F.conv2d(
        torch.zeros(x_shape), torch.zeros((1,) + w_shape[1:]), stride=stride,
        padding=pad).shape[2:]), x_shape[1] * kh * kw)
    c = rng(11).standard_normal(col.shape)
    back = book.col2im(c, x_shape, kh, kw, stride, pad)
    np.testing.assert_allclose(back, col2im(c, x_shape, kh, kw, stride, pad), rtol=1e-13)
    assert np.sum(col * c) == pytest.approx(np.sum(x * back), rel=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_book_convolution_layer_matches_torch(x_shape, w_shape, stride, pad):
    r = rng(12)
    x, w, b = r.standard_normal(x_shape), r.standard_normal(w_shape), r.standard_normal(w_shape[0])
    layer = book.Convolution(w, b, stride, pad)
    out = layer.forward(x)
    tx, tw, tb = torch_leaves(x, w, b)
    ref = F.conv2d(tx, tw, tb, stride=stride, padding=pad)
    assert rel_err(out, ref.detach().numpy()) < REL
    dout = r.standard_normal(out.shape)
    dx = layer.backward(dout)
    ref.backward(torch.tensor(dout))
    assert rel_err(dx, tx.grad.numpy()) < REL
    assert rel_err(layer.dW, tw.grad.numpy()) < REL
    assert rel_err(layer.db, tb.grad.numpy()) < REL


@pytest.mark.parametrize("x_shape, pool, stride, pad", [c for c in POOL_CASES if c[3] == 0])
def test_book_pooling_layer_matches_torch(x_shape, pool, stride, pad):
    """Without padding (with it, the book pads with zeros; see the padding test above)."""
    x = pool_input(x_shape, 13, ties=True)  # ties: np.argmax picks the first, as torch
    layer = book.Pooling(pool[0], pool[1], stride, pad)
    out = layer.forward(x)
    tx, = torch_leaves(x)
    ref = F.max_pool2d(tx, pool, stride=stride)
    np.testing.assert_array_equal(out, ref.detach().numpy())
    dout = rng(14).standard_normal(out.shape)
    ref.backward(torch.tensor(dout))
    assert rel_err(layer.backward(dout), tx.grad.numpy()) < REL


# ---------------------------------------------------------------- modules


def test_modules_build_the_book_convnet():
    net = Sequential(Conv2d(1, 4, 3, init="he", rng=0), MaxPool2d(2), Flatten())
    assert [name for name, _ in net.named_parameters()] == ["Conv2d1.W", "Conv2d1.b"]
    conv = net[0]
    assert conv.W.shape == (4, 1, 3, 3) and conv.b.shape == (4,)
    assert conv.W.data.std() == pytest.approx(np.sqrt(2 / 9), rel=0.5)  # He: fan-in C·FH·FW
    x = rng(15).standard_normal((2, 1, 8, 8))
    out = net(x)
    assert out.shape == (2, 4 * 3 * 3)
    ref = F.max_pool2d(F.conv2d(torch.tensor(x), torch.tensor(conv.W.data),
                                torch.tensor(conv.b.data)), 2).reshape(2, -1)
    assert rel_err(out.data, ref.numpy()) < REL
    out.sum().backward()
    assert conv.W.grad.shape == conv.W.shape
    assert {n.scope for n in (out, out._a)} == {"Sequential/Flatten1", "Sequential/MaxPool2d1"}
    assert "kernel 3×3" in repr(net)


# ---------------------------------------------------------------- errors name the shapes


def test_kernel_larger_than_the_padded_input():
    x = Tensor(np.zeros((2, 1, 3, 4)))
    with pytest.raises(ValueError, match=r"kernel 5×5 is larger than the padded input 3×4 "
                                         r"\(input shape \(2, 1, 3, 4\), pad 0\)"):
        conv2d(x, Tensor(np.zeros((2, 1, 5, 5))))
    with pytest.raises(ValueError, match=r"padded input 5×6"):
        conv2d(x, Tensor(np.zeros((2, 1, 6, 6))), pad=1)
    with pytest.raises(ValueError, match=r"max_pool2d: the kernel 4×4 is larger.*\(2, 1, 3, 4\)"):
        max_pool2d(x, 4)
    with pytest.raises(ValueError, match=r"Convolution: the kernel 5×5 is larger.*\(2, 1, 3, 4\)"):
        book.Convolution(np.zeros((2, 1, 5, 5)), np.zeros(2)).forward(x.data)
    with pytest.raises(ValueError, match=r"Pooling: the kernel 4×4 is larger"):
        book.Pooling(4, 4, 2).forward(x.data)


def test_channels_that_do_not_match():
    x = np.zeros((2, 3, 8, 8))
    w = np.zeros((4, 1, 3, 3))
    message = (r"x of shape \(2, 3, 8, 8\) has 3 channels but the filters W of shape "
               r"\(4, 1, 3, 3\) expect 1")
    with pytest.raises(ValueError, match="conv2d: " + message):
        conv2d(Tensor(x), Tensor(w))
    with pytest.raises(ValueError, match="Convolution: " + message):
        book.Convolution(w, np.zeros(4)).forward(x)
    with pytest.raises(ValueError, match=message):
        Conv2d(1, 4, 3)(x)


def test_other_bad_arguments():
    x = Tensor(np.zeros((2, 1, 6, 6)))
    w = Tensor(np.zeros((3, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"batch of images \(N, C, H, W\), got shape \(1, 6, 6\)"):
        conv2d(Tensor(np.zeros((1, 6, 6))), w)
    with pytest.raises(ValueError, match=r"W must have shape \(FN, C, FH, FW\), got \(3, 9\)"):
        conv2d(x, Tensor(np.zeros((3, 9))))
    with pytest.raises(ValueError, match=r"bias b must have shape \(3,\).*got \(4,\)"):
        conv2d(x, w, Tensor(np.zeros(4)))
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="pad must be an integer >= 0, got -1"):
        max_pool2d(x, 2, pad=-1)
    with pytest.raises(ValueError, match="pad 2 is more than half the 3×3 window"):
        max_pool2d(x, 3, 3, 1, 2)
    with pytest.raises(TypeError, match="dtypes differ"):
        conv2d(x, w.astype(np.float32))
    with pytest.raises(ValueError, match=r"dout of shape \(2, 3, 4, 5\) does not match the "
                                         r"output shape \(2, 3, 4, 4\)"):
        layer = book.Convolution(w.data, np.zeros(3))
        layer.forward(x.data)
        layer.backward(np.zeros((2, 3, 4, 5)))
