"""tracegrad's engine: `Value` (a scalar) and `Tensor` (a NumPy array) nodes, one backward pass."""
from .engine import (detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, scope,
                     topological_order, zero_grad)
from .value import Value

__all__ = ["Value", "no_grad", "enable_grad", "is_grad_enabled", "grad", "scope",
           "detect_anomaly", "topological_order", "zero_grad"]
