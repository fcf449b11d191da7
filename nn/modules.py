"""The chapter-5 layers as autograd modules: forward only, backward comes from the graph.

Compare nn/layers.py, where each layer also writes its backward by hand; the tests check that
both give the same numbers. Inputs may be Tensors or plain arrays (wrapped, no gradient).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.softmax_ops import CrossEntropy
from autograd.tensor import apply

from . import init as init_
from .module import Module, Parameter

__all__ = ["Affine", "Linear", "ReLU", "Sigmoid", "Tanh", "SoftmaxWithLoss"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Affine(Module):
    """Y = X · W + b, W of shape (in, out) as in the book; (N, d1, d2, ...) inputs are flattened."""

    def __init__(self, in_features: int, out_features: int, weight_init_std: float = 0.01, *,
                 init: str | float = "std", rng: init_.RngLike = None,
                 dtype: Any = np.float64) -> None:
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.W = Parameter(init_.weight(self.in_features, self.out_features, init, weight_init_std,
                                        rng, dtype), label="W")
        self.b = Parameter(np.zeros(self.out_features, dtype=dtype), label="b")

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)  # (N, d1, d2, ...) -> (N, d1*d2*...), like the book
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"{type(self).__name__}: x of shape {x.shape} does not fit W of shape "
                             f"{self.W.shape}: each sample needs {self.in_features} numbers")
        return x @ self.W + self.b

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}"


Linear = Affine  # PyTorch's name (note: W here is (in, out), torch's weight is (out, in))


class ReLU(Module):
    """max(x, 0); the gradient is 0 where x <= 0 (the lecture's mask)."""

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).relu()


class Sigmoid(Module):
    """1 / (1 + exp(-x)); gradient y(1 - y)."""

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).sigmoid()


class Tanh(Module):
    """tanh(x); gradient 1 - y²."""

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).tanh()


class SoftmaxWithLoss(Module):
    """Mean softmax cross-entropy of scores (N, C) against int labels (N,), one-hot rows or
    probability rows (N, C): autograd's `cross_entropy`, with its checks, named after the module.

    Returns the loss Tensor; like the lecture's layer it keeps `.y` (the softmax probabilities),
    `.t` (the targets as rows) and `.loss` (a float). Its gradient is (y·Σ_c t − t) / N, the
    lecture's (y − t) / N when each row of t sums to 1 (PyTorch's cross_entropy for any rows).
    """

    def __init__(self) -> None:
        self.loss: float | None = None
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None

    def forward(self, x: Any, t: Any) -> Tensor:
        x = _tensor(x)
        fn = CrossEntropy(t, op=type(self).__name__)
        out = apply(fn, x)  # checks the shapes and targets
        self.y, labels, rows, _ = fn.saved  # softmax(x) and the checked targets
        self.t = rows if labels is None else np.eye(x.shape[1], dtype=x.dtype)[labels]
        self.loss = float(out.data)
        return out
