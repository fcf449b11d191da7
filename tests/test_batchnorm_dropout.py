"""Chapter 6's BatchNorm and Dropout: the book's hand-written layers (nn.regularization) and the
autograd modules (nn.BatchNorm, nn.Dropout), against torch.nn.BatchNorm1d / torch's dropout in
float64 (outputs, input and parameter gradients, running statistics, train and eval mode), and
against each other."""
from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.regularization import BOOK_EPS, BatchNormalization, Dropout

REL = 1e-10


def assert_rel(actual, expected, what: str, rel: float = REL) -> None:
    """max |actual − expected| <= rel · max |expected| (elementwise near-zero entries don't count
    for more than the rest)."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} vs {expected.shape}"
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    err = float(np.max(np.abs(actual - expected))) / scale
    assert err <= rel, f"{what}: relative error {err:.3g} > {rel:g}"


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch parity tests need torch")


def batches(rng: np.random.Generator, shape: tuple[int, ...], count: int = 3) -> list[np.ndarray]:
    """Batches with per-feature offsets and scales, so the statistics are not trivial."""
    D = shape[1]
    return [rng.normal(size=shape) * rng.uniform(0.5, 3, size=(D,) + (1,) * (len(shape) - 2))
            + rng.normal(size=(D,) + (1,) * (len(shape) - 2)) * 2 for _ in range(count)]


def torch_bn(torch, D: int, gamma: np.ndarray, beta: np.ndarray, momentum: float | None = 0.1):
    bn = torch.nn.BatchNorm1d(D, eps=1e-5, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    return bn


def torch_step(torch, bn, x: np.ndarray, dout: np.ndarray):
    """(out, dx, dgamma, dbeta) of torch's BatchNorm1d for one batch."""
    tx = torch.tensor(x, requires_grad=True)
    bn.weight.grad = bn.bias.grad = None
    out = bn(tx)
    if out.requires_grad:
        out.backward(torch.tensor(dout))
        return (out.detach().numpy(), tx.grad.numpy(), bn.weight.grad.numpy(),
                bn.bias.grad.numpy())
    return out.detach().numpy(), None, None, None


# ---------------------------------------------------------------- BatchNorm vs torch


def test_handwritten_batchnorm_matches_torch_train_and_eval(torch):
    rng = np.random.default_rng(0)
    N, D = 8, 5
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    # torch's conventions: the book's momentum 0.9 is torch's 0.1
    ours = BatchNormalization(gamma.copy(), beta.copy(), momentum=0.9, running_mean=np.zeros(D),
                              running_var=np.ones(D), eps=1e-5, unbiased_running_var=True)
    theirs = torch_bn(torch, D, gamma, beta)
    for step, x in enumerate(batches(rng, (N, D))):
        dout = rng.normal(size=(N, D))
        out_t, dx_t, dg_t, db_t = torch_step(torch, theirs.train(), x, dout)
        out = ours.forward(x, train_flg=True)
        dx = ours.backward(dout)
        assert_rel(out, out_t, f"train output, batch {step}")
        assert_rel(dx, dx_t, f"dx, batch {step}")
        assert_rel(ours.dgamma, dg_t, f"dgamma, batch {step}")
        assert_rel(ours.dbeta, db_t, f"dbeta, batch {step}")
        assert_rel(ours.running_mean, theirs.running_mean.numpy(), f"running_mean, batch {step}")
        assert_rel(ours.running_var, theirs.running_var.numpy(), f"running_var, batch {step}")
    x = rng.normal(size=(N, D)) * 3
    with torch.no_grad():
        out_t = theirs.eval()(torch.tensor(x)).numpy()
    assert_rel(ours.forward(x, train_flg=False), out_t, "eval output")


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 6)], ids=["(N,C)", "(N,C,L)"])
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batchnorm_module_matches_torch_train_and_eval(torch, shape, momentum):
    rng = np.random.default_rng(1)
    D = shape[1]
    ours = nn.BatchNorm(D, momentum=momentum)
    ours.gamma.data[...] = rng.normal(size=D)
    ours.beta.data[...] = rng.normal(size=D)
    theirs = torch_bn(torch, D, ours.gamma.data, ours.beta.data, momentum)
    for step, x in enumerate(batches(rng, shape)):
        dout = rng.normal(size=shape)
        out_t, dx_t, dg_t, db_t = torch_step(torch, theirs.train(), x, dout)
        ours.zero_grad()
        tx = Tensor(x, requires_grad=True)
        out = ours(tx)
        out.backward(dout)
        assert_rel(out.data, out_t, f"train output, batch {step}")
        assert_rel(tx.grad, dx_t, f"dx, batch {step}")
        assert_rel(ours.gamma.grad, dg_t, f"dgamma, batch {step}")
        assert_rel(ours.beta.grad, db_t, f"dbeta, batch {step}")
        assert_rel(ours.running_mean, theirs.running_mean.numpy(), f"running_mean {step}")
        assert_rel(ours.running_var, theirs.running_var.numpy(), f"running_var {step}")
    assert ours.num_batches_tracked == int(theirs.num_batches_tracked) == 3
    x, dout = rng.normal(size=shape) * 3, rng.normal(size=shape)
    tx = torch.tensor(x, requires_grad=True)
    theirs.eval()
    theirs.weight.grad = None
    out_t = theirs(tx)
    out_t.backward(torch.tensor(dout))
    ours.eval()
    ours.zero_grad()
    ox = Tensor(x, requires_grad=True)
    out = ours(ox)
    out.backward(dout)
    assert_rel(out.data, out_t.detach().numpy(), "eval output")
    assert_rel(ox.grad, tx.grad.numpy(), "eval dx")
    assert_rel(ours.gamma.grad, theirs.weight.grad.numpy(), "eval dgamma")
    running = ours.running_mean.copy()
    ours(x)
    assert np.array_equal(ours.running_mean, running), "eval mode must not move the statistics"


def test_handwritten_and_module_batchnorm_agree():
    """The book's backward (written out) and autograd's, same conventions, same numbers."""
    rng = np.random.default_rng(2)
    x, dout = batches(rng, (10, 4), 1)[0], rng.normal(size=(10, 4))
    module = nn.BatchNorm(4)
    module.gamma.data[...] = rng.normal(size=4)
    layer = BatchNormalization(module.gamma.data, module.beta.data, momentum=0.9, eps=1e-5)
    tx = Tensor(x, requires_grad=True)
    module(tx).backward(dout)
    layer.forward(x)
    assert_rel(layer.backward(dout), tx.grad, "dx")
    assert_rel(layer.dgamma, module.gamma.grad, "dgamma")


def test_handwritten_batchnorm_keeps_the_books_conventions():
    """Defaults: eps 10e-7, running statistics start at 0 and move 10 % (momentum 0.9) toward
    the batch's mean and *biased* variance; 4-D input is flattened per sample."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 2, 3)) * 2 + 1
    layer = BatchNormalization(np.ones(6), np.zeros(6))
    out = layer.forward(x)
    assert out.shape == x.shape and BOOK_EPS == 1e-6
    flat = x.reshape(6, -1)
    expected = (flat - flat.mean(0)) / np.sqrt(flat.var(0) + 1e-6)
    assert_rel(out.reshape(6, -1), expected, "normalised x")
    assert_rel(layer.running_mean, 0.1 * flat.mean(0), "running_mean")
    assert_rel(layer.running_var, 0.1 * flat.var(0), "running_var (biased)")
    test_out = layer.forward(x, train_flg=False)
    assert_rel(test_out.reshape(6, -1),
               (flat - layer.running_mean) / np.sqrt(layer.running_var + 1e-6), "test mode")
    assert layer.backward(rng.normal(size=x.shape)).shape == x.shape


def test_batchnorm_errors_name_the_shapes():
    layer = BatchNormalization(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(3,\)"):
        layer.forward(np.zeros((4, 5)))
    with pytest.raises(RuntimeError, match="train_flg=True"):
        BatchNormalization(np.ones(3), np.zeros(3)).backward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="gamma and beta"):
        BatchNormalization(np.ones(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"\(4, 5\).*3 features"):
        nn.BatchNorm(3)(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm(3)(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm(3, momentum=0.9 + 1)
    assert nn.BatchNorm(3).eval()(np.zeros((1, 3))).shape == (1, 3)  # one sample is fine in eval


def test_batchnorm_module_parameters_and_repr():
    bn = nn.BatchNorm(4)
    assert [name for name, _ in bn.named_parameters()] == ["gamma", "beta"]
    assert nn.BatchNorm(4, affine=False).parameters() == []
    assert "4, eps=1e-05, momentum=0.1" in repr(bn)
    model = nn.Sequential(nn.Affine(3, 4, rng=0), nn.BatchNorm(4), nn.ReLU())
    model.eval()
    assert not model[1].training


# ---------------------------------------------------------------- Dropout


def test_handwritten_dropout_is_the_books():
    x = np.arange(1.0, 2001.0).reshape(40, 50)
    layer = Dropout(0.3, rng=0)
    out = layer.forward(x, train_flg=True)
    assert np.array_equal(out, x * layer.mask)
    assert abs(layer.mask.mean() - 0.7) < 0.03  # kept with probability 1 − ratio
    dout = np.ones_like(x) * 2
    assert np.array_equal(layer.backward(dout), dout * layer.mask)
    assert np.array_equal(layer.forward(x, train_flg=False), x * 0.7)  # test: the expected mask
    first = layer.mask
    layer.forward(x)
    assert not np.array_equal(first, layer.mask), "each forward draws a new mask"
    again = Dropout(0.3, rng=0)
    again.forward(x)
    assert np.array_equal(again.mask, first), "the same seed gives the same masks"


def test_dropout_module_train_and_eval_and_seeded():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(30, 20))
    module = nn.Dropout(0.25, rng=7)
    layer = Dropout(0.25, rng=7, inverted=True)  # the same masks, torch's scaling
    tx = Tensor(x, requires_grad=True)
    out = module(tx)
    dout = rng.normal(size=x.shape)
    out.backward(dout)
    assert np.array_equal(out.data, layer.forward(x))
    assert np.array_equal(module.mask, layer.mask)
    np.testing.assert_allclose(out.data, x * module.mask / 0.75, rtol=1e-15)
    np.testing.assert_allclose(tx.grad, layer.backward(dout), rtol=1e-15)
    module.eval()
    assert np.array_equal(module(x).data, x), "eval mode is the identity"
    assert np.array_equal(layer.forward(x, train_flg=False), x)
    assert np.array_equal(nn.Dropout(1.0, rng=0)(x).data, np.zeros_like(x))
    with pytest.raises(ValueError, match="p"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="dropout_ratio"):
        Dropout(1.0)


def test_dropout_module_follows_torchs_definition(torch):
    """torch's mask is its own random draw; both obey out = x·mask/(1 − p), dx = dout·mask/(1 − p),
    eval = identity, and keep about 1 − p of the elements."""
    p, shape = 0.4, (200, 50)
    rng = np.random.default_rng(5)
    x, dout = rng.uniform(1, 2, size=shape), rng.normal(size=shape)
    torch.manual_seed(0)
    tx = torch.tensor(x, requires_grad=True)
    drop = torch.nn.Dropout(p)
    tout = drop(tx)
    tout.backward(torch.tensor(dout))
    tmask = tout.detach().numpy() != 0
    module = nn.Dropout(p, rng=0)
    ox = Tensor(x, requires_grad=True)
    out = module(ox)
    out.backward(dout)
    for mask, o, g in ((tmask, tout.detach().numpy(), tx.grad.numpy()),
                       (module.mask, out.data, ox.grad)):
        assert abs(mask.mean() - (1 - p)) < 0.02
        assert_rel(o, x * mask / (1 - p), "out")
        assert_rel(g, dout * mask / (1 - p), "dx")
    drop.eval()
    module.eval()
    assert np.array_equal(drop(tx).detach().numpy(), module(x).data)
