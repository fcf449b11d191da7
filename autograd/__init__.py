"""tracegrad's engine: `Value` (a scalar) and `Tensor` (a NumPy array) nodes, one backward pass.

    >>> from autograd import Value
    >>> x, y = Value(1.0, label="x"), Value(2.0, label="y")
    >>> z = (x + y) ** 2
    >>> z.backward()
    >>> x.grad  # dz/dx = 2(x + y)
    6.0
"""
from .engine import (AccumulationWarning, GradientWarning, backward_order, creation_order,
                     current_scope, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad,
                     scope, topological_order, topological_order_plain, zero_grad)
from .gradcheck import GradcheckReport, gradcheck
from .tensor import Function, Tensor, tensor
from .tensor_ops import (cross_entropy, exp, log, log_softmax, matmul, relu, sigmoid, softmax,
                         sum_to, tanh)
from .value import Value

__all__ = ["Value", "Tensor", "tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled",
           "grad", "scope", "current_scope", "detect_anomaly", "topological_order",
           "topological_order_plain", "creation_order", "backward_order", "zero_grad", "softmax", "log_softmax", "cross_entropy",
           "matmul", "exp", "log", "tanh", "sigmoid", "relu", "GradientWarning",
           "AccumulationWarning", "gradcheck", "GradcheckReport", "sum_to"]

# chapter 7: convolution and max pooling (im2col / col2im as differentiable operations)
from .conv_ops import conv2d, max_pool2d  # noqa: E402

__all__ += ["conv2d", "max_pool2d"]
