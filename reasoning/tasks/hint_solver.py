"""Solve a HINT infix expression: its value, dependency heads and per-token values, by parsing it.

The parser is independent of the generator's writer (:func:`reasoning.tasks.hint_expression.to_infix`),
so it checks every generated example: operators are left-associative, ``* /`` bind tighter than
``+ -``, and heads/values follow the conventions documented in :mod:`reasoning.tasks.hint_expression`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reasoning.tasks.hint_expression import DIGITS, apply_operator

_ADDITIVE = ("+", "-")
_MULTIPLICATIVE = ("*", "/")


def evaluate_expression(tokens: Sequence[str]) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """Parse and evaluate an infix expression over single digits, ``+ - * /`` and parentheses.

    Args:
        tokens: the expression, one token per digit, operator or parenthesis, e.g.
            ``("3", "*", "(", "4", "+", "2", ")")``.

    Returns:
        ``(value, heads, values)``: the integer value; the head index of every token (``-1`` for
        the root); the value of every token (see :mod:`reasoning.tasks.hint_expression`).

    Raises:
        ValueError: a malformed expression (unknown token, unbalanced parentheses, missing
            operand) or a division by zero.
    """
    tokens = tuple(tokens)
    n = len(tokens)
    heads = [-1] * n
    values = [0] * n
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < n else None

    def binary(operand_parser: Callable[[], int], operators: tuple[str, ...]) -> int:
        nonlocal position
        left = operand_parser()
        while peek() in operators:
            root = position
            position += 1
            right = operand_parser()
            heads[left] = heads[right] = root
            values[root] = apply_operator(tokens[root], values[left], values[right])
            left = root
        return left

    def atom() -> int:
        nonlocal position
        token = peek()
        if token in DIGITS:
            values[position] = int(token)
            position += 1
            return position - 1
        if token == "(":
            opening = position
            position += 1
            root = expression()
            if peek() != ")":
                raise ValueError(f"expected ')' at token {position} of {' '.join(tokens)!r}")
            heads[opening] = heads[position] = root
            values[opening] = values[position] = values[root]
            position += 1
            return root
        raise ValueError(f"expected a digit or '(' at token {position}, got {token!r} in {' '.join(tokens)!r}")

    def term() -> int:
        return binary(atom, _MULTIPLICATIVE)

    def expression() -> int:
        return binary(term, _ADDITIVE)

    root = expression()
    if position != n:
        raise ValueError(f"unexpected token {tokens[position]!r} at {position} in {' '.join(tokens)!r}")
    return values[root], tuple(heads), tuple(values)
