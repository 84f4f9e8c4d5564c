"""HINT: every generated example re-solved, the subset definitions and caps, JSON Lines, the solver."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.hint import (
    HINT_SUBSETS,
    evaluate_expression,
    generate_hint,
    hint_example,
    read_hint,
    write_hint,
)
from reasoning.tasks.hint_expression import (
    InvalidExpression,
    Tree,
    apply_operator,
    enumerate_trees,
    evaluate_tree,
    n_operators,
    to_infix,
)
from reasoning.tasks.jsonl import read_jsonl, write_jsonl

TRAIN_PER_OP, TEST_PER_OP = 300, 40


@pytest.fixture(scope="module")
def data() -> dict[str, list[Example]]:
    """A small HINT split, generated once for the module."""
    return generate_hint(train_per_op=TRAIN_PER_OP, test_per_op=TEST_PER_OP, seed=0)


def n_op(example: Example) -> int:
    return sum(token in "+-*/" for token in example.source)


def largest(example: Example) -> int:
    assert example.values is not None
    return max(example.values)


def tree_from_heads(tokens: tuple[str, ...], heads: tuple[int, ...]) -> Tree:
    """Rebuild the expression tree that a head annotation describes (parentheses ignored)."""
    children: dict[int, list[int]] = defaultdict(list)
    for index, head in enumerate(heads):
        if tokens[index] not in "()" and head >= 0:
            children[head].append(index)

    def build(index: int) -> Tree:
        if tokens[index].isdigit():
            return int(tokens[index])
        left, right = sorted(children[index])
        assert left < index < right
        return (tokens[index], build(left), build(right))

    (root,) = [i for i, head in enumerate(heads) if head == -1]
    return build(root)


def test_every_generated_example_is_re_solved(data: dict[str, list[Example]]) -> None:
    for example in data["train"] + data["test"]:
        value, heads, values = evaluate_expression(example.source)
        assert (heads, values) == (example.tree, example.values)
        assert example.target == tuple(str(value))


def test_training_part(data: dict[str, list[Example]]) -> None:
    train = data["train"]
    assert {n_op(e) for e in train} == set(range(11))
    assert all(e.subset is None and largest(e) <= 100 for e in train)
    assert len({e.source for e in train}) == len(train)
    per_op = Counter(n_op(e) for e in train)
    assert per_op[0] == 10 and all(per_op[n] == TRAIN_PER_OP for n in range(2, 11))


def test_test_subsets_follow_their_definitions(data: dict[str, list[Example]]) -> None:
    train_sources = {e.source for e in data["train"]}
    by_subset: dict[str, list[Example]] = defaultdict(list)
    for example in data["test"]:
        by_subset[example.subset].append(example)
    assert set(by_subset) == set(HINT_SUBSETS)
    assert all(e.source in train_sources for e in by_subset["I"])
    assert not any(e.source in train_sources for e in by_subset["SS"])
    for subset, ops, small in (("I", range(0, 11), True), ("SS", range(0, 11), True), ("LS", range(11, 21), True),
                               ("SL", range(0, 11), False), ("LL", range(11, 21), False)):  # fmt: skip
        examples = by_subset[subset]
        assert {n_op(e) for e in examples} <= set(ops)
        if small:
            assert all(largest(e) <= 100 for e in examples), subset
        else:
            assert all(100 < largest(e) <= 10_000 for e in examples), subset
        counts = Counter(n_op(e) for e in examples)
        assert all(counts[n] == TEST_PER_OP for n in ops if n >= 3), (subset, counts)
    assert len({e.source for e in data["test"]}) == len(data["test"])


def test_no_result_takes_more_than_five_percent_of_a_full_bucket(data: dict[str, list[Example]]) -> None:
    buckets: dict[tuple[str | None, int], Counter] = defaultdict(Counter)
    for example in data["train"] + data["test"]:
        buckets[example.subset, n_op(example)][example.target] += 1
    for (subset, ops), results in buckets.items():
        size = TRAIN_PER_OP if subset is None else TEST_PER_OP
        if sum(results.values()) == size:
            assert max(results.values()) <= 0.05 * size, (subset, ops, results.most_common(3))


def test_generation_is_seeded() -> None:
    small = {"train_per_op": 30, "test_per_op": 5}
    assert generate_hint(seed=1, **small) == generate_hint(seed=1, **small)
    assert generate_hint(seed=1, **small) != generate_hint(seed=2, **small)


def test_repeat_short_cycles_small_training_buckets() -> None:
    train = generate_hint(train_per_op=50, test_per_op=5, repeat_short=True)["train"]
    assert Counter(n_op(e) for e in train)[0] == 50
    assert len({e.source for e in train if n_op(e) == 0}) == 10


def test_semantics_and_enumeration() -> None:
    assert [apply_operator(op, 7, 2) for op in "+-*/"] == [9, 5, 14, 4]
    assert apply_operator("-", 3, 8) == 0 and apply_operator("/", 0, 4) == 0 and apply_operator("/", 9, 3) == 3
    with pytest.raises(InvalidExpression):
        apply_operator("/", 5, 0)
    assert sum(1 for _ in enumerate_trees(2)) == 2 * 16 * 1000
    valid = [t for t in enumerate_trees(1) if t[0] != "/" or t[2] != 0]
    assert len(valid) == 390
    example = hint_example(("*", 3, ("+", 4, 2)))
    assert example.source == ("3", "*", "(", "4", "+", "2", ")")
    assert example.tree == (1, -1, 4, 4, 1, 4, 4) and example.values == (3, 18, 6, 4, 6, 2, 6)
    assert example.target == ("1", "8")


@pytest.mark.parametrize("tokens", ["1 +", "( 1 + 2", "1 2", "12 + 1", "1 ) + 2", "+ 1", "1 / ( 2 - 3 )", "x"])
def test_solver_rejects_malformed_or_invalid_expressions(tokens: str) -> None:
    with pytest.raises(ValueError):
        evaluate_expression(tokens.split())


def test_jsonl_round_trip_and_errors(tmp_path: Path, data: dict[str, list[Example]]) -> None:
    split = {"train": data["train"][:50], "test": data["test"][:50]}
    paths = write_hint(tmp_path / "hint", split)
    assert set(paths) == {"train", "test"}
    assert read_hint(tmp_path / "hint") == split
    bad = tmp_path / "bad.jsonl"
    write_jsonl(bad, data["test"][:1])
    bad.write_text(bad.read_text() + '{"source": ["1"], "target": ["1"]\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:2: "):
        read_jsonl(bad)
    bad.write_text('{"source": ["1"], "target": [1]}\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1: 'target' must be a list of str"):
        read_jsonl(bad)
    bad.write_text('{"source": ["1", "+", "2"], "target": ["3"], "tree": [-1]}\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1: .*tree"):
        read_jsonl(bad)


@pytest.mark.slow
def test_default_sizes_generate_well_under_a_minute() -> None:
    start = time.perf_counter()
    data = generate_hint()
    assert time.perf_counter() - start < 30
    assert len(data["train"]) > 80_000


def _valid(tree: Tree) -> bool:
    try:
        evaluate_tree(tree)
    except InvalidExpression:
        return False
    return True


trees = st.recursive(
    st.integers(0, 9),
    lambda children: st.tuples(st.sampled_from("+-*/"), children, children),
    max_leaves=12,
).filter(_valid)


@given(trees)
def test_infix_re_parses_to_the_same_tree_value_and_heads(tree: Tree) -> None:
    tokens, heads, values = to_infix(tree)
    value, parsed_heads, parsed_values = evaluate_expression(tokens)
    assert value == evaluate_tree(tree)[0]
    assert (parsed_heads, parsed_values) == (heads, values)
    assert tree_from_heads(tokens, heads) == tree
    assert sum(token in "+-*/" for token in tokens) == n_operators(tree)


@given(trees)
def test_parentheses_are_minimal(tree: Tree) -> None:
    tokens, _, _ = to_infix(tree)
    stack, pairs = [], []
    for index, token in enumerate(tokens):
        if token == "(":
            stack.append(index)
        elif token == ")":
            pairs.append((stack.pop(), index))
    for opening, closing in pairs:
        fewer = tuple(t for i, t in enumerate(tokens) if i not in (opening, closing))
        try:
            _, heads, _ = evaluate_expression(fewer)
        except ValueError:
            continue  # now divides by zero: certainly another expression
        assert tree_from_heads(fewer, heads) != tree, (
            f"parentheses {opening},{closing} of {' '.join(tokens)} are redundant"
        )
