"""Each operation's local derivative written as a rule a learner can read, with its number.

Scalar operations read like the lecture's formulas (`∂(a×b)/∂a = b`, `σ'(x) = y(1 − y)`);
Tensor operations read as the matrix rules of chapter 5 with the real shapes
(`dX = dY·Wᵀ: (3, 5)·(5, 4) → (3, 4)`), naming the axes a broadcast input is summed over.
Only the nodes' public attributes are read (op, op_name, data, parents, local_grads).
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from .format import format_number, format_shape

# op_name -> (how the operation reads, the derivative for each input): written with the user's
# own names, {a} and {b} for the inputs ({x} for one), {y} for the node itself, so a rule can never
# mix a template's letter up with a label ("∂(apple × apple_num)/∂apple = apple_num").
SCALAR_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "add": ("{a} + {b}", ("1", "1")),
    "sub": ("{a} − {b}", ("1", "−1")),
    "mul": ("{a} × {b}", ("{b}", "{a}")),
    "div": ("{a} / {b}", ("1/{b}", "−{a}/{b}²")),
    "pow": ("{a} ** {b}", ("{b}·{a}^({b} − 1)", "{a}^{b}·ln {a}")),
    "neg": ("−{x}", ("−1",)),
    "exp": ("exp({x})", ("exp({x}) = {y}",)),
    "log": ("log({x})", ("1/{x}",)),
    "tanh": ("tanh({x})", ("1 − {y}²",)),
    "sigmoid": ("σ({x})", ("{y}·(1 − {y})",)),
    "relu": ("ReLU({x})", ("1 if {x} > 0, else 0",)),
    "sqrt": ("√{x}", ("1/(2√{x})",)),
    "abs": ("|{x}|", ("sign({x})",)),
}
_UNARY_PRIME = {"tanh": "tanh'", "sigmoid": "σ'", "relu": "ReLU'"}  # f'(x) reads better than ∂

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_SIMPLE_NAME = re.compile(r"[\w.#]+|[\w.#]*\[[^\]]*\]")


def term(name: str) -> str:
    """A name as an operand inside a rule: as it is when it reads as one symbol ('x', 'w0',
    '2.5'), else in parentheses ('(-2)', '(layers.0/neurons.1/b)', '(a b)')."""
    if _SIMPLE_NAME.fullmatch(name) and not name.startswith("-"):
        return name
    return f"({name})"


def exponent_of(node: Any) -> float | None:
    """n for a node computed as x ** n with a constant n (its symbol reads '**n'), else None."""
    op = str(node.op or "")
    if not op.startswith("**") or len(op) == 2:
        return None
    try:
        return float(op[2:])
    except ValueError:
        return None


def _power_text(x: str, n: float) -> str:
    """x², x⁻¹ for integers; x^0.5 otherwise."""
    if n == int(n):
        return x + str(int(n)).translate(_SUPERSCRIPT)
    return f"{x}^{format_number(n)}"


def _power_rule(x: str, n: float) -> str:
    """'3·x²': the derivative of x ** n with n substituted."""
    if n == 0:
        return "0"
    if n == 1:
        return "1"
    if n == 2:
        return f"2·{x}"
    return f"{format_number(n)}·{_power_text(x, n - 1)}"


def _letters(node: Any, names: dict) -> dict:
    parents = node.parents
    out = {"y": term(names[node])}
    if len(parents) == 2:
        out.update(a=term(names[parents[0]]), b=term(names[parents[1]]))
    elif parents:
        out["x"] = term(names[parents[0]])
    return out


def scalar_form(node: Any, names: dict) -> str:
    """How a Value's operation reads with its inputs' names: 'apple × apple_num', 'σ(x)'."""
    n = exponent_of(node)
    letters = _letters(node, names)
    if n is not None:
        return _power_text(letters["x"], n)
    known = SCALAR_RULES.get(node.op_name)
    if known and len(node.parents) == (2 if "{a}" in known[0] else 1):
        return known[0].format(**letters)
    args = ", ".join(term(names[p]) for p in node.parents)
    return f"{node.op_name or node.op}({args})"


def scalar_rule(node: Any, i: int, names: dict) -> tuple[str, str]:
    """The derivative of `node` with respect to its input i as (left side, right side), both in
    the user's names: ('∂(apple × apple_num)/∂apple', 'apple_num'), ("σ'(x)", 'y·(1 − y)')."""
    letters = _letters(node, names)
    wrt = term(names[node.parents[i]])
    n = exponent_of(node)
    if n is not None:
        return f"∂({_power_text(letters['x'], n)})/∂{wrt}", _power_rule(letters["x"], n)
    known = SCALAR_RULES.get(node.op_name)
    if known and i < len(known[1]) and len(node.parents) == len(known[1]):
        rhs = known[1][i].format(**letters)
        if node.op_name in _UNARY_PRIME:
            return f"{_UNARY_PRIME[node.op_name]}({letters['x']})", rhs
        return f"∂({scalar_form(node, names)})/∂{wrt}", rhs
    return f"∂({node.op_name or node.op})/∂(input {i + 1})", ""


def rule_text(node: Any, i: int, names: dict) -> str:
    """'∂(apple × apple_num)/∂apple = apple_num'."""
    lhs, rhs = scalar_rule(node, i, names)
    return f"{lhs} = {rhs}" if rhs else lhs


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
        "div": (f"d{a} = d{y} / {b}", f"d{b} = −d{y} ⊙ {y} / {b}   (−{a}/{b}²)"),
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
        lecture = ("Softmax-with-Loss" if {"y", "t", "N"} & {x, y} else
                   "Softmax-with-Loss, (y − t)/N with y = softmax, t = targets")
        lines.append(f"d{x} = (softmax({x}) − targets)/N · d{y}, the targets as one-hot rows, "
                     f"N = {n}: {shape_text(in_shape)}   (the lecture's {lecture})")
        note = ""
    else:
        rule = _unary(op, node, y, x) if len(parents) == 1 else None
        lines.append((rule or f"d{x} from {op or node.op}'s backward") + f": "
                     f"{shape_text(in_shape)}")
        note = ""
    if note:
        lines.append(note)
    return lines
