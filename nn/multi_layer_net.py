"""The book's MultiLayerNet and MultiLayerNetExtend (common/multi_layer_net*.py, chapter 6):
fully connected nets of any depth built from the hand-written layers, with a choice of
activation and initialisation, weight decay, and (Extend) BatchNorm and Dropout.

    Affine1 → [BatchNorm1] → Activation_function1 → [Dropout1] → ... → Affine(L+1) → SoftmaxWithLoss

Shapes: x (N, input_size) (or (N, d1, d2, ...), flattened by the first Affine), t int labels (N,)
or one-hot rows (N, output_size); params['W<i>'] (fan_in, fan_out), params['b<i>'] (fan_out,),
and with BatchNorm params['gamma<i>'], params['beta<i>'] (hidden_size_list[i-1],).

Weight decay is the book's (section 6.4.1): the loss gains 0.5 · λ · Σ_i ||W_i||² (weights only,
not biases or BatchNorm's gamma/beta) and each dW gains λ · W. Passing `weight_decay=λ` to an
optimizer from nn.optim for the W's instead gives the same updates.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from . import layers
from .functions import accuracy as _accuracy
from .functions import numerical_gradient as _numerical_gradient
from .init import RngLike, as_rng, init_std
from .regularization import BatchNormalization, Dropout

__all__ = ["MultiLayerNet", "MultiLayerNetExtend"]

ACTIVATIONS = {"relu": layers.Relu, "sigmoid": layers.Sigmoid}


class MultiLayerNet:
    """A fully connected net with the book's interface: params, layers, last_layer, predict,
    loss, accuracy, numerical_gradient, gradient.

    input_size: numbers per sample (784 for MNIST); hidden_size_list: units of each hidden layer,
    e.g. [100, 100, 100, 100, 100]; output_size: classes (10).
    activation: 'relu' or 'sigmoid'. weight_init_std: 'relu'/'he' (std sqrt(2 / fan_in)),
    'sigmoid'/'xavier' (sqrt(1 / fan_in), the book's Xavier) or a number used as the std
    (the book's default is 'relu'). weight_decay_lambda: λ of the L2 penalty (0: none).
    seed: an int or Generator for the weights (the book uses np.random).
    """

    def __init__(self, input_size: int, hidden_size_list: Sequence[int], output_size: int,
                 activation: str = "relu", weight_init_std: str | float = "relu",
                 weight_decay_lambda: float = 0.0, *, seed: RngLike = None,
                 dtype: Any = np.float64) -> None:
        sizes = [input_size, *hidden_size_list, output_size]
        if not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
            raise ValueError(f"{type(self).__name__}: every layer size must be a positive int, "
                             f"got input {input_size!r}, hidden {list(hidden_size_list)!r}, "
                             f"output {output_size!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"{type(self).__name__}: activation must be one of "
                             f"{sorted(ACTIVATIONS)}, got {activation!r}")
        if not weight_decay_lambda >= 0:
            raise ValueError(f"{type(self).__name__}: weight_decay_lambda must be >= 0, "
                             f"got {weight_decay_lambda!r}")
        self.input_size = int(input_size)
        self.output_size = int(output_size)
        self.hidden_size_list = [int(n) for n in hidden_size_list]
        self.hidden_layer_num = len(self.hidden_size_list)
        self.activation = activation
        self.weight_decay_lambda = weight_decay_lambda
        self.rng = as_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        self._init_weight(weight_init_std, dtype)

        # the layers hold the very arrays in params: in-place updates reach both
        self.layers: OrderedDict[str, Any] = OrderedDict()
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{idx}"] = layers.Affine(self.params[f"W{idx}"],
                                                        self.params[f"b{idx}"])
            self._add_hidden_extras(idx, before_activation=True)
            self.layers[f"Activation_function{idx}"] = ACTIVATIONS[activation]()
            self._add_hidden_extras(idx, before_activation=False)
        idx = self.hidden_layer_num + 1
        self.layers[f"Affine{idx}"] = layers.Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
        self.last_layer = layers.SoftmaxWithLoss()

    def _init_weight(self, weight_init_std: str | float, dtype: Any) -> None:
        """W<i> = scale · N(0, 1) of shape (sizes[i-1], sizes[i]); b<i> = 0 (book: __init_weight)."""
        all_size_list = [self.input_size, *self.hidden_size_list, self.output_size]
        for idx in range(1, len(all_size_list)):
            fan_in = all_size_list[idx - 1]
            scale = init_std(weight_init_std, fan_in)
            self.params[f"W{idx}"] = (scale * self.rng.standard_normal(
                (fan_in, all_size_list[idx]))).astype(dtype)
            self.params[f"b{idx}"] = np.zeros(all_size_list[idx], dtype=dtype)

    def _add_hidden_extras(self, idx: int, before_activation: bool) -> None:
        """Where MultiLayerNetExtend puts BatchNorm (before) and Dropout (after the activation)."""

    @property
    def affine_count(self) -> int:
        return self.hidden_layer_num + 1

    # ---- the book's interface -----------------------------------------------------------------
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores (before softmax), shape (N, output_size)."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def _weight_decay(self) -> float:
        """0.5 · λ · Σ_i ||W_i||² over every Affine's W (the book's loss term)."""
        if not self.weight_decay_lambda:
            return 0.0
        return sum(0.5 * self.weight_decay_lambda * float(np.sum(self.params[f"W{i}"] ** 2))
                   for i in range(1, self.affine_count + 1))

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy of softmax(predict(x)) against t, plus the weight-decay term."""
        y = self.predict(x)
        return self.last_layer.forward(y, t) + self._weight_decay()

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Fraction of samples whose highest score is the right class (t labels or one-hot)."""
        return _accuracy(self.predict(x), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """The book's slow gradient: central differences of loss(x, t) over every parameter
        (t checked once unless a subclass redefines loss, as in TwoLayerNet)."""
        loss_W = lambda W: self.loss(x, t)  # noqa: E731  (the book's idiom)
        if type(self).loss is MultiLayerNet.loss:
            of_scores = layers.loss_of_scores(self.last_layer, self.predict(x), t)
            loss_W = lambda W: of_scores(self.predict(x)) + self._weight_decay()  # noqa: E731
        return {key: _numerical_gradient(loss_W, p) for key, p in self.params.items()}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """dL/d(each parameter) by backpropagation through the hand-written layers; each dW
        includes the weight-decay term λ·W."""
        self.loss(x, t)  # forward
        self._backward()
        return self._collect_grads()

    def _backward(self) -> None:
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)

    def _collect_grads(self) -> dict[str, np.ndarray]:
        grads = {}
        for idx in range(1, self.affine_count + 1):
            affine = self.layers[f"Affine{idx}"]
            grads[f"W{idx}"] = affine.dW + self.weight_decay_lambda * affine.W
            grads[f"b{idx}"] = affine.db
        return grads

    def __repr__(self) -> str:
        sizes = [self.input_size, *self.hidden_size_list, self.output_size]
        return (f"{type(self).__name__}({' → '.join(map(str, sizes))}, {self.activation}, "
                f"layers: {', '.join(self.layers)})")


class MultiLayerNetExtend(MultiLayerNet):
    """MultiLayerNet with the book's switches for BatchNorm and Dropout (multi_layer_net_extend).

    use_batchnorm: a BatchNormalization layer (the book's conventions: momentum 0.9, eps 1e-6)
    after each hidden Affine, with parameters params['gamma<i>'] (ones) and params['beta<i>']
    (zeros). use_dropout: a Dropout layer with `dropout_ration` (the book's spelling) after each
    hidden activation; its masks come from Generators spawned from `seed`.

    predict, loss take train_flg as the book's (False: BatchNorm uses its running averages,
    Dropout scales by 1 − ratio); accuracy always predicts with train_flg=False, and gradient
    always runs the forward with train_flg=True.
    """

    def __init__(self, input_size: int, hidden_size_list: Sequence[int], output_size: int,
                 activation: str = "relu", weight_init_std: str | float = "relu",
                 weight_decay_lambda: float = 0.0, use_dropout: bool = False,
                 dropout_ration: float = 0.5, use_batchnorm: bool = False, *,
                 seed: RngLike = None, dtype: Any = np.float64) -> None:
        self.use_dropout = use_dropout
        self.dropout_ration = dropout_ration
        self.use_batchnorm = use_batchnorm
        self._dtype = dtype
        super().__init__(input_size, hidden_size_list, output_size, activation, weight_init_std,
                         weight_decay_lambda, seed=seed, dtype=dtype)

    def _add_hidden_extras(self, idx: int, before_activation: bool) -> None:
        units = self.hidden_size_list[idx - 1]
        if before_activation and self.use_batchnorm:
            self.params[f"gamma{idx}"] = np.ones(units, dtype=self._dtype)
            self.params[f"beta{idx}"] = np.zeros(units, dtype=self._dtype)
            self.layers[f"BatchNorm{idx}"] = BatchNormalization(self.params[f"gamma{idx}"],
                                                                self.params[f"beta{idx}"])
        if not before_activation and self.use_dropout:
            self.layers[f"Dropout{idx}"] = Dropout(self.dropout_ration,
                                                   rng=self.rng.spawn(1)[0])

    def predict(self, x: np.ndarray, train_flg: bool = False) -> np.ndarray:
        for key, layer in self.layers.items():
            if "Dropout" in key or "BatchNorm" in key:
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray, train_flg: bool = False) -> float:
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t) + self._weight_decay()

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return _accuracy(self.predict(x, train_flg=False), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Central differences of loss(x, t, train_flg=True) over every parameter.

        Unlike the book (whose every loss call draws new Dropout masks, so its numerical gradient
        of a net with Dropout is noise), every evaluation here uses the same masks: each Dropout's
        Generator and each BatchNorm's running averages are put back before every evaluation and
        at the end. So the masks are the ones the next training forward will draw, and a
        gradient(x, t) called right after computes the gradient of the same function.
        """
        saved = self._save_state()
        try:
            of_scores = None  # t checked once, as in TwoLayerNet, unless loss is redefined
            if type(self).loss is MultiLayerNetExtend.loss:
                of_scores = layers.loss_of_scores(self.last_layer,
                                                  self.predict(x, train_flg=False), t)

            def loss_W(_: np.ndarray) -> float:
                self._restore_state(saved)
                if of_scores is None:
                    return self.loss(x, t, train_flg=True)
                return of_scores(self.predict(x, train_flg=True)) + self._weight_decay()

            return {key: _numerical_gradient(loss_W, p) for key, p in self.params.items()}
        finally:
            self._restore_state(saved)

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t, train_flg=True)
        self._backward()
        grads = self._collect_grads()
        if self.use_batchnorm:
            for idx in range(1, self.hidden_layer_num + 1):
                grads[f"gamma{idx}"] = self.layers[f"BatchNorm{idx}"].dgamma
                grads[f"beta{idx}"] = self.layers[f"BatchNorm{idx}"].dbeta
        return grads

    def _save_state(self) -> list[tuple[Any, Any]]:
        """What a training forward changes besides the outputs: Dropout's rng, BatchNorm's
        running averages."""
        state = []
        for layer in self.layers.values():
            if isinstance(layer, Dropout):
                state.append((layer, layer.rng.bit_generator.state))
            elif isinstance(layer, BatchNormalization):
                state.append((layer, (layer.running_mean, layer.running_var)))
        return state

    @staticmethod
    def _restore_state(state: list[tuple[Any, Any]]) -> None:
        for layer, saved in state:
            if isinstance(layer, Dropout):
                layer.rng.bit_generator.state = saved
            else:  # the book's layer rebinds its running arrays, so the old ones are intact
                layer.running_mean, layer.running_var = saved
