"""Longer parser training trees made by grafting subtrees of explained trees into each other.

A parser trained only on the trees of training inputs reads longer inputs badly: test inputs nest
functions deeper than any training input, and the parser has never seen the configurations deep
nesting leads to (PCFG SET productivity and systematicity). Here a subtree filling an argument slot
of one tree is replaced by a larger subtree filling a slot of another, which makes a longer, deeper
tree built only from pieces the model has already explained. Which nodes are slots is the caller's
choice (:func:`grow_tree` takes them as a list per tree).

Trees are plain ``(symbols, heads)`` pairs of projective trees, as :class:`TransitionParser` trains
on; a projective tree's subtrees are contiguous spans, so a graft is a splice of two spans.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from reasoning.nsr.symbol_tree import subtree_indices

Tree = tuple[tuple[int, ...], tuple[int, ...]]  # (symbols (n,), heads (n,))


def _spans(host: Tree, site: int, donor: Tree, branch: int) -> tuple[int, int, int, int]:
    """The replaced span [start, end) of ``host`` and the grafted span [piece_start, piece_end) of ``donor``."""
    span, piece = subtree_indices(host[1], site), subtree_indices(donor[1], branch)
    return span[0], span[-1] + 1, piece[0], piece[-1] + 1


def graft(host: Tree, site: int, donor: Tree, branch: int) -> Tree:
    """``host`` with the subtree at ``site`` replaced by ``donor``'s subtree at ``branch``.

    The branch's root takes the site's head; every other head keeps its node.

    Args:
        host: symbols (n,) and heads (n,) of a projective tree.
        site: the host node whose subtree is removed.
        donor: symbols (m,) and heads (m,) of a projective tree.
        branch: the donor node whose subtree is put in its place.

    Returns:
        The grafted tree's symbols (n') and heads (n'), n' = n - |site subtree| + |branch subtree|.
    """
    symbols, heads = host
    start, end, piece_start, piece_end = _spans(host, site, donor, branch)
    shift = (piece_end - piece_start) - (end - start)

    def moved(head: int) -> int:
        return head + shift if head >= end else head

    new_heads = [moved(head) for head in heads[:start]]
    for node in range(piece_start, piece_end):
        head = donor[1][node]
        new_heads.append(moved(heads[site]) if node == branch else head - piece_start + start)
    new_heads.extend(moved(head) for head in heads[end:])
    new_symbols = symbols[:start] + donor[0][piece_start:piece_end] + symbols[end:]
    return new_symbols, tuple(new_heads)


def grow_tree(trees: Sequence[Tree], slots: Sequence[Sequence[int]], grafts: int, max_tokens: int,
              rng: random.Random) -> Tree | None:
    """A random host among ``trees`` after up to ``grafts`` grafts that each make it longer.

    Each graft replaces the subtree at a random slot of the current tree (not its root) by a larger
    subtree at a random slot of a random tree (its root may be one); grafted pieces keep their slots,
    so later grafts can nest inside earlier ones.

    Args:
        trees: B projective trees, symbols (n_b,) and heads (n_b,).
        slots: for each tree, the nodes (any order) whose subtrees may be exchanged; a root listed
            here may be given but is never replaced.
        grafts: the most grafts to make.
        max_tokens: no graft may make the tree longer than this.
        rng: the source of the random choices.

    Returns:
        The grown tree (symbols (n,), heads (n,)), or None when no graft made the host longer.
    """
    hosts = [number for number, nodes in enumerate(slots) if any(trees[number][1][node] != -1 for node in nodes)]
    if not hosts:
        return None
    number = rng.choice(hosts)
    tree, tree_slots = trees[number], list(slots[number])
    grown = False
    for _ in range(grafts):
        sites = [node for node in tree_slots if tree[1][node] != -1]
        donor_number = rng.randrange(len(trees))
        if not sites or not slots[donor_number]:
            continue
        site, branch = rng.choice(sites), rng.choice(list(slots[donor_number]))
        donor = trees[donor_number]
        removed, added = len(subtree_indices(tree[1], site)), len(subtree_indices(donor[1], branch))
        if added <= removed or len(tree[0]) - removed + added > max_tokens:
            continue
        tree_slots = _slots_after(tree, tree_slots, site, donor, slots[donor_number], branch)
        tree = graft(tree, site, donor, branch)
        grown = True
    return tree if grown else None


def _slots_after(host: Tree, host_slots: Sequence[int], site: int, donor: Tree, donor_slots: Sequence[int],
                 branch: int) -> list[int]:
    """The slots (node indices) of ``graft(host, site, donor, branch)``: the host's outside the
    replaced span, moved, and the donor's inside the grafted one."""
    start, end, piece_start, piece_end = _spans(host, site, donor, branch)
    shift = (piece_end - piece_start) - (end - start)
    kept = [node if node < start else node + shift for node in host_slots if not start <= node < end]
    return kept + [node - piece_start + start for node in donor_slots if piece_start <= node < piece_end]
