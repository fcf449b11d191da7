"""The book's MultiLayerNet / MultiLayerNetExtend (backprop against the numerical gradient, in
every configuration), and weight decay: the book's (in the net) and torch's (in the optimizers)."""
from __future__ import annotations

import numpy as np
import pytest

import nn
from nn import optim
from nn.multi_layer_net import MultiLayerNet, MultiLayerNetExtend
from nn.regularization import BatchNormalization, Dropout

rng0 = np.random.default_rng(0)
X = rng0.normal(size=(7, 6))
T = rng0.integers(0, 3, size=7)


def with_random_biases(net, seed: int = 1):
    """Nonzero biases (and gamma/beta), so no ReLU input sits exactly at its kink at 0."""
    rng = np.random.default_rng(seed)
    for key, p in net.params.items():
        if key[0] in "bg":
            p += 0.3 * rng.normal(size=p.shape)
    return net


def check_gradients(net, tol: float = 1e-7) -> dict[str, np.ndarray]:
    numerical = net.numerical_gradient(X, T)
    backprop = net.gradient(X, T)
    assert set(backprop) == set(numerical) == set(net.params)
    scale = max(float(np.max(np.abs(g))) for g in backprop.values())
    for key in net.params:
        assert backprop[key].shape == net.params[key].shape, key
        err = float(np.max(np.abs(backprop[key] - numerical[key])))
        assert err <= tol * scale, f"{key}: |backprop − numerical| {err:.3g} (scale {scale:.3g})"
    return backprop


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("init", ["relu", "he", "sigmoid", "xavier", 0.5])
def test_multi_layer_net_gradient_matches_numerical(activation, init):
    net = with_random_biases(MultiLayerNet(6, [5, 4, 5], 3, activation=activation,
                                           weight_init_std=init, weight_decay_lambda=0.1, seed=2))
    assert list(net.layers) == ["Affine1", "Activation_function1", "Affine2",
                                "Activation_function2", "Affine3", "Activation_function3",
                                "Affine4"]
    check_gradients(net)


# a bias right before a BatchNorm has gradient exactly 0, which the numerical gradient can only
# resolve to its rounding error: it warns about that, rightly
BN_ZERO_GRADIENT = pytest.mark.filterwarnings("ignore::nn.functions.UnreliableGradientWarning")


@BN_ZERO_GRADIENT
@pytest.mark.parametrize("batchnorm", [False, True], ids=["", "batchnorm"])
@pytest.mark.parametrize("dropout", [False, True], ids=["", "dropout"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_extend_gradient_matches_numerical(batchnorm, dropout, activation):
    net = with_random_biases(MultiLayerNetExtend(
        6, [5, 4], 3, activation=activation, weight_decay_lambda=0.05, use_dropout=dropout,
        dropout_ration=0.3, use_batchnorm=batchnorm, seed=3))
    kinds = [type(layer) for layer in net.layers.values()]
    assert (BatchNormalization in kinds) == batchnorm and (Dropout in kinds) == dropout
    grads = check_gradients(net)
    if batchnorm:  # the bias before a BatchNorm is subtracted again with the mean
        assert set(grads) >= {"gamma1", "beta1", "gamma2", "beta2"}
        assert np.max(np.abs(grads["b1"])) < 1e-12


def test_extend_without_switches_is_multi_layer_net():
    a = MultiLayerNet(6, [5, 4], 3, seed=4)
    b = MultiLayerNetExtend(6, [5, 4], 3, seed=4)
    assert list(a.layers) == list(b.layers)
    ga, gb = a.gradient(X, T), b.gradient(X, T)
    for key in ga:
        np.testing.assert_array_equal(ga[key], gb[key])


def test_weight_init_scales_as_the_book():
    net = MultiLayerNet(400, [300, 300], 10, weight_init_std="he", seed=0)
    assert abs(net.params["W1"].std() - np.sqrt(2 / 400)) < 0.002
    assert abs(net.params["W2"].std() - np.sqrt(2 / 300)) < 0.002
    net = MultiLayerNet(400, [300], 10, weight_init_std="xavier", seed=0)
    assert abs(net.params["W1"].std() - np.sqrt(1 / 400)) < 0.002
    net = MultiLayerNet(400, [300], 10, weight_init_std=0.01, seed=0)
    assert abs(net.params["W1"].std() - 0.01) < 0.0005


@BN_ZERO_GRADIENT
def test_extend_predict_modes_and_accuracy():
    net = MultiLayerNetExtend(6, [8, 8], 3, use_batchnorm=True, use_dropout=True, seed=5)
    train = net.predict(X, train_flg=True)
    test = net.predict(X, train_flg=False)
    assert train.shape == test.shape == (7, 3) and not np.allclose(train, test)
    assert 0.0 <= net.accuracy(X, T) <= 1.0
    # numerical_gradient leaves the Dropout generators and running statistics where they were
    mean = net.layers["BatchNorm1"].running_mean.copy()
    state = net.layers["Dropout1"].rng.bit_generator.state
    net.numerical_gradient(X[:3], T[:3])
    np.testing.assert_array_equal(net.layers["BatchNorm1"].running_mean, mean)
    assert net.layers["Dropout1"].rng.bit_generator.state == state


def test_training_lowers_the_loss_and_weight_decay_shrinks_weights():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(60, 6))
    t = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1)
    norms = {}
    for lam in (0.0, 0.3):
        net = MultiLayerNetExtend(6, [20, 20], 3, weight_decay_lambda=lam, use_batchnorm=True,
                                  seed=7)
        opt = optim.SGD(lr=0.1)
        first = net.loss(x, t, train_flg=True)
        for _ in range(200):
            opt.update(net.params, net.gradient(x, t))
        assert net.loss(x, t, train_flg=True) < first
        norms[lam] = sum(np.sum(net.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert norms[0.3] < 0.5 * norms[0.0]


def test_books_weight_decay_equals_the_optimizers():
    """The book adds λ·W to dW in the net; SGD(weight_decay=λ) on the W's does the same."""
    lam = 0.2
    book = MultiLayerNet(6, [5], 3, weight_decay_lambda=lam, seed=8)
    plain = MultiLayerNet(6, [5], 3, seed=8)
    sgd, sgd_w, sgd_b = optim.SGD(lr=0.1), optim.SGD(lr=0.1, weight_decay=lam), optim.SGD(lr=0.1)
    for _ in range(5):
        sgd.update(book.params, book.gradient(X, T))
        g = plain.gradient(X, T)
        sgd_w.update({k: plain.params[k] for k in ("W1", "W2")}, g)
        sgd_b.update({k: plain.params[k] for k in ("b1", "b2")}, g)
    for key in book.params:
        np.testing.assert_allclose(book.params[key], plain.params[key], rtol=1e-13, atol=1e-15)
    assert book.loss(X, T) - plain.loss(X, T) == pytest.approx(
        0.5 * lam * sum(np.sum(book.params[k] ** 2) for k in ("W1", "W2")), rel=1e-12)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="activation"):
        MultiLayerNet(6, [5], 3, activation="tanh")
    with pytest.raises(ValueError, match="positive int"):
        MultiLayerNet(6, [0], 3)
    with pytest.raises(ValueError, match="unknown init"):
        MultiLayerNet(6, [5], 3, weight_init_std="glorot")
    with pytest.raises(ValueError, match="dropout_ratio"):
        MultiLayerNetExtend(6, [5], 3, use_dropout=True, dropout_ration=1.0)
    assert "6 → 5 → 3" in repr(MultiLayerNet(6, [5], 3))


# ---------------------------------------------------------------- weight decay in nn.optim

STEPS = 15
CASES = {
    "SGD": (lambda p, wd: optim.SGD(lr=0.1, weight_decay=wd, params=p),
            lambda torch, p, wd: torch.optim.SGD(p, lr=0.1, weight_decay=wd)),
    "Momentum": (lambda p, wd: optim.Momentum(lr=0.05, momentum=0.8, weight_decay=wd,
                                              params=p),
                 lambda torch, p, wd: torch.optim.SGD(p, lr=0.05, momentum=0.8,
                                                      weight_decay=wd)),
    "Nesterov": (lambda p, wd: optim.Nesterov(lr=0.05, momentum=0.8, weight_decay=wd,
                                              params=p),
                 lambda torch, p, wd: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True,
                                                      weight_decay=wd)),
    "AdaGrad": (lambda p, wd: optim.AdaGrad(lr=0.3, eps=1e-7, weight_decay=wd, params=p),
                lambda torch, p, wd: torch.optim.Adagrad(p, lr=0.3, eps=1e-7, weight_decay=wd)),
    "RMSprop": (lambda p, wd: optim.RMSprop(lr=0.02, decay_rate=0.9, eps=1e-7, weight_decay=wd,
                                            params=p),
                lambda torch, p, wd: torch.optim.RMSprop(p, lr=0.02, alpha=0.9, eps=1e-7,
                                                         weight_decay=wd)),
    "Adam": (lambda p, wd: optim.Adam(lr=0.05, beta1=0.8, beta2=0.99, weight_decay=wd,
                                      params=p),
             lambda torch, p, wd: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-8,
                                                   weight_decay=wd)),
}


@pytest.mark.parametrize("name", CASES)
def test_optimizer_weight_decay_matches_torch(name):
    torch = pytest.importorskip("torch", reason="PyTorch parity tests need torch")
    make_ours, make_torch = CASES[name]
    wd = 0.3
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    start = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    model = nn.Sequential(nn.Affine(3, 2))
    for p, key in zip(model.parameters(), ("W", "b")):
        p.data[...] = start[key]
    ours_params = model.parameters()
    ours = make_ours(ours_params, wd)
    tparams = [torch.nn.Parameter(torch.tensor(start[k])) for k in ("W", "b")]
    topt = make_torch(torch, tparams, wd)
    for _ in range(STEPS):
        ours.zero_grad()
        residual = model(x) - y
        (residual * residual).mean().backward()
        ours.step()
        topt.zero_grad()
        tres = torch.tensor(x) @ tparams[0] + tparams[1] - torch.tensor(y)
        (tres * tres).mean().backward()
        topt.step()
    for p, tp in zip(ours_params, tparams):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_weight_decay_is_checked():
    with pytest.raises(ValueError, match="weight_decay"):
        optim.SGD(weight_decay=-0.1)
    params = {"W": np.ones(3)}
    optim.SGD(lr=0.5, weight_decay=1.0).update(params, {"W": np.zeros(3)})
    np.testing.assert_array_equal(params["W"], np.full(3, 0.5))  # W − lr·λ·W
