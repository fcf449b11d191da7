"""The book's helper functions (chapters 3-4), in NumPy: activations, losses, accuracy,
numerical gradient.

These are the book's own functions, kept apart from autograd's on purpose: students read them next
to the book (autograd's one softmax kernel is `autograd.softmax_ops.stable_softmax`).

Changes from the book, all for numerical honesty:
- losses take logs without the book's `+ 1e-7` (it biases the loss and breaks gradient checks);
  `cross_entropy_from_logits` works from log-softmax, so it never takes log(0) at all;
- `sigmoid` never overflows `exp` for large negative inputs;
- labels are checked once, by autograd's `check_targets` (the same shapes everywhere);
- `numerical_gradient` divides by the step actually taken, chooses h for the dtype below
  float64, and warns when rounding makes its answer unreliable.
"""
from __future__ import annotations

import itertools
import math
import warnings
from typing import Any, Callable

import numpy as np

from autograd.softmax_ops import check_targets

__all__ = [
    "softmax",
    "log_softmax",
    "sigmoid",
    "cross_entropy_error",
    "cross_entropy_from_logits",
    "accuracy",
    "numerical_gradient",
    "central_differences",
    "UnreliableGradientWarning",
]

_EPS64 = float(np.finfo(np.float64).eps)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), written so that exp only ever sees non-positive numbers (no overflow)."""
    x = _as_float(x)
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softmax(x: np.ndarray) -> np.ndarray:
    """exp(x) / sum(exp(x)) along the last axis (each row of a batch).

    Subtracting the row's maximum first leaves the result unchanged and keeps exp from overflowing.
    """
    x = _as_float(x)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x: np.ndarray) -> np.ndarray:
    """log(softmax(x)) along the last axis, computed without taking log of a tiny probability."""
    x = _as_float(x)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """The lecture's cross-entropy: -sum(t * log y) averaged over the batch.

    y: probabilities, shape (C,) or (N, C). t: integer labels of shape () / (1,) / (N,), or rows
    of y's shape (one-hot or probabilities); `autograd.softmax_ops.check_targets` raises
    ValueError for any other t and for an empty batch. Unlike the book, no 1e-7 is added inside
    the log: a zero probability for the right answer gives the true loss, inf.
    Given scores, prefer `cross_entropy_from_logits`.
    """
    y = _as_float(y)
    t = _target_rows("cross_entropy_error", y, t)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the honest answer
        log_y = np.log(y)
    return _mean_negative_log_likelihood(log_y, t)


def cross_entropy_from_logits(x: np.ndarray, t: np.ndarray) -> float:
    """cross_entropy_error(softmax(x), t), computed stably from log_softmax(x).

    x: scores (logits), shape (C,) or (N, C); t as in `cross_entropy_error`.
    """
    x = _as_float(x)
    t = _target_rows("cross_entropy_from_logits", x, t)
    return _mean_negative_log_likelihood(log_softmax(x), t)


def accuracy(y: np.ndarray, t: np.ndarray) -> float:
    """Fraction of samples whose highest score (or probability) in y is the right class.

    y: shape (C,) or (N, C). t: integer labels of shape () / (1,) / (N,), or one-hot rows of y's
    shape. Raises ValueError (from `check_targets`) for an empty batch and any other t, e.g.
    (N, 1) labels or float labels, which would otherwise give a silently wrong number.
    """
    y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise ValueError(f"accuracy: scores must have shape (C,) or (N, C), got {y.shape}")
    labels, rows = check_targets("accuracy", y.shape, t, one_hot=True)
    if labels is None:
        labels = np.argmax(rows, axis=-1)
    return float(np.mean(np.argmax(y, axis=-1) == labels))


class UnreliableGradientWarning(RuntimeWarning):
    """A central difference whose rounding error may exceed 1 % of the gradient (float32, or
    float64 at very large values)."""


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       *, h: float = 1e-4) -> np.ndarray:
    """The book's central difference: df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / 2h for every i.

    f is called as f(x), like the book (a lambda that ignores its argument works too, e.g.
    `lambda _: net.loss(x, t)`). x must be a float ndarray of any shape: each element is nudged
    in place and put back exactly afterwards, even if f raises. Returns an array like x.

    In float64 this gives the book's numbers. In float32 the book's h fails twice: x ± h rounds
    (1000 + 1e-4 is stored as 1000.000122, so Σx² at x = [1000, 3] gave [2441.4, 5.994] even with
    f in float64), and f's own rounding eps·|f| is divided by 2h. `central_differences` (see
    there) divides by the step actually stored and chooses h for the dtype; where the estimated
    error (f's rounding, and the step's truncation) still exceeds 1 % of an entry, an
    UnreliableGradientWarning says where and by how much.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a float ndarray x to nudge in place, got "
                        f"{type(x).__name__} {getattr(x, 'dtype', '')}".rstrip())
    grad, error, eps = central_differences(lambda: f(x), x, h)
    warn_if_unreliable("numerical_gradient", error, eps, grad)
    return grad.astype(x.dtype)


def central_differences(f: Callable[[], Any], x: np.ndarray,
                        h: float) -> tuple[np.ndarray, np.ndarray, float]:
    """(gradient, error, eps) of the scalar f() with respect to every entry of the float array x.

    Each entry is set in place to x[i] ± h_i, stored in x's dtype, and restored bit for bit
    afterwards, even if f raises. gradient[i] = (f+ − f−) / (x[i]+ − x[i]−), computed in float64:
    the step actually taken, not 2h. h_i = h in float64 (the book's numbers). In a less precise
    dtype h_i = cbrt(eps)·|x[i]| (cbrt(eps) at 0): the central difference's truncation error
    (~h²·|f‴|/6) and rounding error (~eps·|f|/h) balance at h ~ cbrt(eps) (Numerical Recipes,
    section 5.7), taken relative to |x[i]| so that the step is resolved at any magnitude and stays
    inside the domain of f near 0 (log x at 1e-3). In any dtype h_i is at least 4 units in the
    last place of x[i], so it never rounds to nothing.
    error[i] estimates how far gradient[i] may be off: f's rounding, eps·(|f+| + |f−|) / step,
    with eps the precision of f's result (a NumPy float's dtype; a Python float counts as
    float64), plus, below float64, the difference to a second estimate at twice the step
    (Richardson: |D(2h) − D(h)| / 3), which catches a step too coarse for f (sin(1000x)) and the
    rounding noise of an f computed in float32 that returns a Python float. eps is returned too:
    the coarser of x's and f's precision.
    """
    x_eps = eps = float(np.finfo(x.dtype).eps)
    coarse = eps > _EPS64  # below float64: choose the step, and estimate truncation too
    grad, rounding, truncation = np.zeros(x.shape), np.zeros(x.shape), np.zeros(x.shape)
    floors = (4 * np.abs(np.spacing(x))).tolist()  # 4 units in the last place of each x[i]
    f_eps = _EPS64
    # every index of x in C order, as np.ndindex gives them (product is faster per entry)
    for idx in itertools.product(*map(range, x.shape)):
        original = x[idx]  # a NumPy scalar: a copy, not a view
        value = float(original)
        floor = _entry(floors, idx)
        try:
            if not coarse:
                grad[idx], rounding[idx], f_dtype = _difference(f, x, idx, value, max(h, floor))
            else:
                grad[idx], rounding[idx], f_dtype, truncation[idx] = _best_difference(
                    f, x, idx, value, [max(s, floor) for s in _coarse_steps(value, x_eps)])
        finally:
            x[idx] = original  # restore, whatever happened
        if f_dtype is not None:
            f_eps = max(f_eps, float(np.finfo(f_dtype).eps))
    return grad, f_eps * rounding + truncation, max(x_eps, f_eps)


def _entry(nested: Any, idx: tuple) -> float:
    """nested[i][j]... for idx = (i, j, ...): an entry of an array's .tolist() (a float)."""
    for i in idx:
        nested = nested[i]
    return nested


def _coarse_steps(value: float, eps: float) -> list[float]:
    """The steps tried below float64: cbrt(eps)·max(1, |x|), and for 0 < |x| < 1 also
    cbrt(eps)·|x| (near 0 a step of the order of x itself can leave f's domain or its smooth
    part: 1/x, log x; for a small weight in a loss of order 1 it drowns in f's rounding)."""
    c = float(np.cbrt(eps))
    steps = [c * max(1.0, abs(value))]
    if 0 < abs(value) < 1:
        steps.append(c * abs(value))
    return steps


def _best_difference(f: Callable[[], Any], x: np.ndarray, idx: tuple, value: float,
                     steps: list[float]) -> tuple[float, float, Any, float]:
    """(difference, rounding factor, f's dtype, truncation estimate) at the step whose
    estimated error (f's rounding plus |D(2h) − D(h)| / 3) is smallest; a step at which f
    cannot be evaluated (outside its domain) is skipped, and if none can, the error is raised."""
    best, failure = None, None
    for step in steps:
        try:
            d, r, dtype = _difference(f, x, idx, value, step)
            wide = _difference(f, x, idx, value, 2 * step)[0]
        except (ArithmeticError, ValueError) as error:
            failure = error
            continue
        truncation = abs(wide - d) / 3
        eps = float(np.finfo(dtype).eps) if dtype is not None else _EPS64
        total = eps * r + truncation
        total = total if total == total else math.inf  # nan: f undefined nearby
        if best is None or total < best[0]:
            best = (total, d, r, dtype, truncation)
    if best is None:
        raise failure
    return best[1:]


def _difference(f: Callable[[], Any], x: np.ndarray, idx: tuple, value: float,
                step: float) -> tuple[float, float, Any]:
    """(f+ − f−) / (stored x+ − stored x−), (|f+| + |f−|) / that step, and f's float dtype
    (None for a Python float: float64)."""
    x[idx] = value + step
    up, f_plus = float(x[idx]), f()
    x[idx] = value - step
    down, f_minus = float(x[idx]), f()
    f_dtype = None
    if type(f_plus) is not float or type(f_minus) is not float:  # a NumPy float (its precision
        f_plus, f_minus = np.asarray(f_plus), np.asarray(f_minus)  # counts), or an array of one
        f_dtype = f_plus.dtype if f_plus.dtype.kind == "f" else None
        f_plus, f_minus = float(f_plus), float(f_minus)
    return (f_plus - f_minus) / (up - down), (abs(f_plus) + abs(f_minus)) / (up - down), f_dtype


def warn_if_unreliable(op: str, error: np.ndarray, eps: float, gradient: np.ndarray) -> None:
    """Warn (UnreliableGradientWarning) when an entry's estimated error exceeds 1 % of its size
    (its magnitude, but at least 1 % of the largest entry, so that entries near 0 are judged
    against the gradient's scale). An all-zero float64 gradient does not warn (a parameter f does
    not use, as in the book's checks); in float32 it does, since there f's rounding can swallow
    the whole difference f+ − f−. A nan estimate (f undefined nearby) always warns."""
    error = np.asarray(error, dtype=np.float64)
    gradient = np.abs(np.asarray(gradient, dtype=np.float64))
    scale = float(np.max(gradient, initial=0.0))
    if scale == 0 and eps <= _EPS64 and not np.isnan(error).any():
        return
    size = np.maximum(gradient, 0.01 * scale)
    bad = ~(error <= 0.01 * size)  # nan counts as bad
    if not bad.any():
        return
    ratio = np.where(bad, np.nan_to_num(error, nan=np.inf) / np.maximum(size, 1e-300), -np.inf)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), error.shape))
    entry = f" at entry {worst}" if error.ndim else ""
    warnings.warn(f"{op}: unreliable (eps {eps:.3g}): the central difference{entry} may be off "
                  f"by {float(error[worst]):.3g} where it reads {float(gradient[worst]):.3g} "
                  f"({int(bad.sum())} of {bad.size} entries may be off by more than 1 %); "
                  f"evaluate f in float64, or at smaller values, for a trustworthy check",
                  UnreliableGradientWarning, stacklevel=3)


# --- helpers ---------------------------------------------------------------------------------

def _as_float(x) -> np.ndarray:
    """x as an ndarray; integers and booleans become float64, float32 stays float32."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _target_rows(op: str, y: np.ndarray, t: Any) -> np.ndarray:
    """Targets t for scores y of shape (C,) or (N, C), as rows of y's shape and dtype (integer
    labels become one-hot rows). `check_targets` refuses anything else, naming `op`."""
    if y.ndim not in (1, 2):
        raise ValueError(f"{op}: scores must have shape (C,) or (N, C), got {y.shape}")
    labels, rows = check_targets(op, y.shape, t)
    if labels is None:
        return rows.astype(y.dtype, copy=False)
    return np.eye(y.shape[-1], dtype=y.dtype)[labels]


def _mean_negative_log_likelihood(log_p: np.ndarray, t: np.ndarray) -> float:
    """-sum(t * log_p) / batch_size, where entries with t == 0 count as 0 even if log_p is -inf."""
    batch_size = log_p.shape[0] if log_p.ndim == 2 else 1
    nonzero = t != 0
    return float(-np.sum(t[nonzero] * log_p[nonzero]) / batch_size)
