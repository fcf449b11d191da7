"""The book's helper functions (chapters 3-4), in NumPy: activations, losses, numerical gradient.

Two changes from the book, both for numerical honesty:
- losses take logs without the book's `+ 1e-7` (it biases the loss and breaks gradient checks);
  `cross_entropy_from_logits` works from log-softmax, so it never takes log(0) at all;
- `sigmoid` never overflows `exp` for large negative inputs.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = [
    "softmax",
    "log_softmax",
    "sigmoid",
    "cross_entropy_error",
    "cross_entropy_from_logits",
    "numerical_gradient",
]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), written so that exp only ever sees non-positive numbers (no overflow)."""
    x = _as_float(x)
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softmax(x: np.ndarray) -> np.ndarray:
    """exp(x) / sum(exp(x)) along the last axis (each row of a batch).

    Subtracting the row's maximum first leaves the result unchanged and keeps exp from overflowing.
    """
    x = _as_float(x)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x: np.ndarray) -> np.ndarray:
    """log(softmax(x)) along the last axis, computed without taking log of a tiny probability."""
    x = _as_float(x)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """The lecture's cross-entropy: -sum(t * log y) averaged over the batch.

    y: probabilities, shape (C,) or (N, C). t: one-hot labels of y's shape, or integer labels
    of shape () / (N,). Unlike the book, no 1e-7 is added inside the log: a zero probability for
    the right answer gives the true loss, inf. Given scores, prefer `cross_entropy_from_logits`.
    """
    y = _as_float(y)
    t = _one_hot_targets(y, t)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the honest answer
        log_y = np.log(y)
    return _mean_negative_log_likelihood(log_y, t)


def cross_entropy_from_logits(x: np.ndarray, t: np.ndarray) -> float:
    """cross_entropy_error(softmax(x), t), computed stably from log_softmax(x).

    x: scores (logits), shape (C,) or (N, C); t as in `cross_entropy_error`.
    """
    x = _as_float(x)
    t = _one_hot_targets(x, t)
    return _mean_negative_log_likelihood(log_softmax(x), t)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       *, h: float = 1e-4) -> np.ndarray:
    """The book's central difference: df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / 2h for every i.

    f is called as f(x), like the book (a lambda that ignores its argument works too, e.g.
    `lambda _: net.loss(x, t)`). x must be a float ndarray of any shape: each element is nudged
    in place and put back exactly afterwards, even if f raises.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a float ndarray x to nudge in place, got "
                        f"{type(x).__name__} {getattr(x, 'dtype', '')}".rstrip())
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        idx = it.multi_index
        original = x[idx]  # a NumPy scalar: a copy, not a view
        try:
            x[idx] = original + h
            f_plus = float(f(x))
            x[idx] = original - h
            f_minus = float(f(x))
        finally:
            x[idx] = original  # restore, whatever happened
        grad[idx] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad


# --- helpers ---------------------------------------------------------------------------------

def _as_float(x) -> np.ndarray:
    """x as an ndarray; integers and booleans become float64, float32 stays float32."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _one_hot_targets(y: np.ndarray, t) -> np.ndarray:
    """Labels t as an array of y's shape (one-hot rows); integer labels are converted.

    y has shape (C,) or (N, C); t is either already of y's shape, or integer labels of shape
    () / (1,) for a single sample, (N,) for a batch.
    """
    t = np.asarray(t)
    if y.ndim not in (1, 2):
        raise ValueError(f"cross-entropy needs scores of shape (C,) or (N, C), got {y.shape}")
    if t.shape == y.shape:
        return t
    n_classes = y.shape[-1]
    if y.ndim == 1 and t.shape == (1,):
        t = t.reshape(())  # the book's single sample with t = np.array([2])
    if t.shape != y.shape[:-1] or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"labels of shape {t.shape} (dtype {t.dtype}) do not fit scores of shape "
                         f"{y.shape}: give one-hot labels of shape {y.shape} or integer labels "
                         f"of shape {y.shape[:-1]}")
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        raise ValueError(f"integer labels must lie in [0, {n_classes}) for scores of shape "
                         f"{y.shape}, got labels from {t.min()} to {t.max()}")
    return np.eye(n_classes, dtype=y.dtype)[t]


def _mean_negative_log_likelihood(log_p: np.ndarray, t: np.ndarray) -> float:
    """-sum(t * log_p) / batch_size, where entries with t == 0 count as 0 even if log_p is -inf."""
    batch_size = log_p.shape[0] if log_p.ndim == 2 else 1
    nonzero = t != 0
    return float(-np.sum(t[nonzero] * log_p[nonzero]) / batch_size)
