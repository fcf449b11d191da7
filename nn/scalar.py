"""A micrograd-style network of scalar `Value`s: Neuron, Layer, MLP.

Every weight is one Value, so each multiply-add appears in the graph: slow, but small nets can be
drawn node by node. They are Modules, so parameters(), zero_grad() and scopes work as for Tensors.

Without `rng` the weights come from Python's `random`, one `random.uniform(-1, 1)` per weight,
neuron by neuron, layer by layer, exactly as micrograd draws them: after `random.seed(1337)`,
micrograd's demo notebook with `from nn.scalar import MLP` prints the notebook's numbers. With
`rng=` (a NumPy Generator or an int seed) they come from NumPy instead.
"""
from __future__ import annotations

import random
from typing import Any, Sequence

from autograd import Value

from .init import RngLike, as_rng
from .module import Module


def _uniform(rng: RngLike, n: int) -> list[float]:
    """n draws from U(-1, 1): Python's `random` when rng is None (micrograd's), else NumPy's."""
    if rng is None:
        return [random.uniform(-1, 1) for _ in range(n)]
    return [float(v) for v in as_rng(rng).uniform(-1, 1, n)]

__all__ = ["Neuron", "Layer", "MLP"]


class Neuron(Module):
    """relu(w · x + b) (w · x + b with nonlin=False); w ~ U(-1, 1), b = 0 as in micrograd."""

    def __init__(self, nin: int, nonlin: bool = True, *, rng: RngLike = None) -> None:
        if nin < 1:
            raise ValueError(f"Neuron needs nin >= 1, got {nin}")
        self.w = [Value(v, label=f"w{i}") for i, v in enumerate(_uniform(rng, nin))]
        self.b = Value(0.0, label="b")
        self.nonlin = nonlin

    def forward(self, x: Sequence[Any]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron with {len(self.w)} inputs got {len(x)} numbers")
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def extra_repr(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}, {len(self.w)}"


class Layer(Module):
    """nout Neurons reading the same inputs; returns a list (a single Value when nout == 1)."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True, *, rng: RngLike = None) -> None:
        rng = None if rng is None else as_rng(rng)  # one Generator shared by all neurons
        self.neurons = [Neuron(nin, nonlin, rng=rng) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Any:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out


class MLP(Module):
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1]; ReLU between them, linear at the end."""

    def __init__(self, nin: int, nouts: Sequence[int], *, rng: RngLike = None) -> None:
        rng = None if rng is None else as_rng(rng)
        sizes = [nin, *nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, rng=rng)
                       for i in range(len(nouts))]

    def forward(self, x: Sequence[Any]) -> Any:
        for layer in self.layers:
            x = layer([x] if isinstance(x, (Value, int, float)) else x)
        return x
