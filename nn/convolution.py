"""Chapter 7 written by hand: the book's im2col / col2im and its Convolution and Pooling layers.

As in nn/layers.py, every layer has forward(), which remembers what backward() will need, and
backward(dout), which takes dL/d(output) and returns dL/d(input). Images are batches of shape
(N, C, H, W) (number, channels, height, width); filters are (FN, C, FH, FW). The code is the
book's (common/util.py and common/layers.py), with the shape checks the book leaves out and one
change: the columns keep the input's dtype (the book's np.zeros makes float64 of float32 input).

The output size is the book's equation 7.1 (torch's convention too, rounding down):

    OH = (H + 2·pad − FH) // stride + 1,    OW = (W + 2·pad − FW) // stride + 1

The autograd versions of these layers are autograd/conv_ops.py (conv2d, max_pool2d) and the
modules in nn/conv_modules.py; the tests check all of them against torch.nn.functional.
"""
from __future__ import annotations

import numpy as np

from autograd.conv_ops import conv_output_size  # equation 7.1, with the shape checks

__all__ = ["conv_output_size", "im2col", "col2im", "Convolution", "Pooling"]


def im2col(input_data: np.ndarray, filter_h: int, filter_w: int, stride: int = 1,
           pad: int = 0) -> np.ndarray:
    """Unfold every filter-sized patch of a batch of images into one row (the book's im2col).

    input_data (N, C, H, W) -> col (N·OH·OW, C·FH·FW): row (n, i, j) holds the patch that the
    filter meets at output position (i, j) of image n, channel by channel, row by row, so that
    convolution becomes one matrix product: col @ W.reshape(FN, -1).T (figure 7-19).
    Padding is with zeros.
    """
    N, C, H, W = input_data.shape
    out_h, out_w = conv_output_size("im2col", input_data.shape, (filter_h, filter_w), stride, pad)

    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=img.dtype)

    for y in range(filter_h):  # one copy per filter position: FH·FW strided slices
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]

    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
    return col


def col2im(col: np.ndarray, input_shape: tuple[int, ...], filter_h: int, filter_w: int,
           stride: int = 1, pad: int = 0) -> np.ndarray:
    """The adjoint of im2col (the book's col2im): col (N·OH·OW, C·FH·FW) -> images (N, C, H, W).

    Every row goes back to the patch it came from; where patches overlap their entries add up,
    which is exactly the gradient of im2col (so backward of a convolution is col2im of dcol).
    The padding is cut off again.
    """
    N, C, H, W = input_shape
    out_h, out_w = conv_output_size("col2im", tuple(input_shape), (filter_h, filter_w), stride,
                                    pad)
    expected = (N * out_h * out_w, C * filter_h * filter_w)
    if col.shape != expected:
        raise ValueError(f"col2im: col of shape {col.shape} does not fit images of shape "
                         f"{tuple(input_shape)} with a {filter_h}×{filter_w} filter, stride "
                         f"{stride}, pad {pad}: expected {expected}")
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)

    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]

    return img[:, :, pad:H + pad, pad:W + pad]


class Convolution:
    """The convolution layer of section 7.4 (the book's common/layers.py Convolution).

    W (FN, C, FH, FW): FN filters; b (FN,): one bias per filter. forward: x (N, C, H, W) ->
    (N, FN, OH, OW) by im2col and one matrix product; backward stores dW and db and returns dx.
    The output is a cross-correlation (no filter flip), as in the book and torch's conv2d.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        if np.ndim(W) != 4 or np.shape(b) != (np.shape(W)[0],):
            raise ValueError(f"Convolution needs W of shape (FN, C, FH, FW) and b of shape (FN,), "
                             f"got W {np.shape(W)} and b {np.shape(b)}")
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

        # what backward needs
        self.x: np.ndarray | None = None
        self.col: np.ndarray | None = None  # (N·OH·OW, C·FH·FW)
        self.col_W: np.ndarray | None = None  # (C·FH·FW, FN)

        # the gradients of the weights, set by backward
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        FN, C, FH, FW = self.W.shape
        x = np.asarray(x)
        if x.ndim == 4 and x.shape[1] != C:
            raise ValueError(f"Convolution: x of shape {x.shape} has {x.shape[1]} channels but "
                             f"the filters W of shape {self.W.shape} expect {C}")
        out_h, out_w = conv_output_size("Convolution", x.shape, (FH, FW), self.stride, self.pad)
        N = x.shape[0]

        col = im2col(x, FH, FW, self.stride, self.pad)  # (N·OH·OW, C·FH·FW)
        col_W = self.W.reshape(FN, -1).T  # (C·FH·FW, FN)

        out = np.dot(col, col_W) + self.b  # (N·OH·OW, FN)
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)  # (N, FN, OH, OW)

        self.x = x
        self.col = col
        self.col_W = col_W

        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        FN, C, FH, FW = self.W.shape
        expected = (self.x.shape[0], FN) + conv_output_size(
            "Convolution", self.x.shape, (FH, FW), self.stride, self.pad)
        if np.shape(dout) != expected:
            raise ValueError(f"Convolution: dout of shape {np.shape(dout)} does not match the "
                             f"output shape {expected}")
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)  # (N·OH·OW, FN)

        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)  # (C·FH·FW, FN)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)

        dcol = np.dot(dout, self.col_W.T)  # (N·OH·OW, C·FH·FW)
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)

        return dx


class Pooling:
    """Max pooling of section 7.5 (the book's common/layers.py Pooling): the largest entry of
    each pool_h × pool_w window, channel by channel. x (N, C, H, W) -> (N, C, OH, OW).

    backward sends each output's gradient to the entry that was the maximum (np.argmax: the first
    one in the window, row by row, where several tie; torch's max_pool2d chooses the same one).
    Padding is with zeros, as the book's im2col pads: a padded window whose entries are all
    negative gives 0 here, where torch (which pads with −inf) gives the largest entry.
    """

    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> None:
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

        self.x: np.ndarray | None = None
        self.arg_max: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        out_h, out_w = conv_output_size("Pooling", x.shape, (self.pool_h, self.pool_w),
                                        self.stride, self.pad)
        N, C, H, W = x.shape

        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)  # one window per row

        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)  # (N, C, OH, OW)

        self.x = x
        self.arg_max = arg_max

        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        expected = self.x.shape[:2] + conv_output_size(
            "Pooling", self.x.shape, (self.pool_h, self.pool_w), self.stride, self.pad)
        if np.shape(dout) != expected:
            raise ValueError(f"Pooling: dout of shape {np.shape(dout)} does not match the output "
                             f"shape {expected}")
        dout = dout.transpose(0, 2, 3, 1)  # (N, OH, OW, C)

        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))  # (N, OH, OW, C, pool_size)

        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx = col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)

        return dx
