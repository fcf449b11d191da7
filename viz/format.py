"""How numbers, arrays and shapes read in a drawing: short, stable, and safe inside HTML labels."""
from __future__ import annotations

import html
import math
import numbers
import re
from typing import Any

import numpy as np

# dot refuses a quoted or HTML string longer than 16384 characters; escaping may grow text ~9 times.
NAME_CHARS = 80  # a node's or module's name in its box; longer ones are cut (tooltip: all of it)
TOOLTIP_CHARS = 1000  # a tooltip (a scope's path) or a cluster's DOT name
SMALL_ARRAY_SIZE = 9  # arrays up to 3x3 may show their values; larger ones only their shape
ARRAY_DIGITS = 4  # significant digits of array entries, to keep the boxes narrow


def format_number(x: Any, digits: int = 6) -> str:
    """`x` with up to `digits` significant digits: 220, 2.2, 110, 1.1e-05, -0.5.

    Float noise disappears (100*2*1.1 == 220.00000000000003 reads 220), and -0 reads 0.
    """
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        raise TypeError(f"format_number takes a real number, got {type(x).__name__}")
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = "%.*g" % (digits, x)
    return "0" if text == "-0" else text


def format_shape(shape: tuple, dtype: Any = None) -> str:
    """'(2, 3)', with the dtype added when it is not float64: '(2, 3) float32'."""
    text = "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    if dtype is not None and np.dtype(dtype) != np.float64:
        text += f" {np.dtype(dtype).name}"
    return text


def is_small(array: np.ndarray) -> bool:
    """Whether an array is small enough (size <= 9, ndim <= 2) to show its values."""
    return array.size <= SMALL_ARRAY_SIZE and array.ndim <= 2


def format_array_rows(array: np.ndarray) -> list[str]:
    """A small array as text rows, '[1, 2]' per row; [] for an array too large to show."""
    array = np.asarray(array)
    if not is_small(array):
        return []
    if array.ndim == 0:
        return [format_number(array.item())]
    if array.dtype == bool:
        array = array.astype(int)
    rows = [array.tolist()] if array.ndim == 1 else array.tolist()
    return ["[" + ", ".join(format_number(v, ARRAY_DIGITS) for v in row) + "]" for row in rows]


# What XML 1.0 cannot hold, even as a character reference: C0 controls other than tab, newline and
# carriage return, lone surrogates (a Python str may hold them; UTF-8 cannot), U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NEWLINE = re.compile("\r\n|\r|\n")


def visible(text: Any) -> str:
    """`str(text)` with every character XML 1.0 forbids written as its Python escape.

    C0 control characters other than tab, newline and carriage return, lone surrogates, U+FFFE and
    U+FFFF cannot appear in an SVG or a UTF-8 page, so they read as text: '\\x01', '\\ud800',
    '\\uffff'. Every other character, tab and newline included, is kept.
    """
    return _NOT_XML.sub(lambda m: ascii(m.group())[1:-1], str(text))


def shorten(text: Any, limit: int) -> str:
    """`str(text)`, or its first limit - 1 characters and '…' when it is longer than `limit`."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def escape_html(text: Any) -> str:
    """`text` made safe inside an HTML page: `visible`, then <, >, &, quotes escaped."""
    return html.escape(visible(text), quote=True)


def escape_label(text: Any) -> str:
    """`text` made safe inside a Graphviz HTML-like label: `escape_html`, backslashes doubled
    (dot reads escapes such as \\N, the node's name, even in HTML labels), ']' as a character
    reference (dot refuses a text of only ']'), each line break a <BR/> and each tab a space
    (dot would drop them)."""
    escaped = escape_html(text).replace("\\", "\\\\").replace("]", "&#93;").replace("\t", " ")
    lines = _NEWLINE.split(escaped)
    return "<BR/>".join(lines)


def escape_string(text: Any) -> str:
    """`text` for a quoted DOT attribute that dot expands (an escString, e.g. a tooltip), to be
    read literally: `visible`, then each backslash quadrupled (dot unescapes twice: once reading
    the quotes, once expanding \\N, \\G, ...; the quotes themselves graphviz escapes), and each
    '&' written '&amp;' (dot copies the text into the SVG and keeps '&...;' as an entity)."""
    return visible(text).replace("\\", "\\" * 4).replace("&", "&amp;")


def format_operand(x: Any) -> str:
    """A number written inside an operation's symbol (a folded constant: '×2', '+(-1)', '10/'):
    `format_number`, in parentheses when negative so that '×(-2)' does not read as '×-2'."""
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text
