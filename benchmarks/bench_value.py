"""Scalar engine against micrograd: training step, deep-chain backward, bytes per node.

Run: `python benchmarks/bench_value.py [--rounds 5]` (needs `pip install micrograd`).
Each measurement runs in its own process, alternating ours / micrograd (A B A B): in one process
micrograd's uncollected reference cycles would slow down whatever runs after it.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def value_class(system: str):
    if system == "ours":
        sys.path.insert(0, ROOT)
        from autograd import Value
        return Value
    from micrograd.engine import Value
    return Value


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 1):
    """sklearn's make_moons, rewritten: two interleaved half circles, labels -1/+1."""
    rng = random.Random(seed)
    half = n // 2
    points, labels = [], []
    for i in range(half):
        t = math.pi * i / (half - 1)
        points.append((math.cos(t), math.sin(t)))
        labels.append(-1)
    for i in range(n - half):
        t = math.pi * i / (n - half - 1)
        points.append((1 - math.cos(t), 1 - math.sin(t) - 0.5))
        labels.append(1)
    points = [(x + rng.gauss(0, noise), y + rng.gauss(0, noise)) for x, y in points]
    return points, labels


def make_mlp(Value, sizes, seed: int = 0):
    """micrograd's MLP: a list of layers, each a list of neurons (weights..., bias)."""
    rng = random.Random(seed)
    return [[[Value(rng.uniform(-1, 1)) for _ in range(nin)] + [Value(0.0)]
             for _ in range(nout)] for nin, nout in zip(sizes, sizes[1:])]


def mlp_forward(net, x):
    last = len(net) - 1
    for i, layer in enumerate(net):
        out = []
        for neuron in layer:
            act = sum((w * xi for w, xi in zip(neuron[:-1], x)), neuron[-1])
            out.append(act.relu() if i < last else act)
        x = out
    return x[0]


def task_step(Value, steps: int = 7) -> dict:
    """micrograd's demo step: forward over 100 points, hinge loss + L2, backward, SGD."""
    net = make_mlp(Value, [2, 16, 16, 1])
    params = [p for layer in net for neuron in layer for p in neuron]
    points, labels = two_moons()
    times, nodes = [], 0

    def step():
        inputs = [[Value(a), Value(b)] for a, b in points]
        scores = [mlp_forward(net, x) for x in inputs]
        losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        total = data_loss + reg_loss
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= 0.05 * p.grad
        return total

    for i in range(steps + 1):
        t0 = time.perf_counter()
        loss = step()
        dt = time.perf_counter() - t0
        if i:  # the first step warms up
            times.append(dt)
        if i == 0:
            nodes = count_nodes(loss)
        del loss
    return {"step_s": statistics.median(times), "nodes": nodes}


def count_nodes(root) -> int:
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(getattr(node, "_parents", None) or getattr(node, "_prev", ()))
    return len(seen)


def task_chain(Value, n: int) -> dict:
    """Backward of a chain of n relu nodes (micrograd needs its recursion limit raised)."""
    sys.setrecursionlimit(max(10_000, 3 * n))
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y.relu()
    t0 = time.perf_counter()
    y.backward()
    dt = time.perf_counter() - t0
    assert x.grad == 1.0
    return {"backward_s": dt, "per_link_us": dt / n * 1e6}


def task_memory(Value, n: int = 100_000) -> dict:
    """Bytes per live operation node: a chain y = y * c of n multiplications, kept alive."""
    c = Value(1.0)
    y = Value(1.0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(n):
        y = y * c
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {"bytes_per_node": (after - before) / n}


def worker(system: str, task: str, gc_on: bool, n: int) -> None:
    Value = value_class(system)
    if not gc_on:
        gc.disable()
    if task == "step":
        result = task_step(Value)
    elif task == "chain":
        result = task_chain(Value, n)
    else:
        result = task_memory(Value)
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # skip tearing down a million nodes


def run(system: str, task: str, gc_on: bool = True, n: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--worker", system, task, "on" if gc_on else "off", str(n)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


SYSTEMS = ["ours", "micrograd"]


def measure_steps(rounds: int) -> dict:
    """{(system, "step_gc" | "step_nogc"): [seconds per step, one per round]} and, under
    (system, key, "extra"), the last run's whole result; alternating processes."""
    results: dict = {}
    for key, gc_on in (("step_gc", True), ("step_nogc", False)):
        for _ in range(rounds):
            for system in SYSTEMS:
                r = run(system, "step", gc_on)
                results.setdefault((system, key), []).append(r["step_s"])
                results[(system, key, "extra")] = r
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="A/B rounds per measurement")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        system, task, gc_flag, n = args.worker
        worker(system, task, gc_flag == "on", int(n))
        return
    systems = SYSTEMS
    print(f"python {sys.version.split()[0]}, {args.rounds} alternating rounds per figure (median)")
    results = measure_steps(args.rounds)
    med = {k: statistics.median(v) for k, v in results.items() if len(k) == 2}
    nodes = results[("ours", "step_gc", "extra")]["nodes"]
    print(f"\n(a) training step, MLP [2, 16, 16, 1], 100 two-moons points, ~{nodes} nodes")
    for key, label in (("step_gc", "collector on (as users run it)"),
                       ("step_nogc", "collector off")):
        ours, theirs = med[("ours", key)], med[("micrograd", key)]
        print(f"    {label:32s} ours {ours * 1e3:8.1f} ms   micrograd {theirs * 1e3:8.1f} ms"
              f"   ratio {ours / theirs:.3f}")
    print(f"    ours with collector on / micrograd with collector off: "
          f"{med[('ours', 'step_gc')] / med[('micrograd', 'step_nogc')]:.3f}")

    print("\n(b) backward of a relu chain (per link)")
    chain = {}
    for n in (10**5, 10**6):
        for system in systems if n == 10**5 else ["ours"]:
            vals = []
            for _ in range(max(1, args.rounds // 2)):
                vals.append(run(system, "chain", True, n)["backward_s"])
            chain[(system, n)] = statistics.median(vals)
            print(f"    {system:10s} n={n:>9,d}  {chain[(system, n)]:.3f} s  "
                  f"{chain[(system, n)] / n * 1e6:.2f} us/link")
    print(f"    ours per link / micrograd per link (n=1e5): "
          f"{chain[('ours', 10**5)] / chain[('micrograd', 10**5)]:.3f}")
    print(f"    ours 1e6 / 1e5 time: {chain[('ours', 10**6)] / chain[('ours', 10**5)]:.2f}"
          " (10 is linear)")

    print("\n(c) bytes per live operation node (tracemalloc, chain of 100,000 multiplications)")
    for system in systems:
        print(f"    {system:10s} {run(system, 'memory')['bytes_per_node']:.0f} bytes")


if __name__ == "__main__":
    main()
