"""The book's SimpleConvNet: hand-written backward == autograd == numerical gradient (on a tiny
net), its structure, and a tiny training run of demos.train_convnet on an IDX data set written
here."""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from demos import tour, train_convnet
from idx_data import write_tiny_idx_set
from nn import convolution, layers
from nn.simple_conv_net import KEYS, SimpleConvNet

ROOT = Path(__file__).resolve().parents[1]
FINAL_LINE = re.compile(r"final: train acc (0\.\d{4}|1\.0000) test acc (0\.\d{4}|1\.0000)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?!\w|\.\d)")  # as test_demos


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300))


def tiny(seed: int = 0, n: int = 4):
    """A net small enough for the numerical gradient: 2 channels 7×7, 3 filters 3×3 with pad 1
    and stride 1 (7×7 -> pool -> 3×3), 6 hidden units, 4 classes; non-zero biases."""
    rng = np.random.default_rng(seed + 100)
    net = SimpleConvNet(input_dim=(2, 7, 7), conv_param={"filter_num": 3, "filter_size": 3,
                                                         "pad": 1, "stride": 1},
                        hidden_size=6, output_size=4, weight_init_std=0.3, seed=seed)
    for key in ("b1", "b2", "b3"):
        net.params[key][...] = rng.normal(size=net.params[key].shape) * 0.1
    return net, rng.normal(size=(n, 2, 7, 7)), rng.integers(0, 4, size=n)


def test_the_books_structure():
    net = SimpleConvNet(seed=0)
    assert list(net.layers) == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    assert isinstance(net.layers["Conv1"], convolution.Convolution)
    assert isinstance(net.layers["Pool1"], convolution.Pooling)
    assert isinstance(net.last_layer, layers.SoftmaxWithLoss) and net.lastLayer is net.last_layer
    assert {k: v.shape for k, v in net.params.items()} == {
        "W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10),
        "b3": (10,)}
    assert net.layers["Conv1"].W is net.params["W1"] and net.layers["Affine1"].W is net.params["W2"]
    assert net.params["W1"].std() == pytest.approx(0.01, rel=0.3)  # the book's weight_init_std
    he = SimpleConvNet(weight_init_std="he", seed=0)
    assert he.params["W1"].std() == pytest.approx(np.sqrt(2 / 25), rel=0.3)
    mixed = SimpleConvNet(weight_init_std={"W1": 0.01, "W2": "he", "W3": "xavier"}, seed=0)
    assert mixed.params["W1"].std() == pytest.approx(0.01, rel=0.3)
    assert mixed.params["W2"].std() == pytest.approx(np.sqrt(2 / 4320), rel=0.1)
    assert mixed.params["W3"].std() == pytest.approx(np.sqrt(1 / 100), rel=0.3)
    with pytest.raises(ValueError, match=r"needs the keys W1, W2, W3, got \['W1'\]"):
        SimpleConvNet(weight_init_std={"W1": 0.01})


@pytest.mark.parametrize("seed", [0, 1])
def test_both_engines_agree(seed):
    net, x, t = tiny(seed)
    by_layers = net.gradient(x, t, engine="layers")
    loss_layers = net.last_loss
    by_autograd = net.gradient(x, t, engine="autograd")
    assert net.last_loss == pytest.approx(loss_layers, rel=1e-12)
    for k in KEYS:
        assert by_layers[k].shape == net.params[k].shape
        assert rel_err(by_layers[k], by_autograd[k]) < 1e-10, k
    np.testing.assert_allclose(net.predict(x, engine="autograd"), net.predict(x, engine="layers"),
                               rtol=1e-12)


@pytest.mark.parametrize("engine", ["layers", "autograd"])
def test_backprop_matches_numerical_gradient(engine):
    net, x, t = tiny(2)
    numerical = net.numerical_gradient(x, t)
    backprop = net.gradient(x, t, engine=engine)
    for k in KEYS:
        assert rel_err(backprop[k], numerical[k]) < 1e-6, k
    diffs = net.gradient_check(x, t, engine=engine)  # the book's printout: mean |diff|
    assert list(diffs) == list(KEYS) and all(v < 1e-8 for v in diffs.values())


def test_loss_and_gradients_match_torch():
    net, x, t = tiny(3)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    h = F.max_pool2d(torch.relu(F.conv2d(torch.tensor(x), p["W1"], p["b1"], padding=1)), 2, 2)
    h = torch.relu(h.reshape(len(x), -1) @ p["W2"] + p["b2"])
    loss = F.cross_entropy(h @ p["W3"] + p["b3"], torch.tensor(t))
    loss.backward()
    grads = net.gradient(x, t, engine="autograd")
    assert net.last_loss == pytest.approx(loss.item(), rel=1e-12)
    for k in KEYS:
        assert rel_err(grads[k], p[k].grad.numpy()) < 1e-10, k


def test_accuracy_in_batches_and_flat_rows():
    net, x, t = tiny(4, n=7)
    whole = np.mean(np.argmax(net.predict(x), axis=1) == t)
    assert net.accuracy(x, t, batch_size=3) == pytest.approx(whole)
    assert net.accuracy(x.reshape(7, -1), t) == pytest.approx(whole)  # load_mnist's rows
    with pytest.raises(ValueError, match=r"x of shape \(7, 2, 6, 7\) does not fit the net's "
                                         r"input \(N, 2, 7, 7\)"):
        net.predict(x[:, :, 1:])


def test_the_graph_has_a_scope_per_layer():
    net, x, t = tiny(5)
    loss = net.graph(x, t)
    from autograd import topological_order
    scopes = {n.scope for n in topological_order([loss]) if n.scope}
    assert {f"SimpleConvNet/{name}" for name in ("Conv1", "Relu1", "Pool1", "Affine1", "Relu2",
                                                 "Affine2", "SoftmaxWithLoss")} <= scopes


# ---------------------------------------------------------------- a tiny training run


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 training and 40 test 28x28 images: a bright 4x4 square whose place gives the label."""
    return write_tiny_idx_set(tmp_path_factory.mktemp("idx"), train=120, test=40)


SMALL = ["--filter-num", "6", "--hidden-size", "20", "--batch-size", "20"]


def test_train_convnet_on_idx_dir(tmp_path: Path, capsys: pytest.CaptureFixture,
                                  idx_dir: Path) -> None:
    result = train_convnet.run(["--data-dir", str(idx_dir), "--iters", "60", "--lr", "0.01",
                                *SMALL], out_dir=tmp_path)
    out = capsys.readouterr().out.splitlines()
    assert FINAL_LINE.fullmatch(out[-1]), out[-1]
    train_acc, test_acc = map(float, FINAL_LINE.fullmatch(out[-1]).groups())
    assert train_acc > 0.9 and test_acc > 0.8  # the squares are easy to tell apart
    assert len([line for line in out if line.startswith("epoch")]) == 10  # 120 / 20 = 6 per epoch
    assert len(result.losses) == 60 and np.mean(result.losses[-10:]) < result.losses[0]
    names = {p.name for p in result.files}
    assert names == {"convnet_training.png", "convnet_training.svg", "convnet_filters.png",
                     "convnet_filters.svg", "convnet_graph.svg", "convnet_graph_explorer.html",
                     "convnet_weights.npz", "convnet_training_monitor.png",
                     "convnet_training_monitor.svg"}
    for path in result.files:
        assert path.parent == tmp_path and path.stat().st_size > 0
        if path.suffix == ".svg":
            assert ET.parse(path).getroot().tag.endswith("svg")
        elif path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_SIGNATURE
    graph = " ".join(ET.parse(tmp_path / "convnet_graph.svg").getroot().itertext())
    for layer in ("Conv1", "Pool1", "Affine1", "SoftmaxWithLoss"):  # one box per layer
        assert layer in graph
    assert "im2col" not in graph  # collapsed: the operations are inside the boxes
    # the tour's captions: every number in them is one this run handed back
    captions = tour._convnet(result.numbers)
    assert set(captions) == {"convnet_training.svg", "convnet_filters.svg", "convnet_graph.svg",
                             "convnet_weights.npz", "convnet_training_monitor.svg"}
    monitor = result.numbers["monitor"]
    assert monitor["records"] == len(result.monitor.records) == 60  # every iteration of 60
    shown = captions.pop("convnet_training_monitor.svg")  # its numbers rounded to 3 and 2 digits
    for text in (f"{monitor['records']} times", f"iteration {monitor['first_step']} to "
                 f"{monitor['last_step']}", *(f"{g:.3g}" for g in monitor["grad"]),
                 *(f"{r:.2g}" for r in monitor["ratio"])):
        assert text in shown, (text, shown)
    numbers = [v for v in result.numbers.values() if isinstance(v, (int, float))]
    for name, text in captions.items():
        for number in map(float, NUMBER.findall(text)):
            assert any(number == pytest.approx(v, rel=1e-5) for v in numbers), (name, number)
    assert f"{result.final_test:.4f}" in captions["convnet_training.svg"]
    assert result.graphs == {}  # the demo writes its own explorer page (collapsed)
    with np.load(tmp_path / "convnet_weights.npz", allow_pickle=False) as weights:
        assert {k: weights[k].shape for k in weights.files} == {
            "W1": (6, 1, 5, 5), "b1": (6,), "W2": (6 * 12 * 12, 20), "b2": (20,),
            "W3": (20, 10), "b3": (10,)}


def test_train_convnet_options(tmp_path: Path, capsys: pytest.CaptureFixture,
                               idx_dir: Path) -> None:
    result = train_convnet.run(["--data-dir", str(idx_dir), "--iters", "12", "--engine", "layers",
                                "--optimizer", "sgd", "--lr", "0.1", "--dtype", "float32",
                                "--eval-samples", "10", "--filter-size", "3", "--seed", "2",
                                *SMALL], out_dir=tmp_path)
    out = capsys.readouterr().out
    assert "layers engine, sgd lr 0.1" in out and FINAL_LINE.fullmatch(out.splitlines()[-1])
    assert len(result.losses) == 12
    with np.load(tmp_path / "convnet_weights.npz", allow_pickle=False) as weights:
        assert weights["W1"].dtype == np.float32 and weights["W1"].shape == (6, 1, 3, 3)


def test_train_convnet_refuses_a_filter_larger_than_the_images(tmp_path: Path,
                                                               idx_dir: Path) -> None:
    with pytest.raises(train_convnet.DemoError, match=r"--filter-size 30: .*kernel 30×30 is "
                                                      r"larger than the padded input 28×28"):
        train_convnet.run(["--data-dir", str(idx_dir), "--filter-size", "30"], out_dir=tmp_path)


def test_train_convnet_as_a_script(tmp_path: Path, idx_dir: Path) -> None:
    """`python -m demos.train_convnet` with a progress bar on stderr, the final line last."""
    run = subprocess.run([sys.executable, "-m", "demos.train_convnet", "--data-dir", str(idx_dir),
                          "--iters", "6", "--progress", "on", "--out", str(tmp_path), *SMALL],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert FINAL_LINE.fullmatch(run.stdout.splitlines()[-1])
    assert "6/6" in run.stderr  # tqdm's bar
    assert (tmp_path / "convnet_filters.png").read_bytes()[:8] == PNG_SIGNATURE
