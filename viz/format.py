"""How numbers, arrays and shapes read in a drawing: short, stable, and safe inside HTML labels."""
from __future__ import annotations

import html
import math
import numbers
from typing import Any

import numpy as np

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


def escape_html(text: str) -> str:
    """`text` made safe inside an HTML page (<, >, &, quotes)."""
    return html.escape(str(text), quote=True)


def escape_label(text: str) -> str:
    """`text` made safe inside a Graphviz HTML-like label: HTML-escaped, and backslashes doubled
    (dot reads escapes such as \\N, the node's name, even in HTML labels)."""
    return escape_html(text).replace("\\", "\\\\")
