"""Losses and labels: probability targets, -inf scores, empty batches and one label check for all.

Every number is checked against PyTorch's cross_entropy in float64 or a closed form.
"""
import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, cross_entropy
from nn import TwoLayerNet
from nn import autograd_layers as modules
from nn.functions import accuracy, cross_entropy_error, cross_entropy_from_logits, softmax
from nn.layers import SoftmaxWithLoss


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch parity tests need torch (pip install '.[parity]')")


def torch_loss_and_grad(x, target):
    """PyTorch's mean cross-entropy of scores x (float64) and its gradient."""
    torch = torch_or_skip()
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tt = torch.from_numpy(np.asarray(target))
    loss = torch.nn.functional.cross_entropy(tx, tt)
    loss.backward()
    return loss.item(), tx.grad.numpy()


RNG = np.random.default_rng(7)
X = RNG.normal(scale=2.0, size=(5, 4))
LABELS = np.array([0, 3, 1, 1, 2])
ONE_HOT = np.eye(4)[LABELS]
UNNORMALISED = np.array([[0.2, 0.3, 0.0, 0.1],   # sums to 0.6
                         [1.0, 2.0, 0.5, 0.0],   # sums to 3.5
                         [0.0, 0.0, 0.0, 0.0],   # all zero: contributes nothing
                         [0.25, 0.25, 0.25, 0.25],
                         [0.0, 0.0, 1.0, 0.0]])


# ---- probability targets: the exact gradient, as PyTorch -----------------------------------------
@pytest.mark.parametrize("target", [UNNORMALISED, RNG.random((5, 4)), ONE_HOT],
                         ids=["unnormalised rows", "random rows", "one-hot"])
def test_cross_entropy_probability_targets_match_torch(target):
    loss, grad = torch_loss_and_grad(X, target)
    x = Tensor(X.copy(), requires_grad=True)
    out = cross_entropy(x, target)
    (out * 2.5).backward()  # an upstream gradient other than 1
    assert out.item() == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(x.grad, 2.5 * grad, rtol=1e-10, atol=1e-15)


def test_cross_entropy_probability_targets_second_order_matches_torch():
    torch = torch_or_skip()
    R = np.random.default_rng(8).normal(size=X.shape)
    x = Tensor(X.copy(), requires_grad=True)
    g, = autograd.grad(cross_entropy(x, UNNORMALISED), x, create_graph=True)
    g2, = autograd.grad((g * R).sum(), x)

    tx = torch.tensor(X, requires_grad=True)
    tg, = torch.autograd.grad(torch.nn.functional.cross_entropy(tx, torch.from_numpy(UNNORMALISED)),
                              tx, create_graph=True)
    tg2, = torch.autograd.grad((tg * torch.from_numpy(R)).sum(), tx)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g2, tg2.numpy(), rtol=1e-10, atol=1e-15)


def test_nn_losses_with_unnormalised_rows_match_torch():
    loss, grad = torch_loss_and_grad(X, UNNORMALISED)
    assert cross_entropy_from_logits(X, UNNORMALISED) == pytest.approx(loss, rel=1e-12)
    assert cross_entropy_error(softmax(X), UNNORMALISED) == pytest.approx(loss, rel=1e-12)
    module = modules.SoftmaxWithLoss()
    x = Tensor(X.copy(), requires_grad=True)
    module(x, UNNORMALISED).backward()
    assert module.loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(x.grad, grad, rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(module.t, UNNORMALISED)


# ---- -inf scores where the target is 0 ------------------------------------------------------------
INF_X = np.array([[0.0, -np.inf, 1.0]])
INF_T = np.array([[0.0, 0.0, 1.0]])
INF_LOSS = math.log(1 + math.exp(-1))  # -log softmax(x)[2] = log(1 + e^-1) = 0.313262


def test_cross_entropy_minus_inf_score_with_zero_target():
    x = Tensor(INF_X.copy(), requires_grad=True)
    out = cross_entropy(x, INF_T)
    out.backward()
    assert out.item() == pytest.approx(INF_LOSS, rel=1e-14)
    s = 1 / (1 + math.e)  # softmax = [s, 0, 1 - s]: gradient [s, 0, (1 - s) - 1]
    np.testing.assert_allclose(x.grad, [[s, 0.0, -s]], rtol=1e-14)
    # PyTorch: its probability-target loss is nan here, so the loss is compared with its
    # class-index form (the same loss); the gradients of both forms agree
    torch_loss, _ = torch_loss_and_grad(INF_X, np.array([2]))
    _, torch_grad = torch_loss_and_grad(INF_X, INF_T)
    assert out.item() == pytest.approx(torch_loss, rel=1e-14)
    np.testing.assert_allclose(x.grad, torch_grad, rtol=1e-14)


def test_cross_entropy_minus_inf_score_second_order_is_finite():
    x = Tensor(INF_X.copy(), requires_grad=True)
    g, = autograd.grad(cross_entropy(x, INF_T), x, create_graph=True)
    g2, = autograd.grad((g * np.array([[1.0, 0.0, 0.0]])).sum(), x)
    s = 1 / (1 + math.e)
    # d/dx of softmax_0 over the finite entries: s(1 - s) at 0, -s(1 - s) at 2; 0 at the -inf
    np.testing.assert_allclose(g2, [[s * (1 - s), 0.0, -s * (1 - s)]], rtol=1e-12, atol=1e-15)


def test_nn_losses_minus_inf_score_with_zero_target():
    assert cross_entropy_from_logits(INF_X, INF_T) == pytest.approx(INF_LOSS, rel=1e-14)
    assert cross_entropy_from_logits(INF_X, np.array([2])) == pytest.approx(INF_LOSS, rel=1e-14)
    layer = SoftmaxWithLoss()
    assert layer.forward(INF_X, INF_T) == pytest.approx(INF_LOSS, rel=1e-14)
    s = 1 / (1 + math.e)
    np.testing.assert_allclose(layer.backward(), [[s, 0.0, -s]], rtol=1e-14)
    module = modules.SoftmaxWithLoss()
    assert module(INF_X, INF_T).item() == pytest.approx(INF_LOSS, rel=1e-14)


# ---- the lecture's layer keeps (y - t) / N, so it refuses rows that do not sum to 1 -----------------
def test_layer_softmax_with_loss_refuses_rows_not_summing_to_one():
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss.*sum to 1.*\(y - t\) / N.*cross_entropy"):
        SoftmaxWithLoss().forward(X, UNNORMALISED)


def test_layer_softmax_with_loss_probability_rows_match_torch():
    target = softmax(np.random.default_rng(9).normal(size=X.shape))  # rows sum to 1
    loss, grad = torch_loss_and_grad(X, target)
    layer = SoftmaxWithLoss()
    assert layer.forward(X, target) == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(layer.backward(), grad, rtol=1e-10, atol=1e-15)


# ---- every function that takes labels: the same shapes, the same refusal --------------------------
NET = TwoLayerNet(4, 6, 4, weight_init_std=1.0, seed=0)
NET_X = np.random.default_rng(10).normal(size=(5, 4))

LOSSES = {
    "cross_entropy": lambda t: cross_entropy(Tensor(X), t).item(),
    "cross_entropy_error": lambda t: cross_entropy_error(softmax(X), t),
    "cross_entropy_from_logits": lambda t: cross_entropy_from_logits(X, t),
    "SoftmaxWithLoss": lambda t: SoftmaxWithLoss().forward(X, t),
    "nn.SoftmaxWithLoss": lambda t: modules.SoftmaxWithLoss()(X, t).item(),
}
ACCURACIES = {
    "accuracy": lambda t: accuracy(X, t),
    "TwoLayerNet.accuracy": lambda t: NET.accuracy(NET_X, t),
}
ALL = {**LOSSES, **ACCURACIES}

BAD = {  # name -> (targets, what the message must say besides the shapes)
    "(N, 1) labels": (LABELS[:, None], "reshape"),
    "float labels": (LABELS.astype(float), "cast them to int"),
    "another batch size": (LABELS[:3], "3 samples"),
    "label C": (np.array([0, 4, 1, 1, 2]), "0..3"),
    "negative label": (np.array([0, -1, 1, 1, 2]), "0..3"),
    "boolean labels": (LABELS.astype(bool), "cast to int"),
    "boolean rows": (ONE_HOT.astype(bool), "cast to int"),
    "3-D": (ONE_HOT[None], "accepts"),
    "negative rows": (ONE_HOT - 0.1, "negative"),
    "nan rows": (ONE_HOT * np.nan, "nan"),
    "rows of another width": (np.ones((5, 5)), "one-hot"),
}


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("fn", list(ALL))
def test_bad_labels_refused_with_one_message(fn, bad):
    t, says = BAD[bad]
    with pytest.raises(ValueError) as info:
        ALL[fn](t)
    message = str(info.value)
    op = fn.split(".")[-1]
    assert message.startswith(op + ":"), message
    assert str(t.shape) in message and str(t.dtype) in message, message
    assert "accepts integer labels of shape (5,) in 0..3" in message, message
    assert says in message, message


@pytest.mark.parametrize("fn", list(ALL))
def test_empty_batch_is_an_error(fn):
    scores = np.zeros((0, 4))
    labels = np.zeros(0, dtype=int)
    calls = {
        "cross_entropy": lambda: cross_entropy(Tensor(scores), labels),
        "cross_entropy_error": lambda: cross_entropy_error(scores, labels),
        "cross_entropy_from_logits": lambda: cross_entropy_from_logits(scores, labels),
        "SoftmaxWithLoss": lambda: SoftmaxWithLoss().forward(scores, labels),
        "nn.SoftmaxWithLoss": lambda: modules.SoftmaxWithLoss()(scores, labels),
        "accuracy": lambda: accuracy(scores, labels),
        "TwoLayerNet.accuracy": lambda: NET.accuracy(np.zeros((0, 4)), labels),
    }
    op = fn.split(".")[-1]
    with pytest.raises(ValueError, match=op + r": scores of shape \(0, 4\) hold no samples"):
        calls[fn]()


def test_accuracy_counts_against_a_closed_form():
    predicted = np.argmax(X, axis=1)
    labels = predicted.copy()
    labels[:2] = (labels[:2] + 1) % 4  # 3 of 5 right
    assert accuracy(X, labels) == 0.6
    assert accuracy(X, np.eye(4)[labels]) == 0.6
    assert accuracy(X[0], labels[0]) == 0.0 and accuracy(X[4], np.array([labels[4]])) == 1.0


def test_accuracy_refuses_soft_rows():
    with pytest.raises(ValueError, match="accuracy: .*not one-hot"):
        accuracy(X, np.full((5, 4), 0.25))


def test_net_accuracy_with_n_by_1_labels_is_refused_not_broadcast():
    scores = NET.predict(NET_X)
    labels = np.argmax(scores, axis=1)  # every prediction right: accuracy 1
    assert NET.accuracy(NET_X, labels) == 1.0
    with pytest.raises(ValueError, match="TwoLayerNet|accuracy"):
        NET.accuracy(NET_X, labels[:, None])  # used to read them all as class 0: 0.0 here


@pytest.mark.parametrize("t", [2, np.array([2]), np.array([0.0, 0.0, 1.0])], ids=["()", "(1,)", "row"])
def test_the_books_single_sample_forms_still_work(t):
    y = np.array([0.1, 0.05, 0.6])
    y = y / y.sum()
    assert cross_entropy_error(y, t) == pytest.approx(-math.log(y[2]), rel=1e-14)
    layer = SoftmaxWithLoss()
    x = np.log(y)
    assert layer.forward(x, t) == pytest.approx(-math.log(y[2]), rel=1e-14)
    np.testing.assert_allclose(layer.backward(), y - np.eye(3)[2], rtol=1e-13, atol=1e-15)


def test_integer_labels_still_match_torch():
    loss, grad = torch_loss_and_grad(X, LABELS)
    x = Tensor(X.copy(), requires_grad=True)
    out = cross_entropy(x, LABELS)
    out.backward()
    assert out.item() == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(x.grad, grad, rtol=1e-12, atol=1e-15)
