"""The demos print the lecture's numbers and write figures that parse (SVG as XML, PNG by its
signature, HTML with its frames); training runs on a tiny synthetic IDX data set."""
from __future__ import annotations

import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from demos import (add_mul_nodes, affine, backward_steps, buy_apple, buy_apple_orange,
                   chain_rule, gradient_check, higher_order, relu_sigmoid, softmax_with_loss,
                   tour, train_two_layer_net)
from demos.common import fmt

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FINAL_LINE = re.compile(r"final: train acc (0\.\d{4}|1\.0000) test acc (0\.\d{4}|1\.0000)")


def check_files(paths: list[Path], out: Path) -> None:
    """Every path is in `out` and parses as what its extension says."""
    assert paths, "the demo wrote nothing"
    for path in paths:
        assert path.parent == out and path.is_file(), path
        if path.suffix == ".svg":
            root = ET.parse(path).getroot()
            assert root.tag.endswith("svg"), path
        elif path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_SIGNATURE, path


def svg_text(path: Path) -> str:
    """All the text drawn in an SVG."""
    return " ".join(t.strip() for t in ET.parse(path).getroot().itertext() if t.strip())


def lines(capsys: pytest.CaptureFixture) -> list[str]:
    return capsys.readouterr().out.splitlines()


# ---------------------------------------------------------------- the lecture's graphs


def test_fmt_prints_numbers_like_the_lecture() -> None:
    assert fmt(100 * 2 * 1.1) == "220"
    assert fmt(2.2000000000000006, 110.00000000000001, 200.0) == "2.2 110 200"


def test_buy_apple(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = buy_apple.main(out_dir=tmp_path)
    out = lines(capsys)
    assert out[0] == "MulLayer:  price 220 | dapple dapple_num dtax 2.2 110 200"
    assert out[1] == "Value:     price 220 | dapple dapple_num dtax 2.2 110 200"
    check_files(files, tmp_path)
    assert {p.name for p in files} == {"buy_apple.svg", "buy_apple_forward.svg"}
    drawn = svg_text(tmp_path / "buy_apple.svg").split()
    for number in ("220", "2.2", "110", "200", "1.1"):
        assert number in drawn


def test_buy_apple_orange(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = buy_apple_orange.main(out_dir=tmp_path)
    out = lines(capsys)
    grads = "dapple_num dapple dorange dorange_num dtax 110 2.2 3.3 165 650"
    assert out[0] == f"layers:  price 715 | {grads}"
    assert out[1] == f"Value:   price 715 | {grads}"
    check_files(files, tmp_path)
    drawn = svg_text(files[0]).split()
    for number in ("715", "650", "165", "3.3"):
        assert number in drawn


def test_buy_apple_numbers_of_both_engines() -> None:
    price, grads = buy_apple.with_layers()
    assert price == pytest.approx(220) and grads == pytest.approx((2.2, 110, 200))
    node, leaves = buy_apple_orange.with_value()
    assert node.data == pytest.approx(715)
    assert [v.grad for v in leaves] == pytest.approx([110, 2.2, 3.3, 165, 650])


def test_chain_rule_gives_2_x_plus_y(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = chain_rule.main(["--x", "3", "--y", "4"], out_dir=tmp_path)
    out = lines(capsys)
    assert out[0] == "x=3 y=4: z=49  dz/dt=2t=14  dz/dx=14  dz/dy=14  2(x+y)=14"
    assert "x=1 y=2: z=9  dz/dt=2t=6  dz/dx=6  dz/dy=6  2(x+y)=6" in out
    pattern = re.compile(r"x=(\S+) y=(\S+): z=(\S+)  dz/dt=2t=(\S+)  dz/dx=(\S+)  dz/dy=(\S+)")
    rows = [pattern.match(line) for line in out if pattern.match(line)]
    assert len(rows) == 1 + len(chain_rule.PAIRS)
    for row in rows:
        x, y, z, dzdt, dzdx, dzdy = map(float, row.groups())
        assert z == pytest.approx((x + y) ** 2)
        assert dzdt == dzdx == dzdy == pytest.approx(2 * (x + y))
    check_files(files, tmp_path)
    assert "14" in svg_text(files[0]).split()


def test_add_and_mul_nodes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = add_mul_nodes.main(out_dir=tmp_path)
    out = "\n".join(lines(capsys))
    assert "10 + 5 = 15; upstream 1.3 -> dx dy = 1.3 1.3" in out
    assert "10 × 5 = 50; upstream 1.3 -> dx dy = 6.5 13" in out
    assert "100 × 2 = 200; upstream 1.1 -> dapple dapple_num = 2.2 110" in out
    assert out.count("layer and Value agree") == 3
    check_files(files, tmp_path)
    assert len(files) == 3


def test_relu_and_sigmoid(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = relu_sigmoid.main(out_dir=tmp_path)
    out = lines(capsys)
    assert "ReLU    x=-2: y=0 dy/dx=0 (Relu layer 0)" in out
    assert "ReLU    x=3: y=3 dy/dx=1 (Relu layer 1)" in out
    pattern = re.compile(r"Sigmoid x=(\S+): y=(\S+) graph dy/dx=(\S+) y\(1-y\)=(\S+) "
                         r"numerical=(\S+) \|graph-numerical\|=(\S+)")
    rows = [pattern.match(line).groups() for line in out if line.startswith("Sigmoid")]
    assert len(rows) == len(relu_sigmoid.XS)
    for x, y, graph, formula, numerical, diff in (map(float, r) for r in rows):
        s = 1 / (1 + np.exp(-x))
        assert y == pytest.approx(s, rel=1e-5)
        assert graph == formula == pytest.approx(s * (1 - s), rel=1e-5)
        assert numerical == pytest.approx(graph, rel=1e-5) and diff < 1e-8
    assert any(line.startswith("Sigmoid x=0: y=0.5 graph dy/dx=0.25 ") for line in out)
    check_files(files, tmp_path)
    drawn = svg_text(tmp_path / "sigmoid_graph.svg")
    assert "exp" in drawn and "0.196612" in drawn  # the four-node graph, dy/dx at x = 1


def test_affine_shapes_and_gradients(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = affine.main(out_dir=tmp_path)
    out = "\n".join(lines(capsys))
    assert "dX = dY·Wᵀ  (2, 3)·(3, 2), shape (2, 2)" in out
    assert "dW = Xᵀ·dY  (2, 2)·(2, 3), shape (2, 3)" in out
    assert "dB = sum of dY over axis 0, shape (3,)" in out
    y, leaves = affine.affine_graph()
    np.testing.assert_allclose(leaves["X"].grad, affine.DY @ affine.W.T)
    np.testing.assert_allclose(leaves["W"].grad, affine.X.T @ affine.DY)
    np.testing.assert_allclose(leaves["B"].grad, affine.DY.sum(axis=0))
    assert "[[-0.2  -0.2 ]\n   [ 0.75  1.8 ]]" in out  # dX = dY·Wᵀ, worked out by hand
    check_files(files, tmp_path)
    drawn = svg_text(files[0])
    for shape in ("(2, 2)", "(2, 3)", "(3,)"):
        assert shape in drawn


def test_softmax_with_loss_gradient(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = softmax_with_loss.main(out_dir=tmp_path)
    out = lines(capsys)
    a, t = softmax_with_loss.A, softmax_with_loss.T
    y = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    expected = " | ".join(fmt(*row) for row in np.round((y - t) / len(a), 6))
    assert f"(y - t) / N = {expected}   (N = 2)" in out
    assert f"loss        = {fmt(-np.sum(t * np.log(y)) / len(a))}" in out
    assert sum(line.endswith(f"dL/da = {expected}") for line in out) == 3
    check_files(files, tmp_path)
    assert {p.name for p in files} == {"softmax_with_loss.svg", "softmax_with_loss_simple.svg"}


def test_higher_order_tanh(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = higher_order.main(out_dir=tmp_path)
    out = lines(capsys)
    assert "at x = 0 (a Value): tanh and its derivatives 1-4 = 0 1 0 -2 0" in out[5]
    errors = [float(line.rsplit("= ", 1)[1]) for line in out[:5]]
    assert all(e < 1e-9 for e in errors)
    check_files(files, tmp_path)
    assert {p.name for p in files} >= {"tanh_derivatives.svg", "tanh_derivatives.png"}
    assert higher_order.scalar_derivatives(0.5)[1] == pytest.approx(1 - np.tanh(0.5) ** 2)


def test_backward_steps_page(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = backward_steps.main(out_dir=tmp_path)
    out = "\n".join(lines(capsys))
    assert "→ apple: 1.1 × 2 = 2.2" in out and "→ tax: 1 × 200 = 200" in out
    assert files == [tmp_path / "apple_steps.html"]
    page = files[0].read_text(encoding="utf-8")
    assert page.count('class="frame"') == 2 and page.count("<svg") == 2
    assert "apple_num: 1.1 × 100 = 110" in page


def test_gradient_check_synthetic(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = gradient_check.main(["--synthetic"], out_dir=tmp_path)
    out = lines(capsys)
    diffs = [line for line in out if re.fullmatch(r"(W1|b1|W2|b2):\S+", line)]
    assert [d.split(":")[0] for d in diffs] == ["W1", "b1", "W2", "b2"] * 2  # both engines
    assert all(float(d.split(":")[1]) < 1e-7 for d in diffs)
    check_files(files, tmp_path)
    assert "Affine1" in svg_text(tmp_path / "two_layer_net.svg")


# ---------------------------------------------------------------- training, on a tiny IDX data set


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    """An IDX file: big-endian magic, then each dimension, then the unsigned bytes."""
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 training and 50 test 28x28 images: a bright 4x4 square whose place gives the label."""
    directory = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 200), ("t10k", 50)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 60, (n, 28, 28))
        for image, label in zip(images, labels):
            row, col = divmod(int(label), 5)
            image[4 + 12 * row: 8 + 12 * row, 2 + 5 * col: 6 + 5 * col] = 255
        write_idx(directory / f"{prefix}-images-idx3-ubyte", images, 2051)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", labels, 2049)
    return directory


def test_train_on_idx_dir(tmp_path: Path, capsys: pytest.CaptureFixture, idx_dir: Path) -> None:
    files = train_two_layer_net.main(["--data-dir", str(idx_dir), "--iters", "200"], out_dir=tmp_path)
    out = lines(capsys)
    assert FINAL_LINE.fullmatch(out[-1]), out[-1]
    train_acc, test_acc = map(float, FINAL_LINE.fullmatch(out[-1]).groups())
    assert train_acc > 0.9 and test_acc > 0.9  # the squares are easy to tell apart
    epochs = [line for line in out if line.startswith("epoch")]
    assert len(epochs) == 100  # 200 samples / batch 100: an epoch every 2 iterations
    check_files(files, tmp_path)
    with np.load(tmp_path / "two_layer_net_weights.npz", allow_pickle=False) as weights:
        assert {k: weights[k].shape for k in weights.files} == {
            "W1": (784, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}
        assert weights["W1"].dtype == np.float64


def test_train_options(tmp_path: Path, capsys: pytest.CaptureFixture, idx_dir: Path) -> None:
    result = train_two_layer_net.run(
        ["--data-dir", str(idx_dir), "--iters", "60", "--engine", "autograd", "--optimizer", "adam",
         "--lr", "0.01", "--dtype", "float32", "--batch-size", "50", "--seed", "3"], out_dir=tmp_path)
    assert FINAL_LINE.fullmatch(lines(capsys)[-1])
    assert len(result.losses) == 60 and result.losses[-1] < result.losses[0]
    with np.load(tmp_path / "two_layer_net_weights.npz", allow_pickle=False) as weights:
        assert weights["W1"].dtype == np.float32


def test_train_as_a_script(tmp_path: Path, idx_dir: Path) -> None:
    """`python -m demos.train` with a progress bar on stderr, the final line last on stdout."""
    run = subprocess.run([sys.executable, "-m", "demos.train", "--data-dir", str(idx_dir),
                          "--iters", "30", "--progress", "on", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert FINAL_LINE.fullmatch(run.stdout.splitlines()[-1])
    assert "30/30" in run.stderr  # tqdm's bar
    assert (tmp_path / "training.png").read_bytes()[:8] == PNG_SIGNATURE


def test_tour_writes_an_index_of_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture,
                                              idx_dir: Path) -> None:
    files = tour.main(["--iters", "20", "--data-dir", str(idx_dir)], out_dir=tmp_path)
    out = capsys.readouterr().out
    index = tmp_path / "index.html"
    assert index in files and f"open {index}" in out
    for line in ("MulLayer:  price 220 | dapple dapple_num dtax 2.2 110 200",
                 "x=1 y=2: z=9  dz/dt=2t=6  dz/dx=6  dz/dy=6  2(x+y)=6"):
        assert line in out
    assert re.search(r"^final: train acc 0\.\d{4} test acc 0\.\d{4}$", out, re.M)
    page = index.read_text(encoding="utf-8")
    written = [p for p in tmp_path.iterdir() if p.name != "index.html"]
    assert len(written) >= 20
    for path in written:
        assert f'href="{path.name}"' in page, path.name
        if path.suffix in (".svg", ".png"):
            assert f'<img src="{path.name}"' in page, path.name
    assert 'href="apple_steps.html"' in page
    check_files([p for p in files if p.suffix in (".svg", ".png")], tmp_path)
