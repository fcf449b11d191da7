"""Small 2-D data sets for scalar nets, drawn exactly as scikit-learn draws them (without
depending on it): micrograd's demo trains on `make_moons(n_samples=100, noise=0.1)`."""
from __future__ import annotations

import numpy as np

__all__ = ["make_moons"]


def make_moons(n_samples: int = 100, *, shuffle: bool = True, noise: float | None = None,
               random_state: np.random.RandomState | int | None = None,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X (n_samples, 2) float64, y (n_samples,) labels 0 / 1.

    The same algorithm and the same random calls as sklearn.datasets.make_moons (the outer
    half circle, then the inner one shifted by (1, -0.5); a shuffle of the indices; Gaussian noise
    of std `noise` on every coordinate), so with the same seed it gives the same numbers:
    random_state None draws from NumPy's global RandomState (seeded by np.random.seed, as
    micrograd's demo does), an int seeds a RandomState of its own.
    """
    if isinstance(n_samples, bool) or int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"make_moons: n_samples must be a positive int, got {n_samples!r}")
    if noise is not None and not noise >= 0:
        raise ValueError(f"make_moons: noise must be None or >= 0, got {noise!r}")
    n_out = int(n_samples) // 2
    n_in = int(n_samples) - n_out
    rng = _random_state(random_state)
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    X = np.vstack([np.append(np.cos(outer), 1 - np.cos(inner)),
                   np.append(np.sin(outer), 1 - np.sin(inner) - 0.5)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    if shuffle:  # sklearn.utils.shuffle: a permutation of the indices, by RandomState.shuffle
        order = np.arange(len(X))
        rng.shuffle(order)
        X, y = X[order], y[order]
    if noise is not None:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


def _random_state(seed: np.random.RandomState | int | None) -> np.random.RandomState:
    """sklearn's check_random_state: the global RandomState, a new seeded one, or the one given."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, np.random.RandomState):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.RandomState(seed)
    raise TypeError(f"make_moons: random_state must be None, an int or a RandomState, got "
                    f"{type(seed).__name__}")
