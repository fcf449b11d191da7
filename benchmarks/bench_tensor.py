"""One epoch of the lecture's 784-50-10 ReLU net (600 steps, batch 100, SGD) per system.

Run: `python benchmarks/bench_tensor.py [--rounds 3]`. Systems: tracegrad's Tensor ops, the same
step written by hand in NumPy (the target), PyTorch CPU (2 threads) and DeZero, each in its own
process, alternating, in float64 and float32, and float64 again with one BLAS thread. Prints
seconds per epoch and ratios to NumPy.

The users' case: real Fashion-MNIST (Debian's dataset-fashion-mnist; random data of the same
shape, said so, where it is missing), batches drawn by a seeded permutation (a gathered copy per
step, as a training loop makes), BLAS at its default thread count.
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
STEPS, BATCH, LR = 600, 100, 0.1


def make_data(dtype):
    """(x, t, order, w1, b1, w2, b2): training images and labels, the batch order, weights."""
    rng = np.random.default_rng(0)
    x, t = training_set()
    x, order = x.astype(dtype), rng.permutation(len(x))[:STEPS * BATCH]
    w1 = (0.01 * rng.standard_normal((784, 50))).astype(dtype)
    w2 = (0.01 * rng.standard_normal((50, 10))).astype(dtype)
    return x, t, order, w1, np.zeros(50, dtype), w2, np.zeros(10, dtype)


def training_set() -> tuple:
    """Fashion-MNIST's 60,000 training images (scaled to [0, 1]) and labels, or random data."""
    sys.path.insert(0, ROOT)
    from nn.datasets import FASHION_MNIST_DIR, load_idx_dir
    if FASHION_MNIST_DIR.is_dir():
        (x, t), _ = load_idx_dir(FASHION_MNIST_DIR, normalize=True, one_hot_label=False)
        return x, t.astype(np.int64)
    rng = np.random.default_rng(1)
    return rng.random((60000, 784)), rng.integers(0, 10, 60000)


def batch(x, t, order, i):
    """The i-th batch of the permutation: gathered copies, as a shuffling training loop makes."""
    idx = order[i * BATCH:(i + 1) * BATCH]
    return x[idx], t[idx]


def epoch_numpy(x, t, order, w1, b1, w2, b2) -> float:
    """The forward and backward formulas of chapter 5, by hand."""
    for i in range(STEPS):
        xb, tb = batch(x, t, order, i)
        a1 = xb @ w1 + b1
        h = np.maximum(a1, 0)
        s = h @ w2 + b2
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        y = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(y[np.arange(BATCH), tb]).mean()
        dy = y.copy()
        dy[np.arange(BATCH), tb] -= 1
        dy /= BATCH
        dw2, db2 = h.T @ dy, dy.sum(axis=0)
        dh = dy @ w2.T
        dh[a1 <= 0] = 0
        dw1, db1 = xb.T @ dh, dh.sum(axis=0)
        w1 -= LR * dw1
        b1 -= LR * db1
        w2 -= LR * dw2
        b2 -= LR * db2
    return float(loss)


def epoch_ours(x, t, order, w1, b1, w2, b2) -> float:
    from autograd import Tensor, cross_entropy
    params = [Tensor(p, requires_grad=True) for p in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params
    for i in range(STEPS):
        xb, tb = batch(x, t, order, i)
        loss = cross_entropy((Tensor(xb) @ W1 + B1).relu() @ W2 + B2, tb)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
    return loss.item()


def epoch_torch(x, t, order, w1, b1, w2, b2) -> float:
    import torch
    torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", "2")))
    params = [torch.tensor(p, requires_grad=True) for p in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params
    X, T, O = torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(order)
    for i in range(STEPS):
        idx = O[i * BATCH:(i + 1) * BATCH]
        loss = torch.nn.functional.cross_entropy(torch.relu(X[idx] @ W1 + B1) @ W2 + B2, T[idx])
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
    return loss.item()


def epoch_dezero(x, t, order, w1, b1, w2, b2) -> float:
    import dezero
    import dezero.functions as F
    params = [dezero.Parameter(p) for p in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params
    for i in range(STEPS):
        xb, tb = batch(x, t, order, i)
        loss = F.softmax_cross_entropy(F.linear(F.relu(F.linear(xb, W1, B1)), W2, B2), tb)
        for p in params:
            p.cleargrad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data
    return float(loss.data)


SYSTEMS = {"numpy": epoch_numpy, "tracegrad": epoch_ours, "torch": epoch_torch,
           "dezero": epoch_dezero}


def import_system(system: str) -> None:
    """Import outside the timed region (torch alone takes seconds to import)."""
    if system == "tracegrad":
        sys.path.insert(0, ROOT)
        import autograd  # noqa: F401
    elif system == "torch":
        import torch  # noqa: F401
    elif system == "dezero":
        np.int = int  # DeZero 0.0.13 still uses np.int, which NumPy 2 removed
        import dezero  # noqa: F401


def worker(system: str, dtype: str) -> None:
    import_system(system)
    data = make_data(np.dtype(dtype))
    t0 = time.perf_counter()
    loss = SYSTEMS[system](*data)
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "loss": loss, "w1_dtype": str(data[3].dtype)}))


CONFIGS = (("float64", False, "float64, BLAS default threads"),
           ("float32", False, "float32, BLAS default threads"),
           ("float64", True, "float64, one BLAS thread"))


def measure(rounds: int, systems: list, configs=CONFIGS) -> dict:
    """{title: {system: [seconds per epoch, one per round]}} and the last losses, each run in
    its own process, the systems alternating within each round."""
    one_thread = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                      MKL_NUM_THREADS="1")
    results: dict = {}
    for dtype, single, title in configs:
        times: dict = {s: [] for s in systems}
        losses: dict = {}
        for _ in range(rounds):
            for system in systems:
                out = subprocess.run([sys.executable, __file__, "--worker", system, dtype],
                                     capture_output=True, text=True,
                                     env=one_thread if single else None)
                if out.returncode != 0:
                    print(f"  {system}: failed: {out.stderr.strip().splitlines()[-1:]}")
                    continue
                r = json.loads(out.stdout.strip().splitlines()[-1])
                times[system].append(r["seconds"])
                losses[system] = r["loss"]
        results[title] = {"times": times, "losses": losses}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--systems", default="numpy,tracegrad,torch,dezero")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    systems = args.systems.split(",")
    print(f"epoch = {STEPS} steps of batch {BATCH}, 784-50-10 ReLU, softmax CE, SGD lr {LR}; "
          f"median of {args.rounds} alternating rounds, each run in its own process")
    for title, result in measure(args.rounds, systems).items():
        times, losses = result["times"], result["losses"]
        base = statistics.median(times["numpy"])
        print(f"\n{title}:")
        for system in systems:
            if times[system]:
                med = statistics.median(times[system])
                runs = ", ".join(f"{t:.3f}" for t in times[system])
                print(f"  {system:10s} {med:6.3f} s/epoch   {med / base:5.2f}x numpy by hand"
                      f"   last loss {losses[system]:.6f}   (rounds: {runs})")


if __name__ == "__main__":
    main()
