"""The layers of chapter 5, written by hand in NumPy, as the lecture teaches them.

Every layer has forward(), which remembers what backward() will need, and backward(dout), which
takes dL/d(output) from the layer above and returns dL/d(input) for the layer below.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .functions import _as_float, _target_rows, log_softmax, sigmoid, softmax

__all__ = ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"]


class MulLayer:
    """Multiplication node z = x * y: backward multiplies dout by the *other* input (Fig. 5-12)."""

    def __init__(self) -> None:
        self.x: Any = None
        self.y: Any = None

    def forward(self, x: Any, y: Any) -> Any:
        self.x = x
        self.y = y
        out = x * y
        return out

    def backward(self, dout: Any) -> tuple[Any, Any]:
        dx = dout * self.y  # the inputs swap places
        dy = dout * self.x
        return dx, dy


class AddLayer:
    """Addition node z = x + y: backward passes dout through unchanged to both inputs (Fig. 5-9)."""

    def __init__(self) -> None:
        pass  # nothing to remember

    def forward(self, x: Any, y: Any) -> Any:
        out = x + y
        return out

    def backward(self, dout: Any) -> tuple[Any, Any]:
        dx = dout * 1
        dy = dout * 1
        return dx, dy


class Relu:
    """y = x if x > 0 else 0. The gradient is 1 where x > 0, and 0 where x <= 0 (0 at exactly 0)."""

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None  # True where x <= 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = (x <= 0)
        out = np.array(x, copy=True)  # a copy: the caller's x stays as it was
        out[self.mask] = 0
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = np.array(dout, copy=True)  # the book zeroes dout in place; we leave the caller's alone
        dx[self.mask] = 0
        return dx


class Sigmoid:
    """y = 1 / (1 + exp(-x)). Its derivative is y * (1 - y), so forward keeps y (Fig. 5-21)."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = sigmoid(x)
        self.out = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = dout * (1.0 - self.out) * self.out
        return dx


class Affine:
    """Y = X . W + b for a batch X of N samples (Fig. 5-25).

    Inputs of shape (N, d1, d2, ...) are flattened to (N, d1*d2*...) like the book, and dx is
    given back in the original shape. backward stores dW and db for the optimizer.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        if np.ndim(W) != 2 or np.shape(b) != (np.shape(W)[1],):
            raise ValueError(f"Affine needs W of shape (in, out) and b of shape (out,), "
                             f"got W {np.shape(W)} and b {np.shape(b)}")
        self.W = W
        self.b = b
        self.x: np.ndarray | None = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None  # dL/dW, set by backward
        self.db: np.ndarray | None = None  # dL/db, set by backward

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == 0 or math.prod(x.shape[1:]) != self.W.shape[0]:
            n = x.shape[0] if x.ndim else "?"
            raise ValueError(f"Affine: x of shape {x.shape} is read as a batch of {n} samples, "
                             f"which does not fit W of shape {self.W.shape}: each sample must "
                             f"have {self.W.shape[0]} numbers")
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], self.W.shape[0])  # (N, d1, d2, ...) -> (N, d1*d2*...), N = 0 too
        self.x = x

        out = np.dot(self.x, self.W) + self.b
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        expected = (self.x.shape[0], self.W.shape[1])
        if np.shape(dout) != expected:
            raise ValueError(f"Affine: dout of shape {np.shape(dout)} does not match the output "
                             f"shape {expected} (x {self.original_x_shape}, W {self.W.shape})")
        dx = np.dot(dout, self.W.T)       # (N, out) . (out, in) = (N, in)
        self.dW = np.dot(self.x.T, dout)  # (in, N) . (N, out) = (in, out)
        self.db = np.sum(dout, axis=0)    # b was added to every row: sum over the batch

        dx = dx.reshape(*self.original_x_shape)  # back to the input's shape
        return dx


class SoftmaxWithLoss:
    """Softmax, then the cross-entropy loss; backward gives the simple (y - t) / N (Fig. 5-30).

    t may be one-hot labels (the lecture), integer class labels, or probability rows; `self.t`
    always keeps the row form. The loss comes from log-softmax rather than the book's
    log(y + 1e-7), so it is exact and backward is exactly its gradient. That needs each row of t
    to sum to 1: the loss's gradient is (y·Σ_c t − t) / N, which is (y − t) / N only then, so
    other rows are refused (autograd's `cross_entropy` takes them). Raises ValueError, naming the
    layer, for such rows, for an empty batch, and for any target `check_targets` refuses.
    """

    _x: np.ndarray | None = None  # scores kept by with_targets' loss, for y (a copy)
    _y: np.ndarray | None = None  # the softmax output, or None until computed from _x

    def __init__(self) -> None:
        self.loss: float | None = None  # the loss
        self.y = None  # softmax output
        self.t: np.ndarray | None = None  # targets as rows (one-hot or probabilities)

    @property
    def y(self) -> np.ndarray | None:
        """The softmax output of the last forward (None before any). `forward` computes it, as
        the book does; the loss function of `with_targets` leaves it to the first read, so that
        a numerical gradient's 79,520 forward passes do not pay for it (the numbers are the
        same: softmax of those scores)."""
        if self._y is None and self._x is not None:
            self._y = softmax(self._x)
        return self._y

    @y.setter
    def y(self, value: np.ndarray | None) -> None:
        self._x, self._y = None, value

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        loss = self.with_targets(x, t)(x)  # t checked, self.t and self.loss set
        self.y = softmax(x)  # kept for backward, as the book does
        return loss

    def with_targets(self, x: np.ndarray, t: np.ndarray) -> Callable[[np.ndarray], float]:
        """`forward` with the targets t checked once, for scores shaped like x: returns
        loss(x) -> float, which runs this layer's forward on any scores of that shape and
        dtype (y is computed when first read). TwoLayerNet.numerical_gradient checks t once
        this way rather than in each of its forward passes (see `loss_of_scores`). Raises
        ValueError as `forward` does."""
        t = _target_rows("SoftmaxWithLoss", _as_float(x), t)
        sums = t.sum(axis=-1)
        tolerance = np.sqrt(np.finfo(t.dtype).eps)
        if not np.all(np.abs(sums - 1) <= tolerance):
            raise ValueError(f"SoftmaxWithLoss: each row of t must sum to 1 (one-hot or "
                             f"probabilities, within {tolerance:.1g}), got row sums from "
                             f"{sums.min():.6g} to {sums.max():.6g}: its backward (y - t) / N is "
                             f"the loss's gradient only when each row of t sums to 1; use "
                             f"autograd's cross_entropy (or nn.SoftmaxWithLoss) for other targets")
        nonzero = t != 0  # the entries that count (0 · log 0 = 0: see the class docstring)
        picked = t[nonzero]
        batch_size = t.shape[0] if t.ndim == 2 else 1
        shape = t.shape

        def loss(x: np.ndarray) -> float:
            x = _as_float(x)
            if x.shape != shape:
                raise ValueError(f"SoftmaxWithLoss: scores of shape {x.shape} for targets "
                                 f"checked against scores of shape {shape}")
            self.t = t
            self._x, self._y = x.copy(), None  # a copy: y is the softmax of these very scores
            # -sum(t · log softmax(x)) / N over the entries where t != 0
            self.loss = float(-(picked * log_softmax(x)[nonzero]).sum() / batch_size)
            return self.loss

        return loss

    def backward(self, dout: float = 1) -> np.ndarray:
        batch_size = self.y.shape[0] if self.y.ndim == 2 else 1  # one sample when x is 1-D
        dx = (self.y - self.t) / batch_size
        return dx * dout


def loss_of_scores(last_layer: Any, scores: np.ndarray, t: Any) -> Callable[[np.ndarray], float]:
    """last_layer.forward(·, t) as a function of the scores, for a numerical gradient: with t
    checked once when last_layer is exactly this module's SoftmaxWithLoss (its `with_targets`),
    else the layer's own forward on every call (a subclass, or the book's own layer, is what
    must be differentiated). `scores`: one set of scores of the shape the function will get."""
    if type(last_layer) is SoftmaxWithLoss:
        return last_layer.with_targets(scores, t)
    return lambda x: last_layer.forward(x, t)
