"""nn.Monitor: what it records every k steps (checked against numbers computed here by hand),
for the book's hand-written nets and for autograd modules, and that it draws."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import optim
from nn.multi_layer_net import MultiLayerNet

rng0 = np.random.default_rng(0)
X = rng0.normal(size=(20, 6))
T = rng0.integers(0, 3, size=20)


def test_records_the_books_net_every_k_steps():
    net = MultiLayerNet(6, [7, 5], 3, activation="sigmoid", seed=1)
    monitor = nn.Monitor(every=5)
    assert monitor.watch(net) is net
    opt = optim.SGD(lr=0.5)
    expected = {}
    for i in range(12):
        grads = net.gradient(X, T)
        before = {k: v.copy() for k, v in net.params.items()}
        act1 = net.layers["Activation_function1"].out.copy()  # the book's Sigmoid keeps it
        with monitor.step(i, net.params, grads) as record:
            opt.update(net.params, grads)
        assert (record is not None) == (i % 5 == 0)
        if record is not None:
            expected[i] = (grads, before, act1)
    assert [r.step for r in monitor.records] == [0, 5, 10]
    for r in monitor.records:
        grads, before, act1 = expected[r.step]
        for key in net.params:
            assert r.grad_norm[key] == pytest.approx(np.linalg.norm(grads[key]), rel=1e-14)
            # plain SGD: ||ΔW|| / ||W|| = lr ||g|| / ||W||; undefined (nan) for a zero W
            size = np.linalg.norm(before[key])
            if size == 0:
                assert np.isnan(r.update_ratio[key]) and key.startswith("b") and r.step == 0
            else:
                assert r.update_ratio[key] == pytest.approx(
                    0.5 * np.linalg.norm(grads[key]) / size, rel=1e-10)
        np.testing.assert_array_equal(r.activations["Activation_function1"], act1.ravel())
        assert set(r.activations) == set(r.activation_grads) == {"Activation_function1",
                                                                 "Activation_function2"}
    steps, values = monitor.series("grad_norm", "W1")
    assert list(steps) == [0, 5, 10] and values.shape == (3,)
    monitor.unwatch()
    assert "forward" not in vars(net.layers["Activation_function1"])


def test_activation_gradient_is_what_backprop_sends_into_the_layer():
    net = MultiLayerNet(6, [7], 3, activation="relu", seed=2)
    monitor = nn.Monitor(every=1)
    monitor.watch(net)
    grads = net.gradient(X, T)
    # by hand: dL/d(relu output) = dL/d(Affine2 output) · W2ᵀ
    dscores = net.last_layer.backward(1)
    expected = dscores @ net.params["W2"].T
    record = monitor.record(0, net.params, grads)
    np.testing.assert_allclose(record.activation_grads["Activation_function1"],
                               expected.ravel(), rtol=1e-14)


def test_records_autograd_modules():
    model = nn.Sequential(nn.Affine(6, 8, init="he", rng=0), nn.ReLU(),
                          nn.Affine(8, 3, rng=1))
    loss_fn = nn.SoftmaxWithLoss()
    monitor = nn.Monitor(every=2, max_samples=50)
    monitor.watch(model)
    opt = optim.Adam(lr=0.01, params=model.parameters())
    for i in range(4):
        opt.zero_grad()
        loss = loss_fn(model(X), T)
        loss.backward()
        with monitor.step(i, model):
            opt.step()
    assert [r.step for r in monitor.records] == [0, 2]
    r = monitor.records[-1]
    assert set(r.grad_norm) == {"Affine1.W", "Affine1.b", "Affine2.W", "Affine2.b"}
    assert r.grad_norm["Affine1.W"] > 0 and r.update_ratio["Affine1.W"] > 0
    assert len(r.activations["ReLU1"]) == 50  # 20 × 8 outputs, 50 kept
    assert np.all(r.activations["ReLU1"] >= 0)
    assert len(r.activation_grads["ReLU1"]) == 50


def test_sees_vanishing_gradients():
    """Sigmoid with std 0.01 weights (figure 6-11): the first layer's gradient is tiny next to
    the last's; with Xavier it is not."""
    ratios = {}
    for init in (0.01, "xavier"):
        net = MultiLayerNet(6, [50] * 5, 3, activation="sigmoid", weight_init_std=init, seed=3)
        monitor = nn.Monitor(every=1)
        record = monitor.record(0, net.params, net.gradient(X, T))
        ratios[init] = record.grad_norm["W1"] / record.grad_norm["W6"]
    # measured: 9e-10 with std 0.01 (a factor ~100 lost per layer), 2.5e-4 with Xavier
    assert ratios[0.01] < 1e-8 and ratios["xavier"] > 1e-5


def test_histograms_share_bins_over_time_and_plot(tmp_path: Path):
    net = MultiLayerNet(6, [10, 10], 3, seed=4)
    monitor = nn.Monitor(every=3)
    monitor.watch(net)
    opt = optim.SGD(lr=0.1)
    for i in range(10):
        grads = net.gradient(X, T)
        with monitor.step(i, net.params, grads):
            opt.update(net.params, grads)
    steps, edges, counts = monitor.histograms("activations", "Activation_function2", bins=12)
    assert list(steps) == [0, 3, 6, 9] and edges.shape == (13,) and counts.shape == (4, 12)
    assert np.all(counts.sum(axis=1) == 20 * 10)  # every sample lands in a bin (clipped)
    fig = monitor.plot()
    path = tmp_path / "monitor.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    titles = [ax.get_title() for ax in fig.axes]
    assert "gradient norm ||dL/dW||" in titles and "dL/dW: W1" in titles
    assert "activation: Activation_function1" in titles
    assert not any("b1" in t for t in titles), "biases are left out by default"


def test_clear_errors():
    with pytest.raises(ValueError, match="every"):
        nn.Monitor(every=0)
    monitor = nn.Monitor()
    with pytest.raises(ValueError, match="nothing recorded"):
        monitor.plot()
    with pytest.raises(TypeError, match="gradients"):
        monitor.record(0, {"W": np.ones(2)})
    with pytest.raises(KeyError, match="no entry"):
        monitor.record(0, {"W": np.ones(2)}, {"V": np.ones(2)})
    with pytest.raises(TypeError, match="Module or a net"):
        monitor.watch(object())
    with pytest.raises(ValueError, match="no layer"):
        monitor.watch(nn.Sequential(nn.Affine(2, 2)))
    with pytest.raises(KeyError, match="names"):
        monitor.series("grad_norm", "W1")
    with pytest.raises(ValueError, match="kind"):
        monitor.series("activations", "W1")
    assert Tensor  # the module imports autograd's Tensor for outputs it taps
