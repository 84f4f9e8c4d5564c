"""Grafting subtrees of explained trees into each other's argument slots: longer parser training trees."""

from __future__ import annotations

import random

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.nsr.learner import Learner, LearnerConfig
from reasoning.nsr.symbol_tree import SymbolTree, check_heads, non_projective_node, subtree_indices
from reasoning.nsr.tree_enumeration import projective_trees
from reasoning.nsr.tree_grafting import graft, grow_tree
from reasoning.nsr.value_domain import ValueDomain

APPEND, COPY, COMMA, LETTER = 0, 1, 2, 3
# "append A , B" and "copy append A B , C D" as PCFG SET models parse them: a binary function heads
# its first argument, the comma and its second; a letter heads the letters after it.
FLAT = ((APPEND, LETTER, COMMA, LETTER), (-1, 0, 0, 0))
NESTED = ((COPY, APPEND, LETTER, LETTER, COMMA, LETTER, LETTER), (-1, 0, 1, 2, 1, 1, 5))


def test_a_graft_splices_the_donor_branch_into_the_site() -> None:
    # The first argument A of "append A , B" becomes "append A B , C D": append append A B , C D , B.
    assert graft(FLAT, 1, NESTED, 1) == ((APPEND, APPEND, LETTER, LETTER, COMMA, LETTER, LETTER, COMMA, LETTER),
                                         (-1, 0, 1, 2, 1, 1, 5, 0, 0))
    # The second argument: heads after the site's span do not move, the branch's root takes its head.
    assert graft(FLAT, 3, NESTED, 0) == ((APPEND, LETTER, COMMA, COPY, APPEND, LETTER, LETTER, COMMA, LETTER,
                                          LETTER), (-1, 0, 0, 0, 3, 4, 5, 4, 4, 8))


def _random_tree(data: st.DataObject, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    heads = data.draw(st.sampled_from(projective_trees(n, max_children=3)))
    symbols = tuple(data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    return symbols, heads


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n_host=st.integers(1, 5), n_donor=st.integers(1, 5))
def test_a_graft_is_a_projective_tree_holding_the_donor_branch(data: st.DataObject, n_host: int,
                                                               n_donor: int) -> None:
    host, donor = _random_tree(data, n_host), _random_tree(data, n_donor)
    site, branch = data.draw(st.integers(0, n_host - 1)), data.draw(st.integers(0, n_donor - 1))
    symbols, heads = graft(host, site, donor, branch)
    check_heads(heads)
    assert non_projective_node(heads) is None and len(symbols) == len(heads)
    removed, added = subtree_indices(host[1], site), subtree_indices(donor[1], branch)
    assert len(heads) == n_host - len(removed) + len(added)
    root = removed[0] + branch - added[0]  # the branch root's new index
    placed = subtree_indices(heads, root)
    assert [symbols[i] for i in placed] == [donor[0][i] for i in added]
    assert [heads[i] - removed[0] if i != root else None for i in placed] == \
           [donor[1][i] - added[0] if i != branch else None for i in added]
    assert heads[root] == (-1 if host[1][site] == -1 else
                           host[1][site] + (len(added) - len(removed)) * (host[1][site] > site))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), grafts=st.integers(1, 4), max_tokens=st.integers(4, 30))
def test_grown_trees_are_longer_projective_trees_within_the_bound(seed: int, grafts: int, max_tokens: int) -> None:
    trees, slots = [FLAT, NESTED], [[0, 1, 3], [0, 1, 2, 5]]
    grown = grow_tree(trees, slots, grafts, max_tokens, random.Random(seed))
    if grown is None:
        return
    symbols, heads = grown
    check_heads(heads)
    assert non_projective_node(heads) is None
    assert len(FLAT[0]) < len(heads) <= max_tokens
    assert heads.count(-1) == 1 and symbols[heads.index(-1)] in (APPEND, COPY)
    # every binary function keeps its first argument, its comma and its second
    for node, symbol in enumerate(symbols):
        if symbol == APPEND:
            assert [symbols[child] for child in range(len(heads)) if heads[child] == node][1] == COMMA


def test_a_tree_without_a_slot_below_its_root_grows_nothing() -> None:
    assert grow_tree([FLAT], [[0]], 3, 50, random.Random(0)) is None


def _lexical_learner(config: LearnerConfig) -> Learner:
    torch.manual_seed(0)
    learner = Learner(4, 4, ValueDomain(), config, seed=0)
    learner.lexical = {LETTER: 0}
    return learner


def test_slots_are_letters_or_functions_taken_by_a_non_letter() -> None:
    learner = _lexical_learner(LearnerConfig())
    assert learner.graft_slots(*FLAT) == [0, 1, 3]
    assert learner.graft_slots(*NESTED) == [0, 1, 2, 5]  # not the comma, nor letters headed by letters


def test_grafted_trees_teach_the_parser_a_nesting_no_explained_tree_has() -> None:
    # Training shows append only over letters and copy over append; the test input nests append twice
    # in append's first argument, where the parser must attach each finished inner append before a comma.
    nested = (APPEND, APPEND, APPEND, LETTER, COMMA, LETTER, COMMA, LETTER, COMMA, LETTER)
    right = (-1, 0, 1, 2, 2, 2, 1, 1, 0, 0)
    parses = {}
    for grafts in (0, 32):
        learner = _lexical_learner(LearnerConfig(parser_grafts=grafts))
        learner.explained = {}
        for index, (symbols, heads) in enumerate((FLAT, NESTED)):
            learner.explained[index] = (SymbolTree(("?",) * len(symbols), symbols, heads), (0,) * len(symbols), ())
        learner.train_modules(150)
        parses[grafts] = learner.parser.parse(nested)
    assert parses[32] == right and parses[0] != right, parses
