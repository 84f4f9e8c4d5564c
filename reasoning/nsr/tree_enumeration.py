"""Every projective dependency tree over n tokens, for syntactic abduction on short inputs.

Abduction over a parser's samples misses trees the parser finds unlikely, and early in learning the
parser knows nothing. For short inputs the trees can simply all be tried: there are 1, 2, 7, 30,
143 and 728 projective trees (one root) over 1..6 tokens. Longer inputs try the trees that keep the
known arities of their symbols (:func:`arity_trees`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

from reasoning.nsr.symbol_tree import check_heads, non_projective_node

MAX_ENUMERATED_TOKENS = 6


@functools.cache
def projective_trees(n: int, max_children: int) -> tuple[tuple[int, ...], ...]:
    """All projective trees over ``n`` tokens whose nodes have at most ``max_children`` children.

    Args:
        n: the number of tokens, 1..MAX_ENUMERATED_TOKENS.
        max_children: the most dependents of one node.

    Returns:
        head tuples (n,), -1 for the root, in lexicographic order of the heads.

    Raises:
        ValueError: ``n`` outside 1..MAX_ENUMERATED_TOKENS (there would be too many to try).
    """
    if not 1 <= n <= MAX_ENUMERATED_TOKENS:
        raise ValueError(f"trees are enumerated for 1..{MAX_ENUMERATED_TOKENS} tokens, got {n}")
    trees = []
    for heads in itertools.product(range(-1, n), repeat=n):
        if heads.count(-1) != 1 or any(head == token for token, head in enumerate(heads)):
            continue
        if max(heads.count(node) for node in range(n)) > max_children:
            continue
        try:
            check_heads(heads)
        except ValueError:  # a cycle
            continue
        if non_projective_node(heads) is None:
            trees.append(heads)
    return tuple(trees)


def arity_trees(allowed: Sequence[frozenset[int]], max_free: int, max_children: int, limit: int
                ) -> list[tuple[int, ...]]:
    """Projective trees in which every node has a number of children its symbol is known to take.

    Longer inputs have too many trees to try them all, but few in which the symbols keep the arities
    their meanings have (a digit a leaf, an operator two children); up to ``max_free`` nodes may take
    any number of children (the symbols whose meaning is being learned).

    Args:
        allowed: for each of the n tokens, the numbers of children its symbol's meanings take.
        max_free: the most nodes whose number of children is not in their ``allowed`` set.
        max_children: the most dependents of one node.
        limit: stop after this many trees. Every sub-span's list of subtrees is cut at ``limit`` too
            (which keeps long inputs cheap), so a long input may give fewer trees than exist.

    Returns:
        up to ``limit`` head tuples (n,), -1 for the root, each a projective tree.
    """
    n = len(allowed)

    @functools.cache
    def spans(lo: int, hi: int, free: int) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
        """(head, free nodes used, heads of tokens lo..hi-1 with the head's own entry -1) of subtrees over [lo, hi)."""
        found: list[tuple[int, int, tuple[int, ...]]] = []
        for head in range(lo, hi):
            for left_used, left_heads, n_left in sequences(lo, head, free, head):
                for right_used, right_heads, n_right in sequences(head + 1, hi, free - left_used, head):
                    n_children = n_left + n_right
                    used = left_used + right_used + (n_children not in allowed[head])
                    if n_children > max_children or used > free:
                        continue
                    found.append((head, used, (*left_heads, -1, *right_heads)))
                    if len(found) >= limit:
                        return tuple(found)
        return tuple(found)

    @functools.cache
    def sequences(lo: int, hi: int, free: int, parent: int) -> tuple[tuple[int, tuple[int, ...], int], ...]:
        """(free used, heads, number of subtrees) for ways to cover [lo, hi) by subtrees hanging from ``parent``."""
        if lo == hi:
            return ((0, (), 0),)
        found: list[tuple[int, tuple[int, ...], int]] = []
        for split in range(lo + 1, hi + 1):
            for _, used, heads in spans(lo, split, free):
                first = tuple(parent if h == -1 else h for h in heads)
                for rest_used, rest_heads, count in sequences(split, hi, free - used, parent):
                    if count + 1 > max_children:
                        continue
                    found.append((used + rest_used, first + rest_heads, count + 1))
                    if len(found) >= limit:
                        return tuple(found)
        return tuple(found)

    return [heads for _, _, heads in spans(0, n, max_free)][:limit]
