"""Where nn modules sit in a drawing: the cluster of each scope, its id, and their order.

Every drawing puts the nodes an nn module made in a cluster (a dashed box) per scope. The
explorer's page collapses and expands those clusters in place (viz/static/collapse.js): it needs
to know which cluster is which scope (`scope_ids`: cluster s{j} is scope j of `scopes`), and the
drawing keeps sibling modules in their natural order (neurons.0 above neurons.1 ... neurons.10),
so that a collapsed layer reads in order (`cluster_order`).
"""
from __future__ import annotations

import re
from typing import Any, Iterable

_PARTS = re.compile(r"(\d+)")


def natural_key(scope: str) -> list:
    """'MLP/layers.10' sorts after 'MLP/layers.9': numbers compare as numbers."""
    return [(0, int(t), "") if t.isdecimal() else (1, 0, t) for t in _PARTS.split(scope or "")]


def scopes(order: Iterable[Any]) -> list[str]:
    """Every scope the nodes of `order` were made in, with the scopes enclosing them
    ('Net', 'Net/Affine1', ...), in natural order."""
    found: set = set()
    for node in order:
        scope = getattr(node, "scope", None) or None
        while scope is not None and scope not in found:
            found.add(scope)
            scope = scope.rsplit("/", 1)[0] if "/" in scope else None
    return sorted(found, key=natural_key)


def scope_ids(order: Iterable[Any]) -> dict[str, str]:
    """{scope: its cluster's id in the drawing, 's0', 's1', ...} (j in `scopes(order)`)."""
    return {scope: f"s{j}" for j, scope in enumerate(scopes(order))}


def cluster_order(children: list[str], rankdir: str) -> list[str]:
    """Sibling clusters in natural order, the order to declare them in: dot then draws them in
    that order, left to right with rankdir TB, and bottom to top with LR (dot lays LR out as TB
    turned a quarter; declaring them the other way round did not give the reverse reliably).
    `rankdir` is kept for that choice."""
    return sorted(children, key=natural_key)

