"""Custom autograd Functions several test files use: Softplus, right, and with a wrong sign.

    from functions import Softplus, SoftplusWrongSign
"""
from __future__ import annotations

import numpy as np

from autograd import Function, Tensor


def sigmoid(x):
    return x.sigmoid() if isinstance(x, Tensor) else 1 / (1 + np.exp(-x))


class Softplus(Function):
    """log(1 + e^x); d/dx = sigmoid(x), written for arrays and Tensors alike."""
    symbol = "softplus"

    def forward(self, x):
        return np.logaddexp(0.0, x)

    def backward(self, g, x, out):
        return (g * sigmoid(x),)

    def torch_forward(self, x):
        import torch
        return torch.nn.functional.softplus(x)


class SoftplusWrongSign(Softplus):
    def backward(self, g, x, out):
        return (-g * sigmoid(x),)
