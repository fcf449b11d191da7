"""nn.to_torch / nn.from_torch: same outputs and gradients (float64, 1e-12 relative), exact
round trips, copies not shared weights, a trained TwoLayerNet keeps its accuracy, clear errors,
and without torch a message that says how to install it."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd import Tensor
from nn import Affine, ReLU, Sequential, Sigmoid, SoftmaxWithLoss, Tanh, TwoLayerNet
from nn.torch_bridge import from_torch, to_torch

ROOT = Path(__file__).resolve().parent.parent
RTOL = 1e-12  # float64: both sides round differently (BLAS sums), ~1e-15 relative
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="parity tests need torch==2.13.0 "
                                               "(pip install -e '.[parity]')")


def close(ours, theirs, what):
    """Equal to RTOL relative to the larger side's largest entry."""
    ours = np.asarray(ours)
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs torch {theirs.dtype}"
    scale = max(np.abs(ours).max(initial=0.0), np.abs(theirs).max(initial=0.0), 1e-300)
    err = np.abs(ours - theirs).max(initial=0.0) / scale
    assert err <= RTOL, f"{what}: relative error {err:.3g}"


ACTIVATIONS = {"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh}


def random_model(sizes, acts, seed, dtype=np.float64):
    """Sequential of Affine layers (random W and b) with the given activations between."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        a = Affine(n_in, n_out, init="he", rng=rng, dtype=dtype)
        a.b.data[...] = rng.standard_normal(n_out)
        layers.append(a)
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[acts[i % len(acts)]]())
    return Sequential(*layers)


models = st.tuples(st.lists(st.integers(1, 6), min_size=2, max_size=5),
                   st.lists(st.sampled_from(sorted(ACTIVATIONS)), min_size=1, max_size=4),
                   st.integers(0, 2**31 - 1), st.integers(1, 5))


def nn_forward_backward(model, x, R):
    """(output, dx, {param name: grad}) of L = Σ model(x) · R by tracegrad."""
    xt = Tensor(x.copy(), requires_grad=True)
    out = model(xt)
    (out * Tensor(R)).sum().backward()
    return out.data, xt.grad, {name: p.grad for name, p in model.named_parameters()}


def torch_forward_backward(torch, module, x, R):
    xt = torch.tensor(x, requires_grad=True)
    out = module(xt)
    (out * torch.tensor(R)).sum().backward()
    return out, xt.grad, dict(module.named_parameters())


# ---- to_torch: same numbers ------------------------------------------------------------------

@SETTINGS
@given(models)
def test_outputs_and_gradients_agree(torch, spec):
    sizes, acts, seed, batch = spec
    model = random_model(sizes, acts, seed)
    module = to_torch(model)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((batch, sizes[0]))
    R = rng.standard_normal((batch, sizes[-1]))
    out, dx, grads = nn_forward_backward(model, x, R)
    t_out, t_dx, t_params = torch_forward_backward(torch, module, x, R)
    close(out, t_out, "output")
    close(dx, t_dx, "dL/dx")
    for name, g in grads.items():  # "Affine1.W" <-> "Affine1.weight" (transposed), b <-> bias
        layer, p = name.rsplit(".", 1)
        theirs = t_params[f"{layer}.{'weight' if p == 'W' else 'bias'}"].grad
        close(g, theirs.T if p == "W" else theirs, f"dL/d{name}")


def test_weights_are_transposed_copies_in_the_same_dtype(torch):
    for dtype, tdtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
        model = random_model([3, 4, 2], ["Tanh"], seed=1, dtype=dtype)
        module = to_torch(model)
        first = module.Affine1
        assert isinstance(first, torch.nn.Linear) and first.weight.dtype == tdtype
        assert first.weight.shape == (4, 3) and model[0].W.shape == (3, 4)
        assert np.array_equal(first.weight.detach().numpy(), model[0].W.data.T)
        assert [type(m).__name__ for m in module] == ["Linear", "Tanh", "Linear"]
        with torch.no_grad():
            first.weight.zero_()  # a copy: the nn model keeps its weights
        assert np.abs(model[0].W.data).max() > 0


def test_sequential_names_are_kept_both_ways(torch):
    model = Sequential({"hidden": Affine(2, 3, rng=0), "act": Sigmoid(),
                        "out": Affine(3, 1, rng=1)})
    module = to_torch(model)
    assert [n for n, _ in module.named_children()] == ["hidden", "act", "out"]
    back = from_torch(module)
    assert list(back.layers) == ["hidden", "act", "out"]


def test_nested_sequential(torch):
    inner = Sequential(Affine(3, 3, rng=2), Tanh())
    model = Sequential({"block": inner, "head": Affine(3, 2, rng=3)})
    module = to_torch(model)
    x = np.random.default_rng(0).standard_normal((5, 3))
    close(model(x).data, module(torch.tensor(x)), "nested output")
    back = from_torch(module)
    assert dict(back.state_dict()).keys() == dict(model.state_dict()).keys()


# ---- the loss: SoftmaxWithLoss <-> CrossEntropyLoss ------------------------------------------

@pytest.mark.parametrize("target", ["labels", "one-hot", "probabilities"])
def test_softmax_with_loss_is_cross_entropy_mean(torch, target):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    t = {"labels": labels, "one-hot": np.eye(4)[labels],
         "probabilities": rng.dirichlet(np.ones(4), 6)}[target]
    loss_fn = to_torch(SoftmaxWithLoss())
    assert isinstance(loss_fn, torch.nn.CrossEntropyLoss) and loss_fn.reduction == "mean"
    xt = Tensor(x.copy(), requires_grad=True)
    ours = SoftmaxWithLoss()(xt, t)
    ours.backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = loss_fn(theirs_x, torch.as_tensor(t))  # int64 labels go in as they are
    theirs.backward()
    close(ours.data, theirs, "loss")
    close(xt.grad, theirs_x.grad, "dL/dx")
    assert type(from_torch(loss_fn)) is SoftmaxWithLoss


def test_hand_written_loss_layer_converts_too(torch):
    assert isinstance(to_torch(nn.layers.SoftmaxWithLoss()), torch.nn.CrossEntropyLoss)


# ---- round trips -------------------------------------------------------------------------------

@SETTINGS
@given(models)
def test_round_trip_from_nn(torch, spec):
    sizes, acts, seed, _ = spec
    model = random_model(sizes, acts, seed)
    back = from_torch(to_torch(model))
    assert [type(m) for m in back] == [type(m) for m in model]
    ours, theirs = model.state_dict(), back.state_dict()
    assert list(ours) == list(theirs)
    for name in ours:  # exact: transposing and copying lose nothing
        assert theirs[name].dtype == ours[name].dtype and np.array_equal(theirs[name], ours[name])


@SETTINGS
@given(st.lists(st.integers(1, 6), min_size=2, max_size=5),
       st.lists(st.sampled_from(["ReLU", "Sigmoid", "Tanh"]), min_size=1, max_size=4),
       st.integers(0, 2**31 - 1), st.sampled_from(["float32", "float64"]))
def test_round_trip_from_torch(torch, sizes, acts, seed, dtype):
    torch.manual_seed(seed)
    dtype = getattr(torch, dtype)
    mods = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        mods.append(torch.nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            mods.append(getattr(torch.nn, acts[i % len(acts)])())
    module = torch.nn.Sequential(*mods)
    again = to_torch(from_torch(module))
    ours, theirs = module.state_dict(), again.state_dict()
    assert list(ours) == list(theirs)
    for name in ours:
        assert theirs[name].dtype == ours[name].dtype and torch.equal(theirs[name], ours[name])


def test_from_torch_model_computes_the_same(torch):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(5, 7, dtype=torch.float64), torch.nn.ReLU(),
                                 torch.nn.Linear(7, 3, dtype=torch.float64), torch.nn.Sigmoid())
    model = from_torch(module)
    x = np.random.default_rng(5).standard_normal((4, 5))
    R = np.random.default_rng(6).standard_normal((4, 3))
    out, dx, grads = nn_forward_backward(model, x, R)
    t_out, t_dx, t_params = torch_forward_backward(torch, module, x, R)
    close(out, t_out, "output")
    close(dx, t_dx, "dL/dx")
    close(grads["0.W"], t_params["0.weight"].grad.T, "dL/dW")
    close(grads["2.b"], t_params["2.bias"].grad, "dL/db")


# ---- a trained TwoLayerNet keeps its accuracy -------------------------------------------------

def train(net, x, t, steps, lr, batch, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.choice(len(x), batch)
        grads = net.gradient(x[idx], t[idx])
        for key, g in grads.items():
            net.params[key] -= lr * g  # the layers hold the same arrays


def check_accuracy_in_torch(torch, net, x_test, t_test):
    module = to_torch(net)
    assert [n for n, _ in module.named_children()] == ["Affine1", "Relu1", "Affine2"]
    with torch.no_grad():
        scores = module(torch.tensor(x_test))
    close(net.predict(x_test), scores, "scores")
    ours = net.accuracy(x_test, t_test)
    theirs = float((scores.argmax(dim=1).numpy() == t_test).mean())
    assert theirs == ours
    loss = torch.nn.functional.cross_entropy(scores, torch.as_tensor(t_test))
    close(net.loss(x_test, t_test), loss, "loss")
    return ours


def test_trained_two_layer_net_on_synthetic_data(torch):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 10)) * 2
    t = rng.integers(0, 3, 900)
    x = centres[t] + rng.standard_normal((900, 10))
    net = TwoLayerNet(10, 16, 3, weight_init_std="he", seed=1)
    before = net.accuracy(x[600:], t[600:])
    train(net, x[:600], t[:600], steps=300, lr=0.1, batch=50)
    accuracy = check_accuracy_in_torch(torch, net, x[600:], t[600:])
    assert accuracy > 0.9 and accuracy > before + 0.2


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_trained_two_layer_net_on_fashion_mnist(torch):
    from nn.datasets import load_idx_dir
    (x_train, t_train), (x_test, t_test) = load_idx_dir(FASHION)
    net = TwoLayerNet(784, 50, 10, weight_init_std="he", seed=0)
    train(net, x_train[:5000], t_train[:5000], steps=400, lr=0.1, batch=100)
    assert check_accuracy_in_torch(torch, net, x_test[:2000], t_test[:2000]) > 0.7


# ---- errors --------------------------------------------------------------------------------------

def test_to_torch_names_the_layer_it_cannot_convert(torch):
    class Scale(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(TypeError, match=r"to_torch: layer 'Scale1' is a .*Scale, which has no "
                                        r"PyTorch equivalent"):
        to_torch(Sequential(Affine(2, 2, rng=0), Scale()))
    with pytest.raises(TypeError, match="to_torch: the model is a nn.scalar.MLP"):
        to_torch(nn.MLP(2, [3, 1]))


def test_from_torch_names_the_layer_it_cannot_convert(torch):
    module = torch.nn.Sequential(torch.nn.Linear(2, 2),
                                 torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Dropout()))
    with pytest.raises(TypeError, match=r"from_torch: layer '1.1' is a torch.nn.Dropout, which "
                                        r"has no equivalent in nn"):
        from_torch(module)
    with pytest.raises(ValueError,
                       match=r"layer '0' is a torch.nn.Linear without a bias \(3 -> 2\)"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False)))
    with pytest.raises(ValueError, match="label_smoothing=0.1"):
        from_torch(torch.nn.CrossEntropyLoss(label_smoothing=0.1))
    with pytest.raises(ValueError, match="reduction='sum'"):
        from_torch(torch.nn.CrossEntropyLoss(reduction="sum"))
    with pytest.raises(TypeError, match="inside a Sequential"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.CrossEntropyLoss()))

    class MyLinear(torch.nn.Linear):  # may compute something else: refused
        pass

    with pytest.raises(TypeError, match=r"the model is a .*MyLinear"):
        from_torch(MyLinear(2, 2))


# ---- without torch ------------------------------------------------------------------------------

def test_without_torch_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    for fn, arg in ((nn.to_torch, Sequential(ReLU())), (nn.from_torch, object())):
        with pytest.raises(ImportError,
                           match=r"pip install 'tracegrad\[parity\]'.*torch==2\.13\.0"):
            fn(arg)


def test_without_torch_installed_in_a_fresh_interpreter():
    """torch made unfindable before anything imports it: nn imports fine, to_torch explains."""
    code = (
        "import sys, importlib.abc\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
        "sys.meta_path.insert(0, Hide())\n"
        "import nn\n"
        "assert 'torch' not in sys.modules\n"
        "try:\n"
        "    nn.to_torch(nn.Sequential(nn.ReLU()))\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert "pip install 'tracegrad[parity]'" in out.stdout and "torch==2.13.0" in out.stdout


def test_cross_entropy_with_ignore_index_is_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="ignore_index=0"):
        from_torch(torch.nn.CrossEntropyLoss(ignore_index=0))
    from_torch(torch.nn.CrossEntropyLoss())  # the default (-100) is plain SoftmaxWithLoss


def test_a_layer_used_twice_stays_one_shared_torch_module():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = nn.Affine(3, 3, rng=1)
    model = nn.Sequential(a, nn.ReLU(), a)
    converted = nn.to_torch(model)
    assert converted[0] is converted[2]
    x = rng.standard_normal((4, 3))
    ours = model(x)
    ours.sum().backward()
    theirs = converted(torch.tensor(x))
    theirs.sum().backward()
    np.testing.assert_allclose(theirs.detach().numpy(), ours.data, rtol=1e-12)
    np.testing.assert_allclose(converted[0].weight.grad.numpy().T, a.W.grad, rtol=1e-12)
