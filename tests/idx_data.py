"""A tiny learnable data set in IDX files, for the training demos' tests.

    from idx_data import write_tiny_idx_set
    write_tiny_idx_set(directory, train=200, test=50)
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    """An IDX file: big-endian magic, then each dimension, then the unsigned bytes."""
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_tiny_idx_set(directory: Path, train: int, test: int) -> Path:
    """`train` training and `test` test 28x28 images into `directory` (the four files MNIST
    has): a bright 4x4 square whose place gives the label, on faint noise."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", train), ("t10k", test)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 60, (n, 28, 28))
        for image, label in zip(images, labels):
            row, col = divmod(int(label), 5)
            image[4 + 12 * row: 8 + 12 * row, 2 + 5 * col: 6 + 5 * col] = 255
        write_idx(directory / f"{prefix}-images-idx3-ubyte", images, 2051)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", labels, 2049)
    return directory
