"""The tour (`make demo`): runs the lecture's demos in order (apples, chain rule, nodes, layers,
gradient check, higher-order derivatives, training) and writes out/index.html, one page showing
every figure once, with a caption built from the numbers that demo computed in this run, and a
link to an interactive explorer (viz.explore) for each of the lecture's graphs.
"""
from __future__ import annotations

import argparse
import html
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

import viz
from nn.datasets import DatasetError
from viz.files import write_file
from viz.format import format_shape

from . import (add_mul_nodes, affine, backward_steps, buy_apple, buy_apple_orange, chain_rule,
               gradient_check, higher_order, relu_sigmoid, softmax_with_loss, train_two_layer_net)
from . import optimizer_compare, overfit, weight_init  # chapter 6
from . import train_convnet  # chapter 7
from .common import DemoError, DemoResult, fmt, integer, parse_args

FIGURES = (".svg", ".png")
EXPLORER_SUFFIX = "_explorer.html"  # buy_apple.svg's graph -> buy_apple_explorer.html

Captions = Callable[[dict[str, Any]], dict[str, str]]


# ---------------------------------------------------------------- captions, from each run's numbers
# Each function takes a demo's `numbers` and returns {file name: caption}. Captions are plain text
# (escaped when the page is written); every number in them comes from `numbers`.


def _buy_apple(n: dict[str, Any]) -> dict[str, str]:
    return {
        "buy_apple_forward.svg": f"Forward: {fmt(n['apple_num'])} apples at {fmt(n['apple'])} each, "
                                 f"times the tax {fmt(n['tax'])}: the price is {fmt(n['price'])}.",
        "buy_apple.svg": f"Backward, gradients in red: d price / d apple = "
                         f"{fmt(n['dapple'])}, d price / d apple_num = {fmt(n['dapple_num'])}, "
                         f"d price / d tax = {fmt(n['dtax'])}."}


def _backward_steps(n: dict[str, Any]) -> dict[str, str]:
    return {"apple_steps.html": f"The apple example's backward pass in {n['steps']} steps, one per "
                                "multiply node: each sends the upstream gradient times its local "
                                "derivative to its inputs."}


def _buy_apple_orange(n: dict[str, Any]) -> dict[str, str]:
    return {"buy_apple_orange.svg": (
        f"Price ({fmt(n['apple'])} × {fmt(n['apple_num'])} + {fmt(n['orange'])} × "
        f"{fmt(n['orange_num'])}) × {fmt(n['tax'])} = {fmt(n['price'])}; gradients: apple_num "
        f"{fmt(n['dapple_num'])}, apple {fmt(n['dapple'])}, orange {fmt(n['dorange'])}, "
        f"orange_num {fmt(n['dorange_num'])}, tax {fmt(n['dtax'])}.")}


def _chain_rule(n: dict[str, Any]) -> dict[str, str]:
    return {"chain_rule.svg": (
        f"z = t² with t = x + y, at x = {fmt(n['x'])}, y = {fmt(n['y'])}: t = {fmt(n['t'])}, "
        f"z = {fmt(n['z'])}; dz/dt = 2t = {fmt(n['dz/dt'])}, and by the chain rule dz/dx = "
        f"dz/dt · dt/dx = {fmt(n['dz/dx'])}, dz/dy = {fmt(n['dz/dy'])}.")}


def _add_mul_nodes(n: dict[str, Any]) -> dict[str, str]:
    captions = {}
    for name, e in n.items():
        x, y, z = e["labels"]
        head = (f"{'Add' if e['op'] == '+' else 'Multiply'} node {x} {e['op']} {y}: "
                f"{fmt(e['x'])} {e['op']} {fmt(e['y'])} = {fmt(e['z'])}, upstream gradient "
                f"{fmt(e['upstream'])}")
        if e["op"] == "+":
            tail = f"passes unchanged to both inputs: d{x} = {fmt(e['dx'])}, d{y} = {fmt(e['dy'])}."
        else:
            tail = (f"times the other input: d{x} = {fmt(e['upstream'])} × {fmt(e['y'])} = "
                    f"{fmt(e['dx'])}, d{y} = {fmt(e['upstream'])} × {fmt(e['x'])} = {fmt(e['dy'])}.")
        captions[f"{name}.svg"] = f"{head} {tail}"
    return captions


def _relu_sigmoid(n: dict[str, Any]) -> dict[str, str]:
    captions = {}
    for name in ("relu", "relu_negative"):
        e = n[name]
        what = "passes" if e["dy/dx"] else "stops"
        captions[f"{name}.svg"] = (f"ReLU at x = {fmt(e['x'])}: y = {fmt(e['y'])}, and the "
                                   f"gradient {what}: dy/dx = {fmt(e['dy/dx'])}.")
    e = n["sigmoid_graph"]
    captions["sigmoid_graph.svg"] = (
        f"Sigmoid built from its nodes (negate, exp, add one, reciprocal) at x = {fmt(e['x'])}: "
        f"y = {fmt(e['y'])}, and backward gives dy/dx = y(1 − y) = {fmt(e['dy/dx'])}.")
    e = n["sigmoid_simple"]
    captions["sigmoid_simple.svg"] = (f"The same as one sigmoid node (the simplified graph): "
                                      f"y = {fmt(e['y'])}, dy/dx = {fmt(e['dy/dx'])}.")
    return captions


def _affine(n: dict[str, Any]) -> dict[str, str]:
    s = {key: format_shape(tuple(value)) for key, value in n.items() if key != "N"}
    return {"affine.svg": (
        f"A batch of N = {n['N']}: X {s['X']} · W {s['W']} + B {s['B']} = Y {s['Y']}. Backward: "
        f"dX = dY·Wᵀ {s['dX']}, dW = Xᵀ·dY {s['dW']}, dB = dY summed over the batch {s['dB']}; "
        "every gradient has its variable's shape.")}


def _softmax_with_loss(n: dict[str, Any]) -> dict[str, str]:
    first = ", ".join(fmt(v) for v in n["dL/da"][0])
    return {
        "softmax_with_loss.svg": (
            f"Softmax, log, times t, sum, times minus one over N, for N = {n['N']} samples: the "
            f"loss is {fmt(n['loss'])}, and the gradient at the scores is (y − t) / N (first row: "
            f"{first})."),
        "softmax_with_loss_simple.svg": (
            f"The same loss, {fmt(n['loss'])}, as one cross-entropy node, whose backward is "
            "(y − t) / N directly.")}


def _gradient_check(n: dict[str, Any]) -> dict[str, str]:
    diffs = "; ".join(f"{engine}: " + ", ".join(f"{key} {diff:.2g}" for key, diff in d.items())
                      for engine, d in n["diffs"].items())
    sizes = ", ".join(str(k) for k in n["sizes"])
    data = f"{n['samples']} samples of {n['source']}" if n["synthetic"] else n["source"]
    return {
        "two_layer_net.svg": (
            f"TwoLayerNet({sizes}) on {data}, as modules (the autograd graph collapsed): loss "
            f"{fmt(n['loss'])}. Mean |backprop − numerical gradient| per parameter, {diffs}."),
        "two_layer_net_detail.svg": "The same graph with every node (it is wide: scroll sideways, "
                                    "or open it full size)."}


def _higher_order(n: dict[str, Any]) -> dict[str, str]:
    return {
        "tanh_derivatives.svg": (
            f"tanh and its derivatives up to order {n['orders']} by "
            f"autograd.grad(create_graph=True), over x in [{fmt(n['x_min'])}, {fmt(n['x_max'])}] "
            f"({n['points']} points); the largest difference from the closed forms is "
            f"{max(n['errors']):.1e}."),
        "tanh_second_derivative_graph.svg": (
            f"The graph create_graph=True builds for tanh''(x) at x = {fmt(n['x_graph'])}; its "
            f"output is {fmt(n['d2y'])}.")}


def _training(n: dict[str, Any]) -> dict[str, str]:
    return {
        "training.svg": (
            f"Loss at each of {n['iterations']} iterations and train/test accuracy at each of "
            f"{n['epochs']} epochs on {n['dataset']}: final train accuracy "
            f"{n['final_train']:.4f}, test accuracy {n['final_test']:.4f}."),
        "two_layer_net_weights.npz": "The trained weights (load them with np.load or "
                                     "nn.load_weights).",
        **_monitor_caption("training_monitor.svg", n.get("monitor", {}))}


def _monitor_caption(name: str, m: dict[str, Any]) -> dict[str, str]:
    """The caption of a training run's nn.Monitor figure, from its first and last records."""
    if not m:
        return {}
    return {name: (
        f"What nn.Monitor recorded during training, {m['records']} times from iteration "
        f"{m['first_step']} to {m['last_step']}: {m['param']}'s gradient norm went from "
        f"{m['grad'][0]:.3g} to {m['grad'][1]:.3g}, its update ratio from {m['ratio'][0]:.2g} to "
        f"{m['ratio'][1]:.2g}; histograms of activations and gradients over time.")}


def _optimizer_compare(n: dict[str, Any]) -> dict[str, str]:
    ends = "; ".join(f"{name} (lr {fmt(p['lr'])}) ends at f = {p['f']:.3g}"
                     for name, p in n["paths"].items())
    captions = {"optimizer_paths.svg": (
        f"The paths of four optimizers on the book's f(x, y) from ({fmt(n['start'][0])}, "
        f"{fmt(n['start'][1])}), {n['steps']} steps each: {ends}.")}
    if n["dataset"] is not None:
        accs = ", ".join(f"{name} {acc:.4f}" for name, acc in n["test_acc"].items())
        captions["optimizer_mnist.svg"] = (
            f"Batch loss of MultiLayerNet with {n['layers']} hidden layers of {n['hidden']} units "
            f"on {n['dataset']}, {n['iterations']} iterations of batch {n['batch_size']} per "
            f"optimizer; test accuracy afterwards: {accs}.")
    return captions


def _weight_init(n: dict[str, Any]) -> dict[str, str]:
    def layers(activation: str) -> str:
        return "; ".join(f"{label}: {', '.join(f'{s:.2g}' for s in e['std'])}"
                         for label, e in n[activation].items())

    def grads(activation: str) -> str:
        return "; ".join(f"{label} {e['grad_W1']:.2g} and {e['grad_W6']:.2g}"
                         for label, e in n[activation].items())

    head = f"{n['samples']} random inputs through {n['layers']} layers of {n['units']} units"
    return {
        "weight_init_sigmoid.svg": (f"Sigmoid activations, {head}. Their standard deviation, "
                                    f"layer by layer: {layers('sigmoid')}."),
        "weight_init_relu.svg": (f"ReLU activations, {head}. Their standard deviation, layer by "
                                 f"layer: {layers('relu')}."),
        "weight_init_gradients.svg": (f"The gradient norm of each layer's weights after one "
                                      f"backward pass; first and last layer, sigmoid: "
                                      f"{grads('sigmoid')}; ReLU: {grads('relu')}.")}


def _overfit(n: dict[str, Any]) -> dict[str, str]:
    runs = "; ".join(f"{name}: train {r['train']:.4f}, test {r['test']:.4f}"
                     for name, r in n["runs"].items())
    m = n["monitor"]
    return {
        "overfit.svg": (
            f"{n['samples']} training samples of {n['dataset']}, {n['epochs']} epochs, "
            f"{n['layers']} hidden layers of {n['hidden']} units, plain, with weight decay "
            f"{fmt(n['weight_decay'])} and with Dropout {fmt(n['dropout_ratio'])}: {runs}."),
        "overfit_monitor.svg": (
            f"The plain run seen by nn.Monitor, {m['records']} records from iteration "
            f"{m['first_step']} to {m['last_step']}: the first layer's gradient norm went from "
            f"{m['grad_W1'][0]:.3g} to {m['grad_W1'][1]:.3g}, its update ratio from "
            f"{m['ratio_W1'][0]:.2g} to {m['ratio_W1'][1]:.2g}.")}


def _convnet(n: dict[str, Any]) -> dict[str, str]:
    size = f"{n['filter_size']}×{n['filter_size']}"
    return {
        "convnet_training.svg": (
            f"SimpleConvNet ({n['filter_num']} filters {size}, ReLU, max pooling, Affine, ReLU, "
            f"Affine) on {n['dataset']}: loss at each of {n['iterations']} iterations, accuracy at "
            f"each of {n['epochs']} epochs; final train accuracy {n['final_train']:.4f}, test "
            f"accuracy {n['final_test']:.4f}."),
        "convnet_filters.svg": (
            f"The {n['filter_num']} first-layer filters ({size}) before training (random) and "
            "after: the trained ones respond to edges and blobs."),
        "convnet_graph.svg": (
            f"The net's autograd graph for {n['graph_samples']} test images, one box per layer "
            f"(im2col, the product with the filters and max pool are inside); loss "
            f"{fmt(n['graph_loss'])}. Its explorer page plays the layers forward and backward."),
        "convnet_weights.npz": "The trained weights (load them with np.load or nn.load_weights).",
        **_monitor_caption("convnet_training_monitor.svg", n.get("monitor", {}))}


@dataclass
class Section:
    """One demo on the page: the module, a title, a line of text (no numbers), its captions."""

    module: ModuleType
    title: str
    lead: str
    captions: Captions


SECTIONS: list[Section] = [
    Section(buy_apple, "Buying apples (Fig. 5-2, 5-16)",
            "Multiply nodes only: backward, each input's gradient is the upstream gradient times "
            "the other inputs.", _buy_apple),
    Section(backward_steps, "The apple example's backward pass, step by step",
            "The engine visits the nodes from the output back to the inputs.", _backward_steps),
    Section(buy_apple_orange, "Buying apples and oranges (Fig. 5-17)",
            "An add node joins the two prices: it passes its gradient on unchanged.",
            _buy_apple_orange),
    Section(chain_rule, "The chain rule (Fig. 5-7, 5-8)",
            "Backward multiplies the local derivatives along the path from the output.",
            _chain_rule),
    Section(add_mul_nodes, "Backward through an add and a multiply node (Fig. 5-11, 5-13, 5-14)",
            "One node at a time, with an upstream gradient given.", _add_mul_nodes),
    Section(relu_sigmoid, "ReLU and Sigmoid layers (Fig. 5-18, 5-20, 5-21)",
            "ReLU lets the gradient through where its input is positive; Sigmoid's graph, node by "
            "node, gives the derivative the Sigmoid layer computes.", _relu_sigmoid),
    Section(affine, "The Affine layer for a batch (Fig. 5-24, 5-27)",
            "Matrix products backward: the gradients are matrix products with a transpose.",
            _affine),
    Section(softmax_with_loss, "Softmax-with-Loss (Fig. 5-29, 5-30)",
            "The detailed graph and the single node give the same simple gradient.",
            _softmax_with_loss),
    Section(gradient_check, "Gradient check of TwoLayerNet",
            "Backpropagation against the numerical gradient, with the hand-written layers and "
            "with autograd.", _gradient_check),
    Section(higher_order, "Higher-order derivatives of tanh",
            "Backward builds a graph too, so it can be differentiated again.", _higher_order),
    Section(train_two_layer_net, "Training TwoLayerNet (train_neuralnet)",
            "Stochastic gradient descent with the gradients from backpropagation.", _training),
    Section(optimizer_compare, "SGD, Momentum, AdaGrad, Adam (Fig. 6-8, 6-9)",
            "The same function and the same network, four ways of stepping downhill.",
            _optimizer_compare),
    Section(weight_init, "Initial weights and activations (Fig. 6-10 to 6-14)",
            "The spread of the initial weights decides whether activations and gradients survive "
            "many layers.", _weight_init),
    Section(overfit, "Overfitting, weight decay and Dropout (Fig. 6-20, 6-21, 6-23)",
            "A deep net learns a few hundred samples by heart; weight decay and Dropout narrow "
            "the gap between train and test accuracy.", _overfit),
    Section(train_convnet, "Training SimpleConvNet (Fig. 7-23, 7-24)",
            "Convolution, ReLU and max pooling before the affine layers, trained with Adam; its "
            "first-layer filters learn to see edges.", _convnet),
]


@dataclass
class Shown:
    """A section as run: what its demo returned (None if skipped), captions, explorer pages."""

    section: Section
    result: DemoResult | None
    captions: dict[str, str] = field(default_factory=dict)
    explorers: dict[str, Path] = field(default_factory=dict)  # figure stem -> page

    @property
    def files(self) -> list[Path]:
        """The demo's files, then its explorer pages."""
        return (list(self.result.files) if self.result else []) + list(self.explorers.values())


@dataclass
class Tour:
    """What `run` produced: every section as run, the training result (or None), index.html."""

    shown: list[Shown]
    training: Any
    index: Path

    @property
    def files(self) -> list[Path]:
        """Every file written, index.html last."""
        return [p for s in self.shown for p in s.files] + [self.index]


# ---------------------------------------------------------------- running the demos


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iters", type=integer(1), default=None,
                        help="training iterations (10000)")
    parser.add_argument("--dataset", default="auto", choices=["auto", "mnist", "fashion-mnist"])
    parser.add_argument("--data-dir", default=None, help="a directory holding the IDX files")


def _training_result(result: Any) -> DemoResult:
    """train_two_layer_net's TrainingResult as a DemoResult (its numbers for the captions)."""
    numbers = {"dataset": result.dataset, "iterations": len(result.losses),
               "epochs": len(result.epochs), "final_train": result.final_train,
               "final_test": result.final_test, "seconds": result.seconds,
               "monitor": result.monitor_numbers()}
    return DemoResult(list(result.files), numbers)


def _run(module: ModuleType, argv: list[str], out: Path) -> tuple[DemoResult | None, Any]:
    """One demo under a banner: (what it returned, the training result or None). A missing data
    set skips the training and makes the gradient check use random data; a diverged training
    run is reported and skipped (None)."""
    name = module.__name__.rsplit(".", 1)[-1]
    print(f"\n=== python -m demos.{name} {' '.join(argv)}".rstrip())
    try:
        if module is train_two_layer_net:  # keep the accuracies for the page
            training = module.run(argv, out_dir=out)
            return _training_result(training), training
        return module.run(argv, out_dir=out), None
    except DatasetError as e:
        print(f"no data set: {e}", file=sys.stderr)
        if module is gradient_check:
            return _run(module, ["--synthetic"], out)
        print(f"skipped demos.{name}: no data set")
        return None, None
    except DemoError as e:
        print(f"error: {e}", file=sys.stderr)
        print(f"skipped demos.{name}: {e}")
        return None, None


def write_explorers(result: DemoResult, out: Path) -> dict[str, Path]:
    """An explorer page (viz.explore(...).save) for each graph the demo drew, beside its figure:
    {figure stem: page}. Without Graphviz there are none."""
    pages = {}
    for stem, output in result.graphs.items():
        path = out / f"{stem}{EXPLORER_SUFFIX}"
        try:
            viz.explore(output).save(path)
        except viz.GraphvizNotFoundError as e:
            print(f"note: {e}; no explorer pages", file=sys.stderr)
            return pages
        pages[stem] = path
    return pages


# ---------------------------------------------------------------- the page


def _rel(path: Path, out: Path) -> str:
    return html.escape(path.relative_to(out).as_posix() if path.is_relative_to(out) else str(path))


def _items(shown: Shown, out: Path) -> list[str]:
    """The section's files as HTML: each figure once (an SVG's PNG twin becomes a link beside it),
    at its natural size in a scrollable box, its caption, 'open full size' and its explorer."""
    files = shown.result.files if shown.result else []
    svgs = {p.stem for p in files if p.suffix == ".svg"}
    items = []
    for path in files:
        if path.suffix == ".png" and path.stem in svgs:
            continue  # linked from its SVG's figure
        rel = _rel(path, out)
        text = (f'<span class="caption" data-file="{rel}">'
                f"{html.escape(shown.captions.get(path.name, path.name))}</span>")
        links = []
        if path.suffix in FIGURES:
            links.append(f'<a href="{rel}">open full size</a>')
            if path.suffix == ".svg" and path.stem + ".png" in {p.name for p in files}:
                links.append(f'<a href="{_rel(path.with_suffix(".png"), out)}">as PNG</a>')
        if path.stem in shown.explorers:
            links.append(f'<a class="explorer" href="{_rel(shown.explorers[path.stem], out)}">'
                         "explore it: play the passes, click a node for its chain rule</a>")
        link_line = f' <span class="links">{" · ".join(links)}</span>' if links else ""
        if path.suffix in FIGURES:
            items.append(f'<figure id="fig-{html.escape(path.stem)}"><div class="scroll">'
                         f'<img src="{rel}" alt="{rel}"></div>'
                         f"<figcaption>{text}{link_line} <code>{rel}</code></figcaption></figure>")
        else:
            items.append(f'<p class="file"><a href="{rel}">{rel}</a>: {text}{link_line}</p>')
    return items


def write_index(out: Path, shown: list[Shown], summary: str) -> Path:
    """out/index.html: each section's lead, then its files in order with their captions."""
    parts = []
    for s in shown:
        items = "\n".join(_items(s, out)) or "<p class=\"file\">Skipped in this run.</p>"
        parts.append(f"<section><h2>{html.escape(s.section.title)}</h2>\n"
                     f"<p class=\"lead\">{html.escape(s.section.lead)}</p>\n"
                     f"<p class=\"cmd\"><code>python -m {s.section.module.__name__}</code></p>\n"
                     f"{items}</section>")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tracegrad: the demos of chapter 5</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em;
       color: #222; }}
section {{ border-top: 1px solid #ddd; padding-top: .5em; margin-top: 1.5em; }}
figure {{ margin: 1em 0; }}
figure .scroll {{ overflow: auto; max-height: 85vh; border: 1px solid #eee; }}
figure .scroll img {{ display: block; max-width: none; height: auto; }}
figcaption, .cmd, .lead {{ color: #555; }}
figcaption {{ margin-top: .4em; }}
.links a {{ white-space: nowrap; }}
.summary {{ background: #f6f8fa; padding: .8em; border-radius: 6px; }}
</style>
</head>
<body>
<h1>tracegrad: backpropagation, drawn (Deep Learning from Scratch, chapter 5)</h1>
<p class="summary">{html.escape(summary)}</p>
{chr(10).join(parts)}
</body>
</html>
"""
    return write_file(out / "index.html", page)


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> Tour:
    """Run every demo into --out, write an explorer per lecture graph and index.html there."""
    args = parse_args(__doc__, argv, out_dir, _options)
    data = (["--dataset", args.dataset] + (["--data-dir", args.data_dir] if args.data_dir else []))
    argvs = {gradient_check: data,
             train_two_layer_net: data + (["--iters", str(args.iters)] if args.iters is not None else [])}
    argvs[optimizer_compare] = argvs[train_two_layer_net]  # --iters: per optimizer
    argvs[overfit] = data
    argvs[train_convnet] = argvs[train_two_layer_net]  # --iters: the ConvNet's too
    shown, training = [], None
    for section in SECTIONS:
        result, outcome = _run(section.module, argvs.get(section.module, []), args.out)
        s = Shown(section, result)
        if result is not None:
            s.captions = section.captions(result.numbers)
            s.explorers = write_explorers(result, args.out)
        shown.append(s)
        training = outcome or training
    final = ("the training run was skipped (no data set)" if training is None else
             f"training on {training.dataset} ended at train accuracy {training.final_train:.4f}, "
             f"test accuracy {training.final_test:.4f} ({training.seconds:.0f} s)")
    index = write_index(args.out, shown, "Every figure and number below was made by this run of "
                                         f"python -m demos.tour; {final}.")
    tour = Tour(shown, training, index)
    explorers = sum(len(s.explorers) for s in shown)
    print("\n=== tour done")
    print(f"{len(tour.files) - 1} files in {args.out}/ ({explorers} explorer pages); {final}")
    print(f"open {index}")
    return tour


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the tour (see `run`); returns the files written, index.html last."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
