"""The demos, the viz CLI and the data-set loader on bad input: one clear line, never a traceback,
never a silent fallback, never a half-written file.

Every data set here is written by the test; the only mirrors are dead 127.0.0.1 ports.
"""
from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import viz
from demos import chain_rule, gradient_check, tour, train_two_layer_net
from demos.train_two_layer_net import TrainingDiverged
from nn import datasets as ds
from test_datasets import PUBLISHED_COUNTS, arrays_with_counts, dead_mirror, make_arrays, write_set
from test_demos import idx_dir  # noqa: F401  (the tiny learnable data set, a fixture)
from test_viz_graph import apple_graph, needs_dot

ROOT = Path(__file__).resolve().parents[1]
IDX_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte"]
REAL_FASHION = Path("/usr/share/datasets/fashion-mnist")
has_real_fashion = pytest.mark.skipif(not (REAL_FASHION / "train-labels-idx1-ubyte.gz").exists(),
                                      reason="Debian's dataset-fashion-mnist is not installed")


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No real mirrors, a private cache, no user data dir, no Debian data unless a test opts in."""
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [])
    monkeypatch.setattr(ds, "FASHION_MNIST_DIR", tmp_path / "no-fashion")
    monkeypatch.setenv("TRACEGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TRACEGRAD_DATA_DIR", raising=False)


def script(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """`python -m ...` from the repository root, Debian's Fashion-MNIST hidden unless asked."""
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, **kwargs)


def usage_error(capsys, main, argv) -> str:
    """Run a demo's main with argv; it must stop with argparse's status 2: its one error line."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


# ---------------------------------------------------------------- --data-dir


@pytest.mark.parametrize("kind", ["missing", "empty", "other files"])
def test_a_data_dir_without_idx_files_is_an_error_naming_it_and_the_files(tmp_path, kind):
    data = tmp_path / "my data"
    if kind != "missing":
        data.mkdir()
    if kind == "other files":
        (data / "notes.txt").write_text("not IDX")
    run = script("demos.train", "--data-dir", str(data), "--iters", "1", "--out", str(tmp_path / "o"),
                 env={"TRACEGRAD_CACHE_DIR": str(tmp_path / "cache")})
    assert run.returncode == 1, run.stdout
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith(f"error: data directory {data} ")
    assert ("does not exist" if kind == "missing" else "no usable IDX files") in run.stderr
    for name in IDX_NAMES:
        assert name in run.stderr
    assert "final:" not in run.stdout  # nothing was trained on another data set


def test_a_data_dir_missing_one_file_names_it(tmp_path):
    write_set(tmp_path / "d", make_arrays())
    (tmp_path / "d" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ds.DatasetError, match=r"missing t10k-labels-idx1-ubyte"):
        ds.resolve_dataset("auto", tmp_path / "d")


@pytest.mark.parametrize("published, wanted", [("mnist", "auto"), ("fashion-mnist", "auto"),
                                                ("mnist", "mnist"), ("fashion-mnist", "fashion-mnist")])
def test_files_are_named_by_their_label_counts(tmp_path, published, wanted):
    write_set(tmp_path / "d", arrays_with_counts(*PUBLISHED_COUNTS[published]))
    name, directory, reason = ds.resolve_dataset(wanted, tmp_path / "d")
    assert (name, directory) == (published, tmp_path / "d")


def test_other_files_are_called_mnist_format(tmp_path):
    almost = PUBLISHED_COUNTS["fashion-mnist"][0][:9] + [5999]  # one training image fewer
    write_set(tmp_path / "d", arrays_with_counts(almost, PUBLISHED_COUNTS["fashion-mnist"][1]))
    assert ds.resolve_dataset("auto", tmp_path / "d")[0] == "mnist-format"
    write_set(tmp_path / "e", make_arrays())
    assert ds.resolve_dataset("mnist", tmp_path / "e")[0] == "mnist-format"


def test_asking_for_mnist_with_fashion_files_is_an_error(tmp_path):
    write_set(tmp_path / "d", arrays_with_counts(*PUBLISHED_COUNTS["fashion-mnist"]))
    with pytest.raises(ds.DatasetError, match=r"mnist was asked for, but the files in .* are fashion-mnist"):
        ds.resolve_dataset("mnist", tmp_path / "d")


def test_training_on_fashion_files_says_and_plots_fashion(tmp_path, capsys):
    """1x1 images with Fashion-MNIST's label counts: the run and its plot say fashion-mnist."""
    write_set(tmp_path / "d", arrays_with_counts(*PUBLISHED_COUNTS["fashion-mnist"]))
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text, to read the title
        result = train_two_layer_net.run(["--data-dir", str(tmp_path / "d"), "--iters", "1",
                                          "--progress", "off"], out_dir=tmp_path / "o")
    out = capsys.readouterr().out
    assert result.dataset == "fashion-mnist"
    assert out.startswith(f"dataset: fashion-mnist (found in {tmp_path / 'd'})")
    assert "mnist (" not in out.replace("fashion-mnist (", "")
    title = " ".join(ET.parse(tmp_path / "o" / "training.svg").getroot().itertext())
    assert "TwoLayerNet on fashion-mnist" in title


@has_real_fashion
def test_debian_fashion_mnist_given_as_data_dir_is_named_fashion(tmp_path):
    run = script("demos.train", "--data-dir", str(REAL_FASHION), "--iters", "1", "--hidden-size", "2",
                 "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"dataset: fashion-mnist (found in {REAL_FASHION})")


# ---------------------------------------------------------------- numeric options


@pytest.mark.parametrize("option, value, message", [
    ("--lr", "nan", "must be a finite number"), ("--lr", "inf", "must be a finite number"),
    ("--lr", "-inf", "must be a finite number"), ("--lr", "-1", "must be greater than 0"),
    ("--lr", "0", "must be greater than 0"), ("--lr", "fast", "expected a number"),
    ("--iters", "0", "must be at least 1"), ("--iters", "-3", "must be at least 1"),
    ("--iters", "1.5", "expected an integer"), ("--batch-size", "0", "must be at least 1"),
    ("--hidden-size", "0", "must be at least 1"), ("--seed", "-1", "must be at least 0"),
    ("--threads", "-1", "must be at least 0"),
])
def test_train_refuses_bad_numbers(capsys, tmp_path, idx_dir, option, value, message):  # noqa: F811
    line = usage_error(capsys, lambda argv: train_two_layer_net.main(argv, out_dir=tmp_path),
                       ["--data-dir", str(idx_dir), "--iters", "1", f"{option}={value}"])
    assert f"error: argument {option}: {message}, got " in line and value in line


@pytest.mark.parametrize("main, argv, option", [
    (chain_rule.main, ["--x", "nan"], "--x"), (chain_rule.main, ["--y", "inf"], "--y"),
    (gradient_check.main, ["--synthetic", "--seed", "-1"], "--seed"),
    (tour.main, ["--iters", "0"], "--iters"),
])
def test_other_demos_refuse_bad_numbers(capsys, tmp_path, main, argv, option):
    line = usage_error(capsys, lambda a: main(a, out_dir=tmp_path), argv)
    assert f"error: argument {option}: " in line


def test_the_command_line_says_it_in_one_line(tmp_path):
    run = script("demos.train", "--lr", "nan", "--out", str(tmp_path))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].endswith("error: argument --lr: must be a finite "
                                                        "number, got 'nan'")


def test_an_out_folder_that_is_a_file_is_a_usage_error(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    line = usage_error(capsys, lambda a: chain_rule.main(a), ["--out", str(tmp_path / "file" / "sub")])
    assert "argument --out: cannot create the folder" in line


# ---------------------------------------------------------------- divergence


@pytest.mark.parametrize("engine", ["layers", "autograd"])
def test_a_loss_that_becomes_nan_stops_the_run(tmp_path, capsys, idx_dir, engine):  # noqa: F811
    with pytest.raises(TrainingDiverged) as info:
        train_two_layer_net.run(["--data-dir", str(idx_dir), "--iters", "50", "--lr", "1e300",
                                 "--engine", engine, "--progress", "off"], out_dir=tmp_path)
    message = str(info.value)
    assert re.match(r"training diverged at iteration \d+: ", message)
    assert "try a smaller one" in message and "1e+300" in message
    assert not (tmp_path / "two_layer_net_weights.npz").exists()  # no weights of inf saved


def test_divergence_on_the_command_line_is_one_line(tmp_path, idx_dir):  # noqa: F811
    run = script("demos.train", "--data-dir", str(idx_dir), "--iters", "50", "--lr", "1e300",
                 "--out", str(tmp_path), "--progress", "off")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: training diverged at iteration ")
    assert "smaller" in errors[0] and "final:" not in run.stdout


# ---------------------------------------------------------------- offline fallback: one line


def test_offline_auto_fallback_prints_exactly_one_line(tmp_path, monkeypatch, capsys):
    fashion = write_set(tmp_path / "fashion", make_arrays(7))
    monkeypatch.setattr(ds, "FASHION_MNIST_DIR", fashion)
    monkeypatch.setattr(ds, "MNIST_MIRRORS", [dead_mirror(), dead_mirror(), dead_mirror()])
    ds.load_mnist()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("dataset: fashion-mnist (") and "no mirror reachable (3 tried)" in err[0]


def test_explicit_mnist_offline_still_says_what_was_tried(tmp_path, monkeypatch):
    mirrors = [dead_mirror(), dead_mirror()]
    monkeypatch.setattr(ds, "MNIST_MIRRORS", mirrors)
    with pytest.raises(ds.DatasetError) as info:
        ds.load_mnist(dataset="mnist")
    for mirror in mirrors:
        assert mirror in str(info.value)


# ---------------------------------------------------------------- output folders and whole files


@needs_dot
@pytest.mark.parametrize("name", ["chain.svg", "chain.png", "chain.dot"])
def test_viz_cli_creates_the_output_folder(tmp_path, name):
    target = tmp_path / "fresh" / "out" / name
    run = script("viz", "(x + y) ** 2", "x=1", "y=2", "-o", str(target), "--steps",
                 str(tmp_path / "steps" / "s.html"))
    assert run.returncode == 0, run.stderr
    assert target.is_file() and target.stat().st_size > 0
    assert (tmp_path / "steps" / "s.html").is_file()


@needs_dot
def test_save_and_save_steps_create_folders(tmp_path):
    price, *_ = apple_graph()
    price.backward()
    for path in (tmp_path / "a" / "g.svg", tmp_path / "b" / "c" / "g.dot"):
        assert Path(viz.save(price, path)).is_file()
    assert Path(viz.save_steps(price, tmp_path / "d" / "s.html")).is_file()


def test_written_files_get_the_usual_permissions(tmp_path):
    price, *_ = apple_graph()
    price.backward()
    old = os.umask(0o022)
    try:
        path = Path(viz.save(price, tmp_path / "g.dot"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (400, 400))


@needs_dot
def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    """A 400-byte file size limit makes the SVG write fail half-way, as a full disk would."""
    target = tmp_path / "chain.svg"
    target.write_text("the previous picture")
    run = script("viz", "(x + y) ** 2", "x=1", "y=2", "-o", str(target), preexec_fn=_limit_file_size)
    assert run.returncode == 1 and "error: cannot write the output" in run.stderr
    assert target.read_text() == "the previous picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.svg"]
