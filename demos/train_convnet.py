"""The book's train_convnet: SimpleConvNet (conv 30 filters 5×5, ReLU, 2×2 max pool, Affine 100,
ReLU, Affine 10, Softmax-with-Loss) learns (Fashion-)MNIST by backprop with Adam (lr 0.001, as the
book), batch 100, 2,400 iterations (4 epochs). Prints train and test accuracy once per epoch,
plots loss and accuracy, draws the first-layer filters before and after training (figure 7-24),
draws the net's graph with each layer as one box (and its explorer page), saves the weights, and
ends with the line `final: train acc 0.xxxx test acc 0.xxxx`. A loss that becomes nan or inf
stops the run.

Initial weights (--init): the filters start as the book's, 0.01 · N(0, 1), so that what they look
like after training is what they learned (edges, stripes, blobs); the affine layers start with He
(chapter 6), so the signal survives them and the net learns faster than with the book's 0.01
everywhere (--init std: about 0.87 on Fashion-MNIST after 3 epochs, against about 0.88 after 2
here). With He filters (--init he) the accuracy is a little higher, but the filters stay close to
their random start and the figure shows little.

The per-epoch accuracies are taken on the first --eval-samples samples of each set (the book's
evaluate_sample_num_per_epoch; 0: all of them); the final ones on the whole sets. The data set is
named by what the files hold, as in demos.train_two_layer_net.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import nn
import viz
from nn.datasets import load_idx_dir, resolve_dataset
from nn.simple_conv_net import SimpleConvNet

from . import training
from .common import DemoError, integer, parse_args, real, run_script, save_figures, save_graph
from .training import (OPTIMIZERS, TrainingDiverged, TrainingResult, data_options,  # noqa: F401
                       fit, pyplot, report, run_options)

WEIGHTS_FILE = "convnet_weights.npz"
PLOT_FILE = "convnet_training"  # .png and .svg
FILTERS_FILE = "convnet_filters"  # .png and .svg
GRAPH_FILE = "convnet_graph"  # .svg, and _explorer.html
GRAPH_SAMPLES = 2  # images in the batch whose graph is drawn
# --init: the filters W1 and the affine layers W2, W3 (see SimpleConvNet's weight_init_std)
INITS = {"std+he": {"W1": 0.01, "W2": "he", "W3": "he"}, "std": 0.01, "he": "he",
         "xavier": "xavier"}


@dataclass
class ConvTrainingResult(TrainingResult):
    """TrainingResult plus what the tour shows: the sizes, the drawn graph's loss, `numbers`."""

    filter_num: int = 0
    filter_size: int = 0
    graph_loss: float = 0.0

    @property
    def numbers(self) -> dict[str, Any]:
        """The run's numbers, for captions (see demos.common.DemoResult)."""
        return {"dataset": self.dataset, "iterations": len(self.losses),
                "epochs": len(self.epochs), "final_train": self.final_train,
                "final_test": self.final_test, "seconds": self.seconds,
                "filter_num": self.filter_num, "filter_size": self.filter_size,
                "graph_samples": GRAPH_SAMPLES, "graph_loss": self.graph_loss,
                "monitor": self.monitor_numbers()}

    @property
    def graphs(self) -> dict[str, Any]:
        """None for the tour to explore: the demo writes its own (collapsed) explorer page."""
        return {}


def _options(parser: argparse.ArgumentParser) -> None:
    data_options(parser)
    parser.add_argument("--iters", type=integer(1), default=2_400, help="iterations (2400)")
    parser.add_argument("--batch-size", type=integer(1), default=100, help="batch size (100)")
    parser.add_argument("--lr", type=real(positive=True), default=0.001,
                        help="learning rate (0.001)")
    parser.add_argument("--optimizer", default="adam", choices=list(OPTIMIZERS))
    parser.add_argument("--hidden-size", type=integer(1), default=100, help="hidden units (100)")
    parser.add_argument("--init", default="std+he", choices=list(INITS),
                        help="initial weights: std+he (default): filters 0.01 (the book's), "
                             "affine layers He; std: 0.01 everywhere (the book); he; xavier")
    parser.add_argument("--filter-num", type=integer(1), default=30, help="filters (30)")
    parser.add_argument("--filter-size", type=integer(1), default=5, help="filter size (5)")
    parser.add_argument("--eval-samples", type=integer(0), default=10_000,
                        help="samples of each set for the per-epoch accuracy (10000; 0: all)")
    parser.add_argument("--seed", type=integer(0), default=0, help="weights and batches (0)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--engine", default="autograd", choices=["layers", "autograd"],
                        help="backward by autograd (default) or by the hand-written layers")
    run_options(parser)


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> ConvTrainingResult:
    """Train as the book does and write the plots, the graph and the weights (module docstring);
    the result is also what the tour shows (it has `files`, `numbers` and `graphs`)."""
    args = parse_args(__doc__, argv, out_dir, _options)
    dtype = np.dtype(args.dtype)
    name, directory, reason = resolve_dataset(args.dataset, args.data_dir)
    (x_train, t_train), (x_test, t_test) = load_idx_dir(directory, normalize=True, flatten=False,
                                                        one_hot_label=False, dtype=dtype)
    weight_seed, batch_seed = np.random.SeedSequence(args.seed).spawn(2)
    conv = {"filter_num": args.filter_num, "filter_size": args.filter_size}
    try:
        network = SimpleConvNet(input_dim=x_train.shape[1:], conv_param=conv,
                                hidden_size=args.hidden_size, output_size=10,
                                weight_init_std=INITS[args.init], engine=args.engine, dtype=dtype,
                                seed=np.random.default_rng(weight_seed))
    except ValueError as e:  # a filter larger than the images
        raise DemoError(f"--filter-size {args.filter_size}: {e}") from None
    optimizer = OPTIMIZERS[args.optimizer](lr=args.lr)
    rng = np.random.default_rng(batch_seed)
    epochs = args.iters / max(x_train.shape[0] / args.batch_size, 1)
    print(f"dataset: {name} ({reason}): {x_train.shape[0]} train, {x_test.shape[0]} test samples")
    print(f"SimpleConvNet(conv {args.filter_num}×{args.filter_size}×{args.filter_size}, pool 2×2, "
          f"{args.hidden_size}, 10), {args.init} init, {args.engine} engine, {args.optimizer} "
          f"lr {args.lr:g}, batch {args.batch_size}, {args.iters} iterations ({epochs:.1f} "
          f"epochs), {args.dtype}, seed {args.seed}")

    filters_before = network.params["W1"].copy()
    result = ConvTrainingResult(dataset=name, filter_num=args.filter_num,
                                filter_size=args.filter_size)
    fit(network, optimizer, (x_train, t_train), (x_test, t_test), rng, result, args,
        batch_loss=lambda net, x_batch, t_batch: net.last_loss, eval_samples=args.eval_samples)

    weights = args.out / WEIGHTS_FILE
    nn.save_weights(network, weights)
    loss = network.graph(x_test[:GRAPH_SAMPLES], t_test[:GRAPH_SAMPLES])
    loss.backward()
    result.graph_loss = float(loss.data)
    result.files = (plot(result, args.out, max(x_train.shape[0] / args.batch_size, 1))
                    + training.plot_monitor(result, args.out, PLOT_FILE, "SimpleConvNet")
                    + plot_filters(filters_before, network.params["W1"], args.out)
                    + draw_graph(loss, args.out) + [weights])
    report(result)
    return result


def plot(result: TrainingResult, out: Path, iter_per_epoch: float) -> list[Path]:
    """Loss per iteration (and its moving average) beside accuracy per epoch (the last point:
    the final accuracies); .png and .svg."""
    # accuracies are taken before each epoch's first step, and once more after the last step
    epochs = np.append(np.asarray(result.epochs), len(result.losses)) / iter_per_epoch
    return training.plot(result, out, PLOT_FILE, "SimpleConvNet", epochs,
                         result.train_acc + [result.final_train],
                         result.test_acc + [result.final_test])


def plot_filters(before: np.ndarray, after: np.ndarray, out: Path, columns: int = 10) -> list[Path]:
    """The first layer's filters (FN, C, FH, FW), channel 0 of each, before and after training,
    one small grey image per filter (the book's visualize_filter, figure 7-24: black is large,
    each filter scaled to its own range). Before: random noise; after: edge and blob detectors."""
    plt = pyplot()
    count = before.shape[0]
    rows = -(-count // columns)
    fig = plt.figure(figsize=(columns * 0.9, 2 * rows * 0.9 + 0.9))
    panels = fig.subfigures(2, 1)
    for panel, filters, title in ((panels[0], before, "before training (random)"),
                                  (panels[1], after, "after training")):
        panel.suptitle(f"first-layer filters {title}", fontsize=10)
        axes = panel.subplots(rows, columns, squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.set_axis_off()
            if i < count:
                ax.imshow(filters[i, 0], cmap="gray_r", interpolation="nearest")
    paths = save_figures(fig, out, FILTERS_FILE)
    plt.close(fig)
    return paths


def draw_graph(loss: Any, out: Path) -> list[Path]:
    """The net's graph for a tiny batch, each layer one box (collapse=True), forward values and
    backward gradients on the edges; and its explorer page, collapsed too."""
    path = save_graph(loss, out / f"{GRAPH_FILE}.svg", mode="both", collapse=True)
    if path.suffix != ".svg":  # no Graphviz: the DOT text only, no explorer
        return [path]
    page = out / f"{GRAPH_FILE}_explorer.html"
    viz.explore(loss, collapse=True).save(page)
    return [path, page]


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Train (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    run_script(main)
