"""Overfitting and two cures (section 6.4, the book's overfit_weight_decay.py and
overfit_dropout.py): the book's 7-layer MultiLayerNet(784, [100]*6, 10) trained on only 300
(Fashion-)MNIST samples, SGD lr 0.01, batch 100, three ways: plain, with weight decay
(λ = 0.1) and with Dropout (ratio 0.2). Train and test accuracy per epoch are plotted
(figures 6-20, 6-21, 6-23); the plain run is watched by nn.Monitor (gradient norms, update ratios
and histograms every 30 iterations) into a second figure.

The book trains 201 (weight decay) and 301 (Dropout) epochs; the default here is 200 for all.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from nn import optim
from nn.datasets import load_idx_dir, random_batch, resolve_dataset
from nn.monitor import Monitor
from nn.multi_layer_net import MultiLayerNetExtend

from .common import DemoResult, integer, parse_args, real, run_script, save_figures
from .training import _progress, run_options

TRAIN_SAMPLES = 300
VARIANTS = ("plain", "weight decay", "dropout")


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="auto", choices=["auto", "mnist", "fashion-mnist"])
    parser.add_argument("--data-dir", default=None, help="a directory holding the IDX files")
    parser.add_argument("--epochs", type=integer(1), default=200, help="epochs (200)")
    parser.add_argument("--samples", type=integer(1), default=TRAIN_SAMPLES,
                        help="training samples (300)")
    parser.add_argument("--layers", type=integer(1), default=6, help="hidden layers (6)")
    parser.add_argument("--hidden", type=integer(1), default=100, help="units per layer (100)")
    parser.add_argument("--weight-decay", type=real(positive=True), default=0.1,
                        help="λ of the weight-decay run (0.1)")
    parser.add_argument("--dropout", type=real(positive=True), default=0.2,
                        help="dropout ratio of the Dropout run (0.2)")
    parser.add_argument("--test-samples", type=integer(1), default=1000,
                        help="test samples for the per-epoch curve (1000; the final test "
                             "accuracy uses all)")
    parser.add_argument("--monitor-every", type=integer(1), default=30,
                        help="the monitor records every k iterations (30)")
    parser.add_argument("--seed", type=integer(0), default=0, help="weights and batches (0)")
    run_options(parser)


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Train the three variants, plot the accuracies and the plain run's monitor."""
    args = parse_args(__doc__, argv, out_dir, _options)
    if not 0 < args.dropout < 1:
        raise SystemExit(f"error: --dropout must lie in (0, 1), got {args.dropout}")
    name, directory, reason = resolve_dataset(args.dataset, args.data_dir)
    (x_train, t_train), (x_test, t_test) = load_idx_dir(directory, normalize=True)
    x_train, t_train = x_train[:args.samples], t_train[:args.samples]
    print(f"dataset: {name} ({reason}): {len(x_train)} train, {len(x_test)} test samples")
    batch_size = min(100, len(x_train))
    iters_per_epoch = max(len(x_train) // batch_size, 1)
    settings = {"plain": {}, "weight decay": {"weight_decay_lambda": args.weight_decay},
                "dropout": {"use_dropout": True, "dropout_ration": args.dropout}}
    numbers: dict[str, Any] = {"dataset": name, "samples": len(x_train), "epochs": args.epochs,
                               "layers": args.layers, "hidden": args.hidden,
                               "weight_decay": args.weight_decay, "dropout_ratio": args.dropout,
                               "monitor_every": args.monitor_every, "runs": {},
                               "test_samples": min(args.test_samples, len(x_test))}
    x_curve, t_curve = x_test[:args.test_samples], t_test[:args.test_samples]
    curves: dict[str, dict[str, list[float]]] = {}
    monitor = Monitor(every=args.monitor_every, seed=args.seed)
    start = time.perf_counter()
    with threadpool_limits(limits=args.threads or None, user_api="blas"):
        for variant in VARIANTS:
            net = MultiLayerNetExtend(x_train.shape[1], [args.hidden] * args.layers, 10,
                                      seed=args.seed, **settings[variant])
            if variant == "plain":
                monitor.watch(net)
            optimizer = optim.SGD(lr=0.01)
            rng = np.random.default_rng(args.seed + 1)
            curve: dict[str, list[float]] = {"train": [], "test": []}
            iters = args.epochs * iters_per_epoch
            bar = _progress(range(iters), iters, args.progress)
            for i in bar:
                x_batch, t_batch = random_batch(x_train, t_train, batch_size, rng)
                grads = net.gradient(x_batch, t_batch)
                if variant == "plain":
                    with monitor.step(i, net.params, grads):
                        optimizer.update(net.params, grads)
                else:
                    optimizer.update(net.params, grads)
                if i % iters_per_epoch == 0:  # before each epoch, as the book
                    curve["train"].append(net.accuracy(x_train, t_train))
                    curve["test"].append(net.accuracy(x_curve, t_curve))
            if hasattr(bar, "close"):
                bar.close()
            curve["train"].append(net.accuracy(x_train, t_train))
            curve["test"].append(net.accuracy(x_curve, t_curve))
            curves[variant] = curve
            run = {"train": curve["train"][-1], "test": net.accuracy(x_test, t_test)}
            run["gap"] = run["train"] - run["test"]
            numbers["runs"][variant] = run
            print(f"{variant:12s}: train acc {run['train']:.4f}, test acc {run['test']:.4f} "
                  f"({len(x_test)} samples), gap {run['gap']:.4f}")
    numbers["seconds"] = time.perf_counter() - start
    first, last = monitor.records[0], monitor.records[-1]
    numbers["monitor"] = {"records": len(monitor.records), "first_step": first.step,
                          "last_step": last.step,
                          "grad_W1": (first.grad_norm["W1"], last.grad_norm["W1"]),
                          "ratio_W1": (first.update_ratio["W1"], last.update_ratio["W1"])}
    files = save_figures(_plot(curves, numbers), args.out, "overfit")
    fig = monitor.plot(title=f"nn.Monitor on the plain run ({name}, {len(x_train)} samples): "
                             f"every {args.monitor_every} iterations")
    files += save_figures(fig, args.out, "overfit_monitor")
    for p in files:
        print(f"wrote {p}")
    return DemoResult(files, numbers)


def _plot(curves: dict[str, dict[str, list[float]]], numbers: dict[str, Any]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4), layout="constrained")
    axes = fig.subplots(1, len(curves), sharey=True)
    labels = {"plain": "plain", "weight decay": f"weight decay λ = {numbers['weight_decay']:g}",
              "dropout": f"Dropout, ratio {numbers['dropout_ratio']:g}"}
    for ax, (variant, curve) in zip(axes, curves.items()):
        epochs = np.arange(len(curve["train"]))
        ax.plot(epochs, curve["train"], label="train")
        ax.plot(epochs, curve["test"], linestyle="--",
                label=f"test ({numbers['test_samples']} samples)")
        ax.set(xlabel="epoch", ylim=(0, 1.02),
               title=f"{labels[variant]}: gap {numbers['runs'][variant]['gap']:.2f}")
        ax.legend(loc="lower right")
    axes[0].set_ylabel("accuracy")
    fig.suptitle(f"MultiLayerNet(784, [{numbers['hidden']}]*{numbers['layers']}, 10) on "
                 f"{numbers['samples']} samples of {numbers['dataset']} (book figures 6-20, "
                 f"6-21, 6-23)")
    return fig


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Train and plot (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    run_script(main)
