"""A safe little calculator on Values: parse with `ast`, allow only arithmetic, walk the tree.

Allowed: numbers, names, + - * / **, unary - and +, and calls of exp, log, tanh, sigmoid,
relu, sqrt, abs with exactly one argument. Nothing is ever given to eval/exec/compile.
"""
from __future__ import annotations

import ast
import math
import numbers
from typing import Any

from autograd import Value
from autograd.value import Constant

FUNCTIONS = {"exp": Value.exp, "log": Value.log, "tanh": Value.tanh, "sigmoid": Value.sigmoid,
             "relu": Value.relu, "sqrt": Value.sqrt, "abs": Value.abs}
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a ** b}
_KINDS = {ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
          ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if-else expressions",
          ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
          ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
          ast.DictComp: "comprehensions", ast.GeneratorExp: "generator expressions",
          ast.JoinedStr: "f-strings", ast.NamedExpr: "assignment expressions (:=)",
          ast.Starred: "starred arguments", ast.Await: "await", ast.Slice: "slices"}


class ExpressionError(ValueError):
    """The expression uses something the calculator does not allow, or cannot be evaluated."""


def _snippet(node: ast.AST, source: str) -> str:
    text = ast.get_source_segment(source.strip(), node) or ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _refuse(node: ast.AST, source: str) -> ExpressionError:
    """The error naming what `node` is, e.g. 'not allowed: attribute access (.__class__)'."""
    if isinstance(node, ast.Attribute):
        return ExpressionError(f"not allowed: attribute access (.{node.attr})")
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return ExpressionError(f"not allowed: the operator in {_snippet(node, source)} "
                               "(only + - * / ** and unary - +)")
    if isinstance(node, ast.Constant):
        text = isinstance(node.value, (str, bytes))
        kind = "strings" if text else f"{type(node.value).__name__} constants"
    else:
        kind = _KINDS.get(type(node), type(node).__name__)
    return ExpressionError(f"not allowed: {kind} ({_snippet(node, source)})")


def _check_call(node: ast.Call, source: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise _refuse(node.func, source)
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(f"not allowed: call of {name}() (the functions are "
                              f"{', '.join(FUNCTIONS)})")
    if node.keywords:
        raise ExpressionError(f"not allowed: keyword arguments in {name}(...)")
    if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise ExpressionError(f"not allowed: {name}() takes exactly one argument, "
                              f"got {len(node.args)}")


def parse(source: str) -> ast.Expression:
    """The checked syntax tree of `source`; ExpressionError names the first thing not allowed."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"syntax error in {source!r}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is too deeply nested") from None
    for node in ast.walk(tree):  # outermost first
        if isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, numbers.Real) \
                and not isinstance(node.value, bool):
            continue
        if isinstance(node, ast.Name):
            continue
        if isinstance(node, ast.Call):
            _check_call(node, source)
            continue
        raise _refuse(node, source)
    return tree


def names_used(tree: ast.Expression) -> list[str]:
    """The variable names in the expression, in order of first appearance (not function names)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called),
                   key=lambda n: (n.lineno, n.col_offset))
    return list(dict.fromkeys(n.id for n in names))


def _constant_exponent(node: ast.AST) -> float | None:
    sign = 1.0
    while isinstance(node, ast.UnaryOp):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    return sign * float(node.value) if isinstance(node, ast.Constant) else None


def _node(x: Any, other: ast.AST | None = None) -> Any:
    """`x` as it enters an operation: a number whose partner is a number too (2 * 3, exp(1)) is
    made a Constant, so the engine computes (and checks) the result; else it stays as it is."""
    if isinstance(x, Value) or (other is not None and not _numbers_only(other)):
        return x
    return Constant(x)


def _numbers_only(node: ast.AST) -> bool:
    """Whether a checked subtree uses no variable (only numbers and operations on them)."""
    called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return not any(isinstance(n, ast.Name) and id(n) not in called for n in ast.walk(node))


def evaluate(tree: ast.Expression, variables: dict[str, Value]) -> Value:
    """The Value of a checked tree; variables map names to (labelled) Values."""
    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return float(node.value)  # a number: the operation using it lifts it to a Constant
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id} is a function: call it, e.g. {node.id}(x)")
            if node.id not in variables:
                raise ExpressionError(f"{node.id} has no value: pass {node.id}=NUMBER")
            return variables[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else +operand
        if isinstance(node, ast.BinOp):
            left = _node(walk(node.left), node.right)
            exponent = _constant_exponent(node.right) if isinstance(node.op, ast.Pow) else None
            right = exponent if exponent is not None else walk(node.right)
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            return FUNCTIONS[node.func.id](_node(walk(node.args[0])))
        raise _refuse(node, "")  # parse() let nothing else through
    result = walk(tree.body)
    return result if isinstance(result, Value) else Value(result)


def check_number(text: str) -> float:
    """A variable's value from the command line: a finite real number."""
    try:
        value = float(text)
    except ValueError:
        raise ExpressionError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ExpressionError(f"{text!r} is not a finite number")
    return value
