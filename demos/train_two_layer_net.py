"""The lecture's train_neuralnet: TwoLayerNet(784, 50, 10) learns (Fashion-)MNIST by backprop,
batch 100, learning rate 0.1, 10,000 iterations of SGD on random batches. Prints train and test
accuracy once per epoch, plots loss and accuracy, saves the weights, and ends with the line
`final: train acc 0.xxxx test acc 0.xxxx`. A loss that becomes nan or inf stops the run.

The data set is named by what the files hold (see nn.datasets.identify): Fashion-MNIST files given
with --data-dir are reported as fashion-mnist; a --data-dir without the four IDX files is an error.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

import numpy as np

import nn
from nn.datasets import load_idx_dir, resolve_dataset

from . import training
from .common import integer, parse_args, real, run_script
from .training import (OPTIMIZERS, TrainingDiverged, TrainingResult, data_options,  # noqa: F401
                       fit, report, run_options)

WEIGHTS_FILE = "two_layer_net_weights.npz"
PLOT_FILE = "training"  # .png and .svg


def _options(parser: argparse.ArgumentParser) -> None:
    data_options(parser)
    parser.add_argument("--iters", type=integer(1), default=10_000, help="iterations (10000)")
    parser.add_argument("--batch-size", type=integer(1), default=100, help="batch size (100)")
    parser.add_argument("--lr", type=real(positive=True), default=0.1, help="learning rate (0.1)")
    parser.add_argument("--optimizer", default="sgd", choices=list(OPTIMIZERS))
    parser.add_argument("--hidden-size", type=integer(1), default=50, help="hidden units (50)")
    parser.add_argument("--seed", type=integer(0), default=0, help="weights and batches (0)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--engine", default="layers", choices=["layers", "autograd"],
                        help="backward by the hand-written layers or by autograd")
    run_options(parser)


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
    fit(network, optimizer, (x_train, t_train), (x_test, t_test), rng, result, args,
        batch_loss=batch_loss)

    weights = args.out / WEIGHTS_FILE
    nn.save_weights(network, weights)
    result.files = (plot(result, args.out)
                    + training.plot_monitor(result, args.out, PLOT_FILE, "TwoLayerNet")
                    + [weights])
    report(result)
    return result


def batch_loss(network: nn.TwoLayerNet, x_batch: np.ndarray, t_batch: np.ndarray) -> float:
    """The batch's loss after network.gradient: the layers engine computed it on the way."""
    if network.engine == "layers":
        return network.lastLayer.loss
    return network.loss(x_batch, t_batch)


def plot(result: TrainingResult, out: Path) -> list[Path]:
    """Loss per iteration (and its moving average) beside accuracy per epoch; .png and .svg."""
    epochs = np.arange(len(result.epochs))  # accuracies are taken before each epoch's first step
    return training.plot(result, out, PLOT_FILE, "TwoLayerNet", epochs, result.train_acc,
                         result.test_acc)


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Train (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    run_script(main)
