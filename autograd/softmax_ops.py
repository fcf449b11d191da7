"""Softmax, log-softmax and the softmax cross-entropy loss on Tensors, forward and backward side
by side (the lecture's Softmax-with-Loss layer, figure 5-30, as one operation)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Function, Tensor, apply
from .tensor_ops import _check_axis, _exp


def stable_softmax(x: np.ndarray, axis: int,
                   top: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(softmax(x), log softmax(x)) along `axis`: the one kernel Softmax, LogSoftmax and
    CrossEntropy share. Subtracting the maximum first changes neither result and keeps exp
    from overflowing; log softmax is x − max − log Σ exp(x − max), never the log of a tiny
    probability. An empty axis gives empty results. `top`, x.max(axis, keepdims=True), may be
    passed by a caller that has it already (CrossEntropy checks it)."""
    if x.shape[axis] == 0:
        return x.copy(), x.copy()
    if top is None:
        top = x.max(axis=axis, keepdims=True)
    shifted = x - top  # (N, C) − (N, 1): the largest is 0
    e = np.exp(shifted)
    total = e.sum(axis=axis, keepdims=True)  # (N, 1)
    return e / total, shifted - np.log(total)


# ---- class targets: the one check every loss and accuracy uses ---------------------------------
def check_targets(op: str, scores_shape: tuple[int, ...], t: Any, *,
                  one_hot: bool = False) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Check class targets `t` against scores of shape (N, C); return (labels, None) or
    (None, rows), the array as given (not converted).

    Accepted: integer labels of shape (N,) in 0..C-1 (PyTorch's class indices), or rows of shape
    (N, C): one-hot, or (unless `one_hot`) probability rows, non-negative and finite, which need
    not sum to 1 (PyTorch's class probabilities). Scores of shape (C,) are one sample (the book's
    single-sample forms): a label of shape () or (1,) (returned with shape ()), or a row (C,).
    A Tensor target is read as its array. nn's losses and accuracy use this same check.

    Raises ValueError, naming `op`, the shapes and dtypes and what is accepted, for: an empty
    batch (N = 0) or no classes (C = 0); labels of another shape ((N, 1), 3-D, another batch
    size); float labels of shape (N,) (cast them to int); booleans; labels outside 0..C-1;
    rows with a negative or non-finite entry, or rows that are not one-hot when `one_hot`.
    """
    if isinstance(t, Tensor):  # integer labels made into a Tensor keep their integers
        t = t._index if t._index is not None else t.data
    t = np.asarray(t)
    single = len(scores_shape) == 1
    n, c = (1, scores_shape[0]) if single else scores_shape
    if n == 0 or c == 0:
        raise ValueError(f"{op}: scores of shape {tuple(scores_shape)} hold "
                         f"{'no samples' if n == 0 else 'no classes'}: a loss or accuracy "
                         f"averaged over them is undefined; pass at least one sample and class")
    label_shapes = ((), (1,)) if single else ((n,),)
    kind = t.dtype.kind
    why = ""
    if kind == "b":
        why = ": booleans are not class labels; cast to int (t.astype(int))"
    elif t.shape in label_shapes and kind in "iu":
        low, high = t.min(), t.max()
        if 0 <= low and high < c:
            return (t.reshape(()) if single else t), None
        why = f": labels from {low} to {high} leave 0..{c - 1}"
    elif t.shape in label_shapes and kind == "f":
        why = ": float labels; cast them to int (t.astype(int))"
    elif t.shape == tuple(scores_shape) and kind in "iuf":
        if not (t.min() >= 0 and t.max() < np.inf):  # nan fails both
            why = ": rows with a negative, infinite or nan entry"
        elif one_hot and not (np.all((t == 0) | (t == 1)) and np.all(t.sum(axis=-1) == 1)):
            why = ": rows that are not one-hot (one 1 per row, the rest 0)"
        else:
            return None, t
    elif t.shape == (n, 1):
        why = ": (N, 1) labels; flatten them to (N,) with t.reshape(-1)"
    elif not single and t.ndim in (1, 2) and t.shape[0] != n:
        why = f": targets for {t.shape[0]} samples, scores for {n}"
    rows = "one-hot" if one_hot else "one-hot or probability (non-negative, finite)"
    accepted = (f"an integer label of shape () or (1,) in 0..{c - 1}, or a {rows} row" if single
                else f"integer labels of shape ({n},) in 0..{c - 1}, or {rows} rows")
    raise ValueError(f"{op}: got {t.dtype} targets of shape {t.shape} for scores of shape "
                     f"{tuple(scores_shape)}{why}. {op} accepts {accepted} of shape "
                     f"{tuple(scores_shape)}")


# ---- softmax and the loss ----------------------------------------------------------------------
class Softmax(Function):
    symbol = "softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x):
        _check_axis("softmax", x.shape, self.axis)
        return stable_softmax(x, self.axis)[0]

    def backward(self, g, x, out):
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    symbol = "log_softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x):
        _check_axis("log_softmax", x.shape, self.axis)
        return stable_softmax(x, self.axis)[1]

    def backward(self, g, x, out):
        return (g - _exp(out) * g.sum(axis=self.axis, keepdims=True),)


class CrossEntropy(Function):
    """Mean over the batch of −Σ_c t·log softmax(x), as PyTorch's cross_entropy (reduction="mean").

    Gradient (PyTorch's, exact for any non-negative rows t): (softmax(x)·Σ_c t − t) / N, which is
    the lecture's (softmax(x) − t) / N (Fig. 5-30) when each row of t sums to 1. A class with
    t = 0 adds 0 to the loss even where its score is −inf (0·log 0 = 0, as in the limit).
    `op` names the operation in error messages. After forward, `saved` is (softmax(x), labels,
    rows, Σ_c t), labels or rows None as `check_targets` returned them (rows in x's dtype).
    """
    symbol = "cross_entropy"

    def __init__(self, target: Any, op: str = "cross_entropy") -> None:
        self.target = target
        self.op = op

    def forward(self, x):  # scores (N, C) → the mean loss, shape ()
        if x.ndim != 2:
            raise ValueError(f"{self.op}: scores must have shape (N, C), got {x.shape}")
        labels, rows = check_targets(self.op, x.shape, self.target)
        n = x.shape[0]
        top = x.max(axis=1, keepdims=True)
        if not np.isfinite(top).all():  # a row of only -inf, or a nan or +inf score
            row = int(np.flatnonzero(~np.isfinite(top))[0])
            raise ValueError(f"{self.op}: row {row} of the scores {x.shape} has no finite "
                             f"maximum ({top[row, 0]}): every score is -inf, or one is nan or "
                             "+inf; softmax is undefined there")
        probs, log_probs = stable_softmax(x, 1, top)  # (N, C) each
        mass = None
        if labels is not None:  # the fast path: pick each row's label, (N,)
            picked = log_probs[np.arange(n), labels]
        else:
            rows = rows.astype(x.dtype, copy=False)
            picked = rows * np.where(rows != 0, log_probs, 0)  # t = 0 at a −inf score: 0, not nan
            mass = rows.sum(axis=1, keepdims=True)  # Σ_c t per row: 1 for probability rows
        self.saved = (probs, labels, rows, mass)
        return np.asarray(-picked.sum() / n)

    def backward(self, g, x, out):  # g: shape () → the gradient of the scores, (N, C)
        probs, labels, rows, mass = self.saved
        n = x.shape[0]
        if isinstance(x, Tensor):  # recorded pass: softmax as a Tensor op, differentiable again
            probs = x.softmax(axis=1)
        elif labels is not None:
            # fast: never build the one-hot rows; subtract 1 at each row's label, in place
            d = probs.copy()  # (N, C)
            d[np.arange(n), labels] -= 1
            d *= g / n
            return (d,)
        # plain (the tests' oracle for the fast path): (softmax(x)·Σ_c t − t) / N
        if labels is not None:
            rows, mass = np.eye(x.shape[1], dtype=x.dtype)[labels], 1.0  # one-hot, (N, C)
        return ((probs * mass - rows) * (g / n),)


# ---- the functions, as the package exports them ------------------------------------------------
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed without overflow."""
    return apply(Softmax(axis), x)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) computed stably (x − max − log Σ exp(x − max))."""
    return apply(LogSoftmax(axis), x)


def cross_entropy(scores: Tensor, target: Any) -> Tensor:
    """Softmax cross-entropy of scores (N, C), averaged over the batch (the lecture's
    SoftmaxWithLoss; PyTorch's F.cross_entropy with reduction="mean").

    target: integer labels (N,) in 0..C-1 (the fast path), or rows (N, C) of one-hot labels or
    class probabilities (non-negative; a row need not sum to 1: the gradient
    (softmax·Σ_c t − t) / N is exact for any such row, as in PyTorch). Raises ValueError for
    scores that are not 2-D, an empty batch, and any other target (see `check_targets`).
    """
    return apply(CrossEntropy(target), scores)
