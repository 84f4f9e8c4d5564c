"""Every projective dependency tree over n tokens, for syntactic abduction on short inputs.

Abduction over a parser's samples misses trees the parser finds unlikely, and early in learning the
parser knows nothing. For short inputs the trees can simply all be tried: there are 1, 2, 7, 30,
143 and 728 projective trees (one root) over 1..6 tokens.
"""

from __future__ import annotations

import functools
import itertools

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
