"""Finding MNIST and Fashion-MNIST (a named directory, the cache, a verified download, Debian's
package), loading them as the lecture does, and the mini-batch helpers of the training loop.
Reading the IDX files themselves is nn/idx.py.

`load_mnist()` keeps the lecture's signature and return value. A directory you name (`data_dir=`,
else $TRACEGRAD_DATA_DIR) is the only place looked in: <dir>/mnist, <dir>/fashion-mnist or <dir>
itself must hold the four IDX files, or a DatasetError says so. Without one, MNIST comes from a
cache directory, or is downloaded from `MNIST_MIRRORS` with each file's MD5 checked; Fashion-MNIST
(same format, same file names) from Debian's `dataset-fashion-mnist` package.

Files from a directory you name are called by what they hold (`identify`): their label counts per
class are compared with the official sets' (`OFFICIAL_LABEL_COUNTS`), so Fashion-MNIST files are
never reported as MNIST; files matching neither are called "mnist-format".
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import numpy as np

from .idx import (IDX_PARTS, IMAGE_MAGIC, LABEL_MAGIC, NUM_CLASSES,  # noqa: F401 (re-exported)
                  OFFICIAL_LABEL_COUNTS, OTHER_IDX, DatasetError, IDXFormatError, PathLike, Split,
                  _find_file, _idx_problem, identify, load_idx_dir, read_idx)

MNIST_FILES = tuple(stem + ".gz" for stem, _ in IDX_PARTS)

# Tried in order; when MNIST is asked for by name, a mirror that fails is reported on stderr and
# the next one is tried (in auto mode the one "dataset:" line sums the failures up).
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
# MD5 of the original gzipped files; checked on download only (local copies may be recompressed).
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
DOWNLOAD_TIMEOUT = 30.0  # seconds per connection attempt / read

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian: dataset-fashion-mnist

_DATASETS = {"mnist": "mnist", "fashion-mnist": "fashion-mnist", "fashion_mnist": "fashion-mnist"}


# ---------------------------------------------------------------- finding and downloading


def _cache_dir() -> Path:
    """Where downloaded MNIST files live: $TRACEGRAD_CACHE_DIR, else <XDG cache>/tracegrad/mnist."""
    if os.environ.get("TRACEGRAD_CACHE_DIR"):
        return Path(os.environ["TRACEGRAD_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "tracegrad" / "mnist"


def _named_dir(data_dir: PathLike | None) -> Path | None:
    """The directory the user named: `data_dir`, else $TRACEGRAD_DATA_DIR, else None."""
    base = data_dir if data_dir is not None else os.environ.get("TRACEGRAD_DATA_DIR")
    return Path(base).expanduser() if base else None


def _resolve_named(wanted: str, base: Path) -> tuple[str, Path, str]:
    """(name, directory, reason) from the directory the user named, which must hold the files:
    <base>/<data set> first, then <base>; the name comes from the files' content."""
    subdirs = ["mnist", "fashion-mnist"] if wanted == "auto" else [wanted]
    notes: list[str] = []
    for directory in [base / sub for sub in subdirs] + [base]:
        if _usable_dir(directory, notes):
            found = identify(directory)
            other = next((n for n in OFFICIAL_LABEL_COUNTS if n != wanted), None)
            if wanted != "auto" and found == other:
                raise DatasetError(f"{wanted} was asked for, but the files in {directory} are "
                                   f"{found} (by their label counts): pass --dataset {found} or "
                                   "point at the other directory")
            why = f"found in {directory}"
            if found == OTHER_IDX:
                why += ": neither MNIST nor Fashion-MNIST by their label counts"
            return found, directory, why
    state = "does not exist" if not base.exists() else (
        "is not a directory" if not base.is_dir() else "holds no usable IDX files")
    looked = ", ".join(str(d) for d in [base / sub for sub in subdirs] + [base])
    raise DatasetError(
        f"data directory {base} {state}. Expected the four IDX files "
        f"{', '.join(stem + '[.gz]' for stem, _ in IDX_PARTS)} in one of: {looked}."
        + "".join(f"\n  {n}" for n in notes))


def _usable_dir(directory: Path, notes: list[str]) -> bool:
    """True if all four files are in `directory` and pass the structural check; else add a note."""
    paths = [_find_file(directory, stem) for stem, _ in IDX_PARTS]
    if not any(paths):
        return False
    for (stem, magic), path in zip(IDX_PARTS, paths):
        problem = f"{directory}: missing {stem}[.gz]" if path is None else _idx_problem(path, magic)
        if problem:
            notes.append(problem)
            return False
    return True


def _describe(error: BaseException) -> str:
    """A short reason for a failed download."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot connect ({error.reason})"
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__


def _fetch(url: str, dest: Path, md5: str, magic: int) -> None:
    """Download url to dest through a temporary file in the same directory.

    dest appears (os.replace) only once the MD5 and the IDX structure check out; otherwise this
    raises and leaves nothing behind.
    """
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest, size = hashlib.md5(usedforsecurity=False), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as resp:
            announced = resp.headers.get("Content-Length")
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if announced is not None and size != int(announced):
            raise IDXFormatError(f"truncated download: {size} of {announced} bytes")
        if digest.hexdigest() != md5:
            raise IDXFormatError(f"bad checksum: MD5 {digest.hexdigest()}, expected {md5}")
        read_idx(tmp, magic=magic)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _download(name: str, magic: int, cache: Path, failures: list[str], report: bool) -> bool:
    """Try each mirror in turn for one file; each failure goes into `failures`, and on stderr
    when `report`."""
    for mirror in MNIST_MIRRORS:
        url = mirror.rstrip("/") + "/" + name
        try:
            _fetch(url, cache / name, MNIST_MD5[name], magic)
            return True
        except (OSError, http.client.HTTPException, ValueError) as e:
            why = _describe(e)
            failures.append(f"{url}: {why}")
            if report:
                print(f"tracegrad: skipping mirror {mirror}: {name}: {why}", file=sys.stderr)
    return False


def _fill_cache(cache: Path, failures: list[str], report: bool) -> int | None:
    """Make the cache hold the four MNIST files, downloading missing or corrupted ones.

    Returns how many files were downloaded, or None if one could not be had.
    """
    downloaded = 0
    for stem, magic in IDX_PARTS:
        path = _find_file(cache, stem)
        problem = _idx_problem(path, magic) if path else None
        if path and not problem:
            continue
        if path:
            print(f"tracegrad: removing corrupted cache file: {problem}", file=sys.stderr)
            path.unlink()
        if not MNIST_MIRRORS:
            failures.append("no mirrors configured (MNIST_MIRRORS is empty)")
            return None
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            failures.append(f"cannot create cache directory {cache}: {e}")
            return None
        if not _download(stem + ".gz", magic, cache, failures, report):
            return None
        downloaded += 1
    return downloaded


def _resolve_mnist(report: bool) -> tuple[Path | None, str, list[str]]:
    """(directory or None, reason, problems): the cache, else a download (failures on stderr
    when `report`)."""
    notes: list[str] = []
    cache = _cache_dir()
    downloaded = _fill_cache(cache, notes, report)
    if downloaded is not None:
        how = f"downloaded {downloaded} file(s) to" if downloaded else "found in cache"
        return cache, f"{how} {cache}", notes
    return None, "", notes


def _resolve_fashion() -> tuple[Path | None, list[Path], list[str]]:
    """(directory or None, places looked in, problems) for Fashion-MNIST: Debian's directory."""
    notes: list[str] = []
    places = [Path(FASHION_MNIST_DIR)]
    for directory in places:
        if _usable_dir(directory, notes):
            return directory, places, notes
    return None, places, notes


def _mnist_error(notes: list[str]) -> DatasetError:
    """The error for 'MNIST asked for but not available': where to put which files, what failed."""
    target = _cache_dir()
    lines = [f"MNIST is not available. Put {', '.join(MNIST_FILES)} (gzipped or not) in {target}",
             "or pass data_dir= / set TRACEGRAD_DATA_DIR to a directory holding them."]
    lines += [f"  {note}" for note in notes]
    return DatasetError("\n".join(lines))


def resolve_dataset(name: str = "auto", data_dir: PathLike | None = None) -> tuple[str, Path, str]:
    """Pick the data set: (name, directory holding its IDX files, one-line reason).

    name: "mnist", "fashion-mnist" or "auto" (MNIST if found or downloadable, else Fashion-MNIST).
    data_dir (else $TRACEGRAD_DATA_DIR): the only place looked in when given; the name returned
    is then what the files are (`identify`), and asking for one set while the files are the other
    is an error. May download MNIST into the cache, reporting failed mirrors on stderr only when
    MNIST is asked for by name. Raises DatasetError (a FileNotFoundError) when unavailable.
    """
    wanted = _DATASETS.get(name) if name != "auto" else "auto"
    if wanted is None:
        raise ValueError(f"unknown dataset {name!r}: expected 'auto', 'mnist' or 'fashion-mnist'")
    base = _named_dir(data_dir)
    if base is not None:
        return _resolve_named(wanted, base)
    notes: list[str] = []
    if wanted in ("auto", "mnist"):
        directory, reason, notes = _resolve_mnist(report=wanted == "mnist")
        if directory is not None:
            return "mnist", directory, reason
        if wanted == "mnist":
            raise _mnist_error(notes)
    directory, places, fashion_notes = _resolve_fashion()
    if directory is not None:
        why = f"found in {directory}"
        if wanted == "auto":
            why = f"MNIST not found in {_cache_dir()} and {_download_summary()}; using {directory}"
        return "fashion-mnist", directory, why
    if wanted == "auto":
        raise _mnist_error(notes + fashion_notes + [
            f"Fashion-MNIST not found either (looked in {', '.join(map(str, places))})"])
    raise DatasetError(
        f"Fashion-MNIST is not available: looked in {', '.join(map(str, places))}. Install the Debian "
        f"package dataset-fashion-mnist, or put {', '.join(MNIST_FILES)} in a directory passed as "
        "data_dir= or set in TRACEGRAD_DATA_DIR." + "".join(f"\n  {n}" for n in fashion_notes))


def _download_summary() -> str:
    """Why downloading MNIST did not help, for the auto-selection line."""
    return f"no mirror reachable ({len(MNIST_MIRRORS)} tried)" if MNIST_MIRRORS else "no mirrors configured"


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    dataset: str = "auto",
    data_dir: PathLike | None = None,
    dtype: type | np.dtype = np.float64,
) -> tuple[Split, Split]:
    """The lecture's loader: ((x_train, t_train), (x_test, t_test)) of MNIST or Fashion-MNIST.

    With dataset="auto" one line on stderr says which data set is used and why.
    """
    name, directory, reason = resolve_dataset(dataset, data_dir)
    if dataset == "auto":
        print(f"dataset: {name} ({reason})", file=sys.stderr)
    return load_idx_dir(directory, normalize, flatten, one_hot_label, dtype=dtype)


# ---------------------------------------------------------------- mini-batches


def iterate_minibatches(
    x: np.ndarray,
    t: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[Split]:
    """One epoch of (xb, tb) batches: every sample once, in a seeded random order if shuffle.

    The last, smaller batch is kept unless drop_last. Pass a Generator as `seed` to get a new
    order each epoch from one reproducible stream.
    """
    if len(x) != len(t):
        raise ValueError(f"x has {len(x)} samples but t has {len(t)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    stop = len(x) - len(x) % batch_size if drop_last else len(x)
    return ((x[order[i:i + batch_size]], t[order[i:i + batch_size]]) for i in range(0, stop, batch_size))


def random_batch(
    x: np.ndarray, t: np.ndarray, batch_size: int, rng: np.random.Generator | int | None = None
) -> Split:
    """A batch drawn like the lecture's np.random.choice(train_size, batch_size): with replacement."""
    if len(x) != len(t):
        raise ValueError(f"x has {len(x)} samples but t has {len(t)}")
    mask = np.random.default_rng(rng).choice(len(x), batch_size)
    return x[mask], t[mask]
