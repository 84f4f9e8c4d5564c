"""HINT (Li et al. 2023) expressions: trees, their sampling, and infix writing with heads and values.

An expression tree is a digit ``0``-``9`` (an ``int``) or ``(operator, left, right)`` with an
operator from ``+ - * /``. Semantics on non-negative integers: ``a + b``, ``a * b``,
``a - b = max(0, a - b)``, ``a / b = ceil(a / b)``; ``a / 0`` is invalid.

Infix with minimal parentheses for left-associative precedence (``* /`` bind tighter than ``+ -``):
a left operand is parenthesised when its operator binds looser than the parent's, a right operand
when its operator binds looser or equally (``a - (b - c)``, ``a * (b / c)``, ``a + (b + c)``), so
re-parsing the infix gives back the same tree.

Annotations of the infix tokens (one entry per token):

- head: a digit or operator is headed by the operator it is an operand of; the root (the top
  operator, or the lone digit when there is no operator) has head ``-1``. Both tokens of a
  parenthesis pair are headed by the root operator of the sub-expression they enclose.
- value: a digit's value; an operator's value is the value of the sub-expression it roots; a
  parenthesis carries the value of the sub-expression it encloses.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import product

OPERATORS: tuple[str, ...] = ("+", "-", "*", "/")
PRECEDENCE: dict[str, int] = {"+": 1, "-": 1, "*": 2, "/": 2}
DIGITS: tuple[str, ...] = tuple(str(d) for d in range(10))

Tree = int | tuple[str, "Tree", "Tree"]


class InvalidExpression(ValueError):
    """An expression that divides by zero (or, for the sampler, exceeds the value bound)."""


def apply_operator(operator: str, a: int, b: int) -> int:
    """HINT's integer semantics of one operator.

    >>> [apply_operator(op, 7, 2) for op in OPERATORS]
    [9, 5, 14, 4]
    >>> apply_operator("-", 2, 7)
    0

    Raises:
        InvalidExpression: ``a / 0``.
    """
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b if a > b else 0
    if operator == "*":
        return a * b
    if operator == "/":
        if b == 0:
            raise InvalidExpression("division by zero")
        return -(-a // b)
    raise ValueError(f"unknown operator {operator!r}")


def n_operators(tree: Tree) -> int:
    """The number of operators in a tree."""
    return 0 if isinstance(tree, int) else 1 + n_operators(tree[1]) + n_operators(tree[2])


def evaluate_tree(tree: Tree) -> tuple[int, int]:
    """``(value, largest intermediate value)`` of a tree (digits count as intermediate values).

    Raises:
        InvalidExpression: the tree divides by zero.
    """
    if isinstance(tree, int):
        return tree, tree
    operator, left, right = tree
    left_value, left_max = evaluate_tree(left)
    right_value, right_max = evaluate_tree(right)
    value = apply_operator(operator, left_value, right_value)
    return value, max(value, left_max, right_max)


def sample_tree(n_op: int, rng: random.Random, max_value: int | None = None) -> tuple[Tree, int, int] | None:
    """Sample a prefix expression with ``n_op`` operators.

    Each operator is uniform over ``+ - * /``, its left subtree gets a number of operators uniform
    in ``0..n-1`` (n the operators of the subtree being built), digits are uniform over 0-9.

    Args:
        n_op: number of operators.
        rng: the random source.
        max_value: reject (return ``None``) as soon as an intermediate value exceeds it.

    Returns:
        ``(tree, value, largest intermediate value)``, or ``None`` for a rejected sample (division
        by zero or a value above ``max_value``); rejection only stops early what would be
        discarded anyway, so accepted trees follow the conditional distribution.
    """
    bound = float("inf") if max_value is None else max_value

    def build(n: int) -> tuple[Tree, int, int]:
        if n == 0:
            digit = rng.randrange(10)
            return digit, digit, digit
        operator = OPERATORS[rng.randrange(4)]
        n_left = rng.randrange(n)
        left, left_value, left_max = build(n_left)
        right, right_value, right_max = build(n - 1 - n_left)
        value = apply_operator(operator, left_value, right_value)
        if value > bound:
            raise InvalidExpression("value above the bound")
        return (operator, left, right), value, max(value, left_max, right_max)

    try:
        return build(n_op)
    except InvalidExpression:
        return None


def enumerate_trees(n_op: int) -> Iterator[Tree]:
    """Every tree with ``n_op`` operators (valid or not), in a fixed order; 10 * 40**n_op * Catalan(n_op) trees."""
    if n_op == 0:
        yield from range(10)
        return
    for n_left in range(n_op):
        for left, right in product(list(enumerate_trees(n_left)), list(enumerate_trees(n_op - 1 - n_left))):
            for operator in OPERATORS:
                yield (operator, left, right)


def to_infix(tree: Tree) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """Write a tree as infix tokens with minimal parentheses, with the head and value of every token.

    Args:
        tree: an expression tree.

    Returns:
        ``(tokens, heads, values)``, each of length n (the number of infix tokens): e.g.
        ``("3", "*", "(", "4", "+", "2", ")")``, heads ``(1, -1, 4, 4, 1, 4, 4)``, values
        ``(3, 18, 6, 4, 6, 2, 6)``.

    Raises:
        InvalidExpression: the tree divides by zero.
    """
    tokens: list[str] = []
    heads: list[int] = []
    values: list[int] = []

    def push(token: str, value: int) -> int:
        tokens.append(token)
        heads.append(-1)
        values.append(value)
        return len(tokens) - 1

    def operand(node: Tree, parenthesise: bool) -> tuple[int, int]:
        if not parenthesise:
            return emit(node)
        opening = push("(", 0)
        root, value = emit(node)
        closing = push(")", value)
        heads[opening] = heads[closing] = root
        values[opening] = value
        return root, value

    def emit(node: Tree) -> tuple[int, int]:
        if isinstance(node, int):
            return push(DIGITS[node], node), node
        operator, left, right = node
        level = PRECEDENCE[operator]
        left_root, left_value = operand(left, not isinstance(left, int) and PRECEDENCE[left[0]] < level)
        root = push(operator, 0)
        right_root, right_value = operand(right, not isinstance(right, int) and PRECEDENCE[right[0]] <= level)
        heads[left_root] = heads[right_root] = root
        values[root] = apply_operator(operator, left_value, right_value)
        return root, values[root]

    emit(tree)
    return tuple(tokens), tuple(heads), tuple(values)
