"""Convolution and max pooling on Tensors (chapter 7), each operation's forward and backward side
by side, as in tensor_ops.py.

`conv2d` is the book's Convolution layer built from differentiable pieces: the patches of the
input unfolded into rows (`Im2Col`), one matrix product with the filters, the bias, and a
reshape back to images. `Im2Col` and `Col2Im` are each other's adjoint, so each one's backward is
the other, and the derivatives of a convolution of any order come from the graph:

    x (N, C, H, W) --im2col--> col (N·OH·OW, C·FH·FW) --@ W.reshape(FN, -1).T--> (N·OH·OW, FN)
      --+ b--> --reshape (N, OH, OW, FN)--> --transpose--> out (N, FN, OH, OW)

`max_pool2d` is one operation (`MaxPool2d`): forward keeps, for every output, the position of its
window's maximum; backward sends each output's gradient to that position (`Scatter`), and the
backward of that is reading the same positions back (`Gather`), so second derivatives work too.

Sizes follow the book's equation 7.1, torch's convention (rounding down):

    OH = (H + 2·pad − FH) // stride + 1,    OW = (W + 2·pad − FW) // stride + 1

Everything is checked against torch.nn.functional.conv2d / max_pool2d (tests/test_conv.py).
The book's hand-written layers are in nn/convolution.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .tensor import Function, Tensor, apply

__all__ = ["conv_output_size", "conv2d", "max_pool2d", "im2col", "col2im", "Im2Col", "Col2Im",
           "MaxPool2d", "Scatter", "Gather"]


# ---- shapes ------------------------------------------------------------------------------------
def _is_int(n: Any) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def conv_output_size(op: str, input_shape: tuple[int, ...], kernel: tuple[int, int],
                     stride: int, pad: int) -> tuple[int, int]:
    """(OH, OW) by equation 7.1 for an input (N, C, H, W). A ValueError naming `op` and the shapes
    for an input that is not 4-D, a stride below 1, a negative pad, or a kernel larger than the
    padded input (torch: "Kernel size can't be greater than actual input size")."""
    if len(input_shape) != 4:
        raise ValueError(f"{op}: the input must be a batch of images (N, C, H, W), got shape "
                         f"{tuple(input_shape)} (one image? add the batch axis: x[None])")
    if not (_is_int(stride) and stride >= 1):
        raise ValueError(f"{op}: stride must be an integer >= 1, got {stride!r}")
    if not (_is_int(pad) and pad >= 0):
        raise ValueError(f"{op}: pad must be an integer >= 0, got {pad!r}")
    kh, kw = kernel
    if not (_is_int(kh) and _is_int(kw) and kh >= 1 and kw >= 1):
        raise ValueError(f"{op}: the kernel must be at least 1×1 (integers), got {kh}×{kw}")
    h, w = input_shape[2] + 2 * pad, input_shape[3] + 2 * pad
    if kh > h or kw > w:
        raise ValueError(f"{op}: the kernel {kh}×{kw} is larger than the padded input {h}×{w} "
                         f"(input shape {tuple(input_shape)}, pad {pad}): use a smaller kernel "
                         "or more padding")
    return (h - kh) // stride + 1, (w - kw) // stride + 1


# ---- im2col and col2im on arrays ---------------------------------------------------------------
def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The book's im2col, vectorised: x (N, C, H, W) -> col (N·OH·OW, C·KH·KW), row (n, i, j)
    holding the patch under the kernel at output position (i, j), channels, rows, columns in
    order; zero padding. The same numbers as nn.convolution.im2col (the book's loops), in one
    copy from a strided view of the windows."""
    n, c = x.shape[:2]
    oh, ow = conv_output_size("im2col", x.shape, (kh, kw), stride, pad)
    if pad:
        x = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    # windows (N, C, OH, OW, KH, KW), a view: one copy puts each patch in a row
    return windows[:, :, :oh, :ow].transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)


def col2im(col: np.ndarray, shape: tuple[int, ...], kh: int, kw: int, stride: int = 1,
           pad: int = 0) -> np.ndarray:
    """The adjoint of im2col (the book's col2im): col (N·OH·OW, C·KH·KW) -> (N, C, H, W), each row
    added back onto the patch it came from (overlapping patches add up), the padding cut off."""
    n, c, h, w = shape
    oh, ow = conv_output_size("col2im", shape, (kh, kw), stride, pad)
    if col.shape != (n * oh * ow, c * kh * kw):
        raise ValueError(f"col2im: col of shape {col.shape} does not fit images of shape "
                         f"{tuple(shape)} with a {kh}×{kw} kernel, stride {stride}, pad {pad}: "
                         f"expected {(n * oh * ow, c * kh * kw)}")
    # (N, C, KH, KW, OH, OW): each kernel position's entries as images of the output's size
    patches = col.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    for y in range(kh):  # one strided add per kernel position, as the book's loops
        for x in range(kw):
            img[:, :, y:y + stride * oh:stride, x:x + stride * ow:stride] += patches[:, :, y, x]
    return img[:, :, pad:pad + h, pad:pad + w]


class Im2Col(Function):
    """x (N, C, H, W) -> col (N·OH·OW, C·KH·KW); backward: col2im of the gradient (its adjoint)."""
    symbol = "im2col"
    saves_values = False  # backward needs only the shape

    def __init__(self, kh: int, kw: int, stride: int, pad: int) -> None:
        self.kh, self.kw, self.stride, self.pad = kh, kw, stride, pad

    def forward(self, x):
        return im2col(x, self.kh, self.kw, self.stride, self.pad)

    def backward(self, g, x, out):
        if isinstance(g, Tensor):  # recorded: col2im as an operation, differentiable again
            return (apply(Col2Im(tuple(x.shape), self.kh, self.kw, self.stride, self.pad), g),)
        return (col2im(g, x.shape, self.kh, self.kw, self.stride, self.pad),)


class Col2Im(Function):
    """col (N·OH·OW, C·KH·KW) -> (N, C, H, W) (overlaps add up); backward: im2col (its adjoint)."""
    symbol = "col2im"
    saves_values = False

    def __init__(self, shape: tuple[int, ...], kh: int, kw: int, stride: int, pad: int) -> None:
        self.shape, self.kh, self.kw, self.stride, self.pad = shape, kh, kw, stride, pad

    def forward(self, col):
        return col2im(col, self.shape, self.kh, self.kw, self.stride, self.pad)

    def backward(self, g, col, out):
        if isinstance(g, Tensor):
            return (apply(Im2Col(self.kh, self.kw, self.stride, self.pad), g),)
        return (im2col(g, self.kh, self.kw, self.stride, self.pad),)


# ---- max pooling ---------------------------------------------------------------------------------
class Gather(Function):
    """x.ravel()[index] reshaped to `shape`: reads the entries at flat positions `index`;
    backward: Scatter (adds each gradient back at its position)."""
    symbol = "gather"
    saves_values = False

    def __init__(self, index: np.ndarray, shape: tuple[int, ...], unique: bool) -> None:
        self.index, self.shape, self.unique = index, shape, unique

    def forward(self, x):
        return x.reshape(-1)[self.index].reshape(self.shape)

    def backward(self, g, x, out):
        return (_scatter(g, self.index, tuple(x.shape), self.unique),)


class Scatter(Function):
    """zeros(shape) with g's entries added at flat positions `index` (repeated positions add up);
    backward: Gather."""
    symbol = "scatter"
    saves_values = False

    def __init__(self, index: np.ndarray, shape: tuple[int, ...], unique: bool) -> None:
        self.index, self.shape, self.unique = index, shape, unique

    def forward(self, g):
        out = np.zeros(int(np.prod(self.shape)), dtype=g.dtype)
        if self.unique:  # positions differ: plain assignment, much faster than add.at
            out[self.index] = g.reshape(-1)
        else:
            out += np.bincount(self.index, weights=g.reshape(-1), minlength=out.size)
        return out.reshape(self.shape)

    def backward(self, g, x, out):
        if isinstance(g, Tensor):
            return (apply(Gather(self.index, tuple(x.shape), self.unique), g),)
        return (g.reshape(-1)[self.index].reshape(x.shape),)


def _scatter(g: Any, index: np.ndarray, shape: tuple[int, ...], unique: bool) -> Any:
    if isinstance(g, Tensor):
        return apply(Scatter(index, shape, unique), g)
    return Scatter(index, shape, unique).forward(g)


class MaxPool2d(Function):
    """Max pooling (N, C, H, W) -> (N, C, OH, OW), the largest entry of each window.

    Like torch.nn.functional.max_pool2d: padding is never the maximum, a nan in a window is its
    maximum (the last nan), and where entries tie the first one (row by row) is the maximum,
    so the whole gradient goes there (the book's argmax; Tensor.max would share it). Forward
    keeps which window position held each maximum; backward is Scatter at those positions.
    """
    symbol = "maxpool"

    def __init__(self, kh: int, kw: int, stride: int, pad: int) -> None:
        self.kh, self.kw, self.stride, self.pad = kh, kw, stride, pad

    def forward(self, x):
        kh, kw, s, p = self.kh, self.kw, self.stride, self.pad
        h, w = x.shape[2:]
        oh, ow = conv_output_size("max_pool2d", x.shape, (kh, kw), s, p)
        padded = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], constant_values=-np.inf) if p else x
        has_nan = x.size > 0 and bool(np.isnan(x.max()))  # (max is nan if any entry is)
        best = where = real = None
        for k in range(kh * kw):  # one strided slice per window position, row by row
            dy, dx = divmod(k, kw)
            v = padded[:, :, dy:dy + s * oh:s, dx:dx + s * ow:s]
            if best is None:
                best, where = v.copy(), np.zeros(v.shape, dtype=np.intp)
                if p:  # which windows have met a real entry (padding is never the maximum)
                    real = _real_entries(h, w, dy, dx, s, p, oh, ow)
                continue
            take = v > best
            if has_nan:  # torch: `val > max || isnan(val)`, so the last nan is the maximum
                take |= np.isnan(v)
            if p:
                inside = _real_entries(h, w, dy, dx, s, p, oh, ow)
                take |= inside & ~real  # the first real entry replaces leading padding
                take &= inside
                real = real | inside
            np.copyto(best, v, where=take)
            np.copyto(where, k, where=take)
        self.saved = where  # (N, C, OH, OW): which window position held the maximum
        return best

    def index(self, shape: tuple[int, ...]) -> np.ndarray:
        """Each output's maximum as a position in x.ravel() (x of `shape`), from `saved`."""
        n, c, h, w = shape
        dy, dx = np.divmod(self.saved, self.kw)
        oh, ow = self.saved.shape[2:]
        rows = np.arange(oh).reshape(-1, 1) * self.stride - self.pad + dy  # (N, C, OH, OW)
        cols = np.arange(ow) * self.stride - self.pad + dx
        planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
        return (planes + rows * w + cols).reshape(-1)

    def backward(self, g, x, out):
        unique = self.stride >= self.kh and self.stride >= self.kw  # windows do not overlap
        return (_scatter(g, self.index(tuple(x.shape)), tuple(x.shape), unique),)


def _real_entries(h: int, w: int, dy: int, dx: int, s: int, p: int, oh: int,
                  ow: int) -> np.ndarray:
    """(OH, OW): True where window position (dy, dx) falls on the input, not on the padding."""
    rows = np.arange(oh) * s + dy - p
    cols = np.arange(ow) * s + dx - p
    return ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]


# ---- the functions, as the package exports them --------------------------------------------------
def _as_tensor(v: Any, op: str, name: str, like: Tensor | None = None) -> Tensor:
    if isinstance(v, Tensor):
        t = v
    elif isinstance(v, (np.ndarray, list, tuple)):
        t = Tensor(np.asarray(v), dtype=like.dtype if like is not None else None)
    else:
        raise TypeError(f"{op}: {name} must be a Tensor or an array, got {type(v).__name__}")
    if like is not None and t.dtype != like.dtype:
        raise TypeError(f"{op}: dtypes differ (x is {like.dtype}, {name} is {t.dtype}); convert "
                        "one with .astype(...) (tracegrad never upcasts silently)")
    return t


def conv2d(x: Any, W: Any, b: Any = None, stride: int = 1, pad: int = 0) -> Tensor:
    """Convolution (cross-correlation, no flip) of x (N, C, H, W) with filters W (FN, C, FH, FW)
    plus a bias b (FN,) or None -> (N, FN, OH, OW); torch.nn.functional.conv2d(x, W, b, stride,
    padding=pad), and the book's Convolution layer (figure 7-19) as differentiable operations.

    ValueError, naming the shapes, for: x or W not 4-D, channels of x and W that differ, b not
    of shape (FN,), a kernel larger than the padded input, a stride < 1 or a pad < 0.
    """
    x = _as_tensor(x, "conv2d", "x")
    W = _as_tensor(W, "conv2d", "W", like=x)
    if W.ndim != 4:
        raise ValueError(f"conv2d: the filters W must have shape (FN, C, FH, FW), got {W.shape}")
    fn, c, fh, fw = W.shape
    if x.ndim == 4 and x.shape[1] != c:
        raise ValueError(f"conv2d: x of shape {x.shape} has {x.shape[1]} channels but the filters "
                         f"W of shape {W.shape} expect {c} (W is (FN, C, FH, FW))")
    oh, ow = conv_output_size("conv2d", x.shape, (fh, fw), stride, pad)
    if b is not None:
        b = _as_tensor(b, "conv2d", "b", like=x)
        if b.shape != (fn,):
            raise ValueError(f"conv2d: the bias b must have shape ({fn},), one per filter of W "
                             f"{W.shape}, got {b.shape}")
    col = apply(Im2Col(fh, fw, stride, pad), x)  # (N·OH·OW, C·FH·FW)
    out = col @ W.reshape(fn, c * fh * fw).T  # (N·OH·OW, FN)
    if b is not None:
        out = out + b
    return out.reshape(x.shape[0], oh, ow, fn).transpose(0, 3, 1, 2)  # (N, FN, OH, OW)


def max_pool2d(x: Any, pool_h: int, pool_w: int | None = None, stride: int | None = None,
               pad: int = 0) -> Tensor:
    """Max pooling of x (N, C, H, W) over pool_h × pool_w windows -> (N, C, OH, OW); pool_w
    defaults to pool_h and stride to the pool's size (torch's default; the book's Pooling layer
    is given stride=2 for 2×2). torch.nn.functional.max_pool2d(x, (pool_h, pool_w), stride, pad).

    ValueError, naming the shapes, for: x not 4-D, a window larger than the padded input, a
    stride < 1, or a pad that is negative or more than half the window (torch's rule: a window
    must always hold an entry of the input).
    """
    x = _as_tensor(x, "max_pool2d", "x")
    pool_w = pool_h if pool_w is None else pool_w
    stride = pool_h if stride is None and pool_h == pool_w else stride
    if stride is None:
        raise ValueError(f"max_pool2d: give the stride for a {pool_h}×{pool_w} window")
    conv_output_size("max_pool2d", x.shape, (pool_h, pool_w), stride, pad)
    if 2 * pad > min(pool_h, pool_w):
        raise ValueError(f"max_pool2d: pad {pad} is more than half the {pool_h}×{pool_w} window "
                         f"(input shape {x.shape}): a window could hold padding only")
    return apply(MaxPool2d(pool_h, pool_w, stride, pad), x)
