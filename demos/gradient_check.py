"""The lecture's gradient_check: TwoLayerNet(784, 50, 10) on 3 training samples, the numerical
gradient against backpropagation (the hand-written layers and autograd), printed as the mean
absolute difference per parameter (W1, b1, W2, b2, as the lecture prints it). `--synthetic` uses
random data instead.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np

from nn import TwoLayerNet, mean_abs_diff
from nn.datasets import load_mnist

from .common import DemoResult, integer, parse_args, report_files, run_script, save_graph

TOLERANCE = 1e-6  # a mean difference above this means a backward is wrong


def samples(dataset: str, data_dir: str | None, synthetic: bool, n: int = 3,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """n training samples (x, one-hot t) and where they came from."""
    if synthetic:
        rng = np.random.default_rng(seed)
        return rng.random((n, 784)), np.eye(10)[rng.integers(0, 10, n)], "random data"
    (x_train, t_train), _ = load_mnist(normalize=True, one_hot_label=True, dataset=dataset,
                                       data_dir=data_dir)
    return x_train[:n], t_train[:n], f"the first {n} training samples"


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print the per-parameter differences for both engines; draw the net's graph (collapsed).

    numbers: source (where the samples came from), synthetic (random inputs), samples (their
    number), sizes (input,
    hidden, output), diffs ({engine: {"W1": mean |backprop − numerical|, ...}}), loss.
    """
    args = parse_args(__doc__, argv, out_dir, lambda p: (
        p.add_argument("--dataset", default="auto", choices=["auto", "mnist", "fashion-mnist"]),
        p.add_argument("--data-dir", default=None, help="a directory holding the IDX files"),
        p.add_argument("--synthetic", action="store_true", help="random inputs, no data set"),
        p.add_argument("--seed", type=integer(0), default=0)))
    x_batch, t_batch, source = samples(args.dataset, args.data_dir, args.synthetic, seed=args.seed)
    network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=args.seed)
    start = time.perf_counter()
    grad_numerical = network.numerical_gradient(x_batch, t_batch)
    seconds = time.perf_counter() - start
    print(f"gradient check on {source}: numerical gradient ({seconds:.1f} s) vs backpropagation")
    worst, all_diffs = 0.0, {}
    for engine in ("layers", "autograd"):
        grad_backprop = network.gradient(x_batch, t_batch, engine=engine)
        diffs = all_diffs[engine] = mean_abs_diff(grad_backprop, grad_numerical)
        print(f"{engine}:")
        for key, diff in diffs.items():
            print(f"{key}:{diff:.2g}")
        worst = max(worst, *diffs.values())
    if not worst < TOLERANCE:
        raise AssertionError(f"gradient check failed: a mean difference of {worst:.2g}")
    print(f"backpropagation matches the numerical gradient (every mean difference < {TOLERANCE:g})")
    loss = network.graph(x_batch, t_batch)
    loss.backward()
    files = [save_graph(loss, args.out / "two_layer_net.svg", mode="both", collapse=True),
             save_graph(loss, args.out / "two_layer_net_detail.svg", mode="both")]
    report_files(files)
    sizes = (network.params["W1"].shape[0], network.params["W1"].shape[1], network.params["W2"].shape[1])
    numbers = {"source": source, "synthetic": args.synthetic, "samples": len(x_batch),
               "sizes": sizes, "diffs": all_diffs, "loss": loss.item()}
    return DemoResult(files, numbers, {"two_layer_net": loss})


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    run_script(main)
