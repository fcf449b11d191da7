"""The book's optimizer comparison (section 6.1.7): the paths of SGD, Momentum, AdaGrad and Adam on
f(x, y) = x²/20 + y² from (-7, 2), 30 steps each with the book's learning rates 0.95, 0.1, 1.5
and 0.3 (figure 6-8), then their loss curves training the book's MultiLayerNet(784, [100]*4, 10)
on (Fashion-)MNIST, batch 128, learning rates 0.01, 0.01, 0.01 and 0.001 (figure 6-9; the book
runs 2000 iterations, the default here is a short 500).

The optimizers are nn.optim's, which follow torch.optim: Momentum keeps lr out of the velocity
(the same steps as the book's at a constant lr) and Adam adds eps to the bias-corrected sqrt(v)
(the book: to the uncorrected one), so the paths match the book's figure up to that eps.
Without a data set only the paths are drawn.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from nn import optim
from nn.datasets import DatasetError, load_idx_dir, random_batch, resolve_dataset
from nn.multi_layer_net import MultiLayerNet

from .common import DemoResult, integer, parse_args, run_script, save_figures
from .training import _progress, _say, run_options

START = (-7.0, 2.0)
STEPS = 30
# the book's optimizer_compare_naive.py and optimizer_compare_mnist.py
PATH_OPTIMIZERS: dict[str, Callable[[], optim.Optimizer]] = {
    "SGD": lambda: optim.SGD(lr=0.95),
    "Momentum": lambda: optim.Momentum(lr=0.1),
    "AdaGrad": lambda: optim.AdaGrad(lr=1.5),
    "Adam": lambda: optim.Adam(lr=0.3),
}
MNIST_OPTIMIZERS: dict[str, Callable[[], optim.Optimizer]] = {
    "SGD": lambda: optim.SGD(lr=0.01),
    "Momentum": lambda: optim.Momentum(lr=0.01),
    "AdaGrad": lambda: optim.AdaGrad(lr=0.01),
    "Adam": lambda: optim.Adam(lr=0.001),
}
COLORS = {"SGD": "tab:blue", "Momentum": "tab:orange", "AdaGrad": "tab:green", "Adam": "tab:red"}


def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The book's eq. 6.2: f(x, y) = x²/20 + y², steep in y, shallow in x."""
    return x ** 2 / 20.0 + y ** 2


def df(x: float, y: float) -> tuple[float, float]:
    """(∂f/∂x, ∂f/∂y) = (x/10, 2y)."""
    return x / 10.0, 2.0 * y


def path(optimizer: optim.Optimizer, steps: int = STEPS) -> np.ndarray:
    """The points (steps + 1, 2) the optimizer visits from START, updating params['x'], ['y']
    through the book's update(params, grads)."""
    params = {"x": np.array(START[0]), "y": np.array(START[1])}
    points = [START]
    for _ in range(steps):
        gx, gy = df(float(params["x"]), float(params["y"]))
        optimizer.update(params, {"x": np.array(gx), "y": np.array(gy)})
        points.append((float(params["x"]), float(params["y"])))
    return np.array(points)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="auto", choices=["auto", "mnist", "fashion-mnist"])
    parser.add_argument("--data-dir", default=None, help="a directory holding the IDX files")
    parser.add_argument("--iters", type=integer(1), default=500,
                        help="training iterations per optimizer (500; the book: 2000)")
    parser.add_argument("--batch-size", type=integer(1), default=128, help="batch size (128)")
    parser.add_argument("--hidden", type=integer(1), default=100, help="units per layer (100)")
    parser.add_argument("--layers", type=integer(1), default=4, help="hidden layers (4)")
    parser.add_argument("--seed", type=integer(0), default=0, help="weights and batches (0)")
    run_options(parser)


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Draw the paths, train with each optimizer, draw the loss curves; see the docstring."""
    args = parse_args(__doc__, argv, out_dir, _options)
    paths = {name: path(make()) for name, make in PATH_OPTIMIZERS.items()}
    numbers: dict[str, Any] = {"start": START, "steps": STEPS, "paths": {}}
    for name, points in paths.items():
        x, y = points[-1]
        numbers["paths"][name] = {"lr": PATH_OPTIMIZERS[name]().lr, "x": x, "y": y,
                                  "f": float(f(x, y))}
        print(f"{name:8s} lr {numbers['paths'][name]['lr']:<5g} after {STEPS} steps: "
              f"({x:+.4f}, {y:+.4f}), f = {f(x, y):.3g}")
    files = save_figures(_plot_paths(paths), args.out, "optimizer_paths")

    try:
        name, directory, reason = resolve_dataset(args.dataset, args.data_dir)
    except DatasetError as e:
        print(f"no data set, so no loss curves: {e}", file=sys.stderr)
        numbers["dataset"] = None
    else:
        print(f"dataset: {name} ({reason})")
        curves = _train_all(args, directory)
        numbers.update(dataset=name, iterations=args.iters, layers=args.layers,
                       hidden=args.hidden, batch_size=args.batch_size,
                       final_loss={k: _tail_mean(v) for k, v in curves["loss"].items()},
                       test_acc=curves["test_acc"], seconds=curves["seconds"])
        fig = _plot_losses(curves["loss"], name)
        files += save_figures(fig, args.out, "optimizer_mnist")
    for p in files:
        print(f"wrote {p}")
    return DemoResult(files, numbers)


def _tail_mean(losses: Sequence[float]) -> float:
    """The mean loss over the last 10 % of the iterations (at least one)."""
    n = max(1, len(losses) // 10)
    return float(np.mean(losses[-n:]))


def _train_all(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    """Each optimizer trains its own copy of the same initial net on the same batches."""
    (x_train, t_train), (x_test, t_test) = load_idx_dir(directory, normalize=True)
    sizes = [args.hidden] * args.layers
    losses: dict[str, list[float]] = {}
    test_acc: dict[str, float] = {}
    start = time.perf_counter()
    with threadpool_limits(limits=args.threads or None, user_api="blas"):
        for name, make in MNIST_OPTIMIZERS.items():
            net = MultiLayerNet(x_train.shape[1], sizes, 10, seed=args.seed)
            optimizer = make()
            rng = np.random.default_rng(args.seed + 1)  # the same batches for all four
            losses[name] = []
            bar = _progress(range(args.iters), args.iters, args.progress)
            for _ in bar:
                x_batch, t_batch = random_batch(x_train, t_train, args.batch_size, rng)
                grads = net.gradient(x_batch, t_batch)
                losses[name].append(float(net.last_layer.loss))
                optimizer.update(net.params, grads)
            if hasattr(bar, "close"):
                bar.close()
            test_acc[name] = net.accuracy(x_test, t_test)
            _say(bar, f"{name:8s} loss {losses[name][0]:.4f} -> {_tail_mean(losses[name]):.4f} "
                      f"(mean of the last 10 %), test acc {test_acc[name]:.4f}")
    return {"loss": losses, "test_acc": test_acc, "seconds": time.perf_counter() - start}


def _plot_paths(paths: dict[str, np.ndarray]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    gx, gy = np.meshgrid(np.arange(-10, 10, 0.05), np.arange(-5, 5, 0.05))
    z = f(gx, gy)
    for ax, (name, points) in zip(axes.ravel(), paths.items()):
        ax.contour(gx, gy, z, levels=np.geomspace(0.05, 30, 12), colors="0.75", linewidths=0.8)
        ax.plot(points[:, 0], points[:, 1], "o-", color="red", markersize=3, linewidth=1)
        ax.plot(0, 0, "+", color="black", markersize=10)
        lr = PATH_OPTIMIZERS[name]().lr
        ax.set(xlim=(-10, 10), ylim=(-5, 5), xlabel="x", ylabel="y",
               title=f"{name} (lr {lr:g}): {len(points) - 1} steps")
    fig.suptitle(f"f(x, y) = x²/20 + y² from {START} (book figure 6-8)")
    return fig


def _plot_losses(losses: dict[str, list[float]], dataset: str) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    for name, values in losses.items():
        values = np.asarray(values)
        ax.plot(values, color=COLORS[name], alpha=0.2, linewidth=0.6)
        window = min(20, len(values))
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window - 1, len(values)), smooth, color=COLORS[name],
                label=f"{name} (lr {MNIST_OPTIMIZERS[name]().lr:g})")
    ax.set(xlabel="iteration", ylabel="loss", ylim=(0, None),
           title=f"MultiLayerNet on {dataset}: batch loss (pale) and its mean over 20 iterations")
    ax.legend()
    return fig


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the comparison (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    run_script(main)
