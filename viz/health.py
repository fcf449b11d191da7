"""Gradient health: how large each gradient of a graph is, on a log scale, as colour and width.

`heat_data(output)` is what the explorer's heat view (viz/static/heat.js) reads: for node k (the
SVG's n{k}, in `graph_order`) the magnitude of its gradient, and for each edge the magnitude of
what flows back along it: |g| for a Value, the L2 norm for a Tensor. `heat_graph(output)` is the
same view as a static drawing (svg/png/pdf through dot), for figures and side-by-side
comparisons; `heat_explorer(output)` an explorer page that opens on the heat view.

The scale: log10 of the magnitude, from `lo` to `hi` (whole decades; by default the smallest and
largest nonzero finite magnitudes of the graph), mapped on one colour ramp (pale blue: vanishing,
through yellow, to dark red: exploding) and on the width of the stroke. A zero gradient (a dead
ReLU, a constant) is grey and dashed; inf or nan is magenta. Pass `scale=(lo, hi)` to compare
several graphs on the same scale.
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from .build import build
from .dot import Graph
from .nodes import grad_of, graph_order, has_gradients, is_const, plain

# (position on the scale, colour): pale blue (vanishing) -> yellow -> dark red (exploding)
RAMP = ((0.0, "#d1e5f0"), (0.25, "#67a9cf"), (0.5, "#fee08b"), (0.75, "#f46d43"),
        (1.0, "#7f0000"))
ZERO_COLOR = "#b0b0b0"
BAD_COLOR = "#d000d0"  # inf or nan
WIDTH = (0.6, 6.0)  # stroke width at the bottom and the top of the scale
_ID = re.compile(r"\bid=(n\d+(?:_in\d+|_out|_op)?)\b")


def magnitude(x: Any) -> float | None:
    """|x| for a number, the L2 norm for an array (inf or nan when it holds one); None for no
    gradient."""
    x = plain(x)
    if x is None:
        return None
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        return abs(float(a))
    if not np.all(np.isfinite(a)):
        return float("nan") if np.isnan(a).any() else float("inf")
    return float(np.linalg.norm(a))


def _sent(node: Any) -> tuple:
    """What the last backward pass sent from `node` to each input."""
    if not node.parents or grad_of(node) is None:
        return (None,) * len(node.parents)
    try:
        return tuple(node.input_grads())
    except Exception:  # an engine node that cannot recompute it: say nothing rather than guess
        return (None,) * len(node.parents)


def _json_number(x: float | None) -> float | str | None:
    if x is None:
        return None
    return x if math.isfinite(x) else repr(x)


def heat_data(output: Any, scale: tuple[int, int] | None = None) -> dict:
    """The heat view's data for the graph of `output`.

    Keys: nodes (per node k its gradient's magnitude, None for a constant or a node without
    gradient), ins (per node k, per input i: the magnitude of what k sent back to input i, the
    edge n{k}_in{i}), lo and hi (the scale: whole decades of log10), ramp, zero, bad, width.
    inf and nan travel as the strings 'inf' and 'nan'."""
    order = graph_order(output)
    grads = has_gradients(output)
    nodes, ins = [], []
    for node in order:
        nodes.append(None if not grads or is_const(node) else magnitude(grad_of(node)))
        sent = _sent(node) if grads else (None,) * len(node.parents)
        ins.append([None if is_const(p) else magnitude(s) for p, s in zip(node.parents, sent)])
    lo, hi = scale if scale is not None else auto_scale(nodes + [m for row in ins for m in row])
    return {"nodes": [_json_number(m) for m in nodes],
            "ins": [[_json_number(m) for m in row] for row in ins],
            "lo": lo, "hi": hi, "ramp": [list(stop) for stop in RAMP], "zero": ZERO_COLOR,
            "bad": BAD_COLOR, "width": list(WIDTH)}


def auto_scale(magnitudes: list) -> tuple[int, int]:
    """(lo, hi): whole decades of log10 around the nonzero finite magnitudes (at least one
    decade apart); (-1, 1) when there are none."""
    finite = [m for m in magnitudes if m is not None and math.isfinite(m) and m > 0]
    if not finite:
        return -1, 1
    lo, hi = math.floor(math.log10(min(finite))), math.ceil(math.log10(max(finite)))
    return (lo, hi) if hi > lo else (lo, lo + 1)


def position(m: float | None, lo: int, hi: int) -> float | None:
    """Where magnitude m sits on the scale, 0 (10**lo or below) to 1 (10**hi or above); None for
    no gradient, zero or not finite (those are drawn apart)."""
    if m is None or not math.isfinite(m) or m <= 0:
        return None
    return min(1.0, max(0.0, (math.log10(m) - lo) / (hi - lo)))


def color(t: float) -> str:
    """The ramp's colour at t (0 to 1), interpolated in RGB; heat.js computes the same."""
    for (t0, c0), (t1, c1) in zip(RAMP, RAMP[1:]):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb = [round(int(c0[i:i + 2], 16) + f * (int(c1[i:i + 2], 16) - int(c0[i:i + 2], 16)))
                   for i in (1, 3, 5)]
            return "#" + "".join(f"{v:02x}" for v in rgb)
    return RAMP[-1][1]


def style(m: float | None, lo: int, hi: int) -> dict:
    """DOT attributes that draw magnitude m: colour and pen width; zero grey dashed, inf/nan
    magenta; {} for no gradient."""
    if m is None:
        return {}
    if not math.isfinite(m):
        return {"color": BAD_COLOR, "penwidth": str(WIDTH[1])}
    if m == 0:
        return {"color": ZERO_COLOR, "penwidth": str(WIDTH[0]), "style": "dashed"}
    t = position(m, lo, hi)
    return {"color": color(t), "penwidth": f"{WIDTH[0] + t * (WIDTH[1] - WIDTH[0]):.2f}"}


def _attrs(attrs: dict) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attrs.items())


def _legend(lo: int, hi: int) -> str:
    """An HTML-like DOT label: the ramp in cells, one per decade, with the decades written."""
    step = max(1, math.ceil((hi - lo) / 12))
    cells = "".join(f'<TD BGCOLOR="{color(position(10.0 ** e, lo, hi))}" WIDTH="34">'
                    f'<FONT POINT-SIZE="9">1e{e}</FONT></TD>' for e in range(lo, hi + 1, step))
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR>'
            '<TD COLSPAN="100"><B>|gradient| (Tensors: norm), log scale</B></TD></TR><TR>'
            f'{cells}<TD BGCOLOR="{ZERO_COLOR}"><FONT POINT-SIZE="9">0</FONT></TD>'
            f'<TD BGCOLOR="{BAD_COLOR}"><FONT POINT-SIZE="9" COLOR="white">inf/nan</FONT></TD>'
            '</TR></TABLE>>')


def heat_graph(output: Any, *, scale: tuple[int, int] | None = None, title: str | None = None,
               collapse: bool = False, constants: str = "show", rankdir: str = "LR",
               max_nodes: int = 500) -> Graph:
    """The drawing of `output`'s graph (viz.draw, mode 'both') with every edge and box coloured
    and thickened by the magnitude of its gradient, and a legend. Needs a backward pass."""
    if not has_gradients(output):
        raise ValueError("heat_graph shows gradients: call output.backward() first")
    data = heat_data(output, scale)
    lo, hi = data["lo"], data["hi"]
    graph = build(output, "both", collapse=collapse, constants=constants, rankdir=rankdir,
                  max_nodes=max_nodes, caller="viz.health.heat_graph")
    number = (lambda x: None if x is None else float(x))
    styles: dict[str, dict] = {}
    for k, m in enumerate(data["nodes"]):
        st = style(number(m), lo, hi)
        if st:
            styles[f"n{k}"] = {**st, "penwidth": str(min(4.0, float(st["penwidth"]) + 0.6))}
            styles[f"n{k}_out"] = st
        for i, mi in enumerate(data["ins"][k]):
            st = style(number(mi), lo, hi)
            if st:
                styles[f"n{k}_in{i}"] = st

    def restyle(line: str) -> str:
        match = _ID.search(line)
        st = styles.get(match.group(1)) if match else None
        if not st or not line.rstrip().endswith("]"):
            return line
        if "style=" in line and "style" in st:
            st = {k: v for k, v in st.items() if k != "style"}
        end = line.rstrip().rfind("]")
        return line[:end] + " " + _attrs(st) + line[end:]

    graph.body[:] = [restyle(line) for line in graph.body]
    graph.node("tg_heat_legend", label=_legend(lo, hi), shape="plaintext")
    if title:
        graph.attr(label=title, labelloc="t", fontsize="16")
    return graph


def heat_explorer(output: Any, *, scale: tuple[int, int] | None = None, **explore_options: Any):
    """viz.explore(output, ...) opened on the heat view (on the given `scale`, for comparing
    pages)."""
    from .explore import explore  # (explore imports this module)

    explorer = explore(output, **explore_options)
    explorer.data["heat"] = heat_data(output, scale)
    explorer.data["view"] = "heat"
    return explorer
