"""NSR abduction: fixing wrong programs, misperceived symbols and unknown symbols in hand-made SCAN and HINT trees."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.nsr.abduction import SEMANTIC, SYMBOL, VALUE, AbductionCosts, Change, abduce
from reasoning.nsr.dsl import SEQ, SEQUENCES, define
from reasoning.nsr.semantics import Semantics, collect_examples, deduce, induce_semantics
from reasoning.nsr.symbol_tree import SymbolTree
from tests.reasoning.test_nsr_semantics import (
    HINT_SEMANTICS,
    HINT_SYMBOLS,
    JUMP,
    SCAN_FUNCTIONS,
    SCAN_SEMANTICS,
    SCAN_SYMBOLS,
    TWICE,
    WALK,
    consistent_everywhere,
    hint_tree,
    scan_tree,
)

JUMP_TWICE_AND_WALK = scan_tree("jump twice and walk", (1, 2, -1, 2))
TARGET = (JUMP, JUMP, WALK)


def perception(tree: SymbolTree, n_symbols: int, preferred: dict[int, int] | None = None) -> np.ndarray:
    """(n, n_symbols) log-probabilities: 0.9 on each perceived symbol, the rest spread evenly.

    ``preferred`` maps a node to a symbol that gets 0.4 of the mass next to 0.55 on the perceived one.
    """
    probs = np.full((len(tree), n_symbols), 0.1 / (n_symbols - 1))
    for node, symbol in enumerate(tree.symbols):
        probs[node, symbol] = 0.9
    for node, symbol in (preferred or {}).items():
        probs[node] = 0.05 / (n_symbols - 2)
        probs[node, tree.symbols[node]], probs[node, symbol] = 0.55, 0.4
    return np.log(probs)


def semantic_nodes(changes: Sequence[Change]) -> set[int]:
    """The nodes whose value a revision set directly (c)."""
    return {change.node for change in changes if change.kind == SEMANTIC}


def test_correct_tree_costs_nothing() -> None:
    result = abduce(JUMP_TWICE_AND_WALK, SCAN_SEMANTICS, TARGET)
    assert result.found and result.cost == 0 and result.changes == () and result.expansions == 0
    assert result.tree.values == deduce(JUMP_TWICE_AND_WALK, SCAN_SEMANTICS)


def test_wrong_program_is_fixed_by_a_semantic_change_at_its_node() -> None:
    identity = Semantics.from_functions({**SCAN_FUNCTIONS, TWICE: define("twice", "x", (SEQ,))}, len(SCAN_SYMBOLS))
    result = abduce(JUMP_TWICE_AND_WALK, identity, TARGET)
    assert result.found and not result.hit_budget
    assert result.tree.values == ((JUMP,), (JUMP, JUMP), TARGET, (WALK,))
    assert result.tree.symbols == JUMP_TWICE_AND_WALK.symbols
    assert [(c.kind, c.node) for c in result.changes] == [(VALUE, 1), (SEMANTIC, 1)]
    assert result.changes[-1].old == (JUMP,) and result.changes[-1].new == (JUMP, JUMP)
    costs = AbductionCosts()
    assert result.cost == pytest.approx(costs.value + costs.semantic)
    assert consistent_everywhere(identity, result.tree, except_nodes={1})
    # The abduced tree teaches induction the right meaning of twice.
    semantics, _ = induce_semantics(collect_examples([result.tree]), SEQUENCES, 5, 2.0, previous=identity)
    assert semantics.apply(TWICE, ((WALK, JUMP),)) == (WALK, JUMP, WALK, JUMP)


def test_unknown_symbol_gets_its_value_through_its_parent() -> None:
    unknown_walk = Semantics.from_functions({**SCAN_FUNCTIONS, WALK: None}, len(SCAN_SYMBOLS))
    result = abduce(JUMP_TWICE_AND_WALK, unknown_walk, TARGET)
    assert result.found
    assert [(c.kind, c.node, c.new) for c in result.changes] == [(VALUE, 3, (WALK,)), (SEMANTIC, 3, (WALK,))]
    assert result.tree.values[3] == (WALK,) and result.tree.values[2] == TARGET


def test_two_unknown_operands_are_not_invented() -> None:
    unknown = Semantics.from_functions({**SCAN_FUNCTIONS, WALK: None, JUMP: None}, len(SCAN_SYMBOLS))
    result = abduce(scan_tree("jump and walk", (1, -1, 1)), unknown, TARGET[1:])
    assert not result.found and not result.hit_budget and math.isinf(result.cost)
    assert result.tree.values == (None, None, None)


def test_misperceived_digit_is_changed_back_when_perception_prefers_it() -> None:
    tree = hint_tree("3 + 4 * 2")
    seen = tree.with_symbols((3, 10, 5, 11, 2))  # the 4 was perceived as a 5: 3 + 5 * 2 = 13
    log_probs = perception(seen, len(HINT_SYMBOLS), preferred={2: 4})
    result = abduce(seen, HINT_SEMANTICS, 11, symbol_log_probs=log_probs)
    assert result.found
    assert result.tree.symbols == tree.symbols and result.tree.values == (3, 11, 4, 8, 2)
    assert [(c.kind, c.node) for c in result.changes if c.kind != VALUE] == [(SYMBOL, 2)]
    assert result.changes[-1].old == 5 and result.changes[-1].new == 4
    assert consistent_everywhere(HINT_SEMANTICS, result.tree)
    # When perception doubts the 3 instead, 1 + 5 * 2 is the more likely reading.
    doubt_3 = abduce(seen, HINT_SEMANTICS, 11, symbol_log_probs=perception(seen, len(HINT_SYMBOLS), {0: 1}))
    assert doubt_3.found and doubt_3.tree.symbols == (1, 10, 5, 11, 2)
    # Without perception every digit change costs the same and the deeper one wins.
    flat = abduce(seen, HINT_SEMANTICS, 11)
    assert flat.found and flat.tree.symbols == tree.symbols and flat.cost == AbductionCosts().symbol


def test_two_misperceptions_on_one_path_are_both_changed_back() -> None:
    tree = hint_tree("3 + 4 * 2")
    seen = tree.with_symbols((3, 10, 5, 10, 2))  # 3 + 5 + 2 = 10
    log_probs = perception(seen, len(HINT_SYMBOLS), preferred={2: 4, 3: 11})
    result = abduce(seen, HINT_SEMANTICS, 11, symbol_log_probs=log_probs)
    assert result.found and result.tree.symbols == tree.symbols and result.tree.values == (3, 11, 4, 8, 2)
    assert [(c.kind, c.node) for c in result.changes] == [(VALUE, 3), (SYMBOL, 3), (VALUE, 2), (SYMBOL, 2)]
    # Allowed one change, blaming the inner + (its program cannot give 8 from 5 and 2) beats two unlikely digits.
    one = abduce(seen, HINT_SEMANTICS, 11, symbol_log_probs=log_probs, max_changes=1)
    assert one.found and one.hit_budget
    assert [(c.kind, c.node, c.new) for c in one.changes] == [(VALUE, 3, 8), (SEMANTIC, 3, 8)]


def test_unreachable_target_reports_the_budget() -> None:
    tree = hint_tree("3 + 4 * 2")
    no_changes = abduce(tree, HINT_SEMANTICS, 12, max_changes=0)
    assert not no_changes.found and no_changes.hit_budget and no_changes.changes == ()
    assert no_changes.tree.values == (3, 11, 4, 8, 2)
    no_expansions = abduce(tree, HINT_SEMANTICS, 12, max_expansions=1)
    assert not no_expansions.found and no_expansions.hit_budget and no_expansions.expansions == 1


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="one row of log-probabilities per node"):
        abduce(JUMP_TWICE_AND_WALK, SCAN_SEMANTICS, TARGET, symbol_log_probs=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="natural number"):
        abduce(JUMP_TWICE_AND_WALK, SCAN_SEMANTICS, -1)
    with pytest.raises(ValueError, match="non-negative"):
        AbductionCosts(semantic=-1.0)


@st.composite
def corrupted_expressions(draw: st.DrawFn) -> tuple[SymbolTree, SymbolTree]:
    """(a random expression tree over digits, ``+`` and ``*``; the same with one digit misperceived)."""
    n_digits = draw(st.integers(1, 4))
    words = [str(draw(st.integers(0, 9)))]
    for _ in range(n_digits - 1):
        words += [draw(st.sampled_from("+*")), str(draw(st.integers(0, 9)))]
    tree = hint_tree(" ".join(words))
    leaf = 2 * draw(st.integers(0, n_digits - 1))
    wrong = draw(st.integers(0, 9).filter(lambda digit: digit != tree.symbols[leaf]))
    symbols = list(tree.symbols)
    symbols[leaf] = wrong
    return tree, tree.with_symbols(symbols)


@settings(max_examples=40, deadline=None)
@given(corrupted_expressions())
def test_abduction_restores_a_consistent_tree_with_the_target(trees: tuple[SymbolTree, SymbolTree]) -> None:
    true_tree, seen = trees
    target = deduce(true_tree, HINT_SEMANTICS)[true_tree.root]
    result = abduce(seen, HINT_SEMANTICS, target)
    assert result.found and result.tree.values is not None
    assert result.tree.values[result.tree.root] == target
    assert consistent_everywhere(HINT_SEMANTICS, result.tree, except_nodes=semantic_nodes(result.changes))
    # Never worse than the true fix, which is in reach when every value along the way is a candidate.
    costs = AbductionCosts()
    (leaf,) = [node for node in range(len(seen)) if seen.symbols[node] != true_tree.symbols[node]]
    if max(deduce(true_tree, HINT_SEMANTICS)) <= 100:  # the default candidate_ints reach 100
        assert result.cost <= depth(true_tree, leaf) * costs.value + costs.symbol + 1e-9
    assert result.cost <= costs.semantic + 1e-9  # setting the root directly is always possible


def depth(tree: SymbolTree, node: int) -> int:
    """The number of arcs from ``node`` up to the root."""
    steps = 0
    while tree.heads[node] != -1:
        node, steps = tree.heads[node], steps + 1
    return steps
