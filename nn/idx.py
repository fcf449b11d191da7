"""IDX files (the format of MNIST and Fashion-MNIST): reading them, checking them, turning them
into the lecture's arrays, and telling the two sets apart by their content.

Parsed with NumPy only: no pickle, no eval. Finding and downloading the files is nn/datasets.py.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]
Split = tuple[np.ndarray, np.ndarray]

IMAGE_MAGIC = 2051  # IDX: unsigned bytes, 3 dimensions (count, rows, cols)
LABEL_MAGIC = 2049  # IDX: unsigned bytes, 1 dimension (count)
NUM_CLASSES = 10

# (file name without ".gz", expected magic), in the order load_idx_dir returns them.
IDX_PARTS = (
    ("train-images-idx3-ubyte", IMAGE_MAGIC),
    ("train-labels-idx1-ubyte", LABEL_MAGIC),
    ("t10k-images-idx3-ubyte", IMAGE_MAGIC),
    ("t10k-labels-idx1-ubyte", LABEL_MAGIC),
)
# Images per class 0..9 in the official (training, test) label files: how `identify` names a set.
# MNIST's come from LeCun's files; Fashion-MNIST's classes are balanced by construction.
OFFICIAL_LABEL_COUNTS = {
    "mnist": ((5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
              (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)),
    "fashion-mnist": ((6000,) * 10, (1000,) * 10),
}
OTHER_IDX = "mnist-format"  # the name of IDX files that are neither

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MAGIC_NAMES = {IMAGE_MAGIC: "an image file", LABEL_MAGIC: "a label file"}


class DatasetError(FileNotFoundError):
    """The requested data set cannot be found locally nor downloaded."""


class IDXFormatError(ValueError):
    """An IDX file is malformed: bad magic number, wrong size, or images and labels disagree."""



# ---------------------------------------------------------------- reading IDX files


def read_idx(path: PathLike, *, magic: int | None = None) -> np.ndarray:
    """Read one IDX file (gzipped or not) into an array in native byte order.

    Checks the header and that the data size matches it exactly; `magic` (e.g. 2051) also
    pins the file's kind. Raises IDXFormatError naming the file and the problem.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise IDXFormatError(f"{path}: truncated: {len(data)} bytes, too short for an IDX header")
    found = int.from_bytes(data[:4], "big")
    if magic is not None and found != magic:
        kind = _MAGIC_NAMES.get(magic, "an IDX file")
        raise IDXFormatError(f"{path}: bad magic number {found} (expected {magic}, {kind})")
    if data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES or data[3] == 0:
        raise IDXFormatError(f"{path}: bad magic number {found} (0x{found:08x}): not an IDX file")
    dtype, shape, offset = _parse_header(path, data)
    _check_size(path, shape, dtype, len(data) - offset)
    array = np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native order


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it starts with the gzip signature."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    if not gzipped:
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise IDXFormatError(f"{path}: corrupt or truncated gzip data ({e})") from None


def _parse_header(path: Path, data: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    """(element dtype, shape, offset of the data) from an IDX header already known to be sane."""
    ndim = data[3]
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise IDXFormatError(f"{path}: truncated: header announces {ndim} dimensions, file ends first")
    shape = struct.unpack(f">{ndim}I", data[4:offset])
    return np.dtype(_DTYPES[data[2]]), shape, offset


def _check_size(path: Path, shape: tuple[int, ...], dtype: np.dtype, actual: int) -> None:
    """Raise unless the data after the header is exactly what the dimensions call for."""
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    dims = "x".join(map(str, shape))
    if actual < expected:
        raise IDXFormatError(f"{path}: truncated: header says {dims} = {expected} bytes, found {actual}")
    if actual > expected:
        raise IDXFormatError(f"{path}: {actual - expected} unexpected bytes after the {dims} data")


def _find_file(directory: Path, stem: str) -> Path | None:
    """`stem.gz` or `stem` in directory, whichever exists (gzip preferred)."""
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def _idx_problem(path: Path, magic: int) -> str | None:
    """Why the file fails the structural check, or None when it passes."""
    try:
        read_idx(path, magic=magic)
    except (IDXFormatError, OSError) as e:
        return str(e)
    return None


# ---------------------------------------------------------------- from arrays to the lecture's format


def load_idx_dir(
    directory: PathLike,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    dtype: type | np.dtype = np.float64,
) -> tuple[Split, Split]:
    """Load the four IDX files of an MNIST-format directory: ((x_train, t_train), (x_test, t_test)).

    normalize: pixels as `dtype` in [0, 1], else the raw uint8 values (as in the book).
    flatten: images as rows of 784, else N x 1 x 28 x 28. one_hot_label: labels as one-hot rows.
    """
    directory = Path(directory)
    paths = [_find_file(directory, stem) for stem, _ in IDX_PARTS]
    missing = [stem + "[.gz]" for (stem, _), p in zip(IDX_PARTS, paths) if p is None]
    if missing:
        raise DatasetError(f"{directory}: missing {', '.join(missing)}")
    x_train, t_train, x_test, t_test = (read_idx(p, magic=m) for p, (_, m) in zip(paths, IDX_PARTS))
    _check_pair(x_train, t_train, paths[0], paths[1])
    _check_pair(x_test, t_test, paths[2], paths[3])
    train = _format_images(x_train, normalize, flatten, dtype), _format_labels(t_train, one_hot_label, dtype)
    test = _format_images(x_test, normalize, flatten, dtype), _format_labels(t_test, one_hot_label, dtype)
    return train, test


def _check_pair(images: np.ndarray, labels: np.ndarray, img_path: Path, lbl_path: Path) -> None:
    """Raise unless there is one label per image and every label is a class 0..9."""
    if len(images) != len(labels):
        raise IDXFormatError(
            f"count mismatch: {img_path} has {len(images)} images, {lbl_path} has {len(labels)} labels")
    if labels.size and labels.max() >= NUM_CLASSES:
        raise IDXFormatError(f"{lbl_path}: label {labels.max()} is not a class 0..{NUM_CLASSES - 1}")


def _format_images(images: np.ndarray, normalize: bool, flatten: bool, dtype) -> np.ndarray:
    """uint8 (N, rows, cols) -> (N, rows*cols) or (N, 1, rows, cols), scaled to [0, 1] if asked."""
    n, rows, cols = images.shape
    x = images.reshape(n, rows * cols) if flatten else images.reshape(n, 1, rows, cols)
    if not normalize:
        return x
    x = x.astype(dtype)
    x /= 255
    return x


def _format_labels(labels: np.ndarray, one_hot: bool, dtype) -> np.ndarray:
    """Class indices as int64 (safe for arithmetic, unlike uint8), or one-hot rows of `dtype`."""
    t = labels.astype(np.int64)
    return np.eye(NUM_CLASSES, dtype=dtype)[t] if one_hot else t


def identify(directory: PathLike) -> str:
    """'mnist', 'fashion-mnist' or 'mnist-format': which data set the IDX files in `directory` are,
    by the number of images of each class in the training and test label files (see
    OFFICIAL_LABEL_COUNTS; a subset or a relabelled copy of either is 'mnist-format')."""
    directory = Path(directory)
    counts = []
    for stem, magic in IDX_PARTS[1::2]:  # the two label files
        path = _find_file(directory, stem)
        if path is None:
            raise DatasetError(f"{directory}: missing {stem}[.gz]")
        labels = read_idx(path, magic=magic)
        counts.append(tuple(np.bincount(labels.ravel(), minlength=NUM_CLASSES).tolist()))
    for name, official in OFFICIAL_LABEL_COUNTS.items():
        if tuple(counts) == tuple(tuple(c) for c in official):
            return name
    return OTHER_IDX
