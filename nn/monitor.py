"""Training you can see into: every k steps of any training loop, record each layer's gradient
norm, its weight-update ratio, and samples of its activations and gradients; plot them over time.

    monitor = Monitor(every=50)
    monitor.watch(net)                      # optional: tap the activation layers' outputs
    for i in range(iters):
        grads = net.gradient(x_batch, t_batch)
        with monitor.step(i, net.params, grads):
            optimizer.update(net.params, grads)
    fig = monitor.plot()                    # a matplotlib Figure: fig.savefig("monitor.png")

What is recorded at each due step (step % every == 0), per parameter name (W1, b1, "fc1.W", ...):

- grad_norm:    ||dL/dW||₂, the Frobenius norm of the gradient the optimizer is given;
- update_ratio: ||W_after − W_before||₂ / ||W_before||₂ of the update made inside the `with`
                block (about 1e-3 is the usual rule of thumb for a healthy learning rate; much
                smaller: the layer barely learns, much larger: it is being overwritten);
- weight_grads: up to `max_samples` entries of dL/dW, drawn at random (seeded), for histograms;

and per watched layer (its output is the layer's "activation", as in the book's figure 6-10):

- activations:      up to `max_samples` entries of the layer's output;
- activation_grads: the same entries of dL/d(output), the signal backprop sends through it
                    (when backward ran through it): vanishing gradients show here first.

`params` may be the book's dict of arrays (with `grads` a dict keyed alike) or an autograd
`Module` (its named parameters and their .grad; `grads` left out). `watch` taps the book's
hand-written nets (anything with a `.layers` dict of layers with forward/backward, e.g.
TwoLayerNet, MultiLayerNet) and autograd Modules: it replaces the activation layers' forward (and
backward) on the instance with a version that keeps a reference to the last output, and
`unwatch` puts them back. Nothing is computed on steps that are not due.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from autograd import Tensor, Value

from . import layers as _layers
from . import autograd_layers as _modules
from .module import Module

__all__ = ["Monitor", "Record"]

# the layers whose outputs are "activations" by default
ACTIVATION_TYPES: tuple[type, ...] = (_layers.Relu, _layers.Sigmoid, _modules.ReLU,
                                      _modules.Sigmoid, _modules.Tanh)
KINDS = ("grad_norm", "update_ratio")
SAMPLE_KINDS = ("activations", "activation_grads", "weight_grads")


@dataclass
class Record:
    """What one due step recorded: scalars per parameter, samples per layer or parameter."""

    step: int
    grad_norm: dict[str, float] = field(default_factory=dict)
    update_ratio: dict[str, float] = field(default_factory=dict)
    weight_grads: dict[str, np.ndarray] = field(default_factory=dict)
    activations: dict[str, np.ndarray] = field(default_factory=dict)
    activation_grads: dict[str, np.ndarray] = field(default_factory=dict)


class _Tap:
    """The last output (and the gradient that came back into it) of one watched layer."""

    def __init__(self, layer: Any, name: str) -> None:
        self.layer, self.name = layer, name
        self.out: Any = None
        self.dout: Any = None

    def values(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(output, dL/d output) as arrays; an autograd output's gradient is its .grad."""
        if isinstance(self.out, Tensor):
            return self.out.data, self.out.grad
        return self.out, self.dout


class Monitor:
    """Records a training run every `every` steps (see the module docstring); `records` holds
    them in order. max_samples: entries kept per array for the histograms; seed: which ones."""

    def __init__(self, every: int = 10, max_samples: int = 2000, seed: int = 0) -> None:
        if not (isinstance(every, (int, np.integer)) and every >= 1):
            raise ValueError(f"Monitor: every must be an int >= 1 (record every k-th step), "
                             f"got {every!r}")
        if not (isinstance(max_samples, (int, np.integer)) and max_samples >= 1):
            raise ValueError(f"Monitor: max_samples must be an int >= 1, got {max_samples!r}")
        self.every = int(every)
        self.max_samples = int(max_samples)
        self.rng = np.random.default_rng(seed)
        self.records: list[Record] = []
        self.shapes: dict[str, tuple[int, ...]] = {}  # each parameter's shape, as last seen
        self._taps: list[_Tap] = []

    # ---- watching layers ------------------------------------------------------------------------
    def watch(self, model: Any, types: Sequence[type] | None = None) -> Any:
        """Tap the outputs of `model`'s layers of `types` (default: the activation layers ReLU,
        Sigmoid, Tanh, hand-written or modules); returns `model`. `model` is a Module or an object
        with a `.layers` dict (the book's nets)."""
        types = tuple(types or ACTIVATION_TYPES)
        if isinstance(model, Module):
            found = [(name or type(model).__name__, m) for name, m in model.named_modules()]
        elif isinstance(getattr(model, "layers", None), Mapping):
            found = list(model.layers.items())
        else:
            raise TypeError(f"Monitor.watch takes an nn.Module or a net with a .layers dict (the "
                            f"book's nets), got {type(model).__name__}")
        found = [(name, layer) for name, layer in found if isinstance(layer, types)]
        if not found:
            raise ValueError(f"Monitor.watch: {type(model).__name__} has no layer of the types "
                             f"{[t.__name__ for t in types]}")
        for name, layer in found:
            if any(tap.layer is layer for tap in self._taps):
                continue
            self._taps.append(self._tap(layer, name))
        return model

    @staticmethod
    def _tap(layer: Any, name: str) -> _Tap:
        tap = _Tap(layer, name)
        forward = layer.forward  # the bound method of the class

        def tapped_forward(*args: Any, **kwargs: Any) -> Any:
            tap.out = forward(*args, **kwargs)
            tap.dout = None
            return tap.out

        layer.forward = tapped_forward
        if not isinstance(layer, Module) and hasattr(layer, "backward"):
            backward = layer.backward

            def tapped_backward(dout: Any) -> Any:
                tap.dout = dout
                return backward(dout)

            layer.backward = tapped_backward
        return tap

    def unwatch(self) -> None:
        """Give every watched layer back its own forward (and backward)."""
        for tap in self._taps:
            for attr in ("forward", "backward"):
                tap.layer.__dict__.pop(attr, None)
        self._taps = []

    # ---- recording ---------------------------------------------------------------------------
    def due(self, step: int) -> bool:
        """Whether `step` is recorded: every `every`-th, starting at 0."""
        return step % self.every == 0

    @contextmanager
    def step(self, step: int, params: Any, grads: Mapping[str, Any] | None = None
             ) -> Iterator[Record | None]:
        """Around the optimizer's update: on a due step, record the gradients and the watched
        layers before it and the update ratio after it (yields the Record, or None)."""
        if not self.due(step):
            yield None
            return
        named, named_grads = self._named(params, grads)
        before = {k: np.array(v, dtype=np.float64, copy=True) for k, v in named.items()}
        record = self.record(step, named, named_grads)
        yield record
        after, _ = self._named(params, grads)
        for key, old in before.items():
            size = float(np.linalg.norm(old))
            delta = float(np.linalg.norm(np.asarray(after[key], dtype=np.float64) - old))
            record.update_ratio[key] = delta / size if size > 0 else float("nan")

    def record(self, step: int, params: Any, grads: Mapping[str, Any] | None = None) -> Record:
        """Record gradient norms, gradient samples and the watched layers now (no update ratio)."""
        _, named_grads = self._named(params, grads)
        record = Record(step)
        for key, g in named_grads.items():
            if g is None:
                continue
            g = np.asarray(g, dtype=np.float64)
            self.shapes[key] = g.shape
            record.grad_norm[key] = float(np.linalg.norm(g))
            record.weight_grads[key] = self._sample(g)
        for tap in self._taps:
            out, dout = tap.values()
            if out is not None:
                picked = self._pick(np.size(out))
                record.activations[tap.name] = np.asarray(out, dtype=np.float64).ravel()[picked]
                if dout is not None and np.size(dout) == np.size(out):
                    record.activation_grads[tap.name] = np.asarray(
                        dout, dtype=np.float64).ravel()[picked]
        self.records.append(record)
        return record

    def _pick(self, size: int) -> np.ndarray:
        if size <= self.max_samples:
            return np.arange(size)
        return np.sort(self.rng.choice(size, self.max_samples, replace=False))

    def _sample(self, a: np.ndarray) -> np.ndarray:
        return a.ravel()[self._pick(a.size)]

    @staticmethod
    def _named(params: Any, grads: Mapping[str, Any] | None
               ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(name -> array, name -> gradient array or None) from a Module or two dicts."""
        if isinstance(params, Module):
            items = list(params.named_parameters())

            def data(p: Any) -> Any:
                return np.asarray(p.data)

            def grad(p: Any) -> Any:
                g = p.grad
                return g.data if isinstance(g, Value) else g

            return ({k: data(p) for k, p in items}, {k: grad(p) for k, p in items})
        if isinstance(params, Mapping):
            if grads is None:
                raise TypeError("Monitor: with a dict of parameters, pass the dict of gradients "
                                "too (keyed alike)")
            missing = [k for k in params if k not in grads]
            if missing:
                raise KeyError(f"Monitor: grads has no entry for {missing}")
            return dict(params), {k: grads[k] for k in params}
        raise TypeError(f"Monitor: params must be an nn.Module or a dict of arrays, got "
                        f"{type(params).__name__}")

    # ---- reading ------------------------------------------------------------------------------
    def names(self, kind: str) -> list[str]:
        """The names that `kind` (grad_norm, update_ratio, activations, ...) was recorded for,
        in the order they first appeared."""
        self._check_kind(kind)
        seen: dict[str, None] = {}
        for r in self.records:
            seen.update(dict.fromkeys(getattr(r, kind)))
        return list(seen)

    def series(self, kind: str, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of the scalar `kind` ('grad_norm' or 'update_ratio') for `name`."""
        if kind not in KINDS:
            raise ValueError(f"Monitor.series: kind must be one of {KINDS}, got {kind!r}")
        pairs = [(r.step, getattr(r, kind)[name]) for r in self.records
                 if name in getattr(r, kind)]
        if not pairs:
            raise KeyError(f"Monitor.series: nothing recorded as {kind} for {name!r}; "
                           f"names: {self.names(kind)}")
        steps, values = zip(*pairs)
        return np.array(steps), np.array(values, dtype=np.float64)

    def histograms(self, kind: str, name: str, bins: int = 40,
                   value_range: tuple[float, float] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, edges (bins + 1,), counts (len(steps), bins)) of the samples of `kind`
        ('activations', 'activation_grads', 'weight_grads') for `name`, with the same bins at
        every step: by default from the 0.5th to the 99.5th percentile of all of them."""
        if kind not in SAMPLE_KINDS:
            raise ValueError(f"Monitor.histograms: kind must be one of {SAMPLE_KINDS}, "
                             f"got {kind!r}")
        pairs = [(r.step, getattr(r, kind)[name]) for r in self.records
                 if name in getattr(r, kind)]
        if not pairs:
            raise KeyError(f"Monitor.histograms: nothing recorded as {kind} for {name!r}; "
                           f"names: {self.names(kind)}")
        steps = np.array([s for s, _ in pairs])
        if value_range is None:
            pooled = np.concatenate([v for _, v in pairs])
            lo, hi = np.percentile(pooled, [0.5, 99.5])
            if hi <= lo:
                lo, hi = lo - 0.5, hi + 0.5
            value_range = (float(lo), float(hi))
        edges = np.linspace(value_range[0], value_range[1], bins + 1)
        counts = np.stack([np.histogram(np.clip(v, *value_range), edges)[0] for _, v in pairs])
        return steps, edges, counts

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in KINDS + SAMPLE_KINDS:
            raise ValueError(f"Monitor: kind must be one of {KINDS + SAMPLE_KINDS}, got {kind!r}")

    # ---- drawing ------------------------------------------------------------------------------
    def plot(self, names: Sequence[str] | None = None, max_layers: int = 6,
             title: str | None = None) -> Any:
        """A matplotlib Figure: gradient norm and update ratio per parameter over the steps (top),
        then, one column per layer, the histograms over time of its activations, of the
        gradients coming back into them, and of dL/dW (a column of pixels per recorded step,
        darker = more entries). `names`: the parameters to show (default: every one with 2 or
        more dimensions, i.e. the weight matrices)."""
        from matplotlib.figure import Figure

        if not self.records:
            raise ValueError("Monitor.plot: nothing recorded yet (call step() or record() in the "
                             "training loop)")
        if names is None:
            names = [k for k in self.names("grad_norm")
                     if len(self.shapes.get(k, ())) >= 2] or self.names("grad_norm")
        names = list(names)[:max_layers]
        acts = self.names("activations")[:max_layers]
        act_grads = self.names("activation_grads")[:max_layers]
        rows = [("weight_grads", names, "dL/dW")]
        if acts:
            rows.insert(0, ("activations", acts, "activation"))
        if act_grads:
            rows.insert(1, ("activation_grads", act_grads, "dL/d activation"))
        columns = max(2, max(len(r[1]) for r in rows))
        fig = Figure(figsize=(2.6 * columns, 3.0 * (1 + len(rows))), layout="constrained")
        grid = fig.add_gridspec(1 + len(rows), columns)
        half = columns // 2
        for kind, cells, label in (("grad_norm", grid[0, :half], "gradient norm ||dL/dW||"),
                                   ("update_ratio", grid[0, half:],
                                    "update ratio ||ΔW|| / ||W||")):
            ax = fig.add_subplot(cells)
            for name in names:
                try:
                    steps, values = self.series(kind, name)
                except KeyError:
                    continue
                ax.plot(steps, values, marker=".", label=name)
            if kind == "update_ratio":
                ax.axhline(1e-3, color="gray", linestyle=":", linewidth=1)
            ax.set_yscale("log")
            ax.set(xlabel="step", title=label)
            ax.legend(fontsize="small")
        for row, (kind, layer_names, label) in enumerate(rows, start=1):
            for col, name in enumerate(layer_names):
                ax = fig.add_subplot(grid[row, col])
                steps, edges, counts = self.histograms(kind, name)
                share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
                x_edges = np.append(steps, steps[-1] + (steps[-1] - steps[-2]
                                                        if len(steps) > 1 else self.every))
                ax.pcolormesh(x_edges, edges, np.sqrt(share.T), cmap="Greys", shading="flat")
                ax.set_title(f"{label}: {name}", fontsize="small")
                ax.set_xlabel("step", fontsize="small")
                ax.tick_params(labelsize="x-small")
        fig.suptitle(title or f"training monitor: {len(self.records)} records, every "
                              f"{self.every} steps")
        return fig
