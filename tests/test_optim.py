"""The optimizers: step for step against torch.optim, and the book's update(params, grads) contract."""
import numpy as np
import pytest

from nn import optim
from nn.layers import Affine

STEPS = 20

# A small least-squares problem in float64: loss = 0.5 * mean over samples of |X W + b - Y|^2.
_rng = np.random.default_rng(0)
X = _rng.normal(size=(10, 3))
Y = X @ _rng.normal(size=(3, 2)) + _rng.normal(size=2)  # an exact fit exists: the minimum is 0


def initial_params():
    rng = np.random.default_rng(1)
    return {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}


def loss_and_grads(params):
    residual = X @ params["W"] + params["b"] - Y
    loss = 0.5 * np.sum(residual ** 2) / len(X)
    return loss, {"W": X.T @ residual / len(X), "b": residual.sum(axis=0) / len(X)}


# (ours, torch's): the same hyperparameters, including the same eps
CASES = {
    "SGD": (lambda: optim.SGD(lr=0.1),
            lambda torch, p: torch.optim.SGD(p, lr=0.1)),
    "Momentum": (lambda: optim.Momentum(lr=0.05, momentum=0.8),
                 lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.8)),
    "Nesterov": (lambda: optim.Nesterov(lr=0.05, momentum=0.8),
                 lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    "AdaGrad": (lambda: optim.AdaGrad(lr=0.3, eps=1e-7),
                lambda torch, p: torch.optim.Adagrad(p, lr=0.3, eps=1e-7)),
    "RMSprop": (lambda: optim.RMSprop(lr=0.02, decay_rate=0.9, eps=1e-7),
                lambda torch, p: torch.optim.RMSprop(p, lr=0.02, alpha=0.9, eps=1e-7)),
    "Adam": (lambda: optim.Adam(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-8),
             lambda torch, p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-8)),
    # the defaults, with torch given our eps
    "SGD default": (optim.SGD, lambda torch, p: torch.optim.SGD(p, lr=0.01)),
    "Momentum default": (optim.Momentum, lambda torch, p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
    "Nesterov default": (optim.Nesterov,
                         lambda torch, p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True)),
    "AdaGrad default": (optim.AdaGrad, lambda torch, p: torch.optim.Adagrad(p, lr=0.01, eps=1e-7)),
    "RMSprop default": (optim.RMSprop,
                        lambda torch, p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-7)),
    "Adam default": (optim.Adam,
                     lambda torch, p: torch.optim.Adam(p, lr=0.001, betas=(0.9, 0.999), eps=1e-8)),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch_for_20_steps(name):
    torch = pytest.importorskip("torch", reason="PyTorch parity tests need torch (pip install '.[parity]')")
    make_ours, make_torch = CASES[name]
    ours, params = make_ours(), initial_params()
    tparams = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in initial_params().items()}
    topt = make_torch(torch, list(tparams.values()))

    for _ in range(STEPS):
        ours.update(params, loss_and_grads(params)[1])

        # torch gets the same gradient formula, evaluated at its own parameters
        _, tgrads = loss_and_grads({k: p.detach().numpy().copy() for k, p in tparams.items()})
        for k, p in tparams.items():
            p.grad = torch.from_numpy(tgrads[k])
        topt.step()

        for k in params:
            np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=0, atol=1e-10)
    # and the parameters did move
    assert not np.allclose(params["W"], initial_params()["W"])


CONVERGENCE = {
    "SGD": lambda: optim.SGD(lr=0.2),
    "Momentum": lambda: optim.Momentum(lr=0.05, momentum=0.9),
    "Nesterov": lambda: optim.Nesterov(lr=0.05, momentum=0.9),
    "AdaGrad": lambda: optim.AdaGrad(lr=0.5),
    "RMSprop": lambda: optim.RMSprop(lr=0.01),
    "Adam": lambda: optim.Adam(lr=0.05),
}


@pytest.mark.parametrize("name", CONVERGENCE)
def test_drives_the_loss_down(name):
    opt, params = CONVERGENCE[name](), initial_params()
    start, _ = loss_and_grads(params)
    for _ in range(300):
        opt.update(params, loss_and_grads(params)[1])
    end, _ = loss_and_grads(params)
    assert end < 1e-2 * start


@pytest.mark.parametrize("name", CONVERGENCE)
def test_update_changes_the_arrays_in_place(name):
    opt, params = CONVERGENCE[name](), initial_params()
    W, b = params["W"], params["b"]
    layer = Affine(W, b)  # like the book's TwoLayerNet: the layer holds the same arrays
    before = layer.forward(X).copy()
    for _ in range(3):
        opt.update(params, loss_and_grads(params)[1])
    assert params["W"] is W and params["b"] is b
    assert not np.allclose(layer.forward(X), before)  # the layer sees the new weights


class Param:
    """A stand-in for a torch Parameter / a Module's parameter: .data and .grad."""

    def __init__(self, data):
        self.data = data
        self.grad = None


@pytest.mark.parametrize("name", CONVERGENCE)
def test_step_agrees_exactly_with_update(name):
    by_update, by_step = initial_params(), initial_params()
    objects = {k: Param(v) for k, v in by_step.items()}
    arrays = {k: p.data for k, p in objects.items()}
    opt_update = CONVERGENCE[name]()
    opt_step = type(opt_update)(**{k: v for k, v in vars(opt_update).items() if k not in ("params", "state")},
                                params=objects.values())
    for _ in range(STEPS):
        opt_update.update(by_update, loss_and_grads(by_update)[1])

        grads = loss_and_grads(by_step)[1]
        for k, p in objects.items():
            p.grad = grads[k]
        opt_step.step()
        opt_step.zero_grad()
        assert all(p.grad is None for p in objects.values())

    for k in by_update:
        np.testing.assert_array_equal(objects[k].data, by_update[k])
        assert objects[k].data is arrays[k]  # in place


def test_step_skips_parameters_without_a_gradient():
    a, b = Param(np.ones(3)), Param(np.ones(2))
    opt = optim.Adam(lr=0.1, params=[a, b])
    a.grad = np.array([1.0, -1.0, 0.0])
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    np.testing.assert_allclose(a.data, [0.9, 1.1, 1.0], rtol=1e-7)  # first step: lr * g / (|g| + eps)
    b.grad = np.ones(2)
    opt.step()  # b's first step is a first step for b (its own step count)
    np.testing.assert_allclose(b.data, [0.9, 0.9], rtol=1e-7)


def test_per_key_state_is_independent():
    params, grads = {"u": np.zeros(2), "v": np.zeros(2)}, {"u": np.ones(2), "v": np.ones(2)}
    opt = optim.Momentum(lr=1.0, momentum=0.5)
    opt.update(params, grads)
    opt.update({"u": params["u"]}, {"u": grads["u"]})  # only u moves: its velocity grows, v's does not
    np.testing.assert_array_equal(params["u"], [-2.5, -2.5])  # -(1) - (0.5 + 1)
    np.testing.assert_array_equal(params["v"], [-1.0, -1.0])


def test_momentum_equals_the_books_form_with_constant_lr():
    lr, mu = 0.05, 0.9
    ours, params = optim.Momentum(lr=lr, momentum=mu), initial_params()
    book, v = initial_params(), {k: 0.0 for k in params}
    for _ in range(STEPS):
        ours.update(params, loss_and_grads(params)[1])
        grads = loss_and_grads(book)[1]
        for k in book:  # the book: v = mu * v - lr * g; W += v
            v[k] = mu * v[k] - lr * grads[k]
            book[k] += v[k]
    for k in params:
        np.testing.assert_allclose(params[k], book[k], rtol=0, atol=1e-12)


def test_nesterov_is_not_the_books_printed_code():
    # the book's code applies momentum^2 to the updated v; ours (and torch's) to the previous one
    lr, mu = 0.05, 0.9
    ours, params = optim.Nesterov(lr=lr, momentum=mu), initial_params()
    book, v = initial_params(), {k: 0.0 for k in params}
    for _ in range(STEPS):
        ours.update(params, loss_and_grads(params)[1])
        grads = loss_and_grads(book)[1]
        for k in book:
            v[k] = mu * v[k] - lr * grads[k]
            book[k] += mu * mu * v[k] - (1 + mu) * lr * grads[k]
    assert np.max(np.abs(params["W"] - book["W"])) > 1e-3


def test_adam_equals_the_books_form_with_eps_rescaled():
    # the book: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); W -= lr_t m / (sqrt(v) + eps_book).
    # That is our step exactly when eps_book = eps * sqrt(1 - b2^t).
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-3  # a large eps, so that a mistake would show
    ours, params = optim.Adam(lr=lr, beta1=b1, beta2=b2, eps=eps), initial_params()
    book = initial_params()
    m, v = {k: np.zeros_like(a) for k, a in book.items()}, {k: np.zeros_like(a) for k, a in book.items()}
    for t in range(1, STEPS + 1):
        ours.update(params, loss_and_grads(params)[1])
        grads = loss_and_grads(book)[1]
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for k in book:
            m[k] += (1 - b1) * (grads[k] - m[k])
            v[k] += (1 - b2) * (grads[k] ** 2 - v[k])
            book[k] -= lr_t * m[k] / (np.sqrt(v[k]) + eps * np.sqrt(1 - b2 ** t))
    for k in params:
        np.testing.assert_allclose(params[k], book[k], rtol=0, atol=1e-12)


def test_defaults_are_the_books():
    assert optim.SGD().lr == 0.01
    assert (optim.Momentum().lr, optim.Momentum().momentum) == (0.01, 0.9)
    assert (optim.Nesterov().lr, optim.Nesterov().momentum) == (0.01, 0.9)
    assert (optim.AdaGrad().lr, optim.AdaGrad().eps) == (0.01, 1e-7)
    assert (optim.RMSprop().lr, optim.RMSprop().decay_rate, optim.RMSprop().eps) == (0.01, 0.99, 1e-7)
    adam = optim.Adam()
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps) == (0.001, 0.9, 0.999, 1e-8)


def test_mistakes_are_reported():
    with pytest.raises(RuntimeError, match="params="):
        optim.SGD().step()
    with pytest.raises(ValueError, match="empty"):
        optim.SGD(params=iter([]))
    with pytest.raises(ValueError, match="lr"):
        optim.SGD(lr=-0.1)
    with pytest.raises(TypeError, match="params="):
        optim.SGD([Param(np.ones(2))])  # torch's order: parameters first
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        optim.SGD().update({"w": np.ones(2)}, {"w": np.ones(3)})
    with pytest.raises(KeyError, match="'w'"):
        optim.SGD().update({"w": np.ones(2)}, {})
    p = Param(1.0)
    p.grad = 1.0
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD(params=[p]).step()
