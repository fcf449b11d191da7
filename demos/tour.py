"""The tour (`make demo`): runs the lecture's demos in order (apples, chain rule, nodes, layers,
gradient check, higher-order derivatives, training) and writes out/index.html, one page showing
every figure and plot with a line of text each, and linking the step-by-step backward page.
"""
from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

from nn.datasets import DatasetError
from viz.files import write_file

from . import (add_mul_nodes, affine, backward_steps, buy_apple, buy_apple_orange, chain_rule,
               gradient_check, higher_order, relu_sigmoid, softmax_with_loss, train_two_layer_net)
from .common import DemoError, integer, parse_args

# (module, section title, {file name: the line of text shown under it})
SECTIONS: list[tuple[ModuleType, str, dict[str, str]]] = [
    (buy_apple, "Buying apples (Fig. 5-2, 5-16)", {
        "buy_apple_forward.svg": "Forward: 2 apples at 100, 10% tax: 220.",
        "buy_apple.svg": "Backward: d price / d(apple, apple_num, tax) = 2.2, 110, 200 (red)."}),
    (backward_steps, "The apple example's backward pass, step by step", {
        "apple_steps.html": "One node per step: upstream gradient × local derivative."}),
    (buy_apple_orange, "Buying apples and oranges (Fig. 5-17)", {
        "buy_apple_orange.svg": "Price 715; gradients apple_num 110, apple 2.2, orange 3.3, "
                                "orange_num 165, tax 650."}),
    (chain_rule, "The chain rule (Fig. 5-7, 5-8)", {
        "chain_rule.svg": "z = (x + y)² at x = 1, y = 2: dz/dt = 2t = 6 and dz/dx = 2(x + y) = 6."}),
    (add_mul_nodes, "Backward through an add and a mul node (Fig. 5-11, 5-13, 5-14)", {
        "add_node.svg": "Add node 10 + 5: the upstream 1.3 passes unchanged to both inputs.",
        "mul_node.svg": "Mul node 10 × 5: the upstream 1.3 times the other input: 6.5 and 13.",
        "apple_mul_node.svg": "Mul node 100 × 2 with upstream 1.1: 2.2 and 110."}),
    (relu_sigmoid, "ReLU and Sigmoid layers (Fig. 5-18, 5-20, 5-21)", {
        "relu.svg": "ReLU at x = 1: the gradient passes (1).",
        "relu_negative.svg": "ReLU at x = -2: the gradient stops (0).",
        "sigmoid_graph.svg": "Sigmoid built from ×(-1), exp, +1, 1/x at x = 1: dy/dx = y(1 - y) = 0.196612.",
        "sigmoid_simple.svg": "The same as one sigmoid node (the simplified graph)."}),
    (affine, "The Affine layer for a batch (Fig. 5-24, 5-27)", {
        "affine.svg": "X (2, 2) · W (2, 3) + B (3,): dX = dY·Wᵀ, dW = Xᵀ·dY, dB = the sum of dY "
                      "over the batch; every gradient has its variable's shape."}),
    (softmax_with_loss, "Softmax-with-Loss (Fig. 5-29, 5-30)", {
        "softmax_with_loss.svg": "Softmax, log, × t, sum, × (-1/N): the gradient at the scores "
                                 "is (y - t) / N.",
        "softmax_with_loss_simple.svg": "The same loss as one cross-entropy node: (y - t) / N."}),
    (gradient_check, "Gradient check of TwoLayerNet(784, 50, 10)", {
        "two_layer_net.svg": "The network as modules (the autograd engine's graph, collapsed).",
        "two_layer_net_detail.svg": "The same graph, every node."}),
    (higher_order, "Higher-order derivatives of tanh", {
        "tanh_derivatives.svg": "tanh and its 1st to 4th derivatives by "
                                "autograd.grad(create_graph=True), over x in [-7, 7].",
        "tanh_derivatives.png": "The same plot as PNG.",
        "tanh_second_derivative_graph.svg": "The graph create_graph=True builds for tanh''(1)."}),
    (train_two_layer_net, "Training TwoLayerNet (train_neuralnet)", {
        "training.svg": "Loss per iteration and train/test accuracy per epoch.",
        "training.png": "The same plot as PNG.",
        "two_layer_net_weights.npz": "The trained weights (.npz, load with np.load or "
                                     "nn.load_weights)."}),
]


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iters", type=integer(1), default=None,
                        help="training iterations (10000)")
    parser.add_argument("--dataset", default="auto", choices=["auto", "mnist", "fashion-mnist"])
    parser.add_argument("--data-dir", default=None, help="a directory holding the IDX files")


def _run(module: ModuleType, argv: list[str], out: Path) -> tuple[list[Path], Any]:
    """One demo under a banner: (its files, the training result or None). A missing data set
    skips the training and makes the gradient check use random data; a diverged training run
    is reported and skipped."""
    name = module.__name__.rsplit(".", 1)[-1]
    print(f"\n=== python -m demos.{name} {' '.join(argv)}".rstrip())
    try:
        if module is train_two_layer_net:  # keep the accuracies for the page
            result = module.run(argv, out_dir=out)
            return list(result.files), result
        return list(module.main(argv, out_dir=out)), None
    except DatasetError as e:
        print(f"no data set: {e}", file=sys.stderr)
        if module is gradient_check:
            return _run(module, ["--synthetic"], out)
        print(f"skipped demos.{name}: no data set")
        return [], None
    except DemoError as e:
        print(f"error: {e}", file=sys.stderr)
        print(f"skipped demos.{name}: {e}")
        return [], None


def _item(path: Path, out: Path, caption: str) -> str:
    rel = html.escape(path.relative_to(out).as_posix() if path.is_relative_to(out) else str(path))
    text = html.escape(caption)
    if path.suffix in (".svg", ".png"):
        return (f'<figure><a href="{rel}"><img src="{rel}" alt="{rel}"></a>'
                f"<figcaption>{text} <code>{rel}</code></figcaption></figure>")
    return f'<p><a href="{rel}">{rel}</a>: {text}</p>'


def write_index(out: Path, produced: list[tuple[ModuleType, str, dict[str, str], list[Path]]],
                summary: str) -> Path:
    """out/index.html: each section's files, in order, with their line of text."""
    parts = []
    for module, title, captions, files in produced:
        doc = (module.__doc__ or "").strip().replace("\n", " ")
        items = "\n".join(_item(p, out, captions.get(p.name, p.name)) for p in files)
        parts.append(f"<section><h2>{html.escape(title)}</h2>\n<p>{html.escape(doc)}</p>\n"
                     f"<p class=\"cmd\"><code>python -m {module.__name__}</code></p>\n{items}</section>")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tracegrad: the demos of chapter 5</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }}
section {{ border-top: 1px solid #ddd; padding-top: .5em; margin-top: 1.5em; }}
figure {{ margin: 1em 0; }}
figure img {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figcaption, .cmd {{ color: #555; }}
.summary {{ background: #f6f8fa; padding: .8em; border-radius: 6px; }}
</style>
</head>
<body>
<h1>tracegrad: backpropagation, drawn (Deep Learning from Scratch, chapter 5)</h1>
<p class="summary">{html.escape(summary)}
See the <a href="apple_steps.html">backward pass of the apple example, step by step</a>.</p>
{chr(10).join(parts)}
</body>
</html>
"""
    return write_file(out / "index.html", page)


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run every demo into --out, write index.html there, print where everything is."""
    args = parse_args(__doc__, argv, out_dir, _options)
    data = (["--dataset", args.dataset] + (["--data-dir", args.data_dir] if args.data_dir else []))
    argvs = {gradient_check: data,
             train_two_layer_net: data + (["--iters", str(args.iters)] if args.iters is not None else [])}
    produced, result = [], None
    for module, title, captions in SECTIONS:
        files, outcome = _run(module, argvs.get(module, []), args.out)
        produced.append((module, title, captions, files))
        result = outcome or result
    final = ("the training run was skipped (no data set)" if result is None else
             f"training on {result.dataset} ended at train acc {result.final_train:.4f}, "
             f"test acc {result.final_test:.4f} ({result.seconds:.0f} s)")
    index = write_index(args.out, produced, "Every figure below was made by "
                                            f"python -m demos.tour; {final}.")
    files = [p for *_, fs in produced for p in fs] + [index]
    print("\n=== tour done")
    print(f"{len(files) - 1} files in {args.out}/; {final}")
    print(f"open {index}")
    return files


if __name__ == "__main__":
    main(sys.argv[1:])
