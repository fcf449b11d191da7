"""Gradient checking: backpropagation against central differences, as the lecture's gradient_check.

`gradient_check(f, params)` works for any function of Values or Tensors; `mean_abs_diff` gives the
per-parameter numbers the lecture prints (W1:..., b1:..., ...).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from autograd import Tensor, Value, grad, no_grad

from .functions import numerical_gradient
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


def _scalar(out: Any) -> float:
    if isinstance(out, Value):
        return out.data
    if isinstance(out, Tensor) and out.size == 1:
        return float(out.data.reshape(()))
    raise TypeError(f"gradient_check: f() must return a scalar Value or a one-element Tensor, "
                    f"got {type(out).__name__} {getattr(out, 'shape', '')}".rstrip())


def _central(f: Callable[[], Any], p: Any, h: float) -> np.ndarray:
    """d f / d p by central differences, nudging p.data in place and restoring it exactly."""
    def at(set_value: Callable[[Any], None], original: Any, delta: float) -> float:
        set_value(original + delta)
        with no_grad():
            return _scalar(f())

    if isinstance(p, Value):
        original = p.data
        try:
            plus = at(lambda v: setattr(p, "data", v), original, h)
            minus = at(lambda v: setattr(p, "data", v), original, -h)
        finally:
            p.data = original
        return np.asarray((plus - minus) / (2 * h))
    data = p.data
    if not np.issubdtype(data.dtype, np.floating):
        raise TypeError(f"gradient_check: a Tensor parameter must hold floats, got {data.dtype}")
    out = np.zeros(data.shape)
    for idx in np.ndindex(data.shape):
        original = data[idx].copy()
        try:
            plus = at(lambda v: data.__setitem__(idx, v), original, h)
            minus = at(lambda v: data.__setitem__(idx, v), original, -h)
        finally:
            data[idx] = original
        out[idx] = (plus - minus) / (2 * h)
    return out


def gradient_check(f: Callable[[], Any], params: Any,
                   h: float = 1e-6) -> dict[str, tuple[float, float]]:
    """name -> (max abs error, max relative error) of autograd's gradient vs central differences.

    f() builds a scalar from `params` (a list or dict of Values/Tensors/Parameters, or a Module).
    The relative error is max|a − n| / max(max|a|, max|n|) per parameter, so entries near zero do
    not blow it up. Parameters' .data are restored and their .grad left as they were.
    """
    named = _named(params)
    analytic = grad(f(), list(named.values()))  # leaves' .grad are untouched
    report = {}
    for (name, p), a in zip(named.items(), analytic):
        a = np.asarray(a.data if isinstance(a, (Value, Tensor)) else a, dtype=np.float64)
        n = _central(f, p, h)
        diff = float(np.max(np.abs(a - n))) if a.size else 0.0
        scale = max(float(np.max(np.abs(a))) if a.size else 0.0,
                    float(np.max(np.abs(n))) if n.size else 0.0)
        report[name] = (diff, diff / scale if scale > 0 else diff)
    return report


def mean_abs_diff(grads_a: Mapping[str, Any], grads_b: Mapping[str, Any]) -> dict[str, float]:
    """The lecture's gradient_check numbers: mean |a − b| per key (keys of grads_a)."""
    return {k: float(np.mean(np.abs(np.asarray(grads_a[k]) - np.asarray(grads_b[k]))))
            for k in grads_a}


def format_report(diffs: Mapping[str, Any]) -> str:
    """One "name:value" line per entry, as the lecture prints them."""
    return "\n".join(f"{k}:{v}" for k, v in diffs.items())
