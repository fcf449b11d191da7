"""`viz.explore(output)`: one interactive page per graph, drawn once, played and explained.

The page holds the SVG that `dot` lays out once and the JSON description of `describe.py`;
viz/static/explorer.js plays the forward and backward passes over it by changing styles and text
only (a node never moves), and explains any clicked node. CSS and JavaScript (with the vendored
Panzoom for zoom and pan) are inlined: the page works from file:// with no network, and in
Jupyter (also in `nbconvert --to html` output, with no kernel behind it).
"""
from __future__ import annotations

import itertools
import json
import math
import os
import re
import secrets
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .build import DEFAULT_MAX_NODES, build, check_constants, check_mode, check_rankdir
from .describe import describe, step_text, total_steps
from .files import write_file
from .format import escape_html
from .nodes import check_node, graph_order, has_gradients
from .page import inline_svg
from .whatif import live_data
from .health import heat_data
from .layouts import scopes

PLAYBACK_MODES = ("forward", "backward", "both")
_COUNTER = itertools.count(1)
_NODE_GROUP = re.compile(r'<g id="(?P<prefix>[\w-]*?)n(?P<k>\d+)(?P<op>_op)?" class="node')
_MODULE_GROUP = re.compile(r'<g id="(?P<prefix>[\w-]*?)m(?P<j>\d+)" class="node')
_EDGE_GROUP = re.compile(r'<g id="(?P<prefix>[\w-]*?)n(?P<k>\d+)_(?:out|in\d+)" class="edge')
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=None)
def static_text(name: str) -> str:
    """A file shipped in viz/static (read once per process)."""
    return resources.files("viz").joinpath("static", *name.split("/")).read_text("utf-8")


def _script(code: str) -> str:
    """Inline JavaScript, safe inside <script>: no '</script' can end it early."""
    return "<script>" + code.replace("</", "<\\/") + "</script>"


def _finite(data: Any) -> Any:
    """`data` with every inf or nan written as the string 'inf', '-inf' or 'nan' (JSON has no such
    numbers; describe() writes them so, this catches any other)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else repr(data)
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def _json(data: Any) -> str:
    """JSON for a <script type="application/json">: '</' and '<!--' cannot break out."""
    text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # UTF-8 cannot hold them
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _library() -> str:
    """Panzoom (kept off AMD/CommonJS loaders such as a notebook's require.js) and the explorer,
    each loaded once per page however many explorers it holds."""
    panzoom = ("if (typeof window.Panzoom !== 'function') { (function (define, module, exports) {\n"
               + static_text("vendor/panzoom.min.js") + "\n}).call(window); }")
    return (_script(panzoom) + "\n" + _script(static_text("explorer.js")) + "\n"
            + _script(static_text("whatif.js")) + "\n" + _script(static_text("practice.js"))
            + "\n" + _script(static_text("heat.js")) + "\n" + _script(static_text("collapse.js")))


def label_svg(svg: str, names: list[str], modules: list[str] = ()) -> str:
    """Name every node group (data-name, data-node; a collapsed module's box data-module and its
    scope as data-name) and mark each edge with the node it feeds (data-node): what the page and
    its script API read."""
    def node(m: re.Match) -> str:
        k = int(m["k"])
        if k >= len(names):
            return m.group()
        return (f'<g id="{m["prefix"]}n{k}{m["op"] or ""}" data-node="{k}" '
                f'data-name="{escape_html(names[k])}" class="node')

    def module(m: re.Match) -> str:
        j = int(m["j"])
        if j >= len(modules):
            return m.group()
        return (f'<g id="{m["prefix"]}m{j}" data-module="{j}" '
                f'data-name="{escape_html(modules[j])}" class="node')

    def edge(m: re.Match) -> str:
        return m.group().replace(' class="edge', f' data-node="{m["k"]}" class="edge', 1)

    svg = _MODULE_GROUP.sub(module, svg)
    svg = _NODE_GROUP.sub(node, svg)
    return _EDGE_GROUP.sub(edge, svg)


def _with_marker(svg: str, prefix: str) -> str:
    """Add the arrowhead that gradient edges show at their start, pointing back to the input."""
    marker = (f'<defs><marker id="{prefix}back" viewBox="0 0 10 10" refX="9" refY="5" '
              'markerWidth="9" markerHeight="7" markerUnits="userSpaceOnUse" '
              'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="red"/></marker>'
              '</defs>')
    match = _SVG_OPEN.search(svg)
    if match is None:
        return svg
    return svg[:match.end()] + marker + svg[match.end():]


class Explorer:
    """One graph's interactive page: `save(path)` writes it, Jupyter shows it inline
    (`_repr_html_`), `html()` returns the whole page and `fragment()` the embeddable part.

    `dot` runs once, here; the description (`data`) is computed here too, so an Explorer shows
    the graph as it was when explore() was called.
    """

    def __init__(self, output: Any, mode: str = "auto", *, step: int | None = None,
                 max_nodes: int = DEFAULT_MAX_NODES, title: str | None = None,
                 play_ms: int = 700, collapse: bool = False, constants: str = "show",
                 rankdir: str = "LR", caller: str = "viz.explore") -> None:
        check_node(output)
        self.mode = check_mode(mode, output)  # the playback opened on
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)
                                 or step < 0):
            raise ValueError(f"{caller}: step must be a non-negative int or None (the last "
                             f"step), got {step!r}")
        if isinstance(play_ms, bool) or not isinstance(play_ms, int) or play_ms < 50:
            raise ValueError(f"{caller}: play_ms must be an int >= 50 (ms per step), got "
                             f"{play_ms!r}")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"{caller}: title must be a str or None, got {type(title).__name__}")
        if not isinstance(collapse, bool):
            raise TypeError(f"{caller}: collapse must be True or False, got {collapse!r}")
        check_constants(constants)
        rankdir = check_rankdir(rankdir)
        drawing = "both" if has_gradients(output) else "forward"
        graph = build(output, drawing, max_nodes=max_nodes, collapse=collapse,
                      constants=constants, rankdir=rankdir, caller=caller)
        self.data = describe(output, collapse=collapse, constants=constants)
        # the heat view (health.py, heat.js) and the clusters the page collapses (collapse.js)
        self.data.update(heat=heat_data(output), scopes=scopes(graph_order(output)), view="plain")
        self.live = live_data(output, collapse, constants)  # what-if and practice (whatif.py)
        self.practice = False  # viz.practice opens the page in practice mode
        total = total_steps(self.data, self.mode)
        if step is not None and step > total:
            raise ValueError(f"{caller}: step={step} is past the last step: the {self.mode} "
                             f"playback has steps 0 to {total}")
        self.svg = graph.pipe(format="svg", encoding="utf-8")
        self.step, self.play_ms = step, play_ms
        self.title = title or (f"How {self.data['root']} was computed, and its gradients"
                               if self.data["hasGrad"] else f"How {self.data['root']} was computed")

    # ---- output ----------------------------------------------------------------------------
    def fragment(self, *, document_keys: bool = False) -> str:
        """The explorer as an HTML fragment under one root element with a fresh id (so it can
        appear several times on a page): styles, SVG, data, scripts. `document_keys`: the arrow
        keys work anywhere on the page, not only once the explorer has the focus."""
        root = f"tg{next(_COUNTER)}{secrets.token_hex(3)}"
        prefix = root + "-"
        svg = _with_marker(label_svg(inline_svg(self.svg, prefix),
                                     [n["name"] for n in self.data["nodes"]],
                                     [m["name"] for m in self.data["modules"]]), prefix)
        data = dict(self.data, prefix=prefix, mode=self.mode, step=self.step,
                    documentKeys=document_keys, playMs=self.play_ms, live=self.live,
                    practice=self.practice)
        disabled = "" if self.data["hasGrad"] else " disabled"
        return f"""<div class="tg-explorer" id="{root}" tabindex="0" style="--tg-back-arrow: url(#{prefix}back)">
<style>{static_text("explorer.css")}</style>
<div class="tg-toolbar">
<select class="tg-mode" title="which pass to play">
<option value="forward">forward pass</option>
<option value="backward"{disabled}>backward pass</option>
<option value="both"{disabled}>forward, then backward</option>
</select>
<button type="button" class="tg-prev" title="previous step (←)">&larr; Previous</button>
<button type="button" class="tg-play">Play</button>
<button type="button" class="tg-next" title="next step (→)">Next &rarr;</button>
<input type="range" class="tg-slider" min="0" max="0" value="0" aria-label="step">
<span class="tg-counter">step 0 / 0</span>
<span class="tg-sep"></span>
<button type="button" class="tg-zoom-out" title="zoom out">&minus;</button>
<button type="button" class="tg-zoom-in" title="zoom in">+</button>
<button type="button" class="tg-fit" title="show the whole graph">fit</button>
<span class="tg-hint">wheel: zoom, drag: pan, click a node: why its gradient is what it is</span>
</div>
<pre class="tg-steptext">{escape_html(step_text(self.data, self.mode, self.step))}</pre>
<div class="tg-main">
<div class="tg-view"><div class="tg-canvas">{svg}</div></div>
<aside class="tg-panel"><p class="tg-hint">Click any node to see its value, its gradient, the
local derivative of each input as a rule and a number, the chain rule that adds up to its
gradient, and every path from {escape_html(self.data["root"])} to it.</p></aside>
</div>
<script type="application/json" class="tg-data">{_json(data)}</script>
{_library()}
{_script(f"window.tracegrad.mount({json.dumps(root)});")}
</div>"""

    def html(self) -> str:
        """The whole self-contained page (what `save` writes)."""
        title = escape_html(self.title)
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script>
window.vizErrors = [];  // what the tests read: any uncaught error while the page runs
window.addEventListener('error', function (e) {{ window.vizErrors.push(String(e.message)); }});
</script>
<style>body {{ margin: 1em 1.5em; font-family: system-ui, sans-serif; }}
h1 {{ font-size: 1.3em; margin: .2em 0 .4em; }}</style>
</head>
<body>
<h1>{title}</h1>
{self.fragment(document_keys=True)}
</body>
</html>
"""

    def _repr_html_(self) -> str:
        return self.fragment()

    def save(self, path: str | os.PathLike) -> str:
        """Write the page to `path` (*.html; missing folders created, the file appears only once
        complete); returns the path."""
        if Path(path).suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"Explorer.save writes an HTML page: name it *.html, got "
                             f"{os.fspath(path)!r}")
        write_file(path, self.html())
        return os.fspath(path)


def explore(output: Any, mode: str = "auto", *, step: int | None = None,
            max_nodes: int = DEFAULT_MAX_NODES, title: str | None = None,
            play_ms: int = 700, collapse: bool = False, constants: str = "show",
            rankdir: str = "LR") -> Explorer:
    """An interactive explorer of the graph of `output` (a Value or Tensor).

    mode: the pass the page opens on: 'forward' (values appear in the order they are
    computed), 'backward' (the seed ∂L/∂L = 1, then node by node as the engine visits them),
    'both' (one after the other), or 'auto' ('both' once output.backward() has run, else
    'forward'). step: the step opened on (None: the last, everything shown).
    max_nodes: refuse larger graphs (see viz.draw). collapse, constants, rankdir: as for
    viz.draw (collapse=True: each nn module is one box, its nodes played in one step and its panel
    listing them; constants='fold': constants written into their operations, no step of their
    own). title: the page's heading; play_ms: milliseconds per step when playing.
    Needs Graphviz's `dot`.
    """
    return Explorer(output, mode, step=step, max_nodes=max_nodes, title=title, play_ms=play_ms,
                    collapse=collapse, constants=constants, rankdir=rankdir)
