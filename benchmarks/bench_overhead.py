"""Where the Tensor training step's remaining time goes: the engine's own work per step.

Run: `python benchmarks/bench_overhead.py`. The lecture's step (784-50-10 ReLU net, softmax
cross-entropy) is timed forward and backward, tracegrad against the same formulas by hand in
NumPy, twice: at the benchmark's size (batch 100) and on tiny arrays (batch 2, 3-4-3), where
NumPy's own work is a microsecond per call, so the difference is what tracegrad adds per step
(recording nodes, the backward pass's bookkeeping, the checks for overflow and non-finite
gradients, the label check). Then each operation alone at the real size. In-process timeit,
the best of 7 repeats (the least disturbed), microseconds.
"""
from __future__ import annotations

import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autograd import Tensor, cross_entropy  # noqa: E402


def best(f, number: int) -> float:
    """Microseconds per call: the best of 7 repeats."""
    return min(timeit.repeat(f, number=number, repeat=7)) / number * 1e6


def step_pair(n: int, sizes: tuple, dtype) -> dict:
    """Forward and backward times, ours and by hand, for batch n and layer sizes (in, h, out)."""
    rng = np.random.default_rng(0)
    d_in, d_h, d_out = sizes
    x = rng.random((n, d_in)).astype(dtype)
    labels = rng.integers(0, d_out, n)
    w1 = (0.01 * rng.standard_normal((d_in, d_h))).astype(dtype)
    b1 = np.zeros(d_h, dtype)
    w2 = (0.01 * rng.standard_normal((d_h, d_out))).astype(dtype)
    b2 = np.zeros(d_out, dtype)
    params = [Tensor(p, requires_grad=True) for p in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params

    def ours_forward():
        return cross_entropy((Tensor(x) @ W1 + B1).relu() @ W2 + B2, labels)

    loss = ours_forward()

    def ours_backward():
        loss.backward(retain_graph=True)
        for p in params:
            p.grad = None

    def hand_forward():
        a1 = x @ w1 + b1
        h = np.maximum(a1, 0)
        s = h @ w2 + b2
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        y = e / e.sum(axis=1, keepdims=True)
        return a1, h, y, -np.log(y[np.arange(n), labels]).mean()

    a1, h, y, _ = hand_forward()

    def hand_backward():
        dy = y.copy()
        dy[np.arange(n), labels] -= 1
        dy /= n
        dw2, db2 = h.T @ dy, dy.sum(axis=0)
        dh = dy @ w2.T
        dh[a1 <= 0] = 0
        dw1, db1 = x.T @ dh, dh.sum(axis=0)
        return dw1, db1, dw2, db2

    number = 3000 if n > 10 else 20000
    return {"ours forward": best(ours_forward, number), "hand forward": best(hand_forward, number),
            "ours backward": best(ours_backward, number),
            "hand backward": best(hand_backward, number)}


def operations(dtype) -> dict:
    """Each operation of the step alone at batch 100, with the NumPy call it wraps."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.random((100, 784)).astype(dtype))
    W1 = Tensor((0.01 * rng.standard_normal((784, 50))).astype(dtype), requires_grad=True)
    B1 = Tensor(np.zeros(50, dtype), requires_grad=True)
    a = x @ W1
    s = (a + B1).relu()
    labels = rng.integers(0, 50, 100)
    return {"x @ W1": (best(lambda: x @ W1, 3000), best(lambda: x.data @ W1.data, 3000)),
            "a + B1": (best(lambda: a + B1, 3000), best(lambda: a.data + B1.data, 3000)),
            "relu": (best(lambda: a.relu(), 3000), best(lambda: np.maximum(a.data, 0), 3000)),
            "overflow check of a (100, 50) result": (best(lambda: np.isfinite(a.data).all(),
                                                          3000), 0.0),
            "cross_entropy (100, 50)": (best(lambda: cross_entropy(s, labels), 3000), 0.0)}


def main() -> None:
    for dtype in (np.float64, np.float32):
        print(f"\n{np.dtype(dtype).name}: one training step, microseconds (best of 7)")
        for n, sizes, what in ((100, (784, 50, 10), "batch 100, 784-50-10"),
                               (2, (3, 4, 3), "batch 2, 3-4-3: NumPy's work is ~1 us a call")):
            t = step_pair(n, sizes, dtype)
            extra_f = t["ours forward"] - t["hand forward"]
            extra_b = t["ours backward"] - t["hand backward"]
            print(f"  {what}")
            print(f"    forward   ours {t['ours forward']:7.1f}   by hand {t['hand forward']:7.1f}"
                  f"   tracegrad adds {extra_f:5.1f}")
            print(f"    backward  ours {t['ours backward']:7.1f}   by hand "
                  f"{t['hand backward']:7.1f}   tracegrad adds {extra_b:5.1f}")
            print(f"    per step tracegrad adds {extra_f + extra_b:5.1f} us = "
                  f"{(extra_f + extra_b) * 600 / 1e3:.1f} ms per 600-step epoch")
        print("  operations alone (batch 100): ours / the NumPy call it wraps")
        for name, (ours, raw) in operations(dtype).items():
            shown = f"{raw:6.2f}" if raw else "     -"
            print(f"    {name:38s} {ours:6.2f} / {shown}")


if __name__ == "__main__":
    main()
