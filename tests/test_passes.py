"""Nothing returned may mix two backward passes: grad() returns this pass's gradients only,
leaves count the passes summed in their .grad (and warn when a second one is added), and
backward() on something with no recorded graph is an error, as in PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import AccumulationWarning, Tensor, Value, grad, no_grad, zero_grad


def _apple():
    apple, num, tax = Value(100.0, "apple"), Value(2.0, "apple_num"), Value(1.1, "tax")
    return apple, num, tax, apple * num * tax


def test_grad_never_returns_what_an_earlier_pass_left():
    x = Value(3.0)
    y = x * 2.0  # a non-leaf
    (y * 5.0).backward()
    assert y.grad == 5.0  # left by that pass
    other = Value(1.0)
    dy, dx = grad(other * 4.0, [y, x])  # the output does not depend on y or x
    assert dy == 0.0 and dx == 0.0
    assert x.grad == 10.0  # grad() leaves .grad of leaves alone


def test_grad_never_returns_a_stale_tensor_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    (y * y).sum().backward()
    assert y.grad is not None
    z = Tensor([5.0], requires_grad=True)
    dy, dz = grad((z * 2.0).sum(), [y, z])
    np.testing.assert_array_equal(dy, [0.0, 0.0])
    np.testing.assert_array_equal(dz, [2.0])


def test_grad_of_an_intermediate_inside_the_graph_is_this_pass():
    x = Value(2.0)
    y = x * x
    (y * 10.0).backward()
    (dy,) = grad(y * 3.0, [y])
    assert dy == 3.0


def test_leaves_count_passes_and_warn_once_when_they_start_to_accumulate():
    apple, num, tax, price = _apple()
    assert apple.grad_passes == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        price.backward()
    assert apple.grad == pytest.approx(2.2) and apple.grad_passes == 1
    with pytest.warns(AccumulationWarning, match="zero"):
        price.backward()
    assert apple.grad == pytest.approx(4.4) and apple.grad_passes == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: the third pass does not warn again
        price.backward()
    assert apple.grad_passes == 3 and price.grad_passes == 1
    zero_grad(price)
    assert apple.grad == 0.0 and apple.grad_passes == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        price.backward()
    assert apple.grad_passes == 1


def test_zeroing_by_hand_counts_too():
    apple, num, tax, price = _apple()
    price.backward()
    for leaf in (apple, num, tax):
        leaf.grad = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        price.backward()
    assert apple.grad_passes == 1 and apple.grad == pytest.approx(2.2)


def test_tensor_leaves_count_passes():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    with pytest.warns(AccumulationWarning):
        loss.backward()
    np.testing.assert_array_equal(w.grad, [4.0, 8.0])
    assert w.grad_passes == 2
    w.grad = None
    (w * 3.0).sum().backward()
    assert w.grad_passes == 1


def test_grad_leaves_the_pass_count_alone():
    apple, num, tax, price = _apple()
    price.backward()
    grad(price, [apple])
    assert apple.grad_passes == 1 and apple.grad == pytest.approx(2.2)


def test_backward_without_a_graph_is_an_error():
    x = Value(2.0)
    with no_grad():
        y = x * 3.0
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()
    assert x.grad == 0.0
    t = Tensor([1.0, 2.0])  # requires no gradient
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        (t * 2.0).sum().backward()
    w = Tensor([1.0], requires_grad=True)
    with no_grad():
        z = (w * 2.0).sum()
    with pytest.raises(RuntimeError, match="no_grad"):
        z.backward()
    with pytest.raises(RuntimeError, match="no_grad"):
        grad(z, w)  # not a silent 0: the graph that would give 2 was never recorded
    with pytest.raises(RuntimeError, match="no_grad"):
        grad(y, x)
    assert w.grad is None


def test_a_leaf_value_still_differentiates_itself():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_grad_leaves_intermediate_gradients_as_the_last_backward_left_them():
    apple, num, tax, price = _apple()
    price.backward()
    subtotal = price.parents[0]  # apple * num: its grad is tax = 1.1 from that pass
    assert subtotal.grad == pytest.approx(1.1)
    grad(price * 10.0, [apple])  # would put 11 on it
    assert subtotal.grad == pytest.approx(1.1)
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    (y * y).sum().backward(retain_graph=True)
    before = y.grad.copy()
    grad((y * 100.0).sum(), [x])
    np.testing.assert_array_equal(y.grad, before)


def test_a_scope_name_must_be_text():
    from autograd import scope
    with pytest.raises(TypeError, match="scope.*str.*int"):
        with scope(7):
            pass


def test_lifted_constants_do_not_count_as_accumulating_leaves():
    """Only the user's leaves are zeroed by a training loop; a graph's constants (the 2 of x * 2)
    holding an earlier pass's gradient is no reason to warn."""
    w = Value(3.0)
    out = w * 2.0 + 1.0
    out.backward()
    w.grad = 0.0  # what model.zero_grad() does: the user's leaves only
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out.backward()
    assert w.grad == 2.0 and w.grad_passes == 1
