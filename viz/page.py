"""SVG made fit to inline in an HTML page (the explorer's page, viz/explore.py)."""
from __future__ import annotations

import re

_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)
_ID = re.compile(r'\b(id|href|xlink:href)="(#?)([^"]*)"')


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document made fit to embed in HTML: no prolog or comments, every id (and every
    reference to one) prefixed, so several drawings can share a page."""
    svg = _PROLOG.sub("", svg).strip()
    return _ID.sub(lambda m: f'{m.group(1)}="{m.group(2)}{prefix}{m.group(3)}"', svg)
