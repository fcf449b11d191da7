"""Shared gradient check for the Tensor tests: autograd against central differences in float64.

    from gradcheck import check_grads
    check_grads(lambda a, b: a * b, a_array, b_array)

For a function f of Tensors (any output shape) it draws a fixed random R of f's output shape and
compares the autograd gradient of L = sum(f(x) * R) with the central difference
(L(x + h e_i) - L(x - h e_i)) / 2h for every entry i of every input, so every output entry counts
(a bug that only touches some outputs, or that sums them with the wrong weights, shows up).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# `python -m pytest` from the repository root finds `autograd`; plain `pytest` (or running a test
# file from elsewhere) needs the root on the path, since the package need not be installed.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from autograd import Tensor, grad, no_grad  # noqa: E402

H = 1e-6  # central-difference step: truncation ~H^2 * f''', rounding ~1e-16 * |L| / H
RTOL = 1e-5
ATOL = 1e-6


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def away_from_zero(x: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """Entries pushed to |x| >= margin (for relu, abs, division: no kink or pole within h)."""
    return np.where(x >= 0, 1.0, -1.0) * (np.abs(x) + margin)


def distinct(shape: tuple, seed: int = 0, gap: float = 0.1) -> np.ndarray:
    """Entries that differ pairwise by at least `gap` (for max: the argmax cannot move within h)."""
    n = int(np.prod(shape))
    return (rng(seed).permutation(n) * gap - n * gap / 2).reshape(shape).astype(np.float64)


def numerical_grads(f, arrays, R, h: float = H) -> list:
    """Central differences of L(xs) = sum(f(xs) * R), each entry of each input in turn."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]

    def loss() -> float:
        with no_grad():
            out = f(*[Tensor(a.copy()) for a in arrays])
        return float(np.sum(np.asarray(out.data, dtype=np.float64) * R))

    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)  # views: writing flat changes a
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + h
            up = loss()
            flat[i] = keep - h
            down = loss()
            flat[i] = keep
            gflat[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def check_grads(f, *arrays, expected=None, seed: int = 0, rtol: float = RTOL,
                atol: float = ATOL, order: int = 1) -> list:
    """Assert autograd's gradients of sum(f(*xs) * R) match central differences; return them.

    `arrays` are the inputs (float64 NumPy arrays or numbers), each wrapped in a Tensor that
    requires a gradient. `expected`, if given, is the forward value computed independently
    (NumPy, a closed form) and is compared with f's output too. order=2 checks the second
    derivatives too (see check_second_order), as HIPS autograd's check_grads does by default.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(*tensors)
    assert isinstance(out, Tensor), f"f returned {type(out).__name__}, not a Tensor"
    assert out.dtype == np.float64, out.dtype
    if expected is not None:
        expected = np.asarray(expected, dtype=np.float64)
        assert out.shape == expected.shape, (out.shape, expected.shape)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12,
                                   err_msg="forward value")
    R = rng(seed + 12345).standard_normal(out.shape)
    (out * Tensor(R)).sum().backward()
    numeric = numerical_grads(f, arrays, R)
    analytic = []
    for i, (t, num) in enumerate(zip(tensors, numeric)):
        assert t.grad is not None, f"input {i} got no gradient"
        g = np.asarray(t.grad.data if isinstance(t.grad, Tensor) else t.grad)
        assert g.shape == t.shape, f"input {i}: gradient shape {g.shape}, input shape {t.shape}"
        assert g.dtype == np.float64, f"input {i}: gradient dtype {g.dtype}"
        np.testing.assert_allclose(g, num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} vs central differences")
        analytic.append(g)
    if order >= 2:
        check_second_order(f, arrays, R, seed, rtol, atol)
    return analytic


def _gradient_dot(f, arrays, R, S) -> float:
    """M(xs) = Σ_i <dL/dx_i, S_i> for L = sum(f(xs) * R), the gradients by autograd (no graph)."""
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    grads = grad((f(*tensors) * Tensor(R)).sum(), tensors)
    return sum(float(np.sum(np.asarray(getattr(g, "data", g)) * s)) for g, s in zip(grads, S))


def check_second_order(f, arrays, R, seed: int = 0, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Second derivatives: the gradient of M = Σ_i <dL/dx_i, S_i> (random S_i), where the dL/dx_i
    are recorded with create_graph=True (Hessian-vector products), against central differences
    of M computed from first-order gradients."""
    S = [rng(seed + 777 + i).standard_normal(a.shape) for i, a in enumerate(arrays)]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    first = grad((f(*tensors) * Tensor(R)).sum(), tensors, create_graph=True)
    M = sum(((g if isinstance(g, Tensor) else Tensor(g)) * Tensor(s)).sum()
            for g, s in zip(first, S))
    analytic = grad(M, tensors)
    for i, a in enumerate(arrays):
        numeric = np.zeros_like(a)
        flat, nflat = a.reshape(-1), numeric.reshape(-1)
        for j in range(flat.size):
            keep = flat[j]
            flat[j] = keep + H
            up = _gradient_dot(f, arrays, R, S)
            flat[j] = keep - H
            down = _gradient_dot(f, arrays, R, S)
            flat[j] = keep
            nflat[j] = (up - down) / (2 * H)
        g = np.asarray(getattr(analytic[i], "data", analytic[i]))
        np.testing.assert_allclose(g, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"second derivative (input {i}) vs central differences")
