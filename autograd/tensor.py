"""`Tensor`: a NumPy array in the same graph as `Value`, with the same backward pass (engine.py).

An operation is a `Function` (tensor_ops.py): `forward` on arrays and `backward` giving each
input's gradient. `backward` is written with operations that arrays and Tensors both have, so the
same formula runs on arrays in an ordinary pass and on Tensors under `create_graph=True`.

tensor.py and tensor_ops.py import each other, and that is structural, not an accident: an
operation needs the Tensor class, and Tensor's methods (x.exp(), x @ y) need the operations.
tensor_ops is imported at the bottom of this file, once Tensor exists; importing either module
first works (tests/test_plain_oracles.py checks it in a fresh interpreter).
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import engine
from .engine import NO_GRAPH, Mode, Node, no_grad


def _real_numbers(data: Any, what: str) -> np.ndarray:
    """`data` as an array of real numbers, refusing objects (a list of Values would otherwise
    be turned into floats one by one, silently cut from their graph)."""
    array = np.asarray(data)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} takes real numbers, got an array of {array.dtype}"
                        + (" (Values cannot go into a Tensor: use floats, or Values "
                           "throughout)" if array.dtype.kind == "O" else ""))
    return array


def _all_finite(array: np.ndarray) -> bool:
    """Whether every entry of a float array is finite, as np.isfinite(array).all() (the plain
    version, and the tests' oracle), without building an array of booleans: a dot product of the
    entries with themselves is finite only if every entry is (an inf or nan anywhere makes it inf
    or nan). It also overflows for entries beyond ~1e154 (float64), and only then is the plain
    check needed. The backward pass asks this of every leaf's gradient, inside its
    `_quiet_arithmetic` (elsewhere NumPy would warn about that overflow)."""
    if array.dtype.kind == "f":
        flat = array.reshape(-1)  # (size,): a view where it can be
        if -_INF < float(flat @ flat) < _INF:
            return True
    return bool(np.isfinite(array).all())


_INF = float("inf")


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """The array a Tensor holds: floating point (float64 unless float32/16 was given)."""
    if isinstance(data, Tensor):
        raise TypeError("Tensor(...) got a Tensor; use it directly, or t.data for its array")
    array = _real_numbers(data, "Tensor(...)")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.dtype.kind != "f":
        if array.dtype.kind in "biu":
            array = array.astype(np.float64)
        else:
            raise TypeError(f"Tensor(...) takes real numbers, got an array of {array.dtype}")
    return array


class Function:
    """One operation on Tensors: `forward` and `backward` side by side. Every built-in operation
    (tensor_ops.py) is one, and so is yours: subclass it, then call an instance on Tensors.

        import numpy as np
        from autograd import Function, Tensor

        class Cube(Function):                    # c·x³
            symbol = "c·x³"                      # what the drawings write in the circle

            def __init__(self, c=1.0):           # parameters of the operation (not inputs)
                self.c = c

            def forward(self, x):                # NumPy arrays in, one array out
                return self.c * x ** 3

            def backward(self, g, x, out):       # g = dL/d(out); one gradient per input
                return (g * 3 * self.c * x * x,)

        x = Tensor([1.0, -2.0], requires_grad=True)
        y = Cube(2.0)(x)                         # or autograd.tensor.apply(Cube(2.0), x)
        y.sum().backward()                       # x.grad == 6 x² = [6, 24]
        autograd.gradcheck(Cube(2.0), x)         # orders 1 and 2 against central differences

    The contract:
    - `forward(self, *arrays)`: one or two inputs, as NumPy arrays; returns one array. It may keep
      what backward needs on `self` (e.g. `self.saved = mask`); a Function instance is therefore
      one application: make a new one for every call (`Cube(2.0)(x)`, not `op(x); op(z)`).
    - `backward(self, g, *inputs, out)`: the upstream gradient g = dL/d(out), then the inputs and
      the output. It returns a tuple with one gradient per input, in the inputs' order, each of
      that input's shape: an input that forward broadcast (a (3,) bias added to (N, 3)) gets its
      gradient summed back with `autograd.sum_to(grad, b.shape)`. `None` is allowed
      for an input whose `self.needs[i]` is False (`needs`, set when the operation is recorded,
      says which inputs require a gradient; skipping them saves work).
    - In an ordinary backward pass g, inputs and out are arrays. Under `create_graph=True`
      (gradients of gradients) they are Tensors, and the same formula must build the gradient as
      a graph: write it with what arrays and Tensors both have (+ − × / **, @, `.sum(axis,
      keepdims)`, `.reshape`, `.T`, `.transpose`, `.swapaxes`, comparisons for masks), or
      branch: `x.exp() if isinstance(x, Tensor) else np.exp(x)`. An array kept on `self` in
      forward is a constant to the second derivative: use it only for what does not depend on
      the inputs' values (a mask, a shape), else `autograd.gradcheck` reports order 2 wrong.
    - Class attributes: `symbol` (shown in drawings and errors; default the class name),
      `saves_values = False` when backward reads only shapes (then a graph whose saved arrays
      were released after backward() can still be run backward again), `can_overflow = True`
      when finite inputs can give inf (apply then checks the result and raises, naming the op).
    - `undefined(*inputs, out)`: optional, for operations with points where a derivative is
      infinite or undefined (see its docstring); the backward pass uses it to explain warnings.
    - Optional `torch_forward(self, *torch_tensors)`: the same forward in PyTorch; with it
      `viz.check(..., reference="torch")` differentiates this operation in PyTorch too.

    A custom operation is drawn like a built-in (its `symbol` in the operation's circle), explored
    like one, and checked with `autograd.gradcheck` and `viz.check`.
    """

    symbol = "?"
    can_overflow = False  # finite inputs can give inf (a sum, a product): apply checks the result
    saves_values = True  # backward reads input/output values or `saved` (False: shapes suffice)
    needs: tuple = ()  # which inputs need a gradient (set by apply)
    saved: Any = None  # arrays kept by forward for backward
    released = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass that sets no `symbol` (nor inherits one) is drawn with its class name."""
        super().__init_subclass__(**kwargs)
        if getattr(cls, "symbol", "?") == "?":
            cls.symbol = cls.__name__

    def __call__(self, *inputs: Any) -> "Tensor":
        """Apply this operation to one or two inputs: `Cube(2.0)(x)` is `apply(Cube(2.0), x)`.
        Numbers and arrays beside a Tensor become constants in its dtype; at least one input must
        be a Tensor. The built-in operations call `apply` directly (this adds nothing to them)."""
        if self.__dict__.get("_applied"):
            raise RuntimeError(
                f"{self!r} was already applied once: a Function instance holds what its forward "
                f"kept for its backward, so it is one use. Make a new one per call: "
                f"{type(self).__name__}(...)(x)")
        like = next((x for x in inputs if isinstance(x, Tensor)), None)
        if like is None:
            raise TypeError(f"{self!r}: expected at least one Tensor among its inputs, got "
                            f"{', '.join(type(x).__name__ for x in inputs) or 'none'}")
        tensors = [lift(x, like, repr(self)) for x in inputs]
        self._applied = True
        return apply(self, *tensors)

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, *inputs_and_out: Any) -> tuple:
        raise NotImplementedError

    def undefined(self, *inputs_and_out: np.ndarray) -> tuple | None:
        """Where a local derivative is infinite or undefined, for an input that needs a gradient:
        (its position, the point as text, the derivative there), or None. Only operations that
        have such points (pow, sqrt) define it; the backward pass uses it to explain a warning."""
        return None

    def release(self) -> None:
        """Drop what backward needed: the graph can still be drawn, not run backward again."""
        self.saved = None
        self.released = True

    def __repr__(self) -> str:
        return type(self).__name__


def lift(x: Any, like: "Tensor", op: str) -> "Tensor":
    """A constant Tensor for a Python number or array used beside `like` (in `like`'s dtype)."""
    if isinstance(x, Tensor):
        if x.data.dtype is not like.data.dtype and x.data.dtype != like.data.dtype:
            raise TypeError(f"{op}: dtypes differ ({like.data.dtype} and {x.data.dtype}); "
                            f"convert one with .astype(...) (tracegrad never upcasts silently)")
        return x
    if isinstance(x, (numbers.Real, np.ndarray, list, tuple)) and not isinstance(x, bool):
        given = _real_numbers(x, op)
        array = given.astype(like.data.dtype, copy=False)
        if array is not given and not np.isfinite(array).all() and np.isfinite(given).all():
            raise OverflowError(f"{op}: the constant {given if given.size < 5 else given.shape} "
                                f"does not fit {like.data.dtype} (it would be inf); rescale it")
        return Constant(array)
    raise TypeError(f"unsupported operand for {op}: Tensor and {type(x).__name__} "
                    "(use a Tensor, a NumPy array or a number)")


def apply(fn: Function, *inputs: "Tensor") -> "Tensor":
    """Run `fn` forward on the inputs' arrays; record the graph if any input needs a gradient."""
    a = inputs[0]
    if len(inputs) == 1:
        b = None
        data = fn.forward(a.data)
        needs = (a.requires_grad,)
    elif len(inputs) == 2:
        b = inputs[1]
        data = fn.forward(a.data, b.data)
        needs = (a.requires_grad, b.requires_grad)
    else:
        raise TypeError(f"{fn!r}: an operation takes one or two inputs, got {len(inputs)}")
    if type(data) is not np.ndarray:  # NumPy gives scalars for some 0-d results (0-d × 0-d)
        data = np.asarray(data)
    if fn.can_overflow and not Mode.in_backward and not np.isfinite(data).all():
        _not_finite(fn, inputs, data.dtype)
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out.label = ""
    out._scope = Mode.scope
    out._visited = None
    out._index = None
    out._serial = engine.new_serial()
    if Mode.grad_enabled and True in needs:
        fn.needs = needs
        out.requires_grad = True
        out._a = a
        out._b = b
        out._op = fn
        out._passes = 0
    else:
        out.requires_grad = False
        out._a = out._b = out._op = None
        out._passes = 0 if Mode.grad_enabled else NO_GRAPH
    return out


_new = object.__new__


def _not_finite(fn: Function, inputs: tuple, dtype: np.dtype) -> None:
    """The forward error for finite inputs whose result is not finite (Function.can_overflow).
    Inputs that already hold nan or inf (the mean of nothing) pass it on, as in NumPy."""
    if not all(np.isfinite(t.data).all() for t in inputs):
        return
    shapes = " and ".join(str(t.shape) for t in inputs)
    largest = max(float(np.abs(t.data).max(initial=0.0)) for t in inputs)
    raise OverflowError(f"{fn!r} ({fn.symbol}): the result is not a finite number: it overflows "
                        f"{dtype} (inputs of shapes {shapes}, largest |entry| {largest:.6g}); "
                        "rescale the inputs")


def _receive(parent: "Tensor", gp: Any, g: Any) -> None:
    """Add the gradient gp that a backward step (upstream gradient g) sends to `parent`."""
    if gp is None or not parent.requires_grad:
        return
    if parent.grad is None:
        parent.grad = gp if parent._op is not None else _owned(gp, g)
    else:
        parent.grad = parent.grad + gp


def _owned(gp: Any, g: Any) -> Any:
    """`gp` as a leaf's grad: its own array, never the upstream grad or a view of another's."""
    data = gp.data if isinstance(gp, Tensor) else gp
    if gp is g or data.base is not None:  # (read-only broadcasts are views: base is set)
        return gp * 1.0 if isinstance(gp, Tensor) else data.copy()
    return gp


class Tensor(Node):
    """A graph node holding a NumPy array: data, grad (same shape, None until reached), parents."""

    __slots__ = ("data", "grad", "requires_grad", "_a", "_b", "_op", "label", "_scope",
                 "_visited", "_passes", "_index", "_serial")
    _NO_GRAD = None
    is_constant = False  # see Constant
    __array_priority__ = 1000  # ndarray + Tensor goes to Tensor.__radd__
    __hash__ = object.__hash__

    def __init__(self, data: Any, requires_grad: bool = False, label: str = "",
                 dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            raise TypeError("Tensor(...) got a Tensor; use it directly, or t.data for its array")
        given = _real_numbers(data, "Tensor(...)")  # converted once (a list can be long)
        self.data = as_array(given, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._a = self._b = self._op = self._visited = None
        self._passes = 0
        self._serial = engine.new_serial()
        # An integer or boolean array keeps its meaning when this Tensor indexes another one
        # (the data is float, so x[Tensor([True, False])] would otherwise pick x[1], x[0]).
        self._index = given if given.dtype.kind in "biu" else None
        self.label = label
        self._scope = Mode.scope

    # ---- array-like properties ---------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def astype(self, dtype: Any) -> "Tensor":
        return apply(ops.AsType(dtype), self)

    def detach(self) -> "Tensor":
        """The same array, cut from the graph."""
        return Tensor(self.data)

    # ---- display -----------------------------------------------------------------------------
    @property
    def op(self) -> str:
        return self._op.symbol if self._op is not None else ""

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

    @property
    def op_name(self) -> str:
        """The operation's name ('matmul', 'add', 'crossentropy', ...; '' for a leaf)."""
        return type(self._op).__name__.lower() if self._op is not None else ""

    def input_grads(self) -> tuple:
        """What the last backward pass sent from this node to each input (an array, or None for
        an input that needs no gradient), recomputed from this node's gradient and the inputs'
        values (an operation that released what it saved runs its forward again first)."""
        fn, g = self._op, self.grad
        if fn is None:
            return ()
        inputs = tuple(p.data for p in self._parents)
        if g is None:
            return (None,) * len(inputs)
        g = g.data if isinstance(g, Tensor) else g
        refill = fn.released and fn.saves_values
        if refill:
            fn.forward(*inputs)
        with no_grad():
            sent = fn.backward(g, *inputs, self.data)
        if refill:
            fn.release()
        return tuple(None if s is None or not p.requires_grad else np.asarray(s)
                     for s, p in zip(sent, self._parents))

    @property
    def function(self) -> Function | None:
        """The Function that computed this Tensor (None for a leaf): its parameters (axis,
        shape, ...), its forward and its backward. viz.check reads it to replay the graph."""
        return self._op

    def recompute(self, *inputs: np.ndarray) -> np.ndarray:
        """This node's operation run forward again on the given arrays, one per parent (e.g. a
        parent's data nudged by h): what this node would hold had its inputs been those. It runs
        on a copy of the operation, so what the node saved for backward stays; nothing is
        recorded. viz.check replays graphs with it."""
        if self._op is None:
            raise ValueError("recompute: this Tensor is a leaf; no operation computed it")
        if len(inputs) != len(self._parents):
            raise TypeError(f"recompute: {self._op!r} takes {len(self._parents)} input(s), got "
                            f"{len(inputs)}")
        import copy
        return np.asarray(copy.copy(self._op).forward(*inputs))

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        body = np.array2string(self.data, precision=4, threshold=20, separator=", ")
        dtype = "" if self.data.dtype == np.float64 else f", dtype={self.data.dtype}"
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{dtype}{grad}{name})"

    # ---- backward ----------------------------------------------------------------------------
    def backward(self, grad: Any = None, *, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Fill `.grad` of every tensor this one depends on (that requires a gradient).

        A scalar output needs no `grad`; any other output needs d(loss)/d(output) of its shape.
        Leaves accumulate across calls; intermediate tensors hold this pass's gradient.
        """
        engine.backward([self], [self._seed(grad, "backward")], retain_graph=retain_graph,
                        create_graph=create_graph)

    def zero_grad(self) -> None:
        """Forget this leaf's gradient (None) and its count of accumulated passes."""
        self.grad = None
        if self._passes > 0:
            self._passes = 0

    @staticmethod
    def _quiet_arithmetic() -> Any:
        """NumPy's own inf/nan warnings are silenced during backward: the pass reports a
        non-finite gradient once, with a GradientWarning that says where it comes from."""
        return np.errstate(all="ignore")

    def _seed(self, grad: Any, op: str) -> Any:
        if self._op is None and self._passes == NO_GRAPH:
            raise RuntimeError(f"{op}(): this Tensor was computed under no_grad(), so no graph "
                               "was recorded and there is nothing to differentiate; compute it "
                               "outside no_grad() (or inside enable_grad())")
        if op == "backward" and not self.requires_grad:  # (grad() of a constant is 0)
            raise RuntimeError(
                f"{op}(): this Tensor does not require a gradient, so no graph was recorded: "
                "none of the Tensors it was computed from has requires_grad=True, or it was "
                "computed under no_grad(). Create the inputs with Tensor(..., requires_grad=True)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"{op}: the output has shape {self.data.shape}, not a scalar; pass the "
                    f"gradient of the loss with respect to it, e.g. "
                    f"{op}(np.ones({self.data.shape})), or reduce it first with .sum()")
            return np.ones(self.data.shape, dtype=self.data.dtype)
        if isinstance(grad, Tensor):
            seed = grad
            if seed.data.dtype != self.data.dtype:
                raise TypeError(f"{op}: the gradient is {seed.data.dtype} but the output is "
                                f"{self.data.dtype}; convert it with .astype(...)")
        else:
            seed = np.asarray(grad, dtype=self.data.dtype)
        if seed.shape != self.data.shape:
            raise ValueError(f"{op}: the gradient has shape {seed.shape} but the output has "
                             f"shape {self.data.shape}; they must match")
        if not np.isfinite(seed.data if isinstance(seed, Tensor) else seed).all():
            raise ValueError(f"{op}: the seed gradient must be finite")
        return seed

    def _accumulate(self, g: Any) -> None:
        if self.grad is not None:
            self.grad = self.grad + g
        else:  # a leaf keeps its own copy of the seed, never the caller's array
            self.grad = g if self._op is not None else _owned(g, g)

    def _backward_step(self, create_graph: bool, release: bool) -> None:
        fn = self._op
        if fn.released and fn.saves_values:
            raise RuntimeError(
                f"backward through {fn!r} a second time: the arrays it saved were released "
                "after the first backward(); pass retain_graph=True to the first call if you "
                "need to run backward again")
        g = self.grad
        a, b = self._a, self._b
        if create_graph:
            if not isinstance(g, Tensor):
                g = Tensor(g)
            grads = fn.backward(g, a, self) if b is None else fn.backward(g, a, b, self)
        else:
            if isinstance(g, Tensor):
                g = g.data
            grads = fn.backward(g, a.data, self.data) if b is None else \
                fn.backward(g, a.data, b.data, self.data)
        if not isinstance(grads, (tuple, list)) or len(grads) != (1 if b is None else 2):
            raise TypeError(f"{fn!r}.backward must return a tuple with one gradient per input "
                            f"({1 if b is None else 2}), got {type(grads).__name__}"
                            f"{f' of {len(grads)}' if isinstance(grads, (tuple, list)) else ''}")
        _receive(a, grads[0], g)
        if b is not None:
            _receive(b, grads[1], g)
        if release:
            fn.release()

    def _check_finite(self) -> bool:
        g = self.grad
        if g is None:
            return True
        return _all_finite(g.data if isinstance(g, Tensor) else g)

    def _holds_grad(self) -> bool:
        g = self.grad
        return g is not None and bool(np.any((g.data if isinstance(g, Tensor) else g) != 0))

    def _grad_or_zero(self, create_graph: bool = False) -> Any:
        return self.grad if self.grad is not None else self._zero_grad(create_graph)

    def _zero_grad(self, create_graph: bool = False) -> Any:
        zeros = np.zeros_like(self.data)
        return Tensor(zeros) if create_graph else zeros

    def _undefined_derivative(self) -> str | None:
        """'pow (**) at a = -2.0, b = 0.5 (entry (1,)): d/db is nan (...)' when the operation's
        derivative is infinite or undefined at one of its entries (see Function.undefined)."""
        parents = self._parents
        found = self._op.undefined(*(p.data for p in parents), self.data)
        if found is None:
            return None
        i, point, d = found
        names = ("a", "b") if len(parents) == 2 else ("x",)
        label = f" {parents[i].label!r}" if parents[i].label else ""
        return (f"{self._op!r} ({self._op.symbol}) at {point}: d/d{names[i]} is {d} (its input"
                f"{label} of shape {parents[i].shape})")

    def _op_name(self) -> str:
        return repr(self._op) if self._op is not None else "leaf"

    # ---- operations (defined in tensor_ops.py) -----------------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return apply(ops.Add(), self, lift(other, self, "+"))

    def __radd__(self, other: Any) -> "Tensor":
        return apply(ops.Add(), lift(other, self, "+"), self)

    def __sub__(self, other: Any) -> "Tensor":
        return apply(ops.Sub(), self, lift(other, self, "-"))

    def __rsub__(self, other: Any) -> "Tensor":
        return apply(ops.Sub(), lift(other, self, "-"), self)

    def __mul__(self, other: Any) -> "Tensor":
        return apply(ops.Mul(), self, lift(other, self, "*"))

    def __rmul__(self, other: Any) -> "Tensor":
        return apply(ops.Mul(), lift(other, self, "*"), self)

    def __truediv__(self, other: Any) -> "Tensor":
        return apply(ops.Div(), self, lift(other, self, "/"))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return apply(ops.Div(), lift(other, self, "/"), self)

    def __pow__(self, other: Any) -> "Tensor":
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return apply(ops.PowConst(float(other)), self)
        return apply(ops.Pow(), self, lift(other, self, "**"))

    def __rpow__(self, other: Any) -> "Tensor":
        return apply(ops.Pow(), lift(other, self, "**"), self)

    def __neg__(self) -> "Tensor":
        return apply(ops.Neg(), self)

    def __pos__(self) -> "Tensor":
        return self

    def __matmul__(self, other: Any) -> "Tensor":
        return ops.matmul(self, lift(other, self, "@"))

    def __rmatmul__(self, other: Any) -> "Tensor":
        return ops.matmul(lift(other, self, "@"), self)

    matmul = __matmul__

    def __getitem__(self, index: Any) -> "Tensor":
        return apply(ops.GetItem(index), self)

    def exp(self) -> "Tensor":
        return apply(ops.Exp(), self)

    def log(self) -> "Tensor":
        return apply(ops.Log(), self)

    def tanh(self) -> "Tensor":
        return apply(ops.Tanh(), self)

    def sigmoid(self) -> "Tensor":
        return apply(ops.Sigmoid(), self)

    def relu(self) -> "Tensor":
        return apply(ops.Relu(), self)

    def abs(self) -> "Tensor":
        return apply(ops.Abs(), self)

    __abs__ = abs

    def sqrt(self) -> "Tensor":
        return self ** 0.5

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return apply(ops.Sum(axis, keepdims), self)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return apply(ops.Mean(axis, keepdims), self)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return apply(ops.Max(axis, keepdims), self)

    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply(ops.Reshape(shape), self)

    def transpose(self, *axes: Any) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return apply(ops.Transpose(axes or None), self)

    def swapaxes(self, a: int, b: int) -> "Tensor":
        axes = list(range(self.data.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return apply(ops.Transpose(tuple(axes)), self)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def softmax(self, axis: int = -1) -> "Tensor":
        return apply(ops.Softmax(axis), self)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        return apply(ops.LogSoftmax(axis), self)

    # ---- comparisons: on data, no graph --------------------------------------------------------
    def _cmp_data(self, other: Any) -> Any:
        return other.data if isinstance(other, Tensor) else other

    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < self._cmp_data(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self.data <= self._cmp_data(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self.data > self._cmp_data(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self.data >= self._cmp_data(other)


class Constant(Tensor):
    """A number or array that an operation lifted into the graph (the 2 of `x * 2`): a leaf
    that needs no gradient, whose `is_constant` lets drawings show it as a constant or fold it
    into its operation."""

    __slots__ = ()
    is_constant = True


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, label: str = "") -> Tensor:
    """Shorthand for Tensor(...)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, label=label)


from . import tensor_ops as ops  # noqa: E402  (the operations need the Tensor class)
