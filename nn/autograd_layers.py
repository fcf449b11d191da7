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


# ---------------------------------------------------------------- chapter 6: BatchNorm, Dropout
# (the hand-written versions, with their backward, are in nn/regularization.py)

__all__ += ["BatchNorm", "Dropout"]


class BatchNorm(Module):
    """Batch normalisation with torch.nn.BatchNorm1d's semantics, forward only (autograd does the
    backward the book derives by hand in nn.regularization.BatchNormalization).

    x: (N, C) or (N, C, L); each of the C features (channels) is normalised over the batch (and
    L): xn = (x − mean) / sqrt(var + eps), out = gamma · xn + beta (book eq. 6.7, 6.8), with the
    biased variance (÷ N·L). gamma (torch's weight) starts at ones, beta (bias) at zeros, both (C,).

    Training (module.train(), the default) normalises with the batch's statistics and updates the
    running ones, as torch does:  running = (1 − momentum) · running + momentum · batch, where the
    batch variance for running_var is the unbiased one (÷ N·L − 1). momentum=None gives torch's
    cumulative average (1 / number of batches seen). module.eval() normalises with the running
    statistics (running_mean starts at zeros, running_var at ones).

    Differences from the book's BatchNormalization: momentum is torch's (0.1 here is the book's
    0.9), eps is torch's 1e-5 (the book's is 1e-6), running_var starts at ones and is updated with
    the unbiased variance (the book: zeros, biased), and a (N, C, L) input is normalised per
    channel (the book flattens it to (N, C·L)). running_mean and running_var are plain arrays, not
    Parameters: state_dict() and save_weights do not include them.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *,
                 dtype: Any = np.float64) -> None:
        if not (isinstance(num_features, (int, np.integer)) and num_features > 0):
            raise ValueError(f"BatchNorm: num_features must be a positive int, got {num_features!r}")
        if not eps > 0:
            raise ValueError(f"BatchNorm: eps must be > 0, got {eps!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm: momentum must lie in [0, 1] or be None (torch's "
                             f"convention: 0.1 moves the running statistics 10 % toward each "
                             f"batch; the book's 0.9 is 0.1 here), got {momentum!r}")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.gamma = Parameter(np.ones(self.num_features, dtype=dtype), label="gamma")
            self.beta = Parameter(np.zeros(self.num_features, dtype=dtype), label="beta")
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None
        self.num_batches_tracked = 0
        if track_running_stats:
            self.running_mean = np.zeros(self.num_features, dtype=dtype)
            self.running_var = np.ones(self.num_features, dtype=dtype)

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm: x of shape {x.shape} does not fit {self.num_features} "
                             f"features: x must be (N, {self.num_features}) or "
                             f"(N, {self.num_features}, L)")
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (-1,) if x.ndim == 2 else (-1, 1)  # gamma, beta, statistics broadcast over L
        count = x.size // self.num_features  # numbers per feature in the batch: N or N·L
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            if count < 2:
                raise ValueError(f"BatchNorm: expected more than 1 value per feature in training "
                                 f"(as torch), got x of shape {x.shape}")
            mean = x.mean(axis=axes, keepdims=True)
            xc = x - mean
            var = (xc * xc).mean(axis=axes, keepdims=True)  # biased, as the book and torch
            xn = xc / (var + self.eps).sqrt()
            if self.training and self.track_running_stats:
                self._update_running(mean.data.reshape(-1), var.data.reshape(-1), count)
        else:
            mean = self.running_mean.reshape(shape)
            xn = (x - mean) / np.sqrt(self.running_var.reshape(shape) + self.eps)
        if not self.affine:
            return xn
        return xn * self.gamma.reshape(shape) + self.beta.reshape(shape)

    def _update_running(self, mean: np.ndarray, var: np.ndarray, count: int) -> None:
        self.num_batches_tracked += 1
        factor = (1.0 / self.num_batches_tracked if self.momentum is None
                  else self.momentum)
        self.running_mean *= 1 - factor
        self.running_mean += factor * mean
        self.running_var *= 1 - factor
        self.running_var += factor * var * count / (count - 1)  # unbiased, as torch

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum}"


class Dropout(Module):
    """Inverted dropout as torch.nn.Dropout: in training each element is kept with probability
    1 − p and scaled by 1 / (1 − p), otherwise zeroed; in eval mode it is the identity.

    The mask (True where kept) is drawn as `rng.random(x.shape) > p` from this module's own
    Generator (`rng`: a seed or a Generator), a new one per call and kept in `.mask`; the book's
    hand-written Dropout(dropout_ratio=p, rng=seed, inverted=True) draws the same masks.
    The book's Dropout is not inverted (it scales by 1 − p at test time instead): the outputs
    differ by that factor, the trained nets are equivalent.
    """

    def __init__(self, p: float = 0.5, *, rng: init_.RngLike = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p (the probability of dropping) must lie in [0, 1], "
                             f"got {p!r}")
        self.p = float(p)
        self.rng = init_.as_rng(rng)
        self.mask: np.ndarray | None = None

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        if not self.training or self.p == 0.0:
            return x
        self.mask = self.rng.random(x.shape) > self.p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        return x * (self.mask * scale).astype(x.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"
