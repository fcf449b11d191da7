"""The chapter-7 layers as autograd modules: Conv2d, MaxPool2d, Flatten (forward only; backward
comes from the graph). Compare nn/convolution.py, where the book's Convolution and Pooling write
their backward by hand; the tests check both against torch.nn.functional.

    >>> from nn import Sequential, ReLU, Affine
    >>> from nn.conv_modules import Conv2d, MaxPool2d, Flatten
    >>> net = Sequential(Conv2d(1, 30, 5, init="he", rng=0), ReLU(), MaxPool2d(2),
    ...                  Flatten(), Affine(30 * 12 * 12, 100, init="he", rng=1), ReLU(),
    ...                  Affine(100, 10, rng=2))      # the book's SimpleConvNet, as modules
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.conv_ops import conv2d, max_pool2d

from . import init as init_
from .module import Module, Parameter

__all__ = ["Conv2d", "MaxPool2d", "Flatten"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Conv2d(Module):
    """x (N, C, H, W) -> (N, FN, OH, OW): `out_channels` filters W (FN, C, FH, FW) and a bias b
    (FN,), the book's Convolution layer and torch.nn.Conv2d's layout (W is torch's weight).

    init: "std" (weight_init_std · N(0, 1), the book's 0.01), "he" or "xavier" with fan-in
    C·FH·FW (torch's fan-in for a convolution), or a number (the std itself).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, pad: int = 0, weight_init_std: float = 0.01, *,
                 init: str | float = "std", rng: init_.RngLike = None,
                 dtype: Any = np.float64) -> None:
        kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.pad = (int(kh), int(kw)), stride, pad
        std = init_.init_std(init, self.in_channels * int(kh) * int(kw), weight_init_std)
        shape = (self.out_channels, self.in_channels, int(kh), int(kw))
        self.W = Parameter(init_.normal(shape, std, rng, dtype), label="W")
        self.b = Parameter(np.zeros(self.out_channels, dtype=dtype), label="b")

    def forward(self, x: Any) -> Tensor:
        return conv2d(_tensor(x), self.W, self.b, self.stride, self.pad)

    def extra_repr(self) -> str:
        kh, kw = self.kernel_size
        return (f"{self.in_channels}, {self.out_channels}, kernel {kh}×{kw}, "
                f"stride {self.stride}, pad {self.pad}")


class MaxPool2d(Module):
    """Max pooling over pool_h × pool_w windows (the book's Pooling layer, torch.nn.MaxPool2d):
    (N, C, H, W) -> (N, C, OH, OW). pool_w defaults to pool_h, stride to the window (torch's
    default; the book passes stride=2 for its 2×2 pool)."""

    def __init__(self, pool_h: int, pool_w: int | None = None, stride: int | None = None,
                 pad: int = 0) -> None:
        self.pool_h = pool_h
        self.pool_w = pool_h if pool_w is None else pool_w
        self.stride = (self.pool_h if self.pool_h == self.pool_w else None) if stride is None \
            else stride
        self.pad = pad

    def forward(self, x: Any) -> Tensor:
        return max_pool2d(_tensor(x), self.pool_h, self.pool_w, self.stride, self.pad)

    def extra_repr(self) -> str:
        return f"{self.pool_h}×{self.pool_w}, stride {self.stride}, pad {self.pad}"


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1·d2·...): images to rows for an Affine layer."""

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        if x.ndim < 1:
            raise ValueError(f"Flatten: x of shape {x.shape} has no batch axis")
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # (N = 0 too)
