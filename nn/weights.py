"""Save and load a model's weights as .npz, safely.

Saving writes a temporary file beside the target and renames it over the target (os.replace), so
a crash never leaves a half-written file. Loading reads with allow_pickle=False (a weights file
cannot run code), checks every name, shape and dtype first, and only then copies in place: a file
that does not fit changes nothing and the ValueError lists every mismatch.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from typing import Any, Mapping

import numpy as np

from autograd import Value

from .module import Module, state_mismatches

__all__ = ["save_weights", "load_weights"]


def _arrays(model: Any) -> dict[str, np.ndarray]:
    """The model's live arrays by name: a Module's state_dict names, or a TwoLayerNet's params."""
    if isinstance(model, Module):
        return {name: (np.asarray(p.data) if isinstance(p, Value) else p.data)
                for name, p in model.named_parameters()}
    params = getattr(model, "params", None)
    if isinstance(params, Mapping) and all(isinstance(v, np.ndarray) for v in params.values()):
        return dict(params)
    raise TypeError(f"save/load_weights need a Module or an object with a params dict of arrays "
                    f"(like TwoLayerNet), got {type(model).__name__}")


def save_weights(model: Any, path: str | os.PathLike) -> None:
    """Write the model's weights to `path` (.npz, the name used as given), atomically."""
    state = {k: np.array(v, copy=True) for k, v in _arrays(model).items()}
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, allow_pickle=False, **state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _read(path: str) -> dict[str, np.ndarray]:
    """Every array in the .npz at `path`, or a ValueError naming the path (FileNotFoundError if
    there is no file)."""
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"it holds a single {type(data).__name__}, not named arrays")
        with data:
            return {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError(f"load_weights: {path} is not a readable .npz weights file "
                         f"({type(e).__name__}: {e})") from e


def load_weights(model: Any, path: str | os.PathLike) -> None:
    """Copy the weights saved in `path` into the model in place, or raise and change nothing."""
    path = os.fspath(path)
    live = _arrays(model)
    loaded = _read(path)
    problems = state_mismatches(live, loaded)
    if problems:
        raise ValueError(f"load_weights: {path} does not match the model:\n  "
                         + "\n  ".join(problems))
    if isinstance(model, Module):
        model.load_state_dict(loaded)
    else:
        for name, array in live.items():
            array[...] = loaded[name]
