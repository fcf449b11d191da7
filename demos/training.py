"""What the training demos share (train_two_layer_net, train_convnet, and the progress bar of
optimizer_compare and overfit): the optimizers by name, the result of a run, the command-line
options of a run, the loop (random batch, gradient by backprop, update; accuracies once per
epoch; a loss that becomes nan or inf stops it), the progress bar, the closing lines and the
loss-and-accuracy figure.
"""
from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
from threadpoolctl import threadpool_limits

from nn import optim
from nn.datasets import random_batch
from nn.monitor import Monitor

from .common import DemoError, integer, save_figures

OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.Momentum, "nesterov": optim.Nesterov,
              "adagrad": optim.AdaGrad, "rmsprop": optim.RMSprop, "adam": optim.Adam}


class TrainingDiverged(DemoError):
    """The loss became nan or inf: the learning rate is too large for this run."""


@dataclass
class TrainingResult:
    """What a run produced: per-iteration losses, per-epoch accuracies, final ones, files."""

    dataset: str
    losses: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)  # the iteration each accuracy was taken at
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    final_train: float = 0.0
    final_test: float = 0.0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)
    monitor: Monitor | None = None  # what nn.Monitor recorded during training

    def monitor_numbers(self) -> dict[str, Any]:
        """The monitor's first and last records of the first weight (for captions), or {}."""
        if self.monitor is None or not self.monitor.records:
            return {}
        first, last = self.monitor.records[0], self.monitor.records[-1]
        name = next(iter(first.grad_norm))
        return {"records": len(self.monitor.records), "first_step": first.step,
                "last_step": last.step, "param": name,
                "grad": (first.grad_norm[name], last.grad_norm[name]),
                "ratio": (first.update_ratio[name], last.update_ratio[name])}


def data_options(parser: argparse.ArgumentParser) -> None:
    """--dataset and --data-dir."""
    parser.add_argument("--dataset", default="auto", choices=["auto", "mnist", "fashion-mnist"],
                        help="auto: MNIST if found or downloadable, else Fashion-MNIST")
    parser.add_argument("--data-dir", default=None,
                        help="a directory holding the four IDX files (only this one is used)")


def run_options(parser: argparse.ArgumentParser) -> None:
    """--threads and --progress."""
    parser.add_argument("--threads", type=integer(0), default=1,
                        help="BLAS threads while training (1; 0 leaves them as they are)")
    parser.add_argument("--progress", default="auto", choices=["auto", "on", "off"],
                        help="the progress bar on stderr (auto: only on a terminal)")


def _progress(iterable: Iterable[int], total: int, mode: str) -> Any:
    """tqdm over `iterable` on stderr (auto: only on a terminal); the plain iterable without tqdm."""
    if mode == "off":
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, file=sys.stderr, disable=None if mode == "auto" else False,
                unit="it", dynamic_ncols=True)


def _say(bar: Any, line: str) -> None:
    """Print a line to stdout without tearing the progress bar."""
    if hasattr(bar, "write"):
        bar.write(line, file=sys.stdout)
    else:
        print(line, flush=True)


def fit(network: Any, optimizer: optim.Optimizer, train_set: tuple[np.ndarray, np.ndarray],
        test_set: tuple[np.ndarray, np.ndarray], rng: np.random.Generator,
        result: TrainingResult, args: argparse.Namespace, **options: Any) -> None:
    """`train` with args' iterations, batch size and progress bar under args.threads BLAS
    threads, then the final accuracies on the whole sets; sets result.final_train, final_test
    and seconds."""
    start = time.perf_counter()
    result.monitor = Monitor(every=max(1, args.iters // 100))  # about 100 records per run
    result.monitor.watch(network)
    try:
        with threadpool_limits(limits=args.threads or None, user_api="blas"):
            train(network, optimizer, train_set, test_set, rng, result, iters=args.iters,
                  batch_size=args.batch_size, progress=args.progress, monitor=result.monitor,
                  **options)
            result.final_train = network.accuracy(*train_set)
            result.final_test = network.accuracy(*test_set)
    finally:
        result.monitor.unwatch()
    result.seconds = time.perf_counter() - start


def train(network: Any, optimizer: optim.Optimizer, train_set: tuple[np.ndarray, np.ndarray],
          test_set: tuple[np.ndarray, np.ndarray], rng: np.random.Generator, result: TrainingResult,
          *, iters: int, batch_size: int, batch_loss: Callable[[Any, np.ndarray, np.ndarray], float],
          eval_samples: int = 0, progress: str = "auto", monitor: Monitor | None = None) -> None:
    """The lecture's (and the book's) loop: random batch, gradient by backprop, update; accuracies
    once per epoch on the first `eval_samples` samples of each set (0: all). `batch_loss(network,
    x_batch, t_batch)` is the batch's loss once `network.gradient` has run.

    Appends to result.losses (every iteration) and result.epochs/train_acc/test_acc; `monitor`
    (an nn.Monitor) records the gradients and updates on its due steps. Raises TrainingDiverged,
    naming the iteration, as soon as a loss is nan or inf.
    """
    (x_train, t_train), (x_test, t_test) = train_set, test_set
    part = slice(None) if eval_samples == 0 else slice(eval_samples)
    iter_per_epoch = max(x_train.shape[0] / batch_size, 1)
    bar = _progress(range(iters), iters, progress)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence: see below
        for i in bar:
            x_batch, t_batch = random_batch(x_train, t_train, batch_size, rng)
            try:
                grads = network.gradient(x_batch, t_batch)  # backpropagation
                loss = batch_loss(network, x_batch, t_batch)
            except ArithmeticError as e:  # the autograd engine refuses results that overflow
                _diverged(bar, i, optimizer, str(e))
            if not np.isfinite(loss):
                _diverged(bar, i, optimizer, f"the loss is {float(loss)}")
            with monitor.step(i, network.params, grads) if monitor else nullcontext():
                optimizer.update(network.params, grads)
            if not all(np.isfinite(p).all() for p in network.params.values()):
                _diverged(bar, i, optimizer, "the update made the weights overflow")
            result.losses.append(float(loss))
            if i == 0 or int(i / iter_per_epoch) != int((i - 1) / iter_per_epoch):  # an epoch begins
                train_acc = network.accuracy(x_train[part], t_train[part])
                test_acc = network.accuracy(x_test[part], t_test[part])
                result.epochs.append(i)
                result.train_acc.append(train_acc)
                result.test_acc.append(test_acc)
                _say(bar, f"epoch {len(result.epochs) - 1:2d} (iteration {i:5d}): loss {loss:.4f}  "
                          f"train acc {train_acc:.4f}  test acc {test_acc:.4f}")
    if hasattr(bar, "close"):
        bar.close()


def _diverged(bar: Any, i: int, optimizer: optim.Optimizer, why: str) -> None:
    """Stop the run: raise TrainingDiverged naming the iteration and a smaller learning rate."""
    if hasattr(bar, "close"):
        bar.close()
    raise TrainingDiverged(f"training diverged at iteration {i}: {why}. The learning rate "
                           f"{optimizer.lr:g} is too large: try a smaller one, e.g. "
                           f"--lr {optimizer.lr / 10:g}")


def report(result: TrainingResult) -> None:
    """The closing lines: the time, one 'wrote PATH' per file, `final: train acc … test acc …`."""
    print(f"trained in {result.seconds:.1f} s")
    for path in result.files:
        print(f"wrote {path}")
    print(f"final: train acc {result.final_train:.4f} test acc {result.final_test:.4f}")


def plot_monitor(result: TrainingResult, out: Path, stem: str, net: str) -> list[Path]:
    """What nn.Monitor saw during training (gradient norms, update ratios, histograms of
    activations and gradients over time): `stem`_monitor.png and .svg; [] without records."""
    if result.monitor is None or not result.monitor.records:
        return []
    fig = result.monitor.plot(title=f"nn.Monitor: {net} on {result.dataset},\n"
                                    f"every {result.monitor.every} iterations")
    return save_figures(fig, out, f"{stem}_monitor")


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot(result: TrainingResult, out: Path, stem: str, net: str, epochs: np.ndarray,
         train_acc: list[float], test_acc: list[float]) -> list[Path]:
    """Loss per iteration (and its moving average) beside the accuracies `train_acc`, `test_acc`
    at `epochs`; titled `net` on the data set with the final accuracies; .png and .svg."""
    plt = pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    losses = np.asarray(result.losses)
    ax_loss.plot(losses, color="tab:blue", alpha=0.3, linewidth=0.7, label="batch loss")
    window = min(100, len(losses))
    if window > 1:
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax_loss.plot(np.arange(window - 1, len(losses)), smooth, color="tab:blue",
                     label=f"mean of {window}")
    ax_loss.set(xlabel="iteration", ylabel="loss", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, train_acc, marker="o", label="train acc")
    ax_acc.plot(epochs, test_acc, marker="s", linestyle="--", label="test acc")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="accuracy")
    ax_acc.legend(loc="lower right")
    fig.suptitle(f"{net} on {result.dataset}: final train {result.final_train:.4f}, "
                 f"test {result.final_test:.4f}")
    fig.tight_layout()
    paths = save_figures(fig, out, stem)
    plt.close(fig)
    return paths
