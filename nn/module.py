"""`Module`, `Parameter` and `Sequential`: the bookkeeping PyTorch's nn.Module does, kept small.

A Module finds its parameters by walking its attributes (Parameters, Values, Modules, and lists,
tuples and dicts of them) and names them by path, e.g. "fc1.W". Calling a module runs `forward`
inside `autograd.scope(name)`, so every node it creates carries `.scope` like "Net/fc1" and the
graph drawing can group each module's nodes into one box.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, Mapping

import numpy as np

from autograd import Tensor, Value, current_scope, scope

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter(Tensor):
    """A Tensor that is a learnable weight: requires_grad=True, and found by Module.parameters()."""

    __slots__ = ()

    def __init__(self, data: Any, label: str = "", dtype: Any = None) -> None:
        super().__init__(data, requires_grad=True, label=label, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


def _is_param(obj: Any) -> bool:
    return isinstance(obj, (Parameter, Value))


class Module:
    """Base of the autograd layers: parameters(), zero_grad(), train()/eval(), state_dict()."""

    training: bool = True
    _scope_name: str | None = None  # set by the parent just before it runs forward

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """forward(...) inside autograd.scope(<this module's name in its parent, or class name>).

        Children are named just before, and this module's own parameters take its scope too.
        """
        with scope(self._scope_name or type(self).__name__):
            for _, name, member in self._members():
                if isinstance(member, Module):
                    member._scope_name = name
                else:  # a parameter is drawn inside the box of the module that holds it
                    member.scope = current_scope()
            return self.forward(*args, **kwargs)

    # ---- walking the attributes ----------------------------------------------------------------
    def _members(self) -> Iterator[tuple[str, str, Any]]:
        """(path, scope name, object) for each Parameter/Value/Module held directly or in a
        list/tuple/dict.

        An attribute's path and scope name are its name; a dict entry's scope name is its key
        (path "attr.key"); a list or tuple entry's are "attr.i".
        """
        def walk(path: str, name: str, obj: Any) -> Iterator[tuple[str, str, Any]]:
            if _is_param(obj) or isinstance(obj, Module):
                yield path, name, obj
            elif isinstance(obj, (list, tuple)):
                for i, item in enumerate(obj):
                    yield from walk(f"{path}.{i}", f"{path}.{i}", item)
            elif isinstance(obj, dict):
                for key, item in obj.items():
                    yield from walk(f"{path}.{key}", str(key), item)

        for attr, value in vars(self).items():
            yield from walk(attr, attr, value)

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """This module ('' or `prefix`) and every submodule, by path, each once."""
        seen: set[int] = set()

        def walk(path: str, module: Module) -> Iterator[tuple[str, Module]]:
            if id(module) in seen:
                return
            seen.add(id(module))
            yield path, module
            for sub_path, _, member in module._members():
                if isinstance(member, Module):
                    yield from walk(f"{path}.{sub_path}" if path else sub_path, member)

        yield from walk(prefix, self)

    def named_parameters(self) -> Iterator[tuple[str, Any]]:
        """(name, parameter) depth-first in attribute order, e.g. "fc1.W"; shared ones once."""
        seen: set[int] = set()

        def walk(prefix: str, module: Module) -> Iterator[tuple[str, Any]]:
            for path, _, member in module._members():
                if id(member) in seen:
                    continue
                seen.add(id(member))
                if isinstance(member, Module):
                    yield from walk(f"{prefix}{path}.", member)
                else:
                    yield prefix + path, member

        yield from walk("", self)

    def parameters(self) -> list:
        """Every parameter, as a list (an optimizer can take it as params=...)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the gradients (leaves accumulate them across backward passes)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> "Module":
        """Set `.training` on this module and every submodule (layers like Dropout read it)."""
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> "Module":
        """train(False)."""
        return self.train(False)

    # ---- saving and loading ------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """name -> a copy of the parameter's array (a Value gives a 0-d array)."""
        return OrderedDict((name, np.array(p.data, copy=True))
                           for name, p in self.named_parameters())

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy arrays into the parameters in place; if anything does not match, raise a
        ValueError listing every mismatch and change nothing."""
        params = dict(self.named_parameters())
        problems = state_mismatches({k: np.asarray(p.data) for k, p in params.items()}, state)
        if problems:
            raise ValueError("load_state_dict: the state does not match the model:\n  "
                             + "\n  ".join(problems))
        for name, p in params.items():
            if isinstance(p, Value):
                p.data = float(state[name])
            else:
                p.data[...] = state[name]

    def __repr__(self) -> str:
        inner = [f"  ({name}): " + repr(m).replace("\n", "\n  ")
                 for path, name, m in self._members() if isinstance(m, Module)]
        extra = self.extra_repr()
        if not inner:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}({extra}\n" + "\n".join(inner) + "\n)"

    def extra_repr(self) -> str:
        return ""


def state_mismatches(expected: Mapping[str, np.ndarray], given: Mapping[str, Any]) -> list[str]:
    """Every way `given` differs from `expected`: missing or unexpected names, shapes, dtypes."""
    problems = [f"missing: {k} (the model's is {v.dtype} {v.shape})"
                for k, v in expected.items() if k not in given]
    problems += [f"unexpected: {k} (not in the model)" for k in given if k not in expected]
    for k, v in expected.items():
        if k in given:
            g = np.asarray(given[k])
            if g.shape != v.shape:
                problems.append(f"shape of {k}: {g.shape} given, {v.shape} in the model")
            elif g.dtype != v.dtype:
                problems.append(f"dtype of {k}: {g.dtype} given, {v.dtype} in the model")
    return problems


class Sequential(Module):
    """Modules run one after another, named like the lecture's layers: Affine1, ReLU1, Affine2."""

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            named = list(modules[0].items())
        else:
            counts: dict[str, int] = {}
            named = []
            for m in modules:
                cls = type(m).__name__
                counts[cls] = counts.get(cls, 0) + 1
                named.append((f"{cls}{counts[cls]}", m))
        for name, m in named:
            if not isinstance(name, str) or not name or "/" in name:
                raise ValueError(f"Sequential: a layer's name must be a non-empty str without '/' "
                                 f"('/' joins nested module names in drawings), got {name!r}")
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, got {type(m).__name__} for {name!r}")
        self.layers: OrderedDict[str, Module] = OrderedDict(named)

    def _members(self) -> Iterator[tuple[str, str, Any]]:
        for name, m in self.layers.items():
            yield name, name, m

    def forward(self, x: Any) -> Any:
        for layer in self.layers.values():
            x = layer(x)
        return x

    def __getitem__(self, key: int | str) -> Module:
        return list(self.layers.values())[key] if isinstance(key, int) else self.layers[key]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers.values())
