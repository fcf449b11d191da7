"""`gradcheck(fn, *inputs)`: an operation's backward against central differences, orders 1 and 2.

    >>> import numpy as np
    >>> from autograd import Function, Tensor, gradcheck
    >>> class Cube(Function):
    ...     def forward(self, x):
    ...         return x ** 3
    ...     def backward(self, g, x, out):
    ...         return (g * 3 * x * x,)
    >>> gradcheck(Cube, np.array([0.5, -1.5])).ok
    True

`fn` is a Function (a subclass, or an instance used as a template: each evaluation applies a
fresh copy) or any callable that builds a graph from Tensors and returns a Tensor.

Order 1: a fixed random R of the output's shape makes the scalar L = sum(fn(x)·R) (every output
entry counts, with its own weight); autograd's dL/dx is compared with central differences
(L(x + h·e_i) − L(x − h·e_i)) / 2h for every entry i of every input, in float64.
Order 2: the first-order gradients built with create_graph=True are themselves differentiated
(M = Σ_inputs sum(dL/dx·S), S random) and compared with central differences of the ordinary
first-order gradient: a backward that is right once but not differentiable (an array saved in
forward and used as a constant, NumPy on Tensors) shows up here.
"""
from __future__ import annotations

import copy
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .engine import grad, no_grad
from .tensor import Function, Tensor

H = 1e-6  # relative central-difference step: h·max(1, |x|)
RTOL = 1e-5
ATOL = 1e-9  # beside each entry's own allowance (rounding and truncation)
_STATE = ("_applied", "saved", "released", "needs")  # what one application leaves on a Function


@dataclass
class GradError:
    """How autograd's gradient of one input compares with central differences, at one order."""

    order: int  # 1: dL/dx; 2: the gradient of Σ dL/dx·S, through create_graph
    input: str  # the input's name (forward's parameter name, or 'input i')
    shape: tuple
    max_abs: float  # max |analytic − numerical|
    max_rel: float  # max |analytic − numerical| / the largest |analytic| or |numerical| entry
    # (so that entries near 0 do not blow it up; as nn.gradient_check)
    worst: tuple | None  # the entry furthest outside the tolerance (or the largest error)
    analytic: float  # at `worst`
    numerical: float  # at `worst`
    ok: bool
    hint: str = ""  # what the error looks like, in words, when not ok


@dataclass
class GradcheckReport:
    """The result of `gradcheck`: `.ok`, one `GradError` per input and order (`.rows`), the
    `problems` found before any number was compared, the tolerance and why; prints as a table and
    shows as one in Jupyter."""

    name: str
    rows: list[GradError] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    orders: tuple = (1, 2)
    rtol: float = RTOL
    atol: float = ATOL
    h: float = H
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found and every input passes at every order checked."""
        return not self.problems and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def tolerance(self) -> str:
        """The pass criterion, and why it is that."""
        return (f"an entry passes when |analytic − numerical| <= atol + rtol·|numerical| + its "
                f"allowance (atol = {self.atol:g}, rtol = {self.rtol:g}): central differences in "
                f"float64, step {self.h:g}·max(1, |x|), output entry by output entry; the "
                f"allowance is the rounding of the output entries that moved (16·eps·their size "
                f"/ step) plus the truncation |D(h) − D(2h)|, so a right backward passes and a "
                f"wrong formula fails")

    def verdict(self) -> str:
        failed = sorted({r.order for r in self.rows if not r.ok})
        if self.ok:
            return f"gradcheck {self.name}: ok (orders {', '.join(map(str, self.orders))})"
        kinks = sorted({r.order for r in self.rows if not r.ok and "kink" in r.hint})
        what = "; ".join(self.problems[:1] + [
            f"order {o} not checkable: an input is at a kink" if o in kinks else
            f"order {o} wrong" for o in failed])
        return f"gradcheck {self.name}: FAILED ({what})"

    def __str__(self) -> str:
        header = ("order", "input", "shape", "max abs err", "max rel err", "worst at",
                  "analytic", "numerical", "verdict")
        body = [(str(r.order), r.input, str(r.shape), _num(r.max_abs), _num(r.max_rel),
                 str(r.worst) if r.worst is not None else "-", _num(r.analytic),
                 _num(r.numerical), "ok" if r.ok else "WRONG") for r in self.rows]
        lines = [self.verdict(), ""] + _table(header, body)
        items = ([("problems", self.problems)] if self.problems else []) + (
            [("what the errors look like", [f"order {r.order}, {r.input}: {r.hint}"
                                            for r in self.rows if r.hint])]
            if any(r.hint for r in self.rows) else []) + (
            [("notes", self.notes)] if self.notes else [])
        for head, texts in items:
            lines.append(f"{head}:")
            lines += [textwrap.fill(t, 100, initial_indent="  - ", subsequent_indent="    ")
                      for t in texts]
        lines.append(textwrap.fill(f"tolerance: {self.tolerance}", 100, subsequent_indent="  "))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from html import escape
        color = "#1a7f37" if self.ok else "#cf222e"
        head = "".join(f"<th>{h}</th>" for h in ("order", "input", "shape", "max abs err",
                                                  "max rel err", "worst at", "analytic",
                                                  "numerical", "verdict"))
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in (
                r.order, r.input, r.shape, _num(r.max_abs), _num(r.max_rel),
                r.worst if r.worst is not None else "-", _num(r.analytic), _num(r.numerical)))
            + f'<td style="color:{"#1a7f37" if r.ok else "#cf222e"}">'
              f'{"ok" if r.ok else "WRONG"}</td></tr>' for r in self.rows)
        extra = [f"problem: {p}" for p in self.problems]
        extra += [f"order {r.order}, {r.input}: {r.hint}" for r in self.rows if r.hint]
        extra += [f"note: {n}" for n in self.notes] + [f"tolerance: {self.tolerance}"]
        items = "".join(f"<li>{escape(e)}</li>" for e in extra)
        return (f'<div><b style="color:{color}">{escape(self.verdict())}</b>'
                f"<table><tr>{head}</tr>{rows}</table><ul>{items}</ul></div>")


def _num(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.3g}"


def _table(header: tuple, body: list) -> list[str]:
    """Rows of text, columns aligned, indented, a rule under the header."""
    widths = [max(len(row[i]) for row in [header] + body) for i in range(len(header))]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
             for row in [header] + body]
    return lines[:1] + ["  " + "  ".join("-" * w for w in widths)] + lines[1:]


# ---- what is checked -----------------------------------------------------------------------------
def _fresh(template: Function) -> Function:
    """A copy of a Function instance without what an earlier application left on it."""
    op = copy.copy(template)
    for name in _STATE:
        op.__dict__.pop(name, None)
    return op


def _as_callable(fn: Any) -> tuple[Callable[..., Any], str, Callable[[], Function] | None]:
    """(a function of Tensors, its name, a maker of fresh Function instances or None)."""
    if isinstance(fn, type) and issubclass(fn, Function):
        return (lambda *xs: fn()(*xs)), fn.__name__, fn
    if isinstance(fn, Function):
        return (lambda *xs: _fresh(fn)(*xs)), type(fn).__name__, lambda: _fresh(fn)
    if callable(fn):
        return fn, getattr(fn, "__name__", type(fn).__name__), None
    raise TypeError(f"gradcheck: fn must be a Function (class or instance) or a callable of "
                    f"Tensors, got {type(fn).__name__}")


def _input_names(fn: Any, n: int) -> list[str]:
    """forward's (or fn's) parameter names, else 'input 0', 'input 1', ...: forward's first
    parameter (the instance, whatever it is called) is dropped, as a bound method's signature
    drops it."""
    is_class = isinstance(fn, type) and issubclass(fn, Function)
    target = fn.forward if is_class or isinstance(fn, Function) else fn
    try:
        params = [p for p in inspect.signature(target).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if is_class and not isinstance(inspect.getattr_static(fn, "forward"), staticmethod):
            params = params[1:]  # unbound: its first parameter is the instance
        names = [p.name for p in params]
    except (TypeError, ValueError):
        names = []
    if len(names) < n or len(set(names[:n])) < n:
        return [f"input {i}" for i in range(n)]
    return names[:n]


def _structure(make: Callable[[], Function], arrays: list, names: list[str],
               seed: np.ndarray) -> list[str]:
    """What a Function's backward returns, checked before any number: a tuple with one gradient
    per input, each of its input's shape."""
    op = make()
    try:
        out = np.asarray(op.forward(*arrays))
    except Exception as e:  # noqa: BLE001 - reported, with the op's name
        return [f"{type(op).__name__}.forward raised {type(e).__name__}: {e}"]
    op.needs = (True,) * len(arrays)
    try:
        grads = op.backward(seed.reshape(out.shape), *arrays, out)
    except Exception as e:  # noqa: BLE001
        return [f"{type(op).__name__}.backward raised {type(e).__name__}: {e} (inputs of shapes "
                f"{', '.join(str(a.shape) for a in arrays)})"]
    name = type(op).__name__
    if not isinstance(grads, (tuple, list)):
        return [f"{name}.backward returned a {type(grads).__name__}, not a tuple with one "
                f"gradient per input: write `return (dx,)` (the engine would iterate over the "
                f"array's rows)"]
    problems = []
    if len(grads) != len(arrays):
        problems.append(f"{name}.backward returned {len(grads)} gradient(s) for "
                        f"{len(arrays)} input(s) ({', '.join(names)}); return one per input, "
                        "in the inputs' order")
    for g, a, nm in zip(grads, arrays, names):
        if g is None:
            problems.append(f"{name}.backward returned None for input {nm!r}, which needs a "
                            "gradient")
        elif np.shape(g) != a.shape:
            summed = _broadcast_from(np.shape(g), a.shape)
            problems.append(
                f"{name}.backward returned a gradient of shape {np.shape(g)} for input {nm!r} of "
                f"shape {a.shape}" + (": forward broadcast it, so sum the gradient back with "
                                      "sum_to(grad, shape)" if summed else ""))
    return problems


def _broadcast_from(big: tuple, small: tuple) -> bool:
    """Whether an array of shape `small` broadcasts to `big` (and is smaller)."""
    if big == small:
        return False
    try:
        return np.broadcast_shapes(big, small) == tuple(big)
    except ValueError:
        return False


def gradcheck(fn: Any, *inputs: Any, order: int = 2, seed: int = 0, h: float = H,
              rtol: float = RTOL, atol: float = ATOL) -> GradcheckReport:
    """Check the gradients of `fn` at `inputs` against central differences in float64.

    fn: a Function subclass or instance (`gradcheck(Cube, x)`, `gradcheck(Cube(2.0), x)`), or a
    callable that builds a graph from Tensors and returns a Tensor (`lambda a, b: (a * b).exp()`).
    inputs: arrays, numbers or Tensors; each is checked, except a Tensor with
    requires_grad=False, which stays a constant. Everything runs in float64.
    order: 1 (gradients) or 2 (also gradients of gradients, through create_graph=True).
    Returns a GradcheckReport (`.ok`, a table per input and order, hints in words); nothing is
    raised for a wrong gradient.
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    if not inputs:
        raise TypeError("gradcheck: give the inputs to check fn at, e.g. gradcheck(fn, x)")
    f, name, make = _as_callable(fn)
    checked = [not (isinstance(x, Tensor) and not x.requires_grad) for x in inputs]
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
              for x in inputs]
    names = _input_names(fn, len(inputs))
    report = GradcheckReport(name, orders=tuple(range(1, order + 1)), rtol=rtol, atol=atol, h=h)
    if any(isinstance(x, Tensor) and x.dtype != np.float64 for x in inputs):
        report.notes.append("inputs converted to float64 for the check")
    if not any(checked):
        raise ValueError("gradcheck: every input is a Tensor with requires_grad=False; nothing "
                         "to check (pass arrays, or Tensors that require a gradient)")

    def build(xs: list) -> tuple[Tensor, list[Tensor]]:
        tensors = [Tensor(x.copy(), requires_grad=c) for x, c in zip(xs, checked)]
        out = f(*tensors)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: {name} returned {type(out).__name__}, not a Tensor")
        return out, [t for t, c in zip(tensors, checked) if c]

    with no_grad():
        out0 = build(arrays)[0]
    R = np.random.default_rng(seed).standard_normal(out0.shape)
    if make is not None:
        report.problems += _structure(make, arrays, names, R)

    def first_order(xs: list) -> list[np.ndarray]:
        out, leaves = build(xs)
        return [np.asarray(g, dtype=np.float64) for g in grad(out, leaves, R)]

    def loss(xs: list) -> np.ndarray:  # the terms of L = sum(fn(x)·R), one per output entry
        with no_grad():
            out = build(xs)[0]
        return np.asarray(out.data, dtype=np.float64) * R

    which = [i for i, c in enumerate(checked) if c]
    label = [names[i] for i in which]
    try:
        analytic = first_order(arrays)
    except Exception as e:  # noqa: BLE001 - a backward that raises is a finding
        report.problems.append(f"backward raised {type(e).__name__}: {e}")
        return report
    numeric = [_central(loss, arrays, i, h) for i in which]
    values = [arrays[i] for i in which]
    report.rows += _compare(1, label, analytic, numeric, rtol, atol, values)
    _hint_swapped(report.rows, analytic, numeric, rtol, atol)
    if order == 2:
        S = [np.random.default_rng(seed + 1 + i).standard_normal(arrays[i].shape) for i in which]

        def pairing(xs: list) -> np.ndarray:  # the terms of Σ sum(dL/dx·S)
            return np.concatenate([(g * s).reshape(-1) for g, s in zip(first_order(xs), S)
                                   if g.shape == s.shape] + [np.zeros(0)])
        try:
            analytic2, note = _second_order(build, arrays, R, S)
        except Exception as e:  # noqa: BLE001
            report.problems.append(f"backward under create_graph=True raised "
                                   f"{type(e).__name__}: {e}")
            return report
        if note:
            report.notes.append(note)
        numeric2 = [_central(pairing, arrays, i, h) for i in which]
        rows = _compare(2, label, analytic2, numeric2, rtol, atol, values)
        _hint_swapped(rows, analytic2, numeric2, rtol, atol)
        if all(r.ok for r in report.rows if r.order == 1):
            for r in rows:
                if not r.ok and not r.hint.startswith("shape") and "kink" not in r.hint:
                    r.hint = ("first order is right but the gradient built under create_graph "
                              "differs: backward uses an array kept in forward (a constant to "
                              "the second derivative) or NumPy on Tensors; write it with "
                              "operations Tensors have")
        report.rows += rows
    return report


def _second_order(build: Callable, arrays: list, R: np.ndarray,
                  S: list) -> tuple[list[np.ndarray], str]:
    """d/dx of M = Σ sum(dL/dx · S) through create_graph=True, and a note when a first-order
    gradient came back as a plain array (cut from the graph: its second derivative is 0)."""
    out, leaves = build(arrays)
    firsts = grad(out, leaves, R, create_graph=True)
    M, cut = None, []
    for i, (g, s) in enumerate(zip(firsts, S)):
        if isinstance(g, Tensor) and g.requires_grad and g.shape == s.shape:
            term = (g * Tensor(s)).sum()
            M = term if M is None else M + term
        else:
            cut.append(i)
    note = (f"under create_graph=True the gradient of input(s) {cut} did not come back as a graph "
            "(an array, or no dependence on the inputs): its second derivative counts as 0"
            if cut else "")
    if M is None:
        return [np.zeros(a.shape) for a in (t.data for t in leaves)], note
    return [np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64)
            for g in grad(M, leaves)], note


def _central(terms: Callable[[list], Any], arrays: list, i: int,
             h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gradient, allowance, kink) of sum(terms(arrays)) with respect to every entry of arrays[i]:
    central differences term by term, the step h·max(1, |x|) (see `differences`)."""
    xs = [a.copy() for a in arrays]

    def of_x(x: np.ndarray) -> Any:
        xs[i] = x
        return terms(xs)
    return differences(of_x, xs[i], h)


def _compare(order: int, names: list, analytic: list, numeric: list, rtol: float,
             atol: float, values: list) -> list[GradError]:
    """One row per input: an entry passes when |analytic − numerical| <= atol + rtol·|numerical|
    + its allowance (the rounding of the terms differenced and the truncation); an entry at a
    kink cannot be checked: the row fails, saying so (not blaming the backward)."""
    rows = []
    for name, a, (n, allow, kink), x in zip(names, analytic, numeric, values):
        if a.shape != n.shape:
            hint = f"shape: the gradient has shape {a.shape}, the input {n.shape}"
            if _broadcast_from(a.shape, n.shape):
                hint += ": forward broadcast this input, so sum its gradient back (sum_to)"
            rows.append(GradError(order, name, n.shape, np.nan, np.nan, None, np.nan, np.nan,
                                  False, hint))
            continue
        diff = np.abs(a - n)
        scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(n).max(initial=0.0)))
        excess = diff / (atol + rtol * np.abs(n) + allow)
        at_kink = kink > 0
        judged = np.where(at_kink, 0.0, excess)
        ok = bool(np.all(np.isfinite(a)) and np.all(judged <= 1.0) and not np.any(at_kink))
        worst = tuple(int(k) for k in np.unravel_index(np.nanargmax(judged), a.shape)) \
            if a.size else None
        at = worst if worst is not None else ()
        hint = "" if ok or np.all(judged <= 1.0) else mismatch_hint(
            a[~at_kink], n[~at_kink], rtol, atol + allow[~at_kink])
        if np.any(at_kink):
            hint = "; ".join(t for t in (kink_text(name, x, kink), hint) if t)
        rows.append(GradError(order, name, a.shape, float(diff.max(initial=0.0)),
                              float(diff.max(initial=0.0)) / scale if scale else 0.0, worst,
                              float(a[at]) if a.size else np.nan,
                              float(n[at]) if a.size else np.nan, ok, hint))
    return rows


def mismatch_hint(a: np.ndarray, n: np.ndarray, rtol: float, atol: float) -> str:
    """What a wrong gradient looks like: a flipped sign, a constant factor, zero, NaN."""
    close = lambda x, y: bool(np.all(np.abs(x - y) <= atol + rtol * np.abs(y)))  # noqa: E731
    if not np.all(np.isfinite(a)):
        return "the gradient holds inf or nan"
    if not np.any(n):
        return "the gradient should be 0 here but is not"
    if not np.any(a):
        return "the gradient is 0: backward sends nothing to this input (None or a lost term)"
    if close(-a, n):
        return "the gradient has the wrong sign (it is −1 × the right one)"
    ratio = float(np.sum(a * n) / np.sum(n * n))
    if close(a, ratio * n):
        return (f"the gradient is {ratio:.4g} × the right one: a constant factor is missing "
                "or extra")
    return ""


def _hint_swapped(rows: list[GradError], analytic: list, numeric: list, rtol: float,
                  atol: float) -> None:
    """Two wrong inputs whose gradients match each other's reference: say they are exchanged."""
    if len(rows) != 2 or any(r.ok for r in rows) or analytic[0].shape != analytic[1].shape:
        return
    numeric = [n for n, _, _ in numeric]
    if all(np.all(np.abs(a - n) <= atol + rtol * np.abs(n))
           for a, n in ((analytic[0], numeric[1]), (analytic[1], numeric[0]))):
        for r in rows:
            r.hint = ("the two inputs' gradients are exchanged: backward must return them in "
                      "the order of forward's inputs")


# ---- one entry's central difference, with its error and a kink test ------------------------------
EPS = float(np.finfo(np.float64).eps)
ROUNDING = 16  # roundings allowed per term: each term is computed by a few operations


def _flat(v: Any) -> np.ndarray:
    return np.asarray(v, dtype=np.float64).reshape(-1)


def entry_difference(terms: Callable[[Any], Any], x: Any, idx: tuple, step: float,
                     base: np.ndarray | None = None) -> tuple[float, float, float]:
    """(derivative, error allowance, kink) of sum(terms(x)) with respect to x[idx].

    terms(x) returns the terms whose sum is the scalar differenced (one per output entry, e.g.
    out·R); they are differenced term by term, so a large term that does not move (exp(15) while
    another entry is nudged) adds no rounding. The allowance is the rounding of the terms that
    moved (the largest term when none did), ROUNDING·eps·Σ max|term| / step, plus the truncation |D(h) − D(2h)| (Richardson).
    kink is the jump between the one-sided slopes (f(x+h) − f(x))/h and (f(x) − f(x−h))/h when
    it stays put at twice the step (a kink: relu, abs at 0; for a smooth f it doubles, being
    h·f''), else 0. x is a float64 array (set in place and restored) or a Python float."""
    array = isinstance(x, np.ndarray)
    value = float(x[idx]) if array else float(x)

    def at(v: float) -> np.ndarray:
        if not array:
            return _flat(terms(v))
        keep = x[idx]
        try:
            x[idx] = v
            return _flat(terms(x))
        finally:
            x[idx] = keep

    t0 = at(value) if base is None else base
    # the steps actually taken (x ± h is rounded: x = -8 and h = 8e-6 do not give ±h exactly)
    u1, l1, u2, l2 = [(value + k * step) - value for k in (1, -1, 2, -2)]
    p1, m1, p2, m2 = at(value + u1), at(value + l1), at(value + u2), at(value + l2)
    d1 = float(np.sum(p1 - m1)) / (u1 - l1)
    d2 = float(np.sum(p2 - m2)) / (u2 - l2)
    moved = (p1 != m1) | (p2 != m2) | (p1 != t0) | (m1 != t0)
    size = np.maximum.reduce([np.abs(p2), np.abs(m2), np.abs(t0)])
    # nothing moved: x[idx] is not used, or its change is lost in rounding in some term
    mag = float(np.sum(size[moved]) if np.any(moved) else np.max(size, initial=0.0))
    noise = EPS * mag / step
    if not np.isfinite(d1):
        return d1, np.inf, 0.0
    allow = ROUNDING * noise + abs(d1 - d2)
    jump = abs(float(np.sum(p1 - t0)) / u1 - float(np.sum(t0 - m1)) / -l1)
    jump2 = abs(float(np.sum(p2 - t0)) / u2 - float(np.sum(t0 - m2)) / -l2)
    kink = jump if jump > 1e3 * noise and jump2 < 1.5 * jump else 0.0
    return d1, allow, kink


def differences(terms: Callable[[Any], Any], x: Any, h: float,
                entries: list | None = None) -> tuple[Any, Any, Any]:
    """(gradient, allowance, kink) of sum(terms(x)) for every entry of x (or those listed; NaN
    elsewhere), the step h·max(1, |x[i]|); see entry_difference. x a float64 array or a float."""
    if not isinstance(x, np.ndarray):
        step = h * max(1.0, abs(x))
        return entry_difference(terms, x, (), step)
    x = x.copy()
    base = _flat(terms(x))
    grad, allow, kink = np.full(x.shape, np.nan), np.full(x.shape, np.nan), np.zeros(x.shape)
    for idx in (np.ndindex(x.shape) if entries is None else entries):
        step = h * max(1.0, abs(float(x[idx])))
        grad[idx], allow[idx], kink[idx] = entry_difference(terms, x, idx, step, base)
    return grad, allow, kink


def kink_text(name: str, x: Any, kink: Any) -> str:
    """'x[1] = 0 is at a kink of the function ...' for the entries where kink > 0, else ''."""
    where = [idx for idx in np.ndindex(np.shape(kink)) if np.asarray(kink)[idx] > 0]
    if not where:
        return ""
    shown = ", ".join(f"{name}{list(i) if i else ''} = {float(np.asarray(x)[i]):.4g}"
                      for i in where[:4]) + (" ..." if len(where) > 4 else "")
    return (f"{shown} {'is' if len(where) == 1 else 'are'} at a kink of the function (the "
            f"one-sided slopes differ there, so no derivative exists to check): move the input "
            f"away from it; this is not a mistake in the backward")
