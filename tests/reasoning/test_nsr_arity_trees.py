"""Arity-constrained tree enumeration and deep evaluation on a big stack."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.nsr.deep_stack import call_with_stack
from reasoning.nsr.dsl import INT, define
from reasoning.nsr.program_eval import EvalLimits, run_program
from reasoning.nsr.symbol_tree import check_heads, non_projective_node
from reasoning.nsr.tree_enumeration import arity_trees, projective_trees

LEAF, BINARY, ANY = frozenset({0}), frozenset({2}), frozenset(range(4))


def n_children(heads: tuple[int, ...], node: int) -> int:
    return heads.count(node)


def test_binary_operators_over_leaves_give_the_catalan_number_of_trees() -> None:
    # d o d o d o d o d: the bracketings of four binary operators.
    tokens = [LEAF, BINARY] * 4 + [LEAF]
    trees = arity_trees(tokens, max_free=0, max_children=3, limit=10_000)
    assert len(trees) == 14 and len(set(trees)) == 14
    for heads in trees:
        assert all(n_children(heads, i) in tokens[i] for i in range(len(tokens)))


def test_free_nodes_take_any_number_of_children() -> None:
    # ( d o d ) o d with the parentheses free: the right reading of the brackets is among the trees.
    empty = frozenset()
    tokens = [empty, LEAF, BINARY, LEAF, empty, BINARY, LEAF]
    trees = arity_trees(tokens, max_free=2, max_children=3, limit=10_000)
    assert (2, 2, 5, 2, 2, -1, 5) not in trees  # '+' would have four children
    assert (5, 2, 0, 2, 0, -1, 5) in trees  # '(' heads '+' and ')'
    assert all(sum(n_children(heads, i) not in tokens[i] for i in range(7)) <= 2 for heads in trees)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3))
def test_unconstrained_arity_trees_are_all_projective_trees(n: int, max_children: int) -> None:
    allowed = [frozenset(range(max_children + 1))] * n
    trees = arity_trees(allowed, max_free=0, max_children=max_children, limit=100_000)
    assert sorted(trees) == sorted(projective_trees(n, max_children))
    for heads in trees:
        check_heads(heads)
        assert non_projective_node(heads) is None


def test_limit_caps_the_number_of_trees() -> None:
    assert len(arity_trees([ANY] * 6, max_free=0, max_children=3, limit=50)) == 50


def test_deep_recursion_runs_on_a_big_stack() -> None:
    add = define("add", "if_zero(x, y, inc(self(y, dec(x))))", (INT, INT))
    limits = EvalLimits(max_steps=10_000_000, max_depth=30_000)
    assert call_with_stack(lambda: run_program(add.program, (5000, 4999), limits=limits), 30_000) == 9999


def test_errors_on_the_big_stack_reach_the_caller() -> None:
    def fail() -> None:
        raise KeyError("inside")

    try:
        call_with_stack(fail, 1000)
    except KeyError as error:
        assert "inside" in str(error)
    else:
        raise AssertionError("the error was swallowed")
