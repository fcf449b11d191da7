"""The explorer page (viz.explore(...).save) against the old step page: seconds and bytes.

Run: `python benchmarks/bench_viz.py [--repeat 3] [--old-max-nodes 150]`.
For scalar graphs of about 10, 100 and 500 nodes (a neuron, scalar MLPs) and for the lecture's
TwoLayerNet (784-50-10 on 3 samples), it prints the seconds to write each page (best and median
of --repeat runs) and its size in bytes, next to the page `save_steps` wrote before the explorer:
one whole SVG laid out again by `dot` for every step (kept below as `old_steps_page`, for this
comparison only). The old page runs `dot` once per backward step, so it is skipped above
--old-max-nodes nodes by default (minutes and hundreds of MB).
Targets (issue 10): the 500-node page under 3 MB and 5 s on 2 cores, size linear in nodes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import viz  # noqa: E402
from autograd import Value  # noqa: E402
from nn import TwoLayerNet  # noqa: E402
from nn.scalar import MLP  # noqa: E402
from viz.format import escape_html  # noqa: E402
from viz.page import inline_svg  # noqa: E402


# ---- the old step page (viz/page.py and viz/steps.py before the explorer), for comparison ----
def old_steps_page(frames: list[tuple[str, str]], title: str) -> str:
    """The old page: one <section> per backward step, each with its own whole SVG."""
    sections = []
    for k, (text, svg) in enumerate(frames, 1):
        sections.append(f'<section class="frame" id="frame-{k}" data-step="{k}" hidden>\n'
                        f"<pre>{escape_html(text)}</pre>\n{inline_svg(svg, f'f{k}-')}\n</section>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape_html(title)}"
            "</title></head><body>" + "\n".join(sections) + "</body></html>")


def save_old(output: Any, path: Path) -> None:
    frames = [(f.text, f.graph.pipe(format="svg", encoding="utf-8"))
              for f in viz.backward_steps(output)]
    path.write_text(old_steps_page(frames, "steps"), encoding="utf-8")


def save_new(output: Any, path: Path) -> None:
    viz.explore(output).save(path)


# ---- the graphs -------------------------------------------------------------------------------
def neuron() -> Any:
    """tanh(w1·x1 + w2·x2 + b): 10 nodes."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")
    y = (x1 * w1 + x2 * w2 + b).tanh()
    y.label = "y"
    return y


def mlp(nin: int, outs: list[int]) -> Callable[[], Any]:
    def make() -> Any:
        model = MLP(nin, outs, rng=0)
        y = model([Value(0.1 * i + 0.3, label=f"x{i}") for i in range(nin)])
        y = y[0] if isinstance(y, list) else y
        y.label = "y"
        return y
    return make


def two_layer_net() -> Any:
    net = TwoLayerNet(784, 50, 10, seed=0)
    x = np.random.default_rng(1).random((3, 784))
    return net.graph(x, np.array([3, 1, 4]))


GRAPHS = [("scalar ~10", neuron), ("scalar ~100", mlp(3, [4, 4, 1])),
          ("scalar ~500", mlp(6, [10, 8, 1])), ("TwoLayerNet 784-50-10, N=3", two_layer_net)]


def timed(save: Callable[[Any, Path], None], make: Callable[[], Any], path: Path,
          repeat: int) -> tuple[float, float, int]:
    """(best, median) seconds to write the page of a fresh graph (backward run first, not timed)."""
    times = []
    for _ in range(repeat):
        out = make()
        out.backward()
        started = time.perf_counter()
        save(out, path)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), path.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per page (default 3)")
    parser.add_argument("--old-max-nodes", type=int, default=150,
                        help="largest graph the old page is measured on (default 150)")
    args = parser.parse_args(argv)
    print(f"{'graph':28} {'nodes':>6} | {'explorer s (best/median)':>24} {'bytes':>10} "
          f"{'B/node':>7} | {'old page s':>10} {'bytes':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in GRAPHS:
            nodes = len(viz.nodes.graph_order(make()))
            best, median, size = timed(save_new, make, Path(tmp) / "new.html", args.repeat)
            if nodes <= args.old_max_nodes:
                old_best, _, old_size = timed(save_old, make, Path(tmp) / "old.html", 1)
                old = f"{old_best:10.2f} {old_size:11,}"
            else:
                old = f"{'skipped':>10} {'(dot/step)':>11}"
            print(f"{name:28} {nodes:6} | {best:11.2f} / {median:10.2f} {size:10,} "
                  f"{size // nodes:7,} | {old}", flush=True)


if __name__ == "__main__":
    main()
