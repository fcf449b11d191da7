"""The self-contained HTML page of `save_steps`: inline SVG frames, Previous/Next, arrow keys."""
from __future__ import annotations

import re

from .format import escape_html

_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)
_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]*)"')

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
nav { display: flex; gap: .8em; align-items: center; margin-bottom: 1em; }
button { font-size: 1em; padding: .3em 1em; }
#counter { font-weight: bold; min-width: 8em; }
.frame[hidden] { display: none; }
.frame pre { background: #f6f8fa; padding: .8em; border-radius: 6px; font-size: 1em; }
.frame svg { max-width: 100%; height: auto; }
.hint { color: #666; font-size: .9em; }
"""

_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var counter = document.getElementById('counter');
  var prev = document.getElementById('prev');
  var next = document.getElementById('next');
  var current = 0;
  function show(i) {
    if (frames.length === 0) { counter.textContent = 'no steps'; return; }
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var j = 0; j < frames.length; j++) { frames[j].hidden = (j !== current); }
    counter.textContent = 'step ' + (current + 1) + ' / ' + frames.length;
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
  }
  prev.addEventListener('click', function () { show(current - 1); });
  next.addEventListener('click', function () { show(current + 1); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') { show(current + 1); e.preventDefault(); }
    else if (e.key === 'ArrowLeft') { show(current - 1); e.preventDefault(); }
  });
  show(0);
})();
"""


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document made fit to embed in HTML: no prolog/comments, ids unique per frame."""
    svg = _PROLOG.sub("", svg).strip()
    return _ID.sub(lambda m: f'{m.group(1)}="{m.group(2)}{prefix}{m.group(3)}"', svg)


def steps_page(frames: list[tuple[str, str]], title: str) -> str:
    """The whole page for frames given as (explanation text, SVG document)."""
    sections = []
    for k, (text, svg) in enumerate(frames, 1):
        sections.append(f'<section class="frame" id="frame-{k}" data-step="{k}" hidden>\n'
                        f"<pre>{escape_html(text)}</pre>\n{inline_svg(svg, f'f{k}-')}\n</section>")
    body = "\n".join(sections) or "<p>The output has no parents: there is nothing to step.</p>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape_html(title)}</title>
<script>
window.vizErrors = [];  // what the tests read: any uncaught error while the page runs
window.onerror = function (message) {{ window.vizErrors.push(String(message)); }};
</script>
<style>{_STYLE}</style>
</head>
<body>
<h1>{escape_html(title)}</h1>
<nav><button id="prev" type="button">&larr; Previous</button>
<span id="counter">step 1 / {len(frames)}</span>
<button id="next" type="button">Next &rarr;</button>
<span class="hint">(or the arrow keys)</span></nav>
<p class="hint">Each step is one node of the backward pass: its upstream gradient times its local
derivative is the gradient sent to each input. Gradients are red.</p>
{body}
<script>{_SCRIPT}</script>
</body>
</html>
"""
