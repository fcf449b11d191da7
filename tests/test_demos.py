"""The demos print the lecture's numbers and write figures that parse (SVG as XML, PNG by its
signature, HTML with its frames); training runs on a tiny synthetic IDX data set."""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from demos import (add_mul_nodes, affine, backward_steps, buy_apple, buy_apple_orange,
                   chain_rule, gradient_check, higher_order, relu_sigmoid, softmax_with_loss,
                   tour, train_two_layer_net)
from demos.common import fmt
from idx_data import write_tiny_idx_set

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
    # save_steps writes the explorer's page, opened on the backward pass: one graph, drawn once
    assert page.count('class="tg-explorer"') == 1 and page.count("<svg") == 1
    assert 'data-name="apple_num"' in page and "apple_num: 1.1 × 100 = 110" in page


def test_gradient_check_synthetic(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files = gradient_check.main(["--synthetic"], out_dir=tmp_path)
    out = lines(capsys)
    diffs = [line for line in out if re.fullmatch(r"(W1|b1|W2|b2):\S+", line)]
    assert [d.split(":")[0] for d in diffs] == ["W1", "b1", "W2", "b2"] * 2  # both engines
    assert all(float(d.split(":")[1]) < 1e-7 for d in diffs)
    check_files(files, tmp_path)
    assert "Affine1" in svg_text(tmp_path / "two_layer_net.svg")


# ---------------------------------------------------------------- training, on a tiny IDX data set


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 training and 50 test 28x28 images: a bright 4x4 square whose place gives the label."""
    return write_tiny_idx_set(tmp_path_factory.mktemp("idx"), train=200, test=50)


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


# ---------------------------------------------------------------- the tour's page


class IndexPage(HTMLParser):
    """What the tour's index.html shows: captions by file, the summary and leads, image sources,
    links (with their class), and all the visible text (not <style> or <script>)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.captions: dict[str, str] = {}
        self.leads: list[str] = []
        self.summary = ""
        self.images: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, class)
        self.visible: list[str] = []
        self._open: list[tuple[str, dict]] = []
        self._hidden = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag in ("style", "script"):
            self._hidden += 1
        if tag == "img":
            self.images.append(a["src"])
        if tag == "a":
            self.links.append((a["href"], a.get("class", "")))
        if tag not in ("img", "meta", "br"):
            self._open.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden -= 1
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.visible.append(data)
        for tag, a in reversed(self._open):
            if tag == "span" and a.get("class") == "caption":
                self.captions[a["data-file"]] = self.captions.get(a["data-file"], "") + data
            elif tag == "p" and a.get("class") == "lead":
                self.leads.append(data)
            elif tag == "p" and a.get("class") == "summary":
                self.summary += data
            else:
                continue
            break


# A number as a caption writes it: not part of a name (W1, 2t) nor of a file name.
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?!\w|\.\d)")


def numbers_in(text: str) -> list[float]:
    """The numbers in a caption, in order."""
    return [float(m) for m in NUMBER.findall(text)]


def flatten(value) -> list[float]:
    """Every number inside a demo's `numbers` (dicts, lists, tuples, arrays, strings)."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in flatten(v)]
    if isinstance(value, str):
        return numbers_in(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [x for v in value for x in flatten(v)]
    return [float(value)]


def sigmoid(x: float) -> float:
    return 1 / (1 + np.exp(-x))


# The lecture graphs the tour must link an explorer for (figure stems).
EXPLORED = ("buy_apple", "buy_apple_orange", "chain_rule", "add_node", "mul_node", "apple_mul_node",
            "relu", "relu_negative", "sigmoid_graph", "sigmoid_simple", "affine",
            "softmax_with_loss", "softmax_with_loss_simple", "two_layer_net")


@pytest.fixture(scope="module")
def tour_run(tmp_path_factory: pytest.TempPathFactory, idx_dir: Path):
    """The tour, run once on the tiny IDX data set: (its result, its stdout, the out folder)."""
    out = tmp_path_factory.mktemp("tour")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        result = tour.run(["--iters", "20", "--data-dir", str(idx_dir)], out_dir=out)
    return result, stdout.getvalue(), out


def expected_captions(stdout: str, idx_dir: Path) -> dict[str, list[float]]:
    """Each caption's numbers, in order, from closed forms (the lecture's numbers) or, for what
    depends on the run (differences, accuracies), from what the demos printed in it."""
    from nn import TwoLayerNet
    from nn.datasets import load_idx_dir

    s1 = sigmoid(1.0)
    a, t = softmax_with_loss.A, softmax_with_loss.T
    y = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    n = len(a)
    loss = -np.sum(t * np.log(y)) / n
    th = np.tanh(1.0)
    diffs = [float(line.split(":")[1]) for line in stdout.splitlines()
             if re.fullmatch(r"(W1|b1|W2|b2):\S+", line)]
    errors = [float(m) for m in re.findall(r"^order \d: max \|autograd - closed form\| = (\S+)$",
                                           stdout, re.M)]
    two_layer = stdout.split("=== python -m demos.train_two_layer_net", 1)[1].split("\n=== ", 1)[0]
    train_acc, test_acc = map(float, FINAL_LINE.search(two_layer).groups())
    epochs = len(re.findall(r"^epoch", two_layer, re.M))
    (x_train, t_train), _ = load_idx_dir(idx_dir, normalize=True, one_hot_label=True)
    net_loss = TwoLayerNet(784, 50, 10, seed=0).loss(x_train[:3], t_train[:3])
    X, W, B = affine.X.shape, affine.W.shape, affine.B.shape
    Y = (X[0], W[1])
    return {
        "buy_apple_forward.svg": [2, 100, 1.1, 100 * 2 * 1.1],
        "buy_apple.svg": [2 * 1.1, 100 * 1.1, 100 * 2],
        "apple_steps.html": [2],  # two multiply nodes
        "buy_apple_orange.svg": [100, 2, 150, 3, 1.1, (100 * 2 + 150 * 3) * 1.1,
                                 100 * 1.1, 2 * 1.1, 3 * 1.1, 150 * 1.1, 100 * 2 + 150 * 3],
        "chain_rule.svg": [1, 2, 3, 9, 2 * 3, 2 * 3, 2 * 3],  # x, y, t, z, dz/dt, dz/dx, dz/dy
        "add_node.svg": [10, 5, 15, 1.3, 1.3, 1.3],
        "mul_node.svg": [10, 5, 50, 1.3, 1.3, 5, 1.3 * 5, 1.3, 10, 1.3 * 10],
        "apple_mul_node.svg": [100, 2, 200, 1.1, 1.1, 2, 2.2, 1.1, 100, 110],
        "relu.svg": [1, 1, 1],
        "relu_negative.svg": [-2, 0, 0],
        "sigmoid_graph.svg": [1, s1, 1, s1 * (1 - s1)],  # the second 1 is y(1 - y)'s
        "sigmoid_simple.svg": [s1, s1 * (1 - s1)],
        "affine.svg": [X[0], *X, *W, *B, *Y, *X, *W, *B],
        "softmax_with_loss.svg": [n, loss, *((y - t) / n)[0]],
        "softmax_with_loss_simple.svg": [loss],
        "two_layer_net.svg": [784, 50, 10, 3, net_loss, *diffs],
        "two_layer_net_detail.svg": [],
        "tanh_derivatives.svg": [4, -7, 7, 200, float(f"{max(errors):.1e}")],
        "tanh_second_derivative_graph.svg": [1, -2 * th * (1 - th ** 2)],
        "training.svg": [20, epochs, train_acc, test_acc],
        "two_layer_net_weights.npz": [],
    }


def test_tour_captions_hold_this_runs_numbers(tour_run, idx_dir: Path) -> None:
    """Every number in a caption is, in order, the closed form (220, 2.2, 110, 200, 715, ...)
    or what the demos printed in this run, and is among the numbers its demo handed back."""
    result, stdout, out = tour_run
    page = IndexPage(result.index.read_text(encoding="utf-8"))
    expected = expected_captions(stdout, idx_dir)  # chapter 5's; chapters 6-7's demos check theirs
    assert set(expected) <= set(page.captions)
    for name, text in page.captions.items():
        if name in expected:
            got = numbers_in(text)
            assert got == pytest.approx(expected[name], rel=1e-5, abs=1e-12), (name, text)
    for shown in result.shown:
        computed = flatten(shown.result.numbers)
        for name in shown.captions:
            if name not in expected:  # chapters 6-7 check theirs at the precision shown
                continue
            for number in numbers_in(page.captions[name]):
                found = any(number == pytest.approx(c, rel=1e-5, abs=1e-12) for c in computed)
                assert found or number == 1, (name, number)  # 1: y(1 - y)'s
    for lead in page.leads:
        assert not numbers_in(lead), lead  # a section's lead holds no number
    train_acc, test_acc = map(float, FINAL_LINE.search(stdout).groups())
    assert numbers_in(page.summary) == pytest.approx([train_acc, test_acc,
                                                      round(result.training.seconds)])


def test_tour_numbers_are_the_demos(tour_run) -> None:
    """What the demos handed back is what they computed: the lecture's numbers."""
    result, _, _ = tour_run
    numbers = {s.section.module: s.result.numbers for s in result.shown}
    n = numbers[buy_apple]
    assert [n["price"], n["dapple"], n["dapple_num"], n["dtax"]] == pytest.approx([220, 2.2, 110, 200])
    n = numbers[buy_apple_orange]
    assert [n["price"], n["dapple_num"], n["dapple"], n["dorange"], n["dorange_num"], n["dtax"]] == \
        pytest.approx([715, 110, 2.2, 3.3, 165, 650])
    assert numbers[relu_sigmoid]["sigmoid_graph"]["dy/dx"] == pytest.approx(0.196612, rel=1e-5)
    assert numbers[chain_rule]["dz/dx"] == 6 and numbers[add_mul_nodes]["mul_node"]["dy"] == 13
    assert max(max(d.values()) for d in numbers[gradient_check]["diffs"].values()) < 1e-6


def test_tour_page_is_text_with_each_figure_once(tour_run) -> None:
    """No raw markdown; each figure shown once (a PNG twin of an SVG is a link), every file
    written is linked, wide figures keep their natural size in a scrollable box."""
    result, stdout, out = tour_run
    text = result.index.read_text(encoding="utf-8")
    page = IndexPage(text)
    visible = "".join(page.visible)
    for markdown in ("`", "*", "](", "__"):
        assert markdown not in visible, markdown
    assert len(page.images) == len(set(page.images))
    stems = [Path(src).stem for src in page.images]
    assert len(stems) == len(set(stems)), "an SVG and its PNG twin both shown"
    hrefs = [href for href, _ in page.links]
    written = sorted(p.name for p in out.iterdir() if p.name != "index.html")
    assert len(written) >= 20 and set(result.files) == {out / name for name in written} | {result.index}
    for name in written:
        assert name in hrefs, name
        if name.endswith(".svg") or (name.endswith(".png") and name[:-4] + ".svg" not in written):
            assert name in page.images, name
    assert hrefs.count("apple_steps.html") == 1
    assert "max-width: none" in text and "overflow: auto" in text
    assert f"open {result.index}" in stdout
    for line in ("MulLayer:  price 220 | dapple dapple_num dtax 2.2 110 200",
                 "x=1 y=2: z=9  dz/dt=2t=6  dz/dx=6  dz/dy=6  2(x+y)=6"):
        assert line in stdout
    check_files([p for p in result.files if p.suffix in (".svg", ".png")], out)


def test_tour_links_an_explorer_per_lecture_graph(tour_run) -> None:
    """Each of the lecture's graphs has its explorer page (viz.explore(...).save), linked once
    beside its figure, in the page's order; each page holds its graph."""
    result, _, out = tour_run
    page = IndexPage(result.index.read_text(encoding="utf-8"))
    explorers = [href for href, cls in page.links if cls == "explorer"]
    assert explorers == [f"{stem}{tour.EXPLORER_SUFFIX}" for stem in EXPLORED]
    for href in explorers:
        body = (out / href).read_text(encoding="utf-8")
        assert body.startswith("<!DOCTYPE html>") and body.count('class="tg-explorer"') == 1, href
        assert body.count("<svg") == 1 and "window.tracegrad.mount(" in body, href
    apples = (out / f"buy_apple{tour.EXPLORER_SUFFIX}").read_text(encoding="utf-8")
    for name in ("apple", "apple_num", "tax", "apple_price", "price"):
        assert f'data-name="{name}"' in apples, name


@pytest.mark.browser
def test_tour_page_in_chromium_keeps_figures_at_natural_size(tour_run, tmp_path: Path) -> None:
    """Wide figures are not shrunk: every image is drawn at its natural width, the widest in a
    box that scrolls sideways; the page logs no errors."""
    import os

    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    chromium, chromedriver = "/usr/bin/chromium", "/usr/bin/chromedriver"
    if not (os.access(chromium, os.X_OK) and os.access(chromedriver, os.X_OK)):
        pytest.skip(f"needs {chromium} and {chromedriver}")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--window-size=1200,900", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        driver.get(f"file://{tour_run[0].index}")
        images = driver.execute_script(
            "return Array.from(document.images, i => ({src: i.getAttribute('src'), width: i.width,"
            " natural: i.naturalWidth, scrolls: i.parentElement.scrollWidth > i.parentElement.clientWidth,"
            " box: i.parentElement.clientWidth}))")
        assert len(images) >= 15
        for image in images:
            assert image["natural"] > 0 and image["width"] == image["natural"], image
            assert image["scrolls"] == (image["natural"] > image["box"]), image
        assert any(image["scrolls"] for image in images)  # two_layer_net_detail.svg is wide
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()
