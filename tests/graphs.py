"""Graphs several test files build: micrograd's README expression.

    from graphs import micrograd_expression
    g, a, b = micrograd_expression()
"""
from __future__ import annotations

from autograd import Value


def micrograd_expression(backward: bool = True) -> tuple[Value, Value, Value]:
    """micrograd's README expression: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773.
    Returns (g, a, b), labelled so; backward done unless `backward` is False."""
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    if backward:
        g.backward()
    return g, a, b
