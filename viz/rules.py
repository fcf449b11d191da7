"""Each operation's local derivative written as a rule a learner can read, with its number.

Scalar operations read like the lecture's formulas (`∂(a×b)/∂a = b`, `σ'(x) = y(1 − y)`);
Tensor operations read as the matrix rules of chapter 5 with the real shapes
(`dX = dY·Wᵀ: (3, 5)·(5, 4) → (3, 4)`), naming the axes a broadcast input is summed over.
Only the nodes' public attributes are read (op, op_name, data, parents, local_grads).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .format import format_number, format_shape

# op_name -> (the expression in a, b or x, the rule for each input); y is the node's own value.
SCALAR_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "add": ("a + b", ("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1")),
    "sub": ("a − b", ("∂(a−b)/∂a = 1", "∂(a−b)/∂b = −1")),
    "mul": ("a × b", ("∂(a×b)/∂a = b", "∂(a×b)/∂b = a")),
    "div": ("a / b", ("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²")),
    "pow": ("a ** b", ("∂(aᵇ)/∂a = b·aᵇ⁻¹", "∂(aᵇ)/∂b = aᵇ·ln a")),
    "neg": ("−x", ("d(−x)/dx = −1",)),
    "exp": ("exp(x)", ("d(eˣ)/dx = eˣ = y",)),
    "log": ("log(x)", ("d(log x)/dx = 1/x",)),
    "tanh": ("tanh(x)", ("tanh'(x) = 1 − y²",)),
    "sigmoid": ("σ(x)", ("σ'(x) = y(1 − y)",)),
    "relu": ("ReLU(x)", ("ReLU'(x) = 1 if x > 0, else 0",)),
    "sqrt": ("√x", ("d(√x)/dx = 1/(2√x)",)),
    "abs": ("|x|", ("d|x|/dx = sign(x)",)),
}

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def exponent_of(node: Any) -> float | None:
    """n for a node computed as x ** n with a constant n (its symbol reads '**n'), else None."""
    op = str(node.op or "")
    if not op.startswith("**") or len(op) == 2:
        return None
    try:
        return float(op[2:])
    except ValueError:
        return None


def _power_text(n: float) -> str:
    """x², x⁻¹ for integers; x^0.5 otherwise."""
    if n == int(n):
        return "x" + str(int(n)).translate(_SUPERSCRIPT)
    return f"x^{format_number(n)}"


def _power_rule(n: float) -> str:
    """'d(x³)/dx = 3x²': the rule of x ** n with n substituted."""
    lhs = f"d({_power_text(n)})/dx"
    if n == 0:
        return f"{lhs} = 0"
    if n == 1:
        return f"{lhs} = 1"
    if n == 2:
        return f"{lhs} = 2x"
    return f"{lhs} = {format_number(n)}·{_power_text(n - 1)}"


def scalar_form(node: Any) -> str:
    """How a Value's operation reads in a, b (inputs) or x (one input): 'a × b', 'σ(x)'."""
    n = exponent_of(node)
    if n is not None:
        return _power_text(n)
    known = SCALAR_RULES.get(node.op_name)
    return known[0] if known else f"{node.op_name or node.op}(…)"


def scalar_rule(node: Any, i: int) -> str:
    """The rule of d(node)/d(input i) in a, b, x, y: '∂(a×b)/∂a = b'."""
    n = exponent_of(node)
    if n is not None:
        return _power_rule(n)
    known = SCALAR_RULES.get(node.op_name)
    if known and i < len(known[1]) and len(node.parents) == len(known[1]):
        return known[1][i]
    return f"∂({node.op_name or node.op})/∂(input {i + 1})"


def legend(node: Any, names: dict) -> str:
    """'a = apple_price = 200, b = tax = 1.1, y = price = 220': what the rule's letters stand for."""
    letters = ("a", "b") if len(node.parents) == 2 else ("x",)
    parts = [f"{letter} = {names[p]} = {format_number(p.data)}"
             for letter, p in zip(letters, node.parents)]
    parts.append(f"y = {names[node]} = {format_number(node.data)}")
    return ", ".join(parts)


# ---- Tensor operations ----------------------------------------------------------------------
def shape_text(shape: tuple) -> str:
    return format_shape(tuple(shape))


def broadcast_axes(small: tuple, big: tuple) -> tuple[int, ...]:
    """The axes of `big` that a gradient is summed over to come back to `small`, when an input of
    shape `small` was broadcast to `big` (leading axes added, axes of length 1 stretched)."""
    lead = len(big) - len(small)
    axes = list(range(lead))
    axes += [lead + j for j, n in enumerate(small) if n == 1 and big[lead + j] != 1]
    return tuple(axes)


def broadcast_note(name: str, small: tuple, big: tuple) -> str:
    """'summed over axis 0: b (3,) was broadcast to (2, 3)', or '' when nothing was broadcast."""
    axes = broadcast_axes(tuple(small), tuple(big))
    if not axes:
        return ""
    which = f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))
    note = (f"summed over {which}: {name} {shape_text(small)} was broadcast to "
            f"{shape_text(big)}")
    if axes == (0,) and len(big) == 2 and len(small) == 1:
        note += f" (d{name} = Σ_batch, the sum over the batch)"
    return note


def _elementwise(op: str, i: int, y: str, a: str, b: str) -> str:
    rules = {
        "add": (f"d{a} = d{y}", f"d{b} = d{y}"),
        "sub": (f"d{a} = d{y}", f"d{b} = −d{y}"),
        "mul": (f"d{a} = d{y} ⊙ {b}", f"d{b} = d{y} ⊙ {a}"),
        "div": (f"d{a} = d{y} / {b}", f"d{b} = −d{y} ⊙ {y} / {b}   (−a/b²)"),
        "pow": (f"d{a} = d{y} ⊙ {b}·{a}^({b}−1)", f"d{b} = d{y} ⊙ {y}·ln {a}"),
    }
    return rules[op][i]


def _unary(op: str, node: Any, y: str, x: str) -> str | None:
    parent = node.parents[0]
    n = exponent_of(node)
    if n is not None:
        return f"d{x} = d{y} ⊙ {format_number(n)}·{x}^{format_number(n - 1)}"
    if op == "relu":
        passing = int(np.count_nonzero(np.asarray(parent.data) > 0))
        return (f"d{x} = d{y} ⊙ [{x} > 0]   (the mask: the gradient passes where {x} > 0, "
                f"{passing} of {np.size(parent.data)} entries)")
    simple = {
        "neg": f"d{x} = −d{y}",
        "exp": f"d{x} = d{y} ⊙ {y}   (exp' = exp)",
        "log": f"d{x} = d{y} / {x}",
        "tanh": f"d{x} = d{y} ⊙ (1 − {y}²)",
        "sigmoid": f"d{x} = d{y} ⊙ {y}(1 − {y})",
        "softmax": f"d{x} = {y} ⊙ (d{y} − Σ_row d{y}⊙{y})",
        "logsoftmax": f"d{x} = d{y} − softmax({x})·Σ_row d{y}",
        "max": f"d{x} = d{y} at the maxima of {x} (ties share it), 0 elsewhere",
        "masked": f"d{x} = d{y} where the mask is off, 0 under it",
        "reshape": f"d{x} = d{y} reshaped back to {shape_text(np.shape(parent.data))}",
        "transpose": f"d{x} = d{y} with its axes put back (transposed back)",
        "getitem": f"d{x} = zeros {shape_text(np.shape(parent.data))} with d{y} added at the "
                   "index (repeated indices add up)",
        "indexadd": f"d{x} = d{y}[index]",
        "astype": f"d{x} = d{y} cast back to {np.asarray(parent.data).dtype}",
        "sumto": f"d{x} = d{y} broadcast back to {shape_text(np.shape(parent.data))}",
    }
    return simple.get(op)


def tensor_rule(node: Any, i: int, names: dict) -> list[str]:
    """The matrix rule for d(loss)/d(input i) of a Tensor operation, with the real shapes, plus a
    line naming any broadcast summed over. Lines of text; never empty."""
    op, parents = node.op_name, node.parents
    y, x = names[node], names[parents[i]]
    out_shape = tuple(np.shape(node.data))
    in_shape = tuple(np.shape(parents[i].data))
    lines: list[str] = []
    if op == "matmul":
        a, b = (names[p] for p in parents)
        sa, sb = (tuple(np.shape(p.data)) for p in parents)
        if i == 0:
            bt = sb[:-2] + (sb[-1], sb[-2])
            lines.append(f"d{a} = d{y}·{b}ᵀ: {shape_text(out_shape)}·{shape_text(bt)} → "
                         f"{shape_text(out_shape[:-1] + bt[-1:])}")
        else:
            at = sa[:-2] + (sa[-1], sa[-2])
            lines.append(f"d{b} = {a}ᵀ·d{y}: {shape_text(at)}·{shape_text(out_shape)} → "
                         f"{shape_text(at[:-1] + out_shape[-1:])}")
        batch_out = out_shape[:-2] + in_shape[-2:]
        note = broadcast_note(x, in_shape, batch_out) if len(out_shape) > 2 else ""
    elif op in ("add", "sub", "mul", "div", "pow") and len(parents) == 2:
        a, b = (names[p] for p in parents)
        lines.append(f"{_elementwise(op, i, y, a, b)}: {shape_text(out_shape)}")
        note = broadcast_note(x, in_shape, out_shape)
    elif op in ("sum", "mean"):
        count = max(1, int(np.size(parents[i].data)) // max(1, int(np.size(node.data))))
        spread = f"d{x} = d{y} {shape_text(out_shape)} copied back to {shape_text(in_shape)}"
        lines.append(spread + (f", divided by {count} (the entries averaged)"
                               if op == "mean" else ""))
        note = ""
    elif op == "broadcastto":
        lines.append(f"d{x} = d{y} summed back to {shape_text(in_shape)}")
        note = broadcast_note(x, in_shape, out_shape)
    elif op == "crossentropy":
        n = in_shape[0] if in_shape else 1
        lines.append(f"d{x} = (y − t)/N · d{y}, y = softmax({x}), t = the targets as rows, "
                     f"N = {n}: {shape_text(in_shape)}   (the lecture's Softmax-with-Loss)")
        note = ""
    else:
        rule = _unary(op, node, y, x) if len(parents) == 1 else None
        lines.append((rule or f"d{x} from {op or node.op}'s backward") + f": "
                     f"{shape_text(in_shape)}")
        note = ""
    if note:
        lines.append(note)
    return lines
