"""The Tensor operations: each a `Function` with its forward and its backward side by side.

In `backward`, `g` is d(loss)/d(output) and `x`, `a`, `b`, `out` are the inputs and output: arrays
in an ordinary pass, Tensors when the backward pass is recorded (create_graph=True). The formulas
use only what both have (arithmetic, @, .sum, .reshape, .transpose, .swapaxes and the helpers
below), so each derivative is written once. Gradients are summed back to each input's shape.

A forward result that is not finite (log 0, 0 ** -1) is an error naming the operation; inside a
backward pass the same operations compute derivatives, and there inf and nan are PyTorch's values
(reported by the pass with a GradientWarning), so `_refuse` lets them through.
"""
from __future__ import annotations

import math
import operator
import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from .engine import Mode
from .tensor import Function, Tensor, apply


# ---- helpers that work on arrays and Tensors alike ------------------------------------------
@lru_cache(maxsize=1024)
def _reduced_axes(shape: tuple, target: tuple) -> tuple[tuple, tuple]:
    """(the leading axes broadcasting added, the axes of size 1 in `target` it stretched)."""
    lead = len(shape) - len(target)
    return tuple(range(lead)), tuple(
        lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)


def sum_to(g: Any, shape: tuple) -> Any:
    """`g` summed over the axes that broadcasting added or stretched, so it has `shape`."""
    if g.shape == shape:
        return g
    if isinstance(g, Tensor):
        return apply(SumTo(shape), g)
    lead, stretched = _reduced_axes(g.shape, shape)
    if not stretched and shape:  # only leading axes were added: summing them leaves `shape`
        summed = g.sum(axis=lead)
        if summed.shape == shape:  # (else g does not broadcast from shape: reshape raises)
            return summed
    summed = g.sum(axis=lead + stretched, keepdims=True)
    return summed.reshape(shape) if summed.shape != shape else summed


def to_inputs(fn: Function, inputs: tuple, *rules: Any) -> tuple:
    """Each input's gradient, summed back to that input's shape, or None where the input needs
    no gradient: rule i (a function of nothing) runs only when input i needs it. The one place
    for what every binary rule must do (HIPS autograd's unbroadcast)."""
    needs = fn.needs
    if len(rules) == 2:  # (every binary rule: written out, it runs on every backward step)
        a, b = inputs
        return (sum_to(rules[0](), a.shape) if needs[0] else None,
                sum_to(rules[1](), b.shape) if needs[1] else None)
    return tuple(sum_to(rule(), x.shape) if need else None
                 for need, x, rule in zip(needs, inputs, rules))


def broadcast_to(g: Any, shape: tuple) -> Any:
    """`g` repeated along broadcast axes to `shape` (the adjoint of sum_to)."""
    if g.shape == shape:
        return g
    if isinstance(g, Tensor):
        return apply(BroadcastTo(shape), g)
    return np.broadcast_to(g, shape)


def _exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def _log(x: Any) -> Any:
    return x.log() if isinstance(x, Tensor) else np.log(x)


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else x


def _refuse(error: Exception) -> None:
    """Raise `error` for a non-finite forward result, except inside a backward pass (where the
    result is a derivative: inf or nan as in PyTorch, reported by the pass)."""
    if not Mode.in_backward:
        raise error


def _masked(x: Any, mask: np.ndarray, fill: float) -> Any:
    """`x` with the entries where `mask` is True replaced by the constant `fill` (np.where);
    no gradient flows to the replaced entries. PyTorch uses this for its special points."""
    if isinstance(x, Tensor):
        return apply(Masked(mask, fill), x)
    return np.where(mask, fill, x)


def _first_nonfinite(local: np.ndarray, named: dict) -> tuple | None:
    """(the point as text, the derivative there) for the first entry where `local` is not finite.

    `named` maps input names to their arrays, which broadcast to local's shape."""
    bad = ~np.isfinite(local)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    point = ", ".join(f"{name} = {np.broadcast_to(x, local.shape)[index].item()!r}"
                      for name, x in named.items())
    return point + (f" (entry {index})" if index else ""), local[index].item()


def _axis(axis: Any) -> Any:
    """None, an int or a tuple of ints; NumPy integer scalars are accepted where ints are."""
    if axis is None:
        return None
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
    try:
        return operator.index(axis)
    except TypeError:
        pass
    try:
        return tuple(operator.index(a) for a in axis)
    except TypeError:
        raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}") from None


def _broadcast(op: str, f: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return f(a, b)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
                         "(trailing dimensions must be equal or 1); reshape one of them") from None


def _keepdims_axes(ndim: int, axis: Any) -> set:
    """The reduced axes as non-negative ints (axis: an int or a tuple of ints)."""
    return {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}


def _keepdims_shape(shape: tuple, axis: Any) -> tuple:
    if axis is None:
        return (1,) * len(shape)
    axes = _keepdims_axes(len(shape), axis)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _check_axis(op: str, shape: tuple, axis: Any) -> None:
    axis = _axis(axis)
    axes = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -len(shape) <= a < len(shape):
            raise ValueError(f"{op}: axis {a} is out of range for shape {shape}")
    if len({a % len(shape) for a in axes}) < len(axes):
        raise ValueError(f"{op}: axis {axis} names an axis twice (shape {shape})")


# ---- elementwise arithmetic ------------------------------------------------------------------
class Add(Function):
    symbol = "+"
    can_overflow = True
    saves_values = False

    def forward(self, a, b):
        return _broadcast("add", np.add, a, b)

    def backward(self, g, a, b, out):
        return sum_to(g, a.shape), sum_to(g, b.shape)


class Sub(Function):
    symbol = "−"
    can_overflow = True
    saves_values = False

    def forward(self, a, b):
        return _broadcast("sub", np.subtract, a, b)

    def backward(self, g, a, b, out):
        return sum_to(g, a.shape), sum_to(-g, b.shape)


class Mul(Function):
    symbol = "×"
    can_overflow = True

    def forward(self, a, b):
        return _broadcast("mul", np.multiply, a, b)

    def backward(self, g, a, b, out):
        return to_inputs(self, (a, b), lambda: g * b, lambda: g * a)


class Div(Function):
    symbol = "/"
    can_overflow = True

    def forward(self, a, b):
        if (b == 0).any():
            _refuse(ZeroDivisionError(f"div: the divisor (shape {b.shape}) contains 0"))
        with np.errstate(divide="ignore", invalid="ignore"):
            return _broadcast("div", np.divide, a, b)

    def backward(self, g, a, b, out):
        return to_inputs(self, (a, b), lambda: g / b, lambda: -g * out / b)  # out/b = a/b²


class Pow(Function):
    """a ** b with a tensor exponent, with PyTorch's derivatives (pow_backward_self/_exponent):
    d/da = b·a^(b−1), but 0 where b = 0 (inf at a = 0 for 0 < b < 1);
    d/db = a^b·ln a, but 0 where a = 0 and b >= 0 (nan for a < 0: ln a is undefined)."""
    symbol = "**"

    def forward(self, a, b):
        with np.errstate(all="ignore"):
            out = _broadcast("pow", np.power, a, b)
        if not np.isfinite(out).all():
            _refuse(ValueError(f"pow: a ** b is not finite (a negative base with a fractional "
                               f"exponent, or 0 to a negative power); shapes {a.shape}, "
                               f"{b.shape}"))
        return out

    def backward(self, g, a, b, out):
        A, B = _data(a), _data(b)
        with np.errstate(all="ignore"):
            return to_inputs(self, (a, b),
                             lambda: _masked(g * b * a ** (b - 1), B == 0, 0.0),
                             lambda: _masked(g * out * _log(a), (A == 0) & (B >= 0), 0.0))

    def undefined(self, a, b, out):
        with np.errstate(all="ignore"):
            locals_ = (np.where(b == 0, 0.0, b * a ** (b - 1)),
                       np.where((a == 0) & (b >= 0), 0.0, out * np.log(a)))
        for i, local in enumerate(locals_):
            found = self.needs[i] and _first_nonfinite(local, {"a": a, "b": b})
            if found:
                return (i,) + found
        return None


class PowConst(Function):
    """x ** n for a constant number n: d/dx = n·x^(n−1), 0 for n = 0 (PyTorch), inf at x = 0
    for 0 < n < 1."""

    def __init__(self, n: float) -> None:
        self.n = n
        self.symbol = f"**{int(n) if n == int(n) else n}"

    def forward(self, x):
        with np.errstate(all="ignore"):
            out = x ** self.n
        if not np.isfinite(out).all():
            bad = x[~np.isfinite(np.broadcast_to(out, x.shape))].ravel()[0].item()
            if (bad == 0 and self.n < 0) or (bad < 0 and self.n != int(self.n)):
                _refuse(ValueError(f"pow: x ** {self.n} is undefined at x = {bad!r} (shape "
                                   f"{x.shape}): a negative base needs an integer exponent, 0 a "
                                   "positive one"))
            _refuse(OverflowError(f"pow: x ** {self.n} overflows {x.dtype} at x = {bad!r} (shape "
                                  f"{x.shape})"))
        return out

    def backward(self, g, x, out):
        n = self.n
        if n == 0:  # x ** 0 is constant; n * x ** -1 would be 0 * inf at x = 0
            return (g * 0.0,)
        if n == 1:
            return (g,)
        with np.errstate(all="ignore"):
            return (g * n * x ** (n - 1),)

    def undefined(self, x, out):
        if self.n in (0, 1):
            return None
        with np.errstate(all="ignore"):
            found = _first_nonfinite(self.n * x ** (self.n - 1), {"x": x})
        return (0,) + found if found else None


class Neg(Function):
    symbol = "−"
    saves_values = False

    def forward(self, x):
        return -x

    def backward(self, g, x, out):
        return (-g,)


class AsType(Function):
    symbol = "astype"
    can_overflow = True
    saves_values = False

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        if self.dtype.kind != "f":
            raise TypeError(f"astype: a Tensor holds floating point numbers, not {self.dtype}")
        return x.astype(self.dtype)

    def backward(self, g, x, out):
        return (g.astype(x.dtype),)


# ---- elementwise functions -------------------------------------------------------------------
class Exp(Function):
    symbol = "exp"

    def forward(self, x):
        with np.errstate(over="ignore"):
            out = np.exp(x)
        if np.isinf(out).any():
            _refuse(OverflowError(f"exp: overflow for inputs up to {x.max():.6g} "
                                  f"(shape {x.shape})"))
        return out

    def backward(self, g, x, out):
        return (g * out,)


class Log(Function):
    symbol = "log"

    def forward(self, x):
        if (x <= 0).any():
            _refuse(ValueError(f"log: undefined for {x[x <= 0].ravel()[0]!r} and any x <= 0 "
                               f"(input shape {x.shape})"))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    def backward(self, g, x, out):
        return (g / x,)


class Tanh(Function):
    symbol = "tanh"

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, x, out):
        return (g * (1 - out * out),)


class Sigmoid(Function):
    symbol = "σ"

    def forward(self, x):
        e = np.exp(-np.abs(x))  # never overflows
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, g, x, out):
        return (g * out * (1 - out),)


class Relu(Function):
    """max(x, 0); the gradient is 0 where x <= 0, as the lecture's mask."""
    symbol = "ReLU"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g, x, out):
        # PyTorch's where(x <= 0, 0, g): relu'(0) = 0 (the lecture's mask), and an inf or nan
        # arriving from above stops here too (0 · inf would be nan)
        return (_masked(g, _data(x) <= 0, 0.0),)


class Abs(Function):
    """|x|; d/dx = sign(x), 0 at x = 0 (PyTorch's sgn)."""
    symbol = "abs"

    def forward(self, x):
        return np.abs(x)

    def backward(self, g, x, out):
        return (g * np.sign(_data(x)),)


# ---- reductions and shapes -------------------------------------------------------------------
class Sum(Function):
    symbol = "sum"
    can_overflow = True
    saves_values = False

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = _axis(axis), keepdims

    def forward(self, x):  # (2, 3) summed over axis 0 → (3,), or (1, 3) with keepdims
        _check_axis(self.symbol, x.shape, self.axis)
        return np.asarray(x.sum(axis=self.axis, keepdims=self.keepdims))

    def backward(self, g, x, out):  # g (3,) → (1, 3) → repeated along axis 0 → (2, 3)
        if not self.keepdims:
            g = g.reshape(_keepdims_shape(x.shape, self.axis))
        return (broadcast_to(g, x.shape),)


class Mean(Sum):
    symbol = "mean"
    can_overflow = False  # the mean of nothing is nan; forward checks the sum itself

    def forward(self, x):
        total = super().forward(x)
        axes = range(x.ndim) if self.axis is None else _keepdims_axes(x.ndim, self.axis)
        # entries averaged into each result: the product of the reduced axes' lengths
        # ((2, 3, 4) over axes (0, 2): 8); 0 when a reduced axis is empty
        self.count = math.prod(x.shape[a] for a in axes)
        if self.count == 0 and total.size:
            warnings.warn(f"mean: averaging over an empty axis of shape {x.shape}: the mean of "
                          "nothing is nan (as in NumPy and PyTorch)", RuntimeWarning, stacklevel=4)
            return np.full(total.shape, np.nan, dtype=x.dtype)
        if not np.isfinite(total).all():
            _refuse(OverflowError(f"mean: the sum of shape {x.shape} overflows {x.dtype}"))
        return total / self.count

    def backward(self, g, x, out):
        spread = super().backward(g, x, out)[0]
        return (spread / self.count if self.count else spread,)  # (x is empty if count is 0)


class Max(Function):
    """Maximum along an axis; tied maxima share the gradient evenly (like torch.amax)."""
    symbol = "max"

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = _axis(axis), keepdims

    def forward(self, x):
        _check_axis("max", x.shape, self.axis)
        reduced = range(x.ndim) if self.axis is None else _keepdims_axes(x.ndim, self.axis)
        if any(x.shape[a] == 0 for a in reduced):
            raise ValueError(f"max: the maximum over an empty axis of shape {x.shape} is "
                             "undefined")
        top = x.max(axis=self.axis, keepdims=True)
        mask = x == top
        self.saved = (mask / mask.sum(axis=self.axis, keepdims=True)).astype(x.dtype)
        return top if self.keepdims else np.asarray(x.max(axis=self.axis))

    def backward(self, g, x, out):  # g (n,) → (n, 1) → (n, m), to each maximum its share
        return (broadcast_to(g.reshape(_keepdims_shape(x.shape, self.axis)), x.shape)
                * self.saved,)


class SumTo(Function):
    """Sum over broadcast axes down to `shape` (used when a backward pass is recorded)."""
    symbol = "sum_to"
    saves_values = False

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def forward(self, x):
        return sum_to(x, self.shape)

    def backward(self, g, x, out):
        return (broadcast_to(g, x.shape),)


class BroadcastTo(Function):
    symbol = "broadcast"
    saves_values = False

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def forward(self, x):
        return np.broadcast_to(x, self.shape).copy()

    def backward(self, g, x, out):
        return (sum_to(g, x.shape),)


class Masked(Function):
    """x with the entries under a constant mask replaced by a constant (see `_masked`)."""
    symbol = "where"
    saves_values = False

    def __init__(self, mask: np.ndarray, fill: float) -> None:
        self.mask, self.fill = mask, fill

    def forward(self, x):
        return np.where(self.mask, self.fill, x).astype(x.dtype, copy=False)

    def backward(self, g, x, out):
        return (sum_to(_masked(g, self.mask, 0.0), x.shape),)


class Reshape(Function):
    symbol = "reshape"
    saves_values = False

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def forward(self, x):
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape shape {x.shape} ({x.size} entries) "
                             f"into {self.shape}") from None

    def backward(self, g, x, out):
        return (g.reshape(x.shape),)


class Transpose(Function):
    symbol = "T"
    saves_values = False

    def __init__(self, axes: Any = None) -> None:
        self.axes = axes

    def forward(self, x):
        if self.axes is not None and sorted(a % max(x.ndim, 1) for a in self.axes) != list(
                range(x.ndim)):
            raise ValueError(f"transpose: axes {self.axes} are not a permutation of the "
                             f"{x.ndim} axes of shape {x.shape}")
        return x.transpose(self.axes)

    def backward(self, g, x, out):
        if self.axes is None:
            return (g.transpose(),)
        inverse = tuple(np.argsort([a % x.ndim for a in self.axes]))
        return (g.transpose(inverse),)


def _plain_index(index: Any) -> Any:
    """The index NumPy gets: an index Tensor gives back the integer or boolean array it was made
    from (its data are floats); a Tensor of float numbers cannot index."""
    if isinstance(index, Tensor):
        if index._index is None:
            raise IndexError(f"getitem: an index Tensor must be made from integers or booleans; "
                             f"this one holds {index.dtype} numbers (shape {index.shape}). Index "
                             "with an integer or boolean array, e.g. x[np.array([0, 2])]")
        return index._index
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    return index


class GetItem(Function):
    """x[index]: basic slices and integer arrays; repeated indices accumulate their gradients."""
    symbol = "[]"
    saves_values = False

    def __init__(self, index: Any) -> None:
        self.index = _plain_index(index)

    def forward(self, x):
        try:
            return np.asarray(x[self.index])
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor shape {x.shape})") from None

    def backward(self, g, x, out):
        if isinstance(g, Tensor):
            return (apply(IndexAdd(self.index, x.shape), g),)
        grad = np.zeros(x.shape, dtype=g.dtype)
        np.add.at(grad, self.index, g)
        return (grad,)


class IndexAdd(Function):
    """zeros(shape) with g added at index (the adjoint of getitem, for recorded backward)."""
    symbol = "index_add"
    saves_values = False

    def __init__(self, index: Any, shape: tuple) -> None:
        self.index, self.shape = index, shape

    def forward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(grad, self.index, g)
        return grad

    def backward(self, g, x, out):
        return (g[self.index],)


# ---- matrix product --------------------------------------------------------------------------
class MatMul(Function):
    """a @ b for 2-D and batched (..., n, k) @ (..., k, m) arrays; batch axes broadcast."""
    symbol = "@"
    can_overflow = True

    def forward(self, a, b):  # (..., n, k) @ (..., k, m) → (..., n, m)
        if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis "
                             f"of the left ({a.shape[-1] if a.ndim else '-'}) must equal the "
                             f"second-to-last of the right")
        try:
            return a @ b
        except ValueError:
            raise ValueError(f"matmul: the batch axes of shapes {a.shape} and {b.shape} "
                             "cannot be broadcast together") from None

    def backward(self, g, a, b, out):
        # g: (..., n, m); dA = g·Bᵀ: (..., n, m)·(..., m, k) → (..., n, k); dB = Aᵀ·g: (k, m)
        # (the lecture's dX = dY·Wᵀ, dW = Xᵀ·dY); batch axes that broadcast are summed back
        return to_inputs(self, (a, b), lambda: g @ b.swapaxes(-1, -2),
                         lambda: a.swapaxes(-1, -2) @ g)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b; a 1-D operand is treated as a row (left) or column (right) vector, as NumPy does."""
    na, nb = a.data.ndim, b.data.ndim
    if na >= 2 and nb >= 2:  # MatMul checks the shapes
        return apply(MatMul(), a, b)
    if na == 0 or nb == 0:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape}: scalars cannot be "
                         "matrix-multiplied; use *")
    if a.shape[-1] != b.shape[-2 if nb > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of "
                         f"the left ({a.shape[-1]}) must equal the "
                         f"{'second-to-last' if nb > 1 else 'only'} axis of the right")
    if na == 1 and nb == 1:
        return matmul(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if na == 1:
        out = matmul(a.reshape(1, -1), b)
        return out.reshape(out.shape[:-2] + out.shape[-1:])
    return matmul(a, b.reshape(-1, 1)).reshape(a.shape[:-1])


# ---- functions reachable from the package ----------------------------------------------------
def exp(x: Tensor) -> Tensor:
    """Elementwise e ** x (see Exp)."""
    return apply(Exp(), _tensor("exp", x))


def log(x: Tensor) -> Tensor:
    """Elementwise natural logarithm (see Log)."""
    return apply(Log(), _tensor("log", x))


def tanh(x: Tensor) -> Tensor:
    """Elementwise tanh (see Tanh)."""
    return apply(Tanh(), _tensor("tanh", x))


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise 1 / (1 + e ** -x) (see Sigmoid)."""
    return apply(Sigmoid(), _tensor("sigmoid", x))


def relu(x: Tensor) -> Tensor:
    """Elementwise max(x, 0) (see Relu)."""
    return apply(Relu(), _tensor("relu", x))


def _tensor(name: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return x


from .softmax_ops import (CrossEntropy, LogSoftmax, Softmax, cross_entropy,  # noqa: E402,F401
                          log_softmax, softmax)
