"""The lecture's gradient check: the numerical gradient of TwoLayerNet(784, 50, 10) on 3 samples
(39,760 parameters, 79,520 forward passes), tracegrad's against the book's loop by hand in NumPy.

Run: `python benchmarks/bench_numerical.py [--rounds 3]`. Each system runs in its own process,
alternating; prints seconds and the ratio to the by-hand loop (target <= 1.10x).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data():
    rng = np.random.default_rng(0)
    x = rng.random((3, 784))
    t = np.eye(10)[rng.integers(0, 10, 3)]
    params = {"W1": 0.01 * rng.standard_normal((784, 50)), "b1": np.zeros(50),
              "W2": 0.01 * rng.standard_normal((50, 10)), "b2": np.zeros(10)}
    return x, t, params


def by_hand(x, t, params) -> dict:
    """The book's numerical_gradient and TwoLayerNet.loss, written out (float64, h = 1e-4)."""
    def loss() -> float:
        a1 = x @ params["W1"] + params["b1"]
        z1 = np.maximum(a1, 0)
        a2 = z1 @ params["W2"] + params["b2"]
        a2 = a2 - a2.max(axis=1, keepdims=True)
        y = np.exp(a2) / np.exp(a2).sum(axis=1, keepdims=True)
        return -np.sum(t * np.log(y + 1e-7)) / x.shape[0]

    grads = {}
    h = 1e-4
    for key, p in params.items():
        g = np.zeros_like(p)
        it = np.nditer(p, flags=["multi_index"])
        while not it.finished:
            idx = it.multi_index
            keep = p[idx]
            p[idx] = keep + h
            up = loss()
            p[idx] = keep - h
            down = loss()
            p[idx] = keep
            g[idx] = (up - down) / (2 * h)
            it.iternext()
        grads[key] = g
    return grads


def ours(x, t, params) -> dict:
    from nn import TwoLayerNet
    net = TwoLayerNet(784, 50, 10, seed=0)
    for key in params:
        net.params[key][...] = params[key]
    return net.numerical_gradient(x, t)


def worker(system: str) -> None:
    sys.path.insert(0, ROOT)
    import nn  # noqa: F401  (imported outside the timed region)
    x, t, params = data()
    t0 = time.perf_counter()
    grads = {"numpy": by_hand, "tracegrad": ours}[system](x, t, params)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "W1_sum": float(np.abs(grads["W1"]).sum())}))


def measure(rounds: int) -> dict:
    """{"numpy": [seconds, one per round], "tracegrad": [...]}, alternating processes."""
    times: dict = {"numpy": [], "tracegrad": []}
    for _ in range(rounds):
        for system in times:
            out = subprocess.run([sys.executable, __file__, "--worker", system],
                                 capture_output=True, text=True, check=True)
            times[system].append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    times = measure(args.rounds)
    base = statistics.median(times["numpy"])
    print(f"numerical gradient of TwoLayerNet(784, 50, 10) on 3 samples; median of {args.rounds}")
    for system, ts in times.items():
        med = statistics.median(ts)
        runs = ", ".join(f"{s:.2f}" for s in ts)
        print(f"  {system:10s} {med:6.2f} s   {med / base:5.2f}x by hand   (runs: {runs})")


if __name__ == "__main__":
    main()
