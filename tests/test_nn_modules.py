"""Autograd modules (nn.Affine, nn.ReLU, ...) against the lecture's hand-written layers, closed
forms and PyTorch; Module bookkeeping (names, zero_grad, state_dict, train/eval, scopes)."""
import numpy as np
import pytest

import nn
import nn.layers as L
from autograd import Tensor, topological_order
from nn import (Affine, Linear, Module, Parameter, ReLU, Sequential, Sigmoid, SoftmaxWithLoss,
                Tanh)
from nn.optim import SGD

RTOL = 1e-12


def close(a, b, rtol=RTOL):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)
    assert np.max(np.abs(a - b)) / scale <= rtol, np.max(np.abs(a - b)) / scale


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# --- layer by layer: autograd modules == hand-written layers -------------------------------------

@pytest.mark.parametrize("shape", [(7, 5), (3, 5), (4, 1, 5), (2, 5, 1)])
def test_affine_matches_handwritten(rng, shape):
    m = Affine(5, 3, weight_init_std=1.0, rng=rng)
    m.b.data[...] = rng.normal(size=3)
    lec = L.Affine(m.W.data.copy(), m.b.data.copy())
    x_np = rng.normal(size=shape)
    dout = rng.normal(size=(shape[0], 3))

    x = Tensor(x_np, requires_grad=True)
    out = m(x)
    out.backward(dout)
    close(out.data, lec.forward(x_np))
    dx = lec.backward(dout)
    close(x.grad, dx)
    close(m.W.grad, lec.dW)
    close(m.b.grad, lec.db)


def test_relu_matches_handwritten_including_zero(rng):
    x_np = rng.normal(size=(6, 4))
    x_np[0, :2] = 0.0  # the mask is x <= 0: no gradient at exactly 0 in either
    dout = rng.normal(size=x_np.shape)
    lec = L.Relu()
    x = Tensor(x_np, requires_grad=True)
    out = ReLU()(x)
    out.backward(dout)
    close(out.data, lec.forward(x_np))
    close(x.grad, lec.backward(dout))
    assert np.all(x.grad[0, :2] == 0)


def test_sigmoid_matches_handwritten(rng):
    x_np, dout = rng.normal(size=(5, 3)) * 3, rng.normal(size=(5, 3))
    lec = L.Sigmoid()
    x = Tensor(x_np, requires_grad=True)
    out = Sigmoid()(x)
    out.backward(dout)
    close(out.data, lec.forward(x_np))
    close(x.grad, lec.backward(dout))


def test_tanh_closed_form(rng):
    x_np, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    x = Tensor(x_np, requires_grad=True)
    out = Tanh()(x)
    out.backward(dout)
    close(out.data, np.tanh(x_np))
    close(x.grad, dout * (1 - np.tanh(x_np) ** 2))


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_matches_handwritten(rng, one_hot):
    n, c = 8, 4
    scores = rng.normal(size=(n, c)) * 2
    labels = rng.integers(0, c, size=n)
    t = np.eye(c)[labels] if one_hot else labels
    lec = L.SoftmaxWithLoss()
    lec_loss = lec.forward(scores, t)
    lec_dx = lec.backward()

    x = Tensor(scores, requires_grad=True)
    layer = SoftmaxWithLoss()
    loss = layer(x, t)
    loss.backward()
    # closed forms: loss = mean(-log softmax[label]), gradient (y - t) / N
    y = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    close(loss.item(), -np.mean(np.log(y[np.arange(n), labels])))
    close(loss.item(), lec_loss)
    close(x.grad, (y - np.eye(c)[labels]) / n)
    close(x.grad, lec_dx)
    close(layer.y, y)
    close(layer.t, np.eye(c)[labels])
    assert layer.loss == pytest.approx(lec_loss, rel=1e-12)


def test_affine_vs_torch_linear(rng):
    torch = pytest.importorskip("torch", reason="PyTorch parity needs torch (.[parity] extra)")
    F = torch.nn.functional
    m = Linear(6, 4, init="he", rng=rng)
    m.b.data[...] = rng.normal(size=4)
    x_np, dout = rng.normal(size=(5, 6)), rng.normal(size=(5, 4))
    x = Tensor(x_np, requires_grad=True)
    m(x).backward(dout)

    tx = torch.tensor(x_np, requires_grad=True)
    tW = torch.tensor(m.W.data.T.copy(), requires_grad=True)  # torch's weight is (out, in)
    tb = torch.tensor(m.b.data.copy(), requires_grad=True)
    out = F.linear(tx, tW, tb)
    out.backward(torch.tensor(dout))
    close(m(x_np).data, out.detach().numpy())
    close(x.grad, tx.grad.numpy())
    close(m.W.grad, tW.grad.numpy().T)
    close(m.b.grad, tb.grad.numpy())


def test_affine_rejects_wrong_feature_size():
    m = Affine(3, 2)
    with pytest.raises(ValueError) as e:
        m(np.zeros((4, 5)))
    assert "(4, 5)" in str(e.value) and "(3, 2)" in str(e.value)


def test_names_distinguish_autograd_and_lecture_layers():
    assert Linear is Affine
    assert nn.Affine is not L.Affine and nn.SoftmaxWithLoss is not L.SoftmaxWithLoss
    assert issubclass(nn.Affine, Module) and not issubclass(L.Affine, Module)


# --- initialisation ------------------------------------------------------------------------------

@pytest.mark.parametrize("init, expected", [("std", 0.01), ("he", np.sqrt(2 / 400)),
                                            ("xavier", np.sqrt(1 / 400))])
def test_init_std_matches_closed_form(init, expected):
    W = Affine(400, 300, init=init, rng=0).W.data  # 120000 samples: std within ~1%
    assert W.std() == pytest.approx(expected, rel=0.02)
    assert abs(W.mean()) < 0.02 * expected


def test_init_is_seeded_and_bias_zero():
    a, b, c = Affine(4, 3, rng=5), Affine(4, 3, rng=5), Affine(4, 3, rng=6)
    assert np.array_equal(a.W.data, b.W.data) and not np.array_equal(a.W.data, c.W.data)
    assert np.array_equal(a.b.data, np.zeros(3))
    assert Affine(4, 3, weight_init_std=0.5, rng=5).W.data == pytest.approx(50 * a.W.data)
    with pytest.raises(ValueError, match="unknown init"):
        Affine(4, 3, init="lecun")


# --- Module bookkeeping --------------------------------------------------------------------------

class Net(Module):
    def __init__(self):
        self.fc1 = Affine(3, 4, rng=0)
        self.act = ReLU()
        self.blocks = [Affine(4, 4, rng=1), Tanh()]
        self.heads = {"out": Affine(4, 2, rng=2)}
        self.scale = Parameter(np.ones(1))

    def forward(self, x):
        h = self.act(self.fc1(x))
        for block in self.blocks:
            h = block(h)
        return self.heads["out"](h) * self.scale


def test_named_parameters_names_and_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.W", "fc1.b", "blocks.0.W", "blocks.0.b", "heads.out.W", "heads.out.b",
                     "scale"]
    assert [id(p) for p in net.parameters()] == [id(p) for _, p in net.named_parameters()]
    assert net.parameters()[0] is net.fc1.W
    assert all(isinstance(p, Parameter) and p.requires_grad for p in net.parameters())


def test_shared_parameter_listed_once():
    a = Affine(2, 2)
    seq = Sequential(a, ReLU(), a)
    assert [n for n, _ in seq.named_parameters()] == ["Affine1.W", "Affine1.b"]


def test_parameter_wraps_without_copy():
    w = np.arange(6.0).reshape(2, 3)
    p = Parameter(w)
    assert p.data is w and p.requires_grad and repr(p).startswith("Parameter(")


def test_zero_grad():
    net = Net()
    net(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip_and_mismatch():
    a, b = Net(), Net()
    for p in b.parameters():
        p.data[...] = 7.0
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()]
    state["fc1.W"][...] = 0  # a copy: the model is not changed
    assert not np.all(a.fc1.W.data == 0)
    arrays = [p.data for p in b.parameters()]
    b.load_state_dict(a.state_dict())
    for (name, pa), pb, arr in zip(a.named_parameters(), b.parameters(), arrays):
        assert np.array_equal(pa.data, pb.data), name
        assert pb.data is arr  # loaded in place
    bad = a.state_dict()
    del bad["fc1.b"]
    bad["extra"] = np.zeros(2)
    bad["heads.out.W"] = np.zeros((3, 3))
    before = [p.data.copy() for p in b.parameters()]
    with pytest.raises(ValueError) as e:
        b.load_state_dict(bad)
    msg = str(e.value)
    assert "fc1.b" in msg and "extra" in msg and "heads.out.W" in msg
    assert all(np.array_equal(x, p.data) for x, p in zip(before, b.parameters()))


def test_train_eval_flags():
    net = Net()
    modules = [m for _, m in net.named_modules()]
    assert len(modules) == 6 and all(m.training for m in modules)
    assert net.eval() is net and not any(m.training for m in modules)
    net.train()
    assert all(m.training for m in modules)


def test_scopes_recorded():
    net = Net()
    x = Tensor(np.ones((2, 3)))
    out = net(x).sum()
    scopes = {n.scope for n in topological_order([out])}
    assert {"Net/fc1", "Net/act", "Net/blocks.0", "Net/blocks.1", "Net/out"} <= scopes
    matmuls = [n for n in topological_order([out]) if n.op == "@"]
    assert sorted(n.scope for n in matmuls) == ["Net/blocks.0", "Net/fc1", "Net/out"]
    assert net.fc1.W.scope == "Net/fc1"  # parameters are drawn inside their module's box

    seq = Sequential(Affine(3, 4), ReLU(), Affine(4, 2))
    loss = SoftmaxWithLoss()(seq(x), np.array([0, 1]))
    by_op = {n.op: n.scope for n in topological_order([loss]) if n.op}
    assert by_op["ReLU"] == "Sequential/ReLU1"
    assert by_op["cross_entropy"] == "SoftmaxWithLoss"
    assert {n.scope for n in topological_order([loss]) if n.op == "@"} == {
        "Sequential/Affine1", "Sequential/Affine2"}


# --- training with an optimizer's step() ---------------------------------------------------------

def test_sgd_step_updates_parameters_in_place():
    model = Sequential(Affine(3, 2, weight_init_std=1.0, rng=0))
    x, t = np.random.default_rng(1).normal(size=(4, 3)), np.array([0, 1, 1, 0])
    W = model[0].W.data
    before = W.copy()
    SoftmaxWithLoss()(model(x), t).backward()
    grad = model[0].W.grad.copy()
    SGD(lr=0.1, params=model.parameters()).step()
    model.zero_grad()
    assert model[0].W.data is W
    close(W, before - 0.1 * grad)
    assert model[0].W.grad is None


def test_small_network_separates_the_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(400, 2))
    margin = x[:, 0] - 0.7 * x[:, 1] + 0.1
    x = x[np.abs(margin) > 0.1][:120]
    t = (x[:, 0] - 0.7 * x[:, 1] + 0.1 > 0).astype(int)
    model = Sequential(Affine(2, 16, init="he", rng=1), ReLU(), Affine(16, 2, init="he", rng=2))
    loss_fn = SoftmaxWithLoss()
    optimizer = SGD(lr=0.5, params=model.parameters())
    for _ in range(500):
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
        model.zero_grad()
    accuracy = np.mean(np.argmax(model(x).data, axis=1) == t)
    assert accuracy == 1.0, (accuracy, loss_fn.loss)
