"""Gradient health on the graph: a 10-layer sigmoid net with std-1 weights next to a 10-layer
ReLU net with He initialisation, one batch through each, every edge coloured and thickened by the
norm of the gradient flowing back along it (viz.health, log scale, one scale for both).

The sigmoid net saturates (std-1 weights push the inputs of the sigmoids far from 0, where its
slope y(1 - y) is nearly 0), so the gradient shrinks layer after layer on its way back and
reaches the first weights orders of magnitude smaller: the edges fade from red to pale blue. The
ReLU net with He weights keeps the gradient's size from layer to layer: one colour throughout.
Writes gradient_health_sigmoid.svg/.png, gradient_health_relu.svg/.png and an explorer page for
each (opened on the heat view; click a node for its gradient, collapse the layers).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import viz
from nn import Sequential
from nn.autograd_layers import Affine, ReLU, Sigmoid, SoftmaxWithLoss
from viz.health import auto_scale, heat_data, heat_explorer, heat_graph

from .common import DemoResult, integer, parse_args, run_script

LAYERS, UNITS, CLASSES = 10, 30, 5
CASES = {"sigmoid": (Sigmoid, 1.0, "sigmoid, weights std 1"),
         "relu": (ReLU, "he", "ReLU, He initialisation")}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=integer(1), default=8, help="samples in the batch (8)")
    parser.add_argument("--seed", type=integer(0), default=0, help="inputs and weights (0)")


def net_loss(kind: str, batch: int, seed: int) -> tuple[Any, list]:
    """(loss after backward, the Affine layers) of the 10-layer `kind` net on one batch."""
    activation, init, _ = CASES[kind]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, UNITS))
    t = rng.integers(0, CLASSES, batch)
    layers: list = []
    for _ in range(LAYERS - 1):
        layers += [Affine(UNITS, UNITS, init=init, rng=rng), activation()]
    layers.append(Affine(UNITS, CLASSES, init=init, rng=rng))
    net = Sequential(*layers)
    loss = SoftmaxWithLoss()(net(x), t)
    loss.label = "loss"
    loss.backward()
    return loss, [m for m in layers if isinstance(m, Affine)]


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Build both nets, backward once, draw both graphs in the heat view on one scale."""
    args = parse_args(__doc__, argv, out_dir, _options)
    losses = {kind: net_loss(kind, args.batch, args.seed) for kind in CASES}
    everything = []
    for loss, _ in losses.values():
        data = heat_data(loss)
        everything += [None if m is None else float(m) for m in data["nodes"]]
    scale = auto_scale(everything)  # one scale for both pictures
    files: list[Path] = []
    numbers: dict[str, Any] = {"layers": LAYERS, "units": UNITS, "batch": args.batch,
                               "scale": list(scale)}
    for kind, (loss, affines) in losses.items():
        norms = [float(np.linalg.norm(a.W.grad)) for a in affines]
        numbers[kind] = {"loss": float(loss.data), "first_W_grad_norm": norms[0],
                         "last_W_grad_norm": norms[-1],
                         "decades": math.log10(norms[-1] / norms[0]) if norms[0] > 0 else math.inf}
        title = f"{CASES[kind][2]}: |gradient| on every edge"
        graph = heat_graph(loss, scale=scale, title=title, rankdir="TB")
        for suffix in (".svg", ".png"):
            path = args.out / f"gradient_health_{kind}{suffix}"
            try:
                graph.render(outfile=str(path), cleanup=True)
            except viz.GraphvizNotFoundError:
                path = path.with_suffix(".dot")
                path.write_text(graph.source, encoding="utf-8")
            if path not in files:
                files.append(path)
        page = heat_explorer(loss, scale=scale, title=title, rankdir="TB").save(
            args.out / f"gradient_health_{kind}_explorer.html")
        files.append(Path(page))
    for kind in CASES:
        n = numbers[kind]
        print(f"{kind:8s} loss {n['loss']:.4g}: ‖∂L/∂W‖ first layer "
              f"{n['first_W_grad_norm']:.3g}, last layer {n['last_W_grad_norm']:.3g}")
    return DemoResult(files, numbers, {f"gradient_health_{k}": losses[k][0] for k in CASES})


if __name__ == "__main__":
    run_script(run)
