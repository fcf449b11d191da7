"""Carry a model to PyTorch and back: `to_torch(model)`, `from_torch(module)`.

    >>> torch_model = nn.to_torch(model)          # same weights (copied), same dtype
    >>> model_again = nn.from_torch(torch_model)

What becomes what (both directions; weights are copied, never shared, and keep their dtype):

    nn                                    torch
    Sequential (names kept)               torch.nn.Sequential (names kept)
    Affine / Linear, W (in, out), b       torch.nn.Linear(in, out), weight = W.T (out, in), bias = b
    ReLU, Sigmoid, Tanh                   torch.nn.ReLU, torch.nn.Sigmoid, torch.nn.Tanh
    SoftmaxWithLoss                       torch.nn.CrossEntropyLoss() (mean over the batch)
    TwoLayerNet                           torch.nn.Sequential(Affine1, Relu1, Affine2): predict()

The lecture's hand-written layers (`nn.layers.Affine`, `Relu`, `Sigmoid`, `SoftmaxWithLoss`) go to
torch the same way; `from_torch` gives back the autograd modules.

Labels on the torch side. `SoftmaxWithLoss.forward(x, t)` becomes `CrossEntropyLoss()(x, t)`, which
takes the same three kinds of targets: class indices as an int64 tensor of shape (N,)
(`torch.as_tensor(t, dtype=torch.long)`; NumPy's int64 labels convert as they are), or one-hot
or probability rows of shape (N, C) in the scores' dtype. Both average over the batch and both
have the gradient (softmax(x)·Σ_c t − t) / N. A TwoLayerNet's loss(x, t) is
`torch.nn.functional.cross_entropy(torch_model(x), t)`: the loss is not part of the Sequential,
since in torch, as in nn, a Sequential passes one argument from layer to layer.

Differences kept in mind: nn's Affine flattens (N, d1, d2, ...) inputs itself, torch.nn.Linear
acts on the last axis only, so flatten images first (x.reshape(len(x), -1)) before the torch
model; torch.nn.Linear(bias=False) has no equivalent (nn's Affine always learns b) and is
refused. Subclasses are refused too (exact types only): a subclass may compute something else.

torch is optional (the `parity` extra): it is imported inside these functions, and without it they
raise ImportError saying `pip install 'tracegrad[parity]'`.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from . import layers as hand
from .module import Module, Sequential
from .autograd_layers import Affine, ReLU, Sigmoid, SoftmaxWithLoss, Tanh
from .two_layer_net import TwoLayerNet

__all__ = ["to_torch", "from_torch", "INSTALL_HINT"]

INSTALL_HINT = "pip install 'tracegrad[parity]' (it installs torch==2.13.0)"

_TO = "Sequential, TwoLayerNet, Affine/Linear, ReLU, Sigmoid, Tanh, SoftmaxWithLoss (and the " \
      "hand-written nn.layers.Affine, Relu, Sigmoid, SoftmaxWithLoss)"
_FROM = "torch.nn.Sequential, Linear (with a bias), ReLU, Sigmoid, Tanh, CrossEntropyLoss " \
        "(reduction='mean', no weight, no label smoothing)"


def _torch(what: str) -> Any:
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"nn.{what} needs PyTorch, an optional dependency of tracegrad: "
                          f"{INSTALL_HINT}") from error
    return torch


# ---- nn -> torch ---------------------------------------------------------------------------

def to_torch(model: Any) -> Any:
    """The torch.nn.Module that computes what `model` computes, with copies of its weights.

    model: an nn Sequential, TwoLayerNet, Affine/Linear, ReLU, Sigmoid, Tanh or SoftmaxWithLoss
    (see the module docstring for what each becomes and how the torch side takes labels).
    Returns a torch.nn.Module in training mode whose parameters have the model's dtype (float64
    stays float64). Raises TypeError naming the layer's path and type for anything else,
    ValueError for a Sequential name torch refuses ('.' in it), ImportError without torch.
    """
    torch = _torch("to_torch")
    return _to_torch(torch, model, "", {})


def _linear(torch: Any, W: np.ndarray, b: np.ndarray, where: str) -> Any:
    W, b = np.asarray(W), np.asarray(b)
    if W.ndim != 2 or b.shape != (W.shape[1],):
        raise ValueError(f"to_torch: {_what(where)} has W of shape {W.shape} and b of shape "
                         f"{b.shape}; an affine layer needs W (in, out) and b (out,)")
    weight = torch.tensor(W.T)  # torch.tensor copies; (in, out) -> torch's (out, in)
    linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=weight.dtype)
    with torch.no_grad():
        linear.weight.copy_(weight)
        linear.bias.copy_(torch.tensor(b))
    return linear


def _to_torch(torch: Any, m: Any, where: str, made: dict) -> Any:
    """The torch module for `m`; `made` maps id(nn layer) -> its torch module, so that a layer
    used twice (its weights shared) becomes one torch module used twice, still shared."""
    if id(m) in made:
        return made[id(m)]
    made[id(m)] = converted = _convert(torch, m, where, made)
    return converted


def _convert(torch: Any, m: Any, where: str, made: dict) -> Any:
    kind = type(m)
    if kind is Sequential:
        return torch.nn.Sequential(OrderedDict(
            (_torch_name(name, where), _to_torch(torch, sub, _join(where, name), made))
            for name, sub in m.layers.items()))
    if kind is TwoLayerNet:
        return torch.nn.Sequential(OrderedDict(
            (name, _to_torch(torch, sub, _join(where, name), made))
            for name, sub in m.layers.items()))
    if kind is Affine:
        return _linear(torch, m.W.data, m.b.data, where)
    if kind is hand.Affine:
        return _linear(torch, m.W, m.b, where)
    simple = {ReLU: torch.nn.ReLU, hand.Relu: torch.nn.ReLU, Sigmoid: torch.nn.Sigmoid,
              hand.Sigmoid: torch.nn.Sigmoid, Tanh: torch.nn.Tanh,
              SoftmaxWithLoss: torch.nn.CrossEntropyLoss, hand.SoftmaxWithLoss:
              torch.nn.CrossEntropyLoss}
    if kind in simple:
        return simple[kind]()
    raise TypeError(f"to_torch: {_what(where)} is a {kind.__module__}.{kind.__qualname__}, "
                    f"which has no PyTorch equivalent here; to_torch converts {_TO}")


def _torch_name(name: str, where: str) -> str:
    if "." in name:
        raise ValueError(f"to_torch: {_what(_join(where, name))}: torch.nn.Sequential "
                         f"refuses names with '.'; rename the layer")
    return name


# ---- torch -> nn ---------------------------------------------------------------------------

def from_torch(module: Any) -> Module:
    """The nn model that computes what the torch `module` computes, with copies of its weights.

    module: a torch.nn.Sequential (nested ones too) of Linear (with a bias), ReLU, Sigmoid,
    Tanh, or one of those, or a CrossEntropyLoss (mean over the batch, no class weights, no
    label smoothing) -> nn.SoftmaxWithLoss. A Linear's weight (out, in) becomes W = weight.T
    (in, out), in the weight's dtype; a Sequential keeps its layer names ("0", "1", ...).
    Raises TypeError naming the layer's path and type for anything else (and for a loss inside
    a Sequential), ValueError for a Linear without a bias or a CrossEntropyLoss setting nn does
    not have, ImportError without torch.
    """
    torch = _torch("from_torch")
    return _from_torch(torch, module, "")


def _from_torch(torch: Any, m: Any, where: str) -> Module:
    tnn, kind = torch.nn, type(m)
    if kind is tnn.Sequential:
        named = OrderedDict()
        for name, sub in m.named_children():
            if type(sub) is tnn.CrossEntropyLoss:
                raise TypeError(f"from_torch: {_what(_join(where, name))} is a "
                                f"CrossEntropyLoss inside a Sequential: a loss also takes the "
                                f"labels, so it cannot run there; convert it on its own")
            named[name] = _from_torch(torch, sub, _join(where, name))
        return Sequential(named)
    if kind is tnn.Linear:
        if m.bias is None:
            raise ValueError(f"from_torch: {_what(where)} is a torch.nn.Linear without a "
                             f"bias ({m.in_features} -> {m.out_features}); nn's Affine always "
                             f"has and learns b, so there is no equivalent")
        W = m.weight.detach().cpu().numpy().T.copy()  # (out, in) -> (in, out)
        b = m.bias.detach().cpu().numpy().copy()
        affine = Affine(m.in_features, m.out_features, dtype=W.dtype)
        affine.W.data[...] = W
        affine.b.data[...] = b
        return affine
    if kind in (tnn.ReLU, tnn.Sigmoid, tnn.Tanh):
        return {tnn.ReLU: ReLU, tnn.Sigmoid: Sigmoid, tnn.Tanh: Tanh}[kind]()
    if kind is tnn.CrossEntropyLoss:
        unsupported = [s for s, bad in (
            (f"reduction={m.reduction!r}", m.reduction != "mean"),
            ("class weights (weight=...)", m.weight is not None),
            (f"label_smoothing={m.label_smoothing}", m.label_smoothing != 0),
            (f"ignore_index={m.ignore_index}", m.ignore_index != -100)) if bad]
        if unsupported:
            raise ValueError(f"from_torch: {_what(where)} is a CrossEntropyLoss with "
                             f"{', '.join(unsupported)}; nn.SoftmaxWithLoss is the mean over the "
                             f"batch without those")
        return SoftmaxWithLoss()
    shown = f"torch.nn.{kind.__name__}" if getattr(tnn, kind.__name__, None) is kind \
        else f"{kind.__module__}.{kind.__qualname__}"
    raise TypeError(f"from_torch: {_what(where)} is a {shown}, which has no equivalent in "
                    f"nn; from_torch converts {_FROM}")


# ---- names ---------------------------------------------------------------------------------

def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _what(where: str) -> str:
    """How an error names a layer: by its path in the model ('Affine1', 'block.0')."""
    return f"layer {where!r}" if where else "the model"
