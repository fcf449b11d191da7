"""Gradient checking: backpropagation against central differences, as the lecture's gradient_check.

`gradient_check(f, params)` works for any function of Values or Tensors; `mean_abs_diff` gives the
per-parameter numbers the lecture prints (W1:..., b1:..., ...).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from autograd import Tensor, Value, grad, no_grad

from .functions import central_differences, numerical_gradient, warn_if_unreliable
from .module import Module

__all__ = ["numerical_gradient", "gradient_check", "mean_abs_diff", "format_report"]


def _named(params: Any) -> dict[str, Any]:
    if isinstance(params, Module):
        return dict(params.named_parameters())
    if isinstance(params, Mapping):
        return {str(k): v for k, v in params.items()}
    if isinstance(params, (Value, Tensor)):
        return {"0": params}
    return {str(i): p for i, p in enumerate(params)}


def _scalar(out: Any) -> Any:
    """f()'s result as a number that keeps its dtype (float32 stays float32)."""
    if isinstance(out, Value):
        return out.data
    if isinstance(out, Tensor) and out.size == 1:
        return out.data.reshape(())
    raise TypeError(f"gradient_check: f() must return a scalar Value or a one-element Tensor, "
                    f"got {type(out).__name__} {getattr(out, 'shape', '')}".rstrip())


def _central(f: Callable[[], Any], p: Any, h: float) -> tuple[np.ndarray, np.ndarray, float]:
    """(gradient, error, eps) of f() w.r.t. p by `central_differences`, nudging p.data in place
    (a Value's number through a one-element float64 array) and restoring it exactly."""
    def value_of_f() -> Any:
        with no_grad():
            return _scalar(f())

    if isinstance(p, Value):
        original, box = p.data, np.array([p.data], dtype=np.float64)

        def at_box() -> Any:
            p.data = float(box[0])
            return value_of_f()
        try:
            n, error, eps = central_differences(at_box, box, h)
        finally:
            p.data = original
        return n.reshape(()), error, eps
    if not np.issubdtype(p.data.dtype, np.floating):
        raise TypeError(f"gradient_check: a Tensor parameter must hold floats, got {p.data.dtype}")
    return central_differences(value_of_f, p.data, h)


def gradient_check(f: Callable[[], Any], params: Any,
                   h: float = 1e-6) -> dict[str, tuple[float, float]]:
    """name -> (max abs error, max relative error) of autograd's gradient vs central differences.

    f() builds a scalar from `params` (a list or dict of Values/Tensors/Parameters, or a Module).
    The relative error is max|a − n| / max(max|a|, max|n|) per parameter, so entries near zero do
    not blow it up. Parameters' .data are restored bit for bit (also when f raises) and their
    .grad left as they were.

    The central differences are `nn.functions.central_differences`: step h in float64; for
    float32 parameters h is raised to cbrt(eps)·max(1, |p|) and each quotient divided by the
    step actually stored, so a right float32 gradient checks to ~1e-4 (a fixed h = 1e-6 gave
    0.1 to 0.8). f runs in the parameters' own dtype (casting them to float64 would clash with
    f's float32 inputs). Where f's rounding could still move the check by more than 1 % of the
    gradient, an UnreliableGradientWarning says so for that parameter.
    """
    named = _named(params)
    analytic = grad(f(), list(named.values()))  # leaves' .grad are untouched
    report = {}
    for (name, p), a in zip(named.items(), analytic):
        a = np.asarray(a.data if isinstance(a, (Value, Tensor)) else a, dtype=np.float64)
        n, error, eps = _central(f, p, h)
        diff = float(np.max(np.abs(a - n))) if a.size else 0.0
        scale = max(float(np.max(np.abs(a))) if a.size else 0.0,
                    float(np.max(np.abs(n))) if n.size else 0.0)
        warn_if_unreliable(f"gradient_check({name})", error, eps, n)
        report[name] = (diff, diff / scale if scale > 0 else diff)
    return report


def mean_abs_diff(grads_a: Mapping[str, Any], grads_b: Mapping[str, Any]) -> dict[str, float]:
    """The lecture's gradient_check numbers: mean |a − b| per key (keys of grads_a)."""
    return {k: float(np.mean(np.abs(np.asarray(grads_a[k]) - np.asarray(grads_b[k]))))
            for k in grads_a}


def format_report(diffs: Mapping[str, Any]) -> str:
    """One "name:value" line per entry, as the lecture prints them."""
    return "\n".join(f"{k}:{v}" for k, v in diffs.items())
