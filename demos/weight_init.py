"""The book's weight_init_activation_histogram (section 6.2, figures 6-10 to 6-14): 1,000 random
inputs (standard normal, 100 numbers each) through 5 layers of 100 units, weights drawn with
std 1, 0.01 or Xavier (sqrt(1/100)) for sigmoid and 0.01, Xavier or He (sqrt(2/100)) for ReLU,
biases 0; a histogram of each layer's activations (30 bins over [0, 1], as the book).

The five layers are the hidden layers of the book's MultiLayerNet(100, [100]*5, 10), and the
activations are recorded by nn.Monitor; one backward pass from random labels also gives each
layer's gradient norm, so the third figure shows what the histograms mean for learning:
saturated sigmoids (std 1) and vanishing activations (std 0.01) make the gradients vanish
toward the input.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from nn.init import init_std
from nn.monitor import Monitor
from nn.multi_layer_net import MultiLayerNet

from .common import DemoResult, integer, parse_args, run_script, save_figures

LAYERS, UNITS = 5, 100
CASES: dict[str, list[tuple[str, float | str]]] = {
    "sigmoid": [("std 1", 1.0), ("std 0.01", 0.01), ("Xavier", "xavier")],
    "relu": [("std 0.01", 0.01), ("Xavier", "xavier"), ("He", "he")],
}
FIGURE_NUMBERS = {"sigmoid": "6-10, 6-11, 6-13", "relu": "6-14"}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", type=integer(1), default=1000, help="random inputs (1000)")
    parser.add_argument("--seed", type=integer(0), default=0, help="inputs and weights (0)")


def activations(activation: str, init: float | str, samples: int, seed: int
                ) -> tuple[list[np.ndarray], dict[str, float]]:
    """(each hidden layer's activations (samples, 100), each W's gradient norm) of one net."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, UNITS))
    t = rng.integers(0, 10, samples)
    net = MultiLayerNet(UNITS, [UNITS] * LAYERS, 10, activation=activation,
                        weight_init_std=init, seed=seed + 1)
    monitor = Monitor(every=1, max_samples=samples * UNITS)  # keep every activation
    monitor.watch(net)
    record = monitor.record(0, net.params, net.gradient(x, t))
    acts = [record.activations[f"Activation_function{i}"].reshape(samples, UNITS)
            for i in range(1, LAYERS + 1)]
    norms = {f"W{i}": record.grad_norm[f"W{i}"] for i in range(1, LAYERS + 2)}
    return acts, norms


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Compute the six nets' activations, draw the histograms and the gradient norms."""
    args = parse_args(__doc__, argv, out_dir, _options)
    numbers: dict[str, Any] = {"samples": args.samples, "layers": LAYERS, "units": UNITS}
    results: dict[str, dict[str, tuple[list[np.ndarray], dict[str, float]]]] = {}
    for activation, cases in CASES.items():
        results[activation] = {}
        numbers[activation] = {}
        for label, init in cases:
            acts, norms = activations(activation, init, args.samples, args.seed)
            results[activation][label] = (acts, norms)
            stds = [float(a.std()) for a in acts]
            extreme = [float(np.mean((a < 0.01) | (a > 0.99))) for a in acts]
            numbers[activation][label] = {"weight_std": init_std(init, UNITS),
                                          "std": stds, "extreme": extreme,
                                          "grad_W1": norms["W1"], "grad_W6": norms["W6"]}
            print(f"{activation:7s} {label:8s}: activation std per layer "
                  + " ".join(f"{s:.3g}" for s in stds)
                  + f"; |dL/dW1| {norms['W1']:.3g}, |dL/dW6| {norms['W6']:.3g}")
    files = []
    for activation in CASES:
        fig = _plot_histograms(activation, results[activation])
        files += save_figures(fig, args.out, f"weight_init_{activation}")
    fig = _plot_gradients(results)
    files += save_figures(fig, args.out, "weight_init_gradients")
    for p in files:
        print(f"wrote {p}")
    return DemoResult(files, numbers)


def _plot_histograms(activation: str, cases: dict[str, tuple[list[np.ndarray], Any]]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 2.6 * len(cases)), layout="constrained")
    axes = fig.subplots(len(cases), LAYERS, sharey="row")
    for row, (label, (acts, _)) in zip(axes, cases.items()):
        for i, (ax, a) in enumerate(zip(row, acts), start=1):
            ax.hist(a.ravel(), 30, range=(0, 1), color="tab:blue")
            ax.set_title(f"{label}: layer {i}", fontsize="small")
            ax.tick_params(labelsize="x-small")
            if i > 1:
                ax.tick_params(labelleft=False)
            if activation == "relu":  # as the book: the bin at 0 holds about half, cut it
                ax.set_ylim(0, 7 * a.shape[0])
    cut = " (y axis cut at 7 per sample, as the book)" if activation == "relu" else ""
    fig.suptitle(f"{activation} activations, {LAYERS} layers of {UNITS} units "
                 f"(book figures {FIGURE_NUMBERS[activation]}){cut}")
    return fig


def _plot_gradients(results: dict[str, dict[str, tuple[Any, dict[str, float]]]]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, len(results), sharey=True)
    for ax, (activation, cases) in zip(axes, results.items()):
        for label, (_, norms) in cases.items():
            ax.plot(range(1, LAYERS + 2), list(norms.values()), marker="o", label=label)
        ax.set_yscale("log")
        ax.set(xlabel="layer (W1 is next to the input)", title=f"{activation}: ||dL/dW|| at init")
        ax.legend()
    return fig


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Draw the histograms (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    run_script(main)
