"""The lecture's train_neuralnet: TwoLayerNet(784, 50, 10) learns (Fashion-)MNIST by backprop,
batch 100, learning rate 0.1, 10,000 iterations of SGD on random batches. Prints train and test
accuracy once per epoch, plots loss and accuracy, saves the weights, and ends with the line
`final: train acc 0.xxxx test acc 0.xxxx`. A loss that becomes nan or inf stops the run.

The data set is named by what the files hold (see nn.datasets.identify): Fashion-MNIST files given
with --data-dir are reported as fashion-mnist; a --data-dir without the four IDX files is an error.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

import nn
from nn import optim
from nn.datasets import load_idx_dir, random_batch, resolve_dataset

from .common import DemoError, integer, parse_args, real, run_script, save_figure

OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.Momentum, "nesterov": optim.Nesterov,
              "adagrad": optim.AdaGrad, "rmsprop": optim.RMSprop, "adam": optim.Adam}
WEIGHTS_FILE = "two_layer_net_weights.npz"
PLOT_FILE = "training"  # .png and .svg


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


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="auto", choices=["auto", "mnist", "fashion-mnist"],
                        help="auto: MNIST if found or downloadable, else Fashion-MNIST")
    parser.add_argument("--data-dir", default=None,
                        help="a directory holding the four IDX files (only this one is used)")
    parser.add_argument("--iters", type=integer(1), default=10_000, help="iterations (10000)")
    parser.add_argument("--batch-size", type=integer(1), default=100, help="batch size (100)")
    parser.add_argument("--lr", type=real(positive=True), default=0.1, help="learning rate (0.1)")
    parser.add_argument("--optimizer", default="sgd", choices=list(OPTIMIZERS))
    parser.add_argument("--hidden-size", type=integer(1), default=50, help="hidden units (50)")
    parser.add_argument("--seed", type=integer(0), default=0, help="weights and batches (0)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--engine", default="layers", choices=["layers", "autograd"],
                        help="backward by the hand-written layers or by autograd")
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


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> TrainingResult:
    """Train as the lecture does and write the plot and the weights; see the module docstring."""
    args = parse_args(__doc__, argv, out_dir, _options)
    dtype = np.dtype(args.dtype)
    name, directory, reason = resolve_dataset(args.dataset, args.data_dir)
    (x_train, t_train), (x_test, t_test) = load_idx_dir(directory, normalize=True,
                                                        one_hot_label=False, dtype=dtype)
    weight_seed, batch_seed = np.random.SeedSequence(args.seed).spawn(2)
    network = nn.TwoLayerNet(input_size=x_train.shape[1], hidden_size=args.hidden_size,
                             output_size=10, engine=args.engine, dtype=dtype,
                             seed=np.random.default_rng(weight_seed))
    optimizer = OPTIMIZERS[args.optimizer](lr=args.lr)
    rng = np.random.default_rng(batch_seed)
    epochs = args.iters / max(x_train.shape[0] / args.batch_size, 1)
    print(f"dataset: {name} ({reason}): {x_train.shape[0]} train, {x_test.shape[0]} test samples")
    print(f"TwoLayerNet({x_train.shape[1]}, {args.hidden_size}, 10), {args.engine} engine, "
          f"{args.optimizer} lr {args.lr:g}, batch {args.batch_size}, {args.iters} iterations "
          f"({epochs:.1f} epochs), {args.dtype}, seed {args.seed}")

    result = TrainingResult(dataset=name)
    start = time.perf_counter()
    with threadpool_limits(limits=args.threads or None, user_api="blas"):
        train(network, optimizer, (x_train, t_train), (x_test, t_test), rng, result,
              iters=args.iters, batch_size=args.batch_size, progress=args.progress)
        result.final_train = network.accuracy(x_train, t_train)
        result.final_test = network.accuracy(x_test, t_test)
    result.seconds = time.perf_counter() - start

    weights = args.out / WEIGHTS_FILE
    nn.save_weights(network, weights)
    result.files = plot(result, args.out) + [weights]
    print(f"trained in {result.seconds:.1f} s")
    for path in result.files:
        print(f"wrote {path}")
    print(f"final: train acc {result.final_train:.4f} test acc {result.final_test:.4f}")
    return result


def train(network: nn.TwoLayerNet, optimizer: optim.Optimizer, train_set: tuple[np.ndarray, np.ndarray],
          test_set: tuple[np.ndarray, np.ndarray], rng: np.random.Generator, result: TrainingResult,
          *, iters: int, batch_size: int, progress: str = "auto") -> None:
    """The lecture's loop: random batch, gradient by backprop, update; accuracies once per epoch.

    Appends to result.losses (every iteration) and result.epochs/train_acc/test_acc. Raises
    TrainingDiverged, naming the iteration, as soon as a loss is nan or inf.
    """
    (x_train, t_train), (x_test, t_test) = train_set, test_set
    iter_per_epoch = max(x_train.shape[0] / batch_size, 1)
    bar = _progress(range(iters), iters, progress)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence: see below
        for i in bar:
            x_batch, t_batch = random_batch(x_train, t_train, batch_size, rng)
            try:
                grads = network.gradient(x_batch, t_batch)  # backpropagation
                if network.engine == "layers":
                    loss = network.lastLayer.loss  # this batch's loss, computed on the way
                else:
                    loss = network.loss(x_batch, t_batch)
            except ArithmeticError as e:  # the autograd engine refuses results that overflow
                _diverged(bar, i, optimizer, str(e))
            if not np.isfinite(loss):
                _diverged(bar, i, optimizer, f"the loss is {float(loss)}")
            optimizer.update(network.params, grads)
            if not all(np.isfinite(p).all() for p in network.params.values()):
                _diverged(bar, i, optimizer, "the update made the weights overflow")
            result.losses.append(float(loss))
            if i == 0 or int(i / iter_per_epoch) != int((i - 1) / iter_per_epoch):  # an epoch begins
                train_acc = network.accuracy(x_train, t_train)
                test_acc = network.accuracy(x_test, t_test)
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


def plot(result: TrainingResult, out: Path) -> list[Path]:
    """Loss per iteration (and its moving average) beside accuracy per epoch; .png and .svg."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    epochs = np.arange(len(result.epochs))  # accuracies are taken before each epoch's first step
    ax_acc.plot(epochs, result.train_acc, marker="o", label="train acc")
    ax_acc.plot(epochs, result.test_acc, marker="s", linestyle="--", label="test acc")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="accuracy")
    ax_acc.legend(loc="lower right")
    fig.suptitle(f"TwoLayerNet on {result.dataset}: final train {result.final_train:.4f}, "
                 f"test {result.final_test:.4f}")
    fig.tight_layout()
    paths = [save_figure(fig, out / f"{PLOT_FILE}.{ext}") for ext in ("png", "svg")]
    plt.close(fig)
    return paths


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Train (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    run_script(main)
