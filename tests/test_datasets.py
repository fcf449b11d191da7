"""nn.datasets: IDX parsing, the lecture's load_mnist options, downloads from a local HTTP server,
auto selection of MNIST / Fashion-MNIST, and the mini-batch helpers.

Every IDX file here is written by the test itself; the only mirrors are 127.0.0.1 addresses.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import datasets as ds

REAL_FASHION_DIR = ds.FASHION_MNIST_DIR  # captured before the autouse fixture hides it
STEMS = [stem for stem, _ in ds.IDX_PARTS]


# ---------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file holding `array`."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_arrays(seed: int = 0, n_train: int = 20, n_test: int = 10) -> dict[str, np.ndarray]:
    """Random images (with a 0 and a 255 pixel) and labels 0..9, keyed by file stem."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255
        arrays[f"{prefix}-images-idx3-ubyte"] = images
        arrays[f"{prefix}-labels-idx1-ubyte"] = rng.integers(0, 10, size=n, dtype=np.uint8)
    return arrays


# Images per class 0..9 in the official label files, as published: MNIST's training and test sets
# (LeCun's files), and Fashion-MNIST's, balanced by construction.
PUBLISHED_COUNTS = {
    "mnist": ([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
              [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]),
    "fashion-mnist": ([6000] * 10, [1000] * 10),
}


def arrays_with_counts(train_counts, test_counts, seed: int = 0) -> dict[str, np.ndarray]:
    """Shuffled labels with these counts per class, and one black 1x1 image per label (the
    content check reads the labels only; 1x1 images keep the files small)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, counts in (("train", train_counts), ("t10k", test_counts)):
        labels = rng.permutation(np.repeat(np.arange(10), counts)).astype(np.uint8)
        arrays[f"{prefix}-images-idx3-ubyte"] = np.zeros((len(labels), 1, 1), np.uint8)
        arrays[f"{prefix}-labels-idx1-ubyte"] = labels
    return arrays


def file_bytes(arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    """The gzipped IDX files for `arrays`, keyed by file name (as on the mirrors)."""
    return {stem + ".gz": gzip.compress(idx_bytes(a), mtime=0) for stem, a in arrays.items()}


def write_set(directory: Path, arrays: dict[str, np.ndarray], gz: bool = True) -> Path:
    """Write the four files into directory (created), gzipped or not."""
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        raw = idx_bytes(array)
        if gz:
            (directory / (stem + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (directory / stem).write_bytes(raw)
    return directory


def md5_table(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def dead_mirror() -> str:
    """A URL on a 127.0.0.1 port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def assert_loads_as(directory: Path, arrays: dict[str, np.ndarray]) -> None:
    (x_train, t_train), (x_test, t_test) = ds.load_idx_dir(directory, normalize=False)
    np.testing.assert_array_equal(x_train, arrays[STEMS[0]].reshape(-1, 784))
    np.testing.assert_array_equal(t_train, arrays[STEMS[1]])
    np.testing.assert_array_equal(x_test, arrays[STEMS[2]].reshape(-1, 784))
    np.testing.assert_array_equal(t_test, arrays[STEMS[3]])


def assert_only_final_files(cache: Path, names: set[str]) -> None:
    """Nothing half-written in the cache: no temporary files, only the expected final files."""
    present = {p.name for p in cache.iterdir()} if cache.exists() else set()
    assert present == names, f"cache holds {sorted(present)}"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real mirrors, a private cache, no user data dir, no Debian data: each test opts in."""
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [])
    monkeypatch.setattr(ds, "DOWNLOAD_TIMEOUT", 2.0)
    monkeypatch.setattr(ds, "FASHION_MNIST_DIR", tmp_path / "no-fashion")
    monkeypatch.setenv("TRACEGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TRACEGRAD_DATA_DIR", raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


class Mirror:
    """A local HTTP server: routes map a path to (body, announced Content-Length or None)."""

    def __init__(self):
        self.routes: dict[str, tuple[bytes, int | None]] = {}
        self.requests: list[str] = []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                mirror.requests.append(self.path)
                if self.path not in mirror.routes:
                    self.send_error(404)
                    return
                body, announced = mirror.routes[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(announced if announced is not None else len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def serve(self, prefix: str, files: dict[str, bytes], announce_more: bool = False) -> str:
        """Serve files under /prefix/ and return that mirror's URL."""
        for name, data in files.items():
            self.routes[f"/{prefix}/{name}"] = (data, len(data) * 2 if announce_more else None)
        return f"http://127.0.0.1:{self.server.server_address[1]}/{prefix}/"


@pytest.fixture
def mirror():
    m = Mirror()
    yield m
    m.server.shutdown()
    m.server.server_close()


@pytest.fixture
def good(mirror, monkeypatch):
    """(arrays, files, URL) of a correct mirror, with MNIST_MD5 set to its files' checksums."""
    arrays = make_arrays(1)
    files = file_bytes(arrays)
    monkeypatch.setattr(ds, "MNIST_MD5", md5_table(files))
    return arrays, files, mirror.serve("good", files)


# ---------------------------------------------------------------- read_idx


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trips_gzipped_and_plain(tmp_path, gz):
    arrays = make_arrays()
    write_set(tmp_path, arrays, gz=gz)
    name = STEMS[0] + (".gz" if gz else "")
    images = ds.read_idx(tmp_path / name, magic=ds.IMAGE_MAGIC)
    assert images.dtype == np.uint8 and images.shape == (20, 28, 28)
    np.testing.assert_array_equal(images, arrays[STEMS[0]])
    images[0, 0, 0] = 7  # a writable array, not a view of the file's bytes


def test_read_idx_reads_other_element_types(tmp_path):
    values = np.array([[1, -2], [300000, -4]], dtype=">i4")
    (tmp_path / "ints").write_bytes(bytes([0, 0, 0x0C, 2]) + struct.pack(">2I", 2, 2) + values.tobytes())
    out = ds.read_idx(tmp_path / "ints")
    assert out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, values)


def test_read_idx_bad_magic_names_file_and_numbers(tmp_path):
    path = tmp_path / "labels-as-images"
    path.write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(ds.IDXFormatError, match=r"labels-as-images: bad magic number 2049 \(expected 2051"):
        ds.read_idx(path, magic=ds.IMAGE_MAGIC)
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"hello, world")
    with pytest.raises(ds.IDXFormatError, match=r"junk\.txt: bad magic number .*not an IDX file"):
        ds.read_idx(junk)


@pytest.mark.parametrize("cut", [2, 10, 16 + 783])
def test_read_idx_truncated(tmp_path, cut):
    path = tmp_path / "short"
    path.write_bytes(idx_bytes(np.zeros((2, 28, 28), np.uint8))[:cut])
    with pytest.raises(ds.IDXFormatError, match=r"short: truncated"):
        ds.read_idx(path)


def test_read_idx_truncated_gzip_stream(tmp_path):
    data = gzip.compress(idx_bytes(make_arrays()[STEMS[0]]))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ds.IDXFormatError, match=r"cut\.gz: corrupt or truncated gzip"):
        ds.read_idx(path)


def test_read_idx_trailing_bytes(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros(3, np.uint8)) + b"\0\0")
    with pytest.raises(ds.IDXFormatError, match=r"long: 2 unexpected bytes after the 3 data"):
        ds.read_idx(path)


# ---------------------------------------------------------------- load_idx_dir / load_mnist options


def test_count_mismatch_names_both_files(tmp_path):
    arrays = make_arrays()
    arrays["train-labels-idx1-ubyte"] = arrays["train-labels-idx1-ubyte"][:19]
    write_set(tmp_path, arrays)
    with pytest.raises(ds.IDXFormatError, match=r"train-images.*20 images.*train-labels.*19 labels"):
        ds.load_idx_dir(tmp_path)


def test_label_out_of_range_is_rejected(tmp_path):
    arrays = make_arrays()
    arrays["t10k-labels-idx1-ubyte"][3] = 10
    write_set(tmp_path, arrays)
    with pytest.raises(ds.IDXFormatError, match=r"t10k-labels.*label 10 is not a class"):
        ds.load_idx_dir(tmp_path)


def test_missing_file_is_named(tmp_path):
    write_set(tmp_path, make_arrays())
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing t10k-images-idx3-ubyte"):
        ds.load_idx_dir(tmp_path)


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_default_options(tmp_path, gz):
    arrays = make_arrays()
    write_set(tmp_path, arrays, gz=gz)
    (x_train, t_train), (x_test, t_test) = ds.load_mnist(dataset="mnist", data_dir=tmp_path)
    assert x_train.shape == (20, 784) and x_test.shape == (10, 784)
    assert x_train.dtype == np.float64 and x_train.min() == 0.0 and x_train.max() == 1.0
    np.testing.assert_allclose(x_train * 255, arrays[STEMS[0]].reshape(20, 784))
    assert t_train.shape == (20,) and t_train.dtype == np.int64
    np.testing.assert_array_equal(t_test, arrays[STEMS[3]])


def test_load_mnist_unnormalized_unflattened_one_hot_float32(tmp_path):
    arrays = make_arrays()
    write_set(tmp_path, arrays)
    (x_train, t_train), (x_test, t_test) = ds.load_mnist(
        normalize=False, flatten=False, one_hot_label=True, dataset="mnist", data_dir=tmp_path,
        dtype=np.float32)
    assert x_train.shape == (20, 1, 28, 28) and x_test.shape == (10, 1, 28, 28)
    assert x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train[:, 0], arrays[STEMS[0]])
    assert t_train.shape == (20, 10) and t_train.dtype == np.float32
    np.testing.assert_array_equal(t_train.sum(axis=1), 1)
    np.testing.assert_array_equal(t_train.argmax(axis=1), arrays[STEMS[1]])
    np.testing.assert_array_equal(t_test.argmax(axis=1), arrays[STEMS[3]])


def test_normalized_float32(tmp_path):
    write_set(tmp_path, make_arrays())
    (x_train, _), _ = ds.load_mnist(dataset="mnist", data_dir=tmp_path, dtype=np.float32)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() == 1.0


def test_data_dir_from_environment_and_subdirectory(tmp_path, monkeypatch, cache):
    arrays = arrays_with_counts(*PUBLISHED_COUNTS["mnist"])
    write_set(tmp_path / "data" / "mnist", arrays)
    monkeypatch.setenv("TRACEGRAD_DATA_DIR", str(tmp_path / "data"))
    name, directory, reason = ds.resolve_dataset("mnist")
    assert (name, directory) == ("mnist", tmp_path / "data" / "mnist") and "found in" in reason
    assert not cache.exists()
    (_, t_train), _ = ds.load_idx_dir(directory)
    np.testing.assert_array_equal(t_train, arrays[STEMS[1]])


# ---------------------------------------------------------------- downloads from a local server


def test_download_success_then_cached(good, mirror, monkeypatch, cache):
    arrays, files, url = good
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [url])
    name, directory, reason = ds.resolve_dataset("mnist")
    assert (name, directory) == ("mnist", cache) and reason.startswith("downloaded 4 file(s) to")
    assert_only_final_files(cache, set(files))
    assert_loads_as(cache, arrays)
    served = len(mirror.requests)
    assert served == 4
    assert ds.resolve_dataset("mnist")[2] == f"found in cache {cache}"
    assert len(mirror.requests) == served  # the second call downloaded nothing


def test_bad_checksum_mirror_skipped(good, mirror, monkeypatch, cache, capsys):
    arrays, files, url = good
    impostor = mirror.serve("impostor", file_bytes(make_arrays(2)))  # valid IDX, wrong MD5
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [impostor, url])
    assert ds.resolve_dataset("mnist")[1] == cache
    assert "bad checksum" in capsys.readouterr().err
    assert_only_final_files(cache, set(files))
    assert_loads_as(cache, arrays)


def test_only_bad_checksums_leave_nothing(mirror, monkeypatch, cache, capsys):
    impostor = mirror.serve("impostor", file_bytes(make_arrays(2)))
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [impostor])
    with pytest.raises(ds.DatasetError, match="bad checksum"):
        ds.resolve_dataset("mnist")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tracegrad: skipping mirror {impostor}")
    assert_only_final_files(cache, set())


def test_truncated_transfer_skipped(good, mirror, monkeypatch, cache, capsys):
    _, files, url = good
    cut = {name: data[: len(data) // 2] for name, data in files.items()}
    short = mirror.serve("short", cut, announce_more=True)  # promises more bytes than it sends
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [short])
    with pytest.raises(ds.DatasetError, match="truncated"):
        ds.resolve_dataset("mnist")
    assert_only_final_files(cache, set())
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [short, url])
    assert ds.resolve_dataset("mnist")[1] == cache
    assert_only_final_files(cache, set(files))


def test_truncated_file_with_matching_md5_fails_structure_check(mirror, monkeypatch, cache):
    files = file_bytes(make_arrays(3))
    name = "train-images-idx3-ubyte.gz"
    files[name] = gzip.compress(gzip.decompress(files[name])[:-100])  # a complete gzip of a short IDX
    monkeypatch.setattr(ds, "MNIST_MD5", md5_table(files))
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [mirror.serve("m", files)])
    with pytest.raises(ds.DatasetError, match=r"truncated: header says 20x28x28"):
        ds.resolve_dataset("mnist")
    assert_only_final_files(cache, set())


def test_dead_mirror_then_good_one(good, monkeypatch, cache, capsys):
    arrays, files, url = good
    dead = dead_mirror()
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [dead, url])
    assert ds.resolve_dataset("mnist")[1] == cache
    err = capsys.readouterr().err
    assert f"skipping mirror {dead}" in err and "cannot connect" in err
    assert_only_final_files(cache, set(files))
    assert_loads_as(cache, arrays)


def test_http_error_mirror_skipped(good, monkeypatch, cache, capsys):
    arrays, files, url = good
    missing = url.replace("/good/", "/nothing-here/")
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [missing, url])
    assert ds.resolve_dataset("mnist")[1] == cache
    assert "HTTP 404" in capsys.readouterr().err
    assert_only_final_files(cache, set(files))


def test_corrupted_cache_file_is_redownloaded(good, mirror, monkeypatch, cache, capsys):
    arrays, files, url = good
    write_set(cache, arrays)
    corrupt = cache / "train-labels-idx1-ubyte.gz"
    corrupt.write_bytes(corrupt.read_bytes()[:-8])
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [url])
    name, directory, reason = ds.resolve_dataset("mnist")
    assert directory == cache and reason.startswith("downloaded 1 file(s)")
    assert mirror.requests == ["/good/train-labels-idx1-ubyte.gz"]
    assert "removing corrupted cache file" in capsys.readouterr().err
    assert_only_final_files(cache, set(files))
    assert_loads_as(cache, arrays)


def test_corrupted_cache_file_removed_even_when_download_fails(monkeypatch, cache):
    write_set(cache, make_arrays())
    (cache / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8bgarbage")
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [dead_mirror()])
    with pytest.raises(ds.DatasetError):
        ds.resolve_dataset("mnist")
    assert_only_final_files(cache, {n for n in ds.MNIST_FILES if not n.startswith("t10k-images")})


# ---------------------------------------------------------------- choosing the data set


def test_auto_falls_back_to_fashion_with_one_line(tmp_path, monkeypatch, capsys, cache):
    arrays = make_arrays(7)
    fashion = write_set(tmp_path / "fashion", arrays)
    monkeypatch.setattr(ds, "FASHION_MNIST_DIR", fashion)
    dead = dead_mirror()
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [dead])
    (x_train, t_train), _ = ds.load_mnist(normalize=False)
    np.testing.assert_array_equal(t_train, arrays[STEMS[1]])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dataset:")]
    assert len(lines) == 1
    assert lines[0].startswith("dataset: fashion-mnist (MNIST not found in ")
    assert str(cache) in lines[0] and "no mirror reachable" in lines[0] and str(fashion) in lines[0]
    assert_only_final_files(cache, set())


def test_auto_with_a_data_dir_uses_it_and_names_it_by_content(tmp_path, monkeypatch, capsys):
    write_set(tmp_path / "fashion", make_arrays(7))
    monkeypatch.setattr(ds, "FASHION_MNIST_DIR", tmp_path / "fashion")
    mine = make_arrays(8)  # random labels: neither official set
    write_set(tmp_path / "mine", mine)
    (_, t_train), _ = ds.load_mnist(data_dir=tmp_path / "mine")
    np.testing.assert_array_equal(t_train, mine[STEMS[1]])
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dataset: mnist-format (found in {tmp_path / 'mine'}")
    assert len(err.splitlines()) == 1


def test_explicit_mnist_unavailable_says_where_to_put_files(tmp_path, monkeypatch, cache):
    write_set(tmp_path / "fashion", make_arrays(7))
    monkeypatch.setattr(ds, "FASHION_MNIST_DIR", tmp_path / "fashion")  # must not be used
    dead = dead_mirror()
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [dead])
    with pytest.raises(FileNotFoundError) as info:
        ds.load_mnist(dataset="mnist")
    message = str(info.value)
    assert isinstance(info.value, ds.DatasetError)
    assert f"in {cache}" in message and "train-images-idx3-ubyte.gz" in message
    assert "t10k-labels-idx1-ubyte.gz" in message and dead in message


def test_explicit_fashion_unavailable(tmp_path):
    with pytest.raises(ds.DatasetError, match=r"dataset-fashion-mnist") as info:
        ds.resolve_dataset("fashion-mnist")
    assert str(tmp_path / "no-fashion") in str(info.value)


def test_auto_with_nothing_anywhere_raises(cache):
    with pytest.raises(ds.DatasetError, match=r"Fashion-MNIST not found either") as info:
        ds.resolve_dataset()
    assert str(cache) in str(info.value) and "no mirrors configured" in str(info.value)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        ds.resolve_dataset("cifar")


@pytest.mark.skipif(not (REAL_FASHION_DIR / "train-images-idx3-ubyte.gz").exists(),
                    reason=f"Debian's dataset-fashion-mnist is not installed ({REAL_FASHION_DIR} absent)")
def test_real_debian_fashion_mnist(monkeypatch):
    monkeypatch.setattr(ds, "FASHION_MNIST_DIR", REAL_FASHION_DIR)
    (x_train, t_train), (x_test, t_test) = ds.load_mnist(normalize=False, dataset="fashion-mnist")
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.uint8
    assert t_train.shape == (60000,) and t_test.shape == (10000,)
    assert set(np.unique(t_train)) == set(range(10)) == set(np.unique(t_test))


# ---------------------------------------------------------------- mini-batches


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_minibatches_cover_every_index_once(n, batch_size, seed):
    x = np.arange(n * 2).reshape(n, 2)
    t = np.arange(n)
    batches = list(ds.iterate_minibatches(x, t, batch_size, seed=seed))
    seen = np.concatenate([tb for _, tb in batches]) if batches else np.array([], int)
    assert sorted(seen) == list(range(n))
    assert all(len(tb) == batch_size for _, tb in batches[:-1])
    for xb, tb in batches:
        np.testing.assert_array_equal(xb[:, 0], 2 * tb)  # rows stay paired with their labels


def test_minibatches_seeded_and_shuffled():
    x, t = np.arange(100), np.arange(100)
    order = lambda seed: np.concatenate([tb for _, tb in ds.iterate_minibatches(x, t, 7, seed=seed)])
    np.testing.assert_array_equal(order(3), order(3))
    assert not np.array_equal(order(3), order(4))
    assert not np.array_equal(order(3), t)
    plain = np.concatenate([tb for _, tb in ds.iterate_minibatches(x, t, 7, shuffle=False)])
    np.testing.assert_array_equal(plain, t)


def test_minibatches_generator_seed_gives_new_order_each_epoch():
    x = t = np.arange(50)
    rng = np.random.default_rng(0)
    first, second = ([tb for _, tb in ds.iterate_minibatches(x, t, 50, seed=rng)] for _ in range(2))
    assert not np.array_equal(first[0], second[0])


def test_minibatches_drop_last():
    x, t = np.zeros((23, 3)), np.arange(23)
    kept = list(ds.iterate_minibatches(x, t, 5, seed=0))
    assert [len(tb) for _, tb in kept] == [5, 5, 5, 5, 3]
    dropped = list(ds.iterate_minibatches(x, t, 5, seed=0, drop_last=True))
    assert [len(tb) for _, tb in dropped] == [5, 5, 5, 5]
    assert len(set(np.concatenate([tb for _, tb in dropped]))) == 20


def test_minibatches_reject_bad_input():
    with pytest.raises(ValueError, match="x has 3 samples but t has 2"):
        ds.iterate_minibatches(np.zeros(3), np.zeros(2), 1)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        ds.iterate_minibatches(np.zeros(3), np.zeros(3), 0)


def test_random_batch_like_the_lecture():
    x = np.arange(30).reshape(10, 3)
    t = np.arange(10)
    xb, tb = ds.random_batch(x, t, 6, np.random.default_rng(1))
    assert xb.shape == (6, 3) and tb.shape == (6,)
    np.testing.assert_array_equal(xb[:, 0], 3 * tb)
    again = ds.random_batch(x, t, 6, np.random.default_rng(1))[1]
    np.testing.assert_array_equal(tb, again)
    assert ds.random_batch(x, t, 25, np.random.default_rng(2))[0].shape == (25, 3)  # with replacement
