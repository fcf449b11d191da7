"""Softmax, log-softmax and the softmax cross-entropy loss on Tensors, forward and backward side
by side (the lecture's Softmax-with-Loss layer, figure 5-30, as one operation)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Function, Tensor, apply
from .tensor_ops import _check_axis, _exp, _softmax_array


# ---- softmax and the loss ----------------------------------------------------------------------
class Softmax(Function):
    symbol = "softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x):
        _check_axis("softmax", x.shape, self.axis)
        return _softmax_array(x, self.axis)

    def backward(self, g, x, out):
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    symbol = "log_softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x):
        _check_axis("log_softmax", x.shape, self.axis)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, g, x, out):
        return (g - _exp(out) * g.sum(axis=self.axis, keepdims=True),)


class CrossEntropy(Function):
    """Mean over the batch of −Σ t·log softmax(x); gradient (softmax(x) − t) / N."""
    symbol = "cross_entropy"

    def __init__(self, target: Any) -> None:
        self.target = target

    def forward(self, x):
        if x.ndim != 2:
            raise ValueError(f"cross_entropy: scores must have shape (N, C), got {x.shape}")
        n, c = x.shape
        t = np.asarray(self.target.data if isinstance(self.target, Tensor) else self.target)
        labels = onehot = None
        if t.ndim == 1 and t.dtype.kind in "iub":
            if t.shape[0] != n:
                raise ValueError(f"cross_entropy: {t.shape[0]} labels for {n} rows of scores "
                                 f"(scores {x.shape}, labels {t.shape})")
            if n and t.min() < 0:  # labels >= C fail the indexing below
                raise ValueError(f"cross_entropy: labels must lie in 0..{c - 1}, got {t.min()}")
            labels = t
        elif t.shape == x.shape:
            onehot = t.astype(x.dtype, copy=False)
        else:
            raise ValueError(f"cross_entropy: labels must be integers of shape ({n},) or one-hot "
                             f"rows of shape {x.shape}, got {t.dtype} {t.shape}")
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_probs = shifted - np.log(total)
        if labels is None:
            picked = onehot * log_probs
        else:
            try:
                picked = log_probs[np.arange(n), labels]
            except IndexError:
                raise ValueError(f"cross_entropy: labels must lie in 0..{c - 1}, got "
                                 f"{t.max()}") from None
        self.saved = (e / total, labels, onehot)
        return np.asarray(-picked.sum() / max(n, 1))

    def backward(self, g, x, out):
        probs, labels, onehot = self.saved
        n = x.shape[0]
        if onehot is None:  # integer labels: subtract 1 at each row's label
            if not isinstance(x, Tensor):
                d = probs.copy()
                d[np.arange(n), labels] -= 1
                d *= g / max(n, 1)
                return (d,)
            onehot = np.zeros(x.shape, dtype=x.dtype)
            onehot[np.arange(n), labels] = 1
        if isinstance(x, Tensor):
            probs = x.softmax(axis=1)
        return ((probs - onehot) * (g / max(n, 1)),)


# ---- the functions, as the package exports them ------------------------------------------------
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed without overflow."""
    return apply(Softmax(axis), x)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) computed stably (x − max − log Σ exp(x − max))."""
    return apply(LogSoftmax(axis), x)


def cross_entropy(scores: Tensor, target: Any) -> Tensor:
    """Softmax cross-entropy of scores (N, C) against integer labels (N,) or one-hot rows (N, C),
    averaged over the batch (the lecture's SoftmaxWithLoss)."""
    return apply(CrossEntropy(target), scores)
