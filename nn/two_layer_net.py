"""The lecture's TwoLayerNet (Affine → ReLU → Affine → SoftmaxWithLoss) with two backward engines.

engine="layers" runs the hand-written backward of nn/layers.py, exactly the lecture's code;
engine="autograd" builds the same forward from autograd Tensors that wrap the *same* arrays
(no copies) and lets the graph compute the gradients. Both must agree, and both must agree with
the slow numerical gradient: that is the lecture's gradient check.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from autograd import Tensor, cross_entropy, scope

from . import layers
from .functions import accuracy as _accuracy
from .functions import numerical_gradient as _numerical_gradient
from .gradcheck import mean_abs_diff
from .init import as_rng, init_std

__all__ = ["TwoLayerNet"]

ENGINES = ("layers", "autograd")
KEYS = ("W1", "b1", "W2", "b2")


class TwoLayerNet:
    """A two-layer net with the lecture's interface: params, layers, lastLayer, predict, loss,
    accuracy, numerical_gradient, gradient; plus graph(x, t) for drawing the autograd version."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float | str = 0.01, *, engine: str = "layers",
                 dtype: Any = np.float64, seed: int | np.random.Generator | None = None) -> None:
        self.engine = self._check_engine(engine)
        rng = as_rng(seed)
        std1 = init_std(weight_init_std, input_size, 0.01)
        std2 = init_std(weight_init_std, hidden_size, 0.01)
        self.params: dict[str, np.ndarray] = {
            "W1": (std1 * rng.standard_normal((input_size, hidden_size))).astype(dtype),
            "b1": np.zeros(hidden_size, dtype=dtype),
            "W2": (std2 * rng.standard_normal((hidden_size, output_size))).astype(dtype),
            "b2": np.zeros(output_size, dtype=dtype),
        }
        # the layers hold the very arrays in params: in-place updates reach both
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Affine1"] = layers.Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = layers.Relu()
        self.layers["Affine2"] = layers.Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = layers.SoftmaxWithLoss()

    @staticmethod
    def _check_engine(engine: str) -> str:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        return engine

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores (before softmax) for a batch x."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy of softmax(predict(x)) against t (int labels or one-hot)."""
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Fraction of samples whose highest score is the right class: t integer labels (N,) or
        one-hot rows (N, C); anything else, or an empty batch, is a ValueError (see
        nn.functions.accuracy)."""
        return _accuracy(self.predict(x), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """The book's slow gradient: central differences of loss(x, t) over every weight.

        Unless a subclass redefines loss, t is checked once here rather than in each of the 2
        forward passes per weight (layers.loss_of_scores): 79,520 of them at 784-50-10."""
        loss_W = lambda W: self.loss(x, t)  # noqa: E731  (the book's idiom)
        if type(self).loss is TwoLayerNet.loss:  # the same function, t checked once
            of_scores = layers.loss_of_scores(self.lastLayer, self.predict(x), t)
            loss_W = lambda W: of_scores(self.predict(x))  # noqa: E731
        return {key: _numerical_gradient(loss_W, self.params[key]) for key in KEYS}

    def gradient(self, x: np.ndarray, t: np.ndarray,
                 engine: str | None = None) -> dict[str, np.ndarray]:
        """dL/d(each parameter) by backpropagation, with `engine` (default: the net's own)."""
        engine = self._check_engine(engine or self.engine)
        if engine == "autograd":
            loss, leaves = self._autograd_forward(x, t)
            loss.backward()
            return {key: leaves[key].grad for key in KEYS}
        self.loss(x, t)  # forward
        dout = self.lastLayer.backward(1)  # backward
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}

    def graph(self, x: np.ndarray, t: np.ndarray) -> Tensor:
        """The autograd loss Tensor for (x, t), nodes scoped 'TwoLayerNet/Affine1', ... for viz."""
        return self._autograd_forward(x, t)[0]

    def _autograd_forward(self, x: np.ndarray, t: np.ndarray) -> tuple[Tensor, dict[str, Tensor]]:
        def leaf(key: str) -> Tensor:  # wraps params[key] itself: no copy
            return Tensor(self.params[key], requires_grad=True, label=key)

        x = Tensor(np.asarray(x, dtype=self.params["W1"].dtype), label="x")
        with scope("TwoLayerNet"):
            with scope("Affine1"):
                W1, b1 = leaf("W1"), leaf("b1")
                h = (x.reshape(x.shape[0], -1) if x.ndim > 2 else x) @ W1 + b1
            with scope("Relu1"):
                h = h.relu()
            with scope("Affine2"):
                W2, b2 = leaf("W2"), leaf("b2")
                scores = h @ W2 + b2
            with scope("SoftmaxWithLoss"):
                loss = cross_entropy(scores, t)
        loss.label = "loss"
        return loss, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

    def gradient_check(self, x: np.ndarray, t: np.ndarray,
                       engine: str | None = None) -> dict[str, float]:
        """The lecture's gradient_check: mean |backprop − numerical| per parameter (W1, b1, ...)."""
        return mean_abs_diff(self.gradient(x, t, engine), self.numerical_gradient(x, t))
