"""`check_layer`: a layer written by hand, in the lecture's style, against central differences.

    >>> from nn.layers import Affine
    >>> report = check_layer(Affine(W, b), x)      # W (in, out), b (out,), x (N, in)
    >>> report.ok, print(report)

A layer in the lecture's style has `forward(*inputs)`, which remembers what backward needs, and
`backward(dout)`, which returns the gradients of the inputs (one array, or a tuple in forward's
order) and stores the gradient of each parameter `W` in the attribute `dW` (`b` → `db`,
`gamma` → `dgamma`, ...). `check_layer` runs it like a network would and compares every gradient
with central differences of the scalar L = Σ forward(...) · dout, for a random (seeded) dout, in
float64. When a gradient is wrong, it tries to say *why*, in words: it compares backward's answer
with the numerical gradient put through the usual mistakes (the bias gradient not summed over
the batch, a transpose on the wrong side, gradients returned in the wrong order, a factor of the
batch size, of 2 or of −1, a gradient that adds up across calls, a cache from an earlier forward
call), and it probes the layer (forward is first called with other inputs of the same shapes, so
a stale cache shows; backward gets a copy of dout, compared afterwards).

What counts as a failure (`report.ok` is False): a gradient that differs from central
differences, has the wrong shape, is missing (None), or is not finite. What is only a warning
(`report.warnings`; `strict=True` makes them failures):

- backward changed dout in place. The lecture's own `Relu.backward` does `dout[self.mask] = 0`.
  In a chain that is harmless: each layer's dout is used once, by that layer, and thrown away.
  It is wrong where a value is used twice (a value feeding two layers, a residual connection,
  AddLayer handing the *same* array to both inputs): the other user of that array then reads
  the zeroed copy. The gradients `check_layer` checks are right, so the layer passes, warned.
- forward changed one of its inputs in place (the layer below may still need it).
- backward returned one array object as the gradient of two inputs.

Tolerance (float64). Every entry must satisfy |backward − numerical| <= rtol · scale + 10 · e,
where scale is the largest |gradient| of that input or parameter (either side) and e is
`central_differences`' estimate of the rounding error of that entry, eps · (|L+| + |L−|) / 2h.
With h = 1e-6 the central difference's truncation error is about h² |L'''| / 6 ~ 1e-13 and its
rounding error about 1e-16 · |L| / 1e-6 ~ 1e-10 · |L| (the second term allows for it); a right
layer lands near 1e-10 relative, and the mistakes above are off by 1e-2 and more (a wrong
factor, a wrong element), so rtol = 1e-6 leaves three orders of magnitude on each side. Keep
the inputs more than h away from kinks (ReLU at 0): there the central difference is not the
derivative.
"""
from __future__ import annotations

import html
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .functions import central_differences

__all__ = ["check_layer", "LayerReport", "GradientEntry"]

H = 1e-6      # central-difference step (float64)
RTOL = 1e-6   # see the module docstring
_MATCH = 1e-5  # relative agreement for recognising a mistake (the numerical side carries ~1e-10)
_WORST = 3     # worst elements reported per gradient


# ---- the report ------------------------------------------------------------------------------

@dataclass
class GradientEntry:
    """One gradient compared with central differences.

    name: the gradient ('dx' for input x, 'dW' for parameter W); kind: 'input' or 'parameter';
    of: the input's or parameter's name; shape: its shape; grad_shape: the shape backward gave
    (None when it gave nothing); max_abs, max_rel: max |a − n| and that over max(|a|, |n|) (nan
    when the shapes differ); worst: up to three (index, backward, numerical), largest |a − n|
    first; problems: what is wrong, in words (empty when it passes).
    """

    name: str
    kind: str
    of: str
    shape: tuple[int, ...]
    grad_shape: tuple[int, ...] | None
    max_abs: float = float("nan")
    max_rel: float = float("nan")
    worst: list[tuple[tuple[int, ...], float, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class LayerReport:
    """What `check_layer` found: `ok`, one `GradientEntry` per gradient (`report["dW"]`), the
    problems, warnings and notes in words, and the tolerance used. Prints as a table;
    Jupyter shows it as an HTML table."""

    layer: str
    entries: list[GradientEntry]
    problems: list[str]
    warnings: list[str]
    notes: list[str]
    tolerance: str
    strict: bool = False

    @property
    def ok(self) -> bool:
        """No gradient wrong (and, with strict=True, no warning either)."""
        return not self.problems and not (self.strict and self.warnings)

    def __getitem__(self, name: str) -> GradientEntry:
        for entry in self.entries:
            if name in (entry.name, entry.of):
                return entry
        raise KeyError(f"{self.layer}: no gradient {name!r}; there are "
                       f"{[e.name for e in self.entries]}")

    def _rows(self) -> list[list[str]]:
        rows = []
        for e in self.entries:
            shape = _shape(e.shape) + ("" if e.grad_shape in (None, e.shape)
                                       else f" (got {_shape(e.grad_shape)})")
            if e.grad_shape is None:
                shape = _shape(e.shape) + " (got none)"
            worst = _element(*e.worst[0]) if e.worst else ""
            rows.append([e.name, f"{e.kind} {e.of}", shape, _num(e.max_abs), _num(e.max_rel),
                         worst, "ok" if e.ok else "WRONG"])
        return rows

    _HEAD = ["gradient", "of", "shape", "max abs err", "max rel err",
             "worst: backward vs numerical", "verdict"]

    def __str__(self) -> str:
        rows = [self._HEAD] + self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEAD))]
        lines = [self._title(), ""]
        for k, r in enumerate(rows):
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
            if k == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        for e in self.entries:
            if len(e.worst) > 1 and not e.ok:
                lines.append(f"  worst elements of {e.name}: "
                             + "; ".join(_element(*w) for w in e.worst))
        for head, items in (("problems", self.problems), ("warnings", self.warnings),
                            ("notes", self.notes)):
            if items:
                lines.append(f"{head}:")
                lines += [textwrap.fill(item, 100, initial_indent="  - ",
                                        subsequent_indent="    ") for item in items]
        lines.append(textwrap.fill(f"tolerance: {self.tolerance}", 100, subsequent_indent="  "))
        return "\n".join(lines)

    __repr__ = __str__

    def _title(self) -> str:
        bad = sum(not e.ok for e in self.entries)
        if self.ok:
            extra = f", {len(self.warnings)} warning(s)" if self.warnings else ""
            return f"check_layer({self.layer}): ok, {len(self.entries)} gradient(s) right{extra}"
        if self.problems and not bad:
            return f"check_layer({self.layer}): FAILED"
        if not self.problems:
            return f"check_layer({self.layer}): FAILED (strict: warnings count)"
        return f"check_layer({self.layer}): FAILED, {bad} of {len(self.entries)} gradient(s) wrong"

    def _repr_html_(self) -> str:
        esc = html.escape
        colour = {"ok": "#1a7f37", "WRONG": "#cf222e"}
        head = "".join(f"<th style='text-align:left'>{esc(h)}</th>" for h in self._HEAD)
        body = ""
        for r in self._rows():
            cells = "".join(f"<td>{esc(c)}</td>" for c in r[:-1])
            cells += f"<td style='color:{colour[r[-1]]};font-weight:bold'>{esc(r[-1])}</td>"
            body += f"<tr>{cells}</tr>"
        parts = [f"<div class='tracegrad-check-layer'><b>{esc(self._title())}</b>",
                 f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"]
        for title, items, col in (("Problems", self.problems, "#cf222e"),
                                  ("Warnings", self.warnings, "#9a6700"),
                                  ("Notes", self.notes, "#57606a")):
            if items:
                parts.append(f"<div style='color:{col}'>{title}:<ul>"
                             + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul></div>")
        parts.append(f"<div style='color:#57606a'>tolerance: {esc(self.tolerance)}</div></div>")
        return "\n".join(parts)


def _element(index: tuple[int, ...], a: float, n: float) -> str:
    return (f"{list(index)}: " if index else "") + f"{a:.6g} vs {n:.6g}"


def _shape(shape: tuple[int, ...] | None) -> str:
    return "()" if shape == () else str(tuple(shape))


def _num(x: float) -> str:
    return "-" if np.isnan(x) else f"{x:.2e}"


# ---- the layer's inputs ----------------------------------------------------------------------

@dataclass
class _Input:
    """One argument of forward: `array` is the float64 copy that is checked and nudged (None for
    a constant such as integer labels); `scalar` when the caller passed a Python number."""

    name: str
    original: Any
    array: np.ndarray | None
    scalar: bool

    def value(self, array: np.ndarray | None = None) -> Any:
        """What forward gets: a fresh copy every call (so forward cannot change ours)."""
        if self.array is None:
            return np.array(self.original, copy=True) if isinstance(self.original, np.ndarray) \
                else self.original
        a = self.array if array is None else array
        return float(a) if self.scalar else np.array(a, copy=True)


def _prepare(layer_name: str, name: str, value: Any) -> _Input:
    if isinstance(value, (bool, np.bool_)):
        return _Input(name, value, None, False)
    if isinstance(value, (int, float)):
        return _Input(name, value, np.array(float(value)), True)
    if not isinstance(value, (np.ndarray, np.generic, list, tuple)):
        raise TypeError(f"check_layer({layer_name}): input {name} is a {type(value).__name__}; "
                        f"check_layer checks NumPy layers: pass arrays or numbers (a Tensor's "
                        f"numbers are tensor.data)")
    array = np.asarray(value)
    if np.issubdtype(array.dtype, np.floating):
        return _Input(name, value, array.astype(np.float64, copy=True), False)
    if np.issubdtype(array.dtype, np.number) or array.dtype == bool:
        return _Input(name, value, None, False)  # integer labels, masks: constants
    raise TypeError(f"check_layer({layer_name}): input {name} holds {array.dtype}, not numbers")


def _input_names(layer: Any, n: int) -> list[str]:
    """forward's parameter names (x, y; x, t), else input0, input1, ..."""
    try:
        params = [p for p in inspect.signature(layer.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[:n]]
    return names + [f"input{i}" for i in range(len(names), n)]


def _dout_default(layer: Any) -> Any:
    """The default of backward's first argument (the lecture's loss layers: dout=1), or None."""
    try:
        params = list(inspect.signature(layer.backward).parameters.values())
    except (TypeError, ValueError):
        return None
    default = params[0].default if params else None
    if isinstance(default, (int, float, np.number)) and not isinstance(default, bool):
        return default
    return None


def _decoy(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Other inputs of the same shape and range: each row's entries shuffled (a ReLU's mask and
    a softmax change; one-hot or probability rows stay valid targets), else all entries
    shuffled, else (one number) 1.5 times it (1 for 0)."""
    if a.size > 1:
        for d in (rng.permuted(a, axis=-1), rng.permutation(a.ravel()).reshape(a.shape)):
            if not np.array_equal(d, a):
                return d
    return a * 1.5 if np.any(a != 0) else a + 1.0


def _as_gradients(result: Any) -> list[Any]:
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def _as_float64(g: Any) -> np.ndarray | None:
    if g is None:
        return None
    try:
        return np.array(g, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        return None


# ---- the check -------------------------------------------------------------------------------

class _Run:
    """The layer, its inputs, dout and helpers for calling it the same way every time."""

    def __init__(self, layer: Any, inputs: list[_Input], h: float) -> None:
        self.layer, self.inputs, self.h = layer, inputs, h
        self.name = type(layer).__name__
        self.dout: Any = None          # what backward gets (a copy each call)
        self.dout64: np.ndarray = np.zeros(())

    def forward(self, arrays: Sequence[np.ndarray | None]) -> np.ndarray:
        """forward's output, as a float64 copy."""
        return _output(self.name, self.layer.forward(*[inp.value(a) for inp, a
                                                         in zip(self.inputs, arrays)]))

    def dout_copy(self) -> Any:
        return np.array(self.dout, copy=True) if isinstance(self.dout, np.ndarray) else self.dout

    def backward(self, dout: Any = None) -> list[Any]:
        return _as_gradients(self.layer.backward(self.dout_copy() if dout is None else dout))

    def loss(self, arrays: Sequence[np.ndarray | None]) -> float:
        """L = Σ forward(...) · dout, the scalar whose gradient backward computes."""
        out = self.forward(arrays)
        if out.shape != self.dout64.shape:
            raise ValueError(f"check_layer({self.name}): forward's output changed shape from "
                             f"{self.dout64.shape} to {out.shape} for inputs of the same shapes")
        return float(np.sum(out * self.dout64))

    def numerical(self, arrays: list[np.ndarray | None],
                  target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(gradient, rounding error) of L w.r.t. `target` (one of `arrays`, or a parameter
        array of the layer), nudged in place and restored bit for bit."""
        grad, error, _ = central_differences(lambda: self.loss(arrays), target, self.h)
        return grad, error


def check_layer(layer: Any, *inputs: Any, seed: int = 0, wrt: Sequence[int] | None = None,
                h: float = H, rtol: float = RTOL, strict: bool = False) -> LayerReport:
    """Check a hand-written layer's backward against central differences, in float64.

    layer: an object with forward(*inputs) and backward(dout) (the lecture's MulLayer, AddLayer,
    Relu, Sigmoid, Affine, SoftmaxWithLoss, or yours). inputs: what forward takes; float arrays
    and Python numbers are checked (as float64 copies: the caller's arrays are never changed),
    integer arrays (labels) are passed as they are. backward's gradients are matched to the
    inputs in order: one returned array is the first input's gradient, a tuple of k arrays the
    first k inputs' (so SoftmaxWithLoss's labels t are not checked); `wrt=(0, 2)` says which
    inputs they belong to instead.

    Parameters are the float ndarray attributes that forward does not replace and that have a
    gradient attribute after backward: `W` with `dW`. Those not in float64 are replaced by float64
    copies during the check and put back afterwards. For a layer whose output is a single number
    and whose backward has a default dout (the loss layers: backward(dout=1)), dout is that
    default, as at the top of a network; otherwise dout is standard normal, from `seed`.

    The layer is run as: forward(other inputs of the same shapes), backward; forward(inputs),
    backward (the gradients that are checked); then forward many times for the central
    differences (step h). Its caches are left as the last of those calls set them.

    Returns a `LayerReport` (`report.ok`, `print(report)`). Raises TypeError for a layer without
    forward/backward or inputs that are not numbers; exceptions of the layer's own forward and
    backward propagate.
    """
    name = type(layer).__name__
    for method in ("forward", "backward"):
        if not callable(getattr(layer, method, None)):
            raise TypeError(f"check_layer: {name} has no {method}() method; a layer in the "
                            f"lecture's style has forward(*inputs) and backward(dout)")
    if not inputs:
        raise TypeError(f"check_layer({name}): pass the inputs forward takes, "
                        f"e.g. check_layer(layer, x)")
    rng = np.random.default_rng(seed)
    names = _input_names(layer, len(inputs))
    prepared = [_prepare(name, n, v) for n, v in zip(names, inputs)]
    run = _Run(layer, prepared, h)
    real = [inp.array for inp in prepared]
    decoy = [None if a is None else _decoy(a, rng) for a in real]
    problems: list[str] = []
    warnings: list[str] = []
    notes: list[str] = []

    # -- run 0: other inputs first (a stale cache then shows), and discover the parameters ------
    try:
        raw0 = layer.forward(*[inp.value(a) for inp, a in zip(prepared, decoy)])
    except Exception as error:  # the layer refuses other inputs: no stale-cache probe
        notes.append(f"forward refused other inputs of the same shapes ({type(error).__name__}: "
                     f"{error}), so a cache from an earlier call could not be probed")
        decoy = [None if a is None else a.copy() for a in real]
        raw0 = layer.forward(*[inp.value(a) for inp, a in zip(prepared, decoy)])
    out0 = _output(name, raw0)
    default = _dout_default(layer)
    if out0.ndim == 0 and default is not None:
        run.dout, run.dout64 = default, np.array(float(default))
        notes.append(f"forward returns one number (a loss): backward was called with "
                     f"dout = {default!r}, its default, as at the top of a network")
    else:
        run.dout64 = rng.standard_normal(out0.shape)
        run.dout = run.dout64 if isinstance(raw0, np.ndarray) else float(run.dout64)
    grads0 = [_as_float64(g) for g in run.backward()]
    candidates = _float_attributes(layer)
    params0 = {p: _as_float64(getattr(layer, "d" + p, None)) for p in candidates
               if hasattr(layer, "d" + p)}

    cast: dict[str, np.ndarray] = {}
    try:
        for p in params0:
            arr = getattr(layer, p)
            if arr.dtype != np.float64:
                cast[p] = arr
                setattr(layer, p, arr.astype(np.float64))
        if cast:
            notes.append(f"parameters {', '.join(cast)} ({next(iter(cast.values())).dtype}) were "
                         f"checked as float64 copies and put back afterwards")

        # -- the main run: forward(inputs), backward(a copy of dout) ---------------------------
        before = {p: (id(a), a.copy()) for p, a in _float_attributes(layer).items()}
        sent = [inp.value() for inp in prepared]
        layer.forward(*sent)
        dout_sent = run.dout_copy()
        raw = _as_gradients(layer.backward(dout_sent))
        warnings += _side_effects(name, prepared, sent, dout_sent, run.dout, raw)
        grads = [_as_float64(g) for g in raw]
        params = [p for p, (ident, copy) in before.items()
                  if id(getattr(layer, p)) == ident and np.array_equal(getattr(layer, p), copy)
                  and hasattr(layer, "d" + p)]
        param_grads = {p: _as_float64(getattr(layer, "d" + p)) for p in params}

        first, second = run.forward(real), run.forward(real)
        if not np.array_equal(first, second, equal_nan=True):
            problems.append(f"{name}: forward is not deterministic: two calls on the same inputs "
                            f"gave different outputs (random, like Dropout in training mode?), "
                            f"so central differences mean nothing; seed it or switch it to its "
                            f"test/eval mode before checking")
            layer.forward(*sent)  # the caches backward used, as they were
        # -- which inputs the returned gradients belong to ------------------------------------
        checked = _match_inputs(name, prepared, grads, wrt, problems, notes)

        # -- central differences and the comparison ---------------------------------------------
        entries: list[GradientEntry] = []
        numeric: dict[str, np.ndarray] = {}
        context = _Context(run, real, decoy, grads0, params0)
        for i, g in checked:
            inp = prepared[i]
            n, err = run.numerical(list(real), real[i])
            numeric["d" + inp.name] = n
            entries.append(_compare("d" + inp.name, "input", inp.name, g, n, err, rtol))
            context.kinds["d" + inp.name] = ("input", i)
        for p in params:
            n, err = run.numerical(list(real), getattr(layer, p))
            numeric["d" + p] = n
            entries.append(_compare("d" + p, "parameter", p, param_grads[p], n, err, rtol))
            context.kinds["d" + p] = ("parameter", p)
        problems.extend(_unchecked_parameters(name, layer, run, real, before, params))
        context.analytic = {e.name: g for e, g in
                            zip(entries, [g for _, g in checked] + list(param_grads.values()))}
        context.numeric = numeric
        for entry in entries:
            if not entry.ok:
                entry.problems = _diagnose(name, entry, context)
                problems.extend(entry.problems)
        _dedupe(problems)
        if run.dout64.ndim == 0 and default is not None and entries and all(e.ok for e in entries):
            run.forward(real)
            doubled = [_as_float64(g) for g in run.backward(2 * default)]
            if all(a is not None and np.array_equal(a, b) for a, b in zip(doubled, grads)):
                notes.append(f"{name}.backward ignores dout (as the lecture's SoftmaxWithLoss): "
                             f"right only as the last layer, where dout = 1")
        if not entries and not problems:
            problems.append(f"{name}: nothing to check: backward returned no gradient and no "
                            f"parameter W with a gradient dW was found")
    finally:
        for p, arr in cast.items():
            setattr(layer, p, arr)
    if strict and warnings:
        notes.append("strict=True: warnings count as failures")
    tolerance = (f"|backward - numerical| <= {rtol:g} * max|gradient| + 10 * rounding estimate, "
                 f"central differences with h = {h:g} in float64, dout from seed {seed}")
    return LayerReport(name, entries, problems, warnings, notes, tolerance, strict)


def _side_effects(name: str, inputs: list[_Input], sent: list[Any], dout_sent: Any,
                  dout: Any, raw: list[Any]) -> list[str]:
    """Warnings about what forward and backward changed or shared: the inputs forward got
    (`sent`, compared with ours), the dout backward got (compared with the original), and the
    arrays backward returned (`raw`)."""
    warnings = []
    for inp, s in zip(inputs, sent):
        if inp.array is not None and not inp.scalar and not np.array_equal(s, inp.array):
            warnings.append(f"{name}.forward changed its input {inp.name} in place; the layer "
                            f"below (or the caller) may still need it: work on a copy "
                            f"(out = {inp.name}.copy())")
    if isinstance(dout_sent, np.ndarray) and not np.array_equal(dout_sent, dout):
        changed = np.argwhere(dout_sent != dout)
        i = tuple(int(k) for k in changed[0])
        warnings.append(
            f"{name}.backward changed dout, the upstream gradient it was given, in place "
            f"({len(changed)} of {dout_sent.size} entries, e.g. dout{list(i)} was {dout[i]:.4g}, "
            f"now {dout_sent[i]:.4g}), as the lecture's Relu.backward does with "
            f"dout[self.mask] = 0. Harmless in a chain, where each dout is used once and thrown "
            f"away; wrong where a value is used twice (a value feeding two layers, a residual "
            f"connection, AddLayer passing the same array on to both inputs): the other user "
            f"then reads the changed array. Copy first, then change the copy: "
            f"dx = dout.copy(); dx[self.mask] = 0")
    for i in range(len(raw)):
        for j in range(i):
            if isinstance(raw[i], np.ndarray) and raw[i] is raw[j]:
                warnings.append(f"{name}.backward returns one array object as gradients {j + 1} "
                                f"and {i + 1}: a layer below that changes its dout in place (the "
                                f"lecture's Relu) changes both; return copies (dout * 1, as the "
                                f"lecture's AddLayer)")
    return warnings


def _output(layer: str, out: Any) -> np.ndarray:
    try:
        return np.array(out, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise TypeError(f"check_layer({layer}): forward returned a {type(out).__name__}, not "
                        f"an array or a number") from None


def _bias_sum(ctx: Any, bias_shape: tuple) -> str:
    """How a bias's gradient sums dout: over every axis but the bias's own. dout (N, out) with b
    (out,): axis=0; a convolution's dout (N, F, H, W) with b (F,): axis=(0, 2, 3)."""
    dout = np.shape(ctx.run.dout64)
    k = len(bias_shape)
    if dout[len(dout) - k:] == tuple(bias_shape):
        axes = tuple(range(len(dout) - k))
    elif k == 1 and len(dout) >= 2 and dout[1] == bias_shape[0]:
        axes = (0,) + tuple(range(2, len(dout)))
    else:
        return "np.sum(dout, axis=...) over every axis but the bias's own"
    return f"np.sum(dout, axis={axes[0] if len(axes) == 1 else axes})"


def _unchecked_parameters(name: str, layer: Any, run: Any, real: list, stable: dict,
                          checked: list) -> list[str]:
    """Parameters that the output depends on but whose gradient was not found (no attribute
    d<name> after backward, e.g. a typo `self.dw`, or the book's dicts `params` / `grads`):
    each is a problem, so that a layer is never called right with a gradient left unchecked."""
    found = []
    arrays = {p: a for p, a in _float_attributes(layer).items()
              if p in stable and p not in checked and not (p[:1] == "d" and p[1:] in stable)}
    held = getattr(layer, "params", None)
    if isinstance(held, dict):
        arrays.update({f"params[{k!r}]": v for k, v in held.items()
                       if isinstance(v, np.ndarray) and v.dtype.kind == "f"})
    base = run.forward(real)
    for p, a in arrays.items():
        keep = a.copy()
        try:
            a += 1e-3 * (1.0 + np.abs(a))
            moved = not np.array_equal(run.forward(real), base)
        finally:
            a[...] = keep
        if moved:
            where = (f"{p} is held in a dict" if p.startswith("params[") else
                     f"no gradient d{p} was found after backward")
            found.append(f"{name}: {p} (shape {a.shape}) changes the output, but {where}: its "
                         f"gradient was not checked. check_layer reads a parameter W's gradient "
                         f"from the attribute dW, as the book's layers keep them")
    return found


def _float_attributes(layer: Any) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(layer).items()
            if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating)} \
        if hasattr(layer, "__dict__") else {}


def _match_inputs(name: str, inputs: list[_Input], grads: list[np.ndarray | None],
                  wrt: Sequence[int] | None, problems: list[str],
                  notes: list[str]) -> list[tuple[int, np.ndarray | None]]:
    """(input index, backward's gradient) for each checked input."""
    n_in = len(inputs)
    if wrt is not None:
        wrt = [int(i) for i in wrt]
        if any(not 0 <= i < n_in for i in wrt):
            raise ValueError(f"check_layer({name}): wrt={wrt} names inputs that forward does not "
                             f"take (it takes {n_in})")
        if len(grads) != len(wrt):
            problems.append(f"{name}.backward returned {len(grads)} gradient(s), but wrt names "
                            f"{len(wrt)} input(s): "
                            f"{', '.join(inputs[i].name for i in wrt)}")
        pairs = list(zip(wrt, grads))
    else:
        if len(grads) > n_in:
            problems.append(f"{name}.backward returned {len(grads)} gradients for the "
                            f"{n_in} input(s) of forward ({', '.join(i.name for i in inputs)})")
        pairs = list(enumerate(grads[:n_in]))
        rest = [inp.name for inp in inputs[len(grads):] if inp.array is not None]
        if rest:
            notes.append(f"backward returns {len(grads)} gradient(s): {', '.join(rest)} "
                         f"{'is' if len(rest) == 1 else 'are'} taken as constant(s) (labels, "
                         f"targets) and not checked; pass wrt=... to check them")
    for i, _ in pairs:
        if inputs[i].array is None:
            raise TypeError(f"check_layer({name}): input {inputs[i].name} holds "
                            f"{np.asarray(inputs[i].original).dtype}, but backward returns a "
                            f"gradient for it: pass floats to check it")
    return pairs


def _compare(gname: str, kind: str, of: str, a: np.ndarray | None, n: np.ndarray,
             err: np.ndarray, rtol: float) -> GradientEntry:
    entry = GradientEntry(gname, kind, of, n.shape, None if a is None else a.shape)
    if a is None or a.shape != n.shape:
        entry.problems = ["(diagnosed below)"]
        return entry
    diff = np.abs(a - n)
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(n), initial=0.0)))
    entry.max_abs = float(np.max(diff, initial=0.0))
    entry.max_rel = entry.max_abs / scale if scale > 0 else entry.max_abs
    order = np.argsort(-np.nan_to_num(diff, nan=np.inf), axis=None)[:_WORST]
    entry.worst = [(tuple(int(k) for k in np.unravel_index(int(i), n.shape)), float(a.flat[i]),
                    float(n.flat[i])) for i in order if diff.flat[i] > 0 or np.isnan(diff.flat[i])]
    bad = ~(diff <= rtol * scale + 10 * err)  # nan counts as bad
    if bad.any():
        entry.problems = ["(diagnosed below)"]
    return entry


# ---- diagnosis: what the numerical gradient says the mistake is --------------------------------

@dataclass
class _Context:
    run: _Run
    real: list[np.ndarray | None]
    decoy: list[np.ndarray | None]
    grads0: list[np.ndarray | None]
    params0: dict[str, np.ndarray | None]
    kinds: dict[str, tuple[str, Any]] = field(default_factory=dict)
    analytic: dict[str, np.ndarray | None] = field(default_factory=dict)
    numeric: dict[str, np.ndarray] = field(default_factory=dict)
    _at_decoy: dict[str, np.ndarray | None] = field(default_factory=dict)

    def numeric_at_decoy(self, gname: str) -> np.ndarray | None:
        """The numerical gradient where the checked inputs are run 0's (the constants, such as
        labels, stay): what a backward that kept run 0's cache computes. None if forward
        refuses those inputs."""
        if gname not in self._at_decoy:
            kind, key = self.kinds[gname]
            checked = {k for kd, k in self.kinds.values() if kd == "input"}
            arrays = [None if a is None else (d if i in checked else a).copy()
                      for i, (a, d) in enumerate(zip(self.real, self.decoy))]
            target = arrays[key] if kind == "input" else getattr(self.run.layer, key)
            try:
                self._at_decoy[gname] = self.run.numerical(arrays, target)[0]
            except Exception:  # forward refuses that mix of inputs: no verdict on staleness
                self._at_decoy[gname] = None
        return self._at_decoy[gname]

    def earlier(self, gname: str) -> np.ndarray | None:
        """backward's answer in run 0 (other inputs)."""
        kind, key = self.kinds[gname]
        if kind == "parameter":
            return self.params0.get(key)
        return self.grads0[key] if key < len(self.grads0) else None

    def operands(self) -> dict[str, np.ndarray]:
        """2-D arrays a backward multiplies: the inputs, dout, 2-D parameters."""
        ops = {}
        for inp, a in zip(self.run.inputs, self.real):
            if a is not None and a.ndim >= 2:
                ops[inp.name if a.ndim == 2 else f"{inp.name}.reshape(N, -1)"] = \
                    a.reshape(a.shape[0], -1)
        d = self.run.dout64
        if d.ndim >= 2:
            ops["dout" if d.ndim == 2 else "dout.reshape(N, -1)"] = d.reshape(d.shape[0], -1)
        for kind, key in self.kinds.values():
            if kind == "parameter":
                p = getattr(self.run.layer, key)
                if p.ndim == 2:
                    ops[f"self.{key}" if key not in ops else key] = p
        return ops


def _close(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Same shape and equal to _MATCH relative (to the larger of the two)."""
    if a is None or b is None or a.shape != b.shape:
        return False
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if not np.all(np.isfinite(a)) or not np.all(np.isfinite(b)):
        return False
    return bool(np.max(np.abs(a - b), initial=0.0) <= _MATCH * scale + 1e-300)


def _products(ops: dict[str, np.ndarray], shape_size: int) -> list[tuple[str, np.ndarray]]:
    """Every P @ Q of two different operands, either transposed, with `shape_size` entries."""
    out = []
    for p, P in ops.items():
        for q, Q in ops.items():
            if p == q:
                continue
            for tp in (False, True):
                for tq in (False, True):
                    left, right = (P.T if tp else P), (Q.T if tq else Q)
                    if left.shape[1] == right.shape[0] and \
                            left.shape[0] * right.shape[1] == shape_size:
                        out.append((f"{p}{'.T' if tp else ''} @ {q}{'.T' if tq else ''}",
                                    left @ right))
    return out


def _formula(prods: list[tuple[str, np.ndarray]], target: np.ndarray) -> str | None:
    for expr, value in prods:
        if value.size == target.size and _close(value, target.reshape(value.shape)):
            return expr
    return None


def _diagnose(layer: str, entry: GradientEntry, ctx: _Context) -> list[str]:
    g, of, kind = entry.name, entry.of, entry.kind
    a, n = ctx.analytic[g], ctx.numeric[g]
    what = f"{layer}: {g} (the gradient of {kind} {of}, shape {_shape(n.shape)})"
    if a is None:
        if kind == "parameter":
            return [f"{layer}.{g} is not an array after backward: backward must set it to the "
                    f"gradient of {of}, shape {_shape(n.shape)}"]
        return [f"{layer}.backward returned None as the gradient of input {of}: it must return "
                f"an array of shape {_shape(n.shape)}"]
    if not np.all(np.isfinite(a)):
        return [f"{what} contains nan or inf"]
    dout = ctx.run.dout64
    firsts = [x for x in ctx.real if x is not None and x.ndim >= 2]
    batch = dout.shape[0] if dout.ndim >= 2 else (firsts[0].shape[0] if firsts else None)
    dout2 = dout.reshape(dout.shape[0], -1) if dout.ndim >= 2 else None
    prods = _products(ctx.operands(), n.size) if n.ndim >= 1 else []

    if a.shape != n.shape:
        head = f"{layer}: {g} has shape {_shape(a.shape)}, but {of} has shape {_shape(n.shape)}"
        if a.ndim == 2 and a.shape == n.shape[::-1] and _close(a.T, n):
            pa, pn = _formula(prods, a), _formula(prods, n)
            line = f"{head}: it is the transpose of the right gradient"
            if pa and pn:
                line += f"; backward computes {pa} where the gradient is {pn}"
            return [line + ": a transpose on the wrong side"]
        if a.ndim == n.ndim + 1 and a.shape[1:] == n.shape and _close(a.sum(axis=0), n):
            return [f"{head}: the bias gradient is not summed over the batch. {of} is added to "
                    f"each of the {a.shape[0]} samples, so its gradient is the sum of dout over "
                    f"the batch axis: {g} = {_bias_sum(ctx, n.shape)}"]
        if a.size == n.size and _close(a.reshape(n.shape), n):
            return [f"{head}: its numbers are right, its shape is wrong: a gradient has the "
                    f"shape of what it is the gradient of; reshape it ({g}.reshape({of}.shape); "
                    f"a layer that flattens (N, C, H, W) inputs must give dx back in that shape)"]
        pa = _formula(prods, a) if a.size == n.size else None
        extra = f" (backward computes {pa}" + (f", the gradient is {_formula(prods, n)})"
                                               if _formula(prods, n) else ")") if pa else ""
        return [f"{head}: a gradient has the shape of what it is the gradient of{extra}"]

    scale_n = float(np.max(np.abs(n), initial=0.0))
    if not np.any(a) and scale_n > 0:
        return [f"{what} is all zeros, but the output does change with {of}: backward does not "
                f"compute it (or overwrites it)"]
    if scale_n == 0:
        return [f"{what} is not zero, but the output does not change when {of} changes: "
                f"forward does not use {of}, or backward computes something else"]
    # another input's or parameter's gradient: the order
    for other, m in ctx.numeric.items():
        if other != g and _close(a, m) and not _close(n, m):
            back = ctx.analytic.get(other)
            if ctx.kinds[g][0] == ctx.kinds[other][0] == "input" and back is not None \
                    and back.shape == n.shape and _close(back, n):
                names = ", ".join("d" + i.name for i in ctx.run.inputs if i.array is not None)
                first, second = sorted([g, other], key=lambda k: ctx.kinds[k][1])
                return [f"{layer}: gradients returned in the wrong order: the gradient backward "
                        f"returns for {first[1:]} is {second[1:]}'s, and the one for "
                        f"{second[1:]} is {first[1:]}'s; return them in the order forward takes "
                        f"its inputs ({names})"]
            return [f"{what} equals the gradient of {ctx.kinds[other][0]} {other[1:]}: gradients "
                    f"in the wrong order, or the formula for {g} uses the wrong factor "
                    f"(MulLayer: dx = dout * y, the *other* input)"]
    # a cache from an earlier forward call
    earlier = ctx.earlier(g)
    at_decoy = ctx.numeric_at_decoy(g)  # one more set of central differences, for this one
    if at_decoy is not None and _close(a, at_decoy) and not _close(at_decoy, n):
        return [f"{what} is the gradient at the inputs of an earlier forward call, not the "
                f"last one: backward uses a cache left from an earlier forward call "
                f"(check_layer called forward with other inputs first, then with yours). "
                f"Store what backward needs on every forward call (self.mask = ..., "
                f"self.y = ...), not only the first time"]
    if earlier is not None and kind == "parameter" and _close(a - earlier, n):
        return [f"{what} adds up across backward calls: after two calls it is the sum of both "
                f"gradients. Set it ({g} = ...), do not accumulate ({g} += ...)"]
    # a bias
    if dout2 is not None and n.shape == dout2.shape[1:] and _close(n, dout2.sum(axis=0)):
        if _close(a, dout2[0]):
            return [f"{what} is dout[0], the first sample's gradient only: {of} is added to "
                    f"every sample in the batch, so {g} = {_bias_sum(ctx, n.shape)}"]
        if _close(a, dout2.mean(axis=0)):
            return [f"{what} is the mean of dout over the batch, {batch} times too small: {of} "
                    f"is added to every sample, so its gradient is the sum, "
                    f"{_bias_sum(ctx, n.shape)} (the mean loss's 1/N is already in dout)"]
    # a transpose on the wrong side
    pa, pn = _formula(prods, a), _formula(prods, n)
    if pa and pn:
        return [f"{what}: backward computes {pa}, but the gradient is {pn}: a transpose on the "
                f"wrong side (or the factors in the wrong order)"]
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a.T, n):
        return [f"{what} is the transpose of the right gradient"]
    # a constant factor
    c = float(np.sum(a * n) / np.sum(n * n))
    if _close(a, c * n):
        if abs(c + 1) < 1e-6:
            return [f"{what} has the wrong sign: it is −1 times the gradient (a minus sign "
                    f"missing or extra, e.g. d(1/x) = −1/x², d(exp(−x)) = −exp(−x))"]
        if batch and batch > 2 and abs(c - batch) < 1e-6 * batch:
            return [f"{what} is {batch} times the gradient, the batch size: a division by the "
                    f"batch size N is missing (SoftmaxWithLoss: dx = (y − t) / N)"]
        if batch and batch > 2 and abs(c * batch - 1) < 1e-6:
            return [f"{what} is 1/{batch} of the gradient: divided by the batch size N once too "
                    f"often"]
        for factor in (2.0, 0.5):
            if abs(c - factor) < 1e-6:
                return [f"{what} is {factor:g} times the gradient: a factor of 2 is "
                        f"{'extra' if factor == 2 else 'missing'} (d(x²)/dx = 2x; a term "
                        f"counted twice or once)"]
        return [f"{what} is {c:.6g} times the gradient: a constant factor is wrong"]
    i, av, nv = entry.worst[0] if entry.worst else ((), float("nan"), float("nan"))
    return [f"{what} differs from central differences: max relative error {entry.max_rel:.2g}, "
            f"largest at {list(i)} (backward {av:.6g}, numerical {nv:.6g}); none of the usual "
            f"mistakes check_layer knows matches"]


def _dedupe(items: list[str]) -> None:
    seen: set[str] = set()
    items[:] = [i for i in items if not (i in seen or seen.add(i))]
