"""Weight initialisation: the book's fixed scale (0.01), He and Xavier, drawn from a seeded rng.

The scale decides whether activations keep their spread through many layers (chapter 6):
He, std = sqrt(2 / fan_in), suits ReLU; Xavier, std = sqrt(1 / fan_in) (the book's definition,
not Glorot's 2 / (fan_in + fan_out)), suits sigmoid and tanh.
"""
from __future__ import annotations

from typing import Any, Union

import numpy as np

__all__ = ["as_rng", "init_std", "normal", "std_normal", "he_normal", "xavier_normal", "weight"]

RngLike = Union[np.random.Generator, int, None]
_ALIASES = {"std": "std", "normal": "std", "he": "he", "relu": "he",
            "xavier": "xavier", "sigmoid": "xavier", "tanh": "xavier"}


def as_rng(rng: RngLike = None) -> np.random.Generator:
    """A Generator: `rng` itself, or a new one seeded with an int (None: fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def init_std(init: str | float, fan_in: int, weight_init_std: float = 0.01) -> float:
    """The standard deviation for `init`: "std" (weight_init_std), "he"/"relu", "xavier"/"sigmoid",
    or a number used directly (the book's multi_layer_net accepts both)."""
    if isinstance(init, (int, float, np.floating)) and not isinstance(init, bool):
        return float(init)
    kind = _ALIASES.get(str(init).lower())
    if kind is None:
        raise ValueError(f"unknown init {init!r}: use 'std', 'he' or 'xavier' (or a number)")
    if kind == "std":
        return float(weight_init_std)
    if fan_in <= 0:
        raise ValueError(f"{kind} initialisation needs fan_in > 0, got {fan_in}")
    return float(np.sqrt((2.0 if kind == "he" else 1.0) / fan_in))


def normal(shape: tuple[int, ...], std: float, rng: RngLike = None,
           dtype: Any = np.float64) -> np.ndarray:
    """std * N(0, 1) samples of `shape` (the book's weight_init_std * np.random.randn(...))."""
    return (std * as_rng(rng).standard_normal(shape)).astype(dtype, copy=False)


def std_normal(fan_in: int, fan_out: int, std: float = 0.01, rng: RngLike = None,
               dtype: Any = np.float64) -> np.ndarray:
    """The book's default: a (fan_in, fan_out) matrix with a fixed std (0.01)."""
    return normal((fan_in, fan_out), std, rng, dtype)


def he_normal(fan_in: int, fan_out: int, rng: RngLike = None,
              dtype: Any = np.float64) -> np.ndarray:
    """He: std sqrt(2 / fan_in), for layers followed by ReLU."""
    return normal((fan_in, fan_out), init_std("he", fan_in), rng, dtype)


def xavier_normal(fan_in: int, fan_out: int, rng: RngLike = None,
                  dtype: Any = np.float64) -> np.ndarray:
    """Xavier as the book defines it: std sqrt(1 / fan_in), for sigmoid or tanh."""
    return normal((fan_in, fan_out), init_std("xavier", fan_in), rng, dtype)


def weight(fan_in: int, fan_out: int, init: str | float = "std", weight_init_std: float = 0.01,
           rng: RngLike = None, dtype: Any = np.float64) -> np.ndarray:
    """A (fan_in, fan_out) weight matrix initialised by `init` (see init_std)."""
    return normal((fan_in, fan_out), init_std(init, fan_in, weight_init_std), rng, dtype)
