"""The micrograd-style scalar network (Neuron, Layer, MLP on Values) and gradient_check itself."""
import numpy as np
import pytest

from autograd import Function, Tensor, Value, topological_order
from autograd.tensor import apply
from nn import MLP, Layer, Neuron, gradient_check


def test_neuron_closed_form():
    n = Neuron(3, rng=0)
    for w, v in zip(n.w, (0.5, -1.0, 2.0)):
        w.data = v
    n.b.data = 0.25
    x = [1.0, -2.0, 0.5]
    out = n(x)  # 0.5 + 2 + 1 + 0.25 = 3.75 > 0: active
    assert out.data == pytest.approx(3.75)
    out.backward()
    assert [w.grad for w in n.w] == pytest.approx(x) and n.b.grad == 1.0
    n.zero_grad()
    assert all(p.grad == 0.0 for p in n.parameters())
    n.b.data = -10.0  # inactive: relu gives 0 and no gradient
    out = n(x)
    out.backward()
    assert out.data == 0.0 and all(p.grad == 0.0 for p in n.parameters())
    linear = Neuron(3, nonlin=False, rng=0)
    assert linear([0.0, 0.0, 0.0]).data == 0.0 and linear(x).op == "+"


def test_shapes_and_parameter_count():
    assert isinstance(Layer(3, 1, rng=0)([1.0, 2.0, 3.0]), Value)
    assert len(Layer(3, 4, rng=0)([1.0, 2.0, 3.0])) == 4
    mlp = MLP(3, [4, 4, 1], rng=0)
    assert len(mlp.parameters()) == (3 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 1
    assert all(isinstance(p, Value) for p in mlp.parameters())
    names = [n for n, _ in mlp.named_parameters()]
    assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.w.2", "layers.0.neurons.0.b"]
    assert [p.data for p in MLP(3, [4, 1], rng=7).parameters()] == \
        [p.data for p in MLP(3, [4, 1], rng=7).parameters()]
    with pytest.raises(ValueError, match="3 inputs got 2"):
        mlp([1.0, 2.0])


def sample(seed=0):
    rng = np.random.default_rng(seed)
    return [list(r) for r in rng.normal(size=(4, 3))], list(rng.choice([-1.0, 1.0], size=4))


def test_mlp_gradient_against_central_differences():
    mlp = MLP(3, [4, 4, 1], rng=1)
    xs, ys = sample()

    def loss():
        return sum(((mlp(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))

    report = gradient_check(loss, mlp)
    assert set(report) == {n for n, _ in mlp.named_parameters()}
    assert max(rel for _, rel in report.values()) < 1e-6
    assert max(abs_ for abs_, _ in report.values()) < 1e-7


def test_mlp_gradient_against_torch():
    torch = pytest.importorskip("torch", reason="PyTorch parity needs torch (.[parity] extra)")
    mlp = MLP(3, [4, 4, 1], rng=2)
    xs, ys = sample(1)
    loss = sum(((mlp(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
    loss.backward()

    weights = [(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                             requires_grad=True),
                torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                             requires_grad=True)) for layer in mlp.layers]
    h = torch.tensor(xs, dtype=torch.float64)
    for i, (W, b) in enumerate(weights):
        h = h @ W.T + b
        if i < len(weights) - 1:
            h = torch.relu(h)
    t_loss = ((h[:, 0] - torch.tensor(ys, dtype=torch.float64)) ** 2).sum()
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    for layer, (W, b) in zip(mlp.layers, weights):
        ours_W = np.array([[w.grad for w in n.w] for n in layer.neurons])
        np.testing.assert_allclose(ours_W, W.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose([n.b.grad for n in layer.neurons], b.grad.numpy(),
                                   rtol=1e-10, atol=1e-14)


def test_gradient_check_on_tensors_and_restores_state():
    rng = np.random.default_rng(3)
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    v = Value(0.7)
    x = rng.normal(size=(4, 3))
    W.grad = np.full((3, 2), 5.0)
    W_before = W.data.copy()
    report = gradient_check(lambda: ((Tensor(x) @ W).tanh() ** 2).sum(), {"W": W})
    assert list(report) == ["W"] and report["W"][1] < 1e-7
    assert np.array_equal(W.data, W_before) and np.all(W.grad == 5.0)
    report = gradient_check(lambda: (v * v).exp(), [v])  # d/dv exp(v²) = 2v exp(v²)
    assert list(report) == ["0"] and report["0"][1] < 1e-8 and v.data == 0.7


class WrongSquare(Function):
    """x² with a deliberately wrong backward (3x instead of 2x)."""

    def forward(self, x):
        return x * x

    def backward(self, g, x, out):
        return (g * 3 * x,)


def test_gradient_check_catches_a_wrong_backward():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    abs_err, rel_err = gradient_check(lambda: apply(WrongSquare(), W).sum(), [W])["0"]
    assert abs_err == pytest.approx(3.0, rel=1e-6)  # max |3x − 2x| = |x| max = 3
    assert rel_err == pytest.approx(1 / 3, rel=1e-6)  # 3 / max|3x| = 3 / 9


def test_scalar_scopes():
    mlp = MLP(2, [2, 1], rng=0)
    out = mlp([1.0, -1.0])
    scopes = {n.scope for n in topological_order([out])}
    assert "MLP/layers.0/neurons.0" in scopes and "MLP/layers.1/neurons.0" in scopes
    assert mlp.layers[0].neurons[1].w[0].scope == "MLP/layers.0/neurons.1"
    assert out.scope == "MLP/layers.1/neurons.0"


def test_scalar_mlp_learns_separable_points():
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, size=(60, 2))
    pts = pts[np.abs(pts[:, 0] + pts[:, 1]) > 0.2][:24]
    xs = [list(p) for p in pts]
    ys = [1.0 if p[0] + p[1] > 0 else -1.0 for p in pts]
    mlp = MLP(2, [8, 1], rng=3)
    for step in range(60):
        scores = [mlp(x) for x in xs]
        loss = sum(((1 - y * s).relu() for y, s in zip(ys, scores)), Value(0.0)) * (1 / len(xs))
        mlp.zero_grad()
        loss.backward()
        for p in mlp.parameters():
            p.data -= 0.1 * p.grad
    correct = sum((mlp(x).data > 0) == (y > 0) for x, y in zip(xs, ys))
    assert correct == len(xs), (correct, loss.data)
