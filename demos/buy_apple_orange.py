"""Buying 2 apples at 100 and 3 oranges at 150 with 10% tax (Fig. 5-17): price 715, and backward
gives dapple_num dapple dorange dorange_num dtax = 110 2.2 3.3 165 650, with layers and with Value.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from autograd import Value
from nn.layers import AddLayer, MulLayer

from .common import DemoResult, agree, fmt, parse_args, report_files, save_graph

apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
ORDER = "dapple_num dapple dorange dorange_num dtax"  # the lecture's print order


def with_layers() -> tuple[float, tuple[float, ...]]:
    """The lecture's buy_apple_orange.py: price, and the gradients in the lecture's print order."""
    mul_apple_layer = MulLayer()
    mul_orange_layer = MulLayer()
    add_apple_orange_layer = AddLayer()
    mul_tax_layer = MulLayer()
    # forward
    apple_price = mul_apple_layer.forward(apple, apple_num)  # (1)
    orange_price = mul_orange_layer.forward(orange, orange_num)  # (2)
    all_price = add_apple_orange_layer.forward(apple_price, orange_price)  # (3)
    price = mul_tax_layer.forward(all_price, tax)  # (4)
    # backward
    dprice = 1
    dall_price, dtax = mul_tax_layer.backward(dprice)  # (4)
    dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)  # (3)
    dorange, dorange_num = mul_orange_layer.backward(dorange_price)  # (2)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)  # (1)
    return price, (dapple_num, dapple, dorange, dorange_num, dtax)


def with_value() -> tuple[Value, tuple[Value, ...]]:
    """The same graph with Value: the price node (backward done) and the leaves, in print order."""
    a, an = Value(apple, label="apple"), Value(apple_num, label="apple_num")
    o, on = Value(orange, label="orange"), Value(orange_num, label="orange_num")
    t = Value(tax, label="tax")
    apple_price, orange_price = a * an, o * on
    apple_price.label, orange_price.label = "apple_price", "orange_price"
    all_price = apple_price + orange_price
    all_price.label = "all_price"
    price = all_price * t
    price.label = "price"
    price.backward()
    return price, (an, a, o, on, t)


def run(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> DemoResult:
    """Print the price and gradients both ways; draw the graph with values and gradients.

    numbers: the five inputs by name, price, and d<input> for each (Value's gradients).
    """
    args = parse_args(__doc__, argv, out_dir)
    price, grads = with_layers()
    print("layers:  price", fmt(price), f"| {ORDER}", fmt(*grads))
    node, leaves = with_value()
    v_grads = [leaf.grad for leaf in leaves]
    print("Value:   price", fmt(node.data), f"| {ORDER}", fmt(*v_grads))
    print(agree([price, *grads], [node.data, *v_grads], "layers and Value"))
    files = [save_graph(node, args.out / "buy_apple_orange.svg", mode="both")]
    report_files(files)
    numbers = {**{leaf.label: leaf.data for leaf in leaves}, "price": node.data,
               **{f"d{leaf.label}": leaf.grad for leaf in leaves}}
    return DemoResult(files, numbers, {"buy_apple_orange": node})


def main(argv: Sequence[str] | None = None, out_dir: str | Path = "out") -> list[Path]:
    """Run the demo (see `run`); returns the files written."""
    return run(argv, out_dir).files


if __name__ == "__main__":
    main(sys.argv[1:])
