"""`Value`: a scalar that records how it was computed, so that backward() can apply the chain rule.

Each operation is one `Rule`: its symbol, its forward on floats, and its local derivatives
d(out)/d(input). The derivative formulas use only arithmetic that works on floats *and* on Values:
the forward pass stores them as plain floats on the node, and `backward(create_graph=True)`
evaluates the same formulas on Values, which is how higher-order derivatives come out.

Where a result is not a finite real number (log 0, (-2) ** 0.5) the forward pass raises, naming
the operation and the value. A derivative that is infinite or undefined at a point the forward
pass allows (sqrt'(0)) is PyTorch's value, inf or nan; the backward pass warns (engine.py).
"""
from __future__ import annotations

import math
import numbers
import operator
from functools import lru_cache
from typing import Any, Callable, Union

from . import engine
from .engine import NO_GRAPH, Mode, Node

Number = Union[int, float]
_INF = math.inf
_NAN = math.nan


class Rule:
    """One scalar operation: its name, its symbol, its forward and its local derivatives."""

    __slots__ = ("name", "symbol", "forward", "local", "constant")  # read on every node

    def __init__(self, name: str, symbol: str, forward: Callable[..., float],
                 local: Callable[..., tuple] | None = None, *,
                 constant: tuple | None = None) -> None:
        self.name = name  # what errors and repr call it
        self.symbol = symbol  # what the drawing shows in the operation circle
        self.forward = forward  # floats in, float out; raises with a clear message on bad input
        # (inputs..., out) -> d(out)/d(each input); floats or Values. Derivatives that are the
        # same at every point (+, −) are given as `constant` instead: no call per node.
        self.constant = constant
        self.local = local if constant is None else (lambda *_: constant)


def _undefined(error: Exception, ieee: float) -> float:
    """A forward result that is not a finite real number: an error in a forward pass. Inside a
    backward pass (derivatives recorded with create_graph) it is a gradient, and takes its IEEE
    value (inf or nan), which the backward pass reports with a GradientWarning."""
    if Mode.in_backward:
        return ieee
    raise error


def _log(x: Any) -> Any:
    """ln x of a float (IEEE: -inf at 0, nan below), or of a Value (a derivative differentiated)."""
    if isinstance(x, Value):
        return x.log()
    return math.log(x) if x > 0 else -_INF if x == 0 else _NAN


def _power(a: Any, e: Any) -> Any:
    """a ** e of floats as IEEE arithmetic (0 ** -1 = inf, (-1) ** 0.5 = nan), or of Values."""
    if isinstance(a, Value) or isinstance(e, Value):
        return a ** e
    if a == 0 and e < 0:
        return _INF
    if a < 0 and e != int(e):
        return _NAN
    try:
        return a ** e
    except OverflowError:
        return _INF


def _quotient(a: Any, b: Any) -> Any:
    """a / b of floats as IEEE arithmetic (1 / 0 = inf), or of Values."""
    if not isinstance(a, Value) and not isinstance(b, Value) and b == 0:
        return _NAN if a == 0 else math.copysign(_INF, a)
    return a / b


def _div(a: float, b: float) -> float:
    if b == 0:
        return _undefined(ZeroDivisionError(f"division: {a!r} / {b!r} divides by zero"),
                          _quotient(a, b))
    return a / b


def _pow(a: float, b: float) -> float:
    out = _power(a, b)  # IEEE: inf or nan where a ** b is not a finite real number
    if -_INF < out < _INF:
        return out
    if a == 0 and b < 0:
        error: Exception = ZeroDivisionError(f"power: 0 ** {b!r} divides by zero")
    elif a < 0 and b != int(b):
        error = ValueError(f"power: {a!r} ** {b!r} is not a real number (a negative base needs "
                           "an integer exponent)")
    else:
        error = OverflowError(f"power: {a!r} ** {b!r} overflows a float")
    return _undefined(error, out)


def _pow_local(a, b, out):
    """PyTorch's derivatives of a ** b (pow_backward_self / pow_backward_exponent):
    d/da = b·a^(b−1), but 0 where b = 0; d/db = a^b·ln a, but 0 where a = 0 and b >= 0.
    At a = 0 with 0 < b < 1, d/da is inf; for a < 0, d/db is nan (ln a is undefined).
    Like PyTorch's where(), the replaced formula stays in a recorded graph (see _zero_where)."""
    da = b * _power(a, b - 1)
    db = out * _log(a)
    return (_zero_where(da) if b == 0 else da,
            _zero_where(db) if (a == 0 and b >= 0) else db)


def _zero_where(x: Any) -> Any:
    """0 in place of x, as PyTorch's where(cond, 0, x): a float gives 0.0; a Value (a derivative
    being recorded) gives a node whose value is 0 and whose derivative to x is 0, so that
    differentiating again sends 0·(x's own derivative) on, inf·0 = nan included, as PyTorch."""
    return _unary(ZERO_WHERE, x) if isinstance(x, Value) else 0.0


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return _undefined(OverflowError(f"exp: exp({a!r}) overflows a float (largest argument "
                                        "is ~709.78)"), _INF)


def _logf(a: float) -> float:
    if a <= 0:
        return _undefined(ValueError(f"log: log({a!r}) is undefined (log needs a positive "
                                     "number)"), _log(a))
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0:
        return _undefined(ValueError(f"sqrt: sqrt({a!r}) is undefined (sqrt needs a number "
                                     ">= 0)"), _NAN)
    return math.sqrt(a)


def _sqrt_local(a, out):
    """d sqrt(a)/da = 1 / (2 sqrt(a)): inf at a = 0, as in PyTorch."""
    return (_quotient(0.5, out),)


def _sigmoid(a: float) -> float:
    # the two branches keep exp from overflowing for large |a|
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


class _HardZero(float):
    """relu's derivative where x <= 0: zero times anything, inf included, is 0, as PyTorch's
    relu backward (where(x <= 0, 0, g)) gives; a plain 0.0 * inf would be nan."""

    def __mul__(self, other: Any) -> float:
        return 0.0

    __rmul__ = __mul__


_HARD_ZERO = _HardZero(0.0)


ADD = Rule("add", "+", operator.add, constant=(1.0, 1.0))
SUB = Rule("sub", "−", operator.sub, constant=(1.0, -1.0))
MUL = Rule("mul", "×", operator.mul, lambda a, b, out: (b, a))
DIV = Rule("div", "/", _div, lambda a, b, out: (_quotient(1.0, b), _quotient(-out, b)))
POW = Rule("pow", "**", _pow, _pow_local)
NEG = Rule("neg", "−", operator.neg, constant=(-1.0,))
EXP = Rule("exp", "exp", _exp, lambda a, out: (out,))
LOG = Rule("log", "log", _logf, lambda a, out: (_quotient(1.0, a),))
TANH = Rule("tanh", "tanh", math.tanh, lambda a, out: (1 - out * out,))
SIGMOID = Rule("sigmoid", "σ", _sigmoid, lambda a, out: (out * (1 - out),))
RELU = Rule("relu", "ReLU", lambda a: a if a > 0 else 0.0,
            lambda a, out: (1.0 if a > 0 else _HARD_ZERO,))
SQRT = Rule("sqrt", "√", _sqrt, _sqrt_local)
ZERO_WHERE = Rule("where", "where", lambda a: 0.0, constant=(0.0,))
ABS = Rule("abs", "abs", abs, lambda a, out: (1.0 if a > 0 else -1.0 if a < 0 else 0.0,))


@lru_cache(maxsize=256)
def power_rule(n: float) -> Rule:
    """x ** n for a constant exponent n: one parent, d/dx = n·x^(n−1) (PyTorch: 0 for n = 0;
    inf at x = 0 for 0 < n < 1)."""
    def forward(a: float) -> float:
        return _pow(a, n)

    def local(a, out):
        if n == 0 or n == 1:  # constant, identity: no power of a (0 ** -1 is inf)
            return (float(n),)
        return (n * _power(a, n - 1),)

    shown = int(n) if n == int(n) else n
    return Rule("pow", f"**{shown}", forward, local)


def _overflow(rule: Rule, args: tuple, data: float) -> None:
    """The forward error for a non-finite result (called only outside a backward pass)."""
    shown = ", ".join(repr(a) for a in args)
    raise OverflowError(f"{rule.name}({shown}) = {data!r}: the result is not a finite number")


def _unary(rule: Rule, a: "Value") -> "Value":
    """Run a one-input rule forward; record the parent and the local derivative."""
    x = a.data
    data = rule.forward(x)
    if not -_INF < data < _INF and not Mode.in_backward:
        _overflow(rule, (x,), data)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._scope = Mode.scope
    out._visited = None
    out._b = None
    out._serial = _new_serial()
    if Mode.grad_enabled:
        out._a = a
        d = rule.constant
        out._d0, = rule.local(x, data) if d is None else d
        out._op = rule
        out._passes = 0  # (read only for leaves; set so that every slot __init__ sets is set)
        if len(_TAPE) >= engine.tape_limit:  # (see engine.TAPE)
            engine.sweep_tape()
        _record(out)
    else:
        out._a = out._op = None
        out._passes = NO_GRAPH
    return out


def _binary(rule: Rule, a: "Value", b: "Value") -> "Value":
    """Run a two-input rule forward; record the parents and the local derivatives.

    Written out like `_unary` rather than sharing a helper: this runs once for every node of
    every scalar graph, and a call more per node costs ~7% of a forward pass.
    """
    x = a.data
    y = b.data
    data = rule.forward(x, y)
    if not -_INF < data < _INF and not Mode.in_backward:
        _overflow(rule, (x, y), data)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._scope = Mode.scope
    out._visited = None
    out._serial = _new_serial()
    if Mode.grad_enabled:
        out._a = a
        out._b = b
        d = rule.constant
        out._d0, out._d1 = rule.local(x, y, data) if d is None else d
        out._op = rule
        out._passes = 0
        if len(_TAPE) >= engine.tape_limit:
            engine.sweep_tape()
        _record(out)
    else:
        out._a = out._b = out._op = None
        out._passes = NO_GRAPH
    return out


_new = object.__new__
_new_serial = engine.new_serial
_TAPE = engine.TAPE
_record = _TAPE.append  # a recorded result goes on the tape: backward() reads its order there


def _plus(grad: Any, g: Any) -> Any:
    """grad + g, without a `0.0 + g` node in the graph when g is a Value (create_graph)."""
    return g if (type(grad) is float and grad == 0.0) else grad + g


def _lift(other: Any, op: str) -> "Value":
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return _constant(float(other)) if Mode.in_backward else Constant(float(other))
    raise TypeError(f"unsupported operand for {op}: Value and {type(other).__name__} "
                    "(use a Value or a Python number)")


def _constant(x: float) -> "Value":
    """A Constant for a number met inside a backward pass, where inf and nan are gradients."""
    out = _new(Constant)
    out.data, out.grad, out.label, out._scope = x, 0.0, "", Mode.scope
    out._a = out._b = out._op = out._visited = None
    out._passes = 0
    out._serial = _new_serial()
    return out


class Value(Node):
    """A scalar graph node: data, grad, and the parents with their local derivatives."""

    # The parents (_a, _b) and their local derivatives (_d0, _d1) live in slots rather than
    # tuples, so a node is one object for the memory and for Python's cycle collector, not three.
    __slots__ = ("data", "grad", "_a", "_b", "_d0", "_d1", "_op", "label", "_scope", "_visited",
                 "_passes", "_serial")
    _NO_GRAD = 0.0  # what grad is reset to: a Value's grad is never None
    _taped = True  # recorded Values are written on engine.TAPE
    requires_grad = True  # every Value takes part in the backward pass
    is_constant = False  # see Constant
    __array_ufunc__ = None  # ndarray * Value raises TypeError, like Value * ndarray (no object
    # arrays of Values built behind the user's back)

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float:
            if isinstance(data, Value):
                raise TypeError("Value(...) got a Value; use it directly")
            if not isinstance(data, numbers.Real) or isinstance(data, bool):
                raise TypeError(f"Value(...) takes a real number, got {type(data).__name__}")
            data = float(data)
        if not -_INF < data < _INF:
            raise ValueError(f"Value(...) got {data!r}; a Value must be a finite number")
        self.data = data
        self.grad = 0.0
        self._a = self._b = self._op = self._visited = None
        self._passes = 0
        self._serial = _new_serial()
        self.label = label
        self._scope = Mode.scope

    # ---- arithmetic --------------------------------------------------------------------------
    def __add__(self, other: Any) -> "Value":
        return _binary(ADD, self, (other if type(other) is Value else _lift(other, "+")))

    def __radd__(self, other: Any) -> "Value":
        return _binary(ADD, (other if type(other) is Value else _lift(other, "+")), self)

    def __sub__(self, other: Any) -> "Value":
        return _binary(SUB, self, (other if type(other) is Value else _lift(other, "-")))

    def __rsub__(self, other: Any) -> "Value":
        return _binary(SUB, (other if type(other) is Value else _lift(other, "-")), self)

    def __mul__(self, other: Any) -> "Value":
        return _binary(MUL, self, (other if type(other) is Value else _lift(other, "*")))

    def __rmul__(self, other: Any) -> "Value":
        return _binary(MUL, (other if type(other) is Value else _lift(other, "*")), self)

    def __truediv__(self, other: Any) -> "Value":
        return _binary(DIV, self, (other if type(other) is Value else _lift(other, "/")))

    def __rtruediv__(self, other: Any) -> "Value":
        return _binary(DIV, (other if type(other) is Value else _lift(other, "/")), self)

    def __pow__(self, other: Any) -> "Value":
        if isinstance(other, Value):
            return _binary(POW, self, other)
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return _unary(power_rule(float(other)), self)
        raise TypeError(f"unsupported operand for **: Value and {type(other).__name__} "
                        "(use a Value or a Python number)")

    def __rpow__(self, other: Any) -> "Value":
        return _binary(POW, (other if type(other) is Value else _lift(other, "**")), self)

    def __neg__(self) -> "Value":
        return _unary(NEG, self)

    def __pos__(self) -> "Value":
        return self

    def exp(self) -> "Value":
        return _unary(EXP, self)

    def log(self) -> "Value":
        return _unary(LOG, self)

    def tanh(self) -> "Value":
        return _unary(TANH, self)

    def sigmoid(self) -> "Value":
        return _unary(SIGMOID, self)

    def relu(self) -> "Value":
        return _unary(RELU, self)

    def sqrt(self) -> "Value":
        return _unary(SQRT, self)

    def __abs__(self) -> "Value":
        return _unary(ABS, self)

    abs = __abs__

    # ---- comparisons: on data, no graph; hashing stays by identity (graphs use sets of nodes) --
    def _other_data(self, other: Any) -> Any:
        return other.data if isinstance(other, Value) else other

    def __eq__(self, other: Any) -> bool:
        return self.data == self._other_data(other)

    def __ne__(self, other: Any) -> bool:
        return self.data != self._other_data(other)

    def __lt__(self, other: Any) -> bool:
        return self.data < self._other_data(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= self._other_data(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > self._other_data(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= self._other_data(other)

    __hash__ = object.__hash__

    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        return self.data

    # ---- backward ------------------------------------------------------------------------------
    def backward(self, grad: Number = 1.0, *, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Fill `.grad` of every node this one depends on with d(self)/d(node).

        Leaves accumulate across calls (zero them with `zero_grad`); intermediate nodes hold this
        pass's gradient. With `create_graph=True` the gradients are Values that can be
        differentiated again. A scalar graph keeps its local derivatives, so `retain_graph` is
        accepted for symmetry with Tensor but never needed.
        """
        engine.backward([self], [self._seed(grad, "backward")],
                        retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad(self) -> None:
        """Set this node's grad to 0 (see `autograd.zero_grad` for every leaf of a graph)."""
        self.grad = 0.0
        if self._passes > 0:
            self._passes = 0

    # hooks used by the engine
    def _seed(self, grad: Any, op: str) -> Any:
        if self._op is None and self._passes == NO_GRAPH:
            raise RuntimeError(f"{op}(): this Value was computed under no_grad(), so no graph was "
                               "recorded and there is nothing to differentiate; compute it "
                               "outside no_grad() (or inside enable_grad())")
        if grad is None:
            grad = 1.0
        if isinstance(grad, Value):
            return grad
        if not isinstance(grad, numbers.Real) or isinstance(grad, bool):
            raise TypeError(f"{op}: the seed gradient of a Value must be a number, "
                            f"got {type(grad).__name__}")
        if not -_INF < grad < _INF:
            raise ValueError(f"{op}: the seed gradient must be finite, got {grad!r}")
        return float(grad)

    def _accumulate(self, g: Any) -> None:
        self.grad = _plus(self.grad, g)

    def _backward_step(self, create_graph: bool, release: bool) -> None:
        g = self.grad
        if not create_graph:
            self._a.grad += self._d0 * g
            if self._b is not None:
                self._b.grad += self._d1 * g
            return
        if not isinstance(g, Value):
            g = _constant(g)
        locals_ = self._op.local(*self._parents, self)
        for parent, d in zip(self._parents, locals_):
            parent.grad = _plus(parent.grad, d * g)

    @staticmethod
    def _backward_steps(ops: list, create_graph: bool, release: bool) -> None:
        """Node._backward_steps with _backward_step's ordinary branch written inline: a method
        call per node was about a quarter of the steps' time. Same arithmetic, same order."""
        if create_graph:
            Node._backward_steps(ops, create_graph, release)
            return
        for node in reversed(ops):
            g = node.grad
            node._a.grad += node._d0 * g
            if node._b is not None:
                node._b.grad += node._d1 * g

    def _check_finite(self) -> bool:
        g = self.grad.data if isinstance(self.grad, Value) else self.grad
        return -_INF < g < _INF

    def _holds_grad(self) -> bool:
        return isinstance(self.grad, Value) or self.grad != 0.0

    def _grad_or_zero(self, create_graph: bool = False) -> Any:
        return self.grad

    def _zero_grad(self, create_graph: bool = False) -> Any:
        return _constant(0.0) if create_graph else 0.0

    def _undefined_derivative(self) -> str | None:
        """'sqrt at 0: d/dx = inf (input x = Value(...))' when a local derivative is not finite."""
        for i, d in enumerate(self.local_grads):
            d = d.data if isinstance(d, Value) else d
            if not -_INF < d < _INF and not self._parents[i].is_constant:
                names = ("a", "b") if len(self._parents) == 2 else ("x",)
                point = ", ".join(f"{n} = {p.data!r}" for n, p in zip(names, self._parents))
                return (f"{self._op.name} ({self._op.symbol}) at {point}: d/d{names[i]} is {d} "
                        f"(its input {self._parents[i]!r})")
        return None

    def _op_name(self) -> str:
        return self._op.name if self._op else "leaf"

    # ---- display -------------------------------------------------------------------------------
    @property
    def op(self) -> str:
        """The operation's symbol ('' for a leaf)."""
        return self._op.symbol if self._op else ""

    @property
    def op_name(self) -> str:
        """The operation's name ('mul', 'pow', 'sigmoid', ...; '' for a leaf)."""
        return self._op.name if self._op else ""

    def input_grads(self) -> tuple:
        """What the last backward pass sent from this node to each input: its gradient times
        the local derivative (empty for a leaf)."""
        g = self.grad.data if isinstance(self.grad, Value) else self.grad
        return tuple(g * (d.data if isinstance(d, Value) else d) for d in self.local_grads)

    @property
    def local_grads(self) -> tuple:
        """d(self)/d(parent) for each parent, as recorded in the forward pass."""
        if self._a is None:
            return ()
        return (self._d0,) if self._b is None else (self._d0, self._d1)

    def recompute(self, *inputs: float) -> float:
        """This node's operation run forward again on the given numbers, one per parent (e.g. a
        parent's data nudged by h): what this node would hold had its inputs been those. Nothing
        is recorded and the node is unchanged. viz.check replays graphs with it."""
        if self._op is None:
            raise ValueError("recompute: this Value is a leaf; no operation computed it")
        if len(inputs) != len(self._parents):
            raise TypeError(f"recompute: {self._op.name} takes {len(self._parents)} input(s), "
                            f"got {len(inputs)}")
        return self._op.forward(*inputs)

    @property
    def scope(self) -> str | None:
        """The nn module (autograd.scope) this node was made in, 'Net/Affine1', or None."""
        return self._scope

    @scope.setter
    def scope(self, name: str | None) -> None:
        """Draw this node inside another module's box (nn does this for its parameters)."""
        if name is not None and not isinstance(name, str):
            raise TypeError(f"scope: a node's scope is a str or None, got {type(name).__name__}")
        self._scope = name

    def __repr__(self) -> str:
        """Exact, as Python's repr of a float is (the lecture's Value(data=0.6994093620224068));
        the drawings round for reading."""
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data!r}, grad={grad!r})"


class Constant(Value):
    """A Python number that an operation lifted into the graph (the 2 of `x * 2`): a leaf like
    any Value, whose `is_constant` lets drawings show it as a constant or fold it into its
    operation (`×2`)."""

    __slots__ = ()
    is_constant = True
