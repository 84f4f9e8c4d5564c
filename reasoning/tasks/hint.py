"""HINT with symbol input (Li et al. 2023), regenerated from the recipe in BENCHMARKS.md §3.

Expressions (see :mod:`reasoning.tasks.hint_expression` for the semantics, the infix form and the
head/value conventions) are grouped in buckets, one per (part, n_op):

| part  | n_op  | values (largest intermediate value of the expression)  | expressions            |
|-------|-------|---------------------------------------------------------|------------------------|
| train | 0-10  | <= 100                                                  | new                    |
| I     | 0-10  | <= 100                                                  | drawn from train       |
| SS    | 0-10  | <= 100                                                  | not in train           |
| LS    | 11-20 | <= 100                                                  | new                    |
| SL    | 0-10  | one in 101..10,000, none above                          | new                    |
| LL    | 11-20 | one in 101..10,000, none above                          | new                    |

Buckets with n_op <= 2 draw from the full enumeration of expressions (shuffled), larger ones from
:func:`~reasoning.tasks.hint_expression.sample_tree` (division by zero or a value out of range:
resample). Every bucket holds unique expressions, at most ``train_per_op`` (train) or
``test_per_op`` (test subsets), and no final result occurs more than ``floor(cap_fraction * size)``
times in a bucket of requested size ``size``, so no result exceeds 5% of a full bucket. Buckets
that the enumeration cannot fill keep everything they have: n_op 0 and 1 hold only 10 and 390
expressions (with the default sizes all of them are in train, so SS has none there; SL has none
there because no such expression has a value above 81).
``repeat_short=True`` cycles such short training buckets up to ``train_per_op`` (the published
training set repeats short expressions).

Targets are the decimal digits of the value: ``("1", "8")`` for 18. Each bucket has its own RNG
derived from ``seed``, so a bucket depends only on the seed, its own size and (I, SS) on train.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from itertools import cycle, islice
from pathlib import Path

from reasoning.tasks.example import Example
from reasoning.tasks.hint_expression import (
    InvalidExpression,
    Tree,
    enumerate_trees,
    evaluate_tree,
    sample_tree,
    to_infix,
)
from reasoning.tasks.hint_solver import evaluate_expression
from reasoning.tasks.jsonl import read_jsonl, write_jsonl

__all__ = ["HINT_SUBSETS", "evaluate_expression", "generate_hint", "hint_example", "read_hint", "write_hint"]

HINT_SUBSETS: tuple[str, ...] = ("I", "SS", "LS", "SL", "LL")
SHORT_OPS: tuple[int, ...] = tuple(range(0, 11))
LONG_OPS: tuple[int, ...] = tuple(range(11, 21))
SMALL_MAX = 100
LARGE_MAX = 10_000
ENUMERATED_MAX_OPS = 2

Candidate = tuple[Tree, int, int]  # (tree, value, largest intermediate value)


def hint_example(tree: Tree, subset: str | None = None) -> Example:
    """The example of an expression tree: infix source tokens, value digits, heads and values."""
    tokens, heads, values = to_infix(tree)
    return Example(tokens, tuple(str(values[heads.index(-1)])), heads, values, subset)


@cache
def _enumerated(n_op: int) -> tuple[Candidate, ...]:
    """Every valid expression with ``n_op`` operators, with its value and largest intermediate value."""
    found = []
    for tree in enumerate_trees(n_op):
        try:
            found.append((tree, *evaluate_tree(tree)))
        except InvalidExpression:
            continue
    return tuple(found)


def _candidates(n_op: int, rng: random.Random, bound: int, max_attempts: int) -> Iterator[Candidate]:
    """Shuffled enumeration for small n_op, else up to ``max_attempts`` samples (rejects skipped)."""
    if n_op <= ENUMERATED_MAX_OPS:
        pool = list(_enumerated(n_op))
        rng.shuffle(pool)
        yield from pool
        return
    for _ in range(max_attempts):
        sampled = sample_tree(n_op, rng, max_value=bound)
        if sampled is not None:
            yield sampled


def _fill(candidates: Iterable[Candidate], size: int, keep: Callable[[Tree, int], bool], cap: int) -> list[Tree]:
    """Up to ``size`` unique trees passing ``keep(tree, largest value)``, at most ``cap`` per result."""
    chosen: dict[Tree, None] = {}
    per_result: Counter[int] = Counter()
    for tree, value, largest in candidates:
        if len(chosen) == size:
            break
        if tree in chosen or per_result[value] >= cap or not keep(tree, largest):
            continue
        chosen[tree] = None
        per_result[value] += 1
    return list(chosen)


def generate_hint(
    train_per_op: int = 10_000,
    test_per_op: int = 100,
    seed: int = 0,
    cap_fraction: float = 0.05,
    repeat_short: bool = False,
    attempts_per_example: int = 200,
) -> dict[str, list[Example]]:
    """Generate the HINT symbol-input training set and its five test subsets.

    Args:
        train_per_op: training expressions per n_op (0-10). The default gives ~90k examples.
        test_per_op: expressions per n_op in each test subset.
        seed: master seed; the same arguments give the same data.
        cap_fraction: the largest share of a bucket's requested size one result may take.
        repeat_short: cycle training buckets that hold fewer than ``train_per_op`` expressions.
        attempts_per_example: sampling budget per requested expression before a bucket is declared
            unfillable.

    Returns:
        ``{"train": [...], "test": [...]}``; training examples have ``subset=None``, test examples
        carry ``subset`` in ``HINT_SUBSETS``. Lists are ordered by part, then n_op.

    Raises:
        ValueError: a sampled bucket could not be filled within the attempt budget.
    """

    def bucket(part: str, n_op: int, size: int, bound: int, keep: Callable[[Tree, int], bool]) -> list[Tree]:
        rng = random.Random(f"hint-{seed}-{part}-{n_op}")
        cap = max(1, int(cap_fraction * size))
        trees = _fill(_candidates(n_op, rng, bound, size * attempts_per_example), size, keep, cap)
        if len(trees) < size and n_op > ENUMERATED_MAX_OPS:
            raise ValueError(
                f"HINT bucket {part} n_op={n_op}: only {len(trees)} of {size} expressions after "
                f"{size * attempts_per_example} samples; raise attempts_per_example or lower the size"
            )
        return trees

    def small(_tree: Tree, largest: int) -> bool:
        return largest <= SMALL_MAX

    def large(_tree: Tree, largest: int) -> bool:
        return SMALL_MAX < largest <= LARGE_MAX

    train_trees = {n_op: bucket("train", n_op, train_per_op, SMALL_MAX, small) for n_op in SHORT_OPS}
    seen = {tree for trees in train_trees.values() for tree in trees}
    train: list[Example] = []
    for trees in train_trees.values():
        examples = [hint_example(tree) for tree in trees]
        if repeat_short and 0 < len(examples) < train_per_op:
            examples = list(islice(cycle(examples), train_per_op))
        train += examples

    def unseen_small(tree: Tree, largest: int) -> bool:
        return largest <= SMALL_MAX and tree not in seen

    test: list[Example] = []
    for n_op in SHORT_OPS:  # I: expressions seen in training
        rng = random.Random(f"hint-{seed}-I-{n_op}")
        pool = [(tree, *evaluate_tree(tree)) for tree in train_trees[n_op]]
        rng.shuffle(pool)
        cap = max(1, int(cap_fraction * test_per_op))
        test += [hint_example(tree, "I") for tree in _fill(pool, test_per_op, small, cap)]
    for subset, n_ops, bound, keep in (
        ("SS", SHORT_OPS, SMALL_MAX, unseen_small),
        ("LS", LONG_OPS, SMALL_MAX, small),
        ("SL", SHORT_OPS, LARGE_MAX, large),
        ("LL", LONG_OPS, LARGE_MAX, large),
    ):
        for n_op in n_ops:
            test += [hint_example(tree, subset) for tree in bucket(subset, n_op, test_per_op, bound, keep)]
    return {"train": train, "test": test}


def write_hint(folder: str | Path, split: dict[str, list[Example]]) -> dict[str, Path]:
    """Write each part of a split to ``folder/<part>.jsonl``; returns the paths by part."""
    paths = {part: Path(folder) / f"{part}.jsonl" for part in split}
    for part, examples in split.items():
        write_jsonl(paths[part], examples)
    return paths


def read_hint(folder: str | Path, parts: Iterable[str] = ("train", "test")) -> dict[str, list[Example]]:
    """Read ``folder/<part>.jsonl`` files written by :func:`write_hint`.

    Raises:
        DataFormatError: a malformed line (``file:line`` in the message).
    """
    return {part: read_jsonl(Path(folder) / f"{part}.jsonl") for part in parts}
