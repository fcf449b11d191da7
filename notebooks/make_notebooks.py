"""Writes notebooks/chapter5_tour.ipynb, the chapter's tour as a notebook, without outputs.

    .venv/bin/python notebooks/make_notebooks.py          # (re)write the notebook
    .venv/bin/python notebooks/make_notebooks.py --check  # exit 1 if the notebook is out of date

The cells are below, in order: markdown cells explain, code cells compute and print the
lecture's numbers and end with `viz.explore(...)`, which Jupyter shows inline. The tests
(tests/test_notebooks.py) execute the notebook and check what it prints.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "chapter5_tour.ipynb"

# (kind, source): "md" for a markdown cell, "code" for a code cell
CELLS: list[tuple[str, str]] = [
    ("md", """\
# Backpropagation, drawn: a tour of chapter 5

This notebook walks through the examples of chapter 5 of *Deep Learning from Scratch* with
tracegrad: every computation records its graph, one `backward()` applies the chain rule, and
`viz.explore(output)` shows the graph as an explorer. Choose the forward or the backward pass,
step through it with Previous / Next / Play (or the arrow keys), zoom with the wheel, and click
any node to see its value, its gradient, its local derivatives and the chain rule that produced
its gradient.

Every number printed below is computed by the code above it."""),
    ("code", """\
import numpy as np

import viz
from autograd import Tensor, Value, cross_entropy, softmax
from nn import TwoLayerNet, mean_abs_diff

num = viz.format_number  # numbers as the lecture prints them: 220, 2.2, 0.196612"""),
    ("md", """\
## Buying apples (Fig. 5-2, 5-16)

Two apples at 100 each, with a 10% consumption tax. The graph has two multiply nodes. Backward,
a multiply node sends the upstream gradient times the *other* input, so the gradient of the
apple price is the number of apples times the tax."""),
    ("code", """\
apple, apple_num, tax = Value(100, label="apple"), Value(2, label="apple_num"), Value(1.1, label="tax")
apple_price = apple * apple_num
apple_price.label = "apple_price"
price = apple_price * tax
price.label = "price"
price.backward()
print("price =", num(price.data))
print("dapple =", num(apple.grad), "dapple_num =", num(apple_num.grad), "dtax =", num(tax.grad))
viz.explore(price)"""),
    ("md", """\
## Buying apples and oranges (Fig. 5-17)

An add node joins the apples' and the oranges' prices. Backward, an add node passes its upstream
gradient unchanged to both inputs."""),
    ("code", """\
apple, apple_num = Value(100, label="apple"), Value(2, label="apple_num")
orange, orange_num = Value(150, label="orange"), Value(3, label="orange_num")
tax = Value(1.1, label="tax")
apple_price, orange_price = apple * apple_num, orange * orange_num
apple_price.label, orange_price.label = "apple_price", "orange_price"
all_price = apple_price + orange_price
all_price.label = "all_price"
price = all_price * tax
price.label = "price"
price.backward()
print("price =", num(price.data))
print("dapple_num =", num(apple_num.grad), "dapple =", num(apple.grad), "dorange =", num(orange.grad),
      "dorange_num =", num(orange_num.grad), "dtax =", num(tax.grad))
viz.explore(price)"""),
    ("md", """\
## The chain rule (Fig. 5-7, 5-8)

With t = x + y and z = t², the chain rule gives dz/dx = dz/dt · dt/dx = 2t · 1 = 2(x + y).
The backward pass multiplies the local derivatives along the path from z back to x."""),
    ("code", """\
x, y = Value(1.0, label="x"), Value(2.0, label="y")
t = x + y
t.label = "t"
z = t ** 2
z.label = "z"
z.backward()
print("z =", num(z.data), "dz/dt =", num(t.grad), "dz/dx =", num(x.grad), "dz/dy =", num(y.grad),
      "2(x+y) =", num(2 * (x.data + y.data)))
viz.explore(z)"""),
    ("md", """\
## Backward through one add and one multiply node (Fig. 5-11, 5-13)

Here the upstream gradient is given (1.3) instead of starting from 1: `z.backward(1.3)`.
The add node hands 1.3 to both inputs; the multiply node hands each input 1.3 times the other."""),
    ("code", """\
x, y = Value(10, label="x"), Value(5, label="y")
s = x + y
s.label = "z"
s.backward(1.3)
print("add: z =", num(s.data), "dx =", num(x.grad), "dy =", num(y.grad))
x, y = Value(10, label="x"), Value(5, label="y")
p = x * y
p.label = "z"
p.backward(1.3)
print("mul: z =", num(p.data), "dx =", num(x.grad), "dy =", num(y.grad))
viz.explore(p)"""),
    ("md", """\
## ReLU and Sigmoid (Fig. 5-18, 5-20, 5-21)

ReLU passes the gradient where its input is positive and stops it elsewhere. The sigmoid
y = 1 / (1 + exp(−x)), built from its nodes (negate, exp, add one, reciprocal), gives
dy/dx = y(1 − y), as the Sigmoid layer computes it."""),
    ("code", """\
for x0 in (1.0, -2.0):
    x = Value(x0, label="x")
    y = x.relu()
    y.backward()
    print("relu: x =", num(x0), "y =", num(y.data), "dy/dx =", num(x.grad))

x = Value(1.0, label="x")
neg = x * Value(-1, label="-1")
neg.label = "-x"
e = neg.exp()
e.label = "exp(-x)"
d = e + Value(1, label="1")
d.label = "1+exp(-x)"
y = d ** -1
y.label = "y"
y.backward()
print("sigmoid: x =", num(x.data), "y =", num(y.data), "dy/dx =", num(x.grad),
      "y(1-y) =", num(y.data * (1 - y.data)))
viz.explore(y)"""),
    ("md", """\
## The Affine layer for a batch (Fig. 5-24, 5-27)

Y = X·W + B for a batch of N = 2. Backward, dX = dY·Wᵀ, dW = Xᵀ·dY and dB is dY summed over the
batch (B was broadcast to every row): each gradient has its variable's shape."""),
    ("code", """\
X = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="X")
W = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]) / 10, requires_grad=True, label="W")
B = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, label="B")
XW = X @ W
XW.label = "X·W"
Y = XW + B
Y.label = "Y"
dY = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
Y.backward(dY)
print("shapes: X", X.shape, "W", W.shape, "B", B.shape, "Y", Y.shape)
print("shapes: dX", X.grad.shape, "dW", W.grad.shape, "dB", B.grad.shape)
print("dX = dY·Wᵀ:", np.allclose(X.grad, dY @ W.data.T), "dW = Xᵀ·dY:", np.allclose(W.grad, X.data.T @ dY),
      "dB = sum of dY:", np.allclose(B.grad, dY.sum(axis=0)))
viz.explore(Y)"""),
    ("md", """\
## Softmax-with-Loss (Fig. 5-29, 5-30)

Softmax followed by the cross-entropy error, averaged over the N samples. Its backward is simply
(y − t) / N: the softmax output minus the one-hot label, divided by the batch size."""),
    ("code", """\
a = Tensor(np.array([[0.3, 2.9, 4.0], [1.0, 2.0, 0.5]]), requires_grad=True, label="a")
t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
L = cross_entropy(a, t)
L.label = "L"
L.backward()
y = softmax(Tensor(a.data)).data
print("L =", num(L.item()))
print("dL/da =", " | ".join(" ".join(num(v) for v in row) for row in np.round(a.grad, 6)))
print("(y - t)/N =", " | ".join(" ".join(num(v) for v in row) for row in np.round((y - t) / len(t), 6)))
viz.explore(L)"""),
    ("md", """\
## TwoLayerNet on three samples (gradient check)

The lecture's TwoLayerNet(784, 50, 10) on three random inputs (seeded, so nothing is
downloaded). Backpropagation agrees with the numerical gradient (the differences printed below
are tiny next to the gradients); the explorer shows the whole network, Tensors summarised by
shape, min, mean, max and norm."""),
    ("code", """\
rng = np.random.default_rng(0)
x_batch = rng.random((3, 784))
t_batch = np.eye(10)[rng.integers(0, 10, 3)]
network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0)
diffs = mean_abs_diff(network.gradient(x_batch, t_batch, engine="autograd"),
                      network.numerical_gradient(x_batch, t_batch))
for key, diff in diffs.items():
    print(f"{key}:{diff:.2g}")
loss = network.graph(x_batch, t_batch)
loss.backward()
print("loss =", num(loss.item()))
viz.explore(loss)"""),
    ("md", """\
## Coming from micrograd

micrograd's demo notebook runs as it is with tracegrad: only the imports change
(`from autograd import Value`, `from nn.scalar import MLP`). Without an `rng`, `nn.scalar` draws
its weights from Python's `random`, one `random.uniform(-1, 1)` per weight, as micrograd does,
and `nn.toy_datasets.make_moons` draws the two moons as scikit-learn does, so after the same
seeds the losses and accuracies printed below are the ones micrograd's own notebook prints."""),
    ("code", """\
import random

from nn.scalar import MLP
from nn.toy_datasets import make_moons

np.random.seed(1337)
random.seed(1337)
X, y = make_moons(n_samples=100, noise=0.1)
y = y * 2 - 1  # labels -1 / +1
model = MLP(2, [16, 16, 1])
print("number of parameters", len(model.parameters()))


def loss():
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]  # max-margin loss
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))  # L2 regularisation
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return data_loss + reg_loss, sum(accuracy) / len(accuracy)


for k in range(100):
    total_loss, acc = loss()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    if k % 11 == 0 or k == 99:
        print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")"""),
    ("md", """\
One neuron of the trained network on the first point: click `w0` or `x1` to see why its
gradient is what it is."""),
    ("code", """\
neuron = model.layers[0].neurons[0]
model.zero_grad()  # the training loop left its last gradients on the weights
x1, x2 = Value(X[0, 0], label="x1"), Value(X[0, 1], label="x2")
out = neuron([x1, x2])
out.label = "out"
out.backward()
print("out =", out, "| d out/d x1 =", x1.grad)
viz.explore(out)"""),
    ("md", """\
## Where to go next

`viz.explore(output).save("graph.html")` writes the same explorer as one page you can open
without Jupyter; `viz.save(output, "graph.svg", mode="both")` draws the static figure."""),
]


def build() -> nbformat.NotebookNode:
    """The notebook from CELLS, with no outputs, for the kernel `python3`."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for k, (kind, source) in enumerate(CELLS):
        cell = (nbformat.v4.new_markdown_cell(source) if kind == "md"
                else nbformat.v4.new_code_cell(source))
        cell["id"] = f"cell-{k}"  # stable ids: regenerating changes nothing
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str]) -> int:
    """Write the notebook, or with --check say whether the file on disk is what build() gives."""
    text = nbformat.writes(build()) + "\n"
    if argv == ["--check"]:
        current = NOTEBOOK.read_text(encoding="utf-8") if NOTEBOOK.exists() else ""
        if current != text:
            print(f"{NOTEBOOK} is out of date: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    NOTEBOOK.write_text(text, encoding="utf-8")
    print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
