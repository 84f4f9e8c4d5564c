"""NSR syntax: the neural transition parser fits hand-made expression trees and only ever builds valid trees."""

from __future__ import annotations

import math
import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.nsr.parser import N_FEATURES, TransitionParser
from reasoning.nsr.symbol_tree import check_heads, non_projective_node
from reasoning.nsr.transitions import (
    LEFT_ARC,
    RIGHT_ARC,
    SHIFT,
    Action,
    Configuration,
    apply,
    initial,
    is_final,
    legal_actions,
    oracle,
)
from reasoning.nsr.tree_enumeration import projective_trees

SYMBOLS = {"1": 0, "2": 1, "3": 2, "+": 3, "-": 4, "*": 5}
PRECEDENCE = ({"+", "-"}, {"*"})  # loosest first; every operator is left-associative
TRAIN = ["1", "2 + 3", "1 * 2", "1 + 2 * 3", "1 * 2 + 3", "3 - 1 - 2", "1 + 2 - 3 * 1", "2 * 3 * 1 + 2",
         "1 - 2 * 3 + 1", "3 * 1 - 2 * 2 + 1"]


def expression_tree(expression: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Symbols (n,) and heads (n,) of an arithmetic expression: each operator heads its two operands."""
    tokens = expression.split()
    heads = [-1] * len(tokens)
    position = 0

    def parse_level(level: int) -> int:
        """Parse operators of precedence ``level`` and tighter from ``position``; return the subtree's root."""
        nonlocal position
        if level == len(PRECEDENCE):
            position += 1
            return position - 1
        left = parse_level(level + 1)
        while position < len(tokens) and tokens[position] in PRECEDENCE[level]:
            operator = position
            position += 1
            heads[left] = heads[parse_level(level + 1)] = operator
            left = operator
        return left

    parse_level(0)
    return tuple(SYMBOLS[token] for token in tokens), tuple(heads)


def new_parser(seed: int, n_symbols: int = len(SYMBOLS)) -> TransitionParser:
    """A small parser with weights drawn from ``seed``."""
    torch.manual_seed(seed)
    return TransitionParser(n_symbols, dim=16, hidden=64)


@pytest.fixture(autouse=True)
def single_thread() -> None:
    """Keep every test on one core (other jobs share the machine)."""
    torch.set_num_threads(1)


def test_expression_tree_helper() -> None:
    assert expression_tree("3 + 1 * 2") == ((2, 3, 0, 5, 1), (1, -1, 3, 1, 3))
    assert expression_tree("3 - 1 - 2")[1] == (1, 3, 1, -1, 3)


def test_parser_fits_hand_made_trees() -> None:
    data = [expression_tree(expression) for expression in TRAIN]
    parser = new_parser(seed=0)
    with torch.no_grad():
        before = parser.tree_log_probs(data)
    optimizer = torch.optim.Adam(parser.parameters(), lr=1e-2)
    start = time.perf_counter()
    for _ in range(150):
        optimizer.zero_grad()
        loss = parser.loss(data)
        loss.backward()
        optimizer.step()
    assert time.perf_counter() - start < 10
    assert loss.item() < 0.01
    parses = [parser.parse(symbols) for symbols, _ in data]
    assert parses == [heads for _, heads in data]
    assert parser.parse_batch([symbols for symbols, _ in data]) == parses
    with torch.no_grad():
        after = parser.tree_log_probs(data)
    several_tokens = torch.tensor([len(symbols) > 1 for symbols, _ in data])  # one token: log-prob 0 always
    assert bool((after > before)[several_tokens].all()), (before, after)
    assert bool((after > math.log(0.9)).all())


def test_features() -> None:
    parser = new_parser(seed=0)
    symbols, _ = expression_tree("1 + 2 * 3")  # symbols (0, 3, 1, 5, 2)
    pad = parser.padding
    assert parser.features(initial(5), symbols).tolist() == [pad, pad, pad, 0, 3, 1] + [pad] * 6
    config = initial(5)
    for action in (SHIFT, SHIFT, LEFT_ARC, SHIFT, SHIFT, LEFT_ARC):  # stack [+, *], * has the dependent 2
        config = apply(config, action)
    features = parser.features(config, symbols)
    assert features.dtype == torch.long and features.shape == (N_FEATURES,)
    assert features.tolist() == [5, 3, pad, 2, pad, pad, 1, 1, pad, 0, 0, pad]
    counting = TransitionParser(parser.n_symbols, dim=16, hidden=64, count_dependents=True)
    one_dependent = pad + 2  # the count ids follow the padding id: 0 dependents, 1, ...
    assert counting.features(config, symbols).tolist() == [*features.tolist(), one_dependent, one_dependent]
    assert counting.features(initial(5), symbols).tolist()[-2:] == [pad, pad]  # no stack items to count
    config = apply(apply(config, SHIFT), RIGHT_ARC)  # * gets its second dependent, 3
    assert counting.features(config, symbols).tolist()[-2:] == [pad + 3, one_dependent]
    assert counting(counting.features(config, symbols)[None]).shape == (1, 3)


def test_log_probs_are_normalised_over_legal_derivations() -> None:
    parser = new_parser(seed=1)
    symbols = (0, 3, 1)

    def derivations(config: Configuration, prefix: list[Action]) -> list[list[Action]]:
        if is_final(config):
            return [prefix]
        return [sequence for action in Action if legal_actions(config)[action]
                for sequence in derivations(apply(config, action), [*prefix, action])]

    with torch.no_grad():
        total = sum(parser.action_log_probs(symbols, actions).sum().exp().item()
                    for actions in derivations(initial(3), []))
    assert total == pytest.approx(1.0, abs=1e-5)


def test_tree_log_prob() -> None:
    parser = new_parser(seed=2)
    symbols, heads = expression_tree("1 + 2 * 3")
    by_actions = parser.action_log_probs(symbols, oracle(heads))
    assert by_actions.shape == (9,) and bool((by_actions <= 0).all())
    assert parser.tree_log_prob(symbols, heads).item() == pytest.approx(by_actions.sum().item(), abs=1e-5)
    parser.tree_log_prob(symbols, heads).backward()
    assert parser.embedding.weight.grad is not None
    assert parser.tree_log_prob((0, 0, 0), (2, -1, 1)).item() == -math.inf
    batch = parser.tree_log_probs([(symbols, heads), ((0, 0, 0), (2, -1, 1)), ((4,), (-1,))])
    assert batch[0].item() == pytest.approx(by_actions.sum().item(), abs=1e-5)
    assert batch[1].item() == -math.inf and batch[2].item() == 0.0  # one token: a single forced SHIFT


def test_invalid_inputs() -> None:
    parser = new_parser(seed=0)
    with pytest.raises(ValueError, match="outside"):
        parser.parse([0, len(SYMBOLS)])  # the padding id is not a symbol
    with pytest.raises(ValueError, match="outside"):
        parser.loss([((0, -1), (1, -1))])
    with pytest.raises(ValueError, match="at least one token"):
        parser.parse([])
    with pytest.raises(ValueError, match="not projective"):
        parser.loss([((0, 0, 0), (2, -1, 1))])
    with pytest.raises(ValueError, match="exactly one root"):
        parser.tree_log_prob((0, 0), (-1, -1))
    with pytest.raises(ValueError, match="2 symbols but 3 heads"):
        parser.tree_log_prob((0, 0), (1, -1, 1))
    with pytest.raises(ValueError, match="LEFT_ARC is illegal"):
        parser.action_log_probs((0, 0), [LEFT_ARC, SHIFT, SHIFT])
    with pytest.raises(ValueError, match="takes 3 actions"):
        parser.action_log_probs((0, 0), [SHIFT, SHIFT])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([None, *Action]),
       st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=14), min_size=1, max_size=6))
def test_untrained_parser_builds_valid_trees(seed: int, favourite: Action | None, inputs: list[list[int]]) -> None:
    parser = new_parser(seed)
    if favourite is not None:  # a parser that always wants one action tests the masking of illegal actions
        with torch.no_grad():
            parser.mlp[-1].bias[favourite] = 100.0
    parses = parser.parse_batch(inputs)
    assert parses == [parser.parse(symbols) for symbols in inputs]
    for symbols, heads in zip(inputs, parses, strict=True):
        assert len(heads) == len(symbols)
        assert non_projective_node(check_heads(heads)) is None
        if favourite == LEFT_ARC:  # arcs as early as possible, always leftward: a left-branching chain
            assert heads == (*range(1, len(symbols)), -1)
        if favourite == RIGHT_ARC:
            assert heads == (-1,) + (0,) * (len(symbols) - 1)


def _children_counts(heads: tuple[int, ...]) -> list[int]:
    return [heads.count(node) for node in range(len(heads))]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(0, 5), min_size=1, max_size=6), st.integers(1, 2))
def test_beam_search_keeps_only_accepted_trees(seed: int, symbols: list[int], max_children: int) -> None:
    parser = new_parser(seed)
    # Width 1 with nothing dropped is the greedy parse; the state sees every node complete exactly once.
    (greedy, seen), = parser.beam_parse(symbols, 1, (), lambda state, heads, node: (*state, node))
    assert greedy == parser.parse(symbols) and sorted(seen) == list(range(len(symbols)))

    def at_most(state: tuple[int, ...], heads: tuple[int, ...], node: int) -> tuple[int, ...] | None:
        return state if heads.count(node) <= max_children else None

    narrow = parser.beam_parse(symbols, 4, (), at_most)
    assert len({heads for heads, _ in narrow}) == len(narrow) <= 4
    assert all(max(_children_counts(heads)) <= max_children for heads, _ in narrow)
    # A beam wider than every derivation finds exactly the projective trees within the bound.
    wide = parser.beam_parse(symbols, 10_000, (), at_most)
    assert {heads for heads, _ in wide} == set(projective_trees(len(symbols), max_children))
    assert parser.beam_parse(symbols, 8, (), lambda state, heads, node: None) == []
