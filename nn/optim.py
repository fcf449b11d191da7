"""The optimizers of chapter 6 (the book's common/optimizer.py), step for step as torch.optim.

Two ways to use each one:

- the book's: `opt.update(params, grads)` with two dicts of arrays keyed alike
  (params['W1'], grads['W1'], ...);
- PyTorch's: `opt = Adam(params=model.parameters())`, then `opt.step()` / `opt.zero_grad()`,
  for objects with an ndarray `.data` and a `.grad` (an ndarray, or None to skip).

Either way the parameter arrays are changed in place (they stay the same objects, so layers that
hold them see the new values), and the optimizer keeps its state (velocity, squared-gradient
sums, ...) per parameter. Each optimizer writes its math once, in `_update_one`.

Where the book's printed formula and torch.optim differ, we follow torch: each docstring says how.

Weight decay (section 6.4.1): every optimizer takes `weight_decay=lambda` as torch.optim does,
adding lambda * W to each gradient before the update (L2 regularisation, the gradient of
0.5 * lambda * ||W||^2; for Adam this is torch.optim.Adam's weight_decay, not AdamW's decoupled
decay). It applies to every array the optimizer updates, biases included, as in torch when all
parameters are passed; the book's MultiLayerNet instead adds lambda * W inside the network and
only for the weights W (nn.multi_layer_net, weight_decay_lambda).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from autograd import Tensor, Value

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"]


class Optimizer:
    """Shared plumbing: update() for dicts, step()/zero_grad() for parameter objects."""

    def __init__(self, params: Iterable[Any] | None = None, weight_decay: float = 0.0) -> None:
        _check("weight_decay", weight_decay, 0.0)
        self.weight_decay = weight_decay
        if params is None:
            self.params: list[Any] | None = None
        else:
            self.params = list(params)
            if not self.params:
                raise ValueError("the optimizer got an empty list of parameters (was a "
                                 "parameters() generator already used up?)")
        self.state: dict[Hashable, dict[str, Any]] = {}  # per parameter: its buffers

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """The book's API: update every params[key] in place from grads[key]."""
        for key in params:
            if key not in grads:
                raise KeyError(f"update: grads has no entry {key!r} for params[{key!r}]")
            self._checked_update(("update", key), params[key], grads[key], key)

    def step(self) -> None:
        """PyTorch's API: update every parameter's .data in place from its .grad (None: skipped)."""
        if self.params is None:
            raise RuntimeError("step() updates the parameters given as params= to the constructor; "
                               "this optimizer got none (use update(params, grads) instead)")
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            if isinstance(p, Value):  # nn.scalar's parameters: the number as a 0-d array
                box = np.array(p.data)
                grad = p.grad.data if isinstance(p.grad, Value) else p.grad
                self._checked_update(("step", i), box, grad, f"parameter {i}")
                p.data = float(box)
            else:
                self._checked_update(("step", i), p.data, p.grad, f"parameter {i}")

    def zero_grad(self) -> None:
        """Forget the gradients: every parameter's .grad is zeroed (None for a Tensor, 0 for a
        Value), with its count of accumulated passes."""
        for p in self.params or []:
            if isinstance(p, (Value, Tensor)):
                p.zero_grad()
            else:  # any object with .data and .grad
                p.grad = None

    def _checked_update(self, key: Hashable, param: np.ndarray, grad: np.ndarray,
                        name: str) -> None:
        if not isinstance(param, np.ndarray):
            raise TypeError(f"{name}: the optimizer updates ndarrays in place, "
                            f"got {type(param).__name__}")
        if np.shape(grad) != param.shape:
            raise ValueError(f"{name}: gradient of shape {np.shape(grad)} does not match the "
                             f"parameter's shape {param.shape}")
        grad = np.asarray(grad)
        if self.weight_decay:
            grad = grad + self.weight_decay * param  # torch: d_p = d_p.add(param, alpha=wd)
        self._update_one(self.state.setdefault(key, {}), param, grad)

    def _update_one(self, state: dict[str, Any], param: np.ndarray, grad: np.ndarray) -> None:
        """Update one array in place; `state` is this array's own dict, empty on the first call."""
        raise NotImplementedError


def _check(name: str, value: float, low: float, high: float = np.inf) -> None:
    if not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} "
                        "(parameters go in as the keyword params=...)")
    if not low <= value < high:
        raise ValueError(f"{name} must lie in [{low}, {high}), got {value!r}")


def _buffer(state: dict, key: str, like: np.ndarray) -> np.ndarray:
    """The optimizer's running array `key` for one parameter: zeros the first time."""
    if key not in state:
        state[key] = np.zeros_like(like)
    return state[key]


class SGD(Optimizer):
    """W <- W - lr * dL/dW. The same as the book and as torch.optim.SGD."""

    def __init__(self, lr: float = 0.01, *, params: Iterable[Any] | None = None,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, weight_decay)
        _check("lr", lr, 0.0)
        self.lr = lr

    def _update_one(self, state, param, grad):
        param -= self.lr * grad


class Momentum(Optimizer):
    """SGD with momentum: v <- momentum * v + g;  W <- W - lr * v  (torch.optim.SGD(momentum=...)).

    The book writes v <- momentum * v - lr * g; W <- W + v, i.e. its v is -lr times ours: the same
    steps while lr is constant; keeping lr out of v (as torch does) lets a new lr apply at once.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9,
                 *, params: Iterable[Any] | None = None,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, weight_decay)
        _check("lr", lr, 0.0)
        _check("momentum", momentum, 0.0)
        self.lr = lr
        self.momentum = momentum

    def _velocity(self, state, param, grad):
        v = _buffer(state, "v", param)
        v *= self.momentum
        v += grad
        return v

    def _update_one(self, state, param, grad):
        param -= self.lr * self._velocity(state, param, grad)


class Nesterov(Momentum):
    """Nesterov momentum: v <- momentum * v + g;  W <- W - lr * (g + momentum * v).

    This is torch.optim.SGD(momentum=..., nesterov=True), and equals Bengio et al. (2012), eq. 7:
    W += momentum^2 * v_old - (1 + momentum) * lr * g in the book's units. The book's code applies
    momentum^2 to the already-updated v instead, so it takes different steps; we match torch.
    """

    def _update_one(self, state, param, grad):
        v = self._velocity(state, param, grad)
        param -= self.lr * (grad + self.momentum * v)


class AdaGrad(Optimizer):
    """h <- h + g * g;  W <- W - lr * g / (sqrt(h) + eps): each weight's step shrinks as it learns.

    The same formula as the book and torch.optim.Adagrad (eps outside the sqrt in both); only the
    default eps differs: the book's 1e-7 here, torch's 1e-10.
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-7,
                 *, params: Iterable[Any] | None = None,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, weight_decay)
        _check("lr", lr, 0.0)
        _check("eps", eps, 0.0)
        self.lr = lr
        self.eps = eps

    def _update_one(self, state, param, grad):
        h = _buffer(state, "h", param)
        h += grad * grad
        param -= self.lr * (grad / (np.sqrt(h) + self.eps))


class RMSprop(Optimizer):
    """h <- decay_rate * h + (1 - decay_rate) * g * g;  W <- W - lr * g / (sqrt(h) + eps).

    AdaGrad that forgets old gradients. The same formula as the book and torch.optim.RMSprop
    (decay_rate is torch's alpha, default 0.99 in both); only the default eps differs: the book's
    1e-7 here, torch's 1e-8.
    """

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7,
                 *, params: Iterable[Any] | None = None,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, weight_decay)
        _check("lr", lr, 0.0)
        _check("decay_rate", decay_rate, 0.0, 1.0)
        _check("eps", eps, 0.0)
        self.lr = lr
        self.decay_rate = decay_rate
        self.eps = eps

    def _update_one(self, state, param, grad):
        h = _buffer(state, "h", param)
        h *= self.decay_rate
        h += (1 - self.decay_rate) * grad * grad
        param -= self.lr * (grad / (np.sqrt(h) + self.eps))


class Adam(Optimizer):
    """Adam: momentum (m) plus RMSprop (v), both bias-corrected for their zero start at step t:

        m <- m + (1 - beta1) * (g - m);   v <- beta2 * v + (1 - beta2) * g * g
        W <- W - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    This is torch.optim.Adam and Algorithm 1 of the Adam paper. The book folds both corrections
    into lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) and adds eps to the uncorrected sqrt(v):
    the same step except that eps is effectively eps / sqrt(1 - beta2^t), so we follow torch.
    The step count t is kept per parameter, like torch (the book counts update() calls).
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, *, params: Iterable[Any] | None = None,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, weight_decay)
        _check("lr", lr, 0.0)
        _check("beta1", beta1, 0.0, 1.0)
        _check("beta2", beta2, 0.0, 1.0)
        _check("eps", eps, 0.0)
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    def _update_one(self, state, param, grad):
        if "m" not in state:
            state["t"] = 0
            state["m"] = np.zeros_like(param)
            state["v"] = np.zeros_like(param)
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m += (1 - self.beta1) * (grad - m)
        v *= self.beta2
        v += (1 - self.beta2) * grad * grad
        step_size = self.lr / (1 - self.beta1 ** t)
        denom = np.sqrt(v) / np.sqrt(1 - self.beta2 ** t) + self.eps
        param -= step_size * (m / denom)
