"""One epoch of the book's SimpleConvNet (600 steps, batch 100, Adam) with the autograd operations
(conv2d, max_pool2d: engine="autograd") against the book's hand-written im2col layers
(nn/convolution.py: engine="layers"), in the same run. Target: autograd within 1.10× of layers.

Run: `python benchmarks/bench_convnet.py [--steps 600] [--chunk 50] [--threads 1]`.

Both nets start from the same weights and see the same batches (Fashion-MNIST or MNIST if found,
else random images). The epoch is cut into chunks of `--chunk` steps, run alternately by the two
engines (which one goes first alternates too), and each engine's time is the sum of its chunks:
on a shared machine a burst of someone else's work then slows both alike instead of one. At the
end both nets must hold the same weights (to rounding): the two engines took the same steps.

Where the time goes (one step, batch 100, float64, 1 thread, measured once on the 2-core
development machine): the book's Pooling layer takes about 28 ms forward and 9 ms backward, as it
copies every window through im2col, then runs np.argmax and np.max over the copies, and returns
through col2im; max_pool2d compares the four strided slices of each 2×2 window in place and
scatters the gradient straight onto the maxima (about 16 ms for both). The book's Convolution
takes about 10 + 12 ms, conv2d about 5 + 7 ms: its im2col is one strided copy instead of a loop
over the kernel, and the images need no gradient, so it skips their col2im (about 2.5 ms; the
script prints it). The graph itself costs a few microseconds per operation.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from threadpoolctl import threadpool_limits  # noqa: E402

from nn.datasets import DatasetError, load_idx_dir, resolve_dataset  # noqa: E402
from nn.optim import Adam  # noqa: E402
from nn.simple_conv_net import SimpleConvNet  # noqa: E402

ENGINES = ("layers", "autograd")


def images(steps: int, batch: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, str]:
    """steps·batch training images (N, 1, 28, 28) and labels: a real data set if one is found."""
    try:
        name, directory, _ = resolve_dataset("auto")
        (x, t), _ = load_idx_dir(directory, flatten=False, dtype=dtype)
    except DatasetError:
        rng = np.random.default_rng(0)
        return (rng.random((steps * batch, 1, 28, 28)).astype(dtype),
                rng.integers(0, 10, steps * batch), "random images")
    reps = -(-steps * batch // len(x))
    return np.concatenate([x] * reps), np.concatenate([t] * reps), name


def run(steps: int, batch: int, chunk: int, dtype: np.dtype) -> dict[str, float]:
    x, t, source = images(steps, batch, dtype)
    order = np.random.default_rng(1).permutation(len(x))[:steps * batch]
    nets = {e: SimpleConvNet(engine=e, dtype=dtype, seed=0) for e in ENGINES}
    optimizers = {e: Adam(lr=0.001) for e in ENGINES}
    seconds = dict.fromkeys(ENGINES, 0.0)
    print(f"SimpleConvNet, {steps} steps of batch {batch} ({source}), {np.dtype(dtype).name}, "
          f"chunks of {chunk} steps alternating")
    for k, start in enumerate(range(0, steps, chunk)):
        for engine in (ENGINES if k % 2 == 0 else ENGINES[::-1]):
            net, optimizer = nets[engine], optimizers[engine]
            begin = time.perf_counter()
            for i in range(start, min(start + chunk, steps)):
                rows = order[i * batch:(i + 1) * batch]
                grads = net.gradient(x[rows], t[rows])
                optimizer.update(net.params, grads)
            seconds[engine] += time.perf_counter() - begin
    worst = max(float(np.max(np.abs(nets["layers"].params[k] - nets["autograd"].params[k])))
                for k in nets["layers"].params)
    losses = {e: nets[e].last_loss for e in ENGINES}
    print(f"last loss: layers {losses['layers']:.6f}, autograd {losses['autograd']:.6f}; "
          f"largest weight difference after the epoch {worst:.1e}")
    if not worst < 1e-6:
        raise SystemExit(f"the two engines took different steps (weights differ by {worst:.1e}): "
                         "one of them computes a wrong gradient")
    return seconds


def col2im_ms(batch: int, dtype: np.dtype, repeat: int = 20) -> float:
    """Milliseconds of the book's col2im for the first layer's dx (which autograd skips)."""
    from nn.convolution import col2im
    dcol = np.random.default_rng(2).random((batch * 24 * 24, 25)).astype(dtype)
    begin = time.perf_counter()
    for _ in range(repeat):
        col2im(dcol, (batch, 1, 28, 28), 5, 5)
    return 1000 * (time.perf_counter() - begin) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="steps (600: one epoch)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=50, help="steps per alternating chunk")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (1)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads, user_api="blas"):
        seconds = run(args.steps, args.batch, args.chunk, np.dtype(args.dtype))
    for engine in ENGINES:
        print(f"{engine:9s} {seconds[engine]:7.2f} s  ({1000 * seconds[engine] / args.steps:.1f} "
              f"ms/step)")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        skipped = col2im_ms(args.batch, np.dtype(args.dtype))
    print(f"(of the layers' time, {skipped:.1f} ms/step is col2im for the images' dx, which "
          "autograd does not compute: they need no gradient)")
    ratio = seconds["autograd"] / seconds["layers"]
    print(f"autograd / layers = {ratio:.3f}  (target <= 1.10: "
          f"{'met' if ratio <= 1.10 else 'NOT met'})")


if __name__ == "__main__":
    main()
