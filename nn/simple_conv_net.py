"""The book's SimpleConvNet (section 7.5, ch07/simple_convnet.py) with two backward engines:

    conv (30 filters 5×5) → ReLU → max pool 2×2 → Affine (100) → ReLU → Affine (10)
      → Softmax-with-Loss

engine="layers" runs the hand-written layers (nn/convolution.py and nn/layers.py), exactly the
book's code; engine="autograd" builds the same forward from autograd operations (conv2d,
max_pool2d, relu, @, cross_entropy) on Tensors that wrap the *same* arrays (no copies) and lets the
graph compute the gradients. Both must agree with each other and with the numerical gradient.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from autograd import Tensor, cross_entropy, no_grad, scope
from autograd.conv_ops import conv2d, conv_output_size, max_pool2d

from . import layers
from .convolution import Convolution, Pooling
from .functions import accuracy as _accuracy
from .functions import numerical_gradient as _numerical_gradient
from .gradcheck import mean_abs_diff
from .init import as_rng, init_std

__all__ = ["SimpleConvNet"]

ENGINES = ("layers", "autograd")
KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
DEFAULT_CONV = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}  # the book's


class SimpleConvNet:
    """The book's interface: params, layers, last_layer, predict, loss, accuracy,
    numerical_gradient, gradient; plus graph(x, t) for drawing the autograd version.

    Shapes: x (N, C, H, W) = (N, 1, 28, 28) by default; W1 (FN, C, FS, FS) = (30, 1, 5, 5),
    b1 (FN,); W2 (FN·PH·PW, hidden) = (4320, 100), b2 (hidden,); W3 (hidden, classes), b3.
    Weights are weight_init_std · N(0, 1) (0.01, the book's), or "he" / "xavier" (fan-in of W1
    is C·FS·FS), for all three; or a dict giving each its own, e.g. {"W1": 0.01, "W2": "he",
    "W3": "he"}. The pool is 2×2 with stride 2, as in the book.
    """

    def __init__(self, input_dim: tuple[int, int, int] = (1, 28, 28),
                 conv_param: dict[str, int] | None = None, hidden_size: int = 100,
                 output_size: int = 10,
                 weight_init_std: float | str | Mapping[str, float | str] = 0.01, *,
                 engine: str = "layers", dtype: Any = np.float64,
                 seed: int | np.random.Generator | None = None) -> None:
        self.engine = self._check_engine(engine)
        conv = dict(DEFAULT_CONV, **(conv_param or {}))
        unknown = set(conv) - set(DEFAULT_CONV)
        if unknown:
            raise ValueError(f"conv_param: unknown keys {sorted(unknown)}; the keys are "
                             f"{list(DEFAULT_CONV)}")
        channels, height, width = input_dim
        filter_num, filter_size = conv["filter_num"], conv["filter_size"]
        self.stride, self.pad = conv["stride"], conv["pad"]
        shape = (1, channels, height, width)
        conv_h, conv_w = conv_output_size("SimpleConvNet", shape, (filter_size, filter_size),
                                          self.stride, self.pad)
        pool_h, pool_w = conv_output_size("SimpleConvNet (the 2×2 pool)",
                                          (1, filter_num, conv_h, conv_w), (2, 2), 2, 0)
        pool_output_size = filter_num * pool_h * pool_w  # the book's (conv_output_size / 2)²·FN

        rng = as_rng(seed)
        inits = (dict(weight_init_std) if isinstance(weight_init_std, Mapping)
                 else dict.fromkeys(("W1", "W2", "W3"), weight_init_std))
        if set(inits) != {"W1", "W2", "W3"}:
            raise ValueError(f"weight_init_std: a dict needs the keys W1, W2, W3, got "
                             f"{sorted(inits)}")
        std1 = init_std(inits["W1"], channels * filter_size * filter_size, 0.01)
        std2 = init_std(inits["W2"], pool_output_size, 0.01)
        std3 = init_std(inits["W3"], hidden_size, 0.01)

        def normal(std: float, *shape: int) -> np.ndarray:
            return (std * rng.standard_normal(shape)).astype(dtype)

        self.input_dim = tuple(input_dim)
        self.params: dict[str, np.ndarray] = {
            "W1": normal(std1, filter_num, channels, filter_size, filter_size),
            "b1": np.zeros(filter_num, dtype=dtype),
            "W2": normal(std2, pool_output_size, hidden_size),
            "b2": np.zeros(hidden_size, dtype=dtype),
            "W3": normal(std3, hidden_size, output_size),
            "b3": np.zeros(output_size, dtype=dtype),
        }
        # the layers hold the very arrays in params: in-place updates reach both engines
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"], self.stride,
                                           self.pad)
        self.layers["Relu1"] = layers.Relu()
        self.layers["Pool1"] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Affine1"] = layers.Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = layers.Relu()
        self.layers["Affine2"] = layers.Affine(self.params["W3"], self.params["b3"])
        self.last_layer = layers.SoftmaxWithLoss()
        self.last_loss: float | None = None  # the loss of the last gradient() call

    @property
    def lastLayer(self) -> layers.SoftmaxWithLoss:
        """TwoLayerNet's name for last_layer."""
        return self.last_layer

    @staticmethod
    def _check_engine(engine: str) -> str:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        return engine

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=self.params["W1"].dtype)
        if x.ndim == 2 and x.shape[1] == int(np.prod(self.input_dim)):
            x = x.reshape((-1,) + self.input_dim)  # flattened images (load_mnist's default)
        if x.ndim != 4 or x.shape[1:] != self.input_dim:
            raise ValueError(f"SimpleConvNet: x of shape {x.shape} does not fit the net's input "
                             f"(N, {', '.join(map(str, self.input_dim))}) (or flattened rows of "
                             f"{int(np.prod(self.input_dim))})")
        return x

    def predict(self, x: np.ndarray, engine: str | None = None) -> np.ndarray:
        """Scores (before softmax) for a batch x (N, C, H, W) -> (N, classes)."""
        x = self._check_input(x)
        if self._check_engine(engine or self.engine) == "autograd":
            with no_grad():
                return self._autograd_scores(Tensor(x, label="x"))[0].data
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy of softmax(predict(x)) against t (int labels or one-hot), computed
        by the hand-written layers (the book's loss; numerical_gradient differentiates it)."""
        return self.last_layer.forward(self.predict(x, engine="layers"), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray, batch_size: int = 100) -> float:
        """Fraction of samples whose highest score is the right class, in batches of batch_size
        (the book's; a whole data set at once would need an im2col of gigabytes)."""
        x = self._check_input(x)
        scores = [self.predict(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return _accuracy(np.concatenate(scores) if scores else np.zeros((0, 1)), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """The book's slow gradient: central differences of loss(x, t) over every weight (only
        for tiny nets: W2 alone has 432,000 entries at the default sizes)."""
        loss_W = lambda W: self.loss(x, t)  # noqa: E731  (the book's idiom)
        if type(self).loss is SimpleConvNet.loss:  # t checked once, as in TwoLayerNet
            of_scores = layers.loss_of_scores(self.last_layer, self.predict(x, engine="layers"), t)
            loss_W = lambda W: of_scores(self.predict(x, engine="layers"))  # noqa: E731
        return {key: _numerical_gradient(loss_W, self.params[key]) for key in KEYS}

    def gradient(self, x: np.ndarray, t: np.ndarray,
                 engine: str | None = None) -> dict[str, np.ndarray]:
        """dL/d(each parameter) by backpropagation with `engine` (default: the net's own); the
        batch's loss is kept in `last_loss`."""
        engine = self._check_engine(engine or self.engine)
        if engine == "autograd":
            loss, leaves = self._autograd_forward(x, t)
            loss.backward()
            self.last_loss = float(loss.data)
            return {key: leaves[key].grad for key in KEYS}
        self.last_loss = self.loss(x, t)  # forward
        dout = self.last_layer.backward(1)  # backward
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {"W1": self.layers["Conv1"].dW, "b1": self.layers["Conv1"].db,
                "W2": self.layers["Affine1"].dW, "b2": self.layers["Affine1"].db,
                "W3": self.layers["Affine2"].dW, "b3": self.layers["Affine2"].db}

    def graph(self, x: np.ndarray, t: np.ndarray) -> Tensor:
        """The autograd loss Tensor for (x, t), nodes scoped 'SimpleConvNet/Conv1', ... for viz
        (draw it with collapse=True: one box per layer)."""
        return self._autograd_forward(x, t)[0]

    def _autograd_scores(self, x: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        def leaf(key: str) -> Tensor:  # wraps params[key] itself: no copy
            return Tensor(self.params[key], requires_grad=True, label=key)

        with scope("Conv1"):
            W1, b1 = leaf("W1"), leaf("b1")
            h = conv2d(x, W1, b1, self.stride, self.pad)  # (N, FN, OH, OW)
        with scope("Relu1"):
            h = h.relu()
        with scope("Pool1"):
            h = max_pool2d(h, 2, 2, stride=2)  # (N, FN, OH/2, OW/2)
        with scope("Affine1"):
            W2, b2 = leaf("W2"), leaf("b2")
            h = h.reshape(h.shape[0], -1) @ W2 + b2  # (N, hidden)
        with scope("Relu2"):
            h = h.relu()
        with scope("Affine2"):
            W3, b3 = leaf("W3"), leaf("b3")
            scores = h @ W3 + b3  # (N, classes)
        return scores, {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}

    def _autograd_forward(self, x: np.ndarray, t: np.ndarray) -> tuple[Tensor, dict[str, Tensor]]:
        x = Tensor(self._check_input(x), label="x")
        with scope("SimpleConvNet"):
            scores, leaves = self._autograd_scores(x)
            with scope("SoftmaxWithLoss"):
                loss = cross_entropy(scores, t)
        loss.label = "loss"
        return loss, leaves

    def gradient_check(self, x: np.ndarray, t: np.ndarray,
                       engine: str | None = None) -> dict[str, float]:
        """The book's gradient check: mean |backprop − numerical| per parameter (W1, b1, ...)."""
        return mean_abs_diff(self.gradient(x, t, engine), self.numerical_gradient(x, t))
