"""More members of the kinds in the undefined-derivative, pass and coercion policies, found by
trying the engine as a new user would (expected values from PyTorch float64 and closed forms)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nn
from nn import optim
from autograd import GradientWarning, Tensor, Value, detect_anomaly, grad, zero_grad

torch = pytest.importorskip("torch", reason="PyTorch parity needs torch==2.13.0 (the parity extra)")


def _strict():
    """Any warning is an error, except tracegrad's own GradientWarning (checked separately)."""
    context = warnings.catch_warnings()
    context.__enter__()
    warnings.simplefilter("error")
    warnings.simplefilter("ignore", GradientWarning)
    return context


@pytest.mark.parametrize("x0", [-1.0, 0.0, 4.0])
def test_relu_stops_an_infinite_gradient_like_torch(x0):
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    t.relu().sqrt().backward()
    v, tensor = Value(x0), Tensor(x0, requires_grad=True)
    v.relu().sqrt().backward()
    tensor.relu().sqrt().backward()
    np.testing.assert_equal([v.grad, float(tensor.grad)], [t.grad.item()] * 2)


def test_a_constant_base_needs_no_gradient_and_raises_no_warning():
    x = Value(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (0.0 ** x).backward()
        with detect_anomaly():
            (0.0 ** Value(0.5)).backward()
    t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (0.0 ** t).backward()
    assert x.grad == t.grad.item() == 0.0


def test_higher_derivatives_of_x_to_the_x_at_zero_follow_torch():
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    d, expected = t ** t, []
    for _ in range(3):
        d, = torch.autograd.grad(d, t, create_graph=True)
        expected.append(d.item())
    for x in (Value(0.0), Tensor(0.0, requires_grad=True)):
        d, got = x ** x, []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GradientWarning)
            for _ in range(3):
                d, = grad(d, x, create_graph=True)
                got.append(float(np.asarray(d.data)))
        np.testing.assert_equal(got, expected)


def test_no_numpy_warnings_escape_a_backward_pass():
    context = _strict()
    try:
        x = Tensor([0.0, 4.0], requires_grad=True)
        (x * x).sqrt().sum().backward()
        y = Tensor(0.0, requires_grad=True)
        d = y ** y
        for _ in range(3):
            d, = grad(d, y, create_graph=True)
    finally:
        context.__exit__(None, None, None)
    np.testing.assert_equal(x.grad, [np.nan, 1.0])  # torch: d sqrt(x²)/dx at 0 is 0·inf = nan


def test_a_constant_that_does_not_fit_float32_is_an_error():
    x = Tensor(np.array([1.0], dtype=np.float32))
    with pytest.raises(OverflowError, match="float32"):
        x + 1e40
    with pytest.raises(OverflowError, match="overflows"):
        Tensor([1e200]) ** 2


def test_grad_refuses_an_input_that_needs_no_gradient():
    x, k = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="input 0.*does not require a gradient"):
        grad((x * k).sum(), [k])


def test_zeroing_resets_the_pass_count():
    v = Value(2.0)
    z = v * v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z.backward()
        z.backward()
    assert v.grad_passes == 2
    v.zero_grad()
    assert v.grad_passes == 0
    z.backward()
    v.grad = 0.0
    assert v.grad_passes == 0
    w = Tensor([1.0], requires_grad=True)
    (w * 2).sum().backward()
    zero_grad(w)
    assert w.grad is None and w.grad_passes == 0


def test_optimizers_train_the_scalar_mlp_without_warnings():
    model = nn.MLP(2, [3, 1], rng=np.random.default_rng(0))
    opt = optim.SGD(0.05, params=model.parameters())
    xs, ys = [[1.0, -1.0], [-1.0, 1.0], [0.5, 0.5]], [1.0, -1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = []
        for _ in range(30):
            loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.data)
    assert losses[-1] < losses[0] / 2
    assert all(p.grad == 0.0 or p.grad_passes == 1 for p in model.parameters())


@pytest.mark.parametrize("x0", [-2.0, 0.0, 3.0])
def test_tensor_abs_matches_torch(x0):
    t = torch.tensor([x0], dtype=torch.float64, requires_grad=True)
    t.abs().sum().backward()
    x = Tensor([x0], requires_grad=True)
    y = abs(x)
    y.sum().backward()
    assert y.data[0] == abs(x0) and x.grad[0] == t.grad.item()


def test_max_over_a_non_empty_axis_of_an_empty_array():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    assert x.max(axis=1).shape == (0,) == tuple(torch.zeros((0, 3)).amax(dim=1).shape)
    with pytest.raises(ValueError, match="max.*empty axis"):
        x.max(axis=0)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_a_repeated_axis_is_a_clear_error(reduce):
    with pytest.raises(ValueError, match=f"{reduce}.*twice"):
        getattr(Tensor(np.ones((2, 3))), reduce)(axis=(0, -2))


def test_integer_label_tensors_are_labels():
    from autograd import cross_entropy
    from nn.functions import accuracy, cross_entropy_error
    scores = np.array([[2.0, 1.0, 0.1], [0.1, 3.0, 0.2]])
    labels = Tensor([0, 1])  # made from integers: labels, not floats
    assert accuracy(scores, labels) == 1.0
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    want = -np.mean(np.log(probs[[0, 1], [0, 1]]))
    assert cross_entropy_error(probs, labels) == pytest.approx(want, rel=1e-12)
    assert float(cross_entropy(Tensor(scores), labels).data) == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="boolean"):
        accuracy(scores, Tensor([True, False]))


def test_a_row_without_a_finite_score_is_an_error():
    from autograd import cross_entropy
    scores = Tensor(np.array([[0.0, 1.0], [-np.inf, -np.inf]]), requires_grad=True)
    with pytest.raises(ValueError, match="row 1.*no finite"):
        cross_entropy(scores, np.array([0, 1]))


def test_layer_names_cannot_hold_the_scope_separator():
    from collections import OrderedDict
    with pytest.raises(ValueError, match="'/'"):
        nn.Sequential(OrderedDict([("x/y", nn.ReLU()), ("x", nn.ReLU())]))
    with pytest.raises(ValueError, match="str"):
        nn.Sequential({1: nn.ReLU()})


def test_writing_below_a_file_names_the_problem(tmp_path):
    import viz
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        viz.save(Value(1.0) * 2, blocker / "graph.dot")
